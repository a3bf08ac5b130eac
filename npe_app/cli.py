"""`npe <command>`: the editor (no command), training, evaluation and figures.

Every expected failure (bad file, bad argument) ends in one line on stderr naming
the problem and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

log = logging.getLogger("npe")


class UserError(Exception):
    """A problem the user can fix; printed as one line."""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _load(model_path: str | None):
    """(model, card, path) for --model, or the shipped default."""
    from .model.modelfile import ModelFileError, load_model
    from .paths import default_model_path

    path = Path(model_path) if model_path else default_model_path()
    if model_path is None and not path.exists():
        raise UserError(
            f"the default model {path} is missing; train one with `npe train` "
            "or name one with --model"
        )
    try:
        model, card = load_model(path)
    except ModelFileError as error:
        raise UserError(f"cannot load model: {error}") from None
    return model, card, path


def cmd_train(args) -> None:
    from .model.config import ConfigError, preset
    from .training.loop import TrainOptions, command_line, train

    if args.resume and args.init_from:
        raise UserError("--resume and --init-from cannot be combined")
    overrides = {}
    for item in args.set or []:
        key, _, value = item.partition("=")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    try:
        preset(args.preset, **overrides)
    except (ConfigError, TypeError) as error:
        raise UserError(f"bad model settings: {error}") from None
    options = TrainOptions(
        data=args.data,
        out=args.out,
        preset=args.preset,
        steps=args.steps,
        batch_size=args.batch_size,
        resume=args.resume,
        init_from=args.init_from,
        valid=args.valid,
        sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every,
        max_minutes=args.max_minutes,
        seed=args.seed,
        lr=args.lr,
        threads=args.threads,
        overrides=overrides,
        command=command_line(),
    )
    path = train(options)
    if path is not None:
        print(f"model written to {path}")


def cmd_eval(args) -> None:
    from .training.data import load_images
    from .training.evaluate import reconstruction_quality

    model, _, path = _load(args.model)
    images = load_images(
        args.data, model.config.image_size, args.limit, progress=not args.json
    )
    figures = reconstruction_quality(model, images, progress=not args.json)
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"model {path.name} on {figures['n_images']} images: "
            f"MSE {figures['mse']:.5f}, PSNR {figures['psnr_db']:.2f} dB, "
            f"SSIM {figures['ssim']:.4f}"
        )


def cmd_sample(args) -> None:
    from .training.figures import sample_images, save_grid

    model, _, _ = _load(args.model)
    images = sample_images(model, args.n, seed=args.seed)
    save_grid(images, args.out, columns=min(args.n, 8))
    print(f"{args.n} samples written to {args.out}")


def cmd_reconstruct(args) -> None:
    from PIL import Image

    from .training.data import load_images
    from .training.figures import reconstruction_rows, save_grid

    model, _, _ = _load(args.model)
    size = model.config.image_size
    photos = []
    for name in args.images:
        try:
            photos.append(load_images(name, size, progress=False))
        except Exception as error:  # noqa: BLE001 - reported as one line
            raise UserError(f"{name}: {error}") from None
    del Image
    import torch

    images = torch.cat(photos)
    if len(images) % 2:
        images = torch.cat([images, images[-1:].flip(3)])
    rows = reconstruction_rows(model, images, steps=args.steps)
    save_grid(rows, args.out, columns=args.steps + 2)
    print(f"originals, reconstructions and interpolations written to {args.out}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="npe", description="Neural Photo Editor: edit portraits by painting."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("train", help="train a model on a folder or tar shards of faces")
    p.add_argument("--data", nargs="+", required=True, help="folders or .tar shards")
    p.add_argument("--out", required=True, help="folder for checkpoints, logs, model")
    p.add_argument("--preset", default="default", choices=["tiny", "default", "paper"])
    p.add_argument("--steps", type=_positive, default=20_000)
    p.add_argument("--batch-size", type=_positive, default=64)
    p.add_argument(
        "--resume", action="store_true", help="continue from --out's checkpoint"
    )
    p.add_argument("--init-from", metavar="MODEL_FILE", help="start from a model file")
    p.add_argument("--valid", nargs="+", help="held-out images that choose the export")
    p.add_argument("--sample-every", type=_positive, default=500)
    p.add_argument("--checkpoint-every", type=_positive, default=500)
    p.add_argument("--max-minutes", type=float, help="stop cleanly after this long")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--threads", type=_positive, help="CPU threads for torch")
    p.add_argument(
        "--set",
        action="append",
        metavar="FIELD=VALUE",
        help="override a model setting, e.g. --set g_width=24",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("eval", help="reconstruction quality on held-out images")
    p.add_argument("--data", nargs="+", required=True)
    p.add_argument("--model", help="model file (default: the shipped model)")
    p.add_argument("--limit", type=_positive, help="use at most this many images")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("sample", help="a grid of random samples")
    p.add_argument("--n", type=_positive, default=16)
    p.add_argument("--out", required=True, help="PNG file to write")
    p.add_argument("--model")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("reconstruct", help="originals, reconstructions, interpolations")
    p.add_argument("images", nargs="+")
    p.add_argument("--out", required=True, help="PNG file to write")
    p.add_argument("--model")
    p.add_argument("--steps", type=_positive, default=6, help="interpolation steps")
    p.set_defaults(func=cmd_reconstruct)

    from .editing.command import add_parser as add_edit_parser

    add_edit_parser(sub)

    from .training.ablation import add_parser as add_ablation_parser

    add_ablation_parser(sub)

    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001
    first = next((a for a in argv if a not in ("-v", "--verbose")), None)
    logging.basicConfig(
        level=logging.DEBUG if "-v" in argv or "--verbose" in argv else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if first is None or (first not in commands and first not in ("-h", "--help")):
        # No command: `npe [PHOTO] [--model FILE]` opens the editor.
        from .ui.app import run_editor

        return run_editor([a for a in argv if a not in ("-v", "--verbose")])
    args = parser.parse_args(argv)
    from .editing.errors import EditError
    from .model.config import ConfigError
    from .model.modelfile import ModelFileError
    from .training.data import DataError

    try:
        args.func(args)
    except (UserError, ModelFileError, DataError, ConfigError, EditError) as error:
        print(f"npe: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("npe: interrupted", file=sys.stderr)
        return 130
    return 0
