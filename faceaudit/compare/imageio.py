"""The one image decoder: every photo faceaudit looks at is identified, size-checked and decoded here.

Images come from the web and are untrusted. The rules, in order:

1. the format is identified from the bytes (never a file name or Content-Type)
   and must be on ALLOWED_FORMATS;
2. the size is refused from the header, before any pixel data is decoded: too many pixels
   for the format, or a side longer than a photo's;
3. every Pillow error becomes ImageRejected naming the source in plain words, and Pillow's
   notes on damaged metadata are never shown (the damaged part is simply absent);
4. the result is always RGB uint8 with the EXIF orientation applied, converted a strip at
   a time so that a decode needs about 7 bytes a pixel (benchmarks/hostile_images.py);
5. an animation is decoded one frame at a time, never all at once, and only as far as
   FRAME_PIXEL_BUDGET and MAX_FRAMES_WALKED allow.

Nothing is written to disk and pixel data never reaches a log or a message.
"""

from __future__ import annotations

import io
import math
import numbers
import os
import re
import stat
import struct
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import ExifTags, Image, UnidentifiedImageError, features

from faceaudit.errors import ImageRejected, UsageError
from faceaudit.types import ImageMetadata

RGB = npt.NDArray[np.uint8]

MAX_PIXELS = 50_000_000  # per frame; a 48-megapixel phone photo still fits
MAX_BYTES = 50 * 2**20
# A phone panorama is at most about 16,000 px long. A longer side is a strip built to make the
# decoder slow: Pillow's cost grows with the rows (a 95 kB PNG of 1 × 49,000,000 px took 36 s
# and 1.8 GB) long before the pixels reach MAX_PIXELS.
MAX_SIDE = 20_000
# WebP's decoder keeps its own canvases beside Pillow's copy: libwebp's animation decoder (Pillow
# reads every WebP with it) holds two RGBA canvases and hands Pillow a third, about 19 bytes a
# pixel in all where JPEG and PNG take 7, so a 7000 × 7000 WebP took 1.6 GB. Capped so that a
# decode stays under 600 MB (measured: benchmarks/hostile_images.py; AVIF and HEIC photos of
# 48 Mpx measure under 500 MB, so a phone's 48-megapixel HEIC still fits).
FORMAT_MAX_PIXELS = {"WEBP": 25_000_000}
# Frames after the first are searched only on a canvas this small. A later frame costs its
# decoder's canvases plus the first frame and the best frame so far, all held at once; web
# animations (GIF, WebP, APNG stickers and clips) are far smaller than this.
ANIMATION_MAX_PIXELS = 16_000_000
# frames() decodes animation frames in sequence (GIF, APNG and WebP frames depend on
# the ones before), so it stops looking further than this many MAX_PIXELS' worth,
FRAME_PIXEL_BUDGET = 10
# and further than this many frames, however small: each one costs Pillow the same fixed time
# (a 50 MB file holds about a million 1 × 1 frames).
MAX_FRAMES_WALKED = 1000
# A progressive JPEG needs about ten scans; thousands of tiny scans is a known way to
# make libjpeg spend minutes on a small file.
MAX_JPEG_SCANS = 500
# Pixels converted to RGB at a time: conversions copy, so a whole-image copy would double the
# memory a large photo needs.
STRIP_PIXELS = 1 << 20

# What the web shows as photos. TIFF, JPEG 2000, ICO, PSD and the rest of Pillow's
# formats are left out on purpose: browsers (other than Safari) do not display them, so
# no logged-out visitor sees them, and their decoders are a large attack surface.
# MPO is how Pillow names a JPEG carrying extra images (iPhone, stereo cameras): the
# JPEG plugin opens it, so it is allowed but never passed to Image.open(formats=...).
# HEIF (iPhone photos: HEIC) is read through pillow-heif, and only when it is installed.
_CODECS = {"JPEG": "jpg", "PNG": "zlib", "WEBP": "webp", "AVIF": "avif", "GIF": "", "BMP": ""}


def _register_heif() -> bool:
    """Register pillow-heif's HEIF opener with Pillow; False when pillow-heif is missing.

    Whether "HEIF" is in Image.OPEN depends on what else was imported first (some libraries
    register pillow-heif themselves), so the allow-list follows this call, not Image.OPEN.
    Embedded thumbnails, depth maps and auxiliary images are never used here: turned off, so
    libheif does not parse them.
    """
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
    return True


HEIF_SUPPORTED = _register_heif()
_OPEN_FORMATS: tuple[str, ...] = tuple(
    name for name, codec in _CODECS.items() if not codec or features.check(codec)
) + (("HEIF",) if HEIF_SUPPORTED else ())
ALLOWED_FORMATS: frozenset[str] = frozenset(_OPEN_FORMATS) | (
    {"MPO"} if "JPEG" in _OPEN_FORMATS else set()
)

# Everything Pillow and its codecs raise on bad input. AssertionError is here because
# some plugins validate file structure with assert statements (e.g. MPO offsets);
# RuntimeError because the AVIF codec reports undecodable data with it.
_DECODE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # includes UnidentifiedImageError and "image file is truncated"
    ValueError,
    SyntaxError,
    struct.error,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    OverflowError,
    AssertionError,
    RuntimeError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,  # raised, not warned: see _install_warning_filters
)

_BOMB_FILTER = ("error", None, Image.DecompressionBombWarning, None, 0)
# Pillow's notes on what it skipped ("Corrupt EXIF data", "Possibly corrupt EXIF data", "Tag
# data larger than file", "malformed MPO file") are warnings printed to the user's terminal;
# the skipped part is absent from the result, which is all a user of faceaudit needs.
_QUIET_FILTER = ("ignore", None, UserWarning, re.compile(r"(PIL|pillow_heif)\."), 0)


@dataclass(frozen=True, eq=False)  # eq=False: numpy arrays do not compare to a single bool
class DecodedImage:
    rgb: RGB  # (height, width, 3), EXIF orientation applied
    format: str  # "JPEG", "PNG", "WEBP", "GIF", "BMP", "MPO", "AVIF", "HEIF"
    width: int  # after orientation
    height: int
    metadata: ImageMetadata
    frames: int = 1  # animation frames in the file (GIF, WebP, APNG, AVIF)


def decode(
    data: bytes, *, source: str, max_pixels: int = MAX_PIXELS, max_bytes: int = MAX_BYTES
) -> DecodedImage:
    """Decode the first frame of an image. `source` (a path or URL) is named in every error."""
    with _open(data, source, max_pixels, max_bytes) as im:
        try:
            count = _frame_count(im)
            im.load()
            exif = _exif(im)
            metadata = _read_metadata(exif)
            image_format = str(im.format)
            rgb = _to_rgb(im, _orientation(exif))
        except _DECODE_ERRORS as exc:
            raise _corrupt(source) from exc
    height, width = rgb.shape[:2]
    return DecodedImage(rgb, image_format, width, height, metadata, count)


def dimensions(
    data: bytes, *, source: str, max_pixels: int = MAX_PIXELS, max_bytes: int = MAX_BYTES
) -> tuple[int, int]:
    """(width, height) as stored, read from the header with the same checks as `decode` and no
    pixel decoded: lets a caller skip an image too small to matter before paying for decoding."""
    with _open(data, source, max_pixels, max_bytes) as im:
        return int(im.size[0]), int(im.size[1])


def read_path(path: Path, *, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a photo the user named, refusing files over `max_bytes` before reading.

    Only a regular file is read. A FIFO would block the open (and the read) until some other
    program writes to it, so the path is checked before opening, opened without blocking, and
    checked again on the open file in case it was swapped in between.
    """
    source = str(path)
    try:
        _refuse_special(source, Path(path).stat().st_mode)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags)
        with os.fdopen(fd, "rb") as file:
            status = os.fstat(file.fileno())
            _refuse_special(source, status.st_mode)
            if status.st_size > max_bytes:
                raise _too_many_bytes(source, status.st_size, max_bytes)
            return file.read(max_bytes + 1)  # +1: a file that grew is refused by decode
    except FileNotFoundError as exc:
        raise UsageError(f"{source}: no such file", "Check the path and try again.") from exc
    except IsADirectoryError as exc:
        raise _folder(source) from exc
    except OSError as exc:
        raise UsageError(
            f"{source}: cannot read the file ({exc.strerror or exc})",
            "Check that the file exists and that you may read it.",
        ) from exc


def _refuse_special(source: str, mode: int) -> None:
    """UsageError for anything but a regular file: a folder, FIFO, socket or device."""
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise _folder(source)
    raise UsageError(
        f"{source}: {_special_kind(mode)}",
        "Name photo files; faceaudit does not read photos from pipes, sockets or devices.",
    )


def _special_kind(mode: int) -> str:
    kind = (
        "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
        else "a socket" if stat.S_ISSOCK(mode)
        else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "not a regular file"
    )  # fmt: skip
    return f"is {kind}, not a photo file"


def path_problem(path: Path) -> str | None:
    """Why `path`, given on the command line as a photo, is not one ("no such file", "is a
    folder, not a photo", "is a named pipe (FIFO), not a photo file"), or None for a regular
    file. Looks at the file's type only: a FIFO is never opened, so this cannot hang."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    if stat.S_ISREG(mode):
        return None
    return "is a folder, not a photo" if stat.S_ISDIR(mode) else _special_kind(mode)


def _folder(source: str) -> UsageError:
    return UsageError(f"{source}: is a folder, not a photo", "Name the photo files.")


def indexed_frames(
    data: bytes,
    *,
    source: str,
    limit: int = 3,
    max_pixels: int = MAX_PIXELS,
    max_bytes: int = MAX_BYTES,
) -> Iterator[tuple[int, RGB]]:
    """(frame index, RGB) of up to `limit` evenly spaced frames (first and last included).

    A still image yields its one frame. Frames are decoded in order, so for a very long
    animation only the first FRAME_PIXEL_BUDGET × max_pixels worth of frames (and at most
    MAX_FRAMES_WALKED) is sampled; on a canvas over ANIMATION_MAX_PIXELS, the first frame only.
    Only the frame being decoded is held. The file is identified and size-checked now; frames
    are decoded as they are taken.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    im = _open(data, source, max_pixels, max_bytes)
    try:
        count = _frame_count(im)
    except _DECODE_ERRORS as exc:
        im.close()
        raise _corrupt(source) from exc
    width, height = im.size
    reachable = _reachable(width * height, max_pixels)
    return _decode_frames(im, _spread(min(count, reachable), limit), source, max_pixels)


def _reachable(canvas: int, max_pixels: int) -> int:
    """How many frames, from the first, an animation of `canvas` pixels may be decoded through."""
    if canvas > ANIMATION_MAX_PIXELS:
        return 1
    return max(1, min(MAX_FRAMES_WALKED, FRAME_PIXEL_BUDGET * max_pixels // max(1, canvas)))


def frames(
    data: bytes,
    *,
    source: str,
    limit: int = 3,
    max_pixels: int = MAX_PIXELS,
    max_bytes: int = MAX_BYTES,
) -> Iterator[RGB]:
    """The pixels of `indexed_frames`, without their indices."""
    sampled = indexed_frames(data, source=source, limit=limit, max_pixels=max_pixels, max_bytes=max_bytes)
    return (rgb for _, rgb in sampled)


def to_jpeg_thumbnail(
    rgb: RGB, box: tuple[int, int, int, int] | None = None, size: int = 160
) -> bytes:
    """A small JPEG of `box` (left, top, right, bottom) fitting in size × size, with no metadata.

    Used only for the user's own face. The JPEG is built from pixels alone, so no EXIF,
    GPS, ICC profile or comment from the original can reach it.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 array, got {rgb.dtype} {rgb.shape}")
    if size < 1:
        raise ValueError("size must be at least 1")
    height, width = rgb.shape[:2]
    left, top, right, bottom = box if box is not None else (0, 0, width, height)
    left, right = max(0, left), min(width, right)
    top, bottom = max(0, top), min(height, bottom)
    if right <= left or bottom <= top:
        raise ValueError(f"box {box} does not overlap the {width}×{height} image")
    crop = Image.fromarray(np.ascontiguousarray(rgb[top:bottom, left:right]))
    crop.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    crop.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


# --- identification and limits -------------------------------------------------


def _open(data: bytes, source: str, max_pixels: int, max_bytes: int) -> Image.Image:
    """Identify the image and check its size; no pixel data is decoded yet."""
    if not data:
        raise ImageRejected(f"{source}: file is empty", "The download or the file is empty.")
    if len(data) > max_bytes:
        raise _too_many_bytes(source, len(data), max_bytes)
    _check_before_pillow(data, source, max_pixels)
    _install_warning_filters()
    try:
        im = Image.open(io.BytesIO(data), formats=_OPEN_FORMATS)
    except UnidentifiedImageError as exc:
        raise _unreadable(data, source) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own limit refused first, so that is the limit to name.
        limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
        raise _too_large(source, _header_size(data), limit) from exc
    except _DECODE_ERRORS as exc:
        raise _corrupt(source) from exc
    if im.format not in ALLOWED_FORMATS:  # a plugin may hand back a related format
        im.close()
        raise _unreadable(data, source)
    try:
        _check_pixels(im.size, source, max_pixels, str(im.format))
    except ImageRejected:
        im.close()
        raise
    return im


def _install_warning_filters() -> None:
    """Make Pillow's DecompressionBombWarning an error and its notes on damaged data silent,
    leaving MAX_IMAGE_PIXELS alone.

    Pillow warns for images over Image.MAX_IMAGE_PIXELS (~89 Mpx) and raises over twice
    that. Our own limit (50 Mpx) is checked right after Image.open, but the warning
    fires inside it, and frame sizes found later by seek() are checked by Pillow too.
    Lowering MAX_IMAGE_PIXELS, or swapping it around each call, would change (or race
    with) every other user of Pillow in the process; warnings.catch_warnings is not
    thread-safe, and images are decoded in threads (compare/analysis.py). The bomb filter only
    ever turns "warn and decode anyway" into "refuse", which is what any code decoding images
    here should want; the quiet one hides only UserWarnings raised inside Pillow (and
    pillow-heif), which are notes on parts of a file it skipped.
    They are re-inserted if missing because catch_warnings blocks (test runners, libraries)
    restore the filter list they started with.
    """
    if warnings.filters[:2] != [_BOMB_FILTER, _QUIET_FILTER]:
        pattern = _QUIET_FILTER[3]
        assert isinstance(pattern, re.Pattern)
        warnings.filterwarnings("ignore", category=UserWarning, module=pattern.pattern)
        warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


def _check_before_pillow(data: bytes, source: str, max_pixels: int) -> None:
    """The checks that cannot wait for Image.open."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        # Pillow's WebP plugin creates libwebp's decoder, which allocates the whole
        # canvas, while opening; so read the canvas size from the header first.
        size = _webp_canvas(data[:30])
        if size is not None:
            _check_pixels(size, source, max_pixels, "WEBP")
    if data[:3] == b"\xff\xd8\xff":
        # Counts SOS markers, plus any FF DA in metadata; real photos have a few dozen.
        scans = data.count(b"\xff\xda")
        if scans > MAX_JPEG_SCANS:
            raise ImageRejected(
                f"{source}: JPEG has {scans} scans, more than the {MAX_JPEG_SCANS} faceaudit decodes",
                "Files like this are built to make decoders slow; real photos have a few scans.",
            )


def _webp_canvas(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        return (
            int.from_bytes(head[26:28], "little") & 0x3FFF,
            int.from_bytes(head[28:30], "little") & 0x3FFF,
        )
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _check_pixels(size: tuple[int, int], source: str, max_pixels: int, image_format: str = "") -> None:
    """Refuse a size no photo has: no pixels, a side over MAX_SIDE, or more pixels than
    `max_pixels` (or than FORMAT_MAX_PIXELS allows for `image_format`). Pixels are checked
    first, so a bomb is named by its megapixels and only a strip by its length."""
    width, height = size
    if width < 1 or height < 1:
        raise ImageRejected(f"{source}: image is {width}×{height} pixels, it has no pixels")
    if width * height > max_pixels:
        raise _too_large(source, size, max_pixels)
    cap = FORMAT_MAX_PIXELS.get(image_format)
    if cap is not None and width * height > cap:
        raise _too_large(source, size, cap, image_format)
    if max(width, height) > MAX_SIDE:
        raise _too_long(source, size)


def _header_size(data: bytes) -> tuple[int, int] | None:
    """The size a header claims, for the message when Pillow's own bomb check refused first.

    Calls the plugin class as Image.open does, minus Image.open's size check; it reads
    the header only.
    """
    for name in _OPEN_FORMATS:
        factory, accept = Image.OPEN.get(name, (None, None))
        if factory is None or (accept is not None and not accept(data[:16])):
            continue
        try:
            with factory(io.BytesIO(data), "") as im:
                return (int(im.size[0]), int(im.size[1]))
        except _DECODE_ERRORS:
            continue
    return None


# --- frames and conversion -----------------------------------------------------


def _frame_count(im: Image.Image) -> int:
    # An MPO's extra images are previews or depth maps, not an animation.
    if im.format == "MPO":
        return 1
    return max(1, int(getattr(im, "n_frames", 1)))


def _spread(count: int, limit: int) -> list[int]:
    if count <= limit:
        return list(range(count))
    if limit == 1:
        return [0]
    return sorted({round(i * (count - 1) / (limit - 1)) for i in range(limit)})


def _decode_frames(
    im: Image.Image, indices: list[int], source: str, max_pixels: int
) -> Iterator[tuple[int, RGB]]:
    with im:
        for index in indices:
            try:
                im.seek(index)
                _check_pixels(im.size, source, max_pixels, str(im.format))
                im.load()
                rgb = _to_rgb(im, _orientation(_exif(im)))
            except _DECODE_ERRORS as exc:
                raise _corrupt(source) from exc
            yield index, rgb


# How each EXIF orientation is shown (numpy.rot90 turns counterclockwise), as
# PIL.ImageOps.exif_transpose turns it; done on the RGB array, so that Pillow's copy of the
# photo is not copied again to turn it.
_ORIENTATIONS: dict[int, Callable[[RGB], RGB]] = {
    2: np.fliplr,
    3: lambda a: np.rot90(a, 2),
    4: np.flipud,
    5: lambda a: np.rot90(np.fliplr(a), 1),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: np.rot90(np.fliplr(a), -1),
    8: lambda a: np.rot90(a, 1),
}


# For each orientation, a view of the shown image in the stored image's rows and columns (the
# inverse of _ORIENTATIONS): the strips `_to_rgb` converts are written through it, so the photo
# is turned as it is converted, with no second copy of it.
_STORED_VIEWS: dict[int, Callable[[RGB], RGB]] = {
    2: np.fliplr,
    3: lambda a: np.rot90(a, 2),
    4: np.flipud,
    5: lambda a: np.fliplr(np.rot90(a, -1)),
    6: lambda a: np.rot90(a, 1),
    7: lambda a: np.fliplr(np.rot90(a, 1)),
    8: lambda a: np.rot90(a, -1),
}


def _orientation(exif: Mapping[int, Any]) -> int:
    """The EXIF (or XMP: Pillow merges it into getexif) orientation, 1 when absent or odd."""
    value = exif.get(ExifTags.Base.Orientation, 1)
    return value if isinstance(value, int) and value in _ORIENTATIONS else 1


def _orient(rgb: RGB, orientation: int) -> RGB:
    turn = _ORIENTATIONS.get(orientation)
    return rgb if turn is None else np.ascontiguousarray(turn(rgb))


_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})


def _to_rgb(im: Image.Image, orientation: int = 1) -> RGB:
    """Any Pillow mode as an (h, w, 3) uint8 array turned by the EXIF `orientation`;
    transparency is composited onto white.

    Converted a strip of STRIP_PIXELS at a time, each written where it shows in the one result
    array: converting or turning the whole image at once would hold a third copy of it (Pillow's,
    the converted or turned one, and numpy's).
    """
    width, height = im.size
    convert = _converter(im)
    strips = list(_strips(im))
    if len(strips) == 1:
        return _orient(convert(im), orientation)
    shown = (height, width, 3) if orientation not in (5, 6, 7, 8) else (width, height, 3)
    out = np.empty(shown, dtype=np.uint8)
    view = _STORED_VIEWS.get(orientation)
    stored = view(out) if view is not None else out
    for top, bottom in strips:
        stored[top:bottom] = convert(im.crop((0, top, width, bottom)))
    return out


def _strips(im: Image.Image) -> Iterator[tuple[int, int]]:
    """(top, bottom) rows of the strips `_to_rgb` converts, each at most STRIP_PIXELS."""
    width, height = im.size
    rows = max(1, STRIP_PIXELS // max(1, width))
    for top in range(0, height, rows):
        yield top, min(height, top + rows)


def _converter(im: Image.Image) -> Callable[[Image.Image], RGB]:
    """A function turning a strip of `im` (same mode and info) into RGB."""
    mode = im.mode
    if mode == "RGB" and "transparency" not in im.info:
        return lambda strip: np.array(strip, dtype=np.uint8)
    if mode.startswith("I;16"):
        key = im.info.get("transparency")
        return lambda strip: _sixteen_bit_rgb(np.array(strip), key if isinstance(key, int) else None)
    if mode in ("I", "F"):
        # Stretched over the whole image's range, not each strip's: found first.
        extremes = _finite_extremes(im)
        scale = _scale_int32 if mode == "I" else _scale_float
        return lambda strip: _grey_to_rgb(scale(np.array(strip), extremes))
    if mode in _ALPHA_MODES or "transparency" in im.info:
        return _on_white
    # 1, L, P, CMYK (Pillow reads JPEG CMYK with Adobe's inversion), YCbCr, ...
    return lambda strip: np.array(strip.convert("RGB"), dtype=np.uint8)


def _on_white(strip: Image.Image) -> RGB:
    rgba = strip.convert("RGBA")
    white = Image.new("RGB", strip.size, (255, 255, 255))
    white.paste(rgba, (0, 0), rgba)  # straight-alpha blend over an opaque background
    return np.array(white, dtype=np.uint8)


def _finite_extremes(im: Image.Image) -> tuple[float, float] | None:
    """The lowest and highest finite value in a mode I or F image; None when none is finite."""
    low, high = math.inf, -math.inf
    width = im.size[0]
    for top, bottom in _strips(im):
        values = np.array(im.crop((0, top, width, bottom)), dtype=np.float64)
        finite = values[np.isfinite(values)]
        if finite.size:
            low, high = min(low, float(finite.min())), max(high, float(finite.max()))
    return (low, high) if low <= high else None


def _grey_to_rgb(grey: npt.NDArray[np.uint8]) -> RGB:
    return np.ascontiguousarray(np.repeat(grey[:, :, np.newaxis], 3, axis=2))


def _sixteen_bit_rgb(grey: npt.NDArray[Any], transparent: int | None) -> RGB:
    if transparent is None:
        return _grey_to_rgb(_scale_16bit(grey))
    return _grey_to_rgb(np.where(grey == transparent, 255, _scale_16bit(grey)).astype(np.uint8))


def _scale_16bit(values: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    # round(v / 257) maps 0..65535 onto 0..255 exactly, keeping order; no clipping.
    return ((values.astype(np.uint32) + 128) // 257).astype(np.uint8)


def _scale_int32(values: npt.NDArray[Any], extremes: tuple[float, float] | None) -> npt.NDArray[np.uint8]:
    # Mode I from files is 16-bit data widened (older Pillow PNG/TIFF); anything else is
    # stretched over the image's range so the picture stays visible.
    low, high = extremes if extremes is not None else (0.0, 0.0)
    if low >= 0 and high <= 0xFFFF:
        return _scale_16bit(values)
    return _stretch(values.astype(np.float64), low, high)


def _scale_float(values: npt.NDArray[Any], extremes: tuple[float, float] | None) -> npt.NDArray[np.uint8]:
    # Float images are 0..1 by convention; anything else is stretched over the image's range.
    if extremes is None:
        return np.zeros(values.shape, dtype=np.uint8)
    low, high = extremes
    values = values.astype(np.float64)
    values = np.where(np.isfinite(values), values, low)
    if low >= 0.0 and high <= 1.0:
        return np.round(values * 255.0).astype(np.uint8)
    return _stretch(values, low, high)


def _stretch(values: npt.NDArray[np.float64], low: float, high: float) -> npt.NDArray[np.uint8]:
    if high <= low:
        return np.zeros(values.shape, dtype=np.uint8)
    return np.round((values - low) * (255.0 / (high - low))).astype(np.uint8)


# --- metadata -------------------------------------------------------------------

_TEXT_LIMIT = 120  # camera names and serials are short; EXIF can hold megabytes
_OFFSET = re.compile(r"[+-]\d\d:\d\d")


def _exif(im: Image.Image) -> Image.Exif:
    """The image's EXIF; empty when it cannot be parsed at all (tags Pillow skips as damaged,
    with a warning the quiet filter hides, are simply absent)."""
    try:
        return im.getexif()
    except _DECODE_ERRORS:
        return Image.Exif()


def _read_metadata(ifd0: Image.Exif) -> ImageMetadata:
    """GPS, capture time and camera from EXIF. Malformed values are left out, never fatal."""
    exif = _sub_ifd(ifd0, ExifTags.IFD.Exif)
    gps = _sub_ifd(ifd0, ExifTags.IFD.GPSInfo)
    return ImageMetadata(
        gps=_gps(gps),
        taken_at=_taken_at(exif, ifd0),
        camera=_camera(ifd0),
        camera_serial=_text(exif.get(ExifTags.Base.BodySerialNumber))
        or _text(ifd0.get(ExifTags.Base.CameraSerialNumber)),
    )


def _sub_ifd(ifd0: Image.Exif, tag: int) -> Mapping[int, Any]:
    try:
        ifd = ifd0.get_ifd(tag)
    except _DECODE_ERRORS:
        return {}
    return ifd if isinstance(ifd, dict) else {}


def _text(value: Any) -> str | None:
    """An EXIF string made safe to print: no NULs or control characters, bounded length."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    elif isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = "".join(c for c in value.split("\x00", 1)[0] if c.isprintable()).strip()
    return value[:_TEXT_LIMIT] or None


def _camera(ifd0: Mapping[int, Any]) -> str | None:
    make = _text(ifd0.get(ExifTags.Base.Make))
    model = _text(ifd0.get(ExifTags.Base.Model))
    if make and model:
        # "Canon" + "Canon EOS 5D" reads better as "Canon EOS 5D"
        if model.lower().startswith(make.split()[0].lower()):
            return model
        return f"{make} {model}"
    return make or model


def _taken_at(exif: Mapping[int, Any], ifd0: Mapping[int, Any]) -> str | None:
    """ISO 8601 local time, with the UTC offset when the camera recorded one."""
    for stamp, offset in (
        (exif.get(ExifTags.Base.DateTimeOriginal), exif.get(ExifTags.Base.OffsetTimeOriginal)),
        (ifd0.get(ExifTags.Base.DateTime), exif.get(ExifTags.Base.OffsetTime)),
    ):
        text = _text(stamp)
        if text is None:
            continue
        for layout in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
            try:
                moment = datetime.strptime(text[:19], layout)
            except ValueError:
                continue
            zone = _text(offset)
            return moment.isoformat() + (zone if zone and _OFFSET.fullmatch(zone) else "")
    return None


def _gps(gps: Mapping[int, Any]) -> tuple[float, float] | None:
    latitude = _coordinate(
        gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "NS", 90.0
    )
    longitude = _coordinate(
        gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "EW", 180.0
    )
    if latitude is None or longitude is None:
        return None
    if latitude == 0.0 and longitude == 0.0:  # written by cameras without a fix
        return None
    return (latitude, longitude)


def _coordinate(value: Any, ref: Any, refs: str, limit: float) -> float | None:
    """Degrees, minutes, seconds (rationals) and a hemisphere letter as signed degrees."""
    parts = value if isinstance(value, (tuple, list)) else (value,)
    if not 1 <= len(parts) <= 3:
        return None
    if not all(isinstance(p, numbers.Real) and not isinstance(p, bool) for p in parts):
        return None
    try:
        degrees, *rest = (float(p) for p in parts)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    if not all(math.isfinite(n) for n in (degrees, *rest)):
        return None
    if any(not 0.0 <= n <= 60.0 for n in rest):
        return None
    magnitude = abs(degrees) + sum(n / 60.0 ** (i + 1) for i, n in enumerate(rest))
    sign = -1.0 if degrees < 0 else 1.0
    hemisphere = (_text(ref) or "")[:1].upper()
    if hemisphere:
        if degrees < 0 or hemisphere not in refs:
            return None
        sign = -1.0 if hemisphere == refs[1] else 1.0
    if magnitude > limit:
        return None
    return sign * magnitude


# --- messages -------------------------------------------------------------------

_FORMAT_LIST = (
    "JPEG, PNG, WebP, GIF, BMP"
    + (", AVIF" if "AVIF" in ALLOWED_FORMATS else "")
    + (", HEIC" if "HEIF" in ALLOWED_FORMATS else "")
)
_FORMAT_NAMES = {"WEBP": "WebP"}
# pillow-heif's own test of the first 12 bytes: an ISO file of one of these brands is HEIF.
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1")


def _megapixels(pixels: int) -> str:
    millions = pixels / 1_000_000
    return f"{millions:.1f}".rstrip("0").rstrip(".") if millions >= 1 else f"{millions:g}"


def _too_large(
    source: str, size: tuple[int, int] | None, max_pixels: int, image_format: str = ""
) -> ImageRejected:
    limit = _megapixels(max_pixels)
    found = f"is {size[0]}×{size[1]} pixels, more" if size else "is larger"
    name = _FORMAT_NAMES.get(image_format, image_format)
    return ImageRejected(
        f"{source}: image {found} than the {limit}-megapixel limit" + (f" for {name}" if name else ""),
        "Images this large are refused to stay safe from decompression bombs; "
        f"if it is your photo, save a copy of at most {limit} megapixels"
        + (" (or save it as JPEG)." if name else "."),
    )


def _too_long(source: str, size: tuple[int, int]) -> ImageRejected:
    return ImageRejected(
        f"{source}: image is {size[0]}×{size[1]} pixels, too long to be a photo",
        f"Images with a side over {MAX_SIDE:,} pixels are refused: decoders spend minutes and "
        f"gigabytes on them. If it is your photo, save a copy at most {MAX_SIDE:,} pixels long.",
    )


def _too_many_bytes(source: str, size: int, max_bytes: int) -> ImageRejected:
    return ImageRejected(
        f"{source}: file is {size / 2**20:.1f} MB, more than the {max_bytes / 2**20:g} MB limit",
        "If it is your photo, save a smaller copy and try again.",
    )


def _corrupt(source: str) -> ImageRejected:
    return ImageRejected(
        f"{source}: file is truncated or corrupt",
        "Download or export the photo again; if it opens elsewhere, save a fresh copy.",
    )


def _unreadable(data: bytes, source: str) -> ImageRejected:
    if _looks_allowed(data):
        return _corrupt(source)
    found = _describe(data)
    hint = f"faceaudit reads {_FORMAT_LIST} photos; convert the photo to one of these."
    if found in ("HEIC", "HEIF") and "HEIF" not in ALLOWED_FORMATS:
        hint = f"faceaudit reads HEIC photos once pillow-heif is installed (pip install pillow-heif); or {hint}"
    return ImageRejected(f"{source}: not an image faceaudit reads (found: {found})", hint)


def _looks_allowed(data: bytes) -> bool:
    """The file starts like one of the allowed formats (so it is damaged, not foreign)."""
    return (
        data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a"))
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
        or (data[:2] == b"BM" and len(data) >= 26 and data[6:10] == b"\0\0\0\0")
        or ("AVIF" in ALLOWED_FORMATS and data[4:8] == b"ftyp" and data[8:12] in (b"avif", b"avis"))
        or ("HEIF" in ALLOWED_FORMATS and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS)
    )


_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"8BPS", "PSD"),
    (b"%PDF", "PDF"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"PK\x03\x04", "ZIP"),
    (b"\x1f\x8b", "gzip"),
    (b"\x1aE\xdf\xa3", "WebM/MKV video"),
    (b"qoif", "QOI"),
)
_ISO_BRANDS = {b"heic": "HEIC", b"heix": "HEIC", b"mif1": "HEIF", b"msf1": "HEIF",
               b"avif": "AVIF", b"avis": "AVIF", b"qt  ": "MOV video"}  # fmt: skip


def _describe(data: bytes) -> str:
    """What the bytes look like, for the message; the file is never parsed further."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if data[4:8] == b"ftyp":
        return _ISO_BRANDS.get(data[8:12], "MP4 video")
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "SVG"
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in head:
        return "HTML"
    if head.startswith(b"<?xml"):
        return "XML"
    if head.startswith((b"{", b"[")):
        return "JSON"
    text = data[:1024].decode("utf-8", "replace")
    # one replacement character is allowed: the 1024-byte cut may split a character
    if text.count("\ufffd") <= 1 and all(c.isprintable() or c in "\t\r\n" for c in text):
        return "text"
    return "unknown binary data"
