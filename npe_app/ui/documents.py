"""Files and models: open, save, projects, stroke lists, recent files, model menu.

Every load runs on the worker thread, so the window keeps painting while a model
loads or a photo is encoded. A new session replaces the current one only when it
was built without error; otherwise a dialog names the problem and the current
work stays as it was.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from npe_app.editing import EditSession
from npe_app.model.modelfile import ModelFileError, load_model, read_card
from npe_app.paths import PROJECT_ROOT, default_model_path, shipped_models

log = logging.getLogger(__name__)

PHOTO_FILTER = (
    "Images (*.jpg *.jpeg *.png *.webp *.bmp *.tif *.tiff *.gif);;All files (*)"
)
SAVE_FILTER = "PNG (*.png);;JPEG (*.jpg *.jpeg);;WebP (*.webp)"
PROJECT_SUFFIX = ".npeproj"
PROJECT_FILTER = f"Neural Photo Editor projects (*{PROJECT_SUFFIX});;All files (*)"
MODEL_SUFFIX = ".safetensors"
MAX_RECENT = 10
SAMPLE_PORTRAITS = PROJECT_ROOT / "resources" / "portraits"


def sample_portrait() -> Path | None:
    """The bundled portrait opened when no photo is named."""
    found = sorted(SAMPLE_PORTRAITS.glob("*.png")) if SAMPLE_PORTRAITS.is_dir() else []
    return found[0] if found else None


def model_title(path: Path) -> str:
    """'name (64 px, z 100)' from the model card, without loading the weights."""
    config, card = read_card(path)
    name = card.get("name") or path.stem
    return f"{name} ({config.image_size} px, z {config.z_size})"


class FileController(QObject):
    """Opening and saving for a MainWindow (`w`)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.w = window
        self.photo_path: Path | None = None  # the photo as opened
        self.save_path: Path | None = None  # where Save writes without asking
        self.pending_photo: Path | None = None  # to open once a model is loaded
        actions = window.actions
        actions["open"].triggered.connect(self.open_dialog)
        actions["save"].triggered.connect(self.save)
        actions["save_as"].triggered.connect(lambda: self.save_as())
        actions["export_ops"].triggered.connect(lambda: self.export_operations())
        actions["open_project"].triggered.connect(lambda: self.open_project())
        actions["save_project"].triggered.connect(lambda: self.save_project())
        actions["browse_model"].triggered.connect(self.browse_model)
        window.menus["recent"].aboutToShow.connect(self._fill_recent_menu)
        window.menus["model"].aboutToShow.connect(self._fill_model_menu)
        self._fill_model_menu()

    # starting
    def start(self, photo: Path | None, model: Path | None) -> None:
        """Load the model (named or default), then the photo (named or bundled)."""
        self.pending_photo = photo or sample_portrait()
        path = model or default_model_path()
        if model is None and not path.exists():
            self.w.canvas.show_message(
                f"The default model {path.name} is missing.\n\n"
                "Load a model file with Model ▸ Browse… (Ctrl+M), or train one "
                "with `npe train`."
            )
            self.w.idle("No model loaded", 0)
            return
        self.load_model(path)

    def open_any(self, path: Path) -> None:
        """A dropped or named file of any kind we open."""
        suffix = path.suffix.lower()
        if suffix == MODEL_SUFFIX:
            self.load_model(path)
        elif suffix == PROJECT_SUFFIX:
            self.open_project(path)
        else:
            self.open_photo(path)

    # photos
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.w, "Open photo", self._folder(), PHOTO_FILTER
        )
        if path:
            self.open_photo(Path(path))

    def open_photo(self, path: Path) -> None:
        """Encode a photo with the current model; asks first about unsaved edits."""
        path = Path(path)
        if self.w.model is None:
            self.pending_photo = path
            self.w.error(
                "No model loaded",
                "Load a model first (Model ▸ Browse…), then open the photo.",
            )
            return
        if not self.maybe_save():
            return
        self._new_session(
            lambda m, _: EditSession.from_file(path, m),
            path.name,
            photo=path,
            title=f"Cannot open {path.name}",
        )

    def _new_session(
        self,
        make,
        name: str,
        photo: Path | None,
        project: Path | None = None,
        title: str = "",
    ) -> None:
        """Build a session on the worker with make(model, current session); it
        replaces the current one only if that succeeds."""
        model, model_path = self.w.model, self.w.model_path

        def build(current):
            session = make(model, current)
            session.model_path = model_path
            return session

        def done(_) -> None:
            self.photo_path = photo
            self.save_path = None
            self.w.document_name = name
            self.w.update_title()
            if photo is not None or project is not None:
                self.remember(project or photo)
            notice = self.w.shot.notice if self.w.shot is not None else None
            self.w.idle(f"Opened {name}" + (f": {notice}" if notice else ""), 10_000)
            self.w.edits.session_opened()

        def failed(message: str) -> None:
            self.w.idle()
            self.w.error(title or "Cannot open file", message)

        self.w.busy(f"Encoding {name}…")
        self.w.client.call(
            build, replaces_session=True, render="full", done=done, failed=failed
        )

    # saving
    def save(self) -> bool:
        """Save to the last Save As target, else ask where."""
        if self.save_path is None:
            return self.save_as()
        return self._save_image(self.save_path, overwrite=False)

    def save_as(self, path: Path | None = None) -> bool:
        if not self.w.has_session:
            return False
        if path is None:
            path = self._ask_save_path(
                "Save edited photo", self._default_save_name(), SAVE_FILTER, ".png"
            )
            if path is None:
                return False
        overwrite = False
        if self.photo_path is not None and _same_file(path, self.photo_path):
            answer = QMessageBox.question(
                self.w,
                "Overwrite the original?",
                f"{path.name} is the photo you opened. Replace it with the edit?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
            overwrite = True
        return self._save_image(path, overwrite)

    def _save_image(self, path: Path, overwrite: bool) -> bool:
        ok, result = self.w.client.run_blocking(
            lambda s: s.save_image(path, overwrite_original=overwrite), render="crop"
        )
        if not ok:
            self.w.error(f"Cannot save {path.name}", result)
            return False
        self.save_path = Path(result)
        self.remember_folder(self.save_path)
        self.w.idle(f"Saved {self.save_path}")
        return True

    def export_operations(self, path: Path | None = None) -> bool:
        """The stroke list (EditSession.operations()) as JSON."""
        if not self.w.has_session:
            return False
        if path is None:
            stem = Path(self.w.document_name or "edit").stem
            path = self._ask_save_path(
                "Export stroke list",
                f"{stem}-strokes.json",
                "Stroke lists (*.json)",
                ".json",
            )
            if path is None:
                return False
        ok, result = self.w.client.run_blocking(lambda s: s.operations(), render="none")
        try:
            if not ok:
                raise OSError(result)
            path.write_text(json.dumps(result, indent=2) + "\n")
        except OSError as error:
            self.w.error(f"Cannot export {path.name}", str(error))
            return False
        self.w.idle(f"Wrote {len(result)} operations to {path}")
        return True

    # projects
    def open_project(self, path: Path | None = None) -> None:
        if path is None:
            name, _ = QFileDialog.getOpenFileName(
                self.w, "Open project", self._folder(), PROJECT_FILTER
            )
            if not name:
                return
            path = Path(name)
        if self.w.model is None:
            self.w.error("No model loaded", "Load the project's model first.")
            return
        if not self.maybe_save():
            return
        self._new_session(
            lambda m, _: EditSession.load_project(path, m),
            path.name,
            photo=None,
            project=path,
            title=f"Cannot open {path.name}",
        )

    def save_project(self, path: Path | None = None) -> bool:
        if not self.w.has_session:
            return False
        if path is None:
            stem = Path(self.w.document_name or "edit").stem
            path = self._ask_save_path(
                "Save project", stem + PROJECT_SUFFIX, PROJECT_FILTER, PROJECT_SUFFIX
            )
            if path is None:
                return False
        ok, result = self.w.client.run_blocking(
            lambda s: s.save_project(path), render="crop"
        )
        if not ok:
            self.w.error(f"Cannot save {path.name}", result)
            return False
        self.remember(Path(result))
        self.w.idle(f"Saved project {result}")
        return True

    def maybe_save(self) -> bool:
        """True when it is fine to drop the current edit (saved, or the user said
        so); asks Save / Discard / Cancel when there are unsaved changes."""
        if not self.w.dirty:
            return True
        buttons = (
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        answer = QMessageBox.question(
            self.w,
            "Unsaved changes",
            f"Save the changes to {self.w.document_name or 'the photo'}?",
            buttons,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    # models
    def browse_model(self) -> None:
        folder = str(shipped_models()[0].parent) if shipped_models() else self._folder()
        name, _ = QFileDialog.getOpenFileName(
            self.w, "Load model", folder, f"Model files (*{MODEL_SUFFIX})"
        )
        if name:
            self.load_model(Path(name))

    def load_model(self, path: Path) -> None:
        """Load on the worker; on success re-encode the current photo (asking about
        unsaved edits first) or open the pending one. A bad file changes nothing."""
        path = Path(path)
        if self.w.has_session and not self.maybe_save():
            return

        def done(result) -> None:
            model, card = result
            name = card.get("name") or path.stem
            self.w.set_model(model, path, name)
            self.w.idle(f"Loaded model {name}")
            self._after_model_loaded()

        def failed(message: str) -> None:
            self.w.idle()
            self.w.error("Cannot load model", message)

        self.w.busy(f"Loading model {path.name}…")
        self.w.client.call(
            lambda _: load_model(path), render="none", done=done, failed=failed
        )

    def _after_model_loaded(self) -> None:
        if self.w.has_session:
            # Latents of one model mean nothing to another: encode the photo again.
            name, photo = self.w.document_name, self.photo_path
            self._new_session(
                _reencode,
                name,
                photo=photo,
                title="Cannot encode the photo with this model",
            )
        elif self.pending_photo is not None:
            photo, self.pending_photo = self.pending_photo, None
            self.open_photo(photo)
        else:
            self.w.canvas.show_message("Open a photo (Ctrl+O) or drop one here.")

    def _fill_model_menu(self) -> None:
        menu: QMenu = self.w.menus["model"]
        menu.clear()
        menu.setToolTipsVisible(True)
        models = shipped_models()
        for path in models:
            try:
                action = QAction(model_title(path), menu)
                action.setToolTip(str(path))
            except ModelFileError as error:
                action = QAction(f"{path.name} (unusable)", menu)
                action.setToolTip(str(error))
                action.setEnabled(False)
            action.setCheckable(True)
            action.setChecked(
                self.w.model_path is not None and _same_file(path, self.w.model_path)
            )
            action.triggered.connect(lambda _=False, p=path: self.load_model(p))
            menu.addAction(action)
        if not models:
            menu.addAction("No models in models/").setEnabled(False)
        menu.addSeparator()
        menu.addAction(self.w.actions["browse_model"])

    # recent files and folders
    def recent_files(self) -> list[str]:
        return [str(p) for p in self.w.settings.value("files/recent", [], type=list)]

    def remember(self, path: Path) -> None:
        path = Path(path).resolve()
        recent = [str(path)] + [p for p in self.recent_files() if p != str(path)]
        self.w.settings.setValue("files/recent", recent[:MAX_RECENT])
        self.remember_folder(path)

    def remember_folder(self, path: Path) -> None:
        self.w.settings.setValue("files/last_dir", str(Path(path).resolve().parent))

    def _folder(self) -> str:
        return str(self.w.settings.value("files/last_dir", str(Path.home())))

    def _fill_recent_menu(self) -> None:
        menu: QMenu = self.w.menus["recent"]
        menu.clear()
        for name in self.recent_files():
            action = menu.addAction(name)
            action.setEnabled(Path(name).exists())
            action.triggered.connect(lambda _=False, p=name: self.open_any(Path(p)))
        if menu.isEmpty():
            menu.addAction("No recent files").setEnabled(False)

    def _default_save_name(self) -> str:
        stem = Path(self.w.document_name or "portrait").stem
        return f"{stem}-edited.png"

    def _ask_save_path(
        self, title: str, name: str, filters: str, suffix: str
    ) -> Path | None:
        chosen, _ = QFileDialog.getSaveFileName(
            self.w, title, str(Path(self._folder()) / name), filters
        )
        if not chosen:
            return None
        path = Path(chosen)
        return path if path.suffix else path.with_suffix(suffix)


def _same_file(a: Path, b: Path) -> bool:
    return Path(a).resolve() == Path(b).resolve()


def _reencode(model, current: EditSession) -> EditSession:
    """A new session on the current session's photo, as opened."""
    photo = getattr(current, "original_photo", current.photo)
    return EditSession(model, photo, device=current.device)
