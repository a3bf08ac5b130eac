"""Undo and redo as snapshots of the whole edit state.

A state is small (two latent vectors, the user mask's dabs, and a reference to the
photo's pixel array, which is only replaced, never changed in place), so every step
keeps the state before and after it and undo/redo are exact at any depth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .mask import MaskDab


@dataclass(frozen=True)
class EditState:
    """Everything an undo step restores."""

    pixels: np.ndarray  # the photo being edited; replaced only by commit
    z0: torch.Tensor  # (z_size,) encoding of that photo's crop, on the CPU
    z: torch.Tensor  # (z_size,) current latent, on the CPU
    sample_mode: bool = False
    user_mask: tuple[MaskDab, ...] = ()

    def same_as(self, other: EditState) -> bool:
        return (
            self.pixels is other.pixels
            and torch.equal(self.z0, other.z0)
            and torch.equal(self.z, other.z)
            and self.sample_mode == other.sample_mode
            and self.user_mask == other.user_mask
        )


@dataclass
class Step:
    """One undo step: a label for the menu, the states around it, and the stroke-list
    operations that redo it from `before`."""

    label: str
    before: EditState
    after: EditState
    ops: list[dict] = field(default_factory=list)


class History:
    """Two stacks of steps; recording a new step drops the redo stack."""

    def __init__(self) -> None:
        self.done: list[Step] = []
        self.undone: list[Step] = []

    def record(self, step: Step) -> None:
        self.done.append(step)
        self.undone.clear()

    def undo(self) -> Step | None:
        if not self.done:
            return None
        step = self.done.pop()
        self.undone.append(step)
        return step

    def redo(self) -> Step | None:
        if not self.undone:
            return None
        step = self.undone.pop()
        self.done.append(step)
        return step

    @property
    def labels(self) -> list[str]:
        return [step.label for step in self.done]
