"""Where the shipped models live."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = PROJECT_ROOT / "models"
DEFAULT_MODEL_NAME = "npe-faces64.safetensors"


def default_model_path() -> Path:
    """The model the editor and `eval` use when none is named; NPE_MODEL overrides."""
    override = os.environ.get("NPE_MODEL")
    return Path(override) if override else MODELS_DIR / DEFAULT_MODEL_NAME


def shipped_models() -> list[Path]:
    return sorted(MODELS_DIR.glob("*.safetensors")) if MODELS_DIR.is_dir() else []
