"""Model files and training checkpoints: safetensors weights plus JSON metadata.

Nothing here ever unpickles. A model file is checked in this order, and the first
problem found is reported in one line: is it a safetensors file at all, is it one of
ours, is its config sane, do its tensors match that config exactly.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from .config import ConfigError, ModelConfig, same_networks
from .networks import GenerativeModel

MODEL_FORMAT = "npe-model"
CHECKPOINT_FORMAT = "npe-checkpoint"
FORMAT_VERSION = "1"
# Model files above this are refused before reading: ours are a few MB.
MAX_FILE_BYTES = 2 * 1024**3


class ModelFileError(Exception):
    """A file that cannot be used as a model; str() is a one-line explanation."""


def _atomic_save(tensors: dict[str, torch.Tensor], metadata: dict, path: Path) -> None:
    """Write next to the target, then rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        tensors = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
        save_file(tensors, tmp, metadata={k: str(v) for k, v in metadata.items()})
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the model from other users
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(model: GenerativeModel, path: str | os.PathLike, card: dict) -> None:
    """Export every network's weights (so training can continue from the file), the
    config and the model card."""
    metadata = {
        "format": MODEL_FORMAT,
        "format_version": FORMAT_VERSION,
        "config": model.config.to_json(),
        "card": json.dumps(card, sort_keys=True),
    }
    _atomic_save(model.state_dict(), metadata, Path(path))


def _open(path: Path, expected_format: str):
    """Read the header of a safetensors file and check it is ours."""
    name = path.name
    if not path.exists():
        raise ModelFileError(f"{name}: no such file")
    if path.is_dir():
        raise ModelFileError(f"{name}: is a folder, not a model file")
    size = path.stat().st_size
    if size == 0:
        raise ModelFileError(f"{name}: the file is empty")
    if size > MAX_FILE_BYTES:
        raise ModelFileError(f"{name}: {size / 1e9:.1f} GB is too large for a model")
    try:
        handle = safe_open(str(path), framework="pt")
        metadata = handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ModelFileError(
            f"{name}: not a readable safetensors model file ({detail})"
        ) from None
    if metadata.get("format") != expected_format:
        kind = (
            "model file" if expected_format == MODEL_FORMAT else "training checkpoint"
        )
        raise ModelFileError(f"{name}: not a Neural Photo Editor {kind}")
    if metadata.get("format_version") != FORMAT_VERSION:
        version = metadata.get("format_version")
        raise ModelFileError(f"{name}: format version {version!r} is not supported")
    try:
        config = ModelConfig.from_json(metadata.get("config", ""))
    except ConfigError as error:
        raise ModelFileError(f"{name}: bad config: {error}") from None
    return handle, metadata, config


def _read_state(handle, prefix: str, model: torch.nn.Module, name: str) -> dict:
    """Tensors under prefix, checked name by name and shape by shape against model."""
    expected = model.state_dict()
    keys = {k[len(prefix) :] for k in handle.keys() if k.startswith(prefix)}
    missing = sorted(set(expected) - keys)
    extra = sorted(keys - set(expected))
    if missing or extra:
        what = f"missing {missing[0]}" if missing else f"unexpected {extra[0]}"
        raise ModelFileError(f"{name}: weights do not match its config ({what})")
    state = {}
    for key, target in expected.items():
        try:
            tensor = handle.get_tensor(prefix + key)
        except (SafetensorError, OSError, ValueError):
            raise ModelFileError(f"{name}: the file is truncated or corrupt") from None
        if tensor.shape != target.shape:
            raise ModelFileError(
                f"{name}: weights do not match its config ({key} has shape "
                f"{tuple(tensor.shape)}, expected {tuple(target.shape)})"
            )
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise ModelFileError(f"{name}: {key} holds NaN or infinite values")
        state[key] = tensor.to(target.dtype)
    return state


def load_model(
    path: str | os.PathLike, device: str | torch.device = "cpu"
) -> tuple[GenerativeModel, dict]:
    """Build the model a file describes and load its weights; returns (model, card).
    Raises ModelFileError with a one-line message for anything that is not a model."""
    path = Path(path)
    handle, metadata, config = _open(path, MODEL_FORMAT)
    model = GenerativeModel(config)
    model.load_state_dict(_read_state(handle, "", model, path.name))
    try:
        card = json.loads(metadata.get("card", "{}"))
    except json.JSONDecodeError:
        card = {}
    if not isinstance(card, dict):
        card = {}
    return model.to(device).eval(), card


def read_card(path: str | os.PathLike) -> tuple[ModelConfig, dict]:
    """Config and model card, without building the networks (for model menus)."""
    path = Path(path)
    _, metadata, config = _open(path, MODEL_FORMAT)
    try:
        card = json.loads(metadata.get("card", "{}"))
    except json.JSONDecodeError:
        card = {}
    return config, card if isinstance(card, dict) else {}


# ---- training checkpoints ---------------------------------------------------------


def _optimizer_tensors(opt: torch.optim.Optimizer, prefix: str) -> dict:
    tensors = {}
    for index, state in opt.state_dict()["state"].items():
        for key, value in state.items():
            value = value if torch.is_tensor(value) else torch.tensor(value)
            tensors[f"{prefix}{index}.{key}"] = value
    return tensors


def _load_optimizer(opt: torch.optim.Optimizer, handle, prefix: str) -> None:
    state_dict = opt.state_dict()
    state: dict[int, dict] = {}
    for key in handle.keys():
        if not key.startswith(prefix):
            continue
        index, name = key[len(prefix) :].split(".", 1)
        state.setdefault(int(index), {})[name] = handle.get_tensor(key)
    state_dict["state"] = state
    opt.load_state_dict(state_dict)


def save_checkpoint(
    path: str | os.PathLike, step, progress: dict, best: dict | None = None
) -> None:
    """Everything needed to resume: live weights, averaged weights, both optimizers'
    state and the loop's counters (progress: JSON-serialisable). best: the averaged
    weights that validation chose so far; the export after a resume must be them,
    not whatever the average holds when training restarts."""
    tensors = {f"model.{k}": v for k, v in step.model.state_dict().items()}
    tensors.update({f"ema.{k}": v for k, v in step.ema.state_dict().items()})
    if best is not None:
        tensors.update({f"best.{k}": v for k, v in best.items()})
    tensors.update(_optimizer_tensors(step.opt_g, "opt_g."))
    tensors.update(_optimizer_tensors(step.opt_d, "opt_d."))
    metadata = {
        "format": CHECKPOINT_FORMAT,
        "format_version": FORMAT_VERSION,
        "config": step.model.config.to_json(),
        "progress": json.dumps(progress, sort_keys=True),
    }
    _atomic_save(tensors, metadata, Path(path))


def read_checkpoint_config(path: str | os.PathLike) -> ModelConfig:
    _, _, config = _open(Path(path), CHECKPOINT_FORMAT)
    return config


def load_checkpoint(path: str | os.PathLike, step) -> dict:
    """Restore a TrainingStep in place; returns the saved progress counters."""
    path = Path(path)
    handle, metadata, config = _open(path, CHECKPOINT_FORMAT)
    if not same_networks(config, step.model.config):
        raise ModelFileError(f"{path.name}: checkpoint was trained with another config")
    step.model.load_state_dict(_read_state(handle, "model.", step.model, path.name))
    step.ema.load_state_dict(_read_state(handle, "ema.", step.ema, path.name))
    _load_optimizer(step.opt_g, handle, "opt_g.")
    _load_optimizer(step.opt_d, handle, "opt_d.")
    return json.loads(metadata.get("progress", "{}"))


def load_best_weights(path: str | os.PathLike, like: torch.nn.Module) -> dict | None:
    """The validation-chosen weights a checkpoint holds (checked against like), or
    None when it holds none."""
    path = Path(path)
    handle, _, _ = _open(path, CHECKPOINT_FORMAT)
    if not any(key.startswith("best.") for key in handle.keys()):
        return None
    return _read_state(handle, "best.", like, path.name)
