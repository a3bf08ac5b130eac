"""The networks of the Introspective Adversarial Network and its VAE/GAN baseline.

Images are (B, 3, H, W) tensors in [-1, 1]; latents are (B, z_size).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .config import ModelConfig
from .mdc import MDCBlock


def _levels(image_size: int) -> int:
    """Number of 2x upsamplings from the 4x4 seed to the full image."""
    return int(math.log2(image_size // 4))


class Generator(nn.Module):
    """Latent -> 4x4 map -> (upsample, 5x5 or MDC 5d2, BN, ReLU)* -> 5x5 conv -> tanh.

    Upsample-then-convolve instead of transposed convolutions: it avoids the
    checkerboard artefacts that earlier experiments here showed.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        levels = _levels(config.image_size)
        # Channels at each resolution: the widest at 4x4, halving, g_width last.
        widths = [config.g_width * 2 ** min(levels - 1 - i, 3) for i in range(levels)]
        self.seed_shape = (widths[0], 4, 4)
        self.project = nn.Linear(config.z_size, widths[0] * 16)
        self.project_norm = nn.BatchNorm2d(widths[0])
        blocks = []
        for c_in, c_out in zip(widths[:-1], widths[1:], strict=False):
            if config.mdc == "none":
                conv = nn.Conv2d(c_in, c_out, 5, padding=2)
            else:
                conv = MDCBlock(c_in, c_out, 5, 2, full_rank=config.mdc == "full")
            blocks.append(
                nn.Sequential(
                    nn.Upsample(scale_factor=2, mode="nearest"),
                    conv,
                    nn.BatchNorm2d(c_out),
                    nn.ReLU(inplace=True),
                )
            )
        self.blocks = nn.Sequential(*blocks)
        self.to_rgb = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(widths[-1], 3, 5, padding=2),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.project(z).view(-1, *self.seed_shape)
        h = torch.relu(self.project_norm(h))
        return self.to_rgb(self.blocks(h))


class MinibatchDiscrimination(nn.Module):
    """Salimans et al. (2016): each sample learns how similar it is to the rest of
    its batch, so the discriminator can spot a generator that collapses."""

    def __init__(
        self, in_features: int, kernels: int = 32, kernel_dim: int = 8
    ) -> None:
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.tensor = nn.Parameter(
            torch.randn(in_features, kernels * kernel_dim) * 0.05
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        m = (features @ self.tensor).view(-1, self.kernels, self.kernel_dim)
        distance = (m.unsqueeze(0) - m.unsqueeze(1)).abs().sum(dim=3)  # (B, B, K)
        closeness = torch.exp(-distance).sum(dim=0) - 1.0  # drop self-similarity
        return torch.cat([features, closeness], dim=1)


@dataclass
class DiscriminatorOutput:
    logits: torch.Tensor | None  # adversarial classes, (B, n_classes)
    features: list[torch.Tensor]  # every convolutional layer, for the feature loss
    mu: torch.Tensor | None = None  # q(z|x), when the encoder head ran
    logvar: torch.Tensor | None = None


class ConvStack(nn.Module):
    """DCGAN-style 5x5 stride-2 convolutions down to 4x4, leaky ReLU 0.2, batch norm
    after every layer but the first. Used by the discriminator and the baseline's
    separate encoder."""

    def __init__(self, config: ModelConfig, width: int) -> None:
        super().__init__()
        levels = _levels(config.image_size)
        widths = [width * 2 ** min(i, 3) for i in range(levels)]
        layers, c_in = [], 3
        for i, c_out in enumerate(widths):
            layer = [nn.Conv2d(c_in, c_out, 5, stride=2, padding=2)]
            if i > 0:
                layer.append(nn.BatchNorm2d(c_out))
            layer.append(nn.LeakyReLU(0.2, inplace=False))
            layers.append(nn.Sequential(*layer))
            c_in = c_out
        self.layers = nn.ModuleList(layers)
        self.out_features = c_in * 16

    def forward(self, x: torch.Tensor, update_stats: bool = True) -> list[torch.Tensor]:
        features = []
        with _frozen_batch_stats(self, not update_stats):
            for layer in self.layers:
                x = layer(x)
                features.append(x)
        return features


class Discriminator(nn.Module):
    """The IAN discriminator; with an encoder head it is also the inference network."""

    def __init__(self, config: ModelConfig, with_encoder: bool) -> None:
        super().__init__()
        self.convs = ConvStack(config, config.d_width)
        flat = self.convs.out_features
        self.minibatch = (
            MinibatchDiscrimination(flat) if config.minibatch_disc else None
        )
        head_in = flat + (self.minibatch.kernels if self.minibatch else 0)
        self.head = nn.Linear(head_in, config.n_classes)
        self.encoder_head = nn.Linear(flat, 2 * config.z_size) if with_encoder else None

    def forward(
        self,
        x: torch.Tensor,
        update_stats: bool = True,
        encode: bool = False,
        classify: bool = True,
    ) -> DiscriminatorOutput:
        features = self.convs(x, update_stats)
        flat = features[-1].flatten(1)
        out = DiscriminatorOutput(logits=None, features=features)
        if classify:
            h = self.minibatch(flat) if self.minibatch is not None else flat
            out.logits = self.head(h)
        if encode:
            out.mu, out.logvar = _split_moments(self.encoder_head(flat))
        return out


class Encoder(nn.Module):
    """The VAE/GAN baseline's separate inference network."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.convs = ConvStack(config, config.d_width)
        self.head = nn.Linear(self.convs.out_features, 2 * config.z_size)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return _split_moments(self.head(self.convs(x)[-1].flatten(1)))


def _split_moments(h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mu, logvar = h.chunk(2, dim=1)
    # Bounded log-variance keeps exp() finite early in training.
    return mu, logvar.clamp(-10.0, 5.0)


class _frozen_batch_stats:
    """Within this context, batch norm layers use batch statistics as usual but do not
    update their running averages. The discriminator sees generated batches too, and
    the running averages must describe real photos, which is what the encoder sees."""

    def __init__(self, module: nn.Module, active: bool) -> None:
        self.norms = [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]
        self.active = active
        self.saved: list[float | None] = []

    def __enter__(self):
        if self.active:
            self.saved = [m.momentum for m in self.norms]
            for m in self.norms:
                m.momentum = 0.0
        return self

    def __exit__(self, *exc) -> None:
        if self.active:
            for m, momentum in zip(self.norms, self.saved, strict=False):
                m.momentum = momentum


class GenerativeModel(nn.Module):
    """An IAN (discriminator doubles as encoder) or a VAE/GAN (separate encoder)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        is_ian = config.architecture == "ian"
        self.generator = Generator(config)
        self.discriminator = Discriminator(config, with_encoder=is_ian)
        self.encoder = None if is_ian else Encoder(config)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of q(z|x)."""
        if self.encoder is not None:
            return self.encoder(x)
        out = self.discriminator(x, encode=True, classify=False)
        return out.mu, out.logvar

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """G(E(x)) with the posterior mean, as the editor uses it."""
        return self.generator(self.encode(x)[0])

    def encoder_parameters(self) -> list[nn.Parameter]:
        """Parameters trained by the encoder's losses but not the adversarial one."""
        if self.encoder is not None:
            return list(self.encoder.parameters())
        return list(self.discriminator.encoder_head.parameters())

    def shared_parameters(self) -> list[nn.Parameter]:
        """Discriminator convolutions that the IAN's encoder reads from."""
        if self.encoder is not None:
            return []
        return list(self.discriminator.convs.parameters())

    def adversarial_parameters(self) -> list[nn.Parameter]:
        """Everything the discriminator's loss trains."""
        head = set(map(id, self.encoder_parameters()))
        return [p for p in self.discriminator.parameters() if id(p) not in head]
