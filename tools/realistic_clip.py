#!/usr/bin/env python3
"""Builds a 640x480, 30 fps y4m clip of a realistic person for tools/bench_analyze.sh from the
committed e2e frames of tools/realbody (320x240 at 5 fps: circles, bridge, lying still), each
frame scaled up and shown for 6 video frames, with the clips' truth summed in OUT.json. Usage: realistic_clip.py FIXTURES_E2E OUT.y4m
(needs numpy and opencv, as in tools/requirements-reference.txt)."""
import glob
import json
import os
import sys

import cv2


def main():
    src, out = sys.argv[1], sys.argv[2]
    w, h, repeat = 640, 480, 6
    expected = {"circles_cw": 0, "circles_ccw": 0, "bridge_holds_s": []}
    with open(out + ".part", "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\n".encode())
        for clip in ["circles", "bridge", "still"]:
            truth = json.load(open(os.path.join(src, clip + ".json")))["expected"]
            for k in expected:
                expected[k] += truth[k]
            for path in sorted(glob.glob(os.path.join(src, clip, "*.jpg"))):
                bgr = cv2.resize(cv2.imread(path), (w, h), interpolation=cv2.INTER_LINEAR)
                yuv = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420).tobytes()
                for _ in range(repeat):
                    f.write(b"FRAME\n")
                    f.write(yuv)
    os.replace(out + ".part", out)
    json.dump({"expected": expected}, open(out.removesuffix(".y4m") + ".json", "w"))


if __name__ == "__main__":
    main()
