"""The editing engine: open a photo, find the face, edit its latent, write the
result. No Qt here (ruff TID251): the window in npe_app/ui/ calls this API, and the
CLI and the tests use it without a display. See docs/engine-api.md."""

from .crop import CropBox
from .errors import EditError
from .face import find_face
from .photo import Photo, open_photo
from .session import EditSession

__all__ = ["CropBox", "EditError", "EditSession", "Photo", "find_face", "open_photo"]
