"""Write the shipped model's card (models/<name>.md) and its pictures.

    python tools/make_model_card.py MODEL_FILE --valid VALID_TAR --log LOG_JSONL

Evaluates the model on the held-out shard (the same figures `npe eval --json`
prints), draws a grid of random samples, a grid of interpolations between samples,
and the curve of validation PSNR against images seen from the training log.
Reconstructions of held-out photos are written outside the repository (--private),
because the datasets' terms forbid publishing their images.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from plot import line_plot  # noqa: E402

from npe_app.model.modelfile import load_model  # noqa: E402
from npe_app.training.data import load_images  # noqa: E402
from npe_app.training.evaluate import reconstruction_quality  # noqa: E402
from npe_app.training.figures import (  # noqa: E402
    reconstruction_rows,
    sample_images,
    save_grid,
)


@torch.no_grad()
def sample_interpolations(model, pairs: int = 4, steps: int = 8, seed: int = 7):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(pairs * 2, model.config.z_size, generator=g)
    w = torch.linspace(0, 1, steps).view(-1, 1)
    rows = [model.generate((1 - w) * z[2 * i] + w * z[2 * i + 1]) for i in range(pairs)]
    return torch.cat(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--valid", required=True, nargs="+")
    parser.add_argument("--log", help="training log.jsonl for the PSNR curve")
    parser.add_argument("--out", default="models", help="folder for card and pictures")
    parser.add_argument(
        "--private",
        default="/tmp/npe-card-private",
        help="folder for pictures that show dataset images",
    )
    parser.add_argument("--extra", help="JSON file with more card fields")
    args = parser.parse_args()

    model, card = load_model(args.model)
    stem = Path(args.model).name.removesuffix(".safetensors")
    out, private = Path(args.out), Path(args.private)
    out.mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)

    valid = load_images(args.valid, model.config.image_size)
    figures = reconstruction_quality(model, valid, progress=True)
    save_grid(sample_images(model, 32, seed=0), out / f"{stem}-samples.png", 8)
    save_grid(sample_interpolations(model), out / f"{stem}-interpolations.png", 8)
    save_grid(
        reconstruction_rows(model, valid[:16], steps=6),
        private / f"{stem}-reconstructions.png",
        8,
    )

    curve = []
    if args.log:
        for line in Path(args.log).read_text().splitlines():
            record = json.loads(line)
            if "valid_psnr_db" in record:
                curve.append((record["images_seen"] / 1000, record["valid_psnr_db"]))
        if curve:
            line_plot(
                {"valid PSNR (300 images)": curve},
                out / f"{stem}-psnr.png",
                "Reconstruction PSNR on held-out faces during training",
                "thousand images seen",
                "PSNR (dB)",
            )
    extra = json.loads(Path(args.extra).read_text()) if args.extra else {}
    (out / f"{stem}.json").write_text(
        json.dumps(
            {
                "card": card,
                "valid": figures,
                "config": json.loads(model.config.to_json()),
                **extra,
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
