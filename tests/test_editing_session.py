"""The edit session on a tiny random model: strokes, mask, composite, history."""

import cv2
import numpy as np
import pytest
import torch
from editing_helpers import CROP_LTS, make_lively, photo_pixels

from npe_app.editing import CropBox, EditError, EditSession, Photo
from npe_app.editing.face import NO_FACE, crop_for_face
from npe_app.editing.mask import border_window, transfer

CROP = CropBox(*CROP_LTS)


@pytest.fixture
def lively_model(tiny_model):
    return make_lively(tiny_model)


@pytest.fixture
def session(lively_model):
    return EditSession(lively_model, Photo(photo_pixels()), crop=CROP, device="cpu")


def patch_error(session, color, rows=slice(12, 20), cols=slice(12, 20)) -> float:
    generated = session._generated() / 127.5 - 1  # noqa: SLF001 - G(z) itself
    target = np.array(color) / 127.5 - 1
    return float(((generated[rows, cols] - target) ** 2).mean())


def test_no_edit_returns_the_input_exactly(session):
    pixels = photo_pixels()
    np.testing.assert_array_equal(session.render(), pixels)
    np.testing.assert_array_equal(session.model_view(), session.original_view())
    assert not session.mask().any()
    assert not session.dirty and not session.can_undo and session.history_labels == []


def test_colour_stroke_moves_the_patch_toward_the_colour(session):
    # Photo point (48, 40) with a 16-pixel brush: model patch rows/cols 12..20.
    errors = [patch_error(session, (255, 0, 0))]
    for _ in range(4):
        ms = session.paint(48, 40, (255, 0, 0), 16)
        assert ms > 0
        errors.append(patch_error(session, (255, 0, 0)))
    assert all(b < a for a, b in zip(errors, errors[1:], strict=False))
    assert session.history_labels == ["Paint"] * 4


def test_soft_brush_and_lighten_darken(session):
    before = patch_error(session, (0, 0, 255))
    session.paint(48, 40, (0, 0, 255), 16, strength=2.0, brush="soft")
    assert patch_error(session, (0, 0, 255)) < before
    mean = session._generated()[12:20, 12:20].mean()  # noqa: SLF001
    session.lighten(48, 40, 16)
    lighter = session._generated()[12:20, 12:20].mean()  # noqa: SLF001
    session.lighten(48, 40, 16, amount=-1.0)
    session.lighten(48, 40, 16, amount=-1.0)
    darker = session._generated()[12:20, 12:20].mean()  # noqa: SLF001
    assert lighter > mean and darker < lighter
    assert session.history_labels[-3:] == ["Lighten", "Darken", "Darken"]


def test_dab_outside_the_crop_does_nothing(session):
    assert session.paint(2, 2, (255, 0, 0), 4) == 0.0
    assert not session.can_undo


def test_mask_in_unit_range_and_composite_formula(session):
    session.set_latents(range(16), [3.0, -3.0] * 8)
    mask = session.mask()
    assert mask.dtype == np.float32 and mask.shape == (32, 32)
    assert mask.min() >= 0.0 and mask.max() <= 1.0 and mask.max() > 0.05
    x = session.original_view().astype(np.float32)
    g = session._generated()  # noqa: SLF001
    expected = np.clip(np.rint(x + mask[:, :, None] * (g - x)), 0, 255)
    np.testing.assert_array_equal(session.model_view(), expected.astype(np.uint8))
    session.mask_sigma = 0.0
    sharp = session.mask()
    delta = (g - session._reconstruction()) / 127.5  # noqa: SLF001
    # The crop lies inside the photo on all four sides, so the mask fades out there.
    window = border_window(CROP, (96, 80), 32)
    paper = np.minimum(np.abs(delta).mean(2), 1)
    np.testing.assert_allclose(sharp, paper * window, atol=1e-6)


def test_mask_fades_out_only_toward_crop_sides_inside_the_photo(lively_model):
    window = border_window(CROP, (96, 80), 32)
    assert window[16, 16] == 1 and window[0].max() < 0.1 and window[:, -1].max() < 0.1
    # A crop at the photo's top-left corner fades only toward the right and bottom.
    corner = border_window(CropBox(0, 0, 64), (96, 80), 32)
    assert corner[0, 0] == 1 and corner[-1, 0] < 0.1 and corner[0, -1] < 0.1
    # The paper's case, the crop is the whole image: no window, the paper's mask.
    assert border_window(CropBox(0, 0, 64), (64, 64), 32) is None
    whole = EditSession(
        lively_model, Photo(photo_pixels(64, 64)), crop=CropBox(0, 0, 64), device="cpu"
    )
    whole.set_latents(range(16), [3.0, -3.0] * 8)
    whole.mask_sigma = 0.0
    delta = (whole._generated() - whole._reconstruction()) / 127.5  # noqa: SLF001
    np.testing.assert_allclose(
        whole.mask(), np.minimum(np.abs(delta).mean(2), 1), atol=1e-6
    )


def test_an_edit_has_no_hard_edge_where_the_crop_ends(session):
    session.set_latents(range(16), [3.0, -3.0] * 8)
    change = np.abs(session.render().astype(int) - photo_pixels()).sum(2)
    # Photo rows 8..72, columns 16..80 are the crop: its outermost pixels barely
    # move, the pixels a sixth of the way in move as much as the middle.
    edge = np.concatenate([change[8, 16:80], change[71, 16:80], change[8:72, 16]])
    inner = change[20:60, 28:68]
    assert inner.mean() > 20
    assert edge.mean() < 0.1 * inner.mean()


def test_pixels_outside_the_crop_never_change(session):
    session.set_latents(range(16), [3.0] * 16)
    for _ in range(3):
        session.paint(40, 30, (0, 255, 0), 30)
    out, pixels = session.render(), photo_pixels()
    inside = np.zeros(pixels.shape[:2], bool)
    inside[8:72, 16:80] = True
    assert (out[inside] != pixels[inside]).any()
    np.testing.assert_array_equal(out[~inside], pixels[~inside])
    crop = session.render_crop()
    assert crop.shape == (64, 64, 3)
    np.testing.assert_array_equal(crop, out[8:72, 16:80])


@pytest.mark.parametrize("size", [20, 64, 300])
def test_transfer_keeps_pixels_where_the_upsampled_mask_is_zero(size):
    rng = np.random.default_rng(size)
    mask = np.zeros((32, 32), np.float32)
    mask[10:20, 5:15] = rng.uniform(0.2, 1.0, (10, 10))
    change = rng.uniform(-120, 120, (32, 32, 3)).astype(np.float32)
    region = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    out = transfer(region, change, mask, CropBox(0, 0, size), ())
    interpolation = cv2.INTER_AREA if size < 32 else cv2.INTER_LINEAR
    upsampled = cv2.resize(mask, (size, size), interpolation=interpolation)
    zero = upsampled == 0
    assert zero.mean() > 0.5
    np.testing.assert_array_equal(out[zero], region[zero])
    changed = (out != region).any(axis=2)
    assert changed[upsampled > 0.5].mean() > 0.9
    assert not changed[zero].any()


def test_protected_pixels_never_change(session):
    session.paint_user_mask(40, 30, 20, "protect")  # photo x 30..50, y 20..40
    session.set_latents(range(16), [3.0, -3.0] * 8)
    for _ in range(3):
        session.paint(40, 30, (255, 255, 0), 30)
    out, pixels = session.render(), photo_pixels()
    protected = np.s_[20:40, 30:50]
    np.testing.assert_array_equal(out[protected], pixels[protected])
    assert (out != pixels).any(axis=2).sum() > 200
    # At model size the protected cells are 0 in the final mask.
    assert not session.mask()[6:16, 7:17].any()
    session.paint_user_mask(40, 30, 20, "force")
    assert (session.mask()[6:16, 7:17] == 1.0).all()


def test_undo_redo_restore_exact_states_and_strokes_are_one_step(session):
    states = [(session.z, session.render())]
    session.begin_stroke()
    for x in (40, 44, 48):
        session.paint(x, 40, (255, 0, 0), 12)
    session.end_stroke()
    states.append((session.z, session.render()))
    session.set_latents([3], [1.5])
    states.append((session.z, session.render()))
    session.commit()
    states.append((session.z, session.render()))
    assert session.history_labels == ["Paint", "Latent", "Update"]
    for z, image in reversed(states[:-1]):
        assert session.undo()
        assert torch.equal(session.z, z)
        np.testing.assert_array_equal(session.render(), image)
    assert not session.undo() and not session.can_undo
    assert not session.dirty  # back at the loaded state: nothing to save
    for z, image in states[1:]:
        assert session.redo()
        assert torch.equal(session.z, z)
        np.testing.assert_array_equal(session.render(), image)
    assert not session.redo()
    assert session.dirty
    session.undo()
    session.sample(1)
    assert not session.can_redo


def test_sample_reset_and_commit(session):
    z0 = session.z0
    session.sample(7)
    first = session.z
    assert session.sample_mode and (session.mask() == 1).all()
    generated = np.clip(np.rint(session._generated()), 0, 255)  # noqa: SLF001
    np.testing.assert_array_equal(session.model_view(), generated.astype(np.uint8))
    session.sample(7)
    assert torch.equal(session.z, first)  # the seed decides
    session.reset()
    assert not session.sample_mode and torch.equal(session.z, z0)
    np.testing.assert_array_equal(session.render(), photo_pixels())
    session.set_latents(range(16), [2.0] * 16)
    edited = session.render()
    session.commit()
    np.testing.assert_array_equal(session.render(), edited)
    assert not torch.equal(session.z0, z0) and torch.equal(session.z, session.z0)
    np.testing.assert_array_equal(session.photo.pixels, edited)
    np.testing.assert_array_equal(session.original_photo.pixels, photo_pixels())


def test_refine_lowers_the_error_and_cancel_keeps_the_best(session):
    progress = []
    before = session.refine(steps=1)
    after = session.refine(steps=20, progress=lambda *a: progress.append(a))
    assert after < before and len(progress) == 20 and progress[-1][:2] == (20, 20)
    assert session.history_labels == ["Refine", "Refine"]
    calls = []
    session.refine(steps=50, cancelled=lambda: len(calls.append(1) or calls) > 3)
    assert session.operations()[-1] == {"op": "refine", "steps": 3}


def test_bad_arguments_raise_edit_error(session):
    with pytest.raises(EditError, match="color"):
        session.paint(40, 40, (300, 0, 0), 10)
    with pytest.raises(EditError, match="brush size"):
        session.paint(40, 40, (3, 0, 0), -1)
    with pytest.raises(EditError, match="brush 'round'"):
        session.paint(40, 40, (3, 0, 0), 5, brush="round")
    with pytest.raises(EditError, match="latent index"):
        session.set_latents([16], [0.0])
    with pytest.raises(EditError, match="latent value"):
        session.set_latents([1], [float("nan")])
    with pytest.raises(EditError, match="mask mode"):
        session.paint_user_mask(1, 1, 3, "erase")
    with pytest.raises(EditError, match="crop"):
        EditSession(session.model, Photo(photo_pixels()), crop=CropBox(500, 0, 10))
    assert not session.can_undo


def test_operations_merge_dabs_of_one_stroke(session):
    session.begin_stroke()
    session.paint(40, 40, (255, 0, 0), 12)
    session.paint(42, 40, (255, 0, 0), 12)
    session.end_stroke()
    session.lighten(40, 40, 10, amount=-2.0)
    session.sample(5)
    assert session.operations() == [
        {
            "op": "stroke",
            "points": [[40.0, 40.0], [42.0, 40.0]],
            "color": [255, 0, 0],
            "size": 12.0,
        },
        {"op": "darken", "points": [[40.0, 40.0]], "size": 10.0, "amount": 2.0},
        {"op": "sample", "seed": 5},
    ]


def test_no_face_falls_back_to_the_centred_square(lively_model):
    session = EditSession(lively_model, Photo(photo_pixels()))
    assert session.notice == NO_FACE
    assert session.crop == CropBox(8.0, 0.0, 80.0)


def test_face_box_maps_to_the_calibrated_training_framing():
    crop = crop_for_face((100.0, 200.0, 96.0, 96.0))
    assert crop.size == round(96 * 1.041)
    # The box centre sits half way across and 63 % down the crop.
    assert abs(crop.left + crop.size / 2 - 148) <= 1
    assert abs(crop.top + 0.634 * crop.size - 248) <= 1
