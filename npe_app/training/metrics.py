"""Reconstruction quality on images in [0, 1]: MSE, PSNR and SSIM."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image mean squared error, (N,)."""
    return (a - b).pow(2).flatten(1).mean(1)


def psnr_db(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB for a peak of 1, (N,)."""
    return 10.0 * torch.log10(1.0 / mse(a, b).clamp_min(1e-10))


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float64) - size // 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).float()


def ssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image SSIM (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5,
    K1 0.01, K2 0.03), averaged over channels and valid positions, (N,)."""
    channels = a.shape[1]
    window = _gaussian_window().to(a).expand(channels, 1, 11, 11)

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, window, groups=channels)

    c1, c2 = 0.01**2, 0.03**2
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    score = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    )
    return score.flatten(1).mean(1)


def summarize(mse_values: torch.Tensor, ssim_values: torch.Tensor) -> dict:
    """The figures `eval` reports: PSNR is the mean of per-image PSNRs."""
    psnr_values = 10.0 * torch.log10(1.0 / mse_values.clamp_min(1e-10))
    return {
        "n_images": int(mse_values.numel()),
        "mse": float(mse_values.mean()),
        "psnr_db": float(psnr_values.mean()),
        "ssim": float(ssim_values.mean()),
    }


def psnr_from_mse(value: float) -> float:
    return 10.0 * math.log10(1.0 / max(value, 1e-10))
