"""Garbage collection happens on the GUI thread, never in the engine's worker."""

import gc
import threading


class _Cycle:
    threads: list[str] = []

    def __init__(self) -> None:
        self.me = self  # only the cyclic collector can free this

    def __del__(self) -> None:
        _Cycle.threads.append(threading.current_thread().name)


def test_cyclic_garbage_is_collected_on_the_gui_thread(window, qtbot):
    assert not gc.isenabled()
    _Cycle.threads.clear()
    for _ in range(gc.get_threshold()[0] * 2):
        _Cycle()
    qtbot.waitUntil(lambda: len(_Cycle.threads) > 0, timeout=5_000)
    assert set(_Cycle.threads) == {threading.main_thread().name}
