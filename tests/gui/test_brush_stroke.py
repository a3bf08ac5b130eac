"""Painting on the photo: strokes, the wheel, locked latents, the user mask."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import crop_centre, photo_point, settle, stroke, wheel
from PySide6.QtCore import Qt

pytestmark = pytest.mark.gui


def test_stroke_changes_image_and_tiles(qtbot, window):
    before = window.shot
    x, y = crop_centre(window)
    window.brush_panel.set_color(window.brush_panel.brush.color.fromRgb(0, 255, 0))
    stroke(qtbot, window, [(x - 10, y), (x, y), (x + 10, y)])
    after = window.shot
    assert not np.array_equal(after.edited_crop, before.edited_crop)
    assert not np.allclose(after.z, before.z)
    assert np.allclose(window.latent_panel.tiles.values, after.z)
    assert window.undo_stack.count() == 1  # one stroke, one undo step
    assert window.isWindowModified()
    assert "ms" in window.step_label.text() and "–" not in window.step_label.text()


def test_still_brush_keeps_working(qtbot, window):
    """Steps come from a timer: holding still without mouse events still paints."""
    canvas = window.canvas
    point = photo_point(window, *crop_centre(window))
    steps = []
    canvas.dab.connect(lambda *_: steps.append(1))
    qtbot.mouseMove(canvas, point)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=point)
    # No mouse event arrives while waiting; a loaded machine may just tick slower.
    qtbot.waitUntil(lambda: len(steps) >= 4, timeout=5000)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=point)
    settle(qtbot, window)
    assert window.undo_stack.count() == 1


def test_wheel_lightens_under_the_brush(qtbot, window):
    x, y = crop_centre(window)
    before = window.shot
    wheel(window, x, y, 2)
    qtbot.waitUntil(lambda: window.undo_stack.count() == 1, timeout=5000)
    settle(qtbot, window)
    assert window.undo_stack.undoText() == "Lighten"
    assert window.shot.edited_crop.mean() > before.edited_crop.mean()


def test_ctrl_wheel_changes_brush_size(qtbot, window):
    size = window.brush_panel.brush.size
    wheel(window, *crop_centre(window), 1, Qt.KeyboardModifier.ControlModifier)
    assert window.brush_panel.brush.size == size + 1


def test_locked_latents_stay_fixed_under_the_brush(qtbot, window):
    tiles = window.latent_panel.tiles
    for index in (0, 5):
        tiles.set_locked(index, True)
    before = window.shot.z.copy()
    x, y = crop_centre(window)
    stroke(qtbot, window, [(x - 8, y - 8), (x + 8, y + 8)])
    after = window.shot.z
    assert after[[0, 5]] == pytest.approx(before[[0, 5]])
    assert not np.allclose(after, before)


def test_protect_mask_stroke_is_one_step(qtbot, window):
    window.tools.set_tool("protect")
    x, y = crop_centre(window)
    stroke(qtbot, window, [(x - 15, y), (x + 15, y)], hold_ms=0)
    assert window.undo_stack.count() == 1
    assert window.undo_stack.undoText() == "Mask"


def test_eyedropper_picks_the_colour_under_the_cursor(qtbot, window):
    window.tools.set_tool("eyedropper")
    qtbot.mouseClick(
        window.canvas, Qt.MouseButton.LeftButton, pos=photo_point(window, 5, 5)
    )
    color = window.brush_panel.brush.color
    assert (color.red(), color.green(), color.blue()) == pytest.approx(
        (70, 90, 140), abs=10
    )
    assert window.tools.tool == "brush"


def test_views_toggle(qtbot, window):
    actions = window.actions
    actions["view_before"].trigger()
    assert window.canvas.view == "before"
    actions["view_recon"].trigger()
    assert window.canvas.view == "reconstruction"
    assert not actions["view_before"].isChecked()
    actions["view_recon"].trigger()
    assert window.canvas.view == "edited"
    actions["view_mask"].trigger()
    assert window.canvas.show_mask
