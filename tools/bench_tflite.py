#!/usr/bin/env python3
"""Times the original TF Lite models under TF Lite + XNNPACK (what MediaPipe runs them on), one
thread, per inference. Args: the npm package folder or MediaPipe's modules folder. Prints
`BENCH <model>/mediapipe <median ms>` lines. Run by tools/bench.sh."""
import os
import statistics
import sys
import time

import numpy as np
import tensorflow as tf

WARMUP, ITERS = 5, 40


def find(root, name):
    for dirpath, _, files in os.walk(root):
        if name in files:
            return os.path.join(dirpath, name)
    return None


def main():
    roots = sys.argv[1:]
    models = [("detector", "pose_detection.tflite"), ("lite", "pose_landmark_lite.tflite"),
              ("full", "pose_landmark_full.tflite")]
    rng = np.random.default_rng(1)
    for label, name in models:
        path = next((p for p in (find(r, name) for r in roots) if p), None)
        if path is None:
            print(f"# {name} not found in {roots}", file=sys.stderr)
            continue
        interp = tf.lite.Interpreter(model_path=path, num_threads=1)
        interp.allocate_tensors()
        inp = interp.get_input_details()[0]
        interp.set_tensor(inp["index"], rng.uniform(0, 1, inp["shape"]).astype(np.float32))
        for _ in range(WARMUP):
            interp.invoke()
        times = []
        for _ in range(ITERS):
            t = time.perf_counter()
            interp.invoke()
            times.append((time.perf_counter() - t) * 1000)
        print(f"BENCH {label}/mediapipe {statistics.median(times):.2f}")


if __name__ == "__main__":
    main()
