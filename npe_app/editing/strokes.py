"""Stroke lists: a JSON list of recorded operations that the `edit` command replays
and that EditSession.operations() exports.

A list is read and checked completely before anything is computed, so a typo in
operation 500 fails in milliseconds, not after 499 gradient steps.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from . import checks
from .errors import EditError

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 64 * 1024**2
MAX_POINTS = 1_000_000
MAX_REFINE_STEPS = 10_000

# op -> (required fields, optional fields)
FIELDS = {
    "stroke": ({"points", "color", "size"}, {"strength", "brush"}),
    "lighten": ({"points", "size"}, {"amount"}),
    "darken": ({"points", "size"}, {"amount"}),
    "latent": ({"index", "value"}, set()),
    "sample": ({"seed"}, set()),
    "commit": (set(), set()),
    "reset": (set(), set()),
    "undo": (set(), set()),
    "redo": (set(), set()),
    "mask": ({"points", "size", "mode"}, set()),
    "clear_mask": (set(), set()),
    "refine": ({"steps"}, set()),
}


def read_strokes(path) -> list:
    """The JSON list in path, unchecked beyond being a list."""
    path = Path(path)
    try:
        if path.is_dir():
            raise EditError(f"{path}: is a folder, not a stroke list")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise EditError(f"{path}: {size / 1e6:.0f} MB is too large for strokes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EditError(f"{path}: no such file") from None
    except PermissionError:
        raise EditError(f"{path}: cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise EditError(f"{path}: not a UTF-8 text file") from None
    except OSError as error:
        raise EditError(f"{path}: cannot be read ({error.strerror or error})") from None
    if not text.strip():
        raise EditError(f"{path}: the file is empty (an empty list is [])")
    try:
        ops = json.loads(text)
    except json.JSONDecodeError as error:
        raise EditError(
            f"{path}: bad JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    if not isinstance(ops, list):
        raise EditError(f"{path}: must hold a JSON list of operations")
    return ops


def _check_op(op, photo_size: tuple[int, int], z_size: int) -> dict:
    if not isinstance(op, dict):
        raise EditError(f"must be an object, not {op!r}")
    name = op.get("op")
    if name not in FIELDS:
        raise EditError(
            f"unknown operation {name!r}; known: {', '.join(sorted(FIELDS))}"
        )
    required, optional = FIELDS[name]
    missing = sorted(required - set(op))
    if missing:
        raise EditError(f"{name} needs {', '.join(missing)}")
    extra = sorted(set(op) - required - optional - {"op"})
    if extra:
        raise EditError(f"{name} does not take {', '.join(extra)}")
    out: dict = {"op": name}
    if "points" in required:
        points = op["points"]
        if not isinstance(points, list) or not points:
            raise EditError(f"{name} needs a non-empty list of points")
        if len(points) > MAX_POINTS:
            raise EditError(f"{name} has more than {MAX_POINTS} points")
        out["points"] = [checks.point(p, photo_size) for p in points]
        out["size"] = checks.size(op["size"], checks.size_limit(photo_size))
    if name == "stroke":
        out["color"] = checks.color(op["color"])
        out["strength"] = checks.strength(op.get("strength", 1.0))
        out["brush"] = checks.brush(op.get("brush", "square"))
    elif name in ("lighten", "darken"):
        out["amount"] = checks.amount(op.get("amount", 1.0))
        if out["amount"] < 0:
            raise EditError(f"{name} amount must be positive (use the other operation)")
    elif name == "latent":
        out["index"], out["value"] = checks.latent(op["index"], op["value"], z_size)
    elif name == "sample":
        out["seed"] = checks.seed(op["seed"])
    elif name == "mask":
        out["mode"] = checks.mask_mode(op["mode"])
    elif name == "refine":
        out["steps"] = checks.whole(op["steps"], "steps", 0, MAX_REFINE_STEPS)
    return out


def check_strokes(
    ops: list, photo_size: tuple[int, int], z_size: int, source: str = "strokes"
) -> list[dict]:
    """Every operation checked and normalised; EditError names the first bad one."""
    checked = []
    for number, op in enumerate(ops, start=1):
        try:
            checked.append(_check_op(op, photo_size, z_size))
        except EditError as error:
            raise EditError(f"{source}: operation {number}: {error}") from None
    return checked


def apply_strokes(session, ops: list[dict]) -> None:
    """Replay checked operations on a session; each point is one brush step and each
    operation with points is one undo step."""
    for op in ops:
        name = op["op"]
        if "points" in op:
            session.begin_stroke()
            for x, y in op["points"]:
                if name == "stroke":
                    session.paint(
                        x, y, op["color"], op["size"], op["strength"], op["brush"]
                    )
                elif name == "mask":
                    session.paint_user_mask(x, y, op["size"], op["mode"])
                else:
                    sign = 1.0 if name == "lighten" else -1.0
                    session.lighten(x, y, op["size"], sign * op["amount"])
            session.end_stroke()
        elif name == "latent":
            session.set_latents([op["index"]], [op["value"]])
        elif name == "sample":
            session.sample(op["seed"])
        elif name in ("undo", "redo"):
            if not getattr(session, name)():
                log.warning("%s: nothing to %s", name, name)
        elif name == "refine":
            if op["steps"]:
                session.refine(op["steps"])
        else:  # commit, reset, clear_mask
            {
                "commit": session.commit,
                "reset": session.reset,
                "clear_mask": session.clear_user_mask,
            }[name]()
