"""read_image for every pixel mode Pillow hands out, its errors, and fit_image."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from cnnstudio.core.data import image_io
from cnnstudio.core.data.image_io import RESIZE_POLICIES, fit_image, read_image
from cnnstudio.core.errors import DatasetError


def _pixel(image: torch.Tensor, y: int = 0, x: int = 0) -> list[int]:
    return image[:, y, x].tolist()


def test_rgb_png_reads_as_3_h_w_uint8(tmp_path):
    path = tmp_path / "rgb.png"
    Image.new("RGB", (5, 3), (10, 20, 30)).save(path)
    image = read_image(path)
    assert image.dtype == torch.uint8 and image.shape == (3, 3, 5)
    assert _pixel(image) == [10, 20, 30]


def test_grayscale_becomes_equal_rgb_channels(tmp_path):
    path = tmp_path / "gray.png"
    Image.new("L", (4, 3), 77).save(path)
    assert _pixel(read_image(path)) == [77, 77, 77]


def test_transparency_is_composited_on_white(tmp_path):
    rgba = Image.new("RGBA", (2, 1))
    rgba.putpixel((0, 0), (10, 20, 30, 255))
    rgba.putpixel((1, 0), (10, 20, 30, 0))
    rgba.save(tmp_path / "rgba.png")
    image = read_image(tmp_path / "rgba.png")
    assert _pixel(image, 0, 0) == [10, 20, 30]
    assert _pixel(image, 0, 1) == [255, 255, 255]

    Image.new("LA", (1, 1), (100, 128)).save(tmp_path / "la.png")
    gray = _pixel(read_image(tmp_path / "la.png"))
    assert gray[0] == gray[1] == gray[2] and abs(gray[0] - (100 * 128 + 255 * 127) / 255) <= 1


def test_palette_with_a_transparent_index_reads_that_index_as_white(tmp_path):
    palette_image = Image.new("P", (2, 1))
    palette_image.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    palette_image.putpixel((0, 0), 0)
    palette_image.putpixel((1, 0), 1)
    palette_image.save(tmp_path / "p.png", transparency=0)
    image = read_image(tmp_path / "p.png")
    assert _pixel(image, 0, 0) == [255, 255, 255]
    assert _pixel(image, 0, 1) == [0, 255, 0]


def test_16_bit_grayscale_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 65535, 32768, 257 * 100]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    image = read_image(tmp_path / "deep.png")
    assert image[0, 0].tolist() == [0, 255, 128, 100]
    assert torch.equal(image[0], image[2])


def test_cmyk_converts_to_rgb(tmp_path):
    cmyk = Image.new("CMYK", (2, 1))
    cmyk.putpixel((0, 0), (0, 0, 0, 0))
    cmyk.putpixel((1, 0), (255, 0, 0, 0))
    cmyk.save(tmp_path / "cmyk.tif")
    image = read_image(tmp_path / "cmyk.tif")
    assert _pixel(image, 0, 0) == [255, 255, 255]
    assert _pixel(image, 0, 1) == [0, 255, 255]


def test_one_bit_image_reads_as_black_and_white(tmp_path):
    bits = Image.new("1", (2, 1), 0)
    bits.putpixel((1, 0), 1)
    bits.save(tmp_path / "bits.bmp")
    image = read_image(tmp_path / "bits.bmp")
    assert _pixel(image, 0, 0) == [0, 0, 0]
    assert _pixel(image, 0, 1) == [255, 255, 255]


def test_exif_orientation_is_applied(tmp_path):
    # 40 wide, 20 tall: left half red, right half blue; tag 6 = "rotate 90 clockwise to view".
    photo = Image.new("RGB", (40, 20), (255, 0, 0))
    photo.paste((0, 0, 255), (20, 0, 40, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    photo.save(tmp_path / "phone.jpg", exif=exif.tobytes(), quality=95)
    image = read_image(tmp_path / "phone.jpg")
    assert image.shape == (3, 40, 20)
    top, bottom = _pixel(image, 5, 10), _pixel(image, 35, 10)
    assert top[0] > 200 and top[2] < 60  # the left (red) half is now on top
    assert bottom[2] > 200 and bottom[0] < 60


def test_jpeg_draft_decodes_at_least_the_requested_size(tmp_path):
    Image.new("RGB", (400, 300), (0, 128, 0)).save(tmp_path / "big.jpg")
    image = read_image(tmp_path / "big.jpg", draft_size=64)
    assert 64 <= image.shape[1] < 300 and 64 <= image.shape[2] < 400


def test_truncated_png_raises_naming_the_file(tmp_path):
    path = tmp_path / "cut.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DatasetError, match=r"cut\.png: not a readable image \(the file is truncated"):
        read_image(path)


def test_empty_file_raises_naming_the_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(DatasetError, match=r"empty\.jpg: .*empty, 0 bytes"):
        read_image(path)


def test_text_file_with_an_image_name_raises(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("not a picture")
    with pytest.raises(DatasetError, match=r"notes\.jpg: .*not an image file"):
        read_image(path)


def test_missing_file_raises(tmp_path):
    with pytest.raises(DatasetError, match=r"gone\.png: .*file not found"):
        read_image(tmp_path / "gone.png")


def test_images_over_the_pixel_limit_are_refused_before_decoding(tmp_path, monkeypatch):
    Image.new("RGB", (30, 30)).save(tmp_path / "large.png")
    monkeypatch.setattr(image_io, "MAX_IMAGE_PIXELS", 500)
    with pytest.raises(DatasetError, match=r"large\.png: .*too large: 30x30 pixels"):
        read_image(tmp_path / "large.png")


@pytest.mark.parametrize("policy", RESIZE_POLICIES)
def test_fit_image_makes_a_square_of_the_requested_size(policy):
    image = torch.randint(0, 256, (3, 10, 30), dtype=torch.uint8)
    fitted = fit_image(image, 16, policy)
    assert fitted.shape == (3, 16, 16) and fitted.dtype == torch.uint8


def test_pad_policy_letterboxes_with_the_border_colour():
    image = torch.full((3, 10, 20), 250, dtype=torch.uint8)
    image[:, 4:6, 8:12] = 0  # a dark product in the middle of a white shot
    fitted = fit_image(image, 20, "pad")
    assert fitted[:, :5, :].eq(250).all() and fitted[:, 15:, :].eq(250).all()
    assert fitted[:, 9:11, 9:11].lt(50).all()


def test_crop_policy_keeps_the_centre_square():
    image = torch.zeros(3, 10, 30, dtype=torch.uint8)
    image[0, :, :10] = 255  # red left third
    image[1, :, 10:20] = 255  # green middle
    image[2, :, 20:] = 255  # blue right third
    fitted = fit_image(image, 10, "crop")
    assert fitted[1].eq(255).all() and fitted[0].eq(0).all() and fitted[2].eq(0).all()


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="resize policy"):
        fit_image(torch.zeros(3, 4, 4, dtype=torch.uint8), 8, "zoom")


def test_a_decompression_bomb_is_refused_from_its_header(tmp_path):
    # A PNG header claiming 50000 x 50000 pixels (2.5 gigapixels) and no pixel data.
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
    path = tmp_path / "bomb.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    with pytest.raises(DatasetError, match=r"bomb\.png: not a readable image \(too large"):
        read_image(path)


def test_truncated_jpeg_raises_naming_the_file(tmp_path):
    path = tmp_path / "cut.jpg"
    pixels = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, quality=90)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DatasetError, match=r"cut\.jpg: not a readable image \(the file is truncated"):
        read_image(path)
