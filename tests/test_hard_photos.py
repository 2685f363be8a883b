"""Hard photos: sideways, EXIF-rotated, animated, a small face in a large photo, unusual formats.

find_faces is what enrolment, scan and check use to find faces in image bytes. Real faces
come from ../shared/faces when it is present; otherwise skimage's astronaut stands in.
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, features
from skimage import data as skdata

from faceaudit.compare import imageio
from faceaudit.compare.analysis import analyse
from faceaudit.compare.engines import engine_class, make_engine
from faceaudit.compare.engines.base import FaceEngine
from faceaudit.compare.engines.dlib_engine import TILE_OVERLAP, TILE_SIDE, _tiles
from faceaudit.compare.faces import TURN_MAX_SIDE, FaceSearch, find_faces
from faceaudit.compare.imageio import DecodedImage
from faceaudit.compare.matcher import Matcher
from faceaudit.types import (
    Box,
    DetectedFace,
    ImageCandidate,
    ImageKind,
    ImageMetadata,
    ImageRecord,
)
from faceaudit.workspace import Workspace
from tests.support import FACES, faceaudit, needs_faces

ROTATED = FACES / "unlabelled"


def _loaded(name: str) -> FaceEngine:
    available = engine_class(name).availability()
    if not available.ok:
        pytest.skip(f"needs the {name} engine: {available.reason}")
    engine = make_engine(name)
    engine.load()
    return engine


@pytest.fixture(scope="module", params=["sface", "dlib"])
def engine(request: pytest.FixtureRequest) -> FaceEngine:
    """Each offline engine: every hard photo is found by both the same way."""
    return _loaded(request.param)


@pytest.fixture(scope="module")
def dlib_engine() -> FaceEngine:
    """For the tests of dlib's own two-pass HOG search (upsampling, tiles)."""
    return _loaded("dlib")


def _face(engine: FaceEngine) -> tuple[np.ndarray, Box, np.ndarray]:
    if (ROTATED / "r0.jpg").is_file():
        rgb = imageio.decode((ROTATED / "r0.jpg").read_bytes(), source="r0.jpg").rgb
    else:
        rgb = np.ascontiguousarray(skdata.astronaut()[:300])
    (found,) = engine.detect(rgb)
    return rgb, found.box, found.embedding


@pytest.fixture(scope="module")
def face(engine: FaceEngine) -> tuple[np.ndarray, Box, np.ndarray]:
    """A photo of one face as RGB, the face's box and its embedding: a real photo from
    ../shared/faces when present, else the top of skimage's astronaut (lower down, HOG takes
    the mission patch for a face)."""
    return _face(engine)


@pytest.fixture(scope="module")
def dlib_face(dlib_engine: FaceEngine) -> tuple[np.ndarray, Box, np.ndarray]:
    return _face(dlib_engine)


def encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def similarity(search: FaceSearch, embedding: np.ndarray) -> float:
    return float(search.faces[0].embedding @ embedding)


def scene(width: int, height: int) -> np.ndarray:
    """A photo without a face (skimage's coffee cup), enlarged to width x height."""
    return np.array(Image.fromarray(skdata.coffee()).resize((width, height), Image.Resampling.BICUBIC))


# --- turned photos ------------------------------------------------------------------------


@needs_faces
@pytest.mark.faces
@pytest.mark.parametrize(
    ("name", "rotation"),
    [("r0.jpg", 0), ("r90.jpg", 90), ("r180.jpg", 180), ("r270.jpg", 270),
     ("rot_0.jpg", 0), ("rot_90.jpg", 90), ("rot_180.jpg", 180), ("rot_270.jpg", 270)],
)
def test_a_turned_photo_is_searched_turned_back_and_shows_the_same_person(engine, name, rotation):
    upright = find_faces(engine, (ROTATED / "r0.jpg").read_bytes(), source="r0.jpg")

    search = find_faces(engine, (ROTATED / name).read_bytes(), source=name)

    assert len(search.faces) == 1
    assert search.rotation == rotation
    # dlib stops at the first turn that finds a face; sface, which also finds sideways faces
    # unsurely, compares every turn when the upright find is not confident.
    assert search.tried[: rotation // 90 + 1] == ["upright", "rot90", "rot180", "rot270"][: rotation // 90 + 1]
    assert search.rgb.shape == np.rot90(search.image.rgb, rotation // 90).shape
    assert similarity(search, upright.faces[0].embedding) >= engine.thresholds.you


def test_an_exif_rotated_jpeg_is_searched_as_displayed(engine, face):
    rgb, _, embedding = face
    stored = Image.fromarray(rgb).transpose(Image.Transpose.ROTATE_90)  # pixels lie on their side
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: turn 90 degrees clockwise to display
    with_tag = encode(stored, "JPEG", quality=95, exif=exif.tobytes())
    without_tag = encode(stored, "JPEG", quality=95)

    search = find_faces(engine, with_tag, source="phone.jpg")
    control = find_faces(engine, without_tag, source="stripped.jpg")

    assert search.image.rgb.shape == rgb.shape  # displayed upright
    assert (search.rotation, search.tried, len(search.faces)) == (0, ["upright"], 1)
    assert similarity(search, embedding) >= engine.thresholds.you
    assert control.rotation == 270 and len(control.faces) == 1  # without the tag, it lies sideways


def test_box_in_image_turns_a_box_back_into_the_displayed_photo():
    height, width = 30, 50
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[5:12, 20:41] = 255  # a white box: left 20, top 5, right 41, bottom 12
    decoded = DecodedImage(image, "PNG", width, height, ImageMetadata())
    for rotation in (0, 90, 180, 270):
        turned = np.rot90(image, rotation // 90)
        rows, cols = np.nonzero(turned[:, :, 0])
        box = Box(int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1)
        search = FaceSearch(decoded, turned, [], rotation, 0, [])
        assert search.box_in_image(box) == Box(20, 5, 41, 12), rotation


# --- animations ---------------------------------------------------------------------------


def animated_gif(rgb: np.ndarray, faces_per_frame: list[int]) -> bytes:
    """A GIF whose frame i shows the face faces_per_frame[i] times (0, 1 or 2), side by side."""
    height, width = rgb.shape[:2]
    frames = []
    for index, count in enumerate(faces_per_frame):
        canvas = np.full((height, 2 * width, 3), 128, dtype=np.uint8)
        for slot in range(count):
            canvas[:, slot * width : (slot + 1) * width] = rgb
        canvas[:8, 8 * index : 8 * index + 8] = 0  # frames differ, so Pillow keeps them all
        frames.append(Image.fromarray(canvas))
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


@pytest.mark.parametrize(
    ("faces_per_frame", "frame", "faces"),
    [
        ([0, 0, 0, 1, 0, 0, 0], 3, 1),  # frames 0, 3 and 6 are searched
        ([0, 0, 0, 1, 1, 1, 2], 6, 2),  # the frame with most faces; never 1 + 2 = 3
    ],
)
def test_an_animation_is_searched_in_a_few_frames_keeping_the_one_with_most_faces(
    engine, face, faces_per_frame, frame, faces
):
    rgb, _, embedding = face
    search = find_faces(engine, animated_gif(rgb, faces_per_frame), source="wave.gif")

    assert search.image.frames == 7
    assert search.tried == ["upright", "frame 3", "frame 6"]
    assert (search.frame, len(search.faces), search.rotation) == (frame, faces, 0)
    assert min(float(f.embedding @ embedding) for f in search.faces) >= engine.thresholds.you


def _photo_with_face(rgb: np.ndarray, box: Box, face_height: int, width: int, height: int) -> np.ndarray:
    """A `width` x `height` photo without a face, with the face of `rgb` pasted in at
    `face_height` pixels tall."""
    scale = face_height / box.height
    face = np.asarray(Image.fromarray(rgb).resize(
        (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)), Image.Resampling.LANCZOS))
    # The face with a margin of one face height around it (HOG needs some surroundings).
    left, top = (max(0, round(v * scale) - face_height) for v in (box.left, box.top))
    face = face[top : top + 3 * face_height, left : left + 3 * face_height]
    photo = scene(width, height)
    photo[10 : 10 + face.shape[0], 10 : 10 + face.shape[1]] = face
    return photo


@pytest.mark.parametrize(("face_height", "photo_side", "upsampled", "large_only"), [
    (140, 800, 1, 1),  # a large face: found either way
    (45, 800, 1, 0),  # under HOG's 80 px window in a copy over 320 px: left to the upsampled pass
    (45, 300, 1, 1),  # a copy of 320 px or less is upsampled all the same
])
def test_turns_search_large_faces_only_except_in_small_copies(
        dlib_engine, dlib_face, face_height, photo_side, upsampled, large_only):
    engine, (rgb, box, _) = dlib_engine, dlib_face
    photo = _photo_with_face(rgb, box, face_height, photo_side, photo_side)

    assert len(engine.detect_fast(photo)) == upsampled
    assert len(engine.detect_fast(photo, large_faces_only=True)) == large_only


# --- a small face in a large photo ----------------------------------------------------------


def test_a_small_face_in_a_large_photo_is_found_at_full_resolution_once(dlib_engine, dlib_face):
    engine, (rgb, box, embedding) = dlib_engine, dlib_face
    scale = 40 / box.height  # the face becomes 40 px tall: 21 px in the first pass's copy
    small = np.asarray(Image.fromarray(rgb).resize(
        (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)), Image.Resampling.LANCZOS))
    photo = scene(3000, 2000)
    # Put the face where the small-face pass's first two tiles overlap: found in both, kept once.
    (_, _, first_right, _), (second_left, _, _, _) = _tiles(3000, 2000)[:2]
    assert first_right - second_left >= TILE_OVERLAP
    left = (first_right + second_left) // 2 - round((box.left + box.right) / 2 * scale)
    top = 1000
    photo[top : top + small.shape[0], left : left + small.shape[1]] = small
    expected = Box(left + round(box.left * scale), top + round(box.top * scale),
                   left + round(box.right * scale), top + round(box.bottom * scale))

    search = find_faces(engine, encode(Image.fromarray(photo), "PNG", compress_level=1), source="wide.png")

    assert search.tried == ["upright", "rot90", "rot180", "rot270", "small faces (3000x2000, 4 tiles)"]
    assert len(search.faces) == 1
    found = search.faces[0].box
    assert second_left <= found.left and found.right <= first_right  # inside both tiles
    assert max(abs(a - b) for a, b in zip(found.as_list(), expected.as_list(), strict=True)) <= 12
    assert similarity(search, embedding) >= engine.thresholds.maybe


def test_small_face_tiles_cover_the_photo_and_overlap():
    for width, height in [(3000, 2000), (3200, 2400), (1601, 900), (2000, 3200)]:
        tiles = _tiles(width, height)
        covered = np.zeros((height, width), dtype=bool)
        for left, top, right, bottom in tiles:
            assert right - left <= TILE_SIDE and bottom - top <= TILE_SIDE
            covered[top:bottom, left:right] = True
        assert covered.all()
        lefts = sorted({t[0] for t in tiles})
        rights = sorted({t[2] for t in tiles})
        assert all(r - nl >= TILE_OVERLAP for r, nl in zip(rights, lefts[1:], strict=False))


# --- formats --------------------------------------------------------------------------------


def png_16bit(rgb: np.ndarray) -> bytes:
    """An RGB PNG with 16 bits per channel (Pillow writes only greyscale at 16 bits)."""
    height, width = rgb.shape[:2]
    low = np.random.default_rng(5).integers(0, 200, rgb.shape)
    wide = (rgb.astype(np.uint32) * 257 + low).clip(0, 65535).astype(">u2")
    raw = b"".join(b"\x00" + row.tobytes() for row in wide)

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def rgba_png(rgb: np.ndarray) -> bytes:
    """The photo with a 40 px transparent border whose hidden colour is black."""
    padded = np.zeros((rgb.shape[0] + 80, rgb.shape[1] + 80, 4), dtype=np.uint8)
    padded[40:-40, 40:-40, :3] = rgb
    padded[40:-40, 40:-40, 3] = 255
    return encode(Image.fromarray(padded, "RGBA"), "PNG")


FORMATS = {
    "greyscale JPEG": ("JPEG", lambda rgb: encode(Image.fromarray(rgb).convert("L"), "JPEG", quality=95)),
    "CMYK JPEG": ("JPEG", lambda rgb: encode(Image.fromarray(rgb).convert("CMYK"), "JPEG", quality=95)),
    "16-bit PNG": ("PNG", png_16bit),
    "RGBA PNG": ("PNG", rgba_png),
    "WebP": ("WEBP", lambda rgb: encode(Image.fromarray(rgb), "WEBP", quality=90)),
    "AVIF": ("AVIF", lambda rgb: encode(Image.fromarray(rgb), "AVIF", quality=90)),
    "HEIC": ("HEIF", lambda rgb: encode(Image.fromarray(rgb), "HEIF", quality=90)),
}


@pytest.mark.parametrize("kind", list(FORMATS))
def test_each_format_of_a_face_photo_finds_the_face_and_matches(engine, face, kind):
    if kind == "AVIF" and not features.check("avif"):
        pytest.skip("this Pillow has no AVIF codec")
    if kind == "HEIC" and not imageio.HEIF_SUPPORTED:
        pytest.skip("pillow-heif is not installed: HEIC photos are refused")
    rgb, _, embedding = face
    fmt, make = FORMATS[kind]

    search = find_faces(engine, make(rgb), source=f"me ({kind})")

    assert search.image.format == fmt
    assert (len(search.faces), search.rotation) == (1, 0)
    assert similarity(search, embedding) >= engine.thresholds.you


def test_heic_is_refused_with_a_hint_when_pillow_heif_is_missing(face):
    # pillow-heif blocked in a fresh interpreter: imageio must not list HEIF, and says what to install.
    heic = encode(Image.fromarray(face[0]), "HEIF") if imageio.HEIF_SUPPORTED else (
        b"\x00\x00\x00\x1cftypheic\x00\x00\x00\x00mif1heic")
    code = (
        "import sys, json; sys.modules['pillow_heif'] = None\n"
        "from faceaudit.compare import imageio\n"
        "from faceaudit.errors import ImageRejected\n"
        "try:\n"
        "    imageio.decode(sys.stdin.buffer.read(), source='me.heic')\n"
        "except ImageRejected as exc:\n"
        "    print(json.dumps([sorted(imageio.ALLOWED_FORMATS), exc.message, exc.hint]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], input=heic, capture_output=True,
                          cwd=Path(__file__).resolve().parents[1], timeout=60, check=True)
    allowed, message, hint = json.loads(done.stdout)
    assert "HEIF" not in allowed
    assert message == "me.heic: not an image faceaudit reads (found: HEIC)"
    assert "pip install pillow-heif" in hint and "JPEG, PNG" in hint


# --- no face --------------------------------------------------------------------------------


def test_a_photo_without_a_face_returns_no_faces_after_every_turn(engine):
    photo = encode(Image.fromarray(skdata.coffee()), "JPEG", quality=90)

    search = find_faces(engine, photo, source="coffee.jpg")

    assert search.faces == []
    assert (search.rotation, search.frame) == (0, 0)
    assert search.tried == ["upright", "rot90", "rot180", "rot270"]
    assert search.rgb is search.image.rgb


# --- the stages use it ----------------------------------------------------------------------


def test_check_finds_a_sideways_face_and_boxes_it_in_the_photo_as_displayed(tmp_path, engine, face):
    rgb, box, _ = face
    upright, sideways = tmp_path / "me.png", tmp_path / "sideways.png"
    Image.fromarray(rgb).save(upright)
    Image.fromarray(rgb).transpose(Image.Transpose.ROTATE_270).save(sideways)  # 90 degrees clockwise
    home = tmp_path / "home"
    assert faceaudit(home, "consent", "--accept").code == 0
    assert faceaudit(home, "enroll", "--engine", engine.name, str(upright)).code == 0

    result = faceaudit(home, "check", "--json", str(upright), str(sideways))

    assert result.code == 0, result.err
    straight, turned = json.loads(result.out)
    assert (straight["rotation"], straight["frame"]) == (0, 0)
    assert straight["faces"][0]["box"] == box.as_list()
    assert (turned["rotation"], turned["frame"]) == (90, 0)
    assert turned["faces"][0]["verdict"] == "you"
    height = rgb.shape[0]  # a clockwise turn takes (x, y) to (height - y, x)
    expected = [height - box.bottom, box.left, height - box.top, box.right]
    # Turns are searched without upsampling, so HOG's box is a few pixels off the upright one;
    # a wrong turn back would be off by the face's distance from the photo's centre line.
    assert max(abs(a - b) for a, b in zip(turned["faces"][0]["box"], expected, strict=True)) <= 12


def test_a_scan_keeps_a_thumbnail_of_a_sideways_face_turned_upright(tmp_path, engine, face):
    rgb, _, embedding = face
    sideways = encode(Image.fromarray(rgb).transpose(Image.Transpose.ROTATE_270), "PNG")
    candidate = ImageCandidate("https://example.org/me.png", "https://example.org/", ImageKind.POST, "img")
    with Workspace.open(tmp_path / "home") as ws:
        account = ws.add_account("https://example.org/", "web")
        scan_id = ws.start_scan(engine.name)

        result = analyse(engine, Matcher([embedding], engine.thresholds), sideways, source=candidate.url)
        ws.record_image(scan_id, account.id, ImageRecord(candidate, None, result))
        status, yours = result.status, result.yours

        ((_, stored),) = ws.thumbnails()
    assert (status, yours) == ("analysed", 1)
    thumbnail = np.asarray(Image.open(io.BytesIO(stored)).convert("RGB"), dtype=np.float32)
    # Turned back, the sideways photo is `rgb` again, searched as turns are: for large faces.
    (upright,) = engine.detect_fast(rgb, max_side=TURN_MAX_SIDE, large_faces_only=True)
    expected = imageio.decode(imageio.to_jpeg_thumbnail(rgb, tuple(upright.box.as_list())), source="x").rgb
    assert thumbnail.shape == expected.shape
    assert np.abs(thumbnail - expected).mean() < 4  # the upright face, not a sideways crop


class ScriptedTurns(FaceEngine):
    """An engine that finds sideways faces (like sface) with a scripted detection score per turn
    of `upright` (0, 90, 180, 270); a turn listed in `dropped` is seen by `surest_face` but its
    face is not kept by `detect` (too small, say)."""

    name = "dlib"  # borrows dlib's thresholds
    embedding_size = 4
    landmark_roles = ((0,), (1,), 2)
    confident_score = 0.9
    min_enrol_score = 0.5
    finds_turned_faces = True

    def __init__(self, upright: np.ndarray, scores: dict[int, float], dropped: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.upright, self.scores, self.dropped = upright, scores, dropped

    @classmethod
    def availability(cls, model_dir=None):  # type: ignore[no-untyped-def]
        raise AssertionError

    def _load(self) -> None:
        pass

    def _turn(self, image: np.ndarray) -> int:
        return next(t for t in (0, 90, 180, 270) if np.array_equal(image, np.rot90(self.upright, t // 90)))

    def _detect(self, image):  # type: ignore[no-untyped-def]
        turn = self._turn(image)
        if not self.scores.get(turn) or turn in self.dropped:
            return []
        return [DetectedFace(Box(1, 1, 30, 30), np.zeros((5, 2), np.float32), self.scores[turn],
                             np.array([1, 0, 0, 0], np.float32), 50.0)]

    def surest_face(self, image):  # type: ignore[no-untyped-def]
        return self.scores.get(self._turn(image), 0.0)


def test_an_unsure_upright_face_is_kept_when_no_turn_is_surer():
    """The turn comparison (sface) never loses the upright faces: a turn wins only with a surer
    face that it also keeps."""
    rgb = scene(80, 40)
    engine = ScriptedTurns(rgb, {0: 0.6, 90: 0.95, 270: 0.95}, dropped=(90, 270))
    search = find_faces(engine, encode(Image.fromarray(rgb), "PNG"), source="wide.png")
    assert (len(search.faces), search.rotation) == (1, 0)
    assert search.tried == ["upright", "rot90", "rot180", "rot270"]


def test_with_no_upright_face_the_surest_turn_wins_not_the_first():
    """YuNet half-finds a sideways face in the wrong turn (measured: 0.78 at 90 degrees where
    the right turn, 270, scores 0.92): every turn is scored and the surest one is searched."""
    rgb = scene(60, 40)
    engine = ScriptedTurns(rgb, {90: 0.78, 270: 0.92})
    search = find_faces(engine, encode(Image.fromarray(rgb), "PNG"), source="side.png")
    assert search.rotation == 270 and len(search.faces) == 1
    assert search.tried == ["upright", "rot90", "rot180", "rot270"]
