"""Turns strokes, wheel turns, tile edits and the edit buttons into engine calls.

Every call is posted to the worker. A press-drag-release is one undo step
(begin_stroke/end_stroke); so is one wheel gesture (notches less than
WHEEL_GESTURE_MS apart) and one drag across the tiles.

Locked latents: the engine has no option to hold latents fixed, so each brush or
lighten step re-sets the locked latents to their values from before the step
(inside the same stroke, so it stays one undo step). Brush strokes therefore do
not move locked tiles; the image still changes through the other latents.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QProgressDialog

from .worker import Job

WHEEL_GESTURE_MS = 400
MAX_WHEEL_AMOUNT = 10.0  # the engine's limit for one lighten step
REFINE_STEPS = 100


def _merge_lighten(old: Job, new: Job) -> Job:
    """Two waiting lighten steps become one with both amounts (no notch lost)."""
    x, y, size, amount, locked = new.payload
    total = max(-MAX_WHEEL_AMOUNT, min(MAX_WHEEL_AMOUNT, old.payload[3] + amount))
    return _lighten_job(x, y, size, total or amount, locked, new.done)


def _with_locks(step, locked: tuple[int, ...]):
    """Run step(session) and put the locked latents back as they were."""

    def run(session):
        kept = session.z[list(locked)].tolist() if locked else None
        result = step(session)
        if locked:
            session.set_latents(list(locked), kept)
        return result

    return run


def _lighten_job(x, y, size, amount, locked, done) -> Job:
    return Job(
        _with_locks(lambda s: s.lighten(x, y, size, amount), locked),
        coalesce="lighten",
        merge=_merge_lighten,
        done=done,
        payload=(x, y, size, amount, locked),
    )


class EditController(QObject):
    """Edit wiring for a MainWindow (`w`)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.w = window
        self._stroke_tool: str | None = None
        self._wheel_open = False
        self._wheel_timer = QTimer(self, singleShot=True, interval=WHEEL_GESTURE_MS)
        self._wheel_timer.timeout.connect(self._end_wheel)
        self._connect_canvas()
        self._connect_panels()
        self._connect_actions()

    def _connect_canvas(self) -> None:
        canvas = self.w.canvas
        canvas.stroke_started.connect(self._on_stroke_started)
        canvas.dab.connect(self._on_dab)
        canvas.stroke_finished.connect(self._on_stroke_finished)
        canvas.lighten_requested.connect(self._on_lighten)
        canvas.brush_size_step.connect(self._step_brush_size)
        canvas.color_picked.connect(self._on_color_picked)

    def _connect_panels(self) -> None:
        panel, tiles = self.w.brush_panel, self.w.latent_panel.tiles
        panel.brush_changed.connect(self.update_brush_outline)
        panel.sigma_changed.connect(self._on_sigma)
        panel.clear_mask_requested.connect(
            lambda: self._post(lambda s: s.clear_user_mask())
        )
        self.w.tools.tool_changed.connect(self.w.canvas.set_tool)
        tiles.edit_started.connect(lambda: self._begin("Latent"))
        tiles.values_edited.connect(self._on_tiles_edited)
        tiles.edit_finished.connect(self._end)
        tiles.hovered.connect(self._on_tile_hovered)

    def _connect_actions(self) -> None:
        a = self.w.actions
        a["sample"].triggered.connect(self.sample)
        a["reset"].triggered.connect(lambda: self._post(lambda s: s.reset()))
        a["commit"].triggered.connect(
            lambda: self._post(lambda s: s.commit(), render="full")
        )
        a["refine"].triggered.connect(lambda: self.refine())
        a["view_before"].toggled.connect(lambda on: self._set_view("before", on))
        a["view_recon"].toggled.connect(lambda on: self._set_view("reconstruction", on))
        a["view_mask"].toggled.connect(self.w.canvas.set_show_mask)
        a["zoom_in"].triggered.connect(lambda: self.w.canvas.zoom_by(1.25))
        a["zoom_out"].triggered.connect(lambda: self.w.canvas.zoom_by(0.8))
        a["zoom_fit"].triggered.connect(self.w.canvas.fit)
        a["zoom_100"].triggered.connect(lambda: self.w.canvas.set_zoom(1.0))
        a["brush_smaller"].triggered.connect(lambda: self._step_brush_size(-1))
        a["brush_larger"].triggered.connect(lambda: self._step_brush_size(1))
        a["pick_color"].triggered.connect(self.w.brush_panel.choose_color)

    def _post(self, fn, render: str = "crop", **options) -> None:
        if self.w.has_session:
            self.w.client.call(fn, render=render, **options)

    def _begin(self, label: str) -> None:
        self._end_wheel()
        self._post(lambda s: s.begin_stroke(label), render="none")

    def _end(self) -> None:
        self._post(lambda s: s.end_stroke())

    def session_opened(self) -> None:
        """A new session: apply the panel's mask smoothing to it."""
        self._on_sigma(self.w.brush_panel.sigma_box.value())

    # brush strokes
    def brush_size_px(self) -> float:
        """The brush width in photo pixels (the panel's size is in model pixels)."""
        shot = self.w.shot
        if shot is None:
            return float(self.w.brush_panel.brush.size)
        return self.w.brush_panel.brush.size * shot.crop.pixels[2] / shot.mask.shape[0]

    def update_brush_outline(self) -> None:
        brush = self.w.brush_panel.brush
        self.w.canvas.set_brush(self.brush_size_px(), brush.color, brush.shape)

    def _on_stroke_started(self, x: float, y: float) -> None:
        self._stroke_tool = self.w.canvas.tool
        self._begin("Paint" if self._stroke_tool == "brush" else "Mask")

    def _on_dab(self, x: float, y: float) -> None:
        size = self.brush_size_px()
        if self._stroke_tool == "brush":
            brush = self.w.brush_panel.brush
            rgb = (brush.color.red(), brush.color.green(), brush.color.blue())
            strength, shape = brush.strength, brush.shape
            step = _with_locks(
                lambda s: s.paint(x, y, rgb, size, strength, shape), self._locked()
            )
            self._post(step, coalesce="dab", done=self._on_step_done)
        elif self._stroke_tool is not None:
            mode = self._stroke_tool
            self._post(lambda s: s.paint_user_mask(x, y, size, mode))

    def _on_stroke_finished(self) -> None:
        self._stroke_tool = None
        self._end()

    def _on_step_done(self, ms: float) -> None:
        if ms:
            self.w.show_step_time(ms)
        else:
            self.w.statusBar().showMessage("The brush is outside the face region", 2000)

    def _locked(self) -> tuple[int, ...]:
        return tuple(sorted(self.w.latent_panel.tiles.locked))

    # the wheel: lighten or darken under the brush
    def _on_lighten(self, x: float, y: float, notches: float) -> None:
        if not self.w.has_session:
            return
        if not self._wheel_open:
            self._post(lambda s: s.begin_stroke("Lighten"), render="none")
            self._wheel_open = True
        amount = max(-MAX_WHEEL_AMOUNT, min(MAX_WHEEL_AMOUNT, notches))
        self.w.client.submit(
            _lighten_job(
                x, y, self.brush_size_px(), amount, self._locked(), self._on_step_done
            )
        )
        self._wheel_timer.start()

    def _end_wheel(self) -> None:
        self._wheel_timer.stop()
        if self._wheel_open:
            self._wheel_open = False
            self._end()

    def _step_brush_size(self, step: int) -> None:
        panel = self.w.brush_panel
        panel.set_size(panel.brush.size + step)

    def _on_color_picked(self, color) -> None:
        self.w.brush_panel.set_color(color)
        self.w.tools.set_tool("brush")

    def _on_sigma(self, sigma: float) -> None:
        self._post(lambda s: setattr(s, "mask_sigma", sigma), coalesce="sigma")

    # tiles
    def _on_tiles_edited(self, indices: list, values: list) -> None:
        self._post(
            lambda s: s.set_latents(indices, values),
            coalesce=("latents", tuple(indices)),
        )

    def _on_tile_hovered(self, index: int, value: float) -> None:
        if index >= 0:
            text = self.w.latent_panel.tiles.describe(index)
            self.w.statusBar().showMessage(text, 3000)

    # buttons
    def sample(self) -> None:
        """A random face from the seed in the toolbar; the seed then counts up."""
        seed = self.w.seed_box.value()
        self._post(lambda s: s.sample(seed))
        self.w.seed_box.setValue(seed + 1)
        self.w.idle(f"Sample with seed {seed}")

    def refine(self, steps: int = REFINE_STEPS) -> None:
        """Refine the encoding with a progress dialog whose Cancel keeps the best
        result so far."""
        if not self.w.has_session:
            return
        client = self.w.client
        dialog = QProgressDialog("Refining the encoding…", "Cancel", 0, steps, self.w)
        dialog.setWindowTitle("Refine encoding")
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        client.cancel_event.clear()
        dialog.canceled.connect(client.cancel_event.set)

        def progress(step: int, total: int, error: float) -> None:
            dialog.setValue(step)
            dialog.setLabelText(
                f"Refining the encoding: step {step} of {total}, error {error:.5f}"
            )

        def finish(text: str) -> None:
            client.progress.disconnect(progress)
            dialog.close()
            dialog.deleteLater()
            self.w.idle(text)

        client.progress.connect(progress)
        self.w.busy("Refining the encoding…")
        client.call(
            lambda s: s.refine(
                steps,
                progress=client.report_progress,
                cancelled=client.cancel_event.is_set,
            ),
            done=lambda error: finish(f"Refined: error {error:.5f}"),
            failed=lambda message: (
                finish(""),
                self.w.error("Cannot refine the encoding", message),
            ),
        )
        dialog.show()
        self.refine_dialog = dialog

    def _set_view(self, view: str, on: bool) -> None:
        """Original and reconstruction views exclude each other."""
        a = self.w.actions
        other = a["view_recon"] if view == "before" else a["view_before"]
        if on and other.isChecked():
            other.setChecked(False)
        self.w.canvas.set_view(view if on else "edited")
