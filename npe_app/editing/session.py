"""One photo being edited: the crop, the latents, the reconstruction, the history.

Everything the window does to a photo goes through an EditSession. Each operation
is one gradient step or one change and lands in the undo history; the images the
window shows are computed from the current state on request and cached.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from . import checks
from .crop import CropBox, crop_pixels, model_input
from .errors import EditError
from .face import find_face
from .history import EditState, History, Step
from .latent import (
    LatentImage,
    Patch,
    color_step,
    encode,
    lighten_step,
    pick_device,
    prepare_model,
    step_threads,
)
from .latent import refine as refine_latent
from .mask import (
    DEFAULT_SIGMA,
    MaskDab,
    border_window,
    composite,
    interpolation_mask,
    transfer,
    user_grid,
)
from .photo import Photo, open_photo

log = logging.getLogger(__name__)

MAX_REFINE_STEPS = 10_000


def to_pixels(image: torch.Tensor) -> np.ndarray:
    """(3, S, S) tanh units -> (S, S, 3) float32 in 0..255 units."""
    return ((image.permute(1, 2, 0).numpy() + 1.0) * 127.5).astype(np.float32)


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """(S, S, 3) uint8 -> (3, S, S) float32 in tanh units."""
    return torch.tensor(image).permute(2, 0, 1).float() / 127.5 - 1.0


def to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


class EditSession:
    """The state of one edit, and every operation on it (see docs/engine-api.md)."""

    def __init__(
        self,
        model,
        photo: Photo,
        crop: CropBox | None = None,
        device: str | torch.device | None = None,
    ) -> None:
        self.notice: str | None = None
        if crop is None:
            model_size = int(model.config.image_size)
            crop, self.notice = find_face(photo, model_size)
        self._setup(model, photo, crop, device)
        z0 = self._encode(photo.pixels)
        self._state = EditState(photo.pixels, z0, z0.clone())
        self._saved = self._state  # what the last save (or the load) holds

    def _setup(self, model, photo: Photo, crop: CropBox, device) -> None:
        self.device = pick_device(device)
        self.model = prepare_model(model, self.device)
        self.image_size = int(model.config.image_size)
        self.z_size = int(model.config.z_size)
        self._photo = photo
        self.crop = crop.check(photo.size)
        self._mask_sigma = DEFAULT_SIGMA
        self._images = LatentImage(self.model, self.device)
        self._history = History()
        self._stroke: tuple[EditState, list[dict], str] | None = None
        self._cache: dict[str, tuple] = {}
        self.model_path: Path | None = None  # set by callers that know the file

    @classmethod
    def from_file(cls, path, model, crop: CropBox | None = None, device=None):
        return cls(model, open_photo(path), crop, device)

    # ---- state --------------------------------------------------------------------

    @property
    def photo(self) -> Photo:
        """The photo as edited now: the opened file, or the last committed result."""
        if self._photo.pixels is not self._state.pixels:
            return dataclasses.replace(self._photo, pixels=self._state.pixels)
        return self._photo

    @property
    def original_photo(self) -> Photo:
        """The photo as opened."""
        return self._photo

    @property
    def z0(self) -> torch.Tensor:
        return self._state.z0.clone()

    @property
    def z(self) -> torch.Tensor:
        return self._state.z.clone()

    @property
    def sample_mode(self) -> bool:
        return self._state.sample_mode

    @property
    def user_mask_dabs(self) -> tuple[MaskDab, ...]:
        return self._state.user_mask

    @property
    def mask_sigma(self) -> float:
        return self._mask_sigma

    @mask_sigma.setter
    def mask_sigma(self, value: float) -> None:
        value = checks.number(value, "mask sigma")
        if not 0 <= value <= 10:
            raise EditError(f"mask sigma {value:g} is out of range (0..10)")
        self._mask_sigma = value

    @property
    def can_undo(self) -> bool:
        return bool(self._history.done) or self._stroke_changed()

    @property
    def can_redo(self) -> bool:
        return bool(self._history.undone)

    @property
    def history_labels(self) -> list[str]:
        return self._history.labels

    @property
    def history(self) -> History:
        return self._history

    # ---- derived images -----------------------------------------------------------

    def _cached(self, key: str, deps: tuple, compute: Callable):
        hit = self._cache.get(key)
        if (
            hit is not None
            and len(hit[0]) == len(deps)
            and all(a is b for a, b in zip(hit[0], deps, strict=True))
        ):
            return hit[1]
        value = compute()
        self._cache[key] = (deps, value)
        return value

    def _input(self, pixels: np.ndarray) -> np.ndarray:
        """The crop of pixels at model size, uint8."""
        return self._cached(
            "input", (pixels,), lambda: model_input(pixels, self.crop, self.image_size)
        )

    def _encode(self, pixels: np.ndarray) -> torch.Tensor:
        x = self._input(pixels)
        return encode(self.model, self.device, to_tensor(x))

    def _input_tensor(self) -> torch.Tensor:
        return to_tensor(self._input(self._state.pixels))

    def _reconstruction(self) -> np.ndarray:
        """X̂ = G(z0), (S, S, 3) float32, 0..255 units."""
        z0 = self._state.z0
        return self._cached("xhat", (z0,), lambda: to_pixels(self._generate_once(z0)))

    def _generate_once(self, z: torch.Tensor) -> torch.Tensor:
        with torch.no_grad(), step_threads(self.device):
            return self.model.generate(z.to(self.device).view(1, -1))[0].cpu()

    def _generated(self) -> np.ndarray:
        """G(z), (S, S, 3) float32, 0..255 units."""
        z = self._state.z
        return self._cached("gz", (z,), lambda: to_pixels(self._images.image(z)))

    def _mask(self) -> np.ndarray:
        state = self._state

        def compute() -> np.ndarray:
            if state.sample_mode:
                return np.ones((self.image_size,) * 2, np.float32)
            delta = (self._generated() - self._reconstruction()) / 127.5
            grid = user_grid(state.user_mask, self.crop, self.image_size)
            window = border_window(self.crop, self._photo.size, self.image_size)
            return interpolation_mask(delta, self._mask_sigma, grid, window)

        return self._cached(
            "mask",
            (state.z, state.z0, state.user_mask, state.sample_mode, self._mask_sigma),
            compute,
        )

    def model_view(self) -> np.ndarray:
        """The edited image at model size: G(z) in sample mode, else the paper's
        X̂ + MΔ + (1 - M)(X - X̂)."""
        if self._state.sample_mode:
            return to_uint8(self._generated())
        original = self._input(self._state.pixels)
        return composite(original, self._generated(), self._mask())

    def reconstruction_view(self) -> np.ndarray:
        return to_uint8(self._reconstruction())

    def original_view(self) -> np.ndarray:
        return self._input(self._state.pixels).copy()

    def mask(self) -> np.ndarray:
        return self._mask().copy()

    def render_crop(self) -> np.ndarray:
        """The edited crop at the crop's own pixel size (edges repeated where the crop
        leaves the photo)."""
        state = self._state

        def compute() -> np.ndarray:
            region = crop_pixels(state.pixels, self.crop)
            size = region.shape[0]
            if state.sample_mode:
                return to_uint8(_resize(self._generated(), size))
            change = self._generated() - self._reconstruction()
            return transfer(region, change, self._mask(), self.crop, state.user_mask)

        return self._cached(
            "crop",
            (
                state.pixels,
                state.z,
                state.z0,
                state.user_mask,
                state.sample_mode,
                self._mask_sigma,
            ),
            compute,
        ).copy()

    def render(self) -> np.ndarray:
        """The edited photo at full resolution: a copy of the photo with only the
        crop's visible part recomputed."""
        out = self._state.pixels.copy()
        rows, cols, crop_rows, crop_cols = self.crop.visible(self._photo.size)
        out[rows, cols] = self.render_crop()[crop_rows, crop_cols]
        return out

    # ---- recording ----------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        """Changed since the last save or the load: undoing back to the saved state
        makes the session clean again, as in any editor."""
        return self._stroke_changed() or not self._state.same_as(self._saved)

    def _stroke_changed(self) -> bool:
        return self._stroke is not None and not self._stroke[0].same_as(self._state)

    def _change(self, state: EditState, label: str, ops: list[dict]) -> None:
        """Move to state, as one undo step or as part of the open stroke."""
        before = self._state
        self._state = state
        if self._stroke is not None:
            self._stroke[1].extend(ops)
            return
        if not before.same_as(state):
            self._history.record(Step(label, before, state, ops))

    def begin_stroke(self, label: str = "Stroke") -> None:
        """Everything until end_stroke() is one undo step."""
        self.end_stroke()
        self._stroke = (self._state, [], label)

    def end_stroke(self) -> None:
        if self._stroke is None:
            return
        before, ops, label = self._stroke
        self._stroke = None
        if ops and not before.same_as(self._state):
            label = _stroke_label(ops, label)
            self._history.record(Step(label, before, self._state, ops))

    # ---- operations ---------------------------------------------------------------

    def _patch(self, x: float, y: float, size: float, brush: str) -> Patch | None:
        """The brush patch in model pixels, or None when the dab misses the crop."""
        x = checks.number(x, "x")
        y = checks.number(y, "y")
        size = checks.size(size, checks.size_limit(self._photo.size))
        left, top, side = self.crop.pixels
        half = size / 2
        if (
            x + half <= left
            or x - half >= left + side
            or y + half <= top
            or y - half >= top + side
        ):
            return None
        mx, my = self.crop.to_model(x, y, self.image_size)
        width = size * self.crop.model_scale(self.image_size)
        return Patch(mx, my, width, self.image_size, brush)

    def paint(
        self,
        x,
        y,
        color: tuple[int, int, int],
        size: float,
        strength: float = 1.0,
        brush: str = "square",
    ) -> float:
        """One colour-brush gradient step at photo point (x, y); returns its time in
        ms (0 when the dab misses the crop)."""
        rgb = checks.color(color)
        strength = checks.strength(strength)
        brush = checks.brush(brush)
        patch = self._patch(x, y, size, brush)
        if patch is None:
            return 0.0
        z, ms = color_step(self._images, self._state.z, patch, rgb, strength)
        op = {
            "op": "stroke",
            "points": [[float(x), float(y)]],
            "color": list(rgb),
            "size": float(size),
        }
        if strength != 1.0:
            op["strength"] = strength
        if brush != "square":
            op["brush"] = brush
        self._change(dataclasses.replace(self._state, z=z), "Paint", [op])
        return ms

    def lighten(self, x, y, size, amount: float = 1.0) -> float:
        """One lighten step (amount < 0 darkens) at photo point (x, y); ms."""
        amount = checks.amount(amount)
        patch = self._patch(x, y, size, "square")
        if patch is None:
            return 0.0
        z, ms = lighten_step(self._images, self._state.z, patch, amount)
        name = "lighten" if amount > 0 else "darken"
        op = {"op": name, "points": [[float(x), float(y)]], "size": float(size)}
        if abs(amount) != 1.0:
            op["amount"] = abs(amount)
        self._change(dataclasses.replace(self._state, z=z), name.capitalize(), [op])
        return ms

    def set_latents(self, indices: Sequence[int], values: Sequence[float]) -> None:
        if len(indices) != len(values):
            raise EditError("set_latents needs as many values as indices")
        pairs = [
            checks.latent(i, v, self.z_size)
            for i, v in zip(indices, values, strict=True)
        ]
        z = self._state.z.clone()
        for index, value in pairs:
            z[index] = value
        ops = [{"op": "latent", "index": i, "value": v} for i, v in pairs]
        self._change(dataclasses.replace(self._state, z=z), "Latent", ops)

    def sample(self, seed: int) -> None:
        """A random z from the prior, seeded; shows G(z) directly (sample mode)."""
        seed = checks.seed(seed)
        generator = torch.Generator().manual_seed(seed)
        z = torch.randn(self.z_size, generator=generator)
        state = dataclasses.replace(self._state, z=z, sample_mode=True)
        self._change(state, "Sample", [{"op": "sample", "seed": seed}])

    def reset(self) -> None:
        """Back to the loaded or last committed photo (z = z0, photo mode)."""
        state = dataclasses.replace(
            self._state, z=self._state.z0.clone(), sample_mode=False
        )
        self._change(state, "Reset", [{"op": "reset"}])

    def commit(self) -> None:
        """'Update': the edited photo becomes the photo, and is encoded again."""
        pixels = self.render()
        z0 = self._encode(pixels)
        state = EditState(pixels, z0, z0.clone(), False, self._state.user_mask)
        self._change(state, "Update", [{"op": "commit"}])

    def undo(self) -> bool:
        self.end_stroke()
        step = self._history.undo()
        if step is None:
            return False
        self._state = step.before
        return True

    def redo(self) -> bool:
        self.end_stroke()
        step = self._history.redo()
        if step is None:
            return False
        self._state = step.after
        return True

    def refine(
        self,
        steps: int = 50,
        progress: Callable[[int, int, float], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> float:
        """Gradient steps on z0 lowering the reconstruction error; keeps the best z0
        found (also when cancelled) and carries current edits along (z moves with
        z0). One undo step. Returns the mean squared error in tanh units."""
        steps = checks.whole(steps, "steps", 1, MAX_REFINE_STEPS)
        state = self._state
        z0, error, done = refine_latent(
            self.model,
            self.device,
            self._input_tensor(),
            state.z0,
            steps,
            progress,
            cancelled,
        )
        z = state.z if state.sample_mode else z0 + (state.z - state.z0)
        self._change(
            dataclasses.replace(state, z0=z0, z=z),
            "Refine",
            [{"op": "refine", "steps": done}],
        )
        return error

    def paint_user_mask(self, x, y, size, mode: str) -> None:
        """Protect (M = 0), force (M = 1) or clear a square of the user mask."""
        mode = checks.mask_mode(mode)
        x, y = checks.number(x, "x"), checks.number(y, "y")
        size = checks.size(size, checks.size_limit(self._photo.size))
        dabs = (*self._state.user_mask, MaskDab(x, y, size, mode))
        op = {"op": "mask", "points": [[x, y]], "size": size, "mode": mode}
        self._change(dataclasses.replace(self._state, user_mask=dabs), "Mask", [op])

    def clear_user_mask(self) -> None:
        state = dataclasses.replace(self._state, user_mask=())
        self._change(state, "Clear mask", [{"op": "clear_mask"}])

    def operations(self) -> list[dict]:
        """Stroke-list operations that replay the current state from the opened
        photo: the ops of every step on the undo stack, consecutive dabs of one
        step merged, so each replayed stroke is again one undo step."""
        self.end_stroke()
        return [op for step in self._history.done for op in merge_ops(step.ops)]

    # ---- files --------------------------------------------------------------------

    def save_image(
        self, path, quality: int = 95, overwrite_original: bool = False
    ) -> Path:
        from .export import save_edited

        saved = save_edited(
            self.render(),
            self._photo,
            path,
            quality,
            overwrite_original,
            self.model_path,
        )
        self._saved = self._state
        return saved

    def save_project(self, path) -> Path:
        from .project import save_project

        self.end_stroke()
        saved = save_project(self, path)
        self._saved = self._state
        return saved

    @classmethod
    def load_project(cls, path, model, device=None) -> EditSession:
        from .project import load_project

        return load_project(cls, path, model, device)

    @classmethod
    def restore(
        cls,
        model,
        photo: Photo,
        crop: CropBox,
        state: EditState,
        history: History,
        mask_sigma: float,
        device=None,
    ) -> EditSession:
        """A session in a given state without encoding anything (project files)."""
        session = cls.__new__(cls)
        session.notice = None
        session._setup(model, photo, crop, device)
        session.mask_sigma = mask_sigma
        session._history = history
        session._state = state
        session._saved = state  # just opened: nothing to save yet
        return session


def _resize(image: np.ndarray, size: int) -> np.ndarray:
    import cv2

    if image.shape[0] == size:
        return image
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_CUBIC)


def _stroke_label(ops: list[dict], fallback: str) -> str:
    names = {
        "stroke": "Paint",
        "lighten": "Lighten",
        "darken": "Darken",
        "latent": "Latent",
        "mask": "Mask",
    }
    kinds = {op["op"] for op in ops}
    if len(kinds) == 1:
        return names.get(next(iter(kinds)), fallback)
    return fallback


def merge_ops(ops: list[dict]) -> list[dict]:
    """Consecutive point operations with the same settings become one operation
    with several points."""
    merged: list[dict] = []
    for op in ops:
        last = merged[-1] if merged else None
        if (
            last is not None
            and "points" in op
            and "points" in last
            and {k: v for k, v in last.items() if k != "points"}
            == {k: v for k, v in op.items() if k != "points"}
        ):
            last["points"] = last["points"] + op["points"]
        else:
            merged.append(
                {k: (list(v) if isinstance(v, list) else v) for k, v in op.items()}
            )
    return merged
