"""Helpers the editing tests share (imported as `editing_helpers`)."""

import numpy as np
import torch

# Inside the 96x80 test photo, twice the tiny model's 32 pixels.
CROP_LTS = (16, 8, 64)


def photo_pixels(width=96, height=80) -> np.ndarray:
    """A smooth synthetic photo: every pixel differs from its neighbours, so a
    changed pixel is always visible in a comparison."""
    y, x = np.mgrid[0:height, 0:width]
    return np.dstack([x * 2, y * 3, (x + y) % 256]).astype(np.uint8)


def make_lively(model):
    """The tiny model with a louder output layer: a random generator's image sits
    near grey, and the tests need edits that move pixels visibly."""
    with torch.no_grad():
        model.generator.to_rgb[1].weight.mul_(30)
    return model
