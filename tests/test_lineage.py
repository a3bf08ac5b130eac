"""Chaining the logs of runs that continued one another onto one images-seen axis."""

from __future__ import annotations

import json

import pytest

from npe_app.training.lineage import (
    chain_curves,
    exported_evaluation,
    read_evaluations,
)


def write_log(path, evaluations, every=300, batch=32):
    """A log.jsonl with a loss-only record between evaluations, as the loop writes."""
    lines = []
    for i, (psnr, ssim) in enumerate(evaluations, start=1):
        step = i * every
        lines.append(json.dumps({"step": step - 1, "images_seen": (step - 1) * batch}))
        lines.append(
            json.dumps(
                {
                    "step": step,
                    "images_seen": step * batch,
                    "valid_psnr_db": psnr,
                    "valid_ssim": ssim,
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_export_is_the_first_best_evaluation(tmp_path):
    log = write_log(
        tmp_path / "log.jsonl", [(15, 0.4), (17, 0.5), (16, 0.6), (17, 0.7)]
    )
    evaluations = read_evaluations(log)
    assert [r["step"] for r in evaluations] == [300, 600, 900, 1200]
    assert exported_evaluation(evaluations)["step"] == 600


def test_each_run_starts_where_the_previous_export_left_off(tmp_path):
    first = write_log(tmp_path / "a.jsonl", [(15, 0.4), (17, 0.5), (16, 0.45)])
    second = write_log(tmp_path / "b.jsonl", [(18, 0.55), (19, 0.58)])
    curves = chain_curves([("weight 40", first), ("weight 100", second)])
    assert [c.label for c in curves] == ["weight 40", "weight 100"]
    assert curves[0].images_seen == [9600, 19200, 28800]
    # The first run exported its step-600 weights (19,200 images), not its last.
    assert curves[1].images_seen == [19200 + 9600, 19200 + 19200]
    assert curves[1].psnr_db == [18, 19] and curves[1].ssim == [0.55, 0.58]


def test_a_log_without_evaluations_is_refused(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"step": 1, "images_seen": 32}) + "\n")
    with pytest.raises(ValueError, match="no validation"):
        chain_curves([("run", log)])
