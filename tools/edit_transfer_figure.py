"""Draw docs/images/edit-transfer.png: why the editor transfers the model's change
onto the photo instead of pasting the model's upsampled image.

    python tools/edit_transfer_figure.py [--model FILE] [--out PNG]

The photo is synthetic (fine print and a woven texture, the kind of detail a 64 px
model cannot hold), so no dataset image ends up in the repository. With a model
file, the edit is real: colour strokes through EditSession. Without one, the
model's change G(z) - X̂ is a stand-in, a smooth recolouring drawn at model size;
both then go through the engine's own mask and transfer code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from npe_app.editing import CropBox, EditSession, Photo  # noqa: E402
from npe_app.editing.crop import model_input  # noqa: E402
from npe_app.editing.mask import DEFAULT_SIGMA, interpolation_mask, transfer  # noqa: E402
from npe_app.paths import default_model_path  # noqa: E402

SIDE, MODEL = 512, 64


def detailed_photo() -> np.ndarray:
    """Woven texture, soft shading and lines of small print."""
    y, x = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32)
    weave = 18 * np.sign(np.sin(x / 2.2)) * np.sign(np.sin(y / 2.2))
    shade = 60 * np.exp(-((x - 256) ** 2 + (y - 220) ** 2) / (2 * 150**2))
    base = np.dstack([150 + shade + weave, 120 + shade + weave, 100 + 0.5 * shade])
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for row in range(12, SIDE, 22):
        draw.text(
            (10, row), "fine detail the model cannot hold " * 2, fill=(30, 25, 20)
        )
    return np.asarray(image)


def stand_in_edit(x_model: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(X̂, G(z)) at model size: a blurred reconstruction, and the same with a
    smooth red blob where a stroke would have been."""
    reconstruction = cv2.GaussianBlur(x_model.astype(np.float32), (0, 0), 1.0)
    y, x = np.mgrid[0:MODEL, 0:MODEL].astype(np.float32)
    blob = np.exp(-((x - 32) ** 2 + (y - 28) ** 2) / (2 * 9.0**2))[:, :, None]
    generated = reconstruction + blob * (np.array([210, 40, 50]) - reconstruction)
    return reconstruction, generated.astype(np.float32)


def real_edit(model_path: Path, photo: np.ndarray):
    from npe_app.model.modelfile import load_model

    model, _ = load_model(model_path)
    session = EditSession(model, Photo(photo), crop=CropBox(0, 0, SIDE))
    session.begin_stroke()
    for step in range(25):
        session.paint(220 + 3 * step, 230, (210, 40, 50), 110)
    session.end_stroke()
    return session._reconstruction(), session._generated()  # noqa: SLF001


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--out", default="docs/images/edit-transfer.png")
    args = parser.parse_args()
    photo = detailed_photo()
    crop = CropBox(0, 0, SIDE)
    model_path = Path(args.model) if args.model else default_model_path()
    if model_path.exists():
        reconstruction, generated = real_edit(model_path, photo)
        source = f"model {model_path.name}"
    else:
        reconstruction, generated = stand_in_edit(model_input(photo, crop, MODEL))
        source = "stand-in change (no model file)"
    change = generated - reconstruction
    mask = interpolation_mask(change / 127.5, DEFAULT_SIGMA)
    x_model = model_input(photo, crop, MODEL).astype(np.float32)
    pasted_model = x_model + mask[:, :, None] * (generated - x_model)
    pasted = cv2.resize(
        np.clip(pasted_model, 0, 255).astype(np.uint8),
        (SIDE, SIDE),
        interpolation=cv2.INTER_CUBIC,
    )
    ours = transfer(photo, change, mask, crop, ())
    panels = [photo, pasted, ours]
    zoom = [
        cv2.resize(p[200:296, 170:266], (SIDE, SIDE), interpolation=cv2.INTER_NEAREST)
        for p in panels
    ]
    gap = np.full((SIDE, 8, 3), 255, np.uint8)
    top = np.hstack([panels[0], gap, panels[1], gap, panels[2]])
    bottom = np.hstack([zoom[0], gap, zoom[1], gap, zoom[2]])
    figure = np.vstack([top, np.full((8, top.shape[1], 3), 255, np.uint8), bottom])
    small = cv2.resize(
        figure,
        (figure.shape[1] // 2, figure.shape[0] // 2),
        interpolation=cv2.INTER_AREA,
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(small).save(out, optimize=True)
    print(
        f"{out}: original | paste of the 64 px result | change transferred "
        f"(top: whole crop, bottom: 5x detail) from the {source}"
    )


if __name__ == "__main__":
    main()
