#!/usr/bin/env python3
"""Runs the reference MediaPipe pose (0.10.14, legacy `mp.solutions.pose`, model_complexity=1,
static image mode, fully offline) on the parity fixtures and writes their landmarks as JSON.

Fixtures: every PNG in crates/supine-vision/tests/fixtures/synth (committed renders of
supine-synth) and, when a photos folder is given, the photos listed in PHOTOS below, each upright
and turned 90 degrees clockwise (people lying down). The photos come from Debian's opencv-doc
package and are not committed; .ci/run extracts them (see tools/fetch_photos.sh).

    /var/tmp/supine-venv-mp/bin/pip install -r tools/requirements-reference.txt
    tools/fetch_photos.sh /var/tmp/supine-photos
    /var/tmp/supine-venv-mp/bin/python tools/mediapipe_reference.py /var/tmp/supine-photos

Output: crates/supine-vision/tests/fixtures/mediapipe_reference.json
"""
import glob
import json
import os
import sys

import cv2
import mediapipe as mp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYNTH = os.path.join(ROOT, "crates/supine-vision/tests/fixtures/synth")
OUT = os.path.join(ROOT, "crates/supine-vision/tests/fixtures/mediapipe_reference.json")
# (file in opencv-doc's examples/data, turns to test)
PHOTOS = [
    ("messi5.jpg", [0, 90]),
    ("basketball1.png", [0, 90]),
    ("basketball2.png", [0, 90]),
    ("fruits.jpg", [0]),
    ("building.jpg", [0]),
]


def run(pose, bgr):
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    res = pose.process(rgb)
    entry = {"width": w, "height": h, "found": res.pose_landmarks is not None}
    if res.pose_landmarks is not None:
        entry["landmarks"] = [
            [round(l.x * w, 3), round(l.y * h, 3), round(l.z, 5), round(l.visibility, 4),
             round(l.presence, 4)]
            for l in res.pose_landmarks.landmark
        ]
    return entry


def main():
    photos_dir = sys.argv[1] if len(sys.argv) > 1 else None
    images = []
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1,
                                enable_segmentation=False) as pose:
        for path in sorted(glob.glob(os.path.join(SYNTH, "*.png"))):
            e = {"source": "synth", "file": os.path.basename(path), "turn": 0}
            e.update(run(pose, cv2.imread(path, cv2.IMREAD_COLOR)))
            images.append(e)
        if photos_dir:
            for name, turns in PHOTOS:
                bgr = cv2.imread(os.path.join(photos_dir, name), cv2.IMREAD_COLOR)
                if bgr is None:
                    sys.exit(f"cannot read {name} in {photos_dir}")
                for turn in turns:
                    img = bgr if turn == 0 else cv2.rotate(bgr, cv2.ROTATE_90_CLOCKWISE)
                    e = {"source": "photos", "file": name, "turn": turn}
                    e.update(run(pose, img))
                    images.append(e)
    for e in images:
        print(f"{e['source']}/{e['file']} turn {e['turn']}: {'found' if e['found'] else 'nobody'}")
    doc = {
        "reference": "mediapipe==0.10.14 mp.solutions.pose, model_complexity=1, static_image_mode=True",
        "landmark_format": "[x_px, y_px, z, visibility, presence] x 33",
        "images": images,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
