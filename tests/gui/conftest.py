"""Fixtures for the window tests: isolated settings, photos, a ready window.

Every test here drives the real widgets offscreen (tests/conftest.py sets
QT_QPA_PLATFORM=offscreen) with the tiny model, so the suite stays fast.
"""

from __future__ import annotations

import numpy as np
import pytest
from editing_helpers import make_lively
from gui_helpers import settle
from PIL import Image
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from npe_app.ui.main_window import MainWindow


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
    """No modal dialog ever blocks a test: questions are answered Discard and
    warnings are recorded. Tests read `dialogs` to check what was asked."""
    seen: list[tuple[str, str]] = []

    def question(parent, title, text, *args, **kwargs):
        seen.append(("question", text))
        return QMessageBox.StandardButton.Discard

    def warning(parent, title, text, *args, **kwargs):
        seen.append(("warning", text))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))
    return seen


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings" / "npe.ini"), QSettings.Format.IniFormat)


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
    qtbot.waitUntil(lambda: win.has_session, timeout=20_000)
    settle(qtbot, win)
    return win
