"""`npe ablation`: the paper's CelebA ablation (Table 2) at a scale a CPU affords.

Nine variants (the VAE/GAN baseline, then the IAN with every subset of MDC,
Orthogonal Regularization and the ternary adversarial loss) are trained with the
same data, seeds, widths and step budget, evaluated on held-out images, and written
up as reports/ablation.md. Every finished run leaves a JSON file under --out, so a
rerun only trains what is missing, and the report can be written from whatever has
finished.

Torch is imported only when runs are trained, so that building the CLI stays cheap.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from ..model.config import ConfigError, ModelConfig, preset

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Variant:
    """One row of Table 2."""

    name: str  # file-name safe
    mdc: bool
    ortho: bool
    ternary: bool
    baseline: bool = False

    @property
    def label(self) -> str:
        if self.baseline:
            return "VAE/GAN baseline"
        parts = [
            p
            for p, on in (
                ("MDC", self.mdc),
                ("OrthoReg", self.ortho),
                ("Ternary", self.ternary),
            )
            if on
        ]
        return "IAN" + ("".join(f" +{p}" for p in parts) if parts else " (none)")


def _ian(mdc: bool, ortho: bool, ternary: bool) -> Variant:
    parts = ["ian"] + [
        p for p, on in (("mdc", mdc), ("ortho", ortho), ("ternary", ternary)) if on
    ]
    return Variant("-".join(parts), mdc, ortho, ternary)


# In the paper's row order.
VARIANTS = (
    Variant("vaegan", mdc=False, ortho=False, ternary=False, baseline=True),
    _ian(False, False, False),
    _ian(False, True, False),
    _ian(True, False, False),
    _ian(True, True, False),
    _ian(False, False, True),
    _ian(False, True, True),
    _ian(True, False, True),
    _ian(True, True, True),
)
VARIANTS_BY_NAME = {v.name: v for v in VARIANTS}

# The switches each variant sets; --set may not touch them.
VARIANT_FIELDS = ("architecture", "mdc", "ortho_reg", "adversarial")

# The reduced scale (a 2-core CPU): 32x32 images, a quarter of the default widths.
DEFAULT_OVERRIDES = {"image_size": 32, "z_size": 32, "g_width": 16, "d_width": 16}


@dataclass
class StudySettings:
    """Everything that must match for two runs to be comparable; a finished run whose
    settings differ from these is trained again."""

    data: list[str]
    valid: str
    preset: str = "tiny"
    overrides: dict = field(default_factory=lambda: dict(DEFAULT_OVERRIDES))
    ortho_strength: float = 1e-3  # the paper's smaller setting
    steps: int = 1000
    batch_size: int = 32
    lr: float = 2e-4
    # Short runs need a short average: 0.999 would keep 37% of the random init
    # after 1000 steps.
    ema_decay: float = 0.99
    eval_every: int = 50
    # Training images whose batch statistics the averaged weights get before each
    # evaluation (see batch_norm.py); the live network's would understate them.
    calibration_images: int = 512
    curve_images: int = 256  # first images of --valid, for the learning curve
    threads: int = 1  # per process; small convolutions scale poorly across threads

    def comparable(self) -> dict:
        return dataclasses.asdict(self)

    def base_config(self) -> ModelConfig:
        return preset(self.preset, **self.overrides)


def variant_config(variant: Variant, settings: StudySettings) -> ModelConfig:
    """The base config with the variant's switches; the baseline is the VAE/GAN of
    Larsen et al. (separate encoder, binary loss) with plain convolutions."""
    return dataclasses.replace(
        settings.base_config(),
        architecture="vaegan" if variant.baseline else "ian",
        mdc="standard" if variant.mdc else "none",
        ortho_reg=settings.ortho_strength if variant.ortho else 0.0,
        adversarial="ternary" if variant.ternary else "binary",
    )


def run_name(variant: Variant, seed: int) -> str:
    return f"{variant.name}_seed{seed}"


def runs_dir(out: Path) -> Path:
    return Path(out) / "runs"


def finished_result(
    out: Path, variant: Variant, seed: int, settings: StudySettings
) -> dict | None:
    """The saved result of this run, if it exists and was made with these settings."""
    path = runs_dir(out) / f"{run_name(variant, seed)}.json"
    if not path.exists():
        return None
    try:
        result = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        log.warning("%s is unreadable: training that run again", path)
        return None
    if result.get("settings") != settings.comparable():
        log.warning("%s was made with other settings: it does not count", path)
        return None
    return result


def run_study(
    settings: StudySettings,
    out: Path,
    seeds: int,
    report: Path,
    variants: tuple[Variant, ...] = VARIANTS,
    workers: int = 1,
    train: bool = True,
) -> Path:
    """Train every missing (variant, seed) run, then write the report."""
    from .ablation_report import write_report

    out = Path(out)
    runs_dir(out).mkdir(parents=True, exist_ok=True)
    # Seed-major order: if time runs out, every variant has its first seed.
    todo = [
        (v, s)
        for s in range(seeds)
        for v in variants
        if finished_result(out, v, s, settings) is None
    ]
    if train and todo:
        from .ablation_run import train_runs

        log.info("%d of %d runs to train", len(todo), seeds * len(variants))
        train_runs(todo, settings, out, workers)
    elif todo:
        log.info("%d runs are missing; reporting what has finished", len(todo))
    return write_report(out, report, settings, seeds, variants)


def _set_overrides(items: list[str] | None) -> dict:
    overrides = dict(DEFAULT_OVERRIDES)
    for item in items or []:
        key, _, value = item.partition("=")
        if key in VARIANT_FIELDS:
            raise ConfigError(f"{key} is what the ablation varies; it cannot be set")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    return overrides


def cmd_ablation(args) -> None:
    overrides = _set_overrides(args.set)
    try:
        preset(args.preset, **overrides)
    except TypeError as error:
        raise ConfigError(str(error)) from None
    settings = StudySettings(
        data=[str(p) for p in args.data],
        valid=str(args.valid),
        preset=args.preset,
        overrides=overrides,
        steps=args.steps,
        batch_size=args.batch_size,
        eval_every=min(args.eval_every, args.steps),
        curve_images=args.curve_images,
        threads=args.threads,
    )
    variants = VARIANTS
    if args.variants:
        unknown = sorted(set(args.variants) - set(VARIANTS_BY_NAME))
        if unknown:
            raise ConfigError(
                f"unknown variants {unknown}; choose from {', '.join(VARIANTS_BY_NAME)}"
            )
        variants = tuple(v for v in VARIANTS if v.name in args.variants)
    path = run_study(
        settings,
        Path(args.out),
        args.seeds,
        Path(args.report),
        variants,
        workers=args.workers,
        train=not args.report_only,
    )
    print(f"ablation report written to {path}")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register `ablation` on the CLI's subparsers."""
    p = subparsers.add_parser(
        "ablation",
        help="train and compare the paper's nine ablation variants",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--data", nargs="+", required=True, help="folders or .tar shards")
    p.add_argument("--valid", required=True, help="held-out images (folder or .tar)")
    p.add_argument("--out", required=True, help="folder for per-run results")
    p.add_argument(
        "--report",
        default="reports/ablation.md",
        help="markdown file to write; its figures go beside it",
    )
    p.add_argument("--preset", default="tiny", choices=["tiny", "default", "paper"])
    p.add_argument(
        "--set",
        action="append",
        metavar="FIELD=VALUE",
        help="override a model setting (default: "
        + ", ".join(f"{k}={v}" for k, v in DEFAULT_OVERRIDES.items())
        + ")",
    )
    p.add_argument("--steps", type=_positive, default=1000, help="per run")
    p.add_argument("--batch-size", type=_positive, default=32)
    p.add_argument("--seeds", type=_positive, default=2, help="runs per variant")
    p.add_argument(
        "--eval-every",
        type=_positive,
        default=50,
        help="steps between points of the learning curve",
    )
    p.add_argument(
        "--curve-images",
        type=_positive,
        default=256,
        help="valid images used for the learning curve",
    )
    p.add_argument(
        "--variants", nargs="+", metavar="NAME", help="only these (default: all nine)"
    )
    p.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="runs trained at once, one process each",
    )
    p.add_argument("--threads", type=_positive, default=1, help="torch threads per run")
    p.add_argument(
        "--report-only",
        action="store_true",
        help="train nothing; report the runs already finished",
    )
    p.set_defaults(func=cmd_ablation)
    return p
