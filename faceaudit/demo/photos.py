"""The demo's pictures, made at run time from images the installed packages ship.

The fictional person is scikit-image's `astronaut` (a public-domain NASA portrait); other
people come from insightface's bundled group photo `t1.jpg`; pictures without faces are
scikit-image's `coffee` and `rocket` (both bundled, no download) and a generated pattern.
Everything is built in memory, deterministically (same bytes every run), in well under a second.

Only four of the six people in `t1.jpg` appear: dlib puts the two women at its left and right
edges at 0.88-0.89 cosine to the demo person, too close to the `maybe` threshold for a demo that
must give the same answer on every machine. `benchmarks/demo_photos_check.py` prints dlib's
margins; the demo itself runs on sface, whose margins are far wider (person >= 0.86, others
<= 0.14 against you 0.43 / maybe 0.36; tests/test_demo_fixture.py checks both engines).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

# Where the portrait's face is (dlib HOG box on the 512x512 original): the demo's crops keep
# it, and leave out the mission patch lower down, which HOG mistakes for a face.
FACE_BOX = (175, 76, 265, 166)
UPPER_BODY = (60, 0, 420, 300)
# Regions of t1.jpg (1280x886). Its faces (dlib HOG boxes): four kept, at about 107 px,
#   (275, 176, 364, 265) (450, 295, 557, 402) (724, 367, 832, 474) (870, 67, 999, 196);
# and two left out, (67, 283, 175, 390) and (1118, 283, 1226, 390) (see the module docstring).
GROUP_MIDDLE = (200, 0, 1080, 886)  # the four people
GROUP_PAIR = (390, 200, 880, 760)  # two of them: (450, 295) and (724, 367)
GROUP_ONE = (800, 0, 1080, 360)  # one: (870, 67)
GROUP_OTHER_ONE = (215, 90, 430, 400)  # another: (275, 176)


@dataclass(frozen=True)
class Photo:
    name: str  # file name it is served under
    data: bytes
    content_type: str
    shows_person: bool
    other_faces: int  # faces of other people in it
    note: str

    @property
    def other_people(self) -> bool:
        return self.other_faces > 0


def _astronaut() -> Image.Image:
    from skimage import data

    astronaut: np.ndarray = data.astronaut()  # type: ignore[no-untyped-call]  # scikit-image is untyped
    return Image.fromarray(astronaut).crop(UPPER_BODY)


def _group() -> Image.Image:
    spec = find_spec("insightface")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("insightface is not installed: its bundled group photo is needed for the demo")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "images" / "t1.jpg"
    return Image.open(path).convert("RGB")


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _jpeg(image: Image.Image, quality: int = 88, exif: bytes | None = None) -> bytes:
    if exif is None:
        return _encode(image, "JPEG", quality=quality)
    return _encode(image, "JPEG", quality=quality, exif=exif)


def _scaled(image: Image.Image, factor: float) -> Image.Image:
    size = (round(image.width * factor), round(image.height * factor))
    return image.resize(size, Image.Resampling.LANCZOS)


def _gps_exif() -> bytes:
    """EXIF of a made-up phone photo: a place, a time, a camera and its serial number."""
    exif = Image.Exif()
    exif[0x010F] = "Demophone"  # Make
    exif[0x0110] = "DP-1"  # Model
    exif[0x0132] = "2026:06:01 14:03:00"  # DateTime
    ifd = exif.get_ifd(0x8769)  # Exif IFD
    ifd[0x9003] = "2026:06:01 14:03:00"  # DateTimeOriginal
    ifd[0xA431] = "DP1-0042-7731"  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (52.0, 22.0, 12.5)
    gps[3] = "E"
    gps[4] = (4.0, 53.0, 40.2)
    return exif.tobytes()


def _pattern() -> Image.Image:
    y, x = np.mgrid[0:480, 0:720]
    rgb = np.stack([(x * 255 // 719), (y * 255 // 479), ((x + y) % 64) * 4], axis=2).astype(np.uint8)
    return Image.fromarray(rgb)


def _textured_background(width: int, height: int) -> Image.Image:
    rng = np.random.default_rng(7)
    noise = rng.integers(90, 170, size=(height // 8, width // 8, 3), dtype=np.uint8)
    return Image.fromarray(noise).resize((width, height), Image.Resampling.BICUBIC)


def reference_photos() -> list[tuple[str, bytes]]:
    """Enrolment photos: each shows the person alone."""
    person = _astronaut()
    left, top, right, bottom = FACE_BOX
    ox, oy = UPPER_BODY[:2]
    tight = person.crop((left - ox - 45, top - oy - 55, right - ox + 45, bottom - oy + 45))
    brighter = ImageEnhance.Brightness(person).enhance(1.15).rotate(4, resample=Image.Resampling.BICUBIC,
                                                                     fillcolor=(128, 128, 128))
    return [
        ("alex-portrait.jpg", _jpeg(person, 92)),
        ("alex-close.jpg", _jpeg(_scaled(tight, 1.6), 92)),
        ("alex-bright.jpg", _jpeg(brighter, 90)),
    ]


def public_photos() -> list[Photo]:
    """What the fictional person's accounts show, each labelled."""
    person = _astronaut()
    group = _group()
    left, top, right, bottom = FACE_BOX
    ox, oy = UPPER_BODY[:2]
    head = person.crop((left - ox - 60, top - oy - 60, right - ox + 60, bottom - oy + 60))

    # A 63 px face in a 1600x1000 picture: small, but inside what HOG finds at upsample 1.
    small_scene = _textured_background(1600, 1000)
    small_scene.paste(_scaled(person, 0.7), (1050, 520))

    pair = group.crop(GROUP_PAIR)
    beside = _scaled(person, 1.2)  # her face about as large as theirs
    together = Image.new("RGB", (pair.width + beside.width, pair.height), (40, 40, 40))
    together.paste(pair, (0, 0))
    together.paste(beside, (pair.width, pair.height - beside.height))

    jpeg, png, webp = "image/jpeg", "image/png", "image/webp"
    return [
        Photo("avatar.jpg", _jpeg(_scaled(head, 1.2)), jpeg, True, 0, "head crop, used as avatar"),
        Photo("portrait.jpg", _jpeg(person, 85), jpeg, True, 0, "the portrait"),
        Photo("mirror.jpg", _jpeg(person.transpose(Image.Transpose.FLIP_LEFT_RIGHT)), jpeg, True, 0,
              "mirror image"),
        Photo("lowq.jpg", _jpeg(_scaled(person, 0.8), 30), jpeg, True, 0, "re-encoded, JPEG quality 30"),
        Photo("portrait.webp", _encode(_scaled(person, 0.9), "WEBP", quality=80), webp, True, 0, "WebP"),
        Photo("big.png", _encode(_scaled(person, 1.5), "PNG"), png, True, 0, "PNG, scaled up 1.5x"),
        Photo("crowd-small.jpg", _jpeg(small_scene), jpeg, True, 0, "small face inside a large picture"),
        Photo("with-friends.jpg", _jpeg(together), jpeg, True, 2, "the person beside two other people"),
        Photo("holiday.jpg", _jpeg(person, 90, exif=_gps_exif()), jpeg, True, 0,
              "carries EXIF GPS, time, camera and serial"),
        Photo("group.jpg", _jpeg(group.crop(GROUP_MIDDLE)), jpeg, False, 4, "four other people"),
        Photo("friend-1.jpg", _jpeg(_scaled(group.crop(GROUP_ONE), 1.5)), jpeg, False, 1, "another person"),
        Photo("friend-2.jpg", _jpeg(_scaled(group.crop(GROUP_OTHER_ONE), 1.5)), jpeg, False, 1,
              "another person"),
        Photo("coffee.jpg", _jpeg(Image.fromarray(_skimage("coffee"))), jpeg, False, 0, "no face"),
        Photo("rocket.jpg", _jpeg(Image.fromarray(_skimage("rocket"))), jpeg, False, 0, "no face"),
        Photo("pattern.png", _encode(_pattern(), "PNG"), png, False, 0, "no face"),
    ]


def _skimage(name: str) -> np.ndarray:
    from skimage import data

    return np.asarray(getattr(data, name)())
