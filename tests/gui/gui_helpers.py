"""Helpers the window tests share (imported as `gui_helpers`)."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication


def settle(qtbot, window, timeout: int = 20_000) -> None:
    """Wait until every job posted so far has run and its signals arrived."""
    done = []
    window.client.call(lambda _: None, render="none", done=lambda _: done.append(1))
    qtbot.waitUntil(lambda: bool(done), timeout=timeout)


def photo_point(window, x: float, y: float) -> QPoint:
    """Widget position of a photo pixel on the canvas."""
    return window.canvas.image_to_widget(x, y).toPoint()


def crop_centre(window) -> tuple[float, float]:
    left, top, size = window.shot.crop.pixels
    return left + size / 2, top + size / 2


def stroke(qtbot, window, points, hold_ms: int = 60) -> None:
    """Press at the first photo point, move through the rest, hold, release."""
    canvas = window.canvas
    first = photo_point(window, *points[0])
    qtbot.mouseMove(canvas, first)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=first)
    for point in points[1:]:
        qtbot.mouseMove(canvas, photo_point(window, *point))
    qtbot.wait(hold_ms)
    qtbot.mouseRelease(
        canvas, Qt.MouseButton.LeftButton, pos=photo_point(window, *points[-1])
    )
    settle(qtbot, window)


def wheel(
    window, x: float, y: float, notches: int, modifiers=Qt.KeyboardModifier.NoModifier
):
    """Turn the wheel by whole notches over a photo pixel."""
    pos = QPointF(photo_point(window, x, y))
    event = QWheelEvent(
        pos,
        window.canvas.mapToGlobal(pos),
        QPoint(),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(window.canvas, event)


def make_photo(path, width: int = 160, height: int = 120, seed: int = 0):
    """A smooth synthetic 'portrait': a warm oval on a cool background."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    oval = ((xs - width / 2) / (width / 4)) ** 2 + (
        (ys - height / 2) / (height / 3)
    ) ** 2
    pixels = np.where((oval < 1)[..., None], [210, 160, 130], [70, 90, 140])
    pixels = pixels + rng.integers(-8, 8, size=pixels.shape)
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path)
    return path
