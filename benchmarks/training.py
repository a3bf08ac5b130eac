"""How fast the IAN trains: images per second of one full training step for the
`default` preset, beside a plain DCGAN step of the same widths, and their ratio.

    python benchmarks/training.py [--json] [--steps N] [--batch-size B] [--threads T]

The IAN step is the project's own TrainingStep: encode, reconstruct and sample in
one generator pass, three discriminator passes, pixel + KL + feature + ternary
adversarial losses, Orthogonal Regularization, both Adam updates and the weight
average. It is what `npe train` pays per batch, less data loading.

The baseline is what the IAN costs extra over: the same generator and discriminator
widths built from the project's networks, but plain 5x5 convolutions instead of MDC
blocks, no minibatch discrimination, no encoder head, a real/fake head and no
Orthogonal Regularization; its update is the standard non-saturating GAN one,
first D on a real and a generated batch, then G through the updated D, each with
Adam. "Images" are training images, the batch size, for both.

The two steps are timed alternately, one of each per round after a warm-up, so
that a machine whose load changes during the run slows both alike; the figures are
medians. Random images stand in for photos: the cost does not depend on them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from npe_app.model.config import ModelConfig, preset  # noqa: E402
from npe_app.model.losses import GENERATED, REAL  # noqa: E402
from npe_app.model.networks import (  # noqa: E402
    Discriminator,
    GenerativeModel,
    Generator,
)
from npe_app.training.step import OptimConfig, TrainingStep  # noqa: E402


class DCGANStep:
    """One standard GAN update of D, then G, with the IAN's optimizer settings."""

    def __init__(self, config: ModelConfig, optim: OptimConfig) -> None:
        config = ModelConfig(
            image_size=config.image_size,
            z_size=config.z_size,
            g_width=config.g_width,
            d_width=config.d_width,
            mdc="none",
            minibatch_disc=False,
            adversarial="binary",
            ortho_reg=0.0,
        )
        self.z_size = config.z_size
        self.generator = Generator(config).train()
        self.discriminator = Discriminator(config, with_encoder=False).train()
        betas = (optim.beta1, 0.999)
        self.opt_g = torch.optim.Adam(
            self.generator.parameters(), lr=optim.lr, betas=betas
        )
        self.opt_d = torch.optim.Adam(
            self.discriminator.parameters(), lr=optim.lr, betas=betas
        )

    def _loss(self, images: torch.Tensor, label: int) -> torch.Tensor:
        logits = self.discriminator(images).logits
        target = torch.full((len(images),), label, dtype=torch.long)
        return F.cross_entropy(logits, target)

    def __call__(self, x: torch.Tensor) -> None:
        fake = self.generator(torch.randn(len(x), self.z_size))
        d_loss = self._loss(x, REAL) + self._loss(fake.detach(), GENERATED)
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        g_loss = self._loss(fake, REAL)
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward(inputs=list(self.generator.parameters()))
        self.opt_g.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--steps", type=int, default=10, help="timed steps of each")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    config = preset("default")
    optim = OptimConfig()
    ian = TrainingStep(GenerativeModel(config), optim)
    dcgan = DCGANStep(config, optim)
    size = config.image_size
    batch = torch.rand(args.batch_size, 3, size, size) * 2 - 1

    def timed(step) -> float:
        start = time.perf_counter()
        step(batch)
        return time.perf_counter() - start

    for _ in range(args.warmup):
        timed(ian)
        timed(dcgan)
    rounds = [(timed(ian), timed(dcgan)) for _ in range(args.steps)]
    ian_s = statistics.median(r[0] for r in rounds)
    dcgan_s = statistics.median(r[1] for r in rounds)

    result = {
        "preset": "default",
        "image_size": size,
        "g_width": config.g_width,
        "d_width": config.d_width,
        "batch_size": args.batch_size,
        "threads": torch.get_num_threads(),
        "steps": args.steps,
        "ian_step_ms": round(ian_s * 1000, 1),
        "dcgan_step_ms": round(dcgan_s * 1000, 1),
        "ian_images_per_s": round(args.batch_size / ian_s, 1),
        "dcgan_images_per_s": round(args.batch_size / dcgan_s, 1),
        "ian_over_dcgan_time": round(ian_s / dcgan_s, 2),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"default preset ({size} px, G width {config.g_width}, D width "
        f"{config.d_width}), batch {args.batch_size}, {result['threads']} threads, "
        f"median of {args.steps} steps"
    )
    print(
        f"IAN step:   {result['ian_step_ms']} ms, {result['ian_images_per_s']} images/s"
    )
    print(
        f"DCGAN step: {result['dcgan_step_ms']} ms, "
        f"{result['dcgan_images_per_s']} images/s"
    )
    print(f"an IAN step takes {result['ian_over_dcgan_time']}x a DCGAN step")


if __name__ == "__main__":
    main()
