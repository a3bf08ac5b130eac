"""Saving edited photos and project files, and reopening projects."""

import json
import zipfile

import numpy as np
import pytest
import torch
from editing_helpers import CROP_LTS, make_lively, photo_pixels
from PIL import Image

from npe_app.editing import CropBox, EditError, EditSession, open_photo
from npe_app.editing.export import DESCRIPTION, read_provenance
from npe_app.model.config import preset
from npe_app.model.networks import GenerativeModel

CROP = CropBox(*CROP_LTS)


@pytest.fixture
def photo_file(tmp_path):
    path = tmp_path / "portrait.png"
    Image.fromarray(photo_pixels()).save(path)
    return path


@pytest.fixture
def session(tiny_model, photo_file):
    return EditSession.from_file(photo_file, make_lively(tiny_model), crop=CROP)


def edit(session):
    session.begin_stroke()
    for x in (40, 46, 52):
        session.paint(x, 40, (255, 0, 0), 14)
    session.end_stroke()
    session.set_latents([1, 2], [2.0, -2.0])


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_saved_image_is_full_size_and_tagged(session, tmp_path, suffix):
    edit(session)
    path = session.save_image(tmp_path / f"out{suffix}", quality=90)
    assert not session.dirty
    with Image.open(path) as saved:
        assert saved.size == (96, 80)
        pixels = np.asarray(saved.convert("RGB"))
    assert DESCRIPTION in read_provenance(path)
    tolerance = 0 if suffix == ".png" else 12
    assert np.abs(pixels.astype(int) - session.render()).mean() <= tolerance
    assert not list(tmp_path.glob(".*.tmp"))


def test_unedited_png_is_identical_and_alpha_is_kept(tiny_model, tmp_path):
    rgba = np.dstack([photo_pixels(), np.full((80, 96), 200, np.uint8)])
    source = tmp_path / "alpha.png"
    Image.fromarray(rgba, "RGBA").save(source)
    session = EditSession.from_file(source, tiny_model, crop=CROP)
    out = session.save_image(tmp_path / "copy.png")
    with Image.open(out) as saved:
        assert saved.mode == "RGBA"
        np.testing.assert_array_equal(np.asarray(saved), rgba)


def test_never_writes_over_the_opened_photo_unless_asked(session, photo_file):
    before = photo_file.read_bytes()
    edit(session)
    with pytest.raises(EditError, match="refusing to write over the opened photo"):
        session.save_image(photo_file)
    assert photo_file.read_bytes() == before
    session.save_image(photo_file, overwrite_original=True)
    assert photo_file.read_bytes() != before
    assert DESCRIPTION in read_provenance(photo_file)


def test_bad_targets(session, tmp_path):
    with pytest.raises(EditError, match="cannot save as '.gif'"):
        session.save_image(tmp_path / "out.gif")
    with pytest.raises(EditError, match="does not exist"):
        session.save_image(tmp_path / "missing" / "out.png")
    with pytest.raises(EditError, match="quality"):
        session.save_image(tmp_path / "out.jpg", quality=0)


def test_project_round_trip_restores_state_and_history(session, tmp_path):
    edit(session)
    session.commit()
    session.paint_user_mask(30, 30, 10, "protect")
    session.sample(4)
    session.undo()  # leaves one redo step
    session.mask_sigma = 1.2
    path = session.save_project(tmp_path / "edit.npe")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert "project.json" in names and "photos/0.png" in names
        assert not any(name.endswith((".pkl", ".pt")) for name in names)

    again = EditSession.load_project(path, session.model)
    assert torch.equal(again.z, session.z) and torch.equal(again.z0, session.z0)
    assert again.crop == session.crop and again.mask_sigma == 1.2
    assert again.history_labels == session.history_labels
    assert again.user_mask_dabs == session.user_mask_dabs
    np.testing.assert_array_equal(again.render(), session.render())
    np.testing.assert_array_equal(again.mask(), session.mask())
    np.testing.assert_array_equal(again.original_photo.pixels, photo_pixels())
    assert again.operations() == session.operations()
    assert again.redo() and again.sample_mode
    while again.undo():
        pass
    np.testing.assert_array_equal(again.render(), photo_pixels())


def test_project_from_another_model_is_refused(session, tmp_path):
    path = session.save_project(tmp_path / "edit.npe")
    other = GenerativeModel(preset("tiny", z_size=8)).eval()
    with pytest.raises(EditError, match="settings differ"):
        EditSession.load_project(path, other)
    torch.manual_seed(1)
    same_shape = GenerativeModel(preset("tiny")).eval()
    reopened = EditSession.load_project(path, same_shape)
    assert "other weights" in reopened.notice


def rewrite_manifest(path, change):
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    manifest = json.loads(members["project.json"])
    change(manifest)
    members["project.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: p.write_bytes(b"PK\x03\x04 broken"), "not a project file"),
        (lambda p: p.write_text("{}"), "not a project file"),
        (
            lambda p: rewrite_manifest(p, lambda m: m.update(format="x")),
            "not a Neural Photo Editor project",
        ),
        (
            lambda p: rewrite_manifest(p, lambda m: m["states"][0].update(z=[1, 2])),
            "z must hold 16 numbers",
        ),
        (
            lambda p: rewrite_manifest(p, lambda m: m.update(current=99)),
            "missing state",
        ),
        (lambda p: rewrite_manifest(p, lambda m: m.pop("crop")), "missing field"),
    ],
    ids=["broken-zip", "not-zip", "format", "latent", "state", "field"],
)
def test_bad_project_files(session, tmp_path, damage, message):
    path = session.save_project(tmp_path / "edit.npe")
    damage(path)
    with pytest.raises(EditError, match=message) as error:
        EditSession.load_project(path, session.model)
    assert str(path) in str(error.value)


def test_opened_copy_of_saved_jpeg_reads_back(session, tmp_path):
    edit(session)
    path = session.save_image(tmp_path / "out.jpg")
    reopened = open_photo(path)
    assert reopened.size == (96, 80)
    assert reopened.exif is not None
