"""`npe edit`: replaying stroke lists headlessly, and its one-line errors."""

import json

import numpy as np
import pytest
from editing_helpers import photo_pixels
from PIL import Image

from npe_app.cli import main
from npe_app.editing import EditSession
from npe_app.editing.export import DESCRIPTION, read_provenance
from npe_app.model.modelfile import load_model


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "portrait.png"
    Image.fromarray(photo_pixels()).save(path)
    return path


def strokes(tmp_path, ops, name="strokes.json"):
    path = tmp_path / name
    path.write_text(json.dumps(ops))
    return path


def edit(photo, stroke_file, out, model, *extra):
    return main(
        [
            "edit",
            str(photo),
            "--strokes",
            str(stroke_file),
            "--out",
            str(out),
            "--model",
            str(model),
            "--crop",
            "16,8,64",
            *extra,
        ]
    )


OPS = [
    {
        "op": "stroke",
        "points": [[40, 40], [44, 40], [48, 41]],
        "color": [255, 0, 0],
        "size": 14,
    },
    {
        "op": "stroke",
        "points": [[30, 30]],
        "color": [0, 0, 255],
        "size": 10,
        "strength": 2.0,
        "brush": "soft",
    },
    {"op": "lighten", "points": [[50, 50]], "size": 12},
    {"op": "darken", "points": [[50, 50]], "size": 12},
    {"op": "latent", "index": 3, "value": 2.5},
    {"op": "mask", "points": [[20, 20]], "size": 8, "mode": "protect"},
    {"op": "undo"},
    {"op": "redo"},
    {"op": "commit"},
    {"op": "sample", "seed": 3},
    {"op": "reset"},
]


def test_empty_list_writes_the_input_pixel_for_pixel(
    tmp_path, photo, tiny_model_file, capsys
):
    out = tmp_path / "out.png"
    assert edit(photo, strokes(tmp_path, []), out, tiny_model_file) == 0
    with Image.open(out) as saved:
        np.testing.assert_array_equal(np.asarray(saved.convert("RGB")), photo_pixels())
    assert DESCRIPTION in read_provenance(out)
    assert "written to" in capsys.readouterr().out


def test_replay_matches_the_engine(tmp_path, photo, tiny_model_file):
    out = tmp_path / "out.png"
    assert edit(photo, strokes(tmp_path, OPS), out, tiny_model_file) == 0
    model, _ = load_model(tiny_model_file)
    from npe_app.editing import CropBox
    from npe_app.editing.strokes import apply_strokes, check_strokes

    session = EditSession.from_file(photo, model, crop=CropBox(16, 8, 64))
    apply_strokes(session, check_strokes(OPS, (96, 80), 16))
    with Image.open(out) as saved:
        np.testing.assert_array_equal(np.asarray(saved), session.render())
    assert session.history_labels == [
        "Paint",
        "Paint",
        "Lighten",
        "Darken",
        "Latent",
        "Mask",
        "Update",
        "Sample",
        "Reset",
    ]
    # What the window exports replays to the same latent.
    again = EditSession.from_file(photo, model, crop=CropBox(16, 8, 64))
    apply_strokes(again, check_strokes(session.operations(), (96, 80), 16))
    assert again.z.equal(session.z) and again.z0.equal(session.z0)


@pytest.mark.parametrize(
    ("ops", "message"),
    [
        ("[{]", "bad JSON at line 1"),
        ("", "the file is empty"),
        ('{"op": "commit"}', "must hold a JSON list"),
        ([{"op": "blur"}], "operation 1: unknown operation 'blur'"),
        ([{"op": "commit"}, "reset"], "operation 2: must be an object"),
        ([{"op": "stroke", "points": [[1, 1]], "size": 5}], "stroke needs color"),
        (
            [{"op": "stroke", "points": [[1, 1]], "size": 5, "color": [0, 0, 256]}],
            "color value 256 is out of range",
        ),
        (
            [{"op": "stroke", "points": [[500, 1]], "size": 5, "color": [0, 0, 0]}],
            "outside the 96x80 photo",
        ),
        (
            [{"op": "stroke", "points": [[5, 1]], "size": 0, "color": [0, 0, 0]}],
            "brush size 0 is out of range",
        ),
        (
            [{"op": "stroke", "points": [], "size": 3, "color": [0, 0, 0]}],
            "non-empty list of points",
        ),
        (
            [
                {
                    "op": "stroke",
                    "points": [[5, 1]],
                    "size": 3,
                    "color": [0, 0, 0],
                    "colour": 1,
                }
            ],
            "does not take colour",
        ),
        ([{"op": "latent", "index": 16, "value": 0}], "latent index 16 is out of"),
        ([{"op": "latent", "index": 1, "value": 99}], "latent value 99"),
        ([{"op": "sample", "seed": -1}], "seed -1 is out of range"),
        ([{"op": "lighten", "points": [[1, 1]], "size": 2, "amount": 0}], "amount 0"),
    ],
)
def test_bad_stroke_lists(tmp_path, photo, tiny_model_file, capsys, ops, message):
    path = tmp_path / "strokes.json"
    path.write_text(ops if isinstance(ops, str) else json.dumps(ops))
    out = tmp_path / "out.png"
    assert edit(photo, path, out, tiny_model_file) == 2
    error = capsys.readouterr().err
    assert error.startswith("npe: error: ") and message in error
    assert error.count("\n") == 1 and str(path) in error
    assert not out.exists()


def test_bad_photo_and_paths(tmp_path, photo, tiny_model_file, capsys):
    empty = strokes(tmp_path, [])
    cases = [
        (tmp_path / "missing.jpg", tmp_path / "a.png", "missing.jpg: no such file"),
        (tmp_path, tmp_path / "a.png", "is a folder"),
        (photo, tmp_path / "nowhere" / "a.png", "does not exist"),
        (photo, tmp_path / "a.tga", "cannot save as '.tga'"),
    ]
    (tmp_path / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\nrubbish")
    cases.append((tmp_path / "junk.png", tmp_path / "a.png", "junk.png"))
    for source, out, message in cases:
        assert edit(source, empty, out, tiny_model_file) == 2
        error = capsys.readouterr().err
        assert message in error and error.count("\n") == 1
    missing = tmp_path / "none.json"
    assert edit(photo, missing, tmp_path / "b.png", tiny_model_file) == 2
    assert "none.json: no such file" in capsys.readouterr().err


def test_existing_output_and_the_photo_itself_need_overwrite(
    tmp_path, photo, tiny_model_file, capsys
):
    before = photo.read_bytes()
    ops = strokes(tmp_path, [{"op": "latent", "index": 0, "value": 3}])
    assert edit(photo, ops, photo, tiny_model_file) == 2
    assert "already exists" in capsys.readouterr().err
    assert photo.read_bytes() == before
    assert edit(photo, ops, photo, tiny_model_file, "--overwrite") == 0
    assert photo.read_bytes() != before


def test_bad_crop_quality_and_model(tmp_path, photo, tiny_model_file, capsys):
    empty = strokes(tmp_path, [])
    out = tmp_path / "out.jpg"
    args = ["edit", str(photo), "--strokes", str(empty), "--out", str(out)]
    assert main([*args, "--model", str(tiny_model_file), "--crop", "1,2"]) == 2
    assert "give three numbers" in capsys.readouterr().err
    assert main([*args, "--model", str(tiny_model_file), "--crop", "500,0,10"]) == 2
    assert "outside the 96x80 photo" in capsys.readouterr().err
    assert main([*args, "--model", str(tiny_model_file), "--quality", "101"]) == 2
    assert "--quality 101 is out of range" in capsys.readouterr().err
    assert main([*args, "--model", str(photo)]) == 2
    assert "cannot load model" in capsys.readouterr().err
    assert not out.exists()


def test_missing_default_model_is_a_clear_message(tmp_path, photo, capsys, monkeypatch):
    monkeypatch.setenv("NPE_MODEL", str(tmp_path / "absent.safetensors"))
    code = main(
        [
            "edit",
            str(photo),
            "--strokes",
            str(strokes(tmp_path, [])),
            "--out",
            str(tmp_path / "out.png"),
        ]
    )
    assert code == 2
    error = capsys.readouterr().err
    assert "the default model" in error and "--model" in error
