"""Project files: one zip holding JSON (crop, model identity, latents, user mask,
history) and PNGs (the opened photo and every committed version of it).

No pickle anywhere: a project from a stranger is read as JSON and PNG only, with
size limits on every member before it is decompressed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from . import checks
from .crop import CropBox
from .errors import EditError
from .export import PNG_COMPRESS_LEVEL, write_atomic
from .history import EditState, History, Step
from .mask import MaskDab
from .photo import MAX_PIXELS, Photo

log = logging.getLogger(__name__)

FORMAT = "npe-project"
VERSION = 1
MANIFEST = "project.json"
MAX_MANIFEST_BYTES = 64 * 1024**2
MAX_MEMBER_BYTES = 1024**3
MAX_PHOTOS = 1000


# ---- model identity ---------------------------------------------------------------


def config_hash(model) -> str:
    return hashlib.sha256(model.config.to_json().encode()).hexdigest()


def weights_hash(model) -> str:
    """sha256 over every tensor of the model, in name order: identifies the weights
    whichever file they came from."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def file_hash(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def model_identity(model, path: Path | None) -> dict:
    identity = {
        "config_sha256": config_hash(model),
        "weights_sha256": weights_hash(model),
    }
    if path is not None:
        identity.update(file=Path(path).name, file_sha256=file_hash(Path(path)))
    return identity


# ---- writing ----------------------------------------------------------------------


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def _b64(data: bytes | None) -> str | None:
    return base64.b64encode(data).decode("ascii") if data else None


def _index(items: list, item) -> int:
    """Position of this very object in items, appended if new: states and photos
    shared between history steps are written once."""
    for i, known in enumerate(items):
        if known is item:
            return i
    items.append(item)
    return len(items) - 1


def save_project(session, path) -> Path:
    """Write the session's whole state, history included, atomically."""
    path = Path(path)
    if not path.parent.is_dir():
        raise EditError(f"{path}: the folder {path.parent} does not exist")
    history: History = session.history
    photo: Photo = session.original_photo
    pixels: list[np.ndarray] = [photo.pixels]
    states: list[EditState] = []

    def step_json(step: Step) -> dict:
        return {
            "label": step.label,
            "before": _index(states, step.before),
            "after": _index(states, step.after),
            "ops": step.ops,
        }

    current = _index(states, session._state)  # noqa: SLF001 - its own module
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "photo": {
            "file": photo.path.name if photo.path else None,
            "source_mode": photo.source_mode,
            "exif": _b64(photo.exif),
            "icc_profile": _b64(photo.icc_profile),
        },
        "crop": [session.crop.left, session.crop.top, session.crop.size],
        "model": model_identity(session.model, session.model_path),
        "mask_sigma": session.mask_sigma,
        "done": [step_json(s) for s in history.done],
        "undone": [step_json(s) for s in history.undone],
        "current": current,
    }
    manifest["states"] = [
        {
            "photo": _index(pixels, s.pixels),
            "z0": s.z0.tolist(),
            "z": s.z.tolist(),
            "sample_mode": s.sample_mode,
            "user_mask": [[d.x, d.y, d.size, d.mode] for d in s.user_mask],
        }
        for s in states
    ]
    manifest["photos"] = [f"photos/{i}.png" for i in range(len(pixels))]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(MANIFEST, json.dumps(manifest), zipfile.ZIP_DEFLATED)
        for name, array in zip(manifest["photos"], pixels, strict=True):
            archive.writestr(name, _png(array), zipfile.ZIP_STORED)
        if photo.alpha is not None:
            archive.writestr("photos/alpha.png", _png(photo.alpha), zipfile.ZIP_STORED)
    write_atomic(path, buffer.getvalue())
    log.info("saved project %s (%d steps)", path, len(history.done))
    return path


# ---- reading ----------------------------------------------------------------------


class _Reader:
    """Checked access to the members of one project zip; every problem becomes an
    EditError naming the file."""

    def __init__(self, path: Path, archive: zipfile.ZipFile) -> None:
        self.path, self.archive = path, archive

    def fail(self, problem: str) -> EditError:
        return EditError(f"{self.path}: bad project file ({problem})")

    def read(self, name: str, limit: int) -> bytes:
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            raise self.fail(f"{name} is missing") from None
        if info.file_size > limit:
            raise self.fail(f"{name} is too large")
        try:
            return self.archive.read(info)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            raise self.fail(f"{name} is damaged: {error}") from None

    def image(self, name: str, mode: str, size: tuple[int, int] | None) -> np.ndarray:
        data = self.read(name, MAX_MEMBER_BYTES)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                    if image.width * image.height > MAX_PIXELS:
                        raise self.fail(f"{name} is larger than {MAX_PIXELS} pixels")
                    if image.mode != mode or (size and image.size != size):
                        raise self.fail(f"{name} has the wrong size or mode")
                    return np.asarray(image.convert(mode)).copy()
        except EditError:
            raise
        except Exception as error:  # noqa: BLE001 - any decoder failure is one line
            raise self.fail(f"{name} is not a readable PNG ({error})") from None


def _need(reader: _Reader, ok: bool, what: str) -> None:
    if not ok:
        raise reader.fail(what)


def _latent(reader: _Reader, values, z_size: int, what: str) -> torch.Tensor:
    _need(
        reader,
        isinstance(values, list) and len(values) == z_size,
        f"{what} must hold {z_size} numbers",
    )
    try:
        numbers = [checks.number(v, what) for v in values]
    except EditError as error:
        raise reader.fail(str(error)) from None
    return torch.tensor(numbers, dtype=torch.float32)


def _dabs(reader: _Reader, values) -> tuple[MaskDab, ...]:
    _need(reader, isinstance(values, list), "user_mask must be a list")
    dabs = []
    for item in values:
        _need(reader, isinstance(item, list) and len(item) == 4, "bad user mask dab")
        try:
            x, y, size = (checks.number(v, "user mask") for v in item[:3])
            dabs.append(MaskDab(x, y, size, checks.mask_mode(item[3])))
        except EditError as error:
            raise reader.fail(str(error)) from None
    return tuple(dabs)


def load_project(cls, path, model, device=None):
    """Reopen a project in the state it was saved, history included."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "no such file"
        raise EditError(f"{path}: {what}")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        detail = getattr(error, "strerror", None) or "not a project file"
        raise EditError(f"{path}: {detail}") from None
    with archive:
        reader = _Reader(path, archive)
        try:
            manifest = json.loads(reader.read(MANIFEST, MAX_MANIFEST_BYTES))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise reader.fail(f"{MANIFEST} is not valid JSON: {error}") from None
        return _restore(cls, reader, manifest, model, device)


def _restore(cls, reader: _Reader, manifest, model, device):
    _need(
        reader,
        isinstance(manifest, dict) and manifest.get("format") == FORMAT,
        "not a Neural Photo Editor project",
    )
    _need(
        reader,
        manifest.get("version") == VERSION,
        f"version {manifest.get('version')!r} is not supported",
    )
    try:
        identity, info = manifest["model"], manifest["photo"]
        photo_names, state_list = manifest["photos"], manifest["states"]
        crop_values, sigma = manifest["crop"], manifest["mask_sigma"]
        done, undone = manifest["done"], manifest["undone"]
        current = manifest["current"]
    except (KeyError, TypeError) as error:
        raise reader.fail(f"missing field {error}") from None
    _need(
        reader,
        isinstance(identity, dict) and isinstance(info, dict),
        "model and photo must be objects",
    )
    if identity.get("config_sha256") != config_hash(model):
        name = identity.get("file") or "another model"
        raise EditError(
            f"{reader.path}: the project was made with {name}, whose settings differ "
            "from the model in use"
        )
    notice = None
    if identity.get("weights_sha256") != weights_hash(model):
        source = identity.get("file") or "an unknown file"
        notice = f"The project was made with other weights ({source}): edits may differ"
        log.warning("%s: %s", reader.path, notice)
    _need(
        reader,
        isinstance(photo_names, list) and 1 <= len(photo_names) <= MAX_PHOTOS,
        "photos must be a non-empty list",
    )
    first = reader.image(str(photo_names[0]), "RGB", None)
    size = (first.shape[1], first.shape[0])
    pixels = [first] + [reader.image(str(n), "RGB", size) for n in photo_names[1:]]
    alpha = None
    if "photos/alpha.png" in reader.archive.namelist():
        alpha = reader.image("photos/alpha.png", "L", size)
    try:
        exif = base64.b64decode(info["exif"]) if info.get("exif") else None
        icc = base64.b64decode(info["icc_profile"]) if info.get("icc_profile") else None
    except (ValueError, TypeError):
        raise reader.fail("photo metadata is not base64") from None
    file_name = info.get("file")
    photo = Photo(
        first,
        Path(file_name) if isinstance(file_name, str) else None,
        str(info.get("source_mode", "RGB")),
        alpha,
        exif,
        icc,
    )
    z_size = int(model.config.z_size)
    _need(reader, isinstance(state_list, list) and state_list, "no states")
    states = []
    for item in state_list:
        _need(reader, isinstance(item, dict), "a state must be an object")
        index = item.get("photo")
        _need(
            reader,
            isinstance(index, int) and 0 <= index < len(pixels),
            "a state names a missing photo",
        )
        states.append(
            EditState(
                pixels[index],
                _latent(reader, item.get("z0"), z_size, "z0"),
                _latent(reader, item.get("z"), z_size, "z"),
                bool(item.get("sample_mode", False)),
                _dabs(reader, item.get("user_mask", [])),
            )
        )

    def state(index) -> EditState:
        _need(
            reader,
            isinstance(index, int) and 0 <= index < len(states),
            "history names a missing state",
        )
        return states[index]

    def steps(items) -> list[Step]:
        _need(reader, isinstance(items, list), "history must be a list")
        out = []
        for item in items:
            _need(
                reader,
                isinstance(item, dict) and isinstance(item.get("ops"), list),
                "bad history step",
            )
            out.append(
                Step(
                    str(item.get("label", "Edit")),
                    state(item.get("before")),
                    state(item.get("after")),
                    item["ops"],
                )
            )
        return out

    history = History()
    history.done, history.undone = steps(done), steps(undone)
    try:
        crop = CropBox(*(checks.number(v, "crop") for v in crop_values))
        sigma = checks.number(sigma, "mask sigma")
        session = cls.restore(
            model, photo, crop, state(current), history, sigma, device
        )
    except (EditError, TypeError) as error:
        raise reader.fail(str(error)) from None
    session.notice = notice
    return session
