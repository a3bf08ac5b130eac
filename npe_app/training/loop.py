"""The training loop behind `npe train`: data, progress, logs, checkpoints, export.

Runs on one process, or data-parallel under torchrun (gradients are averaged across
processes with all_reduce; gloo on CPU, NCCL on GPU). Only rank 0 writes files.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import json
import logging
import os
import platform
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.distributed as dist
from tqdm import tqdm

from ..model.config import (
    LOSS_SETTINGS,
    PRESETS,
    ConfigError,
    ModelConfig,
    preset,
)
from ..model.modelfile import (
    load_best_weights,
    load_checkpoint,
    load_model,
    read_checkpoint_config,
    save_checkpoint,
    save_model,
)
from ..model.networks import GenerativeModel
from .batch_norm import recalibrate_batch_norm
from .data import BatchSampler, load_images
from .evaluate import reconstruction_quality
from .figures import reconstruction_rows, sample_images, save_grid
from .step import OptimConfig, TrainingStep

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "checkpoint.safetensors"
CALIBRATION_IMAGES = 512  # training images that measure the average's BN statistics
MODEL_NAME = "model.safetensors"


@dataclass
class TrainOptions:
    data: list[str]
    out: str
    preset: str = "default"
    steps: int = 10_000
    batch_size: int = 64
    resume: bool = False
    init_from: str | None = None
    valid: str | None = None  # held-out images: chooses the exported weights
    valid_limit: int = 300
    sample_every: int = 500
    checkpoint_every: int = 500
    max_minutes: float | None = None
    seed: int = 0
    lr: float = 2e-4
    threads: int | None = None  # CPU threads; fewer keeps a shared machine responsive
    overrides: dict = field(default_factory=dict)  # ModelConfig fields
    command: str = ""


class _Distributed:
    """Process-group bookkeeping; a no-op on a single process."""

    def __init__(self) -> None:
        self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if torch.cuda.is_available():
            self.device = torch.device("cuda", local_rank)
            torch.cuda.set_device(self.device)
        else:
            self.device = torch.device("cpu")
        if self.world_size > 1:
            backend = "nccl" if self.device.type == "cuda" else "gloo"
            dist.init_process_group(backend)

    @property
    def main(self) -> bool:
        return self.rank == 0

    def broadcast_parameters(self, module: torch.nn.Module) -> None:
        if self.world_size > 1:
            for tensor in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(tensor.data, src=0)

    def average_gradients(self, params: list[torch.nn.Parameter]) -> None:
        if self.world_size == 1:
            return
        grads = [p.grad for p in params if p.grad is not None]
        flat = torch.cat([g.flatten() for g in grads])
        dist.all_reduce(flat)
        flat /= self.world_size
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()

    def any_flag(self, flag: bool) -> bool:
        """True on every process if it is true on any (to stop together)."""
        if self.world_size == 1:
            return flag
        t = torch.tensor([float(flag)], device=self.device)
        dist.all_reduce(t)
        return bool(t.item() > 0)

    def close(self) -> None:
        if self.world_size > 1:
            dist.destroy_process_group()


def _model_config(options: TrainOptions, out: Path) -> tuple[ModelConfig, dict | None]:
    """Config from the checkpoint when resuming, the init model, or the preset."""
    checkpoint = out / CHECKPOINT_NAME
    if options.resume and checkpoint.exists():
        config = read_checkpoint_config(checkpoint)
        return _continued_config(config, options.overrides, "--resume"), None
    if options.init_from:
        model, card = load_model(options.init_from)
        return _continued_config(model.config, options.overrides, "--init-from"), {
            "model": model,
            "card": card,
        }
    return preset(options.preset, **options.overrides), None


def _continued_config(config: ModelConfig, overrides: dict, how: str) -> ModelConfig:
    """The saved config with loss settings changed by --set; a setting that would
    change a network's shape cannot apply to weights that already exist."""
    fixed = sorted(set(overrides) - LOSS_SETTINGS)
    if fixed:
        raise ConfigError(
            f"--set {', '.join(fixed)} cannot change with {how}: it changes "
            f"the networks' shapes (only {', '.join(sorted(LOSS_SETTINGS))} can)"
        )
    return dataclasses.replace(config, **overrides)


def train(options: TrainOptions) -> Path | None:
    """Train, then export the model file; returns its path (None off rank 0)."""
    world = _Distributed()
    out = Path(options.out)
    if world.main:
        out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(options.seed)
    if options.threads:
        torch.set_num_threads(options.threads)

    config, init = _model_config(options, out)
    model = GenerativeModel(config).to(world.device)
    trainer = TrainingStep(model, OptimConfig(lr=options.lr))
    progress = {"step": 0, "images_seen": 0, "wall_time_s": 0.0, "best": None}
    if init is not None:
        model.load_state_dict(init["model"].state_dict())
        trainer.ema.load_state_dict(init["model"].state_dict())
        progress["images_seen_before"] = init["card"].get("images_seen", 0)
        earlier = init["card"]
        progress["wall_time_before"] = earlier.get(
            "total_wall_time_s", earlier.get("wall_time_s", 0)
        )
        progress["continued_from"] = {
            key: init["card"].get(key)
            for key in ("steps", "images_seen", "wall_time_s", "command")
        }
        log.info("continuing from the weights in %s", options.init_from)
    checkpoint = out / CHECKPOINT_NAME
    if options.resume:
        if checkpoint.exists():
            progress = load_checkpoint(checkpoint, trainer)
            trainer.steps = progress["step"]
            if options.overrides:  # the card says when the losses were re-weighed
                change = {"step": progress["step"], **options.overrides}
                progress.setdefault("setting_changes", []).append(change)
            log.info("resumed from %s at step %d", checkpoint, progress["step"])
        else:
            log.info("no checkpoint in %s: starting afresh", out)
    world.broadcast_parameters(model)
    world.broadcast_parameters(trainer.ema)
    if world.rank > 0:
        # Same seed everywhere gave every process the same latents and noise: the
        # discriminator saw one batch of samples world_size times over.
        torch.manual_seed(options.seed + world.rank)

    images = load_images(options.data, config.image_size, progress=world.main)
    log.info("training on %d images of %dx%d", len(images), *images.shape[2:])
    sampler = BatchSampler(
        images,
        options.batch_size,
        seed=options.seed + progress["step"],
        rank=world.rank,
        world_size=world.world_size,
    )
    valid = None
    if options.valid and world.main:
        valid = load_images(options.valid, config.image_size, options.valid_limit)
    preview = images[:8]
    calibration = images[:CALIBRATION_IMAGES]
    best_state = progress.get("best_state_step")
    best_weights = copy.deepcopy(trainer.ema.state_dict())
    if progress["best"] is not None:
        saved = load_best_weights(checkpoint, trainer.ema)
        if saved is not None:
            best_weights = saved
        else:  # an older checkpoint without them: choose afresh, keep the card true
            progress["best"] = None

    interrupted = {"flag": False}

    def on_interrupt(signum, frame):  # noqa: ARG001
        if interrupted["flag"]:
            raise KeyboardInterrupt
        interrupted["flag"] = True
        log.warning("interrupted: saving a checkpoint and the model, then stopping")

    previous_handler = signal.signal(signal.SIGINT, on_interrupt)
    log_path = out / "log.jsonl"
    started = time.time() - progress["wall_time_s"]
    bar = tqdm(
        total=options.steps,
        initial=progress["step"],
        disable=not world.main,
        unit="step",
        dynamic_ncols=True,
    )
    try:
        while progress["step"] < options.steps:
            batch = sampler.next().to(world.device)
            values = trainer(batch, grad_hook=world.average_gradients)
            progress["step"] += 1
            progress["images_seen"] += len(batch) * world.world_size
            progress["wall_time_s"] = time.time() - started
            bar.update(1)
            bar.set_postfix({k: f"{v:.3f}" for k, v in values.items()})
            step = progress["step"]
            out_of_time = (
                options.max_minutes is not None
                and progress["wall_time_s"] > options.max_minutes * 60
            )
            stop = world.any_flag(interrupted["flag"] or out_of_time)
            if world.main and (
                step % options.sample_every == 0 or stop or step == options.steps
            ):
                record = {
                    "step": step,
                    "images_seen": progress["images_seen"],
                    "wall_time_s": round(progress["wall_time_s"], 1),
                    **values,
                }
                averaged = _averaged(trainer, calibration)
                if valid is not None:
                    quality = reconstruction_quality(averaged, valid.to(world.device))
                    record.update({f"valid_{k}": v for k, v in quality.items()})
                    if (
                        progress["best"] is None
                        or quality["psnr_db"] > progress["best"]["psnr_db"]
                    ):
                        progress["best"] = {
                            "step": step,
                            "images_seen": progress["images_seen"],
                            **quality,
                        }
                        best_weights = averaged.state_dict()
                        best_state = step
                with log_path.open("a") as f:
                    f.write(json.dumps(record) + "\n")
                _save_previews(averaged, preview, out, step)
            if world.main and (step % options.checkpoint_every == 0 or stop):
                progress["best_state_step"] = best_state
                save_checkpoint(
                    checkpoint, trainer, progress, _best(progress, best_weights)
                )
                if valid is not None:
                    _export(
                        trainer.ema, best_weights, options, progress, out / MODEL_NAME
                    )
            if stop:
                break
    finally:
        bar.close()
        signal.signal(signal.SIGINT, previous_handler)

    result = None
    if world.main:
        progress["best_state_step"] = best_state
        best = _best(progress, best_weights)
        save_checkpoint(checkpoint, trainer, progress, best)
        if valid is not None:
            weights = best_weights
        else:
            weights = _averaged(trainer, calibration).state_dict()
        result = out / MODEL_NAME
        _export(trainer.ema, weights, options, progress, result)
        log.info("model written to %s", result)
    world.close()
    return result


def _averaged(trainer: TrainingStep, calibration: torch.Tensor) -> GenerativeModel:
    """A copy of the weight average with batch-norm statistics of its own."""
    return recalibrate_batch_norm(copy.deepcopy(trainer.ema), calibration)


def _best(progress: dict, best_weights: dict) -> dict | None:
    """The validation-chosen weights, once there are any, for the checkpoint."""
    return best_weights if progress["best"] is not None else None


def _save_previews(model: GenerativeModel, preview: torch.Tensor, out: Path, step: int):
    device = next(model.parameters()).device
    if len(preview) % 2:
        # The rows pair images up; one image alone would give no rows at all and
        # the grid nothing to show, so it is paired with its mirror image.
        preview = torch.cat([preview, preview[-1:].flip(3)])
    samples = sample_images(model, 16, seed=1234)
    rows = reconstruction_rows(model, preview.to(device), steps=6)
    save_grid(
        torch.cat([samples[:8], samples[8:16]]), out / f"samples_{step:07d}.png", 8
    )
    save_grid(rows, out / f"reconstructions_{step:07d}.png", 8)


def _images_seen_by_export(progress: dict) -> int:
    """Images the exported weights had seen: with --valid, up to the chosen step (a
    checkpoint from before this was recorded counts the whole run)."""
    best = progress.get("best") or {}
    seen = best.get("images_seen", progress["images_seen"])
    return seen + progress.get("images_seen_before", 0)


def _export(ema, weights, options: TrainOptions, progress: dict, path: Path) -> None:
    model = copy.deepcopy(ema)
    model.load_state_dict(weights)
    card = {
        "preset": _preset_name(model.config, options),
        "data": [str(p) for p in options.data],
        "steps": progress["step"],
        "batch_size": options.batch_size,
        "images_seen": _images_seen_by_export(progress),
        "wall_time_s": round(progress["wall_time_s"], 1),
        "date": datetime.date.today().isoformat(),
        "hardware": _hardware(),
        "command": options.command,
        "optimizer": asdict(OptimConfig(lr=options.lr)),
    }
    if "continued_from" in progress:
        card["continued_from"] = progress["continued_from"]
        card["total_wall_time_s"] = round(
            progress["wall_time_s"] + progress["wall_time_before"], 1
        )
    if progress.get("setting_changes"):
        card["setting_changes"] = progress["setting_changes"]
    if progress.get("best"):
        card["selected_on_valid"] = progress["best"]
    save_model(model, path, card)


def _preset_name(config: ModelConfig, options: TrainOptions) -> str:
    """The preset the exported config is. --preset (which defaults to "default")
    names it only when the run built its config from it: a resumed or continued run
    takes its config from the checkpoint or model file, whatever --preset says."""
    if config == preset(options.preset, **options.overrides):
        return options.preset
    return next((name for name, c in PRESETS.items() if c == config), "custom")


def _hardware() -> str:
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"{platform.processor() or platform.machine()} CPU, {os.cpu_count()} cores"


def command_line() -> str:
    return " ".join(sys.argv)
