"""The photo view: fit/zoom/pan, a brush outline that follows the cursor, and
painting that runs on a timer while the button is held.

Brush dabs come from a QTimer, not from mouse-move events, so a still brush keeps
working and the rate does not depend on how many events the system sends. The
canvas only reports photo-pixel positions; the window sends them to the engine.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

DAB_INTERVAL_MS = 20  # up to 50 brush steps a second while the button is held
MAX_ZOOM = 32.0
MASK_TINT = QColor(255, 0, 200)
VIEWS = ("edited", "before", "reconstruction")
TOOLS = ("brush", "eyedropper", "protect", "force", "clear")
MASK_TOOL_COLORS = {
    "protect": QColor(0, 200, 255),
    "force": QColor(255, 160, 0),
    "clear": QColor(200, 200, 200),
}


def to_qimage(pixels: np.ndarray) -> QImage:
    """(H, W, 3) uint8 RGB -> a QImage that owns a copy of the pixels."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width = pixels.shape[:2]
    image = QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return image.copy()


def mask_qimage(mask: np.ndarray, color: QColor, opacity: float = 0.6) -> QImage:
    """(S, S) float mask in [0, 1] -> a translucent tint, transparent where 0."""
    mask = np.clip(np.asarray(mask, dtype=np.float32), 0.0, 1.0)
    rgba = np.empty(mask.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = (color.red(), color.green(), color.blue())
    rgba[..., 3] = np.round(mask * 255 * opacity).astype(np.uint8)
    height, width = mask.shape
    image = QImage(rgba.data, width, height, 4 * width, QImage.Format.Format_RGBA8888)
    return image.copy()


class PhotoCanvas(QWidget):
    """Shows the photo with the edited face region; reports strokes in photo pixels."""

    stroke_started = Signal(float, float)
    dab = Signal(float, float)
    stroke_finished = Signal()
    lighten_requested = Signal(float, float, float)  # x, y, notches (+ lightens)
    brush_size_step = Signal(int)
    color_picked = Signal(QColor)
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full: QImage | None = None  # edited photo, whole
        self._original: QImage | None = None
        self._patch: QImage | None = None  # edited face region at crop size
        self._recon: QImage | None = None
        self._mask: QImage | None = None
        self._crop = QRectF()
        self._photo_size = QSize()
        self._message = ""
        self.view = "edited"
        self.show_mask = False
        self.tool = "brush"
        self._brush_px = 10.0
        self._brush_color = QColor(255, 255, 255)
        self._brush_shape = "square"
        self._scale = 1.0
        self._offset = QPointF()
        self._fit = True
        self._cursor: QPointF | None = None  # widget coordinates
        self._painting = False
        self._pan_from: QPointF | None = None
        self._last_dab: QPointF | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(DAB_INTERVAL_MS)
        self._timer.timeout.connect(self._on_timer)
        self.setMouseTracking(True)
        self.setMinimumSize(200, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setBackgroundRole(QPalette.ColorRole.Dark)
        self.setAutoFillBackground(True)
        self.setCursor(Qt.CursorShape.CrossCursor)

    # content
    def show_message(self, text: str) -> None:
        """Text in place of a photo (no model, nothing open)."""
        self._message = text
        self._full = None
        self.update()

    def set_snapshot(self, shot) -> None:
        """Take the images of a worker Snapshot."""
        if shot.full is not None:
            self._full = to_qimage(shot.full)
            self._original = to_qimage(shot.original)
            self._recon = to_qimage(shot.reconstruction)
            size = QSize(*shot.photo_size)
            if size != self._photo_size:
                self._photo_size = size
                self._fit = True
            self._message = ""
        left, top, side = shot.crop.pixels
        self._crop = QRectF(left, top, side, side)
        self._patch = to_qimage(shot.edited_crop)
        self._mask = mask_qimage(shot.mask, MASK_TINT)
        if self._fit:
            self.fit()
        self.update()

    def has_photo(self) -> bool:
        return self._full is not None

    # brush
    def set_brush(self, size_px: float, color: QColor, shape: str) -> None:
        """Outline size in photo pixels, colour and shape ("square" or "soft")."""
        self._brush_px, self._brush_color, self._brush_shape = size_px, color, shape
        self.update()

    def set_tool(self, tool: str) -> None:
        self.tool = tool
        self.update()

    def set_view(self, view: str) -> None:
        self.view = view
        self.update()

    def set_show_mask(self, show: bool) -> None:
        self.show_mask = show
        self.update()

    # coordinates
    def image_to_widget(self, x: float, y: float) -> QPointF:
        """Photo pixel -> widget point (the one place that knows the transform)."""
        return QPointF(
            x * self._scale + self._offset.x(), y * self._scale + self._offset.y()
        )

    def widget_to_image(self, point: QPointF) -> tuple[float, float]:
        return (
            (point.x() - self._offset.x()) / self._scale,
            (point.y() - self._offset.y()) / self._scale,
        )

    @property
    def zoom(self) -> float:
        return self._scale

    def fit(self) -> None:
        """Fit the whole photo in the widget, centred."""
        self._fit = True
        if self._photo_size.isEmpty():
            return
        width, height = self._photo_size.width(), self._photo_size.height()
        self._scale = min(self.width() / width, self.height() / height)
        self._offset = QPointF(
            (self.width() - width * self._scale) / 2,
            (self.height() - height * self._scale) / 2,
        )
        self.update()
        self.zoom_changed.emit(self._scale)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom about a widget point (the centre by default), keeping it still."""
        anchor = anchor if anchor is not None else QPointF(self.rect().center())
        x, y = self.widget_to_image(anchor)
        self._scale = max(0.02, min(MAX_ZOOM, self._scale * factor))
        self._offset = QPointF(
            anchor.x() - x * self._scale, anchor.y() - y * self._scale
        )
        self._fit = False
        self.update()
        self.zoom_changed.emit(self._scale)

    def set_zoom(self, scale: float) -> None:
        self.zoom_by(scale / self._scale)

    def _inside(self, x: float, y: float) -> bool:
        return 0 <= x < self._photo_size.width() and 0 <= y < self._photo_size.height()

    # drawing
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        if self._full is None:
            painter.setPen(self.palette().color(QPalette.ColorRole.BrightText))
            painter.drawText(
                self.rect().adjusted(20, 20, -20, -20),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self._message,
            )
            return
        painter.translate(self._offset)
        painter.scale(self._scale, self._scale)
        smooth = self._scale < 1.0
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        photo = QRectF(0, 0, self._photo_size.width(), self._photo_size.height())
        self._draw_photo(painter, photo)
        painter.resetTransform()
        self._draw_brush(painter)

    def _draw_photo(self, painter: QPainter, photo: QRectF) -> None:
        if self.view == "before":
            painter.drawImage(photo, self._original)
            return
        painter.drawImage(photo, self._full)
        painter.save()
        painter.setClipRect(photo)
        # Model-size images are upscaled smoothly: nearest would show 64 px blocks.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        if self.view == "reconstruction" and self._recon is not None:
            painter.drawImage(self._crop, self._recon)
        elif self._patch is not None:
            painter.drawImage(self._crop, self._patch)
        if self.show_mask and self._mask is not None:
            painter.drawImage(self._crop, self._mask)
            pen = QPen(MASK_TINT, 0, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawRect(self._crop)
        painter.restore()

    def _draw_brush(self, painter: QPainter) -> None:
        if self._cursor is None or self.tool == "eyedropper":
            return
        side = self._brush_px * self._scale
        rect = QRectF(
            self._cursor.x() - side / 2, self._cursor.y() - side / 2, side, side
        )
        color = MASK_TOOL_COLORS.get(self.tool, self._brush_color)
        round_brush = self._brush_shape == "soft" or self.tool in MASK_TOOL_COLORS
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for pen in (QPen(QColor(0, 0, 0, 160), 3), QPen(color, 1.5)):
            painter.setPen(pen)
            if round_brush:
                painter.drawEllipse(rect)
            else:
                painter.drawRect(rect)

    # mouse
    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton):
            self._pan_from = pos
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if event.button() != Qt.MouseButton.LeftButton or self._full is None:
            return
        x, y = self.widget_to_image(pos)
        if self.tool == "eyedropper":
            self._pick_color(x, y)
            return
        self._painting = True
        self._cursor = self._last_dab = pos
        self.stroke_started.emit(x, y)
        self.dab.emit(x, y)
        if self.tool == "brush":
            self._timer.start()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._pan_from is not None:
            self._offset += pos - self._pan_from
            self._pan_from = pos
            self._fit = False
            self.update()
            return
        self._cursor = pos
        if self._painting and self.tool in MASK_TOOL_COLORS:
            self._mask_dabs_to(pos)
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() != Qt.MouseButton.LeftButton:
            self._pan_from = None
            self.setCursor(Qt.CursorShape.CrossCursor)
            return
        if event.button() == Qt.MouseButton.LeftButton and self._painting:
            self._timer.stop()
            self._painting = False
            self.stroke_finished.emit()

    def leaveEvent(self, event) -> None:
        self._cursor = None
        self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta()
        notches = (delta.y() or delta.x()) / 120.0
        if not notches:
            return
        modifiers = event.modifiers()
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            self.brush_size_step.emit(1 if notches > 0 else -1)
        elif modifiers & Qt.KeyboardModifier.ShiftModifier:
            self.zoom_by(1.25**notches, event.position())
        elif self._full is not None and not self._painting:
            x, y = self.widget_to_image(event.position())
            if self._inside(x, y):
                self.lighten_requested.emit(x, y, notches)
        event.accept()

    def _on_timer(self) -> None:
        """A brush step at the cursor, every tick while the button is held."""
        if self._painting and self._cursor is not None:
            self.dab.emit(*self.widget_to_image(self._cursor))

    def _mask_dabs_to(self, pos: QPointF) -> None:
        """Mask painting follows the path densely (it is cheap, and gaps would show)."""
        start = self._last_dab or pos
        spacing = max(1.0, self._brush_px * self._scale / 4)
        steps = int(math.dist(start.toTuple(), pos.toTuple()) / spacing)
        for i in range(1, steps + 1):
            point = start + (pos - start) * (i / steps)
            self.dab.emit(*self.widget_to_image(point))
            self._last_dab = point

    def _pick_color(self, x: float, y: float) -> None:
        """The eyedropper reads the picture as shown."""
        if not self._inside(x, y):
            return
        crop = self._crop
        if (
            self._patch is not None
            and crop.contains(QPointF(x, y))
            and self.view == "edited"
        ):
            sx = (x - crop.left()) * self._patch.width() / crop.width()
            sy = (y - crop.top()) * self._patch.height() / crop.height()
            color = self._patch.pixelColor(int(sx), int(sy))
        else:
            source = self._original if self.view == "before" else self._full
            color = source.pixelColor(int(x), int(y))
        self.color_picked.emit(color)

    def resizeEvent(self, event) -> None:
        if self._fit:
            self.fit()
