"""One worker thread that owns the EditSession, with a latest-request-wins queue.

The engine is not thread-safe and a brush step takes milliseconds to tens of
milliseconds, so every engine call runs here, one at a time, in the order posted.
Brush dabs are posted faster than they can run; a dab posted while another dab is
still waiting *replaces* it (same `coalesce` key), so the queue never grows and the
picture follows the cursor instead of lagging behind it. Lighten steps merge by
adding their amounts, so no wheel notch is lost.

After each job that changes the session the worker renders a `Snapshot` (plain
numpy) and emits it; the GUI thread only converts and paints.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QEventLoop, QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)


@dataclass
class Job:
    """fn(session) -> result, run on the worker thread.

    coalesce: a key; a job replaces a still-waiting last job with the same key.
    merge: how to combine with the job it replaces (default: keep the newer).
    render: "none" (no snapshot), "crop" (only the face region changed) or
    "full" (re-render the whole photo). replaces_session: the result is a new
    EditSession that becomes current.
    """

    fn: Callable[[Any], Any]
    coalesce: Hashable | None = None
    merge: Callable[[Job, Job], Job] | None = None
    render: str = "crop"
    replaces_session: bool = False
    payload: Any = None  # what `merge` needs to combine two jobs
    token: int = 0
    done: Callable[[Any], None] | None = field(default=None, repr=False)
    failed: Callable[[str], None] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Snapshot:
    """What the window shows of the session, taken on the worker thread."""

    crop: Any  # CropBox, in photo pixels
    photo_size: tuple[int, int]
    edited_crop: np.ndarray  # (h, w, 3) uint8 at the crop's pixel size
    mask: np.ndarray  # (S, S) float32 in [0, 1]
    z: np.ndarray  # (z_size,) float32
    can_undo: bool
    can_redo: bool
    history: tuple[str, ...]
    dirty: bool
    sample_mode: bool
    full: np.ndarray | None = None  # (H, W, 3) whole edited photo, when it changed
    original: np.ndarray | None = None  # (H, W, 3) photo before edits
    reconstruction: np.ndarray | None = None  # (S, S, 3) X̂
    device: str = "cpu"
    new_session: bool = False
    notice: str | None = None  # e.g. "No face found: using the centred square"


def take_snapshot(session, render: str, new_session: bool = False) -> Snapshot:
    """Read the session's views; "full" also renders the whole photo."""
    full = render == "full"
    # The photo as opened (the engine's `photo` is the last committed one).
    opened = getattr(session, "original_photo", session.photo)
    return Snapshot(
        crop=session.crop,
        photo_size=tuple(session.photo.size),
        edited_crop=np.ascontiguousarray(session.render_crop()),
        mask=np.asarray(session.mask(), dtype=np.float32),
        z=session.z.detach().cpu().numpy().astype(np.float32).copy(),
        can_undo=bool(session.can_undo),
        can_redo=bool(session.can_redo),
        history=tuple(session.history_labels),
        dirty=bool(session.dirty),
        sample_mode=bool(session.sample_mode),
        full=np.ascontiguousarray(session.render()) if full else None,
        original=np.ascontiguousarray(opened.pixels) if full else None,
        reconstruction=session.reconstruction_view() if full else None,
        device=str(session.device),
        new_session=new_session,
        notice=session.notice if new_session else None,
    )


class _Worker(QObject):
    """Lives on the worker thread; drains the queue when woken."""

    finished = Signal(object, object)  # job, result
    failed = Signal(object, str)  # job, message
    snapshot = Signal(object)
    busy = Signal(bool)

    def __init__(self, queue: deque, lock: threading.Lock) -> None:
        super().__init__()
        self._queue = queue
        self._lock = lock
        self.session = None

    @Slot()
    def drain(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    break
                job = self._queue.popleft()
            self.busy.emit(True)
            self._run(job)
        self.busy.emit(False)

    def _run(self, job: Job) -> None:
        try:
            result = job.fn(self.session)
            if job.replaces_session:
                self.session, result = result, None
            if self.session is not None and job.render != "none":
                render = "full" if job.replaces_session else job.render
                shot = take_snapshot(self.session, render, job.replaces_session)
                self.snapshot.emit(shot)
        except Exception as error:  # noqa: BLE001 - every failure reaches a dialog
            log.debug("job failed", exc_info=True)
            self.failed.emit(job, _message(error))
            return
        self.finished.emit(job, result)


def _message(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return text or type(error).__name__


class EngineClient(QObject):
    """The GUI side: post jobs, get callbacks and snapshots on the GUI thread."""

    snapshot_ready = Signal(object)
    busy_changed = Signal(bool)
    progress = Signal(int, int, float)  # refine: step, total, error
    _wake = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: deque[Job] = deque()
        self._lock = threading.Lock()
        self._tokens = 0
        self.cancel_event = threading.Event()
        self._thread = QThread()
        self._thread.setObjectName("npe-engine")
        self._worker = _Worker(self._queue, self._lock)
        self._worker.moveToThread(self._thread)
        self._wake.connect(self._worker.drain)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.snapshot.connect(self.snapshot_ready)
        self._worker.busy.connect(self.busy_changed)
        self._thread.start()

    def submit(self, job: Job) -> int:
        """Queue a job; returns its token."""
        with self._lock:
            self._tokens += 1
            job.token = self._tokens
            last = self._queue[-1] if self._queue else None
            if (
                last is not None
                and job.coalesce is not None
                and last.coalesce == job.coalesce
            ):
                self._queue.pop()
                if job.merge is not None:
                    job = job.merge(last, job)
            self._queue.append(job)
        self._wake.emit()
        return job.token

    def call(self, fn: Callable[[Any], Any], **options) -> int:
        """Shorthand for submit(Job(fn, **options))."""
        return self.submit(Job(fn, **options))

    def run_blocking(self, fn: Callable[[Any], Any], render: str = "none"):
        """Run fn(session) and wait for it with a local event loop, so the window
        still repaints; returns (True, result) or (False, message). For short
        work whose answer the caller needs at once (saving before closing)."""
        outcome: list = []
        loop = QEventLoop()

        def finish(ok: bool, value: Any) -> None:
            outcome.append((ok, value))
            loop.quit()

        self.submit(
            Job(
                fn,
                render=render,
                done=lambda r: finish(True, r),
                failed=lambda m: finish(False, m),
            )
        )
        if not outcome:
            loop.exec()
        return outcome[0]

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """Block until the queue is empty and the worker is between jobs (for
        shutdown and scripts; the window itself never blocks on the worker)."""
        done = threading.Event()
        self.call(lambda _: done.set(), render="none")
        end = time.monotonic() + timeout_s
        while not done.is_set() and time.monotonic() < end:
            done.wait(0.01)
        return done.is_set()

    def shutdown(self) -> None:
        """Drop waiting work, cancel a running refine and stop the thread."""
        with self._lock:
            self._queue.clear()
        self.cancel_event.set()
        self._thread.quit()
        self._thread.wait(30_000)

    def report_progress(self, step: int, total: int, error: float) -> None:
        """Called on the worker thread; the signal crosses to the GUI thread."""
        self.progress.emit(step, total, error)

    @Slot(object, object)
    def _on_finished(self, job: Job, result: Any) -> None:
        if job.done is not None:
            job.done(result)

    @Slot(object, str)
    def _on_failed(self, job: Job, message: str) -> None:
        if job.failed is not None:
            job.failed(message)
        else:
            log.warning("engine call failed: %s", message)
