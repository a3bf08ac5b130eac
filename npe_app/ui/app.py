"""`npe [PHOTO] [--model FILE]`: start the editor window."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from .main_window import APP_NAME, MainWindow

ORGANIZATION = "npe"  # QSettings: ~/.config/npe/Neural Photo Editor.conf on Linux


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="npe",
        description="Neural Photo Editor: edit a portrait by painting.",
        epilog="Commands: npe train | eval | sample | reconstruct (npe COMMAND -h).",
    )
    parser.add_argument(
        "photo",
        nargs="?",
        type=Path,
        help="photo to open (default: a bundled sample portrait)",
    )
    parser.add_argument(
        "--model",
        type=Path,
        help="model file (default: models/npe-faces64.safetensors)",
    )
    return parser.parse_args(argv)


def run_editor(argv: list[str]) -> int:
    """Open the main window, load the model and the photo; returns the exit code."""
    args = parse_args(argv)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APP_NAME)
    window = MainWindow()
    window.show()
    window.files.start(args.photo, args.model)
    return app.exec()
