"""One simultaneous update of generator/encoder and discriminator (paper section 3).

Each network only learns from its own losses: backward() is told which parameters
to accumulate into, so the three discriminator passes are shared by both updates.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch

from ..model import losses
from ..model.networks import GenerativeModel


@dataclass
class OptimConfig:
    lr: float = 2e-4
    beta1: float = 0.5
    label_smoothing: float = 0.1  # on the discriminator's targets
    ema_decay: float = 0.999  # exported weights are this running average


class TrainingStep:
    """Holds the model, its weight average and both optimizers."""

    def __init__(
        self, model: GenerativeModel, optim: OptimConfig | None = None
    ) -> None:
        self.model = model
        self.optim = optim or OptimConfig()
        config = model.config
        self.g_params = list(model.generator.parameters()) + model.encoder_parameters()
        self.d_params = model.adversarial_parameters()
        self.shared = model.shared_parameters() if config.shared_encoder_grad else []
        betas = (self.optim.beta1, 0.999)
        self.opt_g = torch.optim.Adam(self.g_params, lr=self.optim.lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.d_params, lr=self.optim.lr, betas=betas)
        self.steps = 0  # updates taken; warms up the weight average
        self.ema = copy.deepcopy(model).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self._g_banks = losses.weight_banks(model.generator)
        if model.encoder is not None:
            self._g_banks += losses.weight_banks(model.encoder)
        self._d_banks = losses.weight_banks(model.discriminator)

    def __call__(self, x: torch.Tensor, grad_hook=None) -> dict[str, float]:
        """Train on one batch of images in [-1, 1]; returns the loss values.

        grad_hook(params) runs after the gradients exist and before the optimizers
        step: data-parallel training averages gradients across processes there.
        """
        model, config = self.model, self.model.config
        model.train()
        batch = x.shape[0]

        # Encode, reconstruct and sample in one generator pass.
        if model.encoder is not None:
            mu, logvar = model.encoder(x)
            real = model.discriminator(x)
        else:
            real = model.discriminator(x, encode=True)
            mu, logvar = real.mu, real.logvar
        z_enc = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        z_prior = torch.randn_like(mu)
        fakes = model.generator(torch.cat([z_enc, z_prior]))
        reconstruction, generated = fakes[:batch], fakes[batch:]

        # The discriminator sees both kinds of fake; only real batches update its
        # batch-norm running averages, which the encoder relies on at test time.
        rec = model.discriminator(reconstruction, update_stats=False)
        gen = model.discriminator(generated, update_stats=False)

        l_pixel = losses.pixel_loss(x, reconstruction)
        l_kl = losses.kl_divergence(mu, logvar)
        l_feature = losses.feature_loss(real.features, rec.features)
        l_g_adv = losses.generator_adversarial_loss(gen.logits, rec.logits)
        l_d = losses.discriminator_loss(
            real.logits, gen.logits, rec.logits, self.optim.label_smoothing
        )
        reconstruction_loss = config.pixel_weight * l_pixel + config.kl_weight * l_kl
        g_rest = config.feature_weight * l_feature + l_g_adv
        if config.ortho_reg > 0:
            g_rest = g_rest + config.ortho_reg * losses.orthogonal_regularization(
                self._g_banks
            )
            l_d_total = l_d + config.ortho_reg * losses.orthogonal_regularization(
                self._d_banks
            )
        else:
            l_d_total = l_d

        self.opt_g.zero_grad(set_to_none=True)
        self.opt_d.zero_grad(set_to_none=True)
        reconstruction_loss.backward(
            inputs=self.g_params + self.shared, retain_graph=True
        )
        g_rest.backward(inputs=self.g_params, retain_graph=True)
        l_d_total.backward(inputs=self.d_params)
        if grad_hook is not None:
            grad_hook(self.g_params + self.d_params)
        self.opt_g.step()
        self.opt_d.step()
        self.update_ema()

        return {
            "pixel": l_pixel.item(),
            "feature": l_feature.item(),
            "kl": l_kl.item(),
            "g_adv": l_g_adv.item(),
            "d": l_d.item(),
        }

    @torch.no_grad()
    def update_ema(self) -> None:
        """Running average of the weights. Early on it follows the live weights more
        closely, so that it is not dominated by the random initialisation."""
        self.steps += 1
        decay = min(self.optim.ema_decay, (1 + self.steps) / (10 + self.steps))
        for avg, live in zip(
            self.ema.parameters(), self.model.parameters(), strict=False
        ):
            avg.lerp_(live, 1.0 - decay)
        for avg, live in zip(self.ema.buffers(), self.model.buffers(), strict=False):
            avg.copy_(live)
