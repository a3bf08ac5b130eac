"""Opening a photo file of any common format and colour mode as 8-bit RGB.

Every failure becomes one EditError line naming the file. Huge images are refused
from the header alone, before any pixels are decoded (decompression bombs).
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import EditError

log = logging.getLogger(__name__)

# Above any camera a desktop user has (a 100 MP RGB photo is 300 MB decoded), far
# below what would exhaust memory. PIL's own limit is lower and only warns, so we
# apply ours from the header and silence PIL's warning.
MAX_PIXELS = 100_000_000
# A file this large cannot be a photo we accept, whatever it claims in its header.
MAX_FILE_BYTES = 1024**3
FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF")


@dataclass
class Photo:
    """A photo as the engine edits it: 8-bit RGB with EXIF orientation applied."""

    pixels: np.ndarray  # (H, W, 3) uint8 RGB
    path: Path | None = None
    source_mode: str = "RGB"  # PIL mode of the file
    alpha: np.ndarray | None = None  # (H, W) uint8, kept on PNG/WebP save
    exif: bytes | None = None  # with the orientation tag removed (already applied)
    icc_profile: bytes | None = field(default=None, repr=False)  # RGB profiles only

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return self.pixels.shape[1], self.pixels.shape[0]

    @property
    def name(self) -> str:
        return str(self.path) if self.path is not None else "photo"


def _check_file(path: Path) -> None:
    try:
        if not path.exists():
            raise EditError(f"{path}: no such file")
        if path.is_dir():
            raise EditError(f"{path}: is a folder, not a photo")
        size = path.stat().st_size
    except PermissionError:
        raise EditError(f"{path}: cannot be read (permission denied)") from None
    if size == 0:
        raise EditError(f"{path}: the file is empty")
    if size > MAX_FILE_BYTES:
        raise EditError(f"{path}: {size / 1e9:.1f} GB is too large for a photo")
    if not os.access(path, os.R_OK):
        raise EditError(f"{path}: cannot be read (permission denied)")


def _to_rgb(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """(RGB uint8, alpha or None) for every mode PIL decodes."""
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16-bit grey (PNG opens as "I"): keep the top 8 bits of the full range.
        grey = np.asarray(image, dtype=np.float64)
        grey = np.clip(np.rint(grey / 257.0), 0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2), None
    if mode == "F":
        grey = np.asarray(image, dtype=np.float64)
        finite = grey[np.isfinite(grey)]
        scale = 255.0 if finite.size and finite.max() <= 1.0 else 1.0
        grey = np.clip(np.nan_to_num(grey * scale), 0, 255).round().astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2), None
    has_alpha = (
        mode in ("RGBA", "LA", "PA", "RGBa", "La")
        or (mode == "P" and "transparency" in image.info)
        or (mode in ("L", "RGB") and "transparency" in image.info)
    )
    rgba = image.convert("RGBA" if has_alpha else "RGB")
    array = np.asarray(rgba)
    if has_alpha:
        rgb, alpha = array[:, :, :3], array[:, :, 3]
        return np.ascontiguousarray(rgb), np.ascontiguousarray(alpha)
    return np.ascontiguousarray(array), None


def _rgb_profile(image: Image.Image) -> bytes | None:
    """The embedded ICC profile if it describes RGB: a CMYK or grey profile would be
    wrong on the RGB file we write."""
    profile = image.info.get("icc_profile")
    if isinstance(profile, bytes) and len(profile) > 20 and profile[16:20] == b"RGB ":
        return profile
    return None


def _exif_without_orientation(image: Image.Image) -> bytes | None:
    exif = image.getexif()
    if not exif:
        return None
    exif.pop(0x0112, None)  # orientation: already applied to the pixels
    return exif.tobytes()


def open_photo(path: str | os.PathLike) -> Photo:
    """Read a photo; raises EditError with one line naming the file and problem."""
    path = Path(path)
    _check_file(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=FORMATS) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise EditError(
                        f"{path}: {width}x{height} is {width * height / 1e6:.0f} "
                        f"megapixels, above the limit of {MAX_PIXELS // 10**6}"
                    )
                source_mode = image.mode
                image.load()
                upright = ImageOps.exif_transpose(image)
                pixels, alpha = _to_rgb(upright)
                exif = _exif_without_orientation(upright)
                profile = _rgb_profile(image)
    except EditError:
        raise
    except Image.DecompressionBombError:
        raise EditError(
            f"{path}: the image is too large (above {MAX_PIXELS // 10**6} megapixels)"
        ) from None
    except UnidentifiedImageError:
        raise EditError(f"{path}: not an image file this editor can read") from None
    except PermissionError:
        raise EditError(f"{path}: cannot be read (permission denied)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise EditError(
            f"{path}: the file is truncated or corrupt ({detail})"
        ) from None
    if pixels.shape[0] < 1 or pixels.shape[1] < 1:
        raise EditError(f"{path}: the image has no pixels")
    log.debug("opened %s: %dx%d %s", path, width, height, source_mode)
    return Photo(pixels, path, source_mode, alpha, exif, profile)
