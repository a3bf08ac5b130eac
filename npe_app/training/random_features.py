"""A feature-wise reconstruction error measured in a fixed, randomly initialised
convolutional network.

The paper measures feature-wise L2 distance in the final layer of a DenseNet trained
to classify CelebA attributes. No pretrained weights can be fetched here and the data
has no attribute labels, so we use a network that no model ever trains against: its
weights are drawn once from a seeded generator and never change. Random
convolutional features are a documented perceptual baseline (random-weight networks
in the LPIPS study of Zhang et al. 2018; texture synthesis with random shallow
networks, Ustyuzhaninov et al. 2017): they respond to local structure such as edges
and texture rather than to per-pixel intensity, which is the part of image similarity
that the pixel error misses. They know nothing about faces, so this column measures
structure, not identity or attributes.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# (output channels, stride) per 3x3 layer: 32x32 inputs end as 4x4 maps.
LAYERS = ((32, 1), (64, 2), (128, 2), (256, 2))
DEFAULT_SEED = 2017


class RandomFeatureNet(nn.Module):
    """3x3 convolutions with ReLU, He-scaled Gaussian weights from a fixed seed.

    No batch norm: its statistics would depend on the images measured. The weights
    come from a private generator, so building the net does not disturb (or depend
    on) the global random state, and every process gets identical weights.
    """

    def __init__(self, seed: int = DEFAULT_SEED) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.convs = nn.ModuleList()
        c_in = 3
        for c_out, stride in LAYERS:
            conv = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1)
            std = math.sqrt(2.0 / (c_in * 9))
            with torch.no_grad():
                conv.weight.copy_(
                    torch.randn(conv.weight.shape, generator=generator) * std
                )
                conv.bias.zero_()
            conv.requires_grad_(False)
            self.convs.append(conv)
            c_in = c_out
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Final-layer features of images in [-1, 1]."""
        for conv in self.convs:
            x = F.relu(conv(x))
        return x


@torch.no_grad()
def feature_distance(
    net: RandomFeatureNet, a: torch.Tensor, b: torch.Tensor
) -> torch.Tensor:
    """Per-image squared L2 distance between final-layer features, (N,).

    Each position's feature vector is scaled to unit length first (as LPIPS does), so
    the arbitrary scale of random weights cancels: 0 for identical images, at most 4.
    """
    fa = F.normalize(net(a), dim=1, eps=1e-8)
    fb = F.normalize(net(b), dim=1, eps=1e-8)
    return (fa - fb).pow(2).sum(1).flatten(1).mean(1)


@torch.no_grad()
def pooled_features(
    net: RandomFeatureNet, images: torch.Tensor, batch_size: int = 250
) -> torch.Tensor:
    """One vector per image (final-layer channels averaged over positions), (N, C)."""
    return torch.cat(
        [
            net(images[start : start + batch_size]).mean((2, 3))
            for start in range(0, len(images), batch_size)
        ]
    )


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two sets of feature vectors.

    This is the FID formula (Heusel et al. 2017) in our random features rather than
    in Inception's: it compares the whole distribution of samples with that of real
    photos, so it measures sample quality and variety, where the reconstruction
    errors cannot. trace(sqrt(Ca Cb)) is computed as the sum of the square roots of
    the eigenvalues of sqrt(Ca) Cb sqrt(Ca), which is symmetric, in float64.
    """
    a, b = a.double(), b.double()
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    values, vectors = torch.linalg.eigh(cov_a)
    root_a = vectors @ torch.diag(values.clamp(min=0).sqrt()) @ vectors.T
    cross = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp(min=0).sqrt().sum()
    distance = (mean_a - mean_b).pow(2).sum() + cov_a.trace() + cov_b.trace()
    return float(distance - 2 * cross)
