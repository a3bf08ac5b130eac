"""The IAN's losses (paper section 3) and Orthogonal Regularization (section 3.5).

Reductions are means, so that the paper's weights (pixel 3, everything else 1) give
terms of comparable size: the KL is averaged over latent dimensions, not summed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# Class indices of the adversarial head.
REAL, GENERATED, RECONSTRUCTED = 0, 1, 2


def pixel_loss(x: torch.Tensor, reconstruction: torch.Tensor) -> torch.Tensor:
    """L1 between a photo and its reconstruction."""
    return (x - reconstruction).abs().mean()


def feature_loss(
    real_features: list[torch.Tensor], fake_features: list[torch.Tensor]
) -> torch.Tensor:
    """L2 between the discriminator's activations of x and of G(E(x)), summed over
    every convolutional layer. The real side is the target and gets no gradient."""
    return sum(
        F.mse_loss(fake, real.detach())
        for real, fake in zip(real_features, fake_features, strict=False)
    )


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)), averaged over the batch and latent dimensions."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).mean()


def _targets(logits: torch.Tensor, label: int) -> torch.Tensor:
    return torch.full((logits.shape[0],), label, dtype=torch.long, device=logits.device)


def discriminator_loss(
    real_logits: torch.Tensor,
    generated_logits: torch.Tensor,
    reconstructed_logits: torch.Tensor,
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    """-log D_real(x) - log D_gen(G(z)) - log D_rec(G(E(x))).

    With a binary head (two classes) both kinds of fake share the 'generated' label.
    """
    fake_for_rec = RECONSTRUCTED if real_logits.shape[1] == 3 else GENERATED

    def ce(logits: torch.Tensor, label: int) -> torch.Tensor:
        return F.cross_entropy(
            logits, _targets(logits, label), label_smoothing=label_smoothing
        )

    return (
        ce(real_logits, REAL)
        + ce(generated_logits, GENERATED)
        + ce(reconstructed_logits, fake_for_rec)
    )


def generator_adversarial_loss(
    generated_logits: torch.Tensor, reconstructed_logits: torch.Tensor
) -> torch.Tensor:
    """-log D_real(G(z)) - log D_real(G(E(x)))."""
    return F.cross_entropy(generated_logits, _targets(generated_logits, REAL)) + (
        F.cross_entropy(reconstructed_logits, _targets(reconstructed_logits, REAL))
    )


def orthogonal_regularization(weights: list[torch.Tensor]) -> torch.Tensor:
    """Sum over weight banks of sum |W W^T - I|, W reshaped to (out, in*k*k)."""
    total = None
    # An MDC block stores its banks stacked as (banks, out, in, k, k).
    matrices = [b for w in weights for b in (w if w.dim() == 5 else [w])]
    for w in matrices:
        w = w.flatten(1)
        gram = w @ w.t()
        eye = torch.eye(gram.shape[0], device=w.device, dtype=w.dtype)
        term = (gram - eye).abs().sum()
        total = term if total is None else total + term
    if total is None:
        return torch.zeros(())
    return total


def weight_banks(module: nn.Module) -> list[torch.Tensor]:
    """The convolution filter banks that Orthogonal Regularization acts on.

    Linear layers are left out: the generator's projection has more outputs than
    inputs, so W W^T can never be the identity there."""
    from .mdc import MDCBlock

    banks: list[torch.Tensor] = []
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            banks.append(m.weight)
        elif isinstance(m, MDCBlock):
            banks.append(m.weight)
    return banks
