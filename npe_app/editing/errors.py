"""The one exception the editing engine raises for anything a user can fix."""

from __future__ import annotations


class EditError(Exception):
    """A bad photo, project, stroke list or argument. str() is one line that names
    the file (or value) and the problem, so the window and the CLI can show it as is.
    """
