"""Image grids as in the paper's figures: samples, and originals beside their
reconstructions and the interpolations between them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..model.networks import GenerativeModel
from .data import to_model_range, to_unit_range


def save_grid(
    images: torch.Tensor, path: str | Path, columns: int, pad: int = 2
) -> None:
    """Tile (N, 3, H, W) images in [-1, 1] into one PNG, row by row."""
    images = to_unit_range(images.detach().cpu())
    n, _, h, w = images.shape
    rows = (n + columns - 1) // columns
    canvas = np.full(
        (rows * (h + pad) + pad, columns * (w + pad) + pad, 3), 255, np.uint8
    )
    pixels = (images.permute(0, 2, 3, 1).numpy() * 255 + 0.5).astype(np.uint8)
    for i in range(n):
        r, c = divmod(i, columns)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        canvas[y : y + h, x : x + w] = pixels[i]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(canvas).save(path)


@torch.no_grad()
def sample_images(model: GenerativeModel, n: int, seed: int = 0) -> torch.Tensor:
    model.eval()
    device = next(model.parameters()).device
    z = torch.randn(
        n, model.config.z_size, generator=torch.Generator().manual_seed(seed)
    )
    return model.generate(z.to(device))


@torch.no_grad()
def reconstruction_rows(
    model: GenerativeModel, images: torch.Tensor, steps: int = 6
) -> torch.Tensor:
    """For consecutive pairs (a, b) of uint8 images: a, G(E(a)), the interpolations
    between the two latents, G(E(b)), b. Returns the rows concatenated."""
    model.eval()
    device = next(model.parameters()).device
    x = to_model_range(images).to(device)
    mu = model.encode(x)[0]
    rows = []
    for i in range(0, len(x) - 1, 2):
        weights = torch.linspace(0, 1, steps, device=device).view(-1, 1)
        z = (1 - weights) * mu[i] + weights * mu[i + 1]
        rows.append(torch.cat([x[i : i + 1], model.generate(z), x[i + 1 : i + 2]]))
    return torch.cat(rows)
