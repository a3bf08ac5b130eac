"""The square crop of the photo that the model sees, and the mapping between photo
pixels, the crop's own pixels and the model's pixels.

The crop may reach past the photo's edges (a face near the border still gets the
training framing); the missing part is filled by repeating the edge pixels, which
the encoder tolerates far better than black bars.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from .errors import EditError


@dataclass(frozen=True)
class CropBox:
    """A square in photo pixels; may extend past the photo edges."""

    left: float
    top: float
    size: float

    def snapped(self) -> CropBox:
        """The same box on whole pixels: the full-resolution composite works on
        whole pixels, so the engine keeps only snapped boxes."""
        return CropBox(
            float(round(self.left)),
            float(round(self.top)),
            float(max(1, round(self.size))),
        )

    def check(self, photo_size: tuple[int, int]) -> CropBox:
        """Raise EditError unless the box is finite, positive and overlaps the
        photo; returns the snapped box."""
        values = (self.left, self.top, self.size)
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            raise EditError(f"crop {values}: values must be finite numbers")
        width, height = photo_size
        if not 1 <= self.size <= 4 * max(width, height):
            raise EditError(
                f"crop size {self.size:g} must be between 1 and "
                f"{4 * max(width, height)} pixels for a {width}x{height} photo"
            )
        box = self.snapped()
        if (
            box.left >= width
            or box.top >= height
            or box.left + box.size <= 0
            or box.top + box.size <= 0
        ):
            raise EditError(
                f"crop {box.left:g},{box.top:g},{box.size:g} lies outside the "
                f"{width}x{height} photo"
            )
        return box

    @property
    def pixels(self) -> tuple[int, int, int]:
        """(left, top, size) as whole pixels."""
        box = self.snapped()
        return int(box.left), int(box.top), int(box.size)

    def visible(self, photo_size: tuple[int, int]) -> tuple[slice, slice, slice, slice]:
        """(photo rows, photo cols, crop rows, crop cols): the part of the crop that
        lies inside the photo, as slices into the photo and into the crop."""
        left, top, size = self.pixels
        width, height = photo_size
        x0, y0 = max(left, 0), max(top, 0)
        x1, y1 = min(left + size, width), min(top + size, height)
        return (
            slice(y0, y1),
            slice(x0, x1),
            slice(y0 - top, y1 - top),
            slice(x0 - left, x1 - left),
        )

    def to_model(self, x: float, y: float, image_size: int) -> tuple[float, float]:
        """Photo pixel coordinates -> model pixel coordinates (continuous, pixel
        centres at +0.5)."""
        left, top, size = self.pixels
        scale = image_size / size
        return (x - left) * scale, (y - top) * scale

    def model_scale(self, image_size: int) -> float:
        """Model pixels per photo pixel."""
        return image_size / self.pixels[2]


def crop_pixels(pixels: np.ndarray, crop: CropBox) -> np.ndarray:
    """The crop's region at its own pixel size, edges repeated where it leaves the
    photo. Works for (H, W) and (H, W, C) arrays."""
    left, top, size = crop.pixels
    height, width = pixels.shape[:2]
    rows, cols, crop_rows, crop_cols = crop.visible((width, height))
    inside = pixels[rows, cols]
    if inside.shape[:2] == (size, size):
        return inside
    pad = (
        crop_rows.start,
        size - crop_rows.stop,
        crop_cols.start,
        size - crop_cols.stop,
    )
    return cv2.copyMakeBorder(
        np.ascontiguousarray(inside), *pad, borderType=cv2.BORDER_REPLICATE
    )


def model_input(pixels: np.ndarray, crop: CropBox, image_size: int) -> np.ndarray:
    """The crop resized to the model's size with Lanczos, the filter the training
    data was made with, as uint8 (S, S, 3)."""
    region = crop_pixels(pixels, crop)
    if region.shape[0] == image_size:
        return np.ascontiguousarray(region)
    image = Image.fromarray(np.ascontiguousarray(region))
    return np.asarray(image.resize((image_size, image_size), Image.Resampling.LANCZOS))


def centred_square(photo_size: tuple[int, int]) -> CropBox:
    """The largest centred square: the fallback when no face is found."""
    width, height = photo_size
    side = min(width, height)
    return CropBox(float((width - side) // 2), float((height - side) // 2), float(side))
