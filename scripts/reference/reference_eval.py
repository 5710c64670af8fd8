#!/usr/bin/env python3
"""Templates of a labelled photo set computed by the reference `face_recognition` pipeline,
for `likeness eval LABELS --templates OUT.json`, so both pipelines are scored by the same code.

For each photo in LABELS.jsonl: load_image_file, face_locations (HOG, upsample 1), and the
encoding of the largest face (num_jitters=1, 5-point model): face_recognition's defaults.

Usage: .venv/bin/python scripts/reference/reference_eval.py LABELS.jsonl OUT.json
"""
import importlib.metadata
import json
import os
import sys
import time

import face_recognition


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    labels, out = sys.argv[1], sys.argv[2]
    folder = os.path.dirname(os.path.abspath(labels))
    photos = {}
    started = time.perf_counter()
    with open(labels) as lines:
        for line in lines:
            if not line.strip():
                continue
            name = json.loads(line)["file"]
            image = face_recognition.load_image_file(os.path.join(folder, name))
            locations = face_recognition.face_locations(image, number_of_times_to_upsample=1, model="hog")
            template = None
            if locations:
                largest = max(locations, key=lambda l: (l[2] - l[0]) * (l[1] - l[3]))
                template = [float(v) for v in face_recognition.face_encodings(image, [largest], model="small")[0]]
            photos[name] = {"faces": len(locations), "template": template}
    seconds = time.perf_counter() - started
    pipeline = "face_recognition " + importlib.metadata.version("face_recognition")
    with open(out, "w") as f:
        json.dump({"pipeline": pipeline, "seconds_per_photo": seconds / max(1, len(photos)), "photos": photos}, f)


if __name__ == "__main__":
    main()
