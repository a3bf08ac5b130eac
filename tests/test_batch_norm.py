"""The averaged model's batch-norm statistics are measured afresh on real images."""

import torch

from npe_app.training.batch_norm import recalibrate_batch_norm


def test_recalibrated_eval_matches_batch_statistics(tiny_model):
    """Statistics from one batch make eval mode compute what train mode computes on
    that batch, however wrong the statistics were before."""
    images = torch.randint(0, 256, (32, 3, 32, 32), dtype=torch.uint8)
    x = images.float() / 127.5 - 1
    norms = [m for m in tiny_model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for m in norms:
        m.running_mean.fill_(3.0)
        m.running_var.fill_(50.0)
    with torch.no_grad():
        stale = tiny_model.eval().encode(x)[0]
        tiny_model.train()
        fresh = tiny_model.encode(x)[0]
    recalibrate_batch_norm(tiny_model, images, batch_size=32)
    assert not tiny_model.training
    assert all(m.momentum == 0.1 for m in norms)  # restored
    with torch.no_grad():
        calibrated = tiny_model.encode(x)[0]
    # Running variance is the unbiased estimate, so agreement is close, not exact.
    assert torch.allclose(calibrated, fresh, atol=0.05)
    assert not torch.allclose(stale, fresh, atol=0.05)
