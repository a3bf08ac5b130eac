"""Training and evaluating the ablation's runs, here or in worker processes.

One run is one (variant, seed): the model is built and the batches are drawn from
that seed, so every variant sees the same images in the same order. A run's JSON
file is written last, after its images, so its presence means the run is complete.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..model.networks import GenerativeModel
from . import metrics
from .ablation import (
    VARIANTS_BY_NAME,
    StudySettings,
    Variant,
    run_name,
    runs_dir,
    variant_config,
)
from .batch_norm import recalibrate_batch_norm
from .data import BatchSampler, load_images, to_model_range
from .evaluate import reconstruction_quality
from .figures import sample_images, save_grid
from .random_features import (
    RandomFeatureNet,
    feature_distance,
    frechet_distance,
    pooled_features,
)
from .step import OptimConfig, TrainingStep

log = logging.getLogger(__name__)

GRID_IMAGES = 8  # samples and reconstructions kept per run
SAMPLE_SEED = 1234
FD_SEED = 4321  # latents of the samples that are compared with the photos

# What a process needs to train runs: set once per worker (or once here).
_state: dict = {}


@torch.no_grad()
def reconstruction_errors(
    model: GenerativeModel,
    images: torch.Tensor,
    feature_net: RandomFeatureNet | None = None,
    batch_size: int = 250,
) -> dict:
    """Mean per-image errors of G(E(x)) on uint8 images, pixels in [-1, 1].

    pixel_l2 is the root-mean-square difference (the paper's "pixel-wise L2
    distance", per pixel so that it does not grow with image size); pixel_l1 is the
    mean absolute difference, the training loss.
    """
    model.eval()
    l2, l1, feature = [], [], []
    for start in range(0, len(images), batch_size):
        x = to_model_range(images[start : start + batch_size])
        r = model.reconstruct(x)
        l2.append(metrics.mse(x, r).sqrt())
        l1.append((x - r).abs().flatten(1).mean(1))
        if feature_net is not None:
            feature.append(feature_distance(feature_net, x, r))
    errors = {
        "pixel_l2": float(torch.cat(l2).mean()),
        "pixel_l1": float(torch.cat(l1).mean()),
    }
    if feature_net is not None:
        errors["feature"] = float(torch.cat(feature).mean())
    return errors


@torch.no_grad()
def sample_distance(
    model: GenerativeModel, images: torch.Tensor, feature_net: RandomFeatureNet
) -> float:
    """Sample quality: the Fréchet distance, in the fixed random features, between
    as many random samples as there are held-out photos and those photos."""
    model.eval()
    samples = torch.cat(
        [
            sample_images(model, len(chunk), seed=FD_SEED + i)
            for i, chunk in enumerate(images.split(250))
        ]
    )
    return frechet_distance(
        pooled_features(feature_net, to_model_range(images)),
        pooled_features(feature_net, samples),
    )


def train_one(
    variant: Variant,
    seed: int,
    settings: StudySettings,
    train_images: torch.Tensor,
    valid_images: torch.Tensor,
    progress: bool = True,
) -> tuple[dict, TrainingStep]:
    """Train one run, following the valid error; returns its result and trainer."""
    torch.manual_seed(seed)
    config = variant_config(variant, settings)
    model = GenerativeModel(config)
    trainer = TrainingStep(
        model, OptimConfig(lr=settings.lr, ema_decay=settings.ema_decay)
    )
    sampler = BatchSampler(train_images, settings.batch_size, seed=seed)
    curve_images = valid_images[: settings.curve_images]
    calibration = train_images[: settings.calibration_images]
    curve, wall, cpu = [], 0.0, 0.0
    steps = range(1, settings.steps + 1)
    for step in tqdm(
        steps,
        desc=run_name(variant, seed),
        disable=not progress,
        unit="step",
        leave=False,
    ):
        started, cpu_started = time.perf_counter(), time.process_time()
        losses = trainer(sampler.next())
        wall += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
        if step % settings.eval_every == 0 or step == settings.steps:
            # In place: the next step copies the live statistics back anyway.
            recalibrate_batch_norm(trainer.ema, calibration, seed=seed)
            errors = reconstruction_errors(trainer.ema, curve_images)
            curve.append(
                {
                    "step": step,
                    "images_seen": step * settings.batch_size,
                    "train_wall_s": round(wall, 2),
                    **errors,
                    **{f"loss_{k}": v for k, v in losses.items()},
                }
            )

    feature_net = RandomFeatureNet()
    # The last step was a curve point, so the average has its own statistics.
    final = reconstruction_errors(trainer.ema, valid_images, feature_net)
    final["sample_fd"] = sample_distance(trainer.ema, valid_images, feature_net)
    quality = reconstruction_quality(trainer.ema, valid_images)
    result = {
        "variant": variant.name,
        "label": variant.label,
        "seed": seed,
        "settings": settings.comparable(),
        "config": dataclasses.asdict(config),
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_images": len(train_images),
        "steps": settings.steps,
        "images_seen": settings.steps * settings.batch_size,
        "train_wall_s": round(wall, 2),
        "train_cpu_s": round(cpu, 2),
        "threads": torch.get_num_threads(),
        "valid": {
            **final,
            "psnr_db": quality["psnr_db"],
            "ssim": quality["ssim"],
            "mse_unit": quality["mse"],
            "n_images": quality["n_images"],
        },
        "curve": curve,
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
    }
    return result, trainer


def _save_run(
    result: dict, trainer: TrainingStep, valid_images: torch.Tensor, out: Path
) -> Path:
    """Grids first, then the JSON (atomically): the JSON marks a finished run."""
    name = f"{result['variant']}_seed{result['seed']}"
    folder = runs_dir(out)
    model = trainer.ema
    save_grid(
        sample_images(model, GRID_IMAGES, seed=SAMPLE_SEED),
        folder / f"{name}-samples.png",
        GRID_IMAGES,
    )
    with torch.no_grad():
        originals = to_model_range(valid_images[:GRID_IMAGES])
        save_grid(
            model.reconstruct(originals), folder / f"{name}-recon.png", GRID_IMAGES
        )
    path = folder / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=1))
    os.replace(tmp, path)
    return path


def _init_state(
    train: np.ndarray, valid: np.ndarray, settings: StudySettings, workers: int
) -> None:
    if workers > 1:  # a fresh worker process has no logging handlers
        logging.basicConfig(
            level=logging.INFO, format="%(levelname)s %(name)s: %(message)s"
        )
    torch.set_num_threads(settings.threads)
    _state.update(
        train=torch.from_numpy(train),
        valid=torch.from_numpy(valid),
        settings=settings,
        workers=workers,
    )


def _run_and_save(variant_name: str, seed: int, out: str, progress: bool) -> str:
    variant = VARIANTS_BY_NAME[variant_name]
    result, trainer = train_one(
        variant,
        seed,
        _state["settings"],
        _state["train"],
        _state["valid"],
        progress=progress,
    )
    result["workers"] = _state["workers"]
    result["hardware"] = f"{platform.machine()} CPU, {os.cpu_count()} cores"
    path = _save_run(result, trainer, _state["valid"], Path(out))
    log.info(
        "%s: pixel L2 %.4f, %.0f s",
        run_name(variant, seed),
        result["valid"]["pixel_l2"],
        result["train_wall_s"],
    )
    return str(path)


def train_runs(
    todo: list[tuple[Variant, int]],
    settings: StudySettings,
    out: Path,
    workers: int = 1,
) -> None:
    """Load the images once, then train the runs in order (seed-major), one at a
    time here or `workers` at a time in spawned processes of one thread each.
    A run that fails is logged and left missing; the others go on."""
    size = settings.base_config().image_size
    train = load_images(settings.data, size).numpy()
    valid = load_images(settings.valid, size).numpy()
    log.info("training on %d images, evaluating on %d", len(train), len(valid))
    save_grid(
        to_model_range(torch.from_numpy(valid[:GRID_IMAGES])),
        Path(out) / "valid-originals.png",
        GRID_IMAGES,
    )

    if workers == 1:
        threads = torch.get_num_threads()
        try:
            _init_state(train, valid, settings, workers=1)
            for variant, seed in tqdm(todo, desc="ablation runs", unit="run"):
                try:
                    _run_and_save(variant.name, seed, str(out), progress=True)
                except Exception:  # noqa: BLE001 - as in the pool below
                    log.exception("run %s failed", run_name(variant, seed))
        finally:
            torch.set_num_threads(threads)
            _state.clear()
        return

    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("spawn"),
        initializer=_init_state,
        initargs=(train, valid, settings, workers),
    )
    with pool:
        futures = {
            pool.submit(_run_and_save, v.name, s, str(out), False): run_name(v, s)
            for v, s in todo
        }
        for future in tqdm(
            as_completed(futures), total=len(futures), desc="ablation runs", unit="run"
        ):
            try:
                future.result()
            except Exception:  # noqa: BLE001 - one failed run must not stop the rest
                log.exception("run %s failed", futures[future])
