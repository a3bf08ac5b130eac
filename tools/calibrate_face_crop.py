"""Measure how the face detector's box relates to the training crop.

Runs npe_app.editing.face.detect_faces (the same code the editor uses) on aligned
training-framed face images (e.g. the faces128 validation shard), each padded with
grey by its own width on every side and upscaled, so the detector sees a whole
head in a larger picture as in a real photo. Prints the medians that
npe_app/editing/face.py uses as CROP_PER_FACE, FACE_CENTRE_X and FACE_CENTRE_Y.

    python tools/calibrate_face_crop.py PATH/faces128/valid.tar --limit 1000
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from npe_app.editing.face import detect_faces  # noqa: E402


def images(shard: str, limit: int):
    with tarfile.open(shard) as tar:
        for count, member in enumerate(m for m in tar if m.isfile()):
            if count >= limit:
                return
            data = tar.extractfile(member).read()
            yield np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def measure(image: np.ndarray, scale: int) -> tuple[float, float, float] | None:
    """(crop side / box side, box centre x / side, box centre y / side) or None."""
    side = image.shape[0]
    padded = cv2.copyMakeBorder(
        image, side, side, side, side, cv2.BORDER_CONSTANT, value=(128, 128, 128)
    )
    big = cv2.resize(padded, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    origin, crop = side * scale, side * scale
    for x, y, w, h in detect_faces(big):
        cx, cy = x + w / 2 - origin, y + h / 2 - origin
        if 0 <= cx < crop and 0 <= cy < crop:  # the face in the image, not the padding
            return crop / w, cx / crop, cy / crop
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shard", help="tar of training-framed face images")
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--scale", type=int, default=4)
    args = parser.parse_args()
    found = [
        m
        for m in (measure(i, args.scale) for i in images(args.shard, args.limit))
        if m is not None
    ]
    values = np.array(found)
    result = {
        "images": args.limit,
        "detected": len(found),
        "CROP_PER_FACE": round(float(np.median(values[:, 0])), 3),
        "FACE_CENTRE_X": round(float(np.median(values[:, 1])), 3),
        "FACE_CENTRE_Y": round(float(np.median(values[:, 2])), 3),
        "iqr": [np.percentile(v, [25, 75]).round(3).tolist() for v in values.T],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
