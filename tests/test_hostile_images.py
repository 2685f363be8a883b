"""Hostile images that stay small on the wire and grow in the decoder: every shape is bounded.

A red-team pass found a 95 kB PNG of 1 × 49,000,000 pixels that took 36 s and 1.76 GB, and an
animated 7000 × 7000 WebP that took 1.6 GB. The files are built here from their headers (zlib
and RIFF chunks by hand), never by allocating their pixels in Python; a child process decodes
each one and reports its peak resident memory, which must stay under PEAK_LIMIT.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import threading
import time
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from faceaudit.compare import imageio
from faceaudit.compare.imageio import MAX_SIDE, decode, dimensions, frames
from faceaudit.demo.photos import reference_photos
from faceaudit.errors import ExitCode, ImageRejected, UsageError
from tests.support import faceaudit
from tests.test_imageio import LoadSpy

SOURCE = "https://cdn.example.org/hostile"
PEAK_LIMIT = 600 * 2**20  # the whole child process: interpreter, numpy, Pillow and the decode

# --- hostile files, built from headers -------------------------------------------------


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _zeros_deflated(row: int, rows: int) -> bytes:
    """`rows` scanlines of `row` bytes each (filter byte 0, then zeros), deflated without ever
    holding more than a megabyte of them."""
    packer = zlib.compressobj(9)
    line = b"\0" * (row + 1)
    per_block = max(1, 2**20 // len(line))
    block = line * per_block
    out = []
    left = rows
    while left:
        take = min(left, per_block)
        out.append(packer.compress(block if take == per_block else line * take))
        left -= take
    out.append(packer.flush())
    return b"".join(out)


_PNG_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type: grey, RGB, grey + alpha, RGBA


def png_of_zeros(
    width: int, height: int, *, colour: int = 0, depth: int = 8, frames: int = 1
) -> bytes:
    """A black PNG (an APNG when `frames` > 1, every frame the whole canvas) built with zlib."""
    pixels = _zeros_deflated(width * _PNG_CHANNELS[colour] * depth // 8, height)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    out = [b"\x89PNG\r\n\x1a\n", _png_chunk(b"IHDR", ihdr)]
    if frames > 1:
        out.append(_png_chunk(b"acTL", struct.pack(">II", frames, 0)))
    sequence = 0
    for frame in range(frames):
        if frames > 1:
            fctl = struct.pack(">IIIIIHHBB", sequence, width, height, 0, 0, 1, 10, 0, 0)
            out.append(_png_chunk(b"fcTL", fctl))
            sequence += 1
        if frame == 0:
            out.append(_png_chunk(b"IDAT", pixels))
        else:
            out.append(_png_chunk(b"fdAT", struct.pack(">I", sequence) + pixels))
            sequence += 1
    out.append(_png_chunk(b"IEND", b""))
    return b"".join(out)


def _riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def _small_vp8l() -> bytes:
    """The VP8L chunk of a lossless 16 × 16 WebP."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 40, 40)).save(out, "WEBP", lossless=True)
    data = out.getvalue()
    assert data[12:16] == b"VP8L"
    return data[12:]


def animated_webp(width: int, height: int, frames: int) -> bytes:
    """An animated WebP of a width × height canvas whose `frames` frames are each 16 × 16.

    A few hundred bytes; libwebp's animation decoder still keeps whole canvases (RGBA) and
    Pillow copies each one out.
    """
    vp8l = _small_vp8l()
    vp8x = struct.pack("<B3x", 0x02 | 0x10)  # animation, alpha
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = [b"WEBP", _riff_chunk(b"VP8X", vp8x), _riff_chunk(b"ANIM", struct.pack("<IH", 0, 0))]
    for _ in range(frames):
        header = (0).to_bytes(3, "little") * 2  # x / 2, y / 2
        header += (15).to_bytes(3, "little") * 2  # width - 1, height - 1
        header += (100).to_bytes(3, "little") + b"\x00"  # duration, blend + dispose
        body.append(_riff_chunk(b"ANMF", header + vp8l))
    payload = b"".join(body)
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


def animated_gif(width: int, height: int, frames: int) -> bytes:
    """An animated GIF whose logical screen is width × height, with `frames` 16 × 16 frames."""
    out = io.BytesIO()
    pictures = [Image.new("L", (16, 16), i * 30 % 256) for i in range(frames)]
    pictures[0].save(out, "GIF", save_all=True, append_images=pictures[1:], duration=50)
    data = bytearray(out.getvalue())
    data[6:10] = struct.pack("<HH", width, height)  # logical screen, frames stay 16 × 16
    return bytes(data)


# --- peak memory, measured in a child process -------------------------------------------

_MEASURE = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from faceaudit.compare import imageio
    from faceaudit.errors import ImageRejected

    data = Path(sys.argv[1]).read_bytes()
    began = time.perf_counter()
    try:
        image = imageio.decode(data, source="hostile")
        sampled = 1
        if image.frames > 1:  # as faces.find_faces: the first frame stays held meanwhile
            sampled = sum(1 for _ in imageio.frames(data, source="hostile", limit=3))
        outcome = f"decoded {image.width}×{image.height}, {image.frames} frames, {sampled} sampled"
    except ImageRejected as exc:
        outcome = exc.message
    seconds = time.perf_counter() - began
    status = Path("/proc/self/status").read_text()
    peak = int(status.split("VmHWM:")[1].split()[0]) * 1024
    print(json.dumps({"outcome": outcome, "seconds": seconds, "peak": peak}))
    """
)


def measure(data: bytes, folder: Path, timeout: float = 60.0) -> dict[str, object]:
    """Decode `data` as faces.find_faces does (first frame, then sampled frames) in a child
    process; its outcome, seconds, and peak resident bytes (ru_maxrss, whole process)."""
    path = folder / "hostile.bin"
    path.write_bytes(data)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    run = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)],
        capture_output=True, text=True, timeout=timeout, env=env, check=False,
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    report: dict[str, object] = json.loads(run.stdout)
    return report


def shapes() -> Iterator[tuple[str, bytes]]:
    """The hostile shapes the red team tried, and their neighbours at the limits."""
    yield "PNG 1 × 49,000,000 (grey)", png_of_zeros(1, 49_000_000)
    yield "PNG 49,000,000 × 1 (grey)", png_of_zeros(49_000_000, 1)
    yield "APNG 7000 × 7000, 5 frames", png_of_zeros(7000, 7000, colour=2, frames=5)
    yield "WebP 7000 × 7000 canvas, 8 frames", animated_webp(7000, 7000, 8)
    yield "GIF 7000 × 7000 screen, 8 frames", animated_gif(7000, 7000, 8)


def png_with_exif_orientation(width: int, height: int, orientation: int) -> bytes:
    """png_of_zeros in RGB with an eXIf chunk (before the pixels) giving `orientation`."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    plain = png_of_zeros(width, height, colour=2)
    at = plain.index(b"IDAT") - 4
    return plain[:at] + _png_chunk(b"eXIf", exif.tobytes()) + plain[at:]




# --- extreme shapes: refused from the header -------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(1, 49_000_000), (49_000_000, 1), (MAX_SIDE + 1, 2)])
def test_a_strip_longer_than_a_photo_is_refused_from_its_header_at_once(
    monkeypatch: pytest.MonkeyPatch, width: int, height: int
) -> None:
    data = png_of_zeros(width, height)
    assert len(data) < 100_000  # the red team's 95 kB file
    spy = LoadSpy(monkeypatch)

    for read in (decode, dimensions, lambda d, source: list(frames(d, source=source))):
        started = time.perf_counter()
        with pytest.raises(ImageRejected) as caught:
            read(data, source=SOURCE)
        assert time.perf_counter() - started < 0.5
        assert caught.value.message == (
            f"{SOURCE}: image is {width}×{height} pixels, too long to be a photo"
        )
        assert "20,000 pixels" in caught.value.hint
    assert spy.calls == 0


def test_a_side_of_max_side_pixels_is_a_photo() -> None:
    image = decode(png_of_zeros(MAX_SIDE, 3), source=SOURCE)
    assert (image.width, image.height) == (MAX_SIDE, 3)
    assert decode(png_of_zeros(2, MAX_SIDE), source=SOURCE).height == MAX_SIDE


def test_a_bomb_is_still_named_by_its_megapixels_not_its_length() -> None:
    header = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 50_000, 50_000, 8, 0, 0, 0, 0))
    bomb = b"\x89PNG\r\n\x1a\n" + header + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
    with pytest.raises(ImageRejected, match=r"image is 50000×50000 pixels, more than the 50-megapixel"):
        decode(bomb, source=SOURCE)


def test_an_animated_webp_with_a_7000_square_canvas_is_refused_before_libwebp(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = animated_webp(7000, 7000, 8)
    assert len(data) < 1000
    opened: list[object] = []
    real_open = Image.open

    def spy_open(*args: Any, **kwargs: Any) -> Image.Image:
        opened.append(args)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(Image, "open", spy_open)

    with pytest.raises(ImageRejected) as caught:
        decode(data, source=SOURCE)

    assert caught.value.message == (
        f"{SOURCE}: image is 7000×7000 pixels, more than the 25-megapixel limit for WebP"
    )
    assert "JPEG" in caught.value.hint
    assert opened == []


def test_the_crafted_animated_webp_is_a_valid_animation_when_small() -> None:
    # So that the refusal above is about the canvas, not a broken file.
    data = animated_webp(64, 48, 8)
    image = decode(data, source=SOURCE)
    assert (image.format, image.width, image.height, image.frames) == ("WEBP", 64, 48, 8)
    assert len(list(frames(data, source=SOURCE, limit=3))) == 3


def test_an_apng_of_whole_canvas_frames_is_valid() -> None:
    data = png_of_zeros(40, 30, colour=2, frames=5)
    image = decode(data, source=SOURCE)
    assert (image.width, image.height, image.frames) == (40, 30, 5)
    assert int(image.rgb.max()) == 0


# --- animations: decoded one frame at a time, within a budget ---------------------------


def _gif(count: int, size: tuple[int, int] = (20, 16)) -> bytes:
    out = io.BytesIO()
    pictures = [Image.new("L", size, i * 20 % 256) for i in range(count)]  # no two alike in a row
    pictures[0].save(out, "GIF", save_all=True, append_images=pictures[1:], duration=50, disposal=1)
    return out.getvalue()


def test_on_a_canvas_over_the_animation_limit_only_the_first_frame_is_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _gif(10)  # 20 × 16 = 320 px a frame
    assert decode(data, source=SOURCE).frames == 10
    monkeypatch.setattr(imageio, "ANIMATION_MAX_PIXELS", 319)
    assert [i for i, _ in imageio.indexed_frames(data, source=SOURCE, limit=3)] == [0]
    monkeypatch.setattr(imageio, "ANIMATION_MAX_PIXELS", 320)
    assert [i for i, _ in imageio.indexed_frames(data, source=SOURCE, limit=3)] == [0, 4, 9]


def test_frames_are_walked_no_further_than_max_frames_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imageio, "MAX_FRAMES_WALKED", 4)
    sampled = list(imageio.indexed_frames(_gif(10), source=SOURCE, limit=3))
    assert [i for i, _ in sampled] == [0, 2, 3]
    assert [int(rgb[0, 0, 0]) for _, rgb in sampled] == [0, 40, 60]


def test_an_animation_of_a_thousand_tiny_frames_is_sampled_quickly() -> None:
    data = _gif(3000, (2, 2))
    started = time.perf_counter()
    sampled = [i for i, _ in imageio.indexed_frames(data, source=SOURCE, limit=3)]
    elapsed = time.perf_counter() - started
    assert sampled == [0, 500, 999]  # the first MAX_FRAMES_WALKED frames, evenly
    assert elapsed < 5, f"took {elapsed:.1f} s"


# --- peak memory ------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform != "linux", reason="reads VmHWM from /proc/self/status")
def test_hostile_shapes_stay_under_600_mb_and_a_few_seconds(tmp_path: Path) -> None:
    """Each file is decoded in its own child process as faces.find_faces decodes it; the
    child's own peak (VmHWM: not the ru_maxrss it inherits from this process) is the measure."""
    cases = [
        ("1 × 49,000,000 PNG", png_of_zeros(1, 49_000_000), "too long to be a photo"),
        ("animated WebP, 7000² canvas", animated_webp(7000, 7000, 8), "25-megapixel limit for WebP"),
        ("APNG 7000², 3 frames", png_of_zeros(7000, 7000, colour=2, frames=3), "decoded 7000×7000, 3 frames, 1 sampled"),
        ("RGBA PNG 7000²", png_of_zeros(7000, 7000, colour=6), "decoded 7000×7000"),
        ("PNG 7000×6000 turned by EXIF", png_with_exif_orientation(7000, 6000, 6), "decoded 6000×7000"),
    ]  # fmt: skip
    started = time.perf_counter()
    for name, data, outcome in cases:
        report = measure(data, tmp_path, timeout=60)
        assert outcome in str(report["outcome"]), (name, report)
        peak = int(str(report["peak"]))
        assert peak < PEAK_LIMIT, f"{name}: {peak / 2**20:.0f} MB"
        assert float(str(report["seconds"])) < 5, (name, report)
    assert time.perf_counter() - started < 30


# --- damaged EXIF: metadata absent, no warning printed ------------------------------------


def _jpeg_with_app1(payload: bytes) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 140, 200)).save(out, "JPEG")
    jpeg = out.getvalue()
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def _ifd(*entries: tuple[int, int, int, int]) -> bytes:
    """A little-endian TIFF header and IFD0 of (tag, type, count, value or offset) entries."""
    body = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries)
    return b"II*\0" + struct.pack("<I", 8) + body + b"\0\0\0\0"


# What makes Pillow warn as it reads EXIF: a camera name claiming 100 bytes past the end of the
# data ("Tag data larger than file"), an IFD claiming more entries than there are ("Corrupt EXIF
# data"), an Exif sub-IFD pointing outside the data ("Corrupt EXIF data ... got 0").
GARBAGE_EXIF = {
    "tag past the end": b"Exif\0\0" + _ifd((0x010F, 2, 100, 200)),
    "short IFD": b"Exif\0\0II*\0" + struct.pack("<IH", 8, 5) + b"\x01\x01\x03\x00\xff\xff\x00\x00\x10\x00",
    "sub-IFD outside": b"Exif\0\0" + _ifd((0x8769, 4, 1, 9999)),
}


@pytest.mark.parametrize("name", sorted(GARBAGE_EXIF))
def test_garbage_exif_leaves_metadata_absent_and_warns_nobody(name: str) -> None:
    data = _jpeg_with_app1(GARBAGE_EXIF[name])
    with warnings.catch_warnings(record=True) as pillow_notes:
        warnings.simplefilter("always")
        exif = Image.open(io.BytesIO(data)).getexif()  # Pillow itself warns: the case is real
        exif.get_ifd(0x8769)
        exif.get_ifd(0x8825)
    assert pillow_notes and all(issubclass(w.category, UserWarning) for w in pillow_notes)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # as a test runner (or python -W) would show them
        image = decode(data, source=SOURCE)
        sampled = list(frames(data, source=SOURCE))

    assert [str(w.message) for w in caught] == []
    assert image.metadata.as_dict() == {"gps": None, "taken_at": None, "camera": None, "camera_serial": None}
    assert (image.width, image.height) == (32, 24) and len(sampled) == 1


def test_decoding_garbage_exif_emits_no_warning(recwarn: pytest.WarningsRecorder) -> None:
    for payload in GARBAGE_EXIF.values():
        decode(_jpeg_with_app1(payload), source=SOURCE)
    assert [str(w.message) for w in recwarn] == []


# --- `check` on things that are not photo files ------------------------------------------


def _read_in_thread(path: Path) -> Exception | bytes | None:
    """read_path(path) in a thread, given 10 s; None if it is still blocked then (the FIFO is
    then opened for writing, to set the thread free)."""
    result: list[Exception | bytes] = []

    def read() -> None:
        try:
            result.append(imageio.read_path(path))
        except (UsageError, ImageRejected, OSError) as exc:  # handed to the test
            result.append(exc)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():
        with contextlib.suppress(OSError):
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(5)
        return None
    return result[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_read_path_refuses_a_fifo_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)
    started = time.perf_counter()
    outcome = _read_in_thread(fifo)
    assert outcome is not None, "read_path blocked on a FIFO"
    assert isinstance(outcome, UsageError), outcome
    assert outcome.message == f"{fifo}: is a named pipe (FIFO), not a photo file"
    assert "pipes" in outcome.hint
    assert time.perf_counter() - started < 1


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_read_path_refuses_a_device_and_a_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        imageio.read_path(Path("/dev/null"))
    assert caught.value.message == "/dev/null: is a device, not a photo file"
    with pytest.raises(UsageError, match="is a folder, not a photo"):
        imageio.read_path(tmp_path)
    link = tmp_path / "null.jpg"
    link.symlink_to("/dev/null")
    with pytest.raises(UsageError, match="is a device"):
        imageio.read_path(link)


def test_read_path_checks_the_open_file_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A FIFO swapped in after the path was looked at is caught on the open file."""
    fifo = tmp_path / "swapped.jpg"
    os.mkfifo(fifo)
    regular = os.stat_result((0o100600, *[0] * 9))
    real_stat = Path.stat
    monkeypatch.setattr(Path, "stat", lambda self, **k: regular if self == fifo else real_stat(self, **k))
    outcome = _read_in_thread(fifo)
    assert isinstance(outcome, UsageError) and "named pipe" in outcome.message, outcome


@pytest.fixture(scope="module")
def enrolled_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the demo person enrolled (dlib), as a user would set it up."""
    home = tmp_path_factory.mktemp("hostile-images")
    folder = tmp_path_factory.mktemp("references")
    refs = []
    for name, data in reference_photos():
        (folder / name).write_bytes(data)
        refs.append(str(folder / name))
    assert faceaudit(home, "consent", "--accept").code == 0
    enrolled = faceaudit(home, "enroll", "--engine", "dlib", *refs)
    assert enrolled.code == 0, enrolled.err
    return home


def _check(home: Path, *paths: Path) -> subprocess.CompletedProcess[str]:
    """`faceaudit check PATHS` in its own process, as a user runs it (its stderr is the real
    one), given 20 s."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONWARNINGS"}
    env["COLUMNS"] = "1000"  # one line per photo, however long its path
    return subprocess.run(
        [sys.executable, "-m", "faceaudit", "--home", str(home), "check", *map(str, paths)],
        capture_output=True, text=True, timeout=20, env=env, check=False,
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_check_on_a_fifo_says_so_and_ends(enrolled_home: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)
    photo = tmp_path / "plain.jpg"
    photo.write_bytes(_jpeg_with_app1(b"Exif\0\0" + _ifd()))
    try:
        run = _check(enrolled_home, fifo, photo)
    except subprocess.TimeoutExpired:
        pytest.fail("faceaudit check hung on a FIFO")
    # A path that is not a photo file is a mistake on the command line, said before any photo
    # is read (exit 2, as in `enroll`); the FIFO is never opened, so nothing can hang on it.
    assert run.returncode == ExitCode.USAGE, run.stderr
    assert f"{fifo}: is a named pipe (FIFO), not a photo file" in run.stderr
    assert "hint:" in run.stderr and run.stdout == ""
    alone = _check(enrolled_home, photo)
    assert alone.returncode == 0 and f"{photo}: no face found" in alone.stdout


def test_check_of_a_photo_with_garbage_exif_prints_no_warning(enrolled_home: Path, tmp_path: Path) -> None:
    photos = []
    for index, payload in enumerate(GARBAGE_EXIF.values()):
        photos.append(tmp_path / f"garbage{index}.jpg")
        photos[-1].write_bytes(_jpeg_with_app1(payload))
    run = _check(enrolled_home, *photos)
    assert run.returncode == 0, run.stderr
    assert "Warning" not in run.stderr and "EXIF" not in run.stderr, run.stderr
    assert run.stdout.count("no face found") == len(photos)
