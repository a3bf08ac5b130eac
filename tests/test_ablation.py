"""The ablation study for real at a toy scale: runs trained and saved, finished runs
reused, the report written from them (with CelebA-derived grids kept out of its
folder), the verdict logic, and the sample-quality distance."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from npe_app.cli import main
from npe_app.training.ablation_report import component_effect
from npe_app.training.random_features import frechet_distance

TOY = ["--set", "z_size=8", "--set", "g_width=8", "--set", "d_width=8"]
VARIANTS = ["vaegan", "ian", "ian-mdc"]


def _write_faces(folder: Path, n: int, seed: int) -> None:
    """Smooth random colour fields, 32x32 (the study's image size)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        cells = rng.integers(0, 256, (2, 2, 3), dtype=np.uint8)
        image = Image.fromarray(cells).resize((32, 32), Image.BILINEAR)
        image.save(folder / f"{i:02d}.png")


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("ablation")
    _write_faces(root / "train", 16, seed=0)
    _write_faces(root / "valid", 8, seed=1)
    args = [
        "ablation",
        *("--data", str(root / "train"), "--valid", str(root / "valid")),
        *("--out", str(root / "out"), "--report", str(root / "report" / "a.md")),
        *("--steps", "3", "--eval-every", "2", "--batch-size", "4"),
        *("--curve-images", "4", "--seeds", "2", "--variants", *VARIANTS, *TOY),
    ]
    threads = torch.get_num_threads()
    try:
        assert main(args) == 0
    finally:
        torch.set_num_threads(threads)
    return {"root": root, "args": args}


def _runs(root: Path) -> dict[str, dict]:
    folder = root / "out" / "runs"
    return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}


def test_every_variant_and_seed_is_trained_and_measured(study):
    runs = _runs(study["root"])
    assert sorted(runs) == sorted(f"{v}_seed{s}" for v in VARIANTS for s in (0, 1))
    for run in runs.values():
        valid = run["valid"]
        assert valid["n_images"] == 8
        for key in ("pixel_l2", "pixel_l1", "feature", "psnr_db", "ssim", "sample_fd"):
            assert math.isfinite(valid[key]), key
        assert 0 < valid["pixel_l2"] < 2 and valid["sample_fd"] > 0
        assert [p["step"] for p in run["curve"]] == [2, 3]
        assert run["train_wall_s"] > 0
    # The baseline has its own encoder, so more parameters than the IAN.
    assert runs["vaegan_seed0"]["parameters"] > runs["ian_seed0"]["parameters"]
    # A seed fixes the run: the two seeds of a variant differ, the variants differ.
    assert runs["ian_seed0"]["valid"] != runs["ian_seed1"]["valid"]
    assert runs["ian_seed0"]["valid"] != runs["ian-mdc_seed0"]["valid"]


def test_report_holds_the_table_curves_and_samples(study):
    root = study["root"]
    report = (root / "report" / "a.md").read_text()
    for label in ("VAE/GAN baseline", "IAN (none)", "IAN +MDC"):
        assert f"| {label} |" in report
    assert "Incomplete study: 12 of 18 runs are missing" not in report
    assert "The paper's claims at this scale" in report
    assert "MDC lowers reconstruction error" in report
    for png in ("ablation-curves.png", "ablation-samples.png"):
        assert Image.open(root / "report" / png).width > 100
    # Reconstructions of the held-out photos stay with the private run results.
    assert not (root / "report" / "ablation-reconstructions.png").exists()
    assert (root / "out" / "ablation-reconstructions.png").exists()
    figures = json.loads((root / "report" / "ablation-results.json").read_text())
    runs = _runs(root)
    assert figures["ian"][1]["valid"] == runs["ian_seed1"]["valid"]


def test_a_rerun_reuses_finished_runs_and_retrains_changed_ones(study, tmp_path):
    root = study["root"]
    folder = root / "out" / "runs"
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    threads = torch.get_num_threads()
    try:
        assert main(study["args"]) == 0
        after = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
        assert after == before
        out = ["--out", str(tmp_path), "--report", str(tmp_path / "r.md")]
        changed = [*study["args"], "--steps", "2", "--variants", "ian", *out]
        (tmp_path / "runs").mkdir()
        stale = json.loads((root / "out" / "runs" / "ian_seed0.json").read_text())
        (tmp_path / "runs" / "ian_seed0.json").write_text(json.dumps(stale))
        assert main(changed) == 0
    finally:
        torch.set_num_threads(threads)
    redone = json.loads((tmp_path / "runs" / "ian_seed0.json").read_text())
    assert redone["steps"] == 2 and [p["step"] for p in redone["curve"]] == [2]


def test_report_only_lists_what_is_missing(study, tmp_path):
    args = [*study["args"], "--report-only", "--variants", *VARIANTS, "ian-ortho"]
    report = tmp_path / "r.md"
    assert main([*args, "--report", str(report)]) == 0
    text = report.read_text()
    assert "2 of 8 runs are missing" in text
    assert "ian-ortho seed 0" in text


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--set", "mdc=none"], "mdc is what the ablation varies"),
        (["--variants", "ian-wide"], "unknown variants"),
        (["--set", "g_width=3"], "g_width must be between"),
    ],
)
def test_bad_arguments_give_one_line_errors(tmp_path, capsys, extra, message):
    args = ["ablation", "--data", "x", "--valid", "y", "--out", str(tmp_path)]
    assert main([*args, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def _results(pixel: dict[str, list[float]]) -> dict[str, list[dict]]:
    return {
        name: [{"valid": {"pixel_l2": value}} for value in values]
        for name, values in pixel.items()
    }


def test_an_effect_counts_only_beyond_the_seed_noise():
    names = [
        "ian",
        "ian-ortho",
        "ian-mdc",
        "ian-mdc-ortho",
        "ian-ternary",
        "ian-ortho-ternary",
        "ian-mdc-ternary",
        "ian-mdc-ortho-ternary",
    ]
    noise = (0.0, 0.002)  # two seeds, 0.002 apart
    # MDC lowers the error by 0.05 everywhere; ortho reg changes nothing.
    pixel = {n: [0.3 - 0.05 * ("mdc" in n) + e for e in noise] for n in names}
    results = _results(pixel)
    mdc = component_effect(results, "mdc", lambda r: r["valid"]["pixel_l2"])
    ortho = component_effect(results, "ortho", lambda r: r["valid"]["pixel_l2"])
    assert mdc["pairs"] == 4 and mdc["lower"] == 4
    assert mdc["mean"] == pytest.approx(-0.05)
    assert mdc["verdict"] == "held"
    assert ortho["verdict"] == "not supported (within seed noise)"
    # The same MDC change inside seeds 0.2 apart is noise.
    noisy = _results({n: [v[0], v[0] + 0.2] for n, v in pixel.items()})
    verdict = component_effect(noisy, "mdc", lambda r: r["valid"]["pixel_l2"])
    assert verdict["verdict"] == "not supported (within seed noise)"


def test_frechet_distance_measures_how_far_two_distributions_are():
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(4000, 6, generator=generator)
    b = torch.randn(4000, 6, generator=generator)
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-9)
    assert frechet_distance(a, b) < 0.05
    # A shift of the mean by d adds |d|^2; a scale of s adds (s - 1)^2 per dimension.
    assert frechet_distance(a, b + 0.5) == pytest.approx(6 * 0.25, abs=0.05)
    assert frechet_distance(a, 3 * b) == pytest.approx(6 * 4, rel=0.05)
