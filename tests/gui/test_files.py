"""Opening, saving and switching models through the window's file controller."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import crop_centre, make_photo, settle, stroke
from PIL import Image
from PySide6.QtWidgets import QFileDialog

from npe_app.model.config import preset
from npe_app.model.modelfile import save_model
from npe_app.model.networks import GenerativeModel

pytestmark = pytest.mark.gui


def answer_file_dialog(monkeypatch, method: str, path) -> list:
    """Make QFileDialog.<method> choose `path`; returns the folders it was shown."""
    shown = []

    def choose(parent, title, folder="", filters="", *args, **kwargs):
        shown.append(folder)
        return str(path), ""

    monkeypatch.setattr(QFileDialog, method, staticmethod(choose))
    return shown


def assert_same_edit(shot, before) -> None:
    assert shot.photo_size == before.photo_size
    assert np.array_equal(shot.z, before.z)
    assert np.array_equal(shot.edited_crop, before.edited_crop)


def warned(dialogs) -> bool:
    return any(kind == "warning" for kind, _ in dialogs)


def test_open_photo_from_the_open_action(qtbot, window, tmp_path, monkeypatch):
    other = make_photo(tmp_path / "other.png", width=200, height=150, seed=3)
    answer_file_dialog(monkeypatch, "getOpenFileName", other)
    window.actions["open"].trigger()
    qtbot.waitUntil(lambda: window.document_name == "other.png", timeout=20_000)
    settle(qtbot, window)
    assert window.shot.photo_size == (200, 150)
    assert window.canvas.has_photo()
    assert "other.png" in window.windowTitle()
    assert window.files.recent_files()[0] == str(other.resolve())


def test_save_writes_the_full_resolution_photo(
    qtbot, window, tmp_path, monkeypatch, dialogs
):
    stroke(qtbot, window, [crop_centre(window)])
    assert window.isWindowModified()
    target = tmp_path / "out" / "edited.png"
    target.parent.mkdir()
    answer_file_dialog(monkeypatch, "getSaveFileName", target)
    window.actions["save"].trigger()
    settle(qtbot, window)
    with Image.open(target) as saved:
        assert saved.size == (160, 120)  # the photo's size, not the model's 32 px
        pixels = np.asarray(saved.convert("RGB"))
    assert not np.array_equal(pixels, np.asarray(Image.open(window.files.photo_path)))
    assert not window.isWindowModified()
    assert not [kind for kind, _ in dialogs if kind == "warning"]
    assert window.busy_bar.isHidden()
    assert window.statusBar().currentMessage() == f"Saved {target}"
    # Save again goes to the same file without asking.
    answer_file_dialog(monkeypatch, "getSaveFileName", tmp_path / "never.png")
    window.actions["save"].trigger()
    assert not (tmp_path / "never.png").exists()


def test_a_failed_save_says_why_and_keeps_the_edit(
    qtbot, window, tmp_path, monkeypatch, dialogs
):
    stroke(qtbot, window, [crop_centre(window)])
    answer_file_dialog(monkeypatch, "getSaveFileName", tmp_path / "edited.bmp")
    window.actions["save"].trigger()
    settle(qtbot, window)
    assert [text for kind, text in dialogs if kind == "warning"] == [
        f"{tmp_path / 'edited.bmp'}: cannot save as '.bmp'; use .png, .jpg, .jpeg "
        "or .webp"
    ]
    assert window.busy_bar.isHidden()
    assert window.isWindowModified()
    assert not (tmp_path / "edited.bmp").exists()


def test_a_bad_photo_shows_a_dialog_and_keeps_the_photo(
    qtbot, window, tmp_path, dialogs
):
    before = window.shot
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"this is not a PNG")
    window.files.open_photo(bad)
    qtbot.waitUntil(lambda: "warning" in [kind for kind, _ in dialogs], timeout=20_000)
    settle(qtbot, window)
    warnings = [text for kind, text in dialogs if kind == "warning"]
    assert len(warnings) == 1 and "broken.png" in warnings[0]
    assert window.document_name == "portrait.png"
    assert window.files.photo_path.name == "portrait.png"
    assert_same_edit(window.shot, before)


@pytest.fixture
def second_model_file(tmp_path):
    """Another tiny model, with a z of 25, so re-encoding is plain to see."""
    torch_model = GenerativeModel(preset("tiny", z_size=25)).eval()
    path = tmp_path / "second.safetensors"
    save_model(torch_model, path, {"name": "second test model"})
    return path


def test_switching_models_re_encodes_the_photo(qtbot, window, second_model_file):
    assert window.shot.z.shape == (16,)
    window.files.load_model(second_model_file)
    qtbot.waitUntil(lambda: window.shot.z.shape == (25,), timeout=20_000)
    settle(qtbot, window)
    assert window.model_label.text() == "second test model"
    assert window.model_path == second_model_file
    assert window.latent_panel.tiles.values.shape == (25,)
    assert window.document_name == "portrait.png"
    assert window.shot.photo_size == (160, 120)
    assert window.undo_stack.count() == 0


def test_a_bad_model_shows_a_dialog_and_keeps_the_model(
    qtbot, window, tmp_path, dialogs
):
    model, before = window.model, window.shot
    bad = tmp_path / "garbage.safetensors"
    bad.write_bytes(b"\x00" * 64)
    window.files.load_model(bad)
    qtbot.waitUntil(lambda: "warning" in [kind for kind, _ in dialogs], timeout=20_000)
    settle(qtbot, window)
    warnings = [text for kind, text in dialogs if kind == "warning"]
    assert len(warnings) == 1 and "garbage.safetensors" in warnings[0]
    assert window.model is model
    assert window.model_label.text() == "lively test model"
    assert_same_edit(window.shot, before)


def test_dropping_a_photo_opens_it(qtbot, window, tmp_path):
    """Qt delivers drops only during a real drag, so the test calls the window's
    drop handler with the event Qt would pass."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    dropped = make_photo(tmp_path / "dropped.png", width=180, height=140, seed=4)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(dropped))])
    event = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.document_name == "dropped.png", timeout=20_000)
    settle(qtbot, window)
    assert window.shot.photo_size == (180, 140)
