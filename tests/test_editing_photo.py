"""Opening photos of every format and mode, and refusing bad files in one line."""

import os
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from npe_app.editing import EditError, open_photo
from npe_app.editing.photo import MAX_PIXELS


def gradient(width=40, height=30) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.dstack([x * 6 % 256, y * 8 % 256, (x + y) * 3 % 256]).astype(np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tiff", ".webp"])
def test_lossless_rgb_formats_read_back_exactly(tmp_path, suffix):
    pixels = gradient()
    path = tmp_path / f"photo{suffix}"
    options = {"lossless": True} if suffix == ".webp" else {}
    Image.fromarray(pixels).save(path, **options)
    photo = open_photo(path)
    assert photo.size == (40, 30)
    assert photo.pixels.dtype == np.uint8 and photo.pixels.shape == (30, 40, 3)
    np.testing.assert_array_equal(photo.pixels, pixels)
    assert photo.alpha is None and photo.path == path


def test_jpeg_is_decoded_close_to_the_source(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.fromarray(gradient()).save(path, quality=98)
    photo = open_photo(path)
    assert photo.source_mode == "RGB"
    assert np.abs(photo.pixels.astype(int) - gradient()).mean() < 4


def test_rgba_keeps_its_alpha(tmp_path):
    rgba = np.dstack([gradient(), np.full((30, 40), 77, np.uint8)])
    path = tmp_path / "alpha.png"
    Image.fromarray(rgba, "RGBA").save(path)
    photo = open_photo(path)
    np.testing.assert_array_equal(photo.pixels, gradient())
    assert photo.alpha is not None and (photo.alpha == 77).all()


def test_grey_palette_and_cmyk_become_rgb(tmp_path):
    grey = gradient()[:, :, 0]
    Image.fromarray(grey, "L").save(tmp_path / "grey.png")
    photo = open_photo(tmp_path / "grey.png")
    assert photo.source_mode == "L"
    np.testing.assert_array_equal(photo.pixels, np.dstack([grey] * 3))

    Image.fromarray(gradient()).quantize(16).save(tmp_path / "palette.png")
    palette = open_photo(tmp_path / "palette.png")
    assert palette.source_mode == "P" and palette.pixels.shape == (30, 40, 3)

    Image.fromarray(gradient()).convert("CMYK").save(tmp_path / "cmyk.tiff")
    cmyk = open_photo(tmp_path / "cmyk.tiff")
    assert cmyk.source_mode == "CMYK"
    assert np.abs(cmyk.pixels.astype(int) - gradient()).max() <= 2


def test_sixteen_bit_grey_is_scaled_to_eight_bits(tmp_path):
    deep = (np.arange(30 * 40, dtype=np.uint16).reshape(30, 40) * 50).astype(np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(deep).save(path)
    photo = open_photo(path)
    expected = np.clip(np.rint(deep / 257.0), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(photo.pixels[:, :, 1], expected)


def test_exif_orientation_is_applied(tmp_path):
    pixels = gradient(40, 30)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = tmp_path / "rotated.jpg"
    Image.fromarray(pixels).save(path, exif=exif.tobytes(), quality=100)
    photo = open_photo(path)
    assert photo.size == (30, 40)
    assert np.abs(photo.pixels.astype(int) - np.rot90(pixels, -1)).mean() < 4
    kept = Image.Exif()
    kept.load(photo.exif)
    assert 0x0112 not in kept


def huge_png(path, width, height):
    """A valid PNG header claiming width x height, with almost no pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 10))
        + chunk(b"IEND", b"")
    )


def truncated_jpeg(path):
    full = path.with_suffix(".full.jpg")
    Image.fromarray(gradient(200, 150)).save(full, quality=90)
    path.write_bytes(full.read_bytes()[:600])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.write_bytes(b""), "the file is empty"),
        (lambda p: p.write_text("this is not a picture"), "not an image file"),
        (truncated_jpeg, "truncated or corrupt"),
        (lambda p: huge_png(p, 12_000, 9_000), "above the limit of 100"),
        (lambda p: huge_png(p, 20_000, 20_000), "megapixels"),
        (lambda p: p.mkdir(), "is a folder"),
    ],
    ids=[
        "missing",
        "empty",
        "not-an-image",
        "truncated",
        "bomb",
        "bigger-bomb",
        "folder",
    ],
)
def test_bad_files_give_one_line_naming_the_file(tmp_path, make, message):
    path = tmp_path / "bad.jpg"
    make(path)
    with pytest.raises(EditError) as error:
        open_photo(path)
    text = str(error.value)
    assert message in text and str(path) in text and "\n" not in text


def test_pixel_limit_is_a_hundred_megapixels():
    assert MAX_PIXELS == 100_000_000


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.png"
    Image.fromarray(gradient()).save(path)
    path.chmod(0)
    with pytest.raises(EditError, match="permission denied"):
        open_photo(path)
