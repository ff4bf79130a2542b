#!/usr/bin/env python3
"""Times the reference MediaPipe 0.10.14 pose pipeline (legacy mp.solutions.pose,
model_complexity=1) on a frame: per frame in tracking (video) mode and in static image mode.
Prints `BENCH <name>/mediapipe <median ms>` lines. Run by tools/bench.sh."""
import os
import statistics
import sys
import time

import cv2
import mediapipe as mp

WARMUP, ITERS = 5, 40


def median_ms(f):
    for _ in range(WARMUP):
        f()
    times = []
    for _ in range(ITERS):
        t = time.perf_counter()
        f()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    frame = cv2.cvtColor(cv2.imread(sys.argv[1]), cv2.COLOR_BGR2RGB)
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
        assert pose.process(frame).pose_landmarks is not None, "nobody in the bench frame"
        print(f"BENCH pipeline_full_tracking/mediapipe {median_ms(lambda: pose.process(frame)):.2f}")
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
        print(f"BENCH pipeline_full_static/mediapipe {median_ms(lambda: pose.process(frame)):.2f}")
    print("MODELS " + os.path.join(os.path.dirname(mp.__file__), "modules"))


if __name__ == "__main__":
    main()
