"""reports/ablation.md from the ablation's per-run JSON files: the table beside the
paper's Table 2, the effect of each component, the learning curves and image grids.

Every number in the report is computed here from the JSON files, so the report can
be rewritten at any time, including from a study that has not finished (the missing
runs are listed). Needs only Pillow, not torch.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .ablation import VARIANTS, StudySettings, Variant, finished_result, runs_dir
from .line_chart import line_chart

# Table 2 of the paper (CelebA 64x64, 50 epochs): pixel-wise L2 and feature-wise L2
# in a CelebA attribute DenseNet.
PAPER = {
    "vaegan": (0.295, 4.86),
    "ian": (0.285, 4.76),
    "ian-ortho": (0.258, 4.67),
    "ian-mdc": (0.248, 4.69),
    "ian-mdc-ortho": (0.230, 4.39),
    "ian-ternary": (0.254, 4.60),
    "ian-ortho-ternary": (0.239, 4.51),
    "ian-mdc-ternary": (0.221, 4.37),
    "ian-mdc-ortho-ternary": (0.192, 4.33),
}
COMPONENTS = (
    ("mdc", "MDC"),
    ("ortho", "Orthogonal Regularization"),
    ("ternary", "the ternary adversarial loss"),
)
CURVES_PNG = "ablation-curves.png"
SAMPLES_PNG = "ablation-samples.png"
RECONSTRUCTIONS_PNG = "ablation-reconstructions.png"


class Stat:
    """Mean and sample standard deviation of one figure over seeds."""

    def __init__(self, values: list[float]) -> None:
        self.values = values
        self.n = len(values)
        self.mean = statistics.fmean(values) if values else math.nan
        self.sd = statistics.stdev(values) if self.n > 1 else math.nan

    def text(self, digits: int = 4) -> str:
        if not self.n:
            return "–"
        if self.n == 1:
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} ± {self.sd:.{digits}f}"


def load_results(
    out: Path, settings: StudySettings, seeds: int, variants: tuple[Variant, ...]
) -> dict[str, list[dict]]:
    """Finished runs made with these settings, by variant name, in seed order."""
    found: dict[str, list[dict]] = {}
    for variant in variants:
        runs = [finished_result(out, variant, s, settings) for s in range(seeds)]
        found[variant.name] = [r for r in runs if r is not None]
    return found


def figure(
    results: dict[str, list[dict]], name: str, pick: Callable[[dict], float]
) -> Stat:
    return Stat([pick(r) for r in results.get(name, [])])


def pixel(run: dict) -> float:
    return run["valid"]["pixel_l2"]


def feature(run: dict) -> float:
    return run["valid"]["feature"]


def sample_fd(run: dict) -> float:
    return run["valid"]["sample_fd"]


def _variant(mdc: bool, ortho: bool, ternary: bool) -> Variant:
    return next(
        v
        for v in VARIANTS
        if not v.baseline and (v.mdc, v.ortho, v.ternary) == (mdc, ortho, ternary)
    )


def component_pairs(component: str) -> list[tuple[Variant, Variant]]:
    """(without, with) IAN variants that differ only in this component."""
    pairs = []
    for a in (False, True):
        for b in (False, True):
            flags = dict(
                zip([c for c, _ in COMPONENTS if c != component], (a, b), strict=False)
            )
            off = _variant(**{**flags, component: False})
            on = _variant(**{**flags, component: True})
            pairs.append((off, on))
    return pairs


def pooled_sd(results: dict[str, list[dict]], pick) -> float:
    """Seed-to-seed standard deviation, pooled over the variants with 2+ seeds."""
    stats = [figure(results, name, pick) for name in results]
    variances = [s.sd**2 for s in stats if s.n > 1]
    return math.sqrt(statistics.fmean(variances)) if variances else math.nan


def component_effect(results: dict[str, list[dict]], component: str, pick) -> dict:
    """The mean change in a figure when the component is added, over the pairs of
    variants that differ only in it, and a verdict against the seed noise.

    A pair's change is a difference of two means over n seeds, whose noise is
    sd * sqrt(2 / n); the mean over the pairs is counted as an effect when it is
    more than twice its standard error (that noise / sqrt(pairs))."""
    changes = []
    for off, on in component_pairs(component):
        a, b = figure(results, off.name, pick), figure(results, on.name, pick)
        if a.n and b.n:
            changes.append(b.mean - a.mean)
    effect = {
        "changes": changes,
        "pairs": len(changes),
        "lower": sum(c < 0 for c in changes),
        "mean": statistics.fmean(changes) if changes else math.nan,
    }
    runs = min((len(r) for r in results.values() if r), default=0)
    sd = pooled_sd(results, pick)
    if not changes:
        effect.update(threshold=math.nan, verdict="not measured")
        return effect
    if math.isnan(sd):
        effect["threshold"] = math.nan
        lower = effect["lower"] == len(changes)
        effect["verdict"] = (
            "lower in every pair (one seed: noise unknown)"
            if lower
            else "not consistently lower (one seed: noise unknown)"
        )
        return effect
    threshold = 2 * sd * math.sqrt(2 / runs) / math.sqrt(len(changes))
    effect["threshold"] = threshold
    mean, lower = effect["mean"], effect["lower"]
    if mean < -threshold and lower >= 0.75 * len(changes):
        effect["verdict"] = "held"
    elif mean > threshold and lower <= 0.25 * len(changes):
        effect["verdict"] = "reversed (it made it worse)"
    elif abs(mean) <= threshold:
        effect["verdict"] = "not supported (within seed noise)"
    else:
        effect["verdict"] = "mixed (depends on the other components)"
    return effect


def paper_effect(component: str, column: int) -> float:
    return statistics.fmean(
        PAPER[on.name][column] - PAPER[off.name][column]
        for off, on in component_pairs(component)
    )


def _fmt(value: float, digits: int = 4, sign: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def _check(on: bool) -> str:
    return "✓" if on else "✗"


def _results_table(results, variants) -> list[str]:
    lines = [
        "| variant | MDC | Ortho | Ternary | pixel L2 (ours) | pixel (paper) "
        "| feature (ours) | feature (paper) | sample FD | pixel L1 | PSNR dB | SSIM "
        "| seeds | train min | s/step |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for v in variants:
        get = lambda key, v=v: figure(results, v.name, lambda r: r["valid"][key])  # noqa: E731
        minutes = figure(results, v.name, lambda r: r["train_wall_s"] / 60)
        per_step = figure(results, v.name, lambda r: r["train_wall_s"] / r["steps"])
        flags = (
            ("–", "–", "binary")
            if v.baseline
            else (_check(v.mdc), _check(v.ortho), _check(v.ternary))
        )
        paper_pixel, paper_feature = PAPER[v.name]
        lines.append(
            f"| {v.label} | {' | '.join(flags)} | {get('pixel_l2').text()} "
            f"| {paper_pixel:.3f} | {get('feature').text()} | {paper_feature:.2f} "
            f"| {get('sample_fd').text(3)} | {get('pixel_l1').text()} "
            f"| {get('psnr_db').text(2)} "
            f"| {get('ssim').text(3)} | {len(results[v.name])} "
            f"| {minutes.text(1)} | {per_step.text(3)} |"
        )
    return lines


def _effects_table(results) -> tuple[list[str], dict]:
    lines = [
        "| component | pixel change (ours) | lower in | 2 s.e. | verdict "
        "| pixel change (paper) | feature change (ours) | lower in "
        "| feature change (paper) | sample FD change | lower in | 2 s.e. | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    effects, sample_effects = {}, {}
    for key, name in COMPONENTS:
        p = component_effect(results, key, pixel)
        f = component_effect(results, key, feature)
        q = component_effect(results, key, sample_fd)
        effects[key], sample_effects[key] = p, q
        lines.append(
            f"| {name} | {_fmt(p['mean'], sign=True)} | {p['lower']}/{p['pairs']} "
            f"| {_fmt(p['threshold'])} | {p['verdict']} "
            f"| {paper_effect(key, 0):+.3f} | {_fmt(f['mean'], sign=True)} "
            f"| {f['lower']}/{f['pairs']} | {paper_effect(key, 1):+.2f} "
            f"| {_fmt(q['mean'], digits=3, sign=True)} | {q['lower']}/{q['pairs']} "
            f"| {_fmt(q['threshold'], digits=3)} | {q['verdict']} |"
        )
    return lines, effects, sample_effects


def _claims(results, effects, sample_effects) -> list[str]:
    """Plain sentences, one per claim of the paper, from the computed effects."""
    lines = []
    for key, name in COMPONENTS:
        e, q = effects[key], sample_effects[key]
        title = name[0].upper() + name[1:]
        if not e["pairs"]:
            lines.append(f"- **{title} helps**: not measured (runs missing).")
            continue
        lines.append(
            f"- **{title} lowers reconstruction error** (paper: yes): "
            f"**{e['verdict']}**. Adding it changed the pixel error by "
            f"{_fmt(e['mean'], sign=True)} on average and lowered it in "
            f"{e['lower']} of {e['pairs']} pairs of otherwise equal variants. "
            f"**It raises sample quality** (paper: yes): **{q['verdict']}**; the "
            f"sample FD changed by {_fmt(q['mean'], digits=3, sign=True)} and fell "
            f"in {q['lower']} of {q['pairs']} pairs."
        )
    measured = {k: e["mean"] for k, e in effects.items() if e["pairs"]}
    if measured:
        largest = min(measured, key=measured.get)
        names = dict(COMPONENTS)
        if measured[largest] >= 0:
            finding = "no component lowered the mean pixel error"
        else:
            finding = f"the largest mean reduction came from {names[largest]}"
        held = largest == "mdc" and measured[largest] < 0
        lines.append(
            f"- **MDC gives the largest gain** (paper: yes): "
            f"**{'held' if held else 'did not hold'}**: {finding}."
        )
    full = "ian-mdc-ortho-ternary"
    if results.get(full):
        ranks = []
        for what, pick in (("pixel error", pixel), ("sample FD", sample_fd)):
            ranked = sorted(
                (figure(results, v.name, pick).mean, v.name, v.label)
                for v in VARIANTS
                if results.get(v.name)
            )
            position = [name for _, name, _ in ranked].index(full) + 1
            best = ranked[0]
            ranks.append(
                (
                    position == 1,
                    f"{position} of {len(ranked)} by {what}"
                    + ("" if position == 1 else f" (best: {best[2]}, {best[0]:.4f})"),
                )
            )
        verdict = "held" if all(top for top, _ in ranks) else "did not hold"
        if verdict != "held" and any(top for top, _ in ranks):
            verdict = "held for one measure only"
        lines.append(
            f"- **All three together are best** (paper: yes): **{verdict}**: the full "
            f"IAN ranks {' and '.join(text for _, text in ranks)}."
        )
    base, ian = figure(results, "vaegan", pixel), figure(results, "ian", pixel)
    if base.n and ian.n:
        verdict = "held" if ian.mean < base.mean else "did not hold"
        lines.append(
            f"- **The IAN alone beats the VAE/GAN baseline** (paper: 0.285 vs "
            f"0.295): **{verdict}** ({ian.mean:.4f} vs {base.mean:.4f})."
        )
    return lines


def _curves(results, variants, path: Path) -> None:
    """Mean over seeds of the curve-subset pixel error at each logged step."""
    series = []
    for v in variants:
        runs = results.get(v.name) or []
        if not runs:
            continue
        by_step: dict[int, list[float]] = {}
        for run in runs:
            for point in run["curve"]:
                by_step.setdefault(point["images_seen"], []).append(point["pixel_l2"])
        xs = sorted(by_step)
        series.append(
            (
                v.label,
                [x / 1000 for x in xs],
                [statistics.fmean(by_step[x]) for x in xs],
            )
        )
    line_chart(
        series,
        path,
        "reconstruction error on held-out images (mean of seeds)",
        "images seen (thousands)",
        "pixel L2, [-1, 1]",
    )


def _labelled_rows(rows: list[tuple[str, Path]], path: Path) -> bool:
    """Stack row images vertically with a label on the left of each."""
    rows = [(label, p) for label, p in rows if p.exists()]
    if not rows:
        return False
    # Twice the size, pixel for pixel: 32-pixel faces are too small to judge.
    images = [Image.open(p).convert("RGB") for _, p in rows]
    images = [i.resize((2 * i.width, 2 * i.height), Image.NEAREST) for i in images]
    font = ImageFont.load_default(size=12)
    label_width = 190
    canvas = Image.new(
        "RGB",
        (label_width + max(i.width for i in images), sum(i.height for i in images)),
        "white",
    )
    draw = ImageDraw.Draw(canvas)
    y = 0
    for (label, _), image in zip(rows, images, strict=False):
        canvas.paste(image, (label_width, y))
        draw.text(
            (6, y + image.height / 2), label, fill="black", font=font, anchor="lm"
        )
        y += image.height
    canvas.save(path, optimize=True)
    return True


def _grids(out: Path, results, variants, folder: Path) -> tuple[bool, bool]:
    """Samples (beside the report) and reconstructions (in `out`, kept private) of
    each variant's lowest finished seed.

    The held-out photos are CelebA's, whose terms forbid publishing them, so their
    grid stays with the run results and out of the report's folder."""
    firsts = [
        (v.label, f"{v.name}_seed{results[v.name][0]['seed']}")
        for v in variants
        if results.get(v.name)
    ]
    samples = _labelled_rows(
        [(label, runs_dir(out) / f"{run}-samples.png") for label, run in firsts],
        folder / SAMPLES_PNG,
    )
    reconstructions = _labelled_rows(
        [("held-out originals", Path(out) / "valid-originals.png")]
        + [(label, runs_dir(out) / f"{run}-recon.png") for label, run in firsts],
        Path(out) / RECONSTRUCTIONS_PNG,
    )
    return samples, reconstructions


def _scale(settings: StudySettings, results) -> list[str]:
    config = settings.base_config()
    any_run = next((r[0] for r in results.values() if r), None)
    train_images = any_run["train_images"] if any_run else None
    images_seen = settings.steps * settings.batch_size
    epochs = f" ({images_seen / train_images:.2f} epochs)" if train_images else ""
    hardware = any_run.get("hardware", "?") if any_run else "?"
    workers = any_run.get("workers", 1) if any_run else 1
    return [
        "| | paper | here |",
        "|---|---|---|",
        f"| images | CelebA 64×64 | {config.image_size}×{config.image_size} "
        f"({train_images or '?'} training images from --data) |",
        f"| latent z | 100 | {config.z_size} |",
        f"| widths | D 128-256-512-1024 | D {settings_widths(config.d_width, config)},"
        f" G ends at {config.g_width} |",
        f"| training | 50 epochs | {settings.steps} steps of {settings.batch_size} = "
        f"{images_seen} images{epochs} |",
        "| optimiser | Adam 2e-4, β1 0.5 | same; weights evaluated as an average "
        f"with decay {settings.ema_decay} |",
        f"| ortho reg strength | 1e-3 / 1e-1 | {settings.ortho_strength:g} |",
        f"| minibatch discrimination | yes | {'yes' if config.minibatch_disc else 'no'}"
        " (all variants, the baseline too) |",
        f"| machine | GPU | {hardware}; {settings.threads} thread(s) per run, "
        f"{workers} run(s) at a time per process; other work may have shared the "
        "machine, so times compare variants only roughly |",
    ]


def settings_widths(width: int, config) -> str:
    levels = int(math.log2(config.image_size // 4))
    return "-".join(str(width * 2 ** min(i, 3)) for i in range(levels))


def _missing(results, variants, seeds: int) -> list[str]:
    missing = [
        f"{v.name} seed {s}"
        for v in variants
        for s in range(seeds)
        if s not in {r["seed"] for r in results.get(v.name, [])}
    ]
    if not missing:
        return []
    return [
        "",
        f"**Incomplete study: {len(missing)} of {len(variants) * seeds} runs "
        f"are missing** ({', '.join(missing)}). Figures below use the runs that "
        "finished; rerun the same command to train the rest.",
        "",
    ]


def write_report(
    out: Path,
    report: Path,
    settings: StudySettings,
    seeds: int,
    variants: tuple[Variant, ...] = VARIANTS,
) -> Path:
    """Write the markdown and its PNGs (beside it); returns the markdown's path."""
    report = Path(report)
    folder = report.parent
    folder.mkdir(parents=True, exist_ok=True)
    results = load_results(Path(out), settings, seeds, variants)
    _curves(results, variants, folder / CURVES_PNG)
    has_samples, has_recons = _grids(Path(out), results, variants, folder)
    effect_lines, effects, sample_effects = _effects_table(results)
    data = " ".join(settings.data)
    lines = [
        "# Ablation: does each IAN component help?",
        "",
        "Written by `python main.py ablation` from the per-run results in "
        f"`{out}`; every figure below is computed from those files.",
        "",
        f"Command: `python main.py ablation --data {data} --valid {settings.valid} "
        f"--out {out} --steps {settings.steps} --eval-every {settings.eval_every} "
        f"--seeds {seeds}`",
        *_missing(results, variants, seeds),
        "",
        "## Scale (what was reduced)",
        "",
        *_scale(settings, results),
        "",
        "Each variant is trained with the same data, the same seeds (seed s draws both "
        "the initial weights and the batch order, so paired variants see the same "
        "batches) and the same step budget.",
        "",
        "## Results on the held-out images",
        "",
        f"Mean ± standard deviation over seeds, on all images of `{settings.valid}`. "
        "Lower is better for the errors, higher for PSNR and SSIM.",
        "",
        *_results_table(results, variants),
        "",
        "- **pixel L2**: root-mean-square difference between a photo and G(E(x)), "
        "pixels in [-1, 1] (the range the model works in). The paper reports "
        '"pixel-wise L2 distance" without its normalisation; its values '
        "(0.19–0.30) fit a per-pixel RMS in [-1, 1] at its resolution. Only the "
        "ordering of the rows is comparable, not the values: the paper trained at "
        "64×64 for 50 epochs.",
        "- **feature**: squared L2 distance between unit-normalised final-layer "
        "features of a fixed, randomly initialised 4-layer CNN (seeded, never "
        "trained: see `npe_app/training/random_features.py`). The paper used a "
        "DenseNet trained on CelebA attributes; no pretrained weights or attribute "
        "labels are available here, and a network trained with neither model is "
        "what keeps the measure fair. Its scale differs from the paper's.",
        "- **sample FD**: sample quality, the Fréchet distance (the FID formula) "
        "between 1000 random samples and the held-out photos, in the same random "
        "network's final-layer features averaged over positions. Lower is better. "
        "It stands in for the paper's Inception-style score from an attribute "
        "classifier (1389 for the baseline, 3627 for the full IAN, higher is "
        "better), which the paper gives only for those two rows.",
        "- **pixel L1** is the training loss's measure; **PSNR** and **SSIM** are "
        "computed on [0, 1] pixels as in `npe eval`.",
        "- **train min / s/step**: wall time of the training steps only (evaluation "
        "excluded), on the machine named above.",
        "",
        "## Does each component help?",
        "",
        "Each component's change is averaged over the four pairs of IAN variants "
        "that differ only in it (e.g. MDC: none→MDC, Ortho→Ortho+MDC, "
        "Ternary→Ternary+MDC, Ortho+Ternary→all). '2 s.e.' is twice the standard "
        "error of that mean from the seed-to-seed spread; a change counts as "
        "'held' when it is larger than that and lowers the error in at least 3 of "
        "4 pairs.",
        "",
        *effect_lines,
        "",
        "### The paper's claims at this scale",
        "",
        *_claims(results, effects, sample_effects),
        "",
        "## Learning curves",
        "",
        f"Pixel L2 on the first {settings.curve_images} held-out images every "
        f"{settings.eval_every} steps, mean over seeds.",
        "",
        f"![reconstruction error against images seen]({CURVES_PNG})",
        "",
    ]
    if has_samples or has_recons:
        lines += [
            "## Samples",
            "",
            "Each variant's first seed, from the same latents for every variant.",
            "",
        ]
        if has_samples:
            lines += [f"![samples of every variant]({SAMPLES_PNG})", ""]
        if has_recons:
            lines += [
                "Reconstructions of the first held-out photos by every variant are "
                f"in `{Path(out) / RECONSTRUCTIONS_PNG}`, not here: the held-out "
                "photos are CelebA images, whose terms forbid publishing them.",
                "",
            ]
    report.write_text("\n".join(lines))
    (folder / "ablation-results.json").write_text(
        json.dumps(
            {
                name: [
                    {k: r[k] for k in ("seed", "valid", "train_wall_s", "steps")}
                    for r in runs
                ]
                for name, runs in results.items()
            },
            indent=1,
        )
    )
    return report
