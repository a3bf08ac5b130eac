"""Gradient steps on the latent vector: the colour brush, lighten/darken, and the
optional refinement of an encoding.

Speed matters most here (one step per mouse move, 16 ms budget on a laptop CPU), so:
the model's parameters do not require gradients, so backward only runs through to
z; and the forward pass that displays the new G(z) is kept with its graph, so the
next brush step only needs the backward pass.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from .errors import EditError

COLOR_RATE = 0.05  # the original editor's step sizes, times (1 + patch width)
LIGHTEN_RATE = 0.1
# Threads for one brush step on the CPU. A batch of one 64x64 image gains little
# from a second thread, and when the cores are busy (a training run, the window's
# own drawing) OpenMP threads waiting on each other made steps 5-10x slower in our
# measurements. NPE_EDIT_THREADS overrides.
EDIT_THREADS = int(os.environ.get("NPE_EDIT_THREADS", "1") or 1)


@contextmanager
def step_threads(device: torch.device) -> Iterator[None]:
    """Run the enclosed torch work on EDIT_THREADS CPU threads, then restore."""
    if device.type != "cpu" or EDIT_THREADS < 1:
        yield
        return
    before = torch.get_num_threads()
    if before == EDIT_THREADS:
        yield
        return
    torch.set_num_threads(EDIT_THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def prepare_model(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """Inference mode on the device; the weights stop tracking gradients."""
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model.to(device)


def pick_device(requested: str | torch.device | None) -> torch.device:
    """The requested device, else CUDA, else Apple's MPS, else the CPU."""
    if requested is not None:
        try:
            return torch.device(requested)
        except RuntimeError as error:
            raise EditError(f"device {requested!r}: {error}") from None
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


class Patch:
    """Where a brush dab acts on the model image, and how much each pixel counts."""

    def __init__(self, cx: float, cy: float, width: float, side: int, brush: str):
        w = max(1, min(side, round(width)))
        self.width = w
        if brush == "square":
            # The original's hard square, shifted to stay inside the image.
            x0 = min(max(round(cx - w / 2), 0), side - w)
            y0 = min(max(round(cy - w / 2), 0), side - w)
            self.rows, self.cols = slice(y0, y0 + w), slice(x0, x0 + w)
            self.weights = None
            return
        # Soft: a Gaussian of sigma w/2 over a window of 2w, cut at the image edge.
        x0, x1 = max(math.floor(cx - w), 0), min(math.ceil(cx + w), side)
        y0, y1 = max(math.floor(cy - w), 0), min(math.ceil(cy + w), side)
        x0, y0 = min(x0, side - 1), min(y0, side - 1)
        x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
        self.rows, self.cols = slice(y0, y1), slice(x0, x1)
        ys = torch.arange(y0, y1, dtype=torch.float32) + 0.5 - cy
        xs = torch.arange(x0, x1, dtype=torch.float32) + 0.5 - cx
        sigma = w / 2
        weights = torch.exp(-(ys[:, None] ** 2 + xs[None, :] ** 2) / (2 * sigma**2))
        self.weights = weights / weights.sum()

    def of(self, image: torch.Tensor) -> torch.Tensor:
        """image (1, 3, S, S) -> the patch (3, h, w)."""
        return image[0, :, self.rows, self.cols]

    def mean_squared(self, image: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        error = (self.of(image) - target.view(3, 1, 1)) ** 2
        if self.weights is None:
            return error.mean()
        return (error.mean(dim=0) * self.weights.to(image.device)).sum()

    def mean(self, image: torch.Tensor) -> torch.Tensor:
        if self.weights is None:
            return self.of(image).mean()
        return (self.of(image).mean(dim=0) * self.weights.to(image.device)).sum()


class LatentImage:
    """G(z) for the current z, with the graph kept for the next gradient step."""

    def __init__(self, model: torch.nn.Module, device: torch.device) -> None:
        self.model = model
        self.device = device
        self._z: torch.Tensor | None = None  # leaf on device, requires grad
        self._image: torch.Tensor | None = None  # G(_z), graph attached

    def _forward(self, z: torch.Tensor) -> None:
        leaf = z.detach().to(self.device, torch.float32).view(1, -1)
        leaf.requires_grad_(True)
        with torch.enable_grad(), step_threads(self.device):
            self._image = self.model.generate(leaf)
        self._z = leaf

    def image(self, z: torch.Tensor) -> torch.Tensor:
        """G(z), (3, S, S) on the CPU, tanh units."""
        if self._z is None or not torch.equal(self._z.detach().cpu().view(-1), z):
            self._forward(z)
        return self._image.detach()[0].cpu()

    def step(
        self, z: torch.Tensor, loss: Callable[[torch.Tensor], torch.Tensor], rate: float
    ) -> torch.Tensor:
        """z - rate * d loss(G(z)) / dz, on the CPU; G of the result is cached."""
        self.image(z)
        with torch.enable_grad(), step_threads(self.device):
            (grad,) = torch.autograd.grad(loss(self._image), self._z)
        new_z = (self._z.detach() - rate * grad).view(-1).cpu()
        self._forward(new_z)
        return new_z


def color_step(
    images: LatentImage,
    z: torch.Tensor,
    patch: Patch,
    rgb: tuple[int, int, int],
    strength: float,
) -> tuple[torch.Tensor, float]:
    """One colour-brush step; (new z, milliseconds)."""
    start = time.perf_counter()
    target = torch.tensor(rgb, dtype=torch.float32, device=images.device) / 127.5 - 1
    rate = COLOR_RATE * strength * (1 + patch.width)
    new_z = images.step(z, lambda image: patch.mean_squared(image, target), rate)
    return new_z, (time.perf_counter() - start) * 1000


def lighten_step(
    images: LatentImage, z: torch.Tensor, patch: Patch, amount: float
) -> tuple[torch.Tensor, float]:
    """One lighten (amount > 0) or darken (amount < 0) step; (new z, milliseconds)."""
    start = time.perf_counter()
    rate = LIGHTEN_RATE * amount * (1 + patch.width)
    new_z = images.step(z, lambda image: -patch.mean(image), rate)
    return new_z, (time.perf_counter() - start) * 1000


def encode(model, device: torch.device, x: torch.Tensor) -> torch.Tensor:
    """Posterior mean of q(z|x) for x (3, S, S) in tanh units; (z_size,) on CPU."""
    with torch.no_grad(), step_threads(device):
        mu, _ = model.encode(x.to(device).unsqueeze(0))
    return mu[0].cpu()


def refine(
    model,
    device: torch.device,
    x: torch.Tensor,
    z0: torch.Tensor,
    steps: int,
    progress: Callable[[int, int, float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    rate: float = 0.02,
) -> tuple[torch.Tensor, float, int]:
    """Adam steps on z lowering the mean squared reconstruction error against x.
    Adam moves each latent by about `rate` per step at most, which bounds the walk.
    Written out here rather than torch.optim.Adam, whose first step costs over a
    second of lazy imports. Returns (best z, its error, steps done); stops early,
    keeping the best so far, when cancelled."""
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    target = x.to(device).unsqueeze(0)
    z = z0.detach().to(device).view(1, -1).clone()
    moment, second = torch.zeros_like(z), torch.zeros_like(z)
    best_z, best_error, done = z0.clone(), math.inf, 0
    with torch.enable_grad(), step_threads(device):
        for step in range(steps + 1):
            z.requires_grad_(True)
            loss = torch.mean((model.generate(z) - target) ** 2)
            error = float(loss.detach())
            if error < best_error:
                best_z, best_error = z.detach().view(-1).cpu().clone(), error
            if step == steps or (cancelled is not None and cancelled()):
                break
            (grad,) = torch.autograd.grad(loss, z)
            moment = beta1 * moment + (1 - beta1) * grad
            second = beta2 * second + (1 - beta2) * grad**2
            t = step + 1
            scale = (second / (1 - beta2**t)).sqrt() + eps
            z = (z.detach() - rate * (moment / (1 - beta1**t)) / scale).detach()
            done = t
            if progress is not None:
                progress(done, steps, best_error)
    return best_z, best_error, done
