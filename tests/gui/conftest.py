"""Fixtures for the window tests: isolated settings, photos, a ready window.

Every test here drives the real widgets offscreen (tests/conftest.py sets
QT_QPA_PLATFORM=offscreen) with the tiny model, so the suite stays fast.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from editing_helpers import make_lively
from gui_helpers import make_photo, settle
from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog, QFileDialog, QMessageBox

from npe_app.ui.main_window import MainWindow

GUI_DIR = Path(__file__).resolve().parent
GUI_TIMEOUT_S = 60


def pytest_collection_modifyitems(items) -> None:
    """A window test that waits on a dialog nobody patched would block the run
    for good (a modal loop never returns to Python, so the signal method cannot
    interrupt it): give these tests a thread-method timeout that ends the run
    with a stack dump instead. Each test takes well under a few seconds."""
    for item in items:
        if GUI_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.timeout(GUI_TIMEOUT_S, method="thread"))


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """QSettings() anywhere in the code lands in tmp_path, never the user's."""
    folder = tmp_path / "settings"
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder)
    )
    monkeypatch.setenv("NPE_MODEL", str(tmp_path / "no-default-model.safetensors"))


@pytest.fixture(autouse=True)
def dialogs(monkeypatch):
    """No modal dialog ever blocks a test: questions are answered Discard,
    warnings are recorded, file and colour dialogs are cancelled. Tests read
    `dialogs` to check what was asked."""
    seen: list[tuple[str, str]] = []

    def question(parent, title, text, *args, **kwargs):
        seen.append(("question", text))
        return QMessageBox.StandardButton.Discard

    def warning(parent, title, text, *args, **kwargs):
        seen.append(("warning", text))
        return QMessageBox.StandardButton.Ok

    def refuse(kind):
        """Any other modal dialog would wait forever for a click offscreen: record
        it and answer as if the user cancelled (tests that need an answer patch
        the dialog themselves)."""

        def answer(*args, **kwargs):
            seen.append((kind, str(args[1:3])))
            if kind == "color":
                return QColor()
            if kind.startswith("file"):
                return ("", "")
            return QMessageBox.StandardButton.Cancel

        return staticmethod(answer)

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))
    for name in ("critical", "information"):
        monkeypatch.setattr(QMessageBox, name, refuse(name))
    for name in ("getOpenFileName", "getSaveFileName"):
        monkeypatch.setattr(QFileDialog, name, refuse(f"file {name}"))
    monkeypatch.setattr(QColorDialog, "getColor", refuse("color"))
    return seen


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings" / "npe.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def photo(tmp_path):
    return make_photo(tmp_path / "portrait.png")


@pytest.fixture
def make_window(qtbot, settings):
    """make_window() -> a shown MainWindow; closed without prompts at the end."""
    windows = []

    def make() -> MainWindow:
        window = MainWindow(settings)
        qtbot.addWidget(window)
        window.resize(900, 600)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.client.shutdown()


@pytest.fixture
def lively_model_file(tmp_path, tiny_model):
    """The tiny model with a loud output layer, so a stroke visibly moves pixels."""
    from npe_app.model.modelfile import save_model

    path = tmp_path / "lively.safetensors"
    save_model(make_lively(tiny_model), path, {"name": "lively test model"})
    return path


@pytest.fixture
def window(make_window, qtbot, photo, lively_model_file):
    """A window with the lively tiny model and the synthetic photo open."""
    win = make_window()
    win.files.start(photo, lively_model_file)
    # The name is set once the open has finished, after it posted its own follow-up
    # work (the mask smoothing); settling then waits for that too, so no late
    # snapshot replaces `win.shot` in the middle of a test.
    qtbot.waitUntil(lambda: win.document_name == photo.name, timeout=20_000)
    settle(qtbot, win)
    return win
