"""The interpolation mask, the user's protect/force mask, and both composites.

At model size the editor follows the paper: output = X + M(G(z) - X), which is
X̂ + MΔ + (1 - M)(X - X̂). At full resolution only the model's CHANGE, Δ = G(z) - X̂,
is upsampled and added to the photo's own pixels where the upsampled mask is
non-zero (see docs/edit-transfer.md for why).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter

from .crop import CropBox

# Grid values of the user mask.
FREE, PROTECT, FORCE = 0, 1, 2
_CODES = {"clear": FREE, "protect": PROTECT, "force": FORCE}
# The original editor's blur of the mask.
DEFAULT_SIGMA = 0.7
# Share of the crop's side over which the mask fades out toward a crop side that lies
# inside the photo.
FEATHER_FRACTION = 0.1


@dataclass(frozen=True)
class MaskDab:
    """One square dab of the user mask, in photo pixels. The mask is kept as its
    dabs, not as a raster, so it can be drawn exactly at model size and at the full
    resolution, and an undo snapshot of it costs a tuple."""

    x: float
    y: float
    size: float
    mode: str  # "protect", "force" or "clear"


def _span(low: float, high: float, origin: float, step: float, side: int) -> range:
    """Grid cells whose centres origin + (i + 0.5) * step lie in [low, high)."""
    first = math.ceil((low - origin) / step - 0.5)
    stop = math.ceil((high - origin) / step - 0.5)
    if stop <= first:  # narrower than a cell: take the cell under the centre
        first = math.floor(((low + high) / 2 - origin) / step)
        stop = first + 1
    return range(max(first, 0), min(stop, side))


def user_grid(
    dabs, crop: CropBox, side: int, window: tuple[int, int, int, int] | None = None
) -> np.ndarray | None:
    """The user mask drawn on a side x side grid over the crop (model size, or the
    crop's own pixel size), as FREE/PROTECT/FORCE codes; later dabs win. window =
    (y0, y1, x0, x1) limits it to part of the grid. None when there are no dabs."""
    if not dabs:
        return None
    left, top, size = crop.pixels
    step = size / side
    y0, y1, x0, x1 = window or (0, side, 0, side)
    grid = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for dab in dabs:
        half = dab.size / 2
        cols = _span(dab.x - half, dab.x + half, left, step, side)
        rows = _span(dab.y - half, dab.y + half, top, step, side)
        r0, r1 = max(rows.start, y0), min(rows.stop, y1)
        c0, c1 = max(cols.start, x0), min(cols.stop, x1)
        if r0 < r1 and c0 < c1:
            grid[r0 - y0 : r1 - y0, c0 - x0 : c1 - x0] = _CODES[dab.mode]
    return grid


def apply_user(mask: np.ndarray, grid: np.ndarray | None) -> np.ndarray:
    if grid is not None:
        mask[grid == PROTECT] = 0.0
        mask[grid == FORCE] = 1.0
    return mask


def border_window(
    crop: CropBox, photo_size: tuple[int, int], side: int
) -> np.ndarray | None:
    """Weights (side, side) that fade the mask to zero toward every side of the crop
    that lies inside the photo; None when no side does.

    When a latent changes, Δ = G(z) - X̂ is non-zero across the whole crop, so the
    clipped mask is often 1 up to the crop's edge and the edit would stop at a hard
    straight line in the photo. A side at or past the photo's edge keeps full
    weight: nothing lies beyond it, and when the crop is the whole image (the
    paper's case) the mask is exactly the paper's.
    """
    left, top, size = crop.pixels
    width, height = photo_size
    cells = max(1, round(side * FEATHER_FRACTION))
    t = np.clip((np.arange(side) + 0.5) / cells, 0.0, 1.0)
    ramp = t * t * (3 - 2 * t)  # smoothstep: no kink where the fade ends
    across, down = np.ones(side), np.ones(side)
    if left > 0:
        across *= ramp
    if left + size < width:
        across *= ramp[::-1]
    if top > 0:
        down *= ramp
    if top + size < height:
        down *= ramp[::-1]
    if across.min() == 1 and down.min() == 1:
        return None
    return np.outer(down, across).astype(np.float32)


def interpolation_mask(
    delta: np.ndarray,
    sigma: float,
    grid: np.ndarray | None = None,
    window: np.ndarray | None = None,
) -> np.ndarray:
    """M in [0, 1] at model size from Δ (S, S, 3) in tanh units.

    As the original editor: blur(min(mean_c |Δ|, 1)). The mean of absolute values
    (not the absolute mean) also catches a change of hue at constant brightness,
    where the channels move in opposite directions; clipping before the blur keeps
    M in [0, 1] by construction. The border window (see border_window) applies
    before the user mask, so a forced cell stays forced.
    """
    mask = np.minimum(np.abs(delta).mean(axis=2), 1.0).astype(np.float32)
    if sigma > 0:
        mask = gaussian_filter(mask, sigma)
    mask = np.clip(mask, 0.0, 1.0)
    if window is not None:
        mask *= window
    return apply_user(mask, grid)


def composite(
    original: np.ndarray, generated: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """X + M(G - X) at model size; arrays in 0..255 units, uint8 result."""
    x = original.astype(np.float32)
    out = x + mask[:, :, None] * (generated - x)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def upsample_change(change: np.ndarray, size: int) -> np.ndarray:
    """Δ (S, S, 3) at the crop's pixel size, bicubic. For crops above 4x the model's
    size the last stretch is bilinear: a bicubic Δ at 4x is already smooth, and one
    bilinear pass to tens of megapixels costs half a bicubic one."""
    side = change.shape[0]
    if size < side:  # a crop smaller than the model's image
        return cv2.resize(change, (size, size), interpolation=cv2.INTER_AREA)
    step = min(size, 4 * side)
    change = cv2.resize(change, (step, step), interpolation=cv2.INTER_CUBIC)
    if step == size:
        return change
    return cv2.resize(change, (size, size), interpolation=cv2.INTER_LINEAR)


def upsample_mask(mask: np.ndarray, size: int) -> np.ndarray:
    """M at the crop's pixel size, bilinear: stays in [0, 1] and exactly zero
    wherever the cells around a pixel are zero."""
    interpolation = cv2.INTER_AREA if size < mask.shape[0] else cv2.INTER_LINEAR
    return np.clip(cv2.resize(mask, (size, size), interpolation=interpolation), 0, 1)


def transfer(
    region: np.ndarray, change: np.ndarray, mask: np.ndarray, crop: CropBox, dabs
) -> np.ndarray:
    """The crop's own pixels (size, size, 3) uint8 plus the upsampled change
    (S, S, 3, 0..255 units) times the upsampled mask. Where that mask is zero, or
    the user protected the pixel (drawn at full resolution), the pixel keeps its
    exact value: uint8 + 0.0 rounds back to itself."""
    if not mask.any():
        return region.copy()
    size = region.shape[0]
    weight = upsample_mask(mask, size)
    grid = user_grid(dabs, crop, size)
    if grid is not None:
        weight[grid == PROTECT] = 0.0
    edit = upsample_change(np.ascontiguousarray(change, np.float32), size)
    edit *= weight[:, :, None]
    # cv2.add rounds and saturates the float sum back to uint8 in one pass.
    return cv2.add(np.ascontiguousarray(region), edit, dtype=cv2.CV_8U)
