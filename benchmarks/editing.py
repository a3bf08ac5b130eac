"""How fast the editing engine is: one brush step, encoding a photo, exporting a
12-megapixel photo.

    python benchmarks/editing.py [--json] [--model FILE]

A brush step is what the window pays per mouse move: the gradient step on z, then
the interpolation mask and the composite at model size (EditSession.paint +
model_view). Encoding is the crop's Lanczos resize plus the encoder. Export is
render() at full resolution plus writing the file (JPEG quality 95; PNG is timed
too). Without the shipped model a freshly initialised `default` preset model is
used: the networks and so the timings are the same, the pictures are not.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from npe_app.editing import EditSession, Photo  # noqa: E402
from npe_app.editing.crop import model_input  # noqa: E402
from npe_app.editing.latent import encode  # noqa: E402
from npe_app.editing.session import to_tensor  # noqa: E402
from npe_app.model.config import preset  # noqa: E402
from npe_app.model.modelfile import ModelFileError, load_model  # noqa: E402
from npe_app.model.networks import GenerativeModel  # noqa: E402
from npe_app.paths import default_model_path  # noqa: E402


def model_for(path: str | None) -> tuple[torch.nn.Module, str]:
    target = Path(path) if path else default_model_path()
    if target.exists() or path:
        try:
            return load_model(target)[0], target.name
        except ModelFileError as error:
            sys.exit(f"benchmark: cannot load model: {error}")
    torch.manual_seed(0)
    return GenerativeModel(preset("default")).eval(), (
        f"freshly initialised 'default' preset ({target.name} is missing)"
    )


def photo_12mp(seed: int = 0) -> np.ndarray:
    """4000x3000 smooth gradients with mild noise, about as compressible as a
    photo (pure noise would make PNG far slower than any real photo)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:3000, 0:4000].astype(np.float32)
    base = np.dstack(
        [
            x / 4000 * 200 + 30,
            y / 3000 * 180 + 40,
            128 + 60 * np.sin(x / 300) * np.cos(y / 200),
        ]
    )
    noise = rng.normal(0, 4, base.shape).astype(np.float32)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def timed(function, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return round(statistics.median(ordered), 2), round(p95, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--steps", type=int, default=200, help="brush steps to time")
    args = parser.parse_args()

    model, model_name = model_for(args.model)
    pixels = photo_12mp()
    session = EditSession(model, Photo(pixels), device="cpu")
    size = session.image_size
    left, top, side = session.crop.pixels
    rng = np.random.default_rng(1)
    points = rng.uniform(0.3, 0.7, (args.steps + 20, 2)) * side + (left, top)
    brush = side / size * 6  # a 6-model-pixel brush

    def step(point=iter(points)):
        x, y = next(point)
        session.paint(x, y, (200, 80, 60), brush)
        session.model_view()

    timed(step, 20)  # warm-up: first calls pick convolution forms, fill caches
    brush_times = timed(step, args.steps)

    def encoding() -> None:
        x = model_input(pixels, session.crop, size)
        encode(session.model, session.device, to_tensor(x))

    encode_times = timed(encoding, 10)

    exports = {}
    with tempfile.TemporaryDirectory() as folder:
        for suffix in (".jpg", ".png"):
            out = Path(folder) / f"edited{suffix}"

            def export(out=out) -> None:
                session._cache.clear()  # noqa: SLF001 - time the render, not a cache
                session.save_image(out, quality=95)

            exports[suffix] = timed(export, 5)

    result = {
        "model": model_name,
        "device": str(session.device),
        "torch_threads": torch.get_num_threads(),
        "image_size": size,
        "crop_pixels": side,
        "brush_step_ms_median": summary(brush_times)[0],
        "brush_step_ms_p95": summary(brush_times)[1],
        "encode_ms_median": summary(encode_times)[0],
        "encode_ms_p95": summary(encode_times)[1],
        "export_12mp_format": "JPEG quality 95 (render + save)",
        "export_12mp_ms_median": summary(exports[".jpg"])[0],
        "export_12mp_ms_p95": summary(exports[".jpg"])[1],
        "export_12mp_png_ms_median": summary(exports[".png"])[0],
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"model: {model_name} on {result['device']}")
    print(
        f"brush step (gradient + mask + composite at {size} px): "
        f"median {result['brush_step_ms_median']} ms, "
        f"p95 {result['brush_step_ms_p95']} ms (target <= 16 ms median)"
    )
    print(
        f"encode ({side} px crop -> {size} px -> encoder): "
        f"median {result['encode_ms_median']} ms"
    )
    print(
        f"export 12 MP (render + JPEG q95): median "
        f"{result['export_12mp_ms_median']} ms (target <= 1000 ms); as PNG "
        f"{result['export_12mp_png_ms_median']} ms"
    )


if __name__ == "__main__":
    main()
