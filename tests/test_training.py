"""Training for real, on the tiny preset: a model that can learn, the `train` command
from image folders and tar shards to model file (with --resume and --init-from),
the commands that read its output, the one-line errors, and data-parallel training
under torchrun on two CPU processes."""

import json
import os
import shutil
import subprocess
import sys
import tarfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors import safe_open

from npe_app.cli import main
from npe_app.model.config import preset
from npe_app.model.modelfile import load_model, read_card
from npe_app.model.networks import GenerativeModel
from npe_app.training.step import OptimConfig, TrainingStep

REPO = Path(__file__).resolve().parent.parent
TINY = 32  # the tiny preset's image size
CELL = TINY + 2  # an image and the padding around it in a saved grid


@contextmanager
def _one_thread():
    """One torch thread: the tiny model's convolutions are too small to gain from
    more, and `train --threads` changes the setting for the whole test process."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _single_thread():
    with _one_thread():
        yield


def _smooth_images(n: int, seed: int) -> torch.Tensor:
    """(n, 3, 32, 32) images in [-1, 1]: random 2x2 colour fields blended smoothly,
    distinct from each other but within what a tiny generator can draw."""
    generator = torch.Generator().manual_seed(seed)
    cells = torch.rand(n, 3, 2, 2, generator=generator) * 2 - 1
    return F.interpolate(cells, size=TINY, mode="bilinear", align_corners=False)


@torch.no_grad()
def _reconstruction_mse(model: GenerativeModel, x: torch.Tensor) -> float:
    model.eval()
    return (model.reconstruct(x) - x).pow(2).mean().item()


def test_a_tiny_model_overfits_eight_images():
    """The error of the weight average (what a model file holds) on the training
    images halves within 150 full IAN updates. A higher learning rate than the
    default keeps this to seconds; the adversarial losses all stay on."""
    torch.manual_seed(0)
    x = _smooth_images(8, seed=1)
    trainer = TrainingStep(GenerativeModel(preset("tiny")), OptimConfig(lr=2e-3))
    start = _reconstruction_mse(trainer.ema, x)
    errors = []
    for _ in range(6):
        for _ in range(25):
            trainer(x)
        errors.append(_reconstruction_mse(trainer.ema, x))
        if errors[-1] <= start / 2:
            break
    assert errors[-1] <= start / 2, (start, errors)
    assert trainer.steps == 25 * len(errors)


def _write_image(path: Path, seed: int, size: tuple[int, int]) -> None:
    """A smooth random picture of the given (width, height)."""
    rng = np.random.default_rng(seed)
    cells = Image.fromarray((rng.random((3, 3, 3)) * 255).astype(np.uint8))
    cells.resize(size, Image.Resampling.BILINEAR).save(path)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict:
    """A folder of 12 PNGs (non-square, smaller and larger than the model) and a
    tar shard of 4 more beside a text file that is not an image."""
    root = tmp_path_factory.mktemp("data")
    folder = root / "faces"
    folder.mkdir()
    for i in range(12):
        _write_image(
            folder / f"face_{i:02d}.png", i, (40 + i, 36) if i % 2 else (24, 24)
        )
    loose = root / "loose"
    loose.mkdir()
    for i in range(4):
        _write_image(loose / f"{i}.png", 100 + i, (32, 32))
    (loose / "README.txt").write_text("not an image")
    shard = root / "shard.tar"
    with tarfile.open(shard, "w") as tar:
        for item in sorted(loose.iterdir()):
            tar.add(item, arcname=f"part/{item.name}")
    return {"folder": folder, "tar": shard, "root": root}


def _train(*args: str) -> None:
    common = ["--preset", "tiny", "--batch-size", "8", "--threads", "1"]
    assert main(["train", *common, *args]) == 0


def _log_steps(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


def _checkpoint_progress(run: Path) -> dict:
    with safe_open(str(run / "checkpoint.safetensors"), framework="pt") as handle:
        return json.loads(handle.metadata()["progress"])


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory) -> Path:
    """One 4-step run on both kinds of input, previews and checkpoints every 2."""
    run = tmp_path_factory.mktemp("run") / "out"
    with _one_thread():
        _train(
            *("--data", str(data["folder"]), str(data["tar"]), "--out", str(run)),
            *("--steps", "4", "--sample-every", "2", "--checkpoint-every", "2"),
        )
    return run


def _grid_size(n: int, columns: int) -> tuple[int, int]:
    """(width, height) of a saved grid of n tiny images."""
    rows = (n + columns - 1) // columns
    return columns * CELL + 2, rows * CELL + 2


def test_train_writes_model_checkpoint_log_and_previews(trained):
    model, card = load_model(trained / "model.safetensors")
    assert model.config == preset("tiny")
    assert card["steps"] == 4 and card["images_seen"] == 32
    assert card["preset"] == "tiny" and card["batch_size"] == 8
    assert [r["step"] for r in _log_steps(trained)] == [2, 4]
    assert {"pixel", "feature", "kl", "g_adv", "d"} <= set(_log_steps(trained)[0])
    assert _checkpoint_progress(trained)["step"] == 4
    for step in (2, 4):
        with Image.open(trained / f"samples_{step:07d}.png") as grid:
            assert grid.size == _grid_size(16, 8)
        # Four pairs of the first 8 images, each row: a, 6 latents, b.
        with Image.open(trained / f"reconstructions_{step:07d}.png") as grid:
            assert grid.size == _grid_size(32, 8)


def test_resume_continues_from_the_saved_step(data, trained, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    _train(
        *("--data", str(data["folder"]), "--out", str(run), "--resume"),
        *("--steps", "6", "--sample-every", "2", "--checkpoint-every", "2"),
    )
    records = _log_steps(run)
    assert [r["step"] for r in records] == [2, 4, 6]
    assert records[-1]["images_seen"] == 48
    assert _checkpoint_progress(run)["step"] == 6
    assert read_card(run / "model.safetensors")[1]["steps"] == 6


def test_resume_may_re_weigh_the_losses(data, trained, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    args = ["train", "--data", str(data["folder"]), "--out", str(run), "--resume"]
    more = ["--steps", "6", "--checkpoint-every", "2", "--set", "pixel_weight=10"]
    assert main([*args, *more]) == 0
    model, card = load_model(run / "model.safetensors")
    assert model.config.pixel_weight == 10
    assert card["setting_changes"] == [{"step": 4, "pixel_weight": 10}]
    capsys.readouterr()
    assert main([*args, "--steps", "8", "--set", "z_size=8"]) == 2
    assert "z_size cannot change with --resume" in capsys.readouterr().err


def test_init_from_starts_from_the_model_files_weights(data, trained, tmp_path):
    """A new run from a model file: its config and weights, fresh counters. Without
    --preset (so "default") the card still names the model's own preset."""
    run = tmp_path / "continued"
    args = ["train", "--data", str(data["tar"]), "--out", str(run), "--steps", "2"]
    init = ["--init-from", str(trained / "model.safetensors"), "--threads", "1"]
    assert main([*args, "--batch-size", "4", *init]) == 0
    model, card = load_model(run / "model.safetensors")
    assert model.config == preset("tiny")
    assert card["steps"] == 2 and card["preset"] == "tiny"
    assert card["images_seen"] == 32 + 8  # the file's images, then this run's
    assert [r["step"] for r in _log_steps(run)] == [2]


def test_init_from_may_change_loss_weights_but_not_shapes(
    data, trained, tmp_path, capsys
):
    """A continued run can re-weigh the losses; a shape change is one line."""
    model_file = str(trained / "model.safetensors")
    args = ["train", "--data", str(data["tar"]), "--steps", "2", "--batch-size", "4"]
    init = ["--init-from", model_file, "--threads", "1", "--set", "pixel_weight=10"]
    assert main([*args, "--out", str(tmp_path / "a"), *init]) == 0
    model, card = load_model(tmp_path / "a" / "model.safetensors")
    assert model.config.pixel_weight == 10
    assert model.config.g_width == preset("tiny").g_width
    assert card["continued_from"]["steps"] == 4
    assert card["total_wall_time_s"] >= card["wall_time_s"]
    capsys.readouterr()
    wider = [*init[:-1], "g_width=12"]
    assert main([*args, "--out", str(tmp_path / "b"), *wider]) == 2
    error = capsys.readouterr().err
    assert "g_width cannot change with --init-from" in error
    assert not (tmp_path / "b" / "model.safetensors").exists()


def test_eval_json_prints_one_object(data, trained, capsys):
    capsys.readouterr()
    model = str(trained / "model.safetensors")
    assert (
        main(["eval", "--json", "--data", str(data["folder"]), "--model", model]) == 0
    )
    figures = json.loads(capsys.readouterr().out)
    assert set(figures) == {"n_images", "mse", "psnr_db", "ssim"}
    assert figures["n_images"] == 12
    assert 0 < figures["mse"] < 1 and figures["psnr_db"] > 0


def test_sample_and_reconstruct_write_pngs(data, trained, tmp_path):
    model = str(trained / "model.safetensors")
    samples = tmp_path / "samples.png"
    assert main(["sample", "--n", "4", "--out", str(samples), "--model", model]) == 0
    with Image.open(samples) as grid:
        assert grid.size == _grid_size(4, 4)
    photos = [str(data["folder"] / f"face_{i:02d}.png") for i in range(3)]
    rows = tmp_path / "rows.png"
    assert main(["reconstruct", *photos, "--out", str(rows), "--model", model]) == 0
    # Three photos are padded to two pairs; each row is 6 interpolations + 2.
    with Image.open(rows) as grid:
        assert grid.size == _grid_size(16, 8)


def test_one_readable_image_among_unreadable_ones_trains(tmp_path):
    """The corrupt file is skipped; one image alone still gives a preview row."""
    folder = tmp_path / "faces"
    folder.mkdir()
    _write_image(folder / "good.png", 0, (32, 32))
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 not really a JPEG")
    run = tmp_path / "run"
    _train("--data", str(folder), "--out", str(run), "--steps", "1")
    with Image.open(run / "reconstructions_0000001.png") as grid:
        assert grid.size == _grid_size(8, 8)
    assert load_model(run / "model.safetensors")[1]["images_seen"] == 8


def _bad_runs(root: Path, faces: Path, model: Path) -> dict:
    """name -> (train arguments, words the error must contain)."""
    (root / "empty").mkdir()
    (root / "corrupt").mkdir()
    (root / "corrupt" / "face.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    broken = root / "broken"
    broken.mkdir()
    (broken / "checkpoint.safetensors").write_bytes(b"\0" * 64)
    faces = ["--data", str(faces)]
    return {
        "empty folder": (["--data", str(root / "empty")], "no readable images"),
        "corrupt image": (["--data", str(root / "corrupt")], "no readable images"),
        "missing folder": (["--data", str(root / "nowhere")], "no such file"),
        "resume and init": (
            [*faces, "--resume", "--init-from", str(model)],
            "cannot be combined",
        ),
        "init from a non-model": (
            [*faces, "--init-from", str(root / "corrupt" / "face.png")],
            "not a readable safetensors",
        ),
        "corrupt checkpoint": (
            [*faces, "--resume", "--out", str(broken)],
            "checkpoint.safetensors",
        ),
        "unknown setting": ([*faces, "--set", "width=3"], "bad model settings"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "empty folder",
        "corrupt image",
        "missing folder",
        "resume and init",
        "init from a non-model",
        "corrupt checkpoint",
        "unknown setting",
    ],
)
def test_bad_arguments_and_data_give_one_line_errors(
    case, data, trained, tmp_path, capsys
):
    model = trained / "model.safetensors"
    args, words = _bad_runs(tmp_path, data["folder"], model)[case]
    out = ["--out", str(tmp_path / "out")] if "--out" not in args else []
    capsys.readouterr()
    status = main(["train", "--preset", "tiny", "--steps", "1", *out, *args])
    err = capsys.readouterr().err
    assert status != 0
    assert "Traceback" not in err
    # split("\n"), not splitlines(): a progress bar left open would put the error
    # after its carriage return, on the bar's line.
    errors = [line for line in err.split("\n") if line.startswith("npe: error: ")]
    assert len(errors) == 1 and words in errors[0], err


def test_torchrun_trains_on_two_cpu_processes(data, tmp_path):
    """Two gloo processes, each on half of every batch: images_seen counts both."""
    run = tmp_path / "ddp"
    command = [
        *(sys.executable, "-m", "torch.distributed.run", "--standalone"),
        *("--nproc_per_node", "2", "main.py", "train", "--preset", "tiny"),
        *("--steps", "3", "--batch-size", "4", "--threads", "1"),
        *("--data", str(data["folder"]), "--out", str(run)),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stderr[-3000:]
    card = load_model(run / "model.safetensors")[1]
    assert card["steps"] == 3 and card["images_seen"] == 3 * 4 * 2
    assert [r["step"] for r in _log_steps(run)] == [3]


def test_the_card_counts_images_up_to_the_exported_step():
    from npe_app.training.loop import _images_seen_by_export

    progress = {"images_seen": 640, "best": {"step": 5, "images_seen": 160}}
    assert _images_seen_by_export(progress) == 160
    assert _images_seen_by_export({**progress, "images_seen_before": 1000}) == 1160
    # No validation, or a best recorded by an older checkpoint: the whole run.
    assert _images_seen_by_export({"images_seen": 640, "best": None}) == 640
    assert _images_seen_by_export({"images_seen": 640, "best": {"step": 5}}) == 640


def test_the_card_tool_describes_a_chain_of_runs(data, tmp_path, capsys):
    """tools/make_model_card.py on a model continued from another: the card's
    figures are what `eval --json` prints, and both runs' curves are drawn."""
    first, second = tmp_path / "first", tmp_path / "second"
    faces, shard = str(data["folder"]), str(data["tar"])
    every = ["--sample-every", "2", "--valid", shard]
    with _one_thread():
        _train("--data", faces, "--out", str(first), "--steps", "4", *every)
        _train(
            *("--data", faces, "--out", str(second), "--steps", "2", *every),
            *("--init-from", str(first / "model.safetensors")),
        )
    model = str(second / "model.safetensors")
    capsys.readouterr()
    assert main(["eval", "--json", "--data", shard, "--model", model]) == 0
    figures = json.loads(capsys.readouterr().out)
    card_dir = tmp_path / "card"
    tool = [sys.executable, str(REPO / "tools" / "make_model_card.py"), model]
    logs = [f"run one={first / 'log.jsonl'}", f"run two={second / 'log.jsonl'}"]
    subprocess.run(
        [*tool, "--valid", shard, "--log", *logs, "--out", str(card_dir)]
        + ["--private", str(tmp_path / "private")],
        check=True,
        capture_output=True,
    )
    text = (card_dir / "model.md").read_text()
    mse, psnr, ssim = figures["mse"], figures["psnr_db"], figures["ssim"]
    assert f"| {mse:.5f} | {psnr:.2f} dB | {ssim:.4f} |" in text
    _, card = load_model(model)
    assert f"whose weights had seen {card['continued_from']['images_seen']} " in text
    for picture in ("samples", "interpolations", "psnr", "ssim"):
        assert (card_dir / f"model-{picture}.png").stat().st_size > 0
    assert (tmp_path / "private" / "model-reconstructions.png").exists()
    assert not list(card_dir.glob("*reconstructions*"))
