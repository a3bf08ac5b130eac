"""Model files: a saved model comes back exactly, and anything else is refused in
one line that names the file, without unpickling and before building networks."""

import json
import os
import pathlib
import pickle

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from npe_app.model import modelfile
from npe_app.model.config import (
    IMAGE_SIZES,
    MAX_WIDTH,
    MAX_Z_SIZE,
    ConfigError,
    ModelConfig,
    preset,
)
from npe_app.model.modelfile import ModelFileError, load_model, read_card, save_model
from npe_app.model.networks import GenerativeModel


def test_round_trip_gives_identical_outputs(tiny_model, tiny_model_file):
    assert tiny_model_file.stat().st_mode & 0o777 == 0o644  # readable like any file
    loaded, card = load_model(tiny_model_file)
    assert card == {"name": "tiny test model"}
    assert loaded.config == tiny_model.config
    assert not loaded.training

    z = torch.randn(4, tiny_model.config.z_size)
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        assert torch.equal(loaded.generate(z), tiny_model.generate(z))
        assert torch.equal(loaded.reconstruct(x), tiny_model.reconstruct(x))
        for a, b in zip(loaded.encode(x), tiny_model.encode(x), strict=True):
            assert torch.equal(a, b)
    assert read_card(tiny_model_file) == (tiny_model.config, card)


def _refusal(path) -> str:
    """The message load_model gives for path; it must be one line naming the file."""
    with pytest.raises(ModelFileError) as caught:
        load_model(path)
    message = str(caught.value)
    assert "\n" not in message
    assert pathlib.Path(path).name in message
    return message


class _Touch:
    """A pickle payload: unpickling it creates the marker file."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (self.marker,)


@pytest.mark.parametrize("writer", ["pickle", "torch.save"])
def test_pickle_files_are_refused_without_unpickling(tmp_path, writer):
    marker = tmp_path / "pwned"
    payload = {"generator.project.weight": _Touch(marker)}
    path = tmp_path / "model.safetensors"
    if writer == "pickle":
        path.write_bytes(pickle.dumps(payload))
    else:
        torch.save(payload, path)

    # The payload is live: unpickling a copy aimed elsewhere does create a file.
    decoy = tmp_path / "decoy"
    pickle.loads(pickle.dumps(_Touch(decoy)))
    assert decoy.exists()

    assert "not a readable safetensors model file" in _refusal(path)
    assert not marker.exists()


def test_truncated_empty_and_random_files_are_refused(tmp_path, tiny_model_file):
    data = tiny_model_file.read_bytes()
    cases = {
        "truncated.safetensors": data[: len(data) // 2],
        "header-only.safetensors": data[:40],
        "empty.safetensors": b"",
        "random.safetensors": torch.randint(
            0,
            256,
            (4096,),
            dtype=torch.uint8,
            generator=torch.Generator().manual_seed(1),
        )
        .numpy()
        .tobytes(),
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        _refusal(tmp_path / name)
    assert "empty" in _refusal(tmp_path / "empty.safetensors")


def test_a_folder_and_a_missing_file_are_refused(tmp_path):
    (tmp_path / "folder.safetensors").mkdir()
    assert "folder" in _refusal(tmp_path / "folder.safetensors")
    assert "no such file" in _refusal(tmp_path / "missing.safetensors")


def test_a_safetensors_file_that_is_not_ours_is_refused(tmp_path, tiny_model_file):
    foreign = tmp_path / "foreign.safetensors"
    save_file({"weight": torch.zeros(3, 3)}, foreign)
    assert "not a Neural Photo Editor model file" in _refusal(foreign)

    # A training checkpoint is ours but not a model file.
    tensors = load_file(tiny_model_file)
    metadata = _metadata(tiny_model_file) | {"format": modelfile.CHECKPOINT_FORMAT}
    checkpoint = tmp_path / "checkpoint.safetensors"
    save_file(tensors, checkpoint, metadata=metadata)
    assert "not a Neural Photo Editor model file" in _refusal(checkpoint)


def _metadata(path) -> dict:
    with safe_open(str(path), framework="pt") as handle:
        return handle.metadata()


def _rewrite(source, target, change_tensors=None, change_config=None):
    """A copy of a model file with its tensors or its config edited."""
    tensors, metadata = load_file(source), _metadata(source)
    if change_tensors:
        change_tensors(tensors)
    if change_config:
        config = json.loads(metadata["config"])
        change_config(config)
        metadata["config"] = json.dumps(config)
    save_file(tensors, target, metadata=metadata)
    return target


def test_weights_that_do_not_match_the_config_are_refused(tmp_path, tiny_model_file):
    key = "generator.project.weight"

    def drop(t):
        del t[key]

    def reshape(t):
        t[key] = torch.zeros(t[key].shape[0], t[key].shape[1] + 1)

    def extra(t):
        t["generator.spare"] = torch.zeros(2)

    for change in (drop, reshape, extra):
        path = _rewrite(
            tiny_model_file,
            tmp_path / f"{change.__name__}.safetensors",
            change_tensors=change,
        )
        assert "do not match its config" in _refusal(path)
    assert f"missing {key}" in _refusal(tmp_path / "drop.safetensors")
    assert "(512, 17)" in _refusal(tmp_path / "reshape.safetensors")

    # The same weights under a config that describes another model.
    def wider(config):
        config["g_width"] = 12

    path = _rewrite(
        tiny_model_file, tmp_path / "wider.safetensors", change_config=wider
    )
    assert "do not match its config" in _refusal(path)


def test_nan_weights_are_refused(tmp_path, tiny_model_file):
    def poison(t):
        t["discriminator.head.weight"][0, 0] = float("nan")

    path = _rewrite(
        tiny_model_file, tmp_path / "nan.safetensors", change_tensors=poison
    )
    assert "NaN" in _refusal(path)


@pytest.mark.parametrize(
    "field,value",
    [
        ("z_size", 10**9),
        ("image_size", 4096),
        ("g_width", 10**6),
        ("d_width", MAX_WIDTH + 1),
        ("mdc", "os.system"),
        ("pixel_weight", "NaN"),
        ("unknown_field", 1),
    ],
)
def test_absurd_configs_are_refused_before_building(
    tmp_path, tiny_model_file, monkeypatch, field, value
):
    def never_build(config):
        raise AssertionError(f"built networks for {config}")

    monkeypatch.setattr(modelfile, "GenerativeModel", never_build)

    def absurd(config):
        config[field] = value

    path = _rewrite(
        tiny_model_file, tmp_path / "absurd.safetensors", change_config=absurd
    )
    message = _refusal(path)
    assert "bad config" in message and field in message


def test_config_that_is_not_json_is_refused(tmp_path, tiny_model_file):
    tensors, metadata = load_file(tiny_model_file), _metadata(tiny_model_file)
    path = tmp_path / "garbled.safetensors"
    save_file(tensors, path, metadata=metadata | {"config": "{z_size: 3"})
    assert "not valid JSON" in _refusal(path)


@pytest.mark.parametrize("architecture", ["ian", "vaegan"])
def test_the_largest_accepted_config_fits_in_a_gigabyte(architecture):
    """The config bounds are what keeps a small hostile file from making us allocate
    gigabytes: the largest model they let through (measured on the meta device,
    which allocates nothing) stays under 1 GB of float32 weights."""
    config = ModelConfig(
        image_size=max(IMAGE_SIZES),
        z_size=MAX_Z_SIZE,
        g_width=MAX_WIDTH,
        d_width=MAX_WIDTH,
        mdc="full",
        architecture=architecture,
    )
    with torch.device("meta"):
        model = GenerativeModel(config)
    n_bytes = 4 * sum(p.numel() for p in model.parameters())
    assert n_bytes < 1024**3
    with pytest.raises(ConfigError):
        preset("tiny", g_width=MAX_WIDTH + 1)


def test_unreadable_file_is_refused(tmp_path, tiny_model_file):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    path = tmp_path / "locked.safetensors"
    path.write_bytes(tiny_model_file.read_bytes())
    path.chmod(0)
    _refusal(path)


def test_save_model_is_atomic_on_failure(tmp_path, tiny_model, monkeypatch):
    """A failed export leaves any previous model file and no temporary files."""
    path = tmp_path / "model.safetensors"
    save_model(tiny_model, path, {"version": 1})

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(modelfile, "save_file", broken_save)
    with pytest.raises(OSError):
        save_model(tiny_model, path, {"version": 2})
    assert read_card(path)[1] == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]
