#!/usr/bin/env python3
"""Reference values from the Python `face_recognition` package, for the engine parity test.

For every photo given, records what face_recognition computes with its defaults for HOG
detection (upsample 1), the 5-point "small" landmark model and num_jitters=1: the raw dlib
rectangles, the 5 landmarks and the 128-d descriptors. Likeness's engine must reproduce them
within 1e-4 per component (Tests/Engine/ReferenceParityTests.swift).

Usage: .venv/bin/python scripts/reference/face_recognition_fixtures.py OUT.json PHOTO...
"""
import importlib.metadata
import json
import os
import sys

import face_recognition
from face_recognition import api


def describe(path):
    image = face_recognition.load_image_file(path)
    rects = api._raw_face_locations(image, number_of_times_to_upsample=1, model="hog")
    shapes = api._raw_face_landmarks(image, face_locations=None, model="small")
    encodings = face_recognition.face_encodings(image, num_jitters=1, model="small")
    assert len(rects) == len(shapes) == len(encodings)
    faces = []
    for rect, shape, encoding in zip(rects, shapes, encodings):
        faces.append({
            "box": [rect.left(), rect.top(), rect.right(), rect.bottom()],
            "landmarks": [[shape.part(i).x, shape.part(i).y] for i in range(shape.num_parts)],
            "descriptor": [float(v) for v in encoding],
        })
    height, width = image.shape[:2]
    return {"file": os.path.basename(path), "width": width, "height": height, "faces": faces}


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, photos = sys.argv[1], sys.argv[2:]
    records = [describe(p) for p in sorted(photos)]
    with open(out, "w") as f:
        json.dump({"generator": "face_recognition " + importlib.metadata.version("face_recognition"),
                   "photos": records}, f, indent=1)
    print(f"{out}: {sum(len(r['faces']) for r in records)} faces in {len(records)} photos")


if __name__ == "__main__":
    main()
