"""A QUndoStack that mirrors the engine's history.

The engine owns undo and redo (exact snapshots of z, z0, mask and photo); the Qt
stack only gives the window its Undo/Redo actions, menu labels and an undo view.
Each engine step gets one `EngineStep` command. Pushing a command does nothing
(the engine has already done the step); undoing or redoing one asks the engine.

The mirror syncs from the history labels in each worker snapshot. While an undo
or redo it asked for is still on its way, older snapshots are ignored: they were
taken before it and would make the stack and the engine disagree.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand, QUndoStack


class EngineStep(QUndoCommand):
    """One engine history step."""

    def __init__(self, label: str, mirror: HistoryMirror) -> None:
        super().__init__(label)
        self._mirror = mirror
        self._fresh = True  # QUndoStack.push calls redo(); the engine already did it

    def redo(self) -> None:
        if self._fresh:
            self._fresh = False
            return
        self._mirror.request("redo")

    def undo(self) -> None:
        self._mirror.request("undo")


class HistoryMirror:
    """Keeps `stack` in step with the engine's `history_labels`.

    post(kind, done) must run the engine's undo() or redo() on the worker and call
    done() on the GUI thread afterwards (also when it failed).
    """

    def __init__(self, stack: QUndoStack, post: Callable[[str, Callable], None]):
        self.stack = stack
        self._post = post
        self._in_flight = 0
        self._history: tuple[str, ...] = ()

    def request(self, kind: str) -> None:
        self._in_flight += 1
        self._post(kind, self._on_done)

    def _on_done(self) -> None:
        self._in_flight -= 1
        self.sync(self._history)

    def reset(self, history: tuple[str, ...] = ()) -> None:
        """A new session: forget the old steps, mirror the new ones."""
        self._in_flight = 0
        self.stack.clear()
        self._history = ()
        self.sync(history)

    def sync(self, history: tuple[str, ...]) -> None:
        """Push a command for each step the engine recorded since the last sync."""
        self._history = tuple(history)
        if self._in_flight:
            return
        depth, index = len(self._history), self.stack.index()
        if depth < index:
            # The engine dropped steps we still show; rebuild from its labels.
            self.stack.clear()
            index = 0
        for label in self._history[index:depth]:
            self.stack.push(EngineStep(label, self))
