"""Shared test setup: Qt offscreen, fixed seeds, tiny models."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
import torch  # noqa: E402

from npe_app.model.config import preset  # noqa: E402
from npe_app.model.networks import GenerativeModel  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture
def tiny_model() -> GenerativeModel:
    """A randomly initialised tiny IAN (32x32, z of 16) in eval mode."""
    torch.manual_seed(0)
    return GenerativeModel(preset("tiny")).eval()


@pytest.fixture
def tiny_model_file(tmp_path, tiny_model):
    """The tiny model saved as a model file."""
    from npe_app.model.modelfile import save_model

    path = tmp_path / "tiny.safetensors"
    save_model(tiny_model, path, {"name": "tiny test model"})
    return path
