#!/usr/bin/env python3
"""Times MediaPipe 0.10.14 (legacy mp.solutions.pose, model_complexity=1, tracking mode) over a
y4m clip at an analysis rate, as `supine analyze --fps N` does, and prints frames/s and the
real-time factor. Usage: bench_mediapipe_clip.py CLIP.y4m [FPS]"""
import sys
import time

import cv2
import mediapipe as mp
import numpy as np


def frames(path):
    with open(path, "rb") as f:
        hdr = f.readline().split()
        w = int(hdr[1][1:])
        h = int(hdr[2][1:])
        rate = [x for x in hdr if x.startswith(b"F")][0][1:].split(b":")
        fps = int(rate[0]) / int(rate[1])
        n = w * h * 3 // 2
        while f.readline():
            d = f.read(n)
            if len(d) < n:
                return
            yuv = np.frombuffer(d, np.uint8).reshape(h * 3 // 2, w)
            yield fps, yuv


def main():
    path = sys.argv[1]
    want = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    t0 = time.perf_counter()
    done = seen = total = 0
    nxt = 0.0
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
        for fps, yuv in frames(path):
            i = total
            total += 1
            if i + 1e-6 < nxt:
                continue
            nxt += max(fps / want, 1.0)
            rgb = cv2.cvtColor(yuv, cv2.COLOR_YUV2RGB_I420)
            if pose.process(rgb).pose_landmarks is not None:
                seen += 1
            done += 1
    wall = time.perf_counter() - t0
    video_s = total / fps
    print(f"mediapipe: {done} frames analysed of {total} ({video_s:.1f} s of video) in {wall:.1f} s: "
          f"{done / wall:.1f} frames/s, {video_s / wall:.2f}x real time, person in {seen}")


if __name__ == "__main__":
    main()
