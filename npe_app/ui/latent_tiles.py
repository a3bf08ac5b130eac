"""z drawn as a grid of coloured tiles that can be hovered, painted, nudged and locked.

The widget mirrors the engine's z: it shows what it is given (`set_values`) and
reports what the user asks for as signals; the window turns those into
`EditSession.set_latents` calls on the worker thread.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QContextMenuEvent, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QMenu, QSizePolicy, QToolTip, QWidget

from npe_app.editing.checks import LATENT_LIMIT

from .value_bar import DEFAULT_SCALE, value_color

NUDGE_PER_PIXEL = 0.02  # Shift+drag: 50 px up raises a latent by 1
NUDGE_LIMIT = LATENT_LIMIT
HELP = (
    "Drag: paint the value-bar value onto tiles · Shift+drag up/down: nudge one "
    "tile · Ctrl+click: lock/unlock (locked tiles keep their value under tile "
    "painting and brush strokes) · right-click: more"
)


def grid_shape(n: int) -> tuple[int, int]:
    """(columns, rows) for n latents: as square as possible, 100 -> 10x10."""
    columns = max(1, math.ceil(math.sqrt(n)))
    return columns, max(1, math.ceil(n / columns))


class LatentTiles(QWidget):
    """The latent canvas. Signals carry latent indices and new values."""

    edit_started = Signal()
    values_edited = Signal(list, list)  # indices, values
    edit_finished = Signal()
    hovered = Signal(int, float)  # index -1 when the mouse leaves
    locks_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._values = np.zeros(0, dtype=np.float32)
        self._locked: set[int] = set()
        self._scale = DEFAULT_SCALE
        self._paint_value = 1.0
        self._hover = -1
        self._drag: str | None = None  # "paint" or "nudge"
        self._nudge = (-1, 0.0, 0.0)  # index, start y, start value
        self._last_pos: QPointF | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(120, 120)
        # Square tiles when there is room, smaller ones when the window is short.
        # Not Qt's height-for-width: inside the dock's scroll area that made the
        # scroll bar flicker on and show for a 2-pixel overflow.
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    # state
    @property
    def values(self) -> np.ndarray:
        return self._values.copy()

    @property
    def editing(self) -> bool:
        """A drag is in progress (the window then leaves the tiles alone)."""
        return self._drag is not None

    @property
    def locked(self) -> frozenset[int]:
        return frozenset(self._locked)

    def set_values(self, values: np.ndarray) -> None:
        """Show the engine's z; a new z size drops the locks."""
        values = np.asarray(values, dtype=np.float32).reshape(-1)
        if values.shape != self._values.shape:
            self._locked.clear()
            self.updateGeometry()
        self._values = values.copy()
        self.update()

    def set_locked(self, index: int, locked: bool) -> None:
        if not 0 <= index < len(self._values):
            return
        (self._locked.add if locked else self._locked.discard)(index)
        self.update()
        self.locks_changed.emit()

    def unlock_all(self) -> None:
        if self._locked:
            self._locked.clear()
            self.update()
            self.locks_changed.emit()

    def set_color_scale(self, scale: float) -> None:
        self._scale = max(scale, 1e-3)
        self.update()

    def set_paint_value(self, value: float) -> None:
        self._paint_value = value

    # geometry
    def _tile_size(self) -> float:
        columns, rows = grid_shape(len(self._values))
        return max(1.0, min(self.width() / columns, self.height() / rows))

    def _origin(self) -> QPointF:
        columns, rows = grid_shape(len(self._values))
        size = self._tile_size()
        return QPointF(
            (self.width() - columns * size) / 2, (self.height() - rows * size) / 2
        )

    def tile_rect(self, index: int) -> QRectF:
        """Where latent `index` is drawn, in widget coordinates."""
        columns, _ = grid_shape(len(self._values))
        size = self._tile_size()
        origin = self._origin()
        row, column = divmod(index, columns)
        return QRectF(origin.x() + column * size, origin.y() + row * size, size, size)

    def index_at(self, pos: QPointF) -> int:
        """The latent under a widget point, or -1."""
        if not len(self._values):
            return -1
        columns, rows = grid_shape(len(self._values))
        size = self._tile_size()
        origin = self._origin()
        column = math.floor((pos.x() - origin.x()) / size)
        row = math.floor((pos.y() - origin.y()) / size)
        index = row * columns + column
        inside = 0 <= column < columns and 0 <= row < rows
        return index if inside and index < len(self._values) else -1

    def heightForWidth(self, width: int) -> int:
        columns, rows = grid_shape(max(len(self._values), 1))
        return int(width * rows / columns)

    def sizeHint(self) -> QSize:
        """As tall as square tiles need at the current width."""
        width = self.width() if self.width() >= self.minimumWidth() else 300
        return QSize(300, self.heightForWidth(width))

    def resizeEvent(self, event) -> None:
        if event.oldSize().width() != event.size().width():
            self.updateGeometry()  # the preferred height follows the width

    # drawing
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        grid = QPen(QColor(0, 0, 0, 40))
        for index, value in enumerate(self._values):
            rect = self.tile_rect(index)
            painter.fillRect(rect, value_color(float(value), self._scale))
            painter.setPen(grid)
            painter.drawRect(rect)
            if index in self._locked:
                self._draw_lock(painter, rect)
        if self._hover >= 0:
            painter.setPen(QPen(Qt.GlobalColor.black, 2))
            painter.drawRect(self.tile_rect(self._hover).adjusted(1, 1, -1, -1))

    @staticmethod
    def _draw_lock(painter: QPainter, rect: QRectF) -> None:
        """A small padlock, so locked tiles read at a glance."""
        s = rect.width()
        painter.setPen(QPen(QColor(40, 40, 40), max(1.0, s / 12)))
        painter.drawRect(rect.adjusted(s * 0.08, s * 0.08, -s * 0.08, -s * 0.08))
        x, y = rect.left(), rect.top()
        painter.fillRect(
            QRectF(x + s * 0.32, y + s * 0.48, s * 0.36, s * 0.3), QColor(40, 40, 40)
        )
        shackle = QRectF(x + s * 0.38, y + s * 0.28, s * 0.24, s * 0.4)
        painter.drawArc(shackle, 0, 180 * 16)

    # interaction
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.position()
        index = self.index_at(pos)
        modifiers = event.modifiers()
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            if index >= 0:
                self.set_locked(index, index not in self._locked)
            return
        if modifiers & Qt.KeyboardModifier.ShiftModifier:
            if index >= 0 and index not in self._locked:
                self._drag = "nudge"
                self._nudge = (index, pos.y(), float(self._values[index]))
                self.edit_started.emit()
            return
        self._drag = "paint"
        self._last_pos = pos
        self.edit_started.emit()
        self._paint_along(pos, pos)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        self._set_hover(self.index_at(pos))
        if self._drag == "paint" and self._last_pos is not None:
            self._paint_along(self._last_pos, pos)
            self._last_pos = pos
        elif self._drag == "nudge":
            index, start_y, start = self._nudge
            value = start + (start_y - pos.y()) * NUDGE_PER_PIXEL
            self._apply([index], [max(-NUDGE_LIMIT, min(NUDGE_LIMIT, value))])

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._drag:
            self._drag = None
            self._last_pos = None
            self.edit_finished.emit()

    def leaveEvent(self, event: QEvent) -> None:
        self._set_hover(-1)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            index = self.index_at(QPointF(event.pos()))
            QToolTip.showText(event.globalPos(), self.describe(index) + "\n" + HELP)
            return True
        return super().event(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index = self.index_at(QPointF(event.pos()))
        menu = QMenu(self)
        if index >= 0:
            locked = index in self._locked
            lock = menu.addAction(f"{'Unlock' if locked else 'Lock'} z[{index}]")
            lock.triggered.connect(lambda: self.set_locked(index, not locked))
            zero = menu.addAction(f"Set z[{index}] to 0")
            zero.setEnabled(not locked)
            zero.triggered.connect(lambda: self._set_one(index, 0.0))
        unlock = menu.addAction("Unlock all")
        unlock.setEnabled(bool(self._locked))
        unlock.triggered.connect(self.unlock_all)
        menu.exec(event.globalPos())

    def describe(self, index: int) -> str:
        """'z[37] = +0.412 (locked)' for the status bar and tooltip."""
        if not 0 <= index < len(self._values):
            return "Latent z"
        lock = " (locked)" if index in self._locked else ""
        return f"z[{index}] = {self._values[index]:+.3f}{lock}"

    def _set_hover(self, index: int) -> None:
        if index != self._hover:
            self._hover = index
            self.update()
            value = float(self._values[index]) if index >= 0 else 0.0
            self.hovered.emit(index, value)

    def _set_one(self, index: int, value: float) -> None:
        self.edit_started.emit()
        self._apply([index], [value])
        self.edit_finished.emit()

    def _paint_along(self, start: QPointF, end: QPointF) -> None:
        """Set every unlocked tile the segment crosses, so fast drags skip none."""
        steps = max(
            1, int(math.dist(start.toTuple(), end.toTuple()) / (self._tile_size() / 3))
        )
        hit: list[int] = []
        for i in range(steps + 1):
            index = self.index_at(start + (end - start) * (i / steps))
            if index >= 0 and index not in self._locked and index not in hit:
                hit.append(index)
        hit = [i for i in hit if self._values[i] != np.float32(self._paint_value)]
        if hit:
            self._apply(hit, [self._paint_value] * len(hit))

    def _apply(self, indices: list[int], values: list[float]) -> None:
        """Show the change at once and ask the engine for it."""
        if not indices:
            return
        self._values[indices] = values
        self.update()
        self.values_edited.emit(list(indices), [float(v) for v in values])
