"""The allowed range of every value an edit takes, checked in one place so the
session's methods and the stroke-list validator agree.

Each check raises EditError naming the value, or returns it normalised.
"""

from __future__ import annotations

import math

from .errors import EditError

BRUSHES = ("square", "soft")
MASK_MODES = ("protect", "force", "clear")
# The prior is N(0, 1): a latent beyond 5 standard deviations only produces garbage.
LATENT_LIMIT = 5.0
MAX_STRENGTH = 10.0
MAX_SEED = 2**63 - 1


def number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise EditError(f"{what} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise EditError(f"{what} must be finite, not {value!r}")
    return float(value)


def whole(value, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise EditError(f"{what} must be a whole number, not {value!r}")
    if not low <= value <= high:
        raise EditError(f"{what} {value} is out of range ({low}..{high})")
    return int(value)


def color(value) -> tuple[int, int, int]:
    if not isinstance(value, (list, tuple)) or len(value) != 3:
        raise EditError(f"color must be three values [r, g, b], not {value!r}")
    return tuple(whole(v, "color value", 0, 255) for v in value)


def size(value, limit: float) -> float:
    value = number(value, "brush size")
    if not 0 < value <= limit:
        raise EditError(
            f"brush size {value:g} is out of range (above 0, up to {limit:g})"
        )
    return value


def strength(value) -> float:
    value = number(value, "strength")
    if not 0 < value <= MAX_STRENGTH:
        raise EditError(f"strength {value:g} is out of range (above 0, up to 10)")
    return value


def amount(value) -> float:
    value = number(value, "amount")
    if not 0 < abs(value) <= MAX_STRENGTH:
        raise EditError(f"amount {value:g} is out of range (-10..10, not 0)")
    return value


def brush(value) -> str:
    if value not in BRUSHES:
        raise EditError(f"brush {value!r} is unknown; choose from {', '.join(BRUSHES)}")
    return value


def mask_mode(value) -> str:
    if value not in MASK_MODES:
        raise EditError(
            f"mask mode {value!r} is unknown; choose from {', '.join(MASK_MODES)}"
        )
    return value


def latent(index, value, z_size: int) -> tuple[int, float]:
    index = whole(index, "latent index", 0, z_size - 1)
    value = number(value, "latent value")
    if abs(value) > LATENT_LIMIT:
        raise EditError(
            f"latent value {value:g} is out of range "
            f"(-{LATENT_LIMIT:g}..{LATENT_LIMIT:g})"
        )
    return index, value


def seed(value) -> int:
    return whole(value, "seed", 0, MAX_SEED)


def point(value, photo_size: tuple[int, int]) -> tuple[float, float]:
    """A photo position; must lie on the photo (edges included)."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise EditError(f"a point must be [x, y], not {value!r}")
    x, y = number(value[0], "x"), number(value[1], "y")
    width, height = photo_size
    if not (0 <= x <= width and 0 <= y <= height):
        raise EditError(f"point [{x:g}, {y:g}] is outside the {width}x{height} photo")
    return x, y


def size_limit(photo_size: tuple[int, int]) -> float:
    """The widest brush: twice the photo's longer side covers everything."""
    return 2.0 * max(photo_size)
