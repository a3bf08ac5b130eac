"""`npe edit PHOTO --strokes FILE.json --out OUT`: replay a recorded stroke list on a
photo without the window, and write the result.

Everything is checked before any work: the stroke list, the photo, the output
path and the model; a failure is one line naming the file and problem (exit 2)
and nothing is written.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the `edit` command on the CLI's subparsers."""
    p = subparsers.add_parser(
        "edit", help="apply a recorded stroke list to a photo and save the result"
    )
    p.add_argument("photo", metavar="PHOTO", help="JPEG, PNG, WebP, BMP or TIFF")
    p.add_argument(
        "--strokes",
        required=True,
        metavar="FILE.json",
        help="JSON list of operations (see docs/engine-api.md)",
    )
    p.add_argument(
        "--out",
        required=True,
        metavar="OUT",
        help="where to write the edited photo (.png, .jpg, .webp)",
    )
    p.add_argument("--model", help="model file (default: the shipped model)")
    p.add_argument(
        "--crop",
        metavar="L,T,S",
        help="face crop in photo pixels: left, top, side (default: detect)",
    )
    p.add_argument("--quality", type=int, default=95, help="JPEG/WebP quality 1-100")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="allow writing over an existing file, the photo included",
    )
    p.set_defaults(func=run)
    return p


def parse_crop(text: str):
    from .checks import number
    from .crop import CropBox
    from .errors import EditError

    parts = text.split(",")
    if len(parts) != 3:
        raise EditError(f"--crop {text!r}: give three numbers L,T,S")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise EditError(f"--crop {text!r}: give three numbers L,T,S") from None
    return CropBox(*(number(v, "--crop") for v in values))


def run(args) -> None:
    from npe_app.cli import _load

    from .checks import whole
    from .errors import EditError
    from .export import check_target
    from .photo import open_photo
    from .session import EditSession
    from .strokes import apply_strokes, check_strokes, read_strokes

    ops = read_strokes(args.strokes)
    crop = parse_crop(args.crop) if args.crop else None
    quality = whole(args.quality, "--quality", 1, 100)
    photo = open_photo(args.photo)
    out = Path(args.out)
    if out.exists() and not args.overwrite:
        raise EditError(f"{out}: already exists (use --overwrite to replace it)")
    check_target(out, photo.path, args.overwrite)
    if crop is not None:
        crop = crop.check(photo.size)
    model, _, model_path = _load(args.model)
    checked = check_strokes(ops, photo.size, model.config.z_size, str(args.strokes))
    session = EditSession(model, photo, crop)
    session.model_path = Path(model_path)
    if session.notice:
        log.warning("%s: %s", args.photo, session.notice)
    apply_strokes(session, checked)
    session.save_image(out, quality, overwrite_original=args.overwrite)
    print(f"edited photo written to {out} ({len(checked)} operations)")
