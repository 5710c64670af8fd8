#!/usr/bin/env python3
"""The reference pipeline: what an ingest with the Python `face_recognition` package costs.

For every image file under the given folder (recursively), as face_recognition's own examples
do: load_image_file, face_locations (HOG, upsample 1), face_encodings (its defaults:
num_jitters=1, the 5-point "small" landmark model). Sequential, one process. Prints one JSON object: images, faces, failed, seconds, images_per_second.

Usage: .venv/bin/python scripts/reference/reference_ingest.py FOLDER
"""
import importlib.metadata
import json
import os
import sys
import time

import face_recognition

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp"}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    files = sorted(
        os.path.join(folder, name)
        for folder, _, names in os.walk(sys.argv[1])
        for name in names
        if os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS
    )
    images = faces = failed = 0
    started = time.perf_counter()
    for path in files:
        try:
            image = face_recognition.load_image_file(path)
            locations = face_recognition.face_locations(image, number_of_times_to_upsample=1, model="hog")
            encodings = face_recognition.face_encodings(image, locations, num_jitters=1, model="small")
            images += 1
            faces += len(encodings)
        except Exception as error:  # a file the reference cannot read counts as failed, as in Likeness
            failed += 1
            print(f"{path}: {error}", file=sys.stderr)
    seconds = time.perf_counter() - started
    print(json.dumps({"pipeline": "face_recognition " + importlib.metadata.version("face_recognition"), "images": images,
                      "faces": faces, "failed": failed, "seconds": round(seconds, 3),
                      "images_per_second": round((images + failed) / seconds, 3)}))


if __name__ == "__main__":
    main()
