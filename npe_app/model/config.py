"""The shape of a model, as a plain dataclass that travels inside every model file.

A model file's config is read before any weights are touched, so this module also
decides which configs are sane: a hostile file must not make us allocate gigabytes.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

IMAGE_SIZES = (32, 64, 128)
MDC_MODES = ("none", "standard", "full")
ADVERSARIAL_MODES = ("ternary", "binary")
ARCHITECTURES = ("ian", "vaegan")

# Far above anything we train, far below what would exhaust a desktop's memory.
# Widths stop at the published ones (128): at 512 a 128-pixel full-rank VAE/GAN had
# 3 billion parameters, 12 GB to allocate before a small hostile file was refused.
# Now the largest model any accepted config describes has about 230M (0.9 GB).
MAX_Z_SIZE = 1024
MAX_WIDTH = 128


class ConfigError(ValueError):
    """A model config that cannot describe a model we are willing to build."""


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to build the networks; loss weights live here too so
    that a model file says exactly how it was trained."""

    image_size: int = 64
    z_size: int = 100
    g_width: int = 32  # generator channels at the last hidden layer
    d_width: int = 32  # discriminator channels at the first layer
    mdc: str = "standard"  # generator hidden layers: plain 5x5, MDC 5d2 or full-rank
    minibatch_disc: bool = True
    adversarial: str = "ternary"  # real/generated/reconstructed, or real/fake
    ortho_reg: float = 1e-3  # strength of Orthogonal Regularization, 0 = off
    architecture: str = "ian"  # "vaegan": separate encoder network, the baseline
    pixel_weight: float = 3.0
    feature_weight: float = 1.0
    # The paper weighs the KL by 1, but our reductions are means: the KL over 100
    # latent dimensions against the L1 over 12,288 pixel values. Weighted 1, that KL
    # was about 120 times stronger than in a summed VAE loss, and on the default
    # preset it pulled every encoding to the prior (reconstructions were one blurred
    # face at 14 dB after 50k images). 0.01 restores the summed losses' balance.
    kl_weight: float = 0.01
    # Our deviation from the paper (see README): the pixel and KL losses also train
    # the discriminator's convolutions that the encoder shares.
    shared_encoder_grad: bool = True

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        def need(ok: bool, what: str) -> None:
            if not ok:
                raise ConfigError(what)

        need(self.image_size in IMAGE_SIZES, f"image_size must be one of {IMAGE_SIZES}")
        need(
            isinstance(self.z_size, int) and 1 <= self.z_size <= MAX_Z_SIZE,
            f"z_size must be between 1 and {MAX_Z_SIZE}",
        )
        for name in ("g_width", "d_width"):
            value = getattr(self, name)
            need(
                isinstance(value, int) and 4 <= value <= MAX_WIDTH,
                f"{name} must be between 4 and {MAX_WIDTH}",
            )
        need(self.mdc in MDC_MODES, f"mdc must be one of {MDC_MODES}")
        need(
            self.adversarial in ADVERSARIAL_MODES,
            f"adversarial must be one of {ADVERSARIAL_MODES}",
        )
        need(
            self.architecture in ARCHITECTURES,
            f"architecture must be one of {ARCHITECTURES}",
        )
        for name in ("ortho_reg", "pixel_weight", "feature_weight", "kl_weight"):
            value = getattr(self, name)
            need(
                isinstance(value, (int, float)) and 0 <= value <= 1e3,
                f"{name} must be a number between 0 and 1000",
            )

    @property
    def n_classes(self) -> int:
        """Outputs of the adversarial head."""
        return 3 if self.adversarial == "ternary" else 2

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        if not isinstance(data, dict):
            raise ConfigError("config is not a JSON object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"config has unknown fields: {', '.join(unknown)}")
        try:
            return cls(**data)
        except TypeError as error:
            raise ConfigError(str(error)) from None

    @classmethod
    def from_json(cls, text: str) -> ModelConfig:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(f"config is not valid JSON ({error.msg})") from None
        return cls.from_dict(data)


# Settings that weigh the losses but leave every network's shape alone: a resumed or
# continued run may change them.
LOSS_SETTINGS = frozenset(
    {"ortho_reg", "pixel_weight", "feature_weight", "kl_weight", "shared_encoder_grad"}
)


def same_networks(a: ModelConfig, b: ModelConfig) -> bool:
    """True when the two configs build networks of identical shapes."""
    return dataclasses.replace(a, **{k: getattr(b, k) for k in LOSS_SETTINGS}) == b


PRESETS = {
    # For tests and smoke runs: trains in seconds on a CPU.
    "tiny": ModelConfig(image_size=32, z_size=16, g_width=8, d_width=8),
    # The shipped face model: sized to train on a 2-core CPU in hours and to take a
    # brush step well under 16 ms.
    "default": ModelConfig(image_size=64, z_size=100, g_width=16, d_width=32),
    # The published widths (D 128-256-512-1024); needs a GPU.
    "paper": ModelConfig(image_size=64, z_size=100, g_width=128, d_width=128),
}


def preset(name: str, **overrides) -> ModelConfig:
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    return dataclasses.replace(PRESETS[name], **overrides)
