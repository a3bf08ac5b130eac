"""The red–white–blue value scale shared by the latent tiles and the value bar.

White is 0, red is positive, blue is negative; colours saturate at ±`scale`, so the
user can widen the scale when most of z (drawn from N(0, 1)) looks saturated.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QLinearGradient, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

DEFAULT_SCALE = 1.5
VALUE_LIMIT = 3.0  # the value bar reaches ±3σ of the N(0, 1) prior


def value_color(value: float, scale: float) -> QColor:
    """The tile colour for a latent value: white at 0, red up, blue down."""
    t = max(-1.0, min(1.0, value / scale)) if scale > 0 else 0.0
    fade = int(round(255 * (1.0 - abs(t))))
    return QColor(255, fade, fade) if t >= 0 else QColor(fade, fade, 255)


class ValueBar(QWidget):
    """A horizontal blue–white–red bar; clicking or dragging picks the value that
    tile painting writes into z."""

    value_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._value = 1.0
        self._scale = DEFAULT_SCALE
        self.setMinimumSize(120, 22)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(
            f"Latent value painted onto the tiles ({-VALUE_LIMIT:g} to "
            f"{VALUE_LIMIT:g}): click or drag to choose"
        )

    @property
    def value(self) -> float:
        return self._value

    def set_value(self, value: float) -> None:
        value = round(max(-VALUE_LIMIT, min(VALUE_LIMIT, value)), 2)
        if value != self._value:
            self._value = value
            self.update()
            self.value_changed.emit(value)

    def set_scale(self, scale: float) -> None:
        """Match the tiles' colour saturation."""
        self._scale = scale
        self.update()

    def _bar_rect(self) -> QRectF:
        return QRectF(4, 3, self.width() - 8, self.height() - 6)

    def _value_at(self, x: float) -> float:
        rect = self._bar_rect()
        t = (x - rect.left()) / max(rect.width(), 1.0)
        return (2 * t - 1) * VALUE_LIMIT

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        rect = self._bar_rect()
        gradient = QLinearGradient(rect.topLeft(), rect.topRight())
        for i in range(21):
            v = (i / 10 - 1) * VALUE_LIMIT
            gradient.setColorAt(i / 20, value_color(v, self._scale))
        painter.fillRect(rect, gradient)
        painter.setPen(QPen(self.palette().mid().color()))
        painter.drawRect(rect)
        x = rect.left() + (self._value / VALUE_LIMIT + 1) / 2 * rect.width()
        painter.setPen(QPen(Qt.GlobalColor.black, 2))
        painter.drawLine(QPointF(x, rect.top() - 2), QPointF(x, rect.bottom() + 2))
        painter.setPen(self.palette().text().color())
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{self._value:+.2f}")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.set_value(self._value_at(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.set_value(self._value_at(event.position().x()))
