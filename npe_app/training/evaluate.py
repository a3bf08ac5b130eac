"""Reconstruction quality of a model on held-out images, from the encoder alone."""

from __future__ import annotations

import torch
from tqdm import tqdm

from ..model.networks import GenerativeModel
from . import metrics
from .data import to_model_range, to_unit_range


@torch.no_grad()
def reconstruction_quality(
    model: GenerativeModel,
    images: torch.Tensor,
    batch_size: int = 100,
    progress: bool = False,
) -> dict:
    """MSE (pixels in [0, 1]), PSNR, SSIM and count over uint8 images (N, 3, H, W)."""
    model.eval()
    device = next(model.parameters()).device
    mse_values, ssim_values = [], []
    starts = range(0, len(images), batch_size)
    for start in tqdm(starts, desc="evaluating", disable=not progress, unit="batch"):
        x = to_model_range(images[start : start + batch_size]).to(device)
        original = to_unit_range(x)
        reconstruction = to_unit_range(model.reconstruct(x))
        mse_values.append(metrics.mse(original, reconstruction).cpu())
        ssim_values.append(metrics.ssim(original, reconstruction).cpu())
    return metrics.summarize(torch.cat(mse_values), torch.cat(ssim_values))
