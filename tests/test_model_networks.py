"""The networks' shapes for every preset and variant, the split of their parameters
between the two optimizers, and the MDC block's two forms against a plain sum of
dilated convolutions written out here."""

import math

import pytest
import torch
import torch.nn.functional as F

from npe_app.model.config import preset
from npe_app.model.mdc import MDCBlock
from npe_app.model.networks import GenerativeModel


def _check_shapes(model: GenerativeModel, batch: int) -> None:
    """Every public path of the model, on a batch of random images."""
    config = model.config
    size, levels = config.image_size, int(math.log2(config.image_size // 4))
    x = torch.rand(batch, 3, size, size) * 2 - 1
    with torch.no_grad():
        mu, logvar = model.encode(x)
        images = model.generate(torch.randn(batch, config.z_size))
        reconstruction = model.reconstruct(x)
        out = model.discriminator(x)

    assert mu.shape == logvar.shape == (batch, config.z_size)
    assert images.shape == reconstruction.shape == (batch, 3, size, size)
    assert images.abs().max() <= 1.0  # tanh output, the image range
    assert out.logits.shape == (batch, config.n_classes)
    # One feature map per stride-2 layer, halving down to 4x4, widths doubling.
    assert [f.shape[-1] for f in out.features] == [
        size >> i for i in range(1, levels + 1)
    ]
    widths = [f.shape[1] for f in out.features]
    assert widths[0] == config.d_width
    assert widths == [config.d_width * 2 ** min(i, 3) for i in range(levels)]


@pytest.mark.parametrize("name", ["tiny", "default"])
def test_presets_have_the_documented_shapes(name):
    torch.manual_seed(0)
    _check_shapes(GenerativeModel(preset(name)).eval(), batch=4)


def test_paper_preset_runs_a_batch_of_two():
    """The published widths, D 128-256-512-1024: built and run once, batch 2."""
    model = GenerativeModel(preset("paper")).eval()
    _check_shapes(model, batch=2)
    assert model.config.image_size == 64 and model.config.z_size == 100
    widths = [layer[0].out_channels for layer in model.discriminator.convs.layers]
    assert widths == [128, 256, 512, 1024]


@pytest.mark.parametrize(
    "overrides",
    [
        {"mdc": "none"},
        {"mdc": "full"},
        {"adversarial": "binary"},
        {"minibatch_disc": False},
        {"architecture": "vaegan"},
        {"image_size": 64},
    ],
)
def test_variants_have_the_documented_shapes(overrides):
    _check_shapes(GenerativeModel(preset("tiny", **overrides)).eval(), batch=3)


@pytest.mark.parametrize("architecture", ["ian", "vaegan"])
def test_parameters_split_between_the_two_optimizers(architecture):
    """The generator side (G and the encoder) and the adversarial side (D) share
    nothing, and together they hold every parameter: nothing is left untrained."""
    model = GenerativeModel(preset("tiny", architecture=architecture))
    g_side = {id(p) for p in model.generator.parameters()}
    g_side |= {id(p) for p in model.encoder_parameters()}
    d_side = {id(p) for p in model.adversarial_parameters()}

    assert not g_side & d_side
    assert g_side | d_side == {id(p) for p in model.parameters()}
    shared = {id(p) for p in model.shared_parameters()}
    assert shared <= d_side
    assert bool(shared) == (architecture == "ian")


def _dilated_sum(block: MDCBlock, x: torch.Tensor) -> torch.Tensor:
    """The MDC definition (paper section 3.2), independent of the block's own code:
    the filter bank at each dilation, weighted per filter and scale, summed."""
    k = block.kernel_size
    out = block.bias.view(1, -1, 1, 1)
    for i, d in enumerate(block.dilations):
        if block.full_rank:
            w = block.weight[i]
        else:
            w = block.weight[0] * block.gain[:, i].view(-1, 1, 1, 1)
        out = out + F.conv2d(x, w, padding=d * (k // 2), dilation=d)
    return out


@pytest.mark.parametrize("full_rank", [False, True], ids=["standard", "full-rank"])
@pytest.mark.parametrize("kernel_size,max_dilation", [(5, 2), (3, 3)])
def test_mdc_forms_agree_with_the_dilated_sum(full_rank, kernel_size, max_dilation):
    torch.manual_seed(0)
    block = MDCBlock(4, 6, kernel_size, max_dilation, full_rank=full_rank).double()
    with torch.no_grad():  # gains and bias away from their symmetric start
        for p in block.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    x = torch.randn(2, 4, 11, 13, dtype=torch.float64, requires_grad=True)
    params = [x, *block.parameters()]
    grad_out = torch.randn(2, 6, 11, 13, dtype=torch.float64)

    def value_and_grads(forward):
        y = forward(x)
        return y, torch.autograd.grad(y, params, grad_out)

    reference, reference_grads = value_and_grads(lambda t: _dilated_sum(block, t))
    for forward in (block.forward_sum, block.forward_composed):
        y, grads = value_and_grads(forward)
        torch.testing.assert_close(y, reference)
        for grad, expected in zip(grads, reference_grads, strict=True):
            torch.testing.assert_close(grad, expected)


def test_composed_filter_is_sparse_with_the_paper_size():
    """5d2 is one 9x9 filter whose taps are the 5x5 centre and the dilation-2 grid:
    25 + 25 - 9 shared positions = 41 non-zero taps."""
    block = MDCBlock(2, 3, 5, 2)
    composed = block.composed_weight()
    assert block.composed_size == 9 and composed.shape == (3, 2, 9, 9)
    taps = (composed != 0).any(dim=0).any(dim=0)
    assert int(taps.sum()) == 41
    assert not taps[1, 1] and not taps[0, 1]  # between the dilation-2 taps
    assert taps[0, 0] and taps[4, 4] and taps[3, 5]
