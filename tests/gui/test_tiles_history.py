"""The latent tiles (painting, nudging) and undo/redo through the QUndoStack."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import crop_centre, settle, stroke
from PySide6.QtCore import Qt

pytestmark = pytest.mark.gui

LEFT = Qt.MouseButton.LeftButton


def tile_point(window, index: int):
    return window.latent_panel.tiles.tile_rect(index).center().toPoint()


def test_tile_drag_sets_z_and_changes_the_image(qtbot, window):
    panel = window.latent_panel
    before = window.shot
    panel.value_bar.set_value(3.0)
    tiles = panel.tiles
    qtbot.mousePress(tiles, LEFT, pos=tile_point(window, 0))
    for index in (1, 2, 3):
        qtbot.mouseMove(tiles, tile_point(window, index))
    qtbot.mouseRelease(tiles, LEFT, pos=tile_point(window, 3))
    settle(qtbot, window)
    after = window.shot
    assert after.z[:4] == pytest.approx([3.0] * 4)
    assert after.z[4:] == pytest.approx(before.z[4:])
    assert not np.array_equal(after.edited_crop, before.edited_crop)
    assert window.undo_stack.count() == 1
    assert window.undo_stack.undoText() == "Latent"


def test_shift_drag_nudges_one_tile(qtbot, window):
    tiles = window.latent_panel.tiles
    before = window.shot.z.copy()
    start = tile_point(window, 5)
    qtbot.mousePress(tiles, LEFT, Qt.KeyboardModifier.ShiftModifier, start)
    qtbot.mouseMove(tiles, start - type(start)(0, 25))  # 25 px up: +0.5
    qtbot.mouseRelease(tiles, LEFT, Qt.KeyboardModifier.ShiftModifier, start)
    settle(qtbot, window)
    z = window.shot.z
    assert z[5] == pytest.approx(before[5] + 0.5, abs=0.03)
    assert np.delete(z, 5) == pytest.approx(np.delete(before, 5))


def test_undo_and_redo_restore_image_and_z(qtbot, window):
    x, y = crop_centre(window)
    first = window.shot
    stroke(qtbot, window, [(x - 6, y), (x + 6, y)])
    second = window.shot
    stroke(qtbot, window, [(x, y - 6), (x, y + 6)])
    third = window.shot
    assert window.undo_stack.count() == 2
    undo, redo = window.actions["undo"], window.actions["redo"]
    assert undo.isEnabled() and not redo.isEnabled()

    undo.trigger()
    settle(qtbot, window)
    assert window.shot.z == pytest.approx(second.z)
    assert np.array_equal(window.shot.edited_crop, second.edited_crop)
    undo.trigger()
    settle(qtbot, window)
    assert window.shot.z == pytest.approx(first.z)
    assert np.array_equal(window.shot.edited_crop, first.edited_crop)
    assert np.array_equal(window.latent_panel.tiles.values, first.z)
    assert not undo.isEnabled() and redo.isEnabled()
    assert not window.isWindowModified()  # back at the opened photo

    redo.trigger()
    redo.trigger()
    settle(qtbot, window)
    assert window.shot.z == pytest.approx(third.z)
    assert np.array_equal(window.shot.edited_crop, third.edited_crop)
    assert window.undo_stack.index() == 2 and window.shot.history == third.history


def test_a_new_stroke_after_undo_drops_the_redo_step(qtbot, window):
    x, y = crop_centre(window)
    stroke(qtbot, window, [(x, y)])
    window.actions["undo"].trigger()
    settle(qtbot, window)
    stroke(qtbot, window, [(x + 4, y + 4)])
    assert window.undo_stack.count() == 1
    assert not window.actions["redo"].isEnabled()
    assert window.shot.history == ("Paint",)


def test_toolbar_undo_keeps_its_label_and_names_the_step(qtbot, window):
    """The toolbar must not change width after each edit ("Undo Paint")."""
    from PySide6.QtWidgets import QToolBar

    bar = window.findChild(QToolBar, "main-toolbar")
    undo = next(a for a in bar.actions() if a.text() == "Undo")
    assert not undo.isEnabled()
    stroke(qtbot, window, [crop_centre(window)])
    assert undo.isEnabled() and undo.text() == "Undo"
    assert undo.toolTip().startswith("Undo Paint")
    first = window.shot.z.copy()
    undo.trigger()
    settle(qtbot, window)
    assert not np.allclose(window.shot.z, first)
    assert window.undo_stack.index() == 0


def test_refine_runs_with_progress_and_is_one_undo_step(qtbot, window):
    before = window.shot.z.copy()
    window.edits.refine(steps=5)
    dialog = window.edits.refine_dialog
    assert dialog.isVisible() and dialog.maximum() == 5
    qtbot.waitUntil(lambda: not window.busy_bar.isVisible(), timeout=20_000)
    settle(qtbot, window)
    assert window.statusBar().currentMessage().startswith("Refined: error")
    assert window.undo_stack.count() == 1
    assert not np.allclose(window.shot.z, before)
