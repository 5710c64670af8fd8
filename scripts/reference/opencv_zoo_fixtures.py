#!/usr/bin/env python3
"""Reference values from OpenCV's own YuNet and SFace classes, for the ONNX engine parity test.

For every photo given, records what OpenCV (the opencv-python-headless wheel, whose
FaceDetectorYN loads the 2023mar YuNet that Debian's OpenCV 4.6 cannot) computes: YuNet's faces
at the photo's own size (score threshold 0.9, NMS 0.3), and for each face the SFace feature of
FaceRecognizerSF.alignCrop's crop, unnormalised, as OpenCV returns it. Photos are decoded with
Pillow, as face_recognition does, and handed to OpenCV as BGR. Likeness's shim
(Tests/Engine/ONNXParityTests.swift) must find the same faces and features.

Usage: .venv/bin/python scripts/reference/opencv_zoo_fixtures.py MODELS_DIR OUT.json PHOTO...
"""
import json
import os
import sys

import cv2
import numpy as np
from PIL import Image


def describe(path, detector, recognizer):
    rgb = np.array(Image.open(path).convert("RGB"))
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    height, width = bgr.shape[:2]
    detector.setInputSize((width, height))
    _, found = detector.detect(bgr)
    faces = []
    for row in found if found is not None else []:
        crop = recognizer.alignCrop(bgr, row)
        feature = recognizer.feature(crop)
        faces.append({
            "box": [float(v) for v in row[0:4]],
            "landmarks": [float(v) for v in row[4:14]],
            "score": float(row[14]),
            "feature": [float(v) for v in feature.flatten()],
        })
    return {"file": os.path.basename(path), "width": width, "height": height, "faces": faces}


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    models, out, photos = sys.argv[1], sys.argv[2], sys.argv[3:]
    detector = cv2.FaceDetectorYN.create(os.path.join(models, "face_detection_yunet_2023mar.onnx"), "", (320, 320),
                                         0.9, 0.3, 5000)
    recognizer = cv2.FaceRecognizerSF.create(os.path.join(models, "face_recognition_sface_2021dec.onnx"), "")
    records = [describe(p, detector, recognizer) for p in sorted(photos)]
    with open(out, "w") as f:
        json.dump({"generator": "opencv-python-headless " + cv2.__version__, "photos": records}, f, indent=1)
    print(f"{out}: {sum(len(r['faces']) for r in records)} faces in {len(records)} photos")


if __name__ == "__main__":
    main()
