"""The main window: layout, status bar, settings, and the hub the controllers use.

The window owns no image or latent logic. It shows what the worker's snapshots
contain and routes user input to two controllers: `FileController` (photos,
projects, models, saving) and `EditController` (strokes, tiles, buttons).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QCloseEvent, QColor, QDragEnterEvent, QDropEvent, QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from .actions import Actions, build_menus, build_toolbar
from .canvas import PhotoCanvas
from .collector import collect_on_gui_thread
from .commands import HistoryMirror
from .controls import BrushPanel, LatentPanel, ToolActions
from .documents import FileController
from .edit_controller import EditController
from .worker import EngineClient, Snapshot

log = logging.getLogger(__name__)

APP_NAME = "Neural Photo Editor"


class MainWindow(QMainWindow):
    """The editor window. `settings` defaults to the user's QSettings; tests pass
    their own so they never touch the user's."""

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        collect_on_gui_thread()
        self.settings = settings if settings is not None else QSettings()
        self.client = EngineClient(self)
        self.shot: Snapshot | None = None
        self.model = None
        self.model_path: Path | None = None
        self.document_name = ""
        self._build_widgets()
        self._build_actions()
        self._build_status_bar()
        self.files = FileController(self)
        self.edits = EditController(self)
        self.client.snapshot_ready.connect(self._on_snapshot)
        self.setAcceptDrops(True)
        self.restore_settings()
        self.update_title()

    # construction
    def _build_widgets(self) -> None:
        self.canvas = PhotoCanvas()
        self.canvas.setToolTip("")
        self.setCentralWidget(self.canvas)
        self.tools = ToolActions(self)
        self.latent_panel = LatentPanel()
        self.brush_panel = BrushPanel(self.tools)
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.addWidget(self.latent_panel)
        layout.addWidget(self.brush_panel)
        layout.addStretch()
        scroll = QScrollArea()
        scroll.setWidget(column)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        dock = QDockWidget("Controls", self)
        dock.setObjectName("controls-dock")
        dock.setWidget(scroll)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        column.setMinimumWidth(300)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)

    def _build_actions(self) -> None:
        self.undo_stack = QUndoStack(self)
        self.mirror = HistoryMirror(self.undo_stack, self._post_history)
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        self.actions = Actions(self, self.tools, undo, redo)
        self.menus = build_menus(self, self.actions)
        self.seed_box = build_toolbar(self, self.actions, self.undo_stack)
        self.actions["quit"].triggered.connect(self.close)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.busy_bar = QProgressBar(maximumWidth=120, maximum=0)
        self.busy_bar.hide()
        self.model_label = QLabel("no model")
        self.model_label.setToolTip("The generative model in use (Model menu)")
        self.device_label = QLabel("")
        self.device_label.setToolTip("Where the model runs")
        self.step_label = QLabel("step – ms")
        self.step_label.setToolTip("Time of the last brush step")
        self.zoom_label = QLabel("")
        self.zoom_label.setToolTip("Zoom (Ctrl+0 fits, Ctrl+1 shows actual pixels)")
        self.canvas.zoom_changed.connect(
            lambda scale: self.zoom_label.setText(f"{scale:.0%}")
        )
        for widget in (
            self.busy_bar,
            self.model_label,
            self.device_label,
            self.zoom_label,
            self.step_label,
        ):
            bar.addPermanentWidget(widget)

    # state the controllers share
    @property
    def has_session(self) -> bool:
        return self.shot is not None

    @property
    def dirty(self) -> bool:
        return self.shot is not None and self.shot.dirty

    def _post_history(self, kind: str, done) -> None:
        """Undo/redo for the mirror: the whole photo may change (undoing Update)."""
        self.client.call(
            lambda s: getattr(s, kind)(),
            render="full",
            done=lambda _: done(),
            failed=lambda _: done(),
        )

    def _on_snapshot(self, shot: Snapshot) -> None:
        self.shot = shot
        self.canvas.set_snapshot(shot)
        if not self.latent_panel.tiles.editing:
            self.latent_panel.tiles.set_values(shot.z)
        if shot.new_session:
            self.mirror.reset(shot.history)
        else:
            self.mirror.sync(shot.history)
        self.device_label.setText(shot.device.upper())
        self.edits.update_brush_outline()
        self.update_title()

    def set_model(self, model, path: Path, name: str) -> None:
        self.model, self.model_path = model, path
        self.model_label.setText(name)
        self.model_label.setToolTip(f"{name}\n{path}")

    def update_title(self) -> None:
        name = self.document_name or "no photo"
        self.setWindowTitle(f"{name}[*] — {APP_NAME}")
        self.setWindowModified(self.dirty)
        has = self.has_session
        for action in (
            "save",
            "save_as",
            "export_ops",
            "save_project",
            "sample",
            "reset",
            "commit",
            "refine",
        ):
            self.actions[action].setEnabled(has)

    def busy(self, text: str) -> None:
        """Long work in progress (loading, encoding): say so, keep the UI live."""
        self.busy_bar.show()
        self.statusBar().showMessage(text)

    def idle(self, text: str = "", timeout_ms: int = 5000) -> None:
        self.busy_bar.hide()
        self.statusBar().showMessage(text, timeout_ms)

    def error(self, title: str, message: str) -> None:
        """Every failure a user can meet ends here: a dialog naming the problem."""
        log.info("%s: %s", title, message)
        QMessageBox.warning(self, title, message)

    def show_step_time(self, ms: float) -> None:
        self.step_label.setText(f"step {ms:.0f} ms")

    # settings
    def restore_settings(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 800)
        state = s.value("window/state")
        if state is not None:
            self.restoreState(state)
        panel = self.brush_panel
        for color in reversed(s.value("brush/recent", [], type=list)):
            if QColor(color).isValid():
                panel.set_color(QColor(color))
        panel.set_color(QColor(s.value("brush/color", panel.brush.color.name())))
        panel.set_size(int(s.value("brush/size", panel.brush.size)))
        panel.strength_box.setValue(float(s.value("brush/strength", 1.0)))
        shape = panel.shape_box.findData(s.value("brush/shape", "square"))
        panel.shape_box.setCurrentIndex(max(shape, 0))
        panel.sigma_box.setValue(float(s.value("brush/sigma", panel.sigma_box.value())))
        scale = float(s.value("latent/scale", self.latent_panel.scale_box.value()))
        self.latent_panel.scale_box.setValue(scale)

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        brush = self.brush_panel.brush
        s.setValue("brush/color", brush.color.name())
        s.setValue("brush/recent", [c.name() for c in self.brush_panel.recent])
        s.setValue("brush/size", brush.size)
        s.setValue("brush/strength", brush.strength)
        s.setValue("brush/shape", brush.shape)
        s.setValue("brush/sigma", self.brush_panel.sigma_box.value())
        s.setValue("latent/scale", self.latent_panel.scale_box.value())
        s.sync()

    # closing and dropping
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.files.maybe_save():
            event.ignore()
            return
        self.save_settings()
        self.client.shutdown()
        event.accept()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        files = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.files.open_any(files[0])
