"""The window's actions, menus and toolbar, declared in one table.

Every action has a shortcut where one is conventional, a tooltip that names the
shortcut, and a status tip; the window connects them to its slots by name.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QMainWindow, QMenu, QSpinBox, QToolBar

from .controls import ToolActions

Key = QKeySequence.StandardKey

# name: (text, shortcut, tip, checkable)
ACTION_SPECS: dict[str, tuple[str, object, str, bool]] = {
    "open": (
        "&Open Photo…",
        Key.Open,
        "Open a portrait to edit (or drop a file)",
        False,
    ),
    "save": ("&Save", Key.Save, "Save the edited photo at its full resolution", False),
    "save_as": (
        "Save &As…",
        Key.SaveAs,
        "Save the edited photo under a new name",
        False,
    ),
    "export_ops": (
        "&Export Stroke List…",
        "Ctrl+E",
        "Write the operations that replay this edit as JSON",
        False,
    ),
    "open_project": (
        "Open &Project…",
        "Ctrl+Shift+O",
        "Open a saved edit: photo, latents, mask and history",
        False,
    ),
    "save_project": (
        "Save P&roject…",
        "Ctrl+Alt+S",
        "Save the edit so it can be continued later",
        False,
    ),
    "quit": ("&Quit", Key.Quit, "Close the editor", False),
    "sample": (
        "Sa&mple",
        "Ctrl+R",
        "Show a random face from the model (seed in the toolbar)",
        False,
    ),
    "reset": (
        "R&eset",
        "Ctrl+Backspace",
        "Back to the loaded (or last updated) photo",
        False,
    ),
    "commit": (
        "&Update",
        "Ctrl+Return",
        "Make the edited photo the new original, to chain edits",
        False,
    ),
    "refine": (
        "Re&fine Encoding…",
        "Ctrl+Shift+F",
        "Optimise z so the reconstruction matches the photo better",
        False,
    ),
    "view_before": (
        "Show &Original",
        "\\",
        "Compare with the photo before editing",
        True,
    ),
    "view_recon": (
        "Show &Reconstruction",
        "R",
        "Show the model's reconstruction X̂ of the face",
        True,
    ),
    "view_mask": (
        "Show &Mask",
        "M",
        "Overlay the interpolation mask (where the edit shows)",
        True,
    ),
    "zoom_in": ("Zoom &In", Key.ZoomIn, "Zoom in (Shift+wheel)", False),
    "zoom_out": ("Zoom &Out", Key.ZoomOut, "Zoom out (Shift+wheel)", False),
    "zoom_fit": ("&Fit to Window", "Ctrl+0", "Fit the photo to the window", False),
    "zoom_100": ("&Actual Pixels", "Ctrl+1", "One photo pixel per screen pixel", False),
    "brush_smaller": ("Smaller Brush", "[", "Brush size −1 (Ctrl+wheel)", False),
    "brush_larger": ("Larger Brush", "]", "Brush size +1 (Ctrl+wheel)", False),
    "pick_color": ("Brush &Colour…", "C", "Choose the brush colour", False),
    "browse_model": ("&Browse…", "Ctrl+M", "Load a model file", False),
}


class Actions(QObject):
    """All actions by name (`actions["save"]`), plus the tools and undo/redo."""

    def __init__(
        self, window: QMainWindow, tools: ToolActions, undo: QAction, redo: QAction
    ) -> None:
        super().__init__(window)
        self._actions: dict[str, QAction] = {"undo": undo, "redo": redo}
        self.tools = tools
        for name, (text, key, tip, checkable) in ACTION_SPECS.items():
            action = QAction(text, window)
            action.setShortcut(QKeySequence(key))
            action.setCheckable(checkable)
            self._describe(action, tip)
            self._actions[name] = action
        undo.setShortcut(QKeySequence(Key.Undo))
        redo.setShortcuts([QKeySequence(Key.Redo), QKeySequence("Ctrl+Y")])
        self._describe(undo, "Undo the last stroke or change")
        self._describe(redo, "Redo what was undone")
        window.addActions(list(self._actions.values()))

    @staticmethod
    def _describe(action: QAction, tip: str) -> None:
        key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({key})" if key else tip)
        action.setStatusTip(tip)

    def __getitem__(self, name: str) -> QAction:
        return self._actions[name]


def build_menus(window: QMainWindow, actions: Actions) -> dict[str, QMenu]:
    """File, Edit, View, Tools and Model menus; returns the ones filled on demand."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(actions["open"])
    recent = file_menu.addMenu("Open &Recent")
    file_menu.addAction(actions["save"])
    file_menu.addAction(actions["save_as"])
    file_menu.addSeparator()
    for name in ("open_project", "save_project", "export_ops"):
        file_menu.addAction(actions[name])
    file_menu.addSeparator()
    file_menu.addAction(actions["quit"])
    edit = bar.addMenu("&Edit")
    for name in ("undo", "redo", None, "sample", "reset", "commit", "refine"):
        edit.addSeparator() if name is None else edit.addAction(actions[name])
    view = bar.addMenu("&View")
    for name in (
        "view_before",
        "view_recon",
        "view_mask",
        None,
        "zoom_in",
        "zoom_out",
        "zoom_fit",
        "zoom_100",
    ):
        view.addSeparator() if name is None else view.addAction(actions[name])
    tools = bar.addMenu("&Tools")
    tools.addActions(list(actions.tools.actions.values()))
    tools.addSeparator()
    for name in ("pick_color", "brush_smaller", "brush_larger"):
        tools.addAction(actions[name])
    model = bar.addMenu("&Model")
    return {"recent": recent, "model": model}


def build_toolbar(window: QMainWindow, actions: Actions, stack: QUndoStack) -> QSpinBox:
    """The main toolbar; returns the sample-seed box that sits in it."""
    bar = QToolBar("Main", window)
    bar.setObjectName("main-toolbar")
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    window.addToolBar(bar)
    for name in (
        "open",
        "save",
        None,
        "undo",
        "redo",
        None,
        "reset",
        "commit",
        "refine",
        None,
        "sample",
    ):
        if name is None:
            bar.addSeparator()
        elif name in ("undo", "redo"):
            bar.addAction(_fixed_label(actions[name], name.capitalize(), stack))
        else:
            bar.addAction(actions[name])
    seed = QSpinBox(minimum=0, maximum=2**31 - 1)
    seed.setPrefix("seed ")
    seed.setToolTip("Seed for the next Sample (counts up after each sample)")
    bar.addWidget(seed)
    bar.addSeparator()
    for name in ("view_before", "view_recon", "view_mask"):
        bar.addAction(actions[name])
    return seed


def _fixed_label(source: QAction, text: str, stack: QUndoStack) -> QAction:
    """A toolbar stand-in for QUndoStack's Undo/Redo actions, whose text names
    the step ("Undo Lighten") and so made the whole toolbar shift sideways after
    every edit. The step moves to the tooltip; the enabled state follows the
    stack. It has no shortcut of its own (the source keeps Ctrl+Z, and two
    actions with one shortcut would make Qt ignore both)."""
    proxy = QAction(text, source.parent())
    proxy.triggered.connect(source.trigger)
    key = source.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    undo = text == "Undo"
    can = stack.canUndoChanged if undo else stack.canRedoChanged
    label = stack.undoTextChanged if undo else stack.redoTextChanged

    def describe(step: str) -> None:
        proxy.setToolTip(f"{text} {step} ({key})" if step else f"{text} ({key})")

    can.connect(proxy.setEnabled)
    label.connect(describe)
    proxy.setEnabled(stack.canUndo() if undo else stack.canRedo())
    describe(stack.undoText() if undo else stack.redoText())
    return proxy
