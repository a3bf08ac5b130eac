"""Helpers the window tests share (imported as `gui_helpers`)."""

from __future__ import annotations

from PySide6.QtCore import QPoint


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
