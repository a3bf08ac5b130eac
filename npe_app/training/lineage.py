"""Validation figures against images seen, across a chain of training runs.

A model that improves over several sittings is trained by a chain of runs, each
started with `train --init-from` from the weights the previous run exported. Each
run's log counts images from zero, and the exported weights are not the run's last
ones but the ones that scored best on the validation images. So the images seen by
the weights at a point of run k are the images seen by run k-1's exported weights
plus the images run k has seen so far; this module puts every run on that one axis.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass
class RunCurve:
    """One run's validation evaluations, on the chain's axis of images seen."""

    label: str
    images_seen: list[int]
    psnr_db: list[float]
    ssim: list[float]


def read_evaluations(log: str | Path) -> list[dict]:
    """The records of a training log.jsonl that carry validation figures."""
    records = []
    for line in Path(log).read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            if "valid_psnr_db" in record:
                records.append(record)
    return records


def exported_evaluation(evaluations: list[dict]) -> dict:
    """The evaluation whose weights the run exported: the first one with the highest
    PSNR, as the training loop chooses them. (A run resumed after its best weights
    were lost starts that choice again; the log alone cannot show it.)"""
    if not evaluations:
        raise ValueError("the log has no validation evaluations")
    best = evaluations[0]
    for record in evaluations[1:]:
        if record["valid_psnr_db"] > best["valid_psnr_db"]:
            best = record
    return best


def chain_curves(runs: list[tuple[str, str | Path]]) -> list[RunCurve]:
    """Curves for (label, log path) pairs given in the order the runs continued
    one another."""
    curves, offset = [], 0
    for label, log in runs:
        evaluations = read_evaluations(log)
        curves.append(
            RunCurve(
                label,
                [offset + r["images_seen"] for r in evaluations],
                [r["valid_psnr_db"] for r in evaluations],
                [r.get("valid_ssim", float("nan")) for r in evaluations],
            )
        )
        offset += exported_evaluation(evaluations)["images_seen"]
    return curves
