"""Screenshot of the editor in use: the real window, real X mouse events.

    python tools/screenshot.py [--model FILE] [--photo FILE] [--out PNG]

Needs xvfb-run, xdotool and ImageMagick's `import` (Debian/Ubuntu: apt-get
install xvfb xauth xdotool imagemagick libxcb-cursor0 ...). The script re-runs
itself under `xvfb-run` on a 1280x800 virtual screen, starts the editor window
as `npe` does (xcb platform, the named model, the sample portrait when no photo
is named), waits until the photo is encoded, then paints a few strokes and turns
the wheel with `xdotool` (mouse down, moves, up: X events the window receives
exactly as from a user), and captures the screen with `import -window root`.

The strokes are placed with the canvas's own photo-to-screen mapping, so they
land on the face whatever the layout. Settings go to a temporary folder, so the
user's own editor settings are neither read nor changed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT = 1280, 800
LOAD_TIMEOUT_S = 300
DEFAULT_OUT = ROOT / "docs" / "images" / "editor.png"

# (brush colour, points as fractions of the face crop, hold in seconds)
STROKES = (
    ((40, 25, 20), [(0.25, 0.16), (0.5, 0.1), (0.75, 0.16)], 1.2),  # darker hair
    ((230, 190, 160), [(0.3, 0.6), (0.34, 0.66)], 0.8),  # lighter left cheek
    ((170, 50, 60), [(0.42, 0.82), (0.58, 0.82)], 0.8),  # redder lips
)
WHEEL = ((0.7, 0.6), 4)  # lighten the right cheek: 4 notches up
REST = (0.62, 0.4)  # where the pointer rests for the picture (brush outline)


def xdotool(*args) -> None:
    subprocess.run(["xdotool", *map(str, args)], check=True)


def outside(args) -> int:
    """Re-run this script inside a fresh virtual X screen."""
    missing = [t for t in ("xvfb-run", "xdotool", "import") if not shutil.which(t)]
    if missing:
        print(f"missing tools: {', '.join(missing)}", file=sys.stderr)
        return 1
    command = [
        "xvfb-run",
        "-a",
        "-s",
        f"-screen 0 {WIDTH}x{HEIGHT}x24 -nolisten tcp",
        sys.executable,
        __file__,
        "--inside",
        *sys.argv[1:],
    ]
    return subprocess.run(command).returncode


class Driver:
    """Runs the xdotool script on its own thread while Qt's loop runs on the
    main thread; anything that touches widgets is handed to the main thread."""

    def __init__(self, app, window, out: Path) -> None:
        from PySide6.QtCore import QObject, Signal, Slot

        class Bridge(QObject):
            call = Signal(object)

            @Slot(object)
            def run(self, fn) -> None:
                fn()

        self.app, self.window, self.out = app, window, out
        self.bridge = Bridge()
        self.bridge.call.connect(self.bridge.run)
        self.error: BaseException | None = None

    def on_main(self, fn):
        """fn() on the GUI thread; returns its result."""
        done = threading.Event()
        box: list = []

        def run() -> None:
            try:
                box.append(fn())
            finally:
                done.set()

        self.bridge.call.emit(run)
        done.wait(30)
        return box[0] if box else None

    def screen_point(self, fx: float, fy: float) -> tuple[int, int]:
        """Screen position of a point given as fractions of the face crop."""

        def compute():
            left, top, side = self.window.shot.crop.pixels
            canvas = self.window.canvas
            local = canvas.image_to_widget(left + fx * side, top + fy * side)
            point = canvas.mapToGlobal(local.toPoint())
            return point.x(), point.y()

        return self.on_main(compute)

    def set_color(self, rgb) -> None:
        from PySide6.QtGui import QColor

        self.on_main(lambda: self.window.brush_panel.set_color(QColor(*rgb)))

    def settle(self, extra_s: float = 0.5) -> None:
        self.window.client.wait_idle(60)
        time.sleep(extra_s)

    def run(self) -> None:
        try:
            self._script()
        except BaseException as error:  # noqa: BLE001 - reported by main()
            self.error = error
        finally:
            # exit(), not quit(): quit() closes the window first, and the unsaved
            # edit would open a question no one answers.
            self.bridge.call.emit(lambda: self.app.exit(0))

    def _script(self) -> None:
        end = time.monotonic() + LOAD_TIMEOUT_S
        while not self.on_main(lambda: self.window.has_session):
            if time.monotonic() > end:
                raise TimeoutError("the photo was not encoded in time")
            time.sleep(0.5)
        self.settle(1.0)
        for rgb, points, hold in STROKES:
            self.set_color(rgb)
            first, *rest = [self.screen_point(*p) for p in points]
            xdotool("mousemove", *first)
            time.sleep(0.2)
            xdotool("mousedown", 1)
            for x, y in rest:
                xdotool("mousemove", x, y)
                time.sleep(hold / max(len(rest), 1))
            time.sleep(0.3)
            xdotool("mouseup", 1)
            self.settle()
        (fx, fy), notches = WHEEL
        xdotool("mousemove", *self.screen_point(fx, fy))
        time.sleep(0.2)
        xdotool("click", "--repeat", notches, "--delay", 120, 4)
        self.settle(1.0)
        self.on_main(lambda: self.window.actions["view_mask"].setChecked(False))
        xdotool("mousemove", *self.screen_point(*REST))
        self.settle(1.0)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-window", "root", str(self.out)], check=True)


def inside(args) -> int:
    """In the virtual screen: start the editor, drive it, capture it."""
    config = tempfile.mkdtemp(prefix="npe-screenshot-")
    os.environ["XDG_CONFIG_HOME"] = config  # QSettings go here, not to the user's
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    from PySide6.QtWidgets import QApplication

    from npe_app.ui.app import ORGANIZATION
    from npe_app.ui.main_window import APP_NAME, MainWindow

    app = QApplication([sys.argv[0]])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APP_NAME)
    window = MainWindow()
    window.setGeometry(0, 0, WIDTH, HEIGHT)
    window.show()
    window.files.start(args.photo, args.model)
    driver = Driver(app, window, args.out)
    thread = threading.Thread(target=driver.run, daemon=True)
    thread.start()
    app.exec()
    window.client.shutdown()
    shutil.rmtree(config, ignore_errors=True)
    if driver.error is not None:
        print(f"screenshot failed: {driver.error}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="model file (default: shipped)")
    parser.add_argument("--photo", type=Path, help="photo (default: sample portrait)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="PNG to write")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.inside:
        return outside(args)
    code = inside(args)
    # The driver thread's Qt objects make PySide6 abort while the interpreter
    # finalizes, after the picture is written; skip that teardown.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
