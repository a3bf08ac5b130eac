"""Python's cyclic garbage collection, run on the GUI thread only.

Automatic collection runs in whichever thread happens to allocate when a threshold is
crossed. When that is the engine's worker thread and the garbage holds Qt objects
(a closed dialog, a dropped window), their C++ halves are destroyed outside the GUI
thread, which crashes Qt. So automatic collection is switched off and a timer on the
GUI thread collects instead, as soon as the allocation count says it is due.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

INTERVAL_MS = 500

_timer: QTimer | None = None


def collect_on_gui_thread() -> None:
    """Install once per process; call from the GUI thread after QApplication exists."""
    global _timer
    if _timer is not None:
        return
    gc.disable()
    threshold = gc.get_threshold()[0]
    app: QObject | None = QCoreApplication.instance()
    _timer = QTimer(app)
    _timer.setInterval(INTERVAL_MS)

    def check() -> None:
        if gc.get_count()[0] > threshold:
            gc.collect()

    _timer.timeout.connect(check)
    _timer.start()
