"""Enrolment quality gates: tiny, faint, blurry and turned faces are refused with a reason;
a narrow reference set is accepted with advice."""

from __future__ import annotations

import hashlib
import io
import itertools

import numpy as np
import pytest
from PIL import Image

from faceaudit.compare.engines.base import RGBImage
from faceaudit.compare.reference import ReferencePhoto, build_template, narrow_set_warnings
from faceaudit.errors import EnrolmentRefused, ExitCode
from faceaudit.types import Box, DetectedFace, ReferenceFace
from tests.support import FACES, faceaudit, needs_faces
from tests.tiny_engine import FRONTAL, TinyEngine

PROFILE = np.array([[60, 40], [66, 40], [80, 40], [86, 40], [88, 60]], np.float32)


class FakeEngine(TinyEngine):
    """Returns one prepared face for every image: the gates are what is under test."""

    def __init__(self, face: DetectedFace) -> None:
        super().__init__()
        self.face = face

    def _detect(self, image: RGBImage) -> list[DetectedFace]:
        return [self.face]


def _face(height: int = 120, score: float = 1.5, sharp: float = 200.0, points=FRONTAL) -> DetectedFace:
    return DetectedFace(Box(0, 0, height, height), points * height / 100, score,
                        np.array([1, 0, 0, 0], np.float32), sharp)


def _photo(name: str = "me.jpg") -> ReferencePhoto:
    """A photo whose bytes depend on its name: photos of different names are different photos."""
    buffer = io.BytesIO()
    red, green, blue = hashlib.sha256(name.encode()).digest()[:3]
    Image.new("RGB", (200, 200), (red, green, blue)).save(buffer, "JPEG")
    return ReferencePhoto(name, buffer.getvalue())


@pytest.mark.parametrize(
    ("face", "reason"),
    [
        (_face(height=60), "only 60 px tall"),
        (_face(score=0.1), "found only faintly"),
        (_face(sharp=10.0), "blurry"),
        (_face(points=PROFILE), "turned too far"),
    ],
)
def test_poor_reference_faces_are_refused_with_the_reason(face, reason):
    with pytest.raises(EnrolmentRefused, match=reason) as refused:
        build_template(FakeEngine(face), [_photo("holiday.jpg")])
    assert "holiday.jpg" in refused.value.message
    assert refused.value.hint


def test_a_good_face_is_accepted_and_its_pose_kept():
    enrolment = build_template(FakeEngine(_face()), [_photo(), _photo("me2.jpg"), _photo("me3.jpg")])
    assert [f.photo_name for f in enrolment.faces] == ["me.jpg", "me2.jpg", "me3.jpg"]
    assert enrolment.faces[0].frontal == pytest.approx(1.0)


def test_more_than_twenty_photos_are_refused():
    with pytest.raises(EnrolmentRefused, match="at most 20"):
        build_template(FakeEngine(_face()), [_photo(f"me{i}.jpg") for i in range(21)])


_PHOTO_NUMBERS = itertools.count(1)


def _ref(frontal: float, sha256: str = "") -> ReferenceFace:
    """A reference face; its photo's SHA-256 is unique unless given."""
    sha256 = sha256 or f"{next(_PHOTO_NUMBERS):064x}"
    return ReferenceFace("me.jpg", sha256, np.array([1, 0, 0, 0], np.float32), 1.5, 120, frontal)


def test_a_narrow_reference_set_gets_advice_not_a_refusal():
    assert any("only 1 reference photo" in w for w in narrow_set_warnings([_ref(0.95)]))
    assert any("straight at the camera" in w for w in narrow_set_warnings([_ref(0.95) for _ in range(4)]))
    assert narrow_set_warnings([_ref(0.95), _ref(0.6), _ref(0.9)]) == []


def test_the_narrow_set_advice_counts_one_photo_enrolled_twice_once():
    """A template from before duplicates were skipped may hold one photo twice: still one view."""
    twice = [_ref(0.95, "ab" * 32), _ref(0.6, "ab" * 32), _ref(0.9)]
    assert any("only 2 reference photo(s)" in w for w in narrow_set_warnings(twice))
    assert not any("straight at the camera" in w for w in narrow_set_warnings([_ref(0.95, "cd" * 32)] * 4))


def test_the_same_photo_twice_counts_once_and_the_advice_sees_it():
    me, again = _photo("me.jpg"), _photo("me.jpg")
    copy = ReferencePhoto("copy-of-me.jpg", me.data)  # another name, the same bytes
    enrolment = build_template(FakeEngine(_face()), [me, again, copy, _photo("me2.jpg")])
    assert [f.photo_name for f in enrolment.faces] == ["me.jpg", "me2.jpg"]
    assert "skipped me.jpg: same photo as me.jpg" in enrolment.warnings
    assert "skipped copy-of-me.jpg: same photo as me.jpg" in enrolment.warnings
    assert any("only 2 reference photo(s)" in w for w in enrolment.warnings)


def test_a_photo_already_in_the_template_is_skipped_and_nothing_new_is_refused():
    engine = FakeEngine(_face())
    (first,) = build_template(engine, [_photo("me.jpg")]).faces
    added = build_template(engine, [ReferencePhoto("renamed.jpg", _photo("me.jpg").data), _photo("me2.jpg")], [first])
    assert [f.photo_name for f in added.faces] == ["me2.jpg"]
    assert "skipped renamed.jpg: same photo as me.jpg (already in the template)" in added.warnings
    assert any("only 2 reference photo(s)" in w for w in added.warnings)
    with pytest.raises(EnrolmentRefused, match="nothing to add: every photo given is already in the template"):
        build_template(engine, [_photo("me.jpg")], [first])


@needs_faces
@pytest.mark.parametrize("engine", ["sface", "dlib"])
def test_the_blurred_sample_photo_is_refused_by_the_cli(tmp_path, engine):
    faceaudit(tmp_path, "consent", "--accept")
    result = faceaudit(tmp_path, "enroll", "--engine", engine, str(FACES / "unlabelled/blur.jpg"))
    assert result.code == ExitCode.ENROLMENT
    assert "blur.jpg" in result.err and "blurry" in result.err


@needs_faces
@pytest.mark.parametrize("engine", ["sface", "dlib"])
def test_enrolling_one_photo_works_and_suggests_more(tmp_path, engine):
    faceaudit(tmp_path, "consent", "--accept")
    result = faceaudit(tmp_path, "enroll", "--engine", engine, str(FACES / "people/barack_obama/obama.jpg"))
    assert result.code == 0, result.err
    assert "only 1 reference photo" in result.err
    added = faceaudit(tmp_path, "enroll", "--add", str(FACES / "people/barack_obama/obama2.jpg"))
    assert added.code == 0, added.err
    assert "2 in the template" in added.out
    refused = faceaudit(tmp_path, "enroll", "--add", str(FACES / "people/joe_biden/biden.jpg"))
    assert refused.code == ExitCode.ENROLMENT and "biden.jpg" in refused.err


@needs_faces
def test_enrolling_again_replaces_the_template_only_when_told_and_says_so(tmp_path):
    faceaudit(tmp_path, "consent", "--accept")
    obama = FACES / "people/barack_obama"
    assert faceaudit(tmp_path, "enroll", "--engine", "dlib", str(obama / "obama.jpg"), str(obama / "obama2.jpg")).code == 0
    refused = faceaudit(tmp_path, "enroll", "--engine", "dlib", str(FACES / "people/joe_biden/biden.jpg"))
    assert refused.code == ExitCode.ENROLMENT and "--replace to start over" in refused.err
    again = faceaudit(tmp_path, "enroll", "--engine", "dlib", "--replace", "--yes", str(obama / "obama1.jpg"))
    assert again.code == 0, again.err
    assert "replaced the previous template (2 face(s)" in again.err
    assert "1 in the template" in again.out
