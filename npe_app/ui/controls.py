"""The side panels: brush settings (tool, colour, size, strength, shape, mask
smoothing) and the latent panel (tiles, value bar, colour scale)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .latent_tiles import HELP, LatentTiles
from .value_bar import DEFAULT_SCALE, ValueBar

MAX_RECENT_COLORS = 8
BRUSH_SIZES = (1, 32)  # model pixels: the face crop is image_size (64) px across
DEFAULT_SIGMA = 0.7  # the paper's mask smoothing


@dataclass
class Brush:
    """What a brush dab needs besides the position. size is in model pixels."""

    color: QColor
    size: int = 6
    strength: float = 1.0
    shape: str = "square"  # or "soft"


TOOL_SPECS = (
    (
        "brush",
        "Colour brush",
        "B",
        "Paint: each step nudges z so the face under the brush takes the colour",
    ),
    ("eyedropper", "Eyedropper", "I", "Click the photo to pick the brush colour"),
    (
        "protect",
        "Protect region",
        "P",
        "Paint a region the edit must not change (user mask = 0)",
    ),
    (
        "force",
        "Force region",
        "F",
        "Paint a region that always shows the model's output (user mask = 1)",
    ),
    ("clear", "Erase user mask", "E", "Remove protect/force painting"),
)


class ToolActions(QObject):
    """Checkable, exclusive tool actions (for the menu, toolbar and panel)."""

    tool_changed = Signal(str)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.group = QActionGroup(self)
        self.actions: dict[str, QAction] = {}
        for name, text, key, tip in TOOL_SPECS:
            action = QAction(text, self)
            action.setCheckable(True)
            action.setShortcut(QKeySequence(key))
            action.setToolTip(f"{tip} ({key})")
            action.setStatusTip(tip)
            action.setData(name)
            self.group.addAction(action)
            self.actions[name] = action
        self.actions["brush"].setChecked(True)
        self.group.triggered.connect(lambda a: self.tool_changed.emit(a.data()))

    @property
    def tool(self) -> str:
        return self.group.checkedAction().data()

    def set_tool(self, name: str) -> None:
        if name in self.actions and self.tool != name:
            self.actions[name].setChecked(True)
            self.tool_changed.emit(name)


def _swatch(color: QColor, size: int = 18) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(color)
    return QIcon(pixmap)


class BrushPanel(QGroupBox):
    """Tool buttons, colour (dialog, recent swatches, eyedropper), size, strength,
    shape and the mask smoothing σ."""

    brush_changed = Signal()
    sigma_changed = Signal(float)
    clear_mask_requested = Signal()

    def __init__(self, tools: ToolActions, parent: QWidget | None = None) -> None:
        super().__init__("Brush", parent)
        self.brush = Brush(QColor(200, 120, 90))
        self.recent: list[QColor] = []
        layout = QFormLayout(self)
        layout.addRow(self._tool_row(tools))
        layout.addRow("Colour", self._color_row())
        layout.addRow("", self._recent_row())
        self.size_slider = self._slider(*BRUSH_SIZES, self.brush.size)
        self.size_slider.setToolTip(
            "Brush width in model pixels (the face crop is 64 across); "
            "Ctrl+wheel or [ ] on the photo"
        )
        layout.addRow("Size", self.size_slider)
        self.strength_box = QDoubleSpinBox(
            decimals=2, minimum=0.05, maximum=5.0, singleStep=0.1, value=1.0
        )
        self.strength_box.setToolTip(
            "How far each brush step moves z (1 = the paper's step)"
        )
        self.strength_box.valueChanged.connect(self._on_changed)
        layout.addRow("Strength", self.strength_box)
        self.shape_box = QComboBox()
        self.shape_box.addItem("Square (hard)", "square")
        self.shape_box.addItem("Soft (Gaussian)", "soft")
        self.shape_box.setToolTip(
            "Square: the original editor's brush; soft: "
            "weights fall off from the centre"
        )
        self.shape_box.currentIndexChanged.connect(self._on_changed)
        layout.addRow("Shape", self.shape_box)
        self.sigma_box = QDoubleSpinBox(
            decimals=2, minimum=0.0, maximum=5.0, singleStep=0.1, value=DEFAULT_SIGMA
        )
        self.sigma_box.setToolTip(
            "Mask smoothing σ in model pixels: how softly the edit blends into the "
            "photo (0.7 in the paper)"
        )
        self.sigma_box.valueChanged.connect(self.sigma_changed)
        layout.addRow("Mask σ", self.sigma_box)
        clear = QPushButton("Clear user mask")
        clear.setToolTip("Remove all protect/force painting")
        clear.clicked.connect(self.clear_mask_requested)
        layout.addRow(clear)

    def _tool_row(self, tools: ToolActions) -> QWidget:
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        for action in tools.actions.values():
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setText(action.text().split()[0])
            box.addWidget(button)
        box.addStretch()
        return row

    def _color_row(self) -> QWidget:
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        self.color_button = QPushButton()
        self.color_button.setToolTip("Choose the brush colour")
        self.color_button.clicked.connect(self.choose_color)
        box.addWidget(self.color_button, 1)
        self._update_color_button()
        return row

    def _recent_row(self) -> QWidget:
        row = QWidget()
        self._recent_box = QHBoxLayout(row)
        self._recent_box.setContentsMargins(0, 0, 0, 0)
        self._recent_box.setSpacing(2)
        self._recent_box.addStretch()
        return row

    def _slider(self, low: int, high: int, value: int) -> QSlider:
        slider = QSlider(
            Qt.Orientation.Horizontal, minimum=low, maximum=high, value=value
        )
        slider.valueChanged.connect(self._on_changed)
        return slider

    def choose_color(self) -> None:
        """Qt's colour dialog; Cancel keeps the colour."""
        color = QColorDialog.getColor(self.brush.color, self, "Brush colour")
        if color.isValid():
            self.set_color(color)

    def set_color(self, color: QColor) -> None:
        """Use a colour and put it first among the recent swatches."""
        self.brush.color = QColor(color)
        self.recent = [color] + [c for c in self.recent if c.rgb() != color.rgb()]
        self.recent = self.recent[:MAX_RECENT_COLORS]
        self._update_color_button()
        self._update_recent()
        self.brush_changed.emit()

    def set_size(self, size: int) -> None:
        self.size_slider.setValue(max(BRUSH_SIZES[0], min(BRUSH_SIZES[1], size)))

    def _update_color_button(self) -> None:
        color = self.brush.color
        self.color_button.setIcon(_swatch(color))
        self.color_button.setText(color.name())

    def _update_recent(self) -> None:
        while self._recent_box.count() > 1:
            self._recent_box.takeAt(0).widget().deleteLater()
        for i, color in enumerate(self.recent):
            button = QToolButton()
            button.setIcon(_swatch(color, 14))
            button.setToolTip(f"Use {color.name()}")
            button.setAutoRaise(True)
            button.clicked.connect(lambda _=False, c=color: self.set_color(c))
            self._recent_box.insertWidget(i, button)

    def _on_changed(self) -> None:
        self.brush.size = self.size_slider.value()
        self.brush.strength = self.strength_box.value()
        self.brush.shape = self.shape_box.currentData()
        self.size_slider.setToolTip(
            f"Brush width: {self.brush.size} model pixels; Ctrl+wheel or [ ] to change"
        )
        self.brush_changed.emit()


class LatentPanel(QGroupBox):
    """The latent tiles with their value bar, colour scale and hover readout."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Latent z", parent)
        layout = QVBoxLayout(self)
        self.tiles = LatentTiles()
        self.tiles.setToolTip(HELP)
        layout.addWidget(self.tiles, 1)
        self.readout = QLabel("Hover a tile to read its value")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        layout.addWidget(self.readout)
        self.value_bar = ValueBar()
        layout.addWidget(self.value_bar)
        layout.addLayout(self._scale_row())
        self.value_bar.value_changed.connect(self.tiles.set_paint_value)
        self.tiles.set_paint_value(self.value_bar.value)
        self.tiles.hovered.connect(self._on_hovered)

    def _scale_row(self) -> QGridLayout:
        grid = QGridLayout()
        grid.addWidget(QLabel("Colour scale ±"), 0, 0)
        self.scale_box = QDoubleSpinBox(
            decimals=1, minimum=0.1, maximum=5.0, singleStep=0.1, value=DEFAULT_SCALE
        )
        self.scale_box.setToolTip("Tiles reach full red/blue at this |value|")
        self.scale_box.valueChanged.connect(self._on_scale_changed)
        grid.addWidget(self.scale_box, 0, 1)
        unlock = QPushButton("Unlock all")
        unlock.setToolTip("Unlock every locked tile")
        unlock.clicked.connect(self.tiles.unlock_all)
        grid.addWidget(unlock, 0, 2)
        return grid

    def _on_scale_changed(self, scale: float) -> None:
        self.tiles.set_color_scale(scale)
        self.value_bar.set_scale(scale)

    def _on_hovered(self, index: int, value: float) -> None:
        self.readout.setText(
            self.tiles.describe(index)
            if index >= 0
            else "Hover a tile to read its value"
        )
