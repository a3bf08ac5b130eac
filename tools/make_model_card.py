"""Write the shipped model's card (models/<name>.md) and its pictures.

    python tools/make_model_card.py MODEL_FILE --valid VALID_TAR \
        [--log LABEL=LOG_JSONL ...] [--extra NOTES_JSON]

The shipped card was made with one --log per training run of its chain and
--extra tools/card-notes-npe-faces64.json (the notes written by hand about how it
was trained).

Evaluates the model on the held-out shard (the same figures `npe eval --json`
prints), draws a grid of random samples, a grid of interpolations between samples,
and curves of validation PSNR and SSIM against images seen from the logs, then
writes the card from the model file's own metadata and those figures, so that no
number in it is typed by hand. Reconstructions of held-out photos are written
outside the repository (--private), because the datasets' terms forbid publishing
their images.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from npe_app.model.modelfile import load_model  # noqa: E402
from npe_app.training.data import load_images  # noqa: E402
from npe_app.training.evaluate import reconstruction_quality  # noqa: E402
from npe_app.training.figures import (  # noqa: E402
    reconstruction_rows,
    sample_images,
    save_grid,
)
from npe_app.training.line_chart import line_chart  # noqa: E402
from npe_app.training.lineage import chain_curves  # noqa: E402


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
    parser.add_argument(
        "--log",
        nargs="+",
        metavar="LABEL=LOG_JSONL",
        help="training logs for the PSNR and SSIM curves, one per run, in the order "
        "the runs continued one another (--init-from)",
    )
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

    has_curve = bool(args.log)
    if has_curve:
        draw_curves(chain_curves([_labelled(spec) for spec in args.log]), out, stem)
    extra = json.loads(Path(args.extra).read_text()) if args.extra else {}
    summary = {
        "card": card,
        "valid": figures,
        "valid_data": [str(v) for v in args.valid],
        "config": json.loads(model.config.to_json()),
        **extra,
    }
    (out / f"{stem}.json").write_text(json.dumps(summary, indent=2, sort_keys=True))
    (out / f"{stem}.md").write_text(card_markdown(stem, summary, has_curve))
    print(json.dumps(figures))


def _labelled(spec: str) -> tuple[str, str]:
    label, sep, path = spec.rpartition("=")
    return (label, path) if sep else (Path(path).parent.name, path)


def draw_curves(curves, out: Path, stem: str) -> None:
    """PSNR and SSIM on the validation subset against the images the weights had
    seen, one line per run of the chain."""
    for measure, unit in (("psnr_db", "PSNR (dB)"), ("ssim", "SSIM")):
        name = unit.split()[0]
        line_chart(
            [
                (c.label, [n / 1000 for n in c.images_seen], getattr(c, measure))
                for c in curves
            ],
            out / f"{stem}-{name.lower()}.png",
            f"Reconstruction {name} on 300 held-out faces during training",
            "thousand images seen by the weights (runs continued one another)",
            unit,
        )


TERMS = (
    "CelebA (Liu et al., ICCV 2015) and UTKFace (Zhang et al., CVPR 2017) are for "
    "non-commercial research use only, and their terms forbid redistributing the "
    "images. The model may ship with this card; no training or validation image is "
    "in this repository, which is why the card shows the model's own samples and "
    "not reconstructions of held-out photos."
)


def _steps_line(card: dict) -> str:
    """Steps, and the images seen that the training loop counted up to the exported
    weights (earlier runs included)."""
    batch, steps = card.get("batch_size"), card.get("steps")
    earlier = card.get("continued_from") or {}
    selected = (card.get("selected_on_valid") or {}).get("step", steps)
    seen = card.get("images_seen")
    text = f"{steps} steps of batch {batch}"
    if earlier:
        text += f" after an earlier run's {earlier.get('steps')} steps"
    if selected != steps:
        text += f"; the exported weights are from step {selected}"
    return text + f": {seen} images seen by the exported weights."


def card_markdown(stem: str, summary: dict, has_curve: bool) -> str:
    """The model card as Markdown, from the model file's metadata and the figures
    measured just now."""
    card, valid, config = summary["card"], summary["valid"], summary["config"]
    hours = card.get("total_wall_time_s", card.get("wall_time_s", 0)) / 3600
    selected = card.get("selected_on_valid")
    lines = [
        f"# Model card: `{stem}.safetensors`",
        "",
        "An Introspective Adversarial Network (Brock et al., 2016) for 64×64 faces: "
        "the discriminator is also the encoder, the generator's hidden layers are "
        "MDC blocks, and it was trained with minibatch discrimination, the ternary "
        "adversarial loss and Orthogonal Regularization. It is the model the editor "
        "and `npe eval` load when no other is named.",
        "",
        "## Quality on held-out faces",
        "",
        f"From the encoder alone (no refinement), on {valid['n_images']} images of "
        f"{', '.join(f'`{v}`' for v in summary['valid_data'])} that no training "
        "shard contains, pixels in [0, 1]:",
        "",
        "| MSE | PSNR | SSIM |",
        "|---|---|---|",
        f"| {valid['mse']:.5f} | {valid['psnr_db']:.2f} dB | {valid['ssim']:.4f} |",
        "",
        f"`python3 main.py eval --data {summary['valid_data'][0]} --json` prints "
        "these figures.",
    ]
    if selected:
        lines += [
            "",
            f"The exported weights are the running average of the weights at step "
            f"{selected['step']}, which reconstructed the first {selected['n_images']} "
            f"of those images best ({selected['psnr_db']:.2f} dB) of all the "
            "evaluations during training; the figures above use all of them.",
        ]
    lines += [
        "",
        "## Pictures",
        "",
        f"Random samples (seed 0):\n\n![samples]({stem}-samples.png)",
        "",
        "Interpolations between pairs of random latents (as in the paper's figure "
        f"6):\n\n![interpolations]({stem}-interpolations.png)",
    ]
    if has_curve:
        lines += [
            "",
            "Reconstruction PSNR and SSIM on the first 300 held-out faces against "
            "the images the weights had seen, one line per training run (each run "
            "continued from the previous run's exported weights):\n\n"
            f"![PSNR curve]({stem}-psnr.png)\n\n![SSIM curve]({stem}-ssim.png)",
        ]
    lines += [
        "",
        "## Training",
        "",
        f"- Data: {', '.join(f'`{d}`' for d in card.get('data', []))}.",
        f"- Terms: {TERMS}",
        f"- Preset `{card.get('preset')}`; config: `{json.dumps(config)}`.",
        f"- {_steps_line(card)}",
        f"- Optimizer: Adam {json.dumps(card.get('optimizer', {}))}.",
        f"- Hardware: {card.get('hardware')}; wall time {hours:.2f} h; "
        f"trained {card.get('date')}.",
        f"- Command: `{card.get('command')}`",
    ]
    for change in card.get("setting_changes", []):
        settings = ", ".join(f"`{k}={v}`" for k, v in change.items() if k != "step")
        lines.append(
            f"- From step {change['step']} on (resumed with `--set`): {settings}; "
            "the config above is the final one."
        )
    earlier = card.get("continued_from")
    if earlier:
        lines.append(
            "- Continued (`--init-from`) from a model whose weights had seen "
            f"{earlier.get('images_seen')} images, made by a run of "
            f"{earlier.get('steps')} steps "
            f"({(earlier.get('wall_time_s') or 0) / 3600:.2f} h): "
            f"`{earlier.get('command')}`. The images seen and the wall time above "
            "include it and every run before it."
        )
    for note in summary.get("notes", []):
        lines.append(f"- {note}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
