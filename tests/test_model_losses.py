"""The losses against hand computations on small known inputs."""

import math

import pytest
import torch
from torch import nn

from npe_app.model import losses
from npe_app.model.config import preset
from npe_app.model.mdc import MDCBlock
from npe_app.model.networks import GenerativeModel


def _neg_log_softmax(row: list[float], label: int) -> float:
    return -(row[label] - math.log(sum(math.exp(v) for v in row)))


def _smoothed(row: list[float], label: int, eps: float) -> float:
    """Cross-entropy against (1 - eps) on the label plus eps spread over classes."""
    k = len(row)
    nll = [_neg_log_softmax(row, c) for c in range(k)]
    return (1 - eps) * nll[label] + eps / k * sum(nll)


REAL = [[2.0, -1.0, 0.5], [0.0, 0.3, -2.0]]
GENERATED = [[0.1, 1.5, -0.5], [1.0, 1.0, 1.0]]
RECONSTRUCTED = [[-1.0, 0.0, 3.0], [0.5, 2.0, 0.0]]


def _mean(rows, label, loss=_neg_log_softmax, **kw) -> float:
    return sum(loss(row, label, **kw) for row in rows) / len(rows)


def test_ternary_discriminator_loss_matches_hand_computation():
    """-log D_real(x) - log D_gen(G(z)) - log D_rec(G(E(x))), batch means."""
    value = losses.discriminator_loss(
        torch.tensor(REAL), torch.tensor(GENERATED), torch.tensor(RECONSTRUCTED)
    )
    expected = _mean(REAL, 0) + _mean(GENERATED, 1) + _mean(RECONSTRUCTED, 2)
    assert value.item() == pytest.approx(expected, rel=1e-6)


def test_ternary_loss_with_label_smoothing_matches_hand_computation():
    value = losses.discriminator_loss(
        torch.tensor(REAL),
        torch.tensor(GENERATED),
        torch.tensor(RECONSTRUCTED),
        label_smoothing=0.1,
    )
    expected = sum(
        _mean(rows, label, _smoothed, eps=0.1)
        for rows, label in ((REAL, 0), (GENERATED, 1), (RECONSTRUCTED, 2))
    )
    assert value.item() == pytest.approx(expected, rel=1e-6)


def test_binary_loss_labels_reconstructions_as_generated():
    real = [r[:2] for r in REAL]
    generated = [r[:2] for r in GENERATED]
    reconstructed = [r[:2] for r in RECONSTRUCTED]
    value = losses.discriminator_loss(
        torch.tensor(real), torch.tensor(generated), torch.tensor(reconstructed)
    )
    expected = _mean(real, 0) + _mean(generated, 1) + _mean(reconstructed, 1)
    assert value.item() == pytest.approx(expected, rel=1e-6)


def test_generator_adversarial_loss_asks_for_real_on_both_fakes():
    value = losses.generator_adversarial_loss(
        torch.tensor(GENERATED), torch.tensor(RECONSTRUCTED)
    )
    expected = _mean(GENERATED, 0) + _mean(RECONSTRUCTED, 0)
    assert value.item() == pytest.approx(expected, rel=1e-6)


def test_kl_is_zero_at_the_prior_and_averaged_over_dimensions():
    zeros = torch.zeros(4, 8)
    assert losses.kl_divergence(zeros, zeros).item() == 0.0
    # One unit of mean in every dimension: KL 0.5 per dimension, averaged.
    assert losses.kl_divergence(zeros + 1, zeros).item() == pytest.approx(0.5)
    # A variance of e: 0.5 (e - 1 - 1) per dimension.
    expected = 0.5 * (math.e - 2.0)
    assert losses.kl_divergence(zeros, zeros + 1).item() == pytest.approx(expected)


def test_feature_loss_trains_only_the_reconstruction_side():
    real = [torch.ones(2, 3, requires_grad=True)]
    fake = [torch.zeros(2, 3, requires_grad=True)]
    value = losses.feature_loss(real, fake)
    value.backward()
    assert value.item() == pytest.approx(1.0)
    assert real[0].grad is None and fake[0].grad.abs().sum() > 0


def _orthogonal(shape) -> torch.Tensor:
    w = torch.empty(shape)
    nn.init.orthogonal_(w)  # rows of the (out, in*k*k) matrix are orthonormal
    return w


def test_ortho_reg_is_zero_for_orthogonal_banks():
    conv = _orthogonal((6, 3, 3, 3))
    mdc_banks = torch.stack([_orthogonal((4, 2, 5, 5)) for _ in range(2)])
    value = losses.orthogonal_regularization([conv, mdc_banks])
    assert value.item() == pytest.approx(0.0, abs=1e-4)


def test_ortho_reg_matches_hand_computation_otherwise():
    # W = [[1, 2], [0, 1]]: W W^T - I = [[4, 2], [2, 0]], whose |.| sums to 8.
    w = torch.tensor([[1.0, 2.0], [0.0, 1.0]]).view(2, 2, 1, 1)
    assert losses.orthogonal_regularization([w]).item() == pytest.approx(8.0)
    # Twice an orthogonal bank: W W^T = 4 I, so 3 per row.
    doubled = 2 * _orthogonal((5, 3, 3, 3))
    assert losses.orthogonal_regularization([doubled]).item() == pytest.approx(
        15.0, rel=1e-4
    )


def test_ortho_reg_acts_on_every_filter_bank_and_no_linear_layer():
    model = GenerativeModel(preset("tiny"))
    banks = losses.weight_banks(model.generator)
    mdc_weights = [
        m.weight for m in model.generator.modules() if isinstance(m, MDCBlock)
    ]
    convs = [m.weight for m in model.generator.modules() if isinstance(m, nn.Conv2d)]
    assert {id(b) for b in banks} == {id(w) for w in mdc_weights + convs}
    assert len(mdc_weights) == 2 and len(convs) == 1  # 32x32: two hidden, to_rgb
