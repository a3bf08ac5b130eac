"""Starting, closing and remembering: the window's life outside the edits."""

from __future__ import annotations

import pytest
from gui_helpers import crop_centre, make_photo, settle, stroke
from PySide6.QtWidgets import QFileDialog, QMessageBox

from npe_app.ui import documents
from npe_app.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def test_closing_with_unsaved_changes_asks(qtbot, window, dialogs, monkeypatch):
    stroke(qtbot, window, [crop_centre(window)])
    assert window.isWindowModified()

    discard = QMessageBox.question  # the dialogs fixture's answer

    def cancel(parent, title, text, *args, **kwargs):
        dialogs.append(("question", text))
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", staticmethod(cancel))
    assert not window.close()
    assert window.isVisible()
    assert dialogs == [("question", "Save the changes to portrait.png?")]

    monkeypatch.setattr(QMessageBox, "question", staticmethod(discard))
    assert window.close()
    assert len(dialogs) == 2
    assert not window.isVisible()


def test_closing_without_changes_does_not_ask(qtbot, window, dialogs):
    assert window.close()
    assert not dialogs


def test_opening_another_photo_over_unsaved_changes_asks(
    qtbot, window, dialogs, tmp_path
):
    stroke(qtbot, window, [crop_centre(window)])
    other = make_photo(tmp_path / "next.png", seed=5)
    window.files.open_photo(other)
    qtbot.waitUntil(lambda: window.document_name == "next.png", timeout=20_000)
    assert [kind for kind, _ in dialogs] == ["question"]


def test_settings_are_remembered_in_a_new_window(
    qtbot, window, settings, tmp_path, monkeypatch
):
    folder = tmp_path / "photos"
    folder.mkdir()
    other = make_photo(folder / "friend.png", seed=2)
    window.files.open_photo(other)
    qtbot.waitUntil(lambda: window.document_name == "friend.png", timeout=20_000)
    window.brush_panel.set_size(13)
    window.brush_panel.shape_box.setCurrentIndex(1)  # soft
    window.brush_panel.set_color(window.brush_panel.brush.color.fromRgb(10, 200, 30))
    window.resize(720, 540)  # inside the offscreen screen (800x600)
    assert window.close()

    again = MainWindow(settings)  # not make_window: that sets its own size
    qtbot.addWidget(again)
    brush = again.brush_panel.brush
    assert (brush.size, brush.shape, brush.color.name()) == (13, "soft", "#0ac81e")
    assert (again.width(), again.height()) == (720, 540)
    shown = []

    def remember_folder(parent, title, folder="", filters="", *args, **kwargs):
        shown.append(folder)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(remember_folder))
    again.actions["open"].trigger()
    assert shown == [str(folder.resolve())]
    assert again.files.recent_files()[0] == str(other.resolve())
    again.client.shutdown()


def test_start_without_a_photo_opens_the_sample_portrait(
    qtbot, make_window, lively_model_file, tmp_path, monkeypatch
):
    sample = make_photo(tmp_path / "sample-portrait.png", width=128, height=160)
    monkeypatch.setattr(documents, "SAMPLE_PORTRAIT", sample)
    window = make_window()
    window.files.start(None, lively_model_file)
    qtbot.waitUntil(lambda: window.has_session, timeout=20_000)
    settle(qtbot, window)
    assert window.document_name == "sample-portrait.png"
    assert window.shot.photo_size == (128, 160)


def test_the_shipped_sample_portrait_exists():
    """The file the editor opens without a photo is in the repository."""
    assert documents.sample_portrait() == documents.SAMPLE_PORTRAIT
    assert (documents.SAMPLE_PORTRAIT.parent / "README.md").is_file()


def test_missing_default_model_shows_a_message(make_window, dialogs):
    window = make_window()  # NPE_MODEL points at a missing file (conftest)
    window.files.start(None, None)
    assert "missing" in window.canvas._message
    assert "Browse" in window.canvas._message
    assert not window.has_session and window.model is None
    assert not dialogs


def test_missing_sample_portrait_shows_a_message(
    qtbot, make_window, lively_model_file, tmp_path, monkeypatch, dialogs
):
    monkeypatch.setattr(documents, "SAMPLE_PORTRAIT", tmp_path / "gone.png")
    window = make_window()
    window.files.start(None, lively_model_file)
    qtbot.waitUntil(lambda: window.model is not None, timeout=20_000)
    settle(qtbot, window)
    assert "Open a photo" in window.canvas._message
    assert not window.has_session and not dialogs


def test_a_bad_model_at_start_says_what_to_do(qtbot, make_window, tmp_path, dialogs):
    bad = tmp_path / "empty.safetensors"
    bad.write_bytes(b"")
    window = make_window()
    window.files.start(None, bad)
    qtbot.waitUntil(lambda: bool(dialogs), timeout=20_000)
    assert dialogs[0][0] == "warning" and "empty.safetensors" in dialogs[0][1]
    assert "Cannot load the model empty.safetensors" in window.canvas._message
