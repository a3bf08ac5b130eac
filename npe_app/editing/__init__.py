"""The editing engine: open a photo, find the face, edit its latent, write the
result. No Qt here (ruff TID251): the window in npe_app/ui/ calls this API, and the
CLI and the tests use it without a display. See docs/engine-api.md.

Names are imported on first use, so `npe train` and `npe --help` do not pay for
OpenCV and SciPy.
"""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "CropBox": ".crop",
    "EditError": ".errors",
    "EditSession": ".session",
    "Photo": ".photo",
    "find_face": ".face",
    "open_photo": ".photo",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name], __name__), name)
