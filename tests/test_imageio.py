"""faceaudit.compare.imageio: every image is identified from its bytes, size-checked, and decoded to RGB.

Every test image is generated here with Pillow or numpy; nothing binary is committed.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import time
import warnings
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile, features

from faceaudit.compare import imageio
from faceaudit.compare.imageio import (
    ALLOWED_FORMATS,
    DecodedImage,
    decode,
    frames,
    read_path,
    to_jpeg_thumbnail,
)
from faceaudit.errors import ImageRejected, UsageError

SOURCE = "https://cdn.example.org/photo/123"
HAS_AVIF = features.check("avif")

# --- generated test images --------------------------------------------------------


def quadrants(width: int = 64, height: int = 32) -> np.ndarray:
    """An asymmetric picture: red, green / blue, white quadrants."""
    a = np.zeros((height, width, 3), dtype=np.uint8)
    h, w = height // 2, width // 2
    a[:h, :w] = (255, 0, 0)
    a[:h, w:] = (0, 255, 0)
    a[h:, :w] = (0, 0, 255)
    a[h:, w:] = (255, 255, 255)
    return a


def gradient(width: int = 24, height: int = 16) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack(
        [x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), (x + y) % 256], axis=2
    ).astype(np.uint8)


def encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width: int, height: int) -> bytes:
    """A ~60-byte PNG whose IHDR claims width × height RGB pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 16))
        + png_chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(encode(Image.fromarray(gradient()), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def gif_claiming(width: int, height: int) -> bytes:
    data = bytearray(encode(Image.fromarray(gradient()).convert("P"), "GIF"))
    data[6:10] = struct.pack("<HH", width, height)  # logical screen
    frame = data.index(b"\x2c\x00\x00\x00\x00")  # image descriptor at (0, 0)
    data[frame + 5 : frame + 9] = struct.pack("<HH", width, height)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """A lossy WebP wrapped in a VP8X header whose canvas is width × height."""
    simple = encode(Image.fromarray(gradient()), "WEBP")
    assert simple[12:16] == b"VP8 "
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0"
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + vp8x + simple[12:]
    return b"RIFF" + struct.pack("<I", len(body)) + body


def exif_with(**tags: object) -> Image.Exif:
    exif = Image.Exif()
    for key, value in tags.items():
        exif[int(key[1:], 16)] = value
    return exif


# --- every allowed format decodes -------------------------------------------------


def test_allow_list_is_web_photo_formats_only() -> None:
    assert {"JPEG", "PNG", "WEBP", "GIF", "BMP", "MPO"} <= ALLOWED_FORMATS
    assert ("AVIF" in ALLOWED_FORMATS) == HAS_AVIF
    assert not {"TIFF", "ICO", "PSD", "EPS", "PDF", "JPEG2000", "SVG"} & ALLOWED_FORMATS


FORMAT_CASES = [
    ("JPEG", {"quality": 95}),
    ("PNG", {}),
    ("WEBP", {"lossless": True}),
    ("GIF", {}),
    ("BMP", {}),
    pytest.param("AVIF", {"quality": 95}, marks=pytest.mark.skipif(not HAS_AVIF, reason="no AVIF")),
]


@pytest.mark.parametrize(("fmt", "params"), FORMAT_CASES)
def test_each_allowed_format_decodes_to_rgb_of_the_right_shape(fmt: str, params: dict) -> None:
    original = gradient(24, 16)
    data = encode(Image.fromarray(original), fmt, **params)

    image = decode(data, source=SOURCE)

    assert isinstance(image, DecodedImage)
    assert image.format == fmt
    assert image.rgb.shape == (16, 24, 3) and image.rgb.dtype == np.uint8
    assert (image.width, image.height) == (24, 16)
    assert image.rgb.flags.c_contiguous and image.rgb.flags.writeable
    assert image.frames == 1
    # the pixels are the picture, not just the right shape (GIF palettes and AVIF are lossy)
    assert np.abs(image.rgb.astype(int) - original).mean() < 12


def test_iphone_style_mpo_decodes_its_primary_image() -> None:
    primary = Image.fromarray(quadrants(64, 32))
    preview = Image.new("RGB", (16, 8), (0, 0, 0))
    data = encode(primary, "MPO", save_all=True, append_images=[preview], quality=95)

    image = decode(data, source=SOURCE)

    assert image.format == "MPO"
    assert image.rgb.shape == (32, 64, 3)
    assert image.frames == 1  # the preview is not an animation frame
    assert np.abs(image.rgb.astype(int) - quadrants(64, 32)).mean() < 5


def test_format_comes_from_the_bytes_not_the_file_name(tmp_path: Path) -> None:
    disguised = tmp_path / "holiday.jpg"
    disguised.write_bytes(encode(Image.fromarray(gradient()), "PNG"))
    page = tmp_path / "photo.png"
    page.write_bytes(b"<!DOCTYPE html><html><body><img src=x.jpg></body></html>")

    assert decode(read_path(disguised), source=str(disguised)).format == "PNG"
    with pytest.raises(ImageRejected) as caught:
        decode(read_path(page), source=str(page))
    assert caught.value.message == f"{page}: not an image faceaudit reads (found: HTML)"


def test_read_path_problems_are_usage_errors_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file") as caught:
        read_path(tmp_path / "missing.jpg")
    assert str(tmp_path / "missing.jpg") in caught.value.message
    with pytest.raises(UsageError, match="is a folder"):
        read_path(tmp_path)


def test_read_path_refuses_an_oversized_file_before_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(encode(Image.fromarray(gradient()), "PNG") + b"\0" * (3 * 2**20))

    with pytest.raises(ImageRejected) as caught:
        read_path(big, max_bytes=2**20)

    assert caught.value.message == f"{big}: file is 3.0 MB, more than the 1 MB limit"


# --- every mode becomes RGB uint8 -----------------------------------------------------


def rgb_of(im: Image.Image, fmt: str = "PNG", **params: object) -> np.ndarray:
    return decode(encode(im, fmt, **params), source=SOURCE).rgb


def test_greyscale_l_becomes_grey_rgb() -> None:
    grey = np.arange(0, 256, 16, dtype=np.uint8).reshape(4, 4)
    rgb = rgb_of(Image.fromarray(grey, "L"))
    assert (rgb == grey[:, :, None]).all()


def test_one_bit_becomes_black_and_white() -> None:
    im = Image.new("1", (8, 2), 0)
    im.putpixel((3, 1), 1)
    for fmt in ("PNG", "BMP"):
        rgb = rgb_of(im, fmt)
        assert set(np.unique(rgb)) == {0, 255}
        assert (rgb[1, 3] == 255).all() and (rgb[0, 3] == 0).all()


def test_rgba_transparency_is_composited_onto_white() -> None:
    rgba = np.array(
        [[[255, 0, 0, 0], [0, 0, 0, 255], [0, 0, 0, 128], [0, 0, 255, 255]]], dtype=np.uint8
    )
    for fmt, params in (("PNG", {}), ("WEBP", {"lossless": True})):
        rgb = rgb_of(Image.fromarray(rgba, "RGBA"), fmt, **params)
        assert rgb[0, 0].tolist() == [255, 255, 255]  # fully transparent red -> white
        assert rgb[0, 1].tolist() == [0, 0, 0]
        assert all(abs(v - 127) <= 1 for v in rgb[0, 2])  # half-transparent black -> mid grey
        assert rgb[0, 3].tolist() == [0, 0, 255]


def test_grey_with_alpha_la_is_composited_onto_white() -> None:
    la = np.array([[[0, 0], [0, 255], [200, 255]]], dtype=np.uint8)
    rgb = rgb_of(Image.fromarray(la, "LA"))
    assert rgb[0].tolist() == [[255, 255, 255], [0, 0, 0], [200, 200, 200]]


def test_palette_with_transparent_index_becomes_white() -> None:
    im = Image.new("P", (3, 1))
    im.putpalette([255, 0, 0, 0, 128, 0, 0, 0, 255] + [0] * (256 * 3 - 9))
    im.putdata([0, 1, 2])
    for fmt in ("PNG", "GIF"):
        rgb = rgb_of(im, fmt, transparency=0)
        assert rgb[0].tolist() == [[255, 255, 255], [0, 128, 0], [0, 0, 255]]


def test_a_transparent_colour_in_rgb_and_grey_pngs_becomes_white() -> None:
    rgb = np.array([[[255, 0, 0], [0, 0, 255]]], dtype=np.uint8)
    assert rgb_of(Image.fromarray(rgb), transparency=(255, 0, 0)).tolist() == [
        [[255, 255, 255], [0, 0, 255]]
    ]
    grey = np.array([[7, 8]], dtype=np.uint8)
    assert rgb_of(Image.fromarray(grey), transparency=7)[0, :, 0].tolist() == [255, 8]
    deep = np.array([[1000, 2570]], dtype=np.uint16)
    assert rgb_of(Image.fromarray(deep), transparency=1000)[0, :, 0].tolist() == [255, 10]
    bits = Image.new("1", (2, 1), 0)
    bits.putpixel((1, 0), 1)
    assert rgb_of(bits, transparency=0)[0, :, 0].tolist() == [255, 255]


def test_palette_without_transparency_keeps_its_colours() -> None:
    im = Image.new("P", (2, 1))
    im.putpalette([10, 20, 30, 200, 100, 50] + [0] * (256 * 3 - 6))
    im.putdata([0, 1])
    assert rgb_of(im).tolist() == [[[10, 20, 30], [200, 100, 50]]]


def test_cmyk_jpeg_with_adobe_inverted_data_becomes_rgb() -> None:
    data = encode(Image.new("CMYK", (16, 16), (255, 0, 0, 0)), "JPEG", quality=95)
    assert Image.open(io.BytesIO(data)).info.get("adobe")  # Pillow writes Adobe (inverted) CMYK
    rgb = decode(data, source=SOURCE).rgb
    assert np.abs(rgb[8, 8].astype(int) - (0, 255, 255)).max() <= 8  # pure cyan


def test_sixteen_bit_png_is_scaled_down_keeping_order_and_range() -> None:
    ramp = np.linspace(0, 65535, 256).round().astype(np.uint16).reshape(1, 256).repeat(2, 0)
    data = encode(Image.fromarray(ramp), "PNG")
    assert Image.open(io.BytesIO(data)).mode == "I;16"

    grey = decode(data, source=SOURCE).rgb[0, :, 0].astype(int)

    assert grey[0] == 0 and grey[-1] == 255
    assert (np.diff(grey) >= 0).all()  # ordering kept
    assert abs(grey[128] - 128) <= 1  # scaled, not clipped at 255
    assert len(np.unique(grey)) > 200  # most of the 8-bit range is used


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I;16L"])
def test_sixteen_bit_modes_scale_by_257(mode: str) -> None:
    values = np.array([[0, 257, 32768, 65535]], dtype=np.uint16)
    raw = values.astype(">u2" if mode == "I;16B" else "<u2").tobytes()
    rgb = imageio._to_rgb(Image.frombytes(mode, (4, 1), raw))
    assert rgb[0, :, 0].tolist() == [0, 1, 128, 255]
    assert rgb.shape == (1, 4, 3) and rgb.dtype == np.uint8


def test_int32_mode_i_treats_16_bit_data_as_16_bit_and_stretches_the_rest() -> None:
    sixteen = imageio._to_rgb(Image.fromarray(np.array([[0, 32768, 65535]], dtype=np.int32)))
    assert sixteen[0, :, 0].tolist() == [0, 128, 255]
    wide = imageio._to_rgb(Image.fromarray(np.array([[-1000, 0, 1000]], dtype=np.int32)))
    assert wide[0, :, 0].tolist() == [0, 128, 255]


def test_float_mode_f_uses_zero_to_one_and_survives_nan() -> None:
    unit = imageio._to_rgb(Image.fromarray(np.array([[0.0, 0.5, 1.0]], dtype=np.float32)))
    assert unit[0, :, 0].tolist() == [0, 128, 255]
    odd = np.array([[-2.0, np.nan, 2.0, np.inf]], dtype=np.float32)
    assert imageio._to_rgb(Image.fromarray(odd))[0, :, 0].tolist() == [0, 0, 255, 0]


@pytest.mark.parametrize("mode", ["YCbCr", "HSV", "RGBX", "RGBa", "PA", "CMYK"])
def test_other_modes_convert_to_rgb(mode: str) -> None:
    im = Image.fromarray(gradient(6, 4)).convert(mode) if mode != "PA" else Image.new("PA", (6, 4))
    rgb = imageio._to_rgb(im)
    assert rgb.shape == (4, 6, 3) and rgb.dtype == np.uint8


# --- EXIF orientation -------------------------------------------------------------

# What EXIF says each orientation means for display, written with numpy (not Pillow).
DISPLAY = {
    1: lambda a: a,
    2: np.fliplr,
    3: lambda a: np.rot90(a, 2),
    4: np.flipud,
    5: lambda a: np.rot90(np.fliplr(a), 1),  # mirror, then rotate 270° clockwise
    6: lambda a: np.rot90(a, -1),  # rotate 90° clockwise
    7: lambda a: np.rot90(np.fliplr(a), -1),  # mirror, then rotate 90° clockwise
    8: lambda a: np.rot90(a, 1),  # rotate 270° clockwise
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(orientation: int) -> None:
    stored = quadrants(64, 32)
    data = encode(Image.fromarray(stored), "JPEG", quality=95, exif=exif_with(x0112=orientation))

    image = decode(data, source=SOURCE)

    expected = DISPLAY[orientation](stored)
    assert image.rgb.shape == expected.shape
    assert (image.width, image.height) == (expected.shape[1], expected.shape[0])
    assert np.abs(image.rgb.astype(int) - expected).mean() < 4


# --- metadata ----------------------------------------------------------------------


def exif_photo(gps: Mapping[int, object] | None = None, fmt: str = "JPEG", **tags: object) -> bytes:
    exif = exif_with(**tags)
    if gps is not None:
        exif.get_ifd(0x8825).update(gps)
    return encode(Image.fromarray(gradient()), fmt, exif=exif)


def camera_exif(gps: Mapping[int, object] | None, fmt: str = "JPEG") -> bytes:
    exif = exif_with(x010F="Canon", x0110="Canon EOS 5D Mark IV", x0132="2022:02:02 08:00:00")
    details = exif.get_ifd(0x8769)
    details[0x9003] = "2021:06:01 14:03:22"  # DateTimeOriginal
    details[0x9011] = "+10:00"  # OffsetTimeOriginal
    details[0xA431] = "012345678901"  # BodySerialNumber
    if gps is not None:
        exif.get_ifd(0x8825).update(gps)
    return encode(Image.fromarray(gradient()), fmt, exif=exif)


SYDNEY: dict[int, object] = {1: "S", 2: (33.0, 51.0, 25.2), 3: "E", 4: (151.0, 12.0, 36.0)}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_gps_time_camera_and_serial_are_read(fmt: str) -> None:
    meta = decode(camera_exif(SYDNEY, fmt), source=SOURCE).metadata

    assert meta.gps == pytest.approx((-(33 + 51 / 60 + 25.2 / 3600), 151 + 12 / 60 + 36 / 3600))
    assert meta.taken_at == "2021-06-01T14:03:22+10:00"
    assert meta.camera == "Canon EOS 5D Mark IV"
    assert meta.camera_serial == "012345678901"


def test_northern_western_hemisphere_and_make_prefix() -> None:
    gps = {1: "N", 2: (40.0, 41.0, 21.0), 3: "W", 4: (74.0, 2.0, 40.0)}
    meta = decode(exif_photo(gps, x010F="Apple", x0110="iPhone 15 Pro"), source=SOURCE).metadata
    assert meta.gps == pytest.approx((40 + 41 / 60 + 21 / 3600, -(74 + 2 / 60 + 40 / 3600)))
    assert meta.camera == "Apple iPhone 15 Pro"


def test_datetime_is_the_fallback_and_dng_serial_is_read() -> None:
    meta = decode(exif_photo(x0132="2019:12:31 23:59:59", xC62F="SN-42"), source=SOURCE).metadata
    assert meta.taken_at == "2019-12-31T23:59:59"
    assert meta.camera_serial == "SN-42"
    assert meta.gps is None and meta.camera is None


def test_an_image_without_exif_has_empty_metadata() -> None:
    meta = decode(encode(Image.fromarray(gradient()), "PNG"), source=SOURCE).metadata
    assert meta.as_dict() == {"gps": None, "taken_at": None, "camera": None, "camera_serial": None}


@pytest.mark.parametrize(
    "gps",
    [
        {1: "X", 2: (10.0, 0.0, 0.0), 3: "E", 4: (10.0, 0.0, 0.0)},  # unknown hemisphere
        {1: "N", 2: (100.0, 0.0, 0.0), 3: "E", 4: (10.0, 0.0, 0.0)},  # latitude > 90
        {1: "N", 2: (10.0, 75.0, 0.0), 3: "E", 4: (10.0, 0.0, 0.0)},  # 75 minutes
        {1: "N", 2: (10.0, 0.0, 0.0), 3: "E"},  # no longitude
        {1: "N", 2: (10.0, 0.0, 0.0, 0.0), 3: "E", 4: (10.0, 0.0, 0.0)},  # four parts
        {1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)},  # "no fix" placeholder
    ],
)
def test_malformed_gps_is_ignored_and_the_rest_still_read(gps: Mapping[int, object]) -> None:
    meta = decode(camera_exif(gps), source=SOURCE).metadata
    assert meta.gps is None
    assert meta.camera == "Canon EOS 5D Mark IV" and meta.taken_at is not None


def test_gps_rationals_with_zero_denominators_are_ignored() -> None:
    good = camera_exif({1: "N", 2: (10.0, 20.0, 30.0), 3: "E", 4: (10.0, 20.0, 30.0)})
    assert decode(good, source=SOURCE).metadata.gps is not None
    # Pillow writes 30.0 as the rational 30/1: point every latitude denominator at zero
    broken = good.replace(struct.pack(">II", 30, 1), struct.pack(">II", 30, 0))
    assert broken != good
    meta = decode(broken, source=SOURCE).metadata
    assert meta.gps is None
    assert meta.camera == "Canon EOS 5D Mark IV"


def test_gps_parsing_rejects_odd_values_directly() -> None:
    assert imageio._coordinate((10, 30, 0), "N", "NS", 90) == 10.5
    assert imageio._coordinate((10, 30, 0), b"S\x00", "NS", 90) == -10.5
    assert imageio._coordinate((-10, 30, 0), None, "NS", 90) == -10.5  # sign kept if no ref
    assert imageio._coordinate((-10, 30, 0), "S", "NS", 90) is None
    assert imageio._coordinate(("10", 0, 0), "N", "NS", 90) is None
    assert imageio._coordinate((float("nan"),), "N", "NS", 90) is None
    assert imageio._coordinate("garbage", "N", "NS", 90) is None
    assert imageio._coordinate((True, 0, 0), "N", "NS", 90) is None


def test_metadata_text_is_made_safe_to_print() -> None:
    data = exif_photo(
        x010F="Evil\x1b[31m Corp\x00junk", x0110="X" * 5000, x0132="0000:00:00 00:00:00"
    )
    meta = decode(data, source=SOURCE).metadata
    assert meta.camera is not None
    assert "\x1b" not in meta.camera and "junk" not in meta.camera
    assert len(meta.camera) < 300
    assert meta.taken_at is None  # an unset clock is not a capture time


# --- size limits: refused from the header, before decoding ----------------------------


class LoadSpy:
    """Records whether any pixel data was decoded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = ImageFile.ImageFile.load

        def load(im: ImageFile.ImageFile) -> object:
            self.calls += 1
            return original(im)

        monkeypatch.setattr(ImageFile.ImageFile, "load", load)


def test_png_bomb_header_is_refused_in_milliseconds(monkeypatch: pytest.MonkeyPatch) -> None:
    data = png_header_only(50_000, 50_000)
    assert len(data) < 100
    spy = LoadSpy(monkeypatch)

    started = time.perf_counter()
    with pytest.raises(ImageRejected) as caught:
        decode(data, source=SOURCE)
    elapsed = time.perf_counter() - started

    assert caught.value.message == (
        f"{SOURCE}: image is 50000×50000 pixels, more than the 50-megapixel limit"
    )
    assert caught.value.hint
    assert spy.calls == 0
    assert elapsed < 0.05, f"took {elapsed * 1000:.1f} ms"


@pytest.mark.parametrize(
    ("make", "width", "height"),
    [
        (png_header_only, 8000, 8000),  # 64 Mpx: under Pillow's own limit, over ours
        (jpeg_claiming, 10_000, 6_000),
        (jpeg_claiming, 65_000, 65_000),
        (gif_claiming, 9_000, 6_000),
        (gif_claiming, 65_535, 65_535),
        (webp_claiming, 10_000, 6_000),
        (webp_claiming, 16_000_000, 16_000_000),
    ],
)
def test_huge_dimensions_are_refused_without_decoding(
    monkeypatch: pytest.MonkeyPatch, make, width: int, height: int
) -> None:
    data = make(width, height)
    spy = LoadSpy(monkeypatch)

    with pytest.raises(ImageRejected) as caught:
        decode(data, source=SOURCE)

    assert caught.value.message.startswith(f"{SOURCE}: image is ")
    assert "megapixel limit" in caught.value.message
    assert spy.calls == 0


def test_webp_canvas_is_checked_before_libwebp_allocates_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[object] = []
    real_open = Image.open

    def spy_open(*args: Any, **kwargs: Any) -> Image.Image:
        opened.append(args)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(imageio.Image, "open", spy_open)

    with pytest.raises(ImageRejected, match="10000×6000 pixels"):
        decode(webp_claiming(10_000, 6_000), source=SOURCE)
    assert opened == []


def test_the_pixel_limit_is_inclusive_and_adjustable() -> None:
    data = encode(Image.fromarray(gradient(100, 50)), "PNG")
    assert decode(data, source=SOURCE, max_pixels=5000).width == 100
    with pytest.raises(ImageRejected) as caught:
        decode(data, source=SOURCE, max_pixels=4999)
    assert caught.value.message == (
        f"{SOURCE}: image is 100×50 pixels, more than the 0.004999-megapixel limit"
    )


def test_pillow_bomb_warning_raises_instead_of_warning() -> None:
    # 95 Mpx: over Pillow's warning threshold (~89 Mpx), under its error threshold and
    # under the caller's limit. Were the warning only a warning, decoding would go on
    # (and fail later as "corrupt", after allocating ~285 MB).
    assert Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < 10_000 * 9_500
    with pytest.raises(ImageRejected) as caught:
        decode(png_header_only(10_000, 9_500), source=SOURCE, max_pixels=10**9)
    assert caught.value.message == (
        f"{SOURCE}: image is 10000×9500 pixels, more than the 89.5-megapixel limit"
    )


def test_the_bomb_filter_survives_a_catch_warnings_block() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        with pytest.raises(ImageRejected, match="megapixel limit"):
            decode(png_header_only(10_000, 9_500), source=SOURCE, max_pixels=10**9)
    assert Image.MAX_IMAGE_PIXELS == (1024 * 1024 * 1024 // 4 // 3)  # global left alone


@pytest.mark.skipif(sys.platform != "linux", reason="uses RLIMIT_AS and /proc/self/status")
def test_bomb_headers_are_refused_under_a_tight_memory_limit() -> None:
    """In a child process whose address space may grow by only 256 MB, the bombs are refused.

    Decoding any of them would need gigabytes, which the limit turns into MemoryError.
    """
    script = textwrap.dedent(
        """
        import json, resource, sys
        import numpy as np
        sys.path.insert(0, sys.argv[1])
        from faceaudit.compare.imageio import decode
        from faceaudit.errors import ImageRejected
        import test_imageio as t
        bombs = [t.png_header_only(50_000, 50_000), t.jpeg_claiming(65_000, 65_000),
                 t.gif_claiming(65_535, 65_535), t.webp_claiming(16_000_000, 16_000_000),
                 t.png_header_only(8_000, 8_000)]
        vm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmSize"))
        limit = vm * 1024 + 256 * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            np.ones(512 * 2**20, dtype=np.uint8)
            armed = False
        except MemoryError:
            armed = True
        results = []
        for data in bombs:
            try:
                decode(data, source="bomb")
                results.append("decoded")
            except ImageRejected as e:
                results.append(e.message)
        print(json.dumps({"armed": armed, "results": results}))
        """
    )
    tests_dir = Path(__file__).parent
    env = {**os.environ, "PYTHONPATH": str(tests_dir), "OPENBLAS_NUM_THREADS": "1"}
    run = subprocess.run(
        [sys.executable, "-c", script, str(tests_dir.parent)],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["armed"], "the memory limit did not take effect"
    assert all("megapixel limit" in r for r in report["results"]), report["results"]


def test_a_file_over_the_byte_limit_is_refused_before_parsing() -> None:
    with pytest.raises(ImageRejected) as caught:
        decode(b"\xff\xd8\xff" + b"\0" * 2**20, source=SOURCE, max_bytes=2**20)
    assert caught.value.message == f"{SOURCE}: file is 1.0 MB, more than the 1 MB limit"


def test_a_jpeg_with_thousands_of_scans_is_refused() -> None:
    data = encode(Image.fromarray(gradient()), "JPEG", progressive=True)
    assert decode(data, source=SOURCE).format == "JPEG"  # a normal progressive JPEG is fine
    eoi = data.rindex(b"\xff\xd9")
    scan = data[data.rindex(b"\xff\xda") : eoi]
    with pytest.raises(ImageRejected, match=r"JPEG has \d+ scans, more than the 500"):
        decode(data[:eoi] + scan * 600 + data[eoi:], source=SOURCE)


# --- damaged and foreign files -------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "BMP"])
@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_files_are_refused_as_truncated(fmt: str, keep: float) -> None:
    # Noise, so that any cut loses pixel data. (A cut that removes only what follows the
    # pixels, such as a PNG's final checksum, leaves a whole picture, which is decoded.)
    noise = np.random.default_rng(1).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise), fmt)
    with pytest.raises(ImageRejected) as caught:
        decode(data[: int(len(data) * keep)], source=SOURCE)
    assert caught.value.message == f"{SOURCE}: file is truncated or corrupt"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        (b'<svg width="10" height="10"><circle r="4"/></svg>', "SVG"),
        (b"<!DOCTYPE html>\n<html><head><title>Log in</title></head></html>", "HTML"),
        (b"\xef\xbb\xbf  <HTML><body>Access denied</body></HTML>", "HTML"),
        (b'{"error": "rate limited"}', "JSON"),
        ("Bonjour, ceci n'est pas une image – désolé".encode(), "text"),
        (
            bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8)),
            "unknown binary data",
        ),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
    ],
)
def test_foreign_files_are_named_in_the_message(data: bytes, found: str) -> None:
    with pytest.raises(ImageRejected) as caught:
        decode(data, source=SOURCE)
    assert caught.value.message == f"{SOURCE}: not an image faceaudit reads (found: {found})"
    assert "JPEG, PNG" in caught.value.hint


def test_a_bare_heic_header_is_named_or_called_corrupt() -> None:
    """Without pillow-heif HEIC is a foreign format; with it, a header alone is a broken file."""
    with pytest.raises(ImageRejected) as caught:
        decode(b"\x00\x00\x00\x1cftypheic\x00\x00\x00\x00mif1heic", source=SOURCE)
    if imageio.HEIF_SUPPORTED:
        assert caught.value.message == f"{SOURCE}: file is truncated or corrupt"
    else:
        assert caught.value.message == f"{SOURCE}: not an image faceaudit reads (found: HEIC)"


@pytest.mark.parametrize(("fmt", "found"), [("TIFF", "TIFF"), ("ICO", "ICO"), ("PDF", "PDF")])
def test_formats_pillow_reads_but_we_do_not_are_refused(fmt: str, found: str) -> None:
    data = encode(Image.fromarray(gradient()), fmt)
    with pytest.raises(ImageRejected, match=rf"\(found: {found}\)$"):
        decode(data, source=SOURCE)


def test_empty_bytes_are_refused() -> None:
    with pytest.raises(ImageRejected) as caught:
        decode(b"", source=SOURCE)
    assert caught.value.message == f"{SOURCE}: file is empty"


def test_a_png_signature_with_garbage_is_corrupt_not_foreign() -> None:
    with pytest.raises(ImageRejected) as caught:
        decode(b"\x89PNG\r\n\x1a\n" + b"\x13" * 200, source=SOURCE)
    assert caught.value.message == f"{SOURCE}: file is truncated or corrupt"


def test_rejections_carry_the_image_exit_code_and_a_hint() -> None:
    with pytest.raises(ImageRejected) as caught:
        decode(b"hello", source="me.png")
    assert int(caught.value.exit_code) == 5
    assert caught.value.hint
    assert isinstance(caught.value.__cause__, OSError)  # the Pillow error, for --debug


# --- animations ----------------------------------------------------------------------

COLOURS = [(i * 25, 255 - i * 25, (i * 70) % 256) for i in range(10)]


def animation(fmt: str, count: int = 10, size: tuple[int, int] = (20, 16)) -> bytes:
    pictures = [Image.new("RGB", size, COLOURS[i % 10]) for i in range(count)]
    params: dict[str, object] = {"save_all": True, "append_images": pictures[1:], "duration": 50}
    if fmt == "WEBP":
        params["lossless"] = True
    if fmt == "GIF":
        params["disposal"] = 1
    return encode(pictures[0], fmt, **params)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_animated_frames_are_counted_and_evenly_sampled(fmt: str) -> None:
    data = animation(fmt)

    image = decode(data, source=SOURCE)
    sampled = list(frames(data, source=SOURCE, limit=3))

    assert image.frames == 10
    assert len(sampled) == 3
    assert all(f.shape == (16, 20, 3) and f.dtype == np.uint8 for f in sampled)
    firsts = [tuple(int(v) for v in f[8, 10]) for f in sampled]
    expected = [COLOURS[0], COLOURS[round(9 / 2)], COLOURS[9]]  # first, middle, last
    assert all(np.abs(np.subtract(a, b)).max() <= 3 for a, b in zip(firsts, expected, strict=True))


@pytest.mark.parametrize("limit", [1, 2, 5, 10, 20])
def test_frames_never_yields_more_than_the_limit(limit: int) -> None:
    sampled = list(frames(animation("GIF"), source=SOURCE, limit=limit))
    assert len(sampled) == min(limit, 10)


def test_a_still_image_has_one_frame() -> None:
    data = encode(Image.fromarray(gradient()), "JPEG")
    assert [f.shape for f in frames(data, source=SOURCE)] == [(16, 24, 3)]


def test_long_animations_are_sampled_within_the_pixel_budget() -> None:
    data = animation("GIF", count=40, size=(10, 10))  # 100 px per frame
    # max_pixels=100 allows FRAME_PIXEL_BUDGET (10) frames' worth: frames 0..9 only
    sampled = list(frames(data, source=SOURCE, limit=2, max_pixels=100))
    assert [tuple(int(v) for v in f[5, 5]) for f in sampled] == [COLOURS[0], COLOURS[9]]


def test_frames_refuses_what_decode_refuses() -> None:
    with pytest.raises(ImageRejected, match="found: SVG"):
        frames(b"<svg/>", source=SOURCE)
    with pytest.raises(ImageRejected, match="megapixel limit"):
        frames(gif_claiming(9_000, 6_000), source=SOURCE)
    with pytest.raises(ValueError):
        frames(animation("GIF"), source=SOURCE, limit=0)


# --- thumbnails ----------------------------------------------------------------------


def test_thumbnail_is_a_small_jpeg_without_metadata() -> None:
    decoded = decode(camera_exif(SYDNEY), source=SOURCE)
    assert decoded.metadata.gps is not None
    big = np.asarray(Image.fromarray(decoded.rgb).resize((400, 300)))

    thumb = to_jpeg_thumbnail(big, (10, 20, 310, 220))

    assert thumb.startswith(b"\xff\xd8")
    im = Image.open(io.BytesIO(thumb))
    assert im.format == "JPEG"
    assert max(im.size) <= 160 and im.size == (160, 107)
    assert len(im.getexif()) == 0
    assert b"Exif" not in thumb and b"\xff\xe1" not in thumb  # no APP1 (EXIF/XMP) segment
    assert "icc_profile" not in im.info and "comment" not in im.info


def test_thumbnail_crops_the_box_and_clamps_it_to_the_image() -> None:
    picture = quadrants(64, 32)
    green = Image.open(io.BytesIO(to_jpeg_thumbnail(picture, (32, -10, 100, 16), size=160)))
    assert green.size == (32, 16)  # clamped to the top-right quadrant, never enlarged
    assert np.abs(np.asarray(green).astype(int) - (0, 255, 0)).max() < 30
    whole = Image.open(io.BytesIO(to_jpeg_thumbnail(picture, None, size=16)))
    assert whole.size == (16, 8)
    with pytest.raises(ValueError):
        to_jpeg_thumbnail(picture, (70, 0, 80, 10))
    with pytest.raises(ValueError):
        to_jpeg_thumbnail(picture.astype(np.float32), None)


# --- fuzz: mutated files decode or are rejected, never anything else ---------------------

FUZZ_SEEDS = [
    encode(Image.fromarray(gradient(12, 10)), "PNG"),
    encode(Image.fromarray(gradient(12, 10)).convert("P"), "PNG", transparency=3),
    encode(Image.fromarray(np.arange(120, dtype=np.uint16).reshape(10, 12) * 500), "PNG"),
    encode(Image.fromarray(gradient(12, 10)), "JPEG"),
    camera_exif(SYDNEY),
    encode(Image.fromarray(gradient(12, 10)), "JPEG", progressive=True),
    animation("GIF", count=3, size=(12, 10)),
    encode(Image.fromarray(gradient(12, 10)), "WEBP"),
    animation("WEBP", count=3, size=(12, 10)),
    animation("PNG", count=3, size=(12, 10)),
    encode(Image.fromarray(gradient(12, 10)), "BMP"),
    encode(Image.fromarray(gradient(12, 10)), "MPO", save_all=True, append_images=[Image.new("RGB", (4, 4))]),
]  # fmt: skip
if HAS_AVIF:
    FUZZ_SEEDS.append(encode(Image.fromarray(gradient(12, 10)), "AVIF"))

mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 2**16), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 2**16), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 2**16), st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("delete"), st.integers(0, 2**16), st.integers(1, 64)),
    st.tuples(st.just("big"), st.integers(0, 2**16), st.sampled_from([b"\xff\xff", b"\x7f\xff\xff\xff", b"\0\0"])),
)  # fmt: skip


def mutate(data: bytes, changes: list[tuple[str, int, Any]]) -> bytes:
    out = bytearray(data)
    for kind, where, what in changes:
        at = where % (len(out) + 1)
        if kind == "flip" and at < len(out):
            out[at] ^= what
        elif kind == "truncate":
            del out[at:]
        elif kind == "insert":
            out[at:at] = what
        elif kind == "delete":
            del out[at : at + what]
        elif kind == "big":
            out[at : at + len(what)] = what
    return bytes(out)


FUZZ_PIXELS = 1_000_000  # keeps a mutated size field from making an example slow
# ~5 s; FUZZ_EXAMPLES=100000 for a longer campaign (about 10 minutes)


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "3000")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's notes on the damaged EXIF it skips
@given(seed=st.sampled_from(FUZZ_SEEDS), changes=st.lists(mutation, min_size=1, max_size=4))
def test_fuzzed_images_decode_or_are_rejected(
    seed: bytes, changes: list[tuple[str, int, Any]]
) -> None:
    data = mutate(seed, changes)
    try:
        image = decode(data, source="fuzz", max_pixels=FUZZ_PIXELS)
    except ImageRejected as e:
        assert e.message.startswith("fuzz: ")
    else:
        assert image.rgb.dtype == np.uint8 and image.rgb.ndim == 3 and image.rgb.shape[2] == 3
        assert image.rgb.shape[:2] == (image.height, image.width)
        assert image.width * image.height <= FUZZ_PIXELS
        assert image.format in ALLOWED_FORMATS and image.frames >= 1
    try:
        for frame in frames(data, source="fuzz", limit=2, max_pixels=FUZZ_PIXELS):
            assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
            assert frame.shape[0] * frame.shape[1] <= FUZZ_PIXELS
    except ImageRejected:
        pass


def test_fuzz_seeds_are_all_valid() -> None:
    # the fuzz test means something only if its unmutated seeds decode
    formats = {decode(seed, source="seed").format for seed in FUZZ_SEEDS}
    assert {"PNG", "JPEG", "GIF", "WEBP", "BMP", "MPO"} <= formats
