"""Zoom, pan and the colour dialog: the view changes, the photo and history do not,
and a brush press still lands on the photo pixel under the cursor."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import crop_centre, photo_point, settle, wheel
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog

pytestmark = pytest.mark.gui


def test_shift_wheel_zooms_about_the_cursor(qtbot, window):
    canvas = window.canvas
    x, y = crop_centre(window)
    anchor = photo_point(window, x, y)
    under_cursor = canvas.widget_to_image(anchor)
    before, zoom = window.shot, canvas.zoom
    wheel(window, x, y, 2, Qt.KeyboardModifier.ShiftModifier)
    assert canvas.zoom == pytest.approx(zoom * 1.25**2)
    assert canvas.widget_to_image(anchor) == pytest.approx(under_cursor)
    assert window.zoom_label.text() == f"{canvas.zoom:.0%}"
    settle(qtbot, window)
    assert window.undo_stack.count() == 0
    assert np.array_equal(window.shot.edited_crop, before.edited_crop)


def test_actual_pixels_then_fit(window):
    canvas = window.canvas
    window.actions["zoom_100"].trigger()
    assert canvas.zoom == pytest.approx(1.0)
    assert window.zoom_label.text() == "100%"
    window.actions["zoom_fit"].trigger()
    width, height = window.shot.photo_size
    corner = canvas.image_to_widget(width, height)
    origin = canvas.image_to_widget(0, 0)
    assert origin.x() >= -0.5 and origin.y() >= -0.5
    assert corner.x() <= canvas.width() + 0.5 and corner.y() <= canvas.height() + 0.5
    # Fitted: the photo touches two opposite sides of the canvas.
    assert min(canvas.width() - corner.x(), canvas.height() - corner.y()) < 1


def test_right_drag_pans_without_painting(qtbot, window):
    canvas = window.canvas
    x, y = crop_centre(window)
    start = photo_point(window, x, y)
    before = window.shot
    qtbot.mousePress(canvas, Qt.MouseButton.RightButton, pos=start)
    qtbot.mouseMove(canvas, start + QPoint(30, 20))
    qtbot.mouseRelease(canvas, Qt.MouseButton.RightButton, pos=start + QPoint(30, 20))
    moved = canvas.image_to_widget(x, y)
    assert (moved.x() - start.x(), moved.y() - start.y()) == pytest.approx(
        (30, 20), abs=1
    )
    settle(qtbot, window)
    assert window.undo_stack.count() == 0
    assert np.array_equal(window.shot.edited_crop, before.edited_crop)


def test_a_press_after_zoom_and_pan_lands_under_the_cursor(qtbot, window):
    canvas = window.canvas
    x, y = crop_centre(window)
    wheel(window, x, y, 3, Qt.KeyboardModifier.ShiftModifier)
    start = photo_point(window, x, y)
    qtbot.mousePress(canvas, Qt.MouseButton.MiddleButton, pos=start)
    qtbot.mouseMove(canvas, start + QPoint(-25, 15))
    qtbot.mouseRelease(canvas, Qt.MouseButton.MiddleButton, pos=start + QPoint(-25, 15))
    pressed = []
    canvas.stroke_started.connect(lambda px, py: pressed.append((px, py)))
    target = photo_point(window, x + 3, y - 2)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=target)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=target)
    settle(qtbot, window)
    # Within one screen pixel, i.e. 1/zoom photo pixels.
    assert pressed and pressed[0] == pytest.approx((x + 3, y - 2), abs=1 / canvas.zoom)
    assert window.undo_stack.count() == 1


def test_colour_dialog_sets_the_brush_and_recent_colours(window, monkeypatch):
    panel = window.brush_panel
    chosen = QColor(12, 34, 56)
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a: chosen))
    panel.color_button.click()
    assert panel.brush.color.rgb() == chosen.rgb()
    assert panel.recent[0].rgb() == chosen.rgb()


def test_cancelling_the_colour_dialog_keeps_the_colour(window, dialogs):
    panel = window.brush_panel
    color = QColor(panel.brush.color)
    recent = [c.rgb() for c in panel.recent]
    panel.color_button.click()  # the fixture's dialog answers Cancel
    assert any(kind == "color" for kind, _ in dialogs)
    assert panel.brush.color.rgb() == color.rgb()
    assert [c.rgb() for c in panel.recent] == recent
