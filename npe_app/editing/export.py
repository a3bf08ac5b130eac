"""Writing the edited photo: full resolution, atomically, and labelled as edited
with a generative model in metadata that PIL (and any EXIF viewer) reads back.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from . import checks
from .errors import EditError
from .photo import Photo

log = logging.getLogger(__name__)

SOFTWARE = "Neural Photo Editor"
DESCRIPTION = "Edited with a generative model (Neural Photo Editor, IAN latent editing)"
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
EXIF_DESCRIPTION, EXIF_SOFTWARE = 0x010E, 0x0131
# zlib level 1 writes a 12 MP photo in half the time of the default level 6, for
# files about 10 % larger (measured: 1.2 s and 23 MB against 2.4 s and 21 MB).
PNG_COMPRESS_LEVEL = 1
GREY_MODES = ("1", "L", "I", "I;16", "I;16L", "I;16B", "I;16N", "F")


def image_format(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise EditError(
            f"{path}: cannot save as {path.suffix or 'a file without suffix'!r}; "
            "use .png, .jpg, .jpeg or .webp"
        ) from None


def check_target(path: Path, original: Path | None, overwrite_original: bool) -> None:
    """Raise EditError unless path can be written without harming the opened file."""
    image_format(path)
    folder = path.parent
    if not folder.is_dir():
        raise EditError(f"{path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise EditError(f"{path}: the folder {folder} is not writable")
    if path.is_dir():
        raise EditError(f"{path}: is a folder")
    if original is not None and path.exists() and not overwrite_original:
        try:
            same = os.path.samefile(path, original)
        except OSError:
            same = False
        if same:
            raise EditError(f"{path}: refusing to write over the opened photo")


def _exif(photo: Photo, model_name: str | None) -> bytes:
    exif = Image.Exif()
    if photo.exif:
        try:
            exif.load(photo.exif)
        except Exception:  # noqa: BLE001 - a damaged EXIF block is dropped, not fatal
            log.warning("the EXIF data of %s is damaged and was not copied", photo.name)
            exif = Image.Exif()
    exif.pop(0x0112, None)
    exif[EXIF_SOFTWARE] = SOFTWARE
    exif[EXIF_DESCRIPTION] = _description(model_name)
    return exif.tobytes()


def _description(model_name: str | None) -> str:
    return DESCRIPTION + (f"; model {model_name}" if model_name else "")


def to_image(pixels: np.ndarray, photo: Photo, keep_alpha: bool) -> Image.Image:
    """The array as a PIL image, grey again if the file was grey and still is, with
    the file's alpha where the format keeps it."""
    grey = photo.source_mode in GREY_MODES and (
        np.array_equal(pixels[:, :, 0], pixels[:, :, 1])
        and np.array_equal(pixels[:, :, 0], pixels[:, :, 2])
    )
    if keep_alpha and photo.alpha is not None:
        if grey:
            return Image.fromarray(np.dstack([pixels[:, :, 0], photo.alpha]), "LA")
        return Image.fromarray(np.dstack([pixels, photo.alpha]), "RGBA")
    if grey:
        return Image.fromarray(np.ascontiguousarray(pixels[:, :, 0]), "L")
    return Image.fromarray(pixels, "RGB")


def encode_image(
    pixels: np.ndarray, photo: Photo, fmt: str, quality: int, model_name: str | None
) -> bytes:
    image = to_image(pixels, photo, keep_alpha=fmt in ("PNG", "WEBP"))
    options: dict = {"exif": _exif(photo, model_name)}
    if photo.icc_profile and image.mode in ("RGB", "RGBA"):
        options["icc_profile"] = photo.icc_profile
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Software", SOFTWARE)
        info.add_text("Description", _description(model_name))
        options.update(pnginfo=info, compress_level=PNG_COMPRESS_LEVEL)
    elif fmt == "JPEG":
        options.update(quality=quality, subsampling=0 if quality >= 90 else 2)
    else:
        options.update(quality=quality, method=4)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def write_atomic(path: Path, data: bytes) -> None:
    """Temp file in the same folder, then os.replace: readers never see half a file
    and a failure leaves the old file as it was."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        raise EditError(f"{path}: cannot write ({error.strerror or error})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_edited(
    pixels: np.ndarray,
    photo: Photo,
    path,
    quality: int = 95,
    overwrite_original: bool = False,
    model_path: Path | None = None,
) -> Path:
    """Save the rendered photo as PNG, JPEG or WebP (by suffix)."""
    path = Path(path)
    quality = checks.whole(quality, "quality", 1, 100)
    check_target(path, photo.path, overwrite_original)
    fmt = image_format(path)
    data = encode_image(
        pixels, photo, fmt, quality, model_path.name if model_path else None
    )
    write_atomic(path, data)
    log.info("saved %s (%s, %d bytes)", path, fmt, len(data))
    return path


def read_provenance(path) -> str | None:
    """The 'edited with a generative model' note of a saved file, if any."""
    with Image.open(path) as image:
        text = getattr(image, "text", {}) or {}
        if "Description" in text:
            return text["Description"]
        return image.getexif().get(EXIF_DESCRIPTION)
