"""Finding the face and framing it the way the training data was framed.

The detector is OpenCV's frontal-face Haar cascade, which ships inside the
opencv-python wheel: nothing is downloaded. It returns a box around the face; the
constants below turn that box into the square the model was trained on (CelebA's
aligned images centre-cropped to x 35..143, y 55..163 of 178x218).
"""

from __future__ import annotations

import logging
from functools import lru_cache

import cv2
import numpy as np

from .crop import CropBox, centred_square

log = logging.getLogger(__name__)

# Measured with tools/calibrate_face_crop.py: detect_faces() below run on the 1000
# faces128 validation images (training framing), each padded with grey by its own
# width on every side and upscaled 4x so the detector sees a head in a larger
# picture; medians over the 695 images with a detection (interquartile ranges
# 0.98-1.11, 0.49-0.51, 0.62-0.65):
#   crop side / detected box side, and the box centre's position in the crop as a
#   fraction of the crop side (the box sits low: it spans brows to mouth).
CROP_PER_FACE = 1.041
FACE_CENTRE_X = 0.5
FACE_CENTRE_Y = 0.634

# The cascade only needs a few hundred pixels; detecting on a reduced copy keeps a
# 12-megapixel photo under 100 ms.
DETECT_SIDE = 640
NO_FACE = "No face found: using the centred square"


@lru_cache(maxsize=1)
def _cascade() -> cv2.CascadeClassifier:
    path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():  # a broken OpenCV install; the editor still works
        log.warning("the face detector %s could not be loaded", path)
    return cascade


def detect_faces(pixels: np.ndarray) -> list[tuple[float, float, float, float]]:
    """Face boxes (x, y, w, h) in the photo's pixels, largest first."""
    height, width = pixels.shape[:2]
    scale = min(1.0, DETECT_SIDE / max(width, height))
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    grey = cv2.equalizeHist(grey)
    cascade = _cascade()
    if cascade.empty() or min(grey.shape) < 24:
        return []
    min_side = max(24, min(grey.shape) // 10)
    found = cascade.detectMultiScale(
        grey, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side)
    )
    boxes = [tuple(float(v) / scale for v in box) for box in found]
    return sorted(boxes, key=lambda b: b[2] * b[3], reverse=True)


def crop_for_face(box: tuple[float, float, float, float]) -> CropBox:
    """The training-framed square for one detected face box."""
    x, y, w, h = box
    side = w * CROP_PER_FACE
    centre_x, centre_y = x + w / 2, y + h / 2
    return CropBox(
        centre_x - FACE_CENTRE_X * side, centre_y - FACE_CENTRE_Y * side, side
    ).snapped()


def find_face(photo, image_size: int) -> tuple[CropBox, str | None]:
    """(crop, notice): the largest face framed like the training data, or the
    centred square and a notice when no face is found. Never fails."""
    try:
        boxes = detect_faces(photo.pixels)
    except cv2.error as error:  # pragma: no cover - OpenCV internal failure
        log.warning("face detection failed: %s", error)
        boxes = []
    if not boxes:
        return centred_square(photo.size).snapped(), NO_FACE
    crop = crop_for_face(boxes[0])
    if crop.size < image_size:
        log.info("the face is only %d pixels wide; the model upsamples", crop.size)
    return crop, None
