"""Enrolment looks at every photo before it refuses: one error lists each photo that cannot be
used (with why, and what to do), nothing is enrolled, and a photo too small to hold a face is
called too small rather than faceless."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from faceaudit.compare.engines.base import FaceEngine, RGBImage
from faceaudit.compare.reference import MIN_FACE_PX, ReferencePhoto, build_template
from faceaudit.errors import EnrolmentRefused, ExitCode
from faceaudit.types import Box, DetectedFace
from faceaudit.workspace import Workspace
from tests.support import FACES, faceaudit, needs_faces
from tests.tiny_engine import FRONTAL, TinyEngine

PEOPLE = FACES / "people"


def _face(person: int = 0, *, sharp: float = 200.0, height: int = 120) -> DetectedFace:
    """A frontal face of `person` (people differ in their embedding: similarity 0 across people)."""
    embedding = np.zeros(4, np.float32)
    embedding[person] = 1.0
    return DetectedFace(Box(0, 0, height, height), FRONTAL * height / 100, 1.5, embedding, sharp)


class ScriptedEngine(TinyEngine):
    """Finds the faces scripted for each photo; a photo is known by its (unique) colour."""

    def __init__(self, faces: dict[int, list[DetectedFace]]) -> None:
        super().__init__()
        self.faces = faces
        self.seen: list[int] = []

    def _detect(self, image: RGBImage) -> list[DetectedFace]:
        key = int(image[0, 0, 0]) // 10
        self.seen.append(key)
        return self.faces.get(key, [])


def _photo(name: str, key: int, size: tuple[int, int] = (200, 200)) -> ReferencePhoto:
    buffer = io.BytesIO()
    Image.new("RGB", size, (key * 10 + 5, 0, 0)).save(buffer, "PNG")
    return ReferencePhoto(name, buffer.getvalue())


def refused_by(engine: FaceEngine, photos: list[ReferencePhoto], existing=()) -> EnrolmentRefused:
    with pytest.raises(EnrolmentRefused) as refused:
        build_template(engine, photos, existing)
    return refused.value


def test_every_bad_photo_is_listed_in_one_refusal_and_nothing_is_enrolled():
    engine = ScriptedEngine({1: [_face()], 2: [_face(), _face()], 3: [_face(sharp=5.0)], 4: [], 5: [_face()]})
    photos = [_photo("me.jpg", 1), _photo("party.jpg", 2), _photo("shaky.jpg", 3), _photo("wall.jpg", 4),
              _photo("me2.jpg", 5)]
    refused = refused_by(engine, photos)
    assert sorted(set(engine.seen)) == [1, 2, 3, 4, 5]  # every photo was looked at
    assert refused.message == "3 of 5 photos cannot be used; nothing was enrolled"
    assert [d.split(":")[0] for d in refused.details] == ["party.jpg", "shaky.jpg", "wall.jpg"]
    party, shaky, wall = refused.details
    assert party.startswith("party.jpg: shows 2 faces; a reference photo must show only you — crop it")
    assert "blurry" in shaky and " — use a sharp photo" in shaky
    assert "no face found" in wall
    assert refused.hint == "replace or leave out each photo listed, then enrol again"
    assert refused.exit_code == ExitCode.ENROLMENT


def test_one_piece_of_advice_for_all_is_the_hint_and_not_repeated():
    engine = ScriptedEngine({1: [_face(), _face()], 2: [_face(), _face(), _face()], 3: [_face()]})
    refused = refused_by(engine, [_photo("a.jpg", 1), _photo("b.jpg", 2), _photo("c.jpg", 3)])
    assert refused.message == "2 of 3 photos cannot be used; nothing was enrolled"
    assert refused.details == ("a.jpg: shows 2 faces; a reference photo must show only you",
                               "b.jpg: shows 3 faces; a reference photo must show only you")
    assert refused.hint == "crop it to your face, or choose a photo of you alone"


def test_an_undecodable_photo_is_listed_with_the_others_not_raised_alone():
    engine = ScriptedEngine({1: [_face(), _face()], 2: [_face()]})
    broken = ReferencePhoto("broken.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")
    refused = refused_by(engine, [broken, _photo("group.jpg", 1), _photo("me.jpg", 2)])
    assert refused.message == "2 of 3 photos cannot be used; nothing was enrolled"
    assert refused.details[0].startswith("broken.jpg: file is truncated or corrupt — download or export")
    assert not refused.details[0].endswith(".")  # imageio's hint, worded as every other advice
    assert refused.details[1].startswith("group.jpg: shows 2 faces")
    assert refused.exit_code == ExitCode.ENROLMENT


def test_every_photo_of_someone_else_is_listed_not_only_the_worst_pair():
    engine = ScriptedEngine({1: [_face(0)], 2: [_face(0)], 3: [_face(1)], 4: [_face(0)], 5: [_face(2)]})
    photos = [_photo("me1.jpg", 1), _photo("me2.jpg", 2), _photo("friend.jpg", 3), _photo("me3.jpg", 4),
              _photo("stranger.jpg", 5)]
    refused = refused_by(engine, photos)
    assert refused.message == "2 of 5 photos cannot be used; nothing was enrolled"
    friend, stranger = refused.details
    assert friend.startswith("friend.jpg: does not show the same person as me1.jpg, me2.jpg and me3.jpg")
    assert stranger.startswith("stranger.jpg: does not show the same person as me1.jpg, me2.jpg and me3.jpg")
    assert "leave it out if it is not you" in refused.hint


def test_the_one_person_check_runs_over_the_photos_that_passed_and_joins_their_refusals():
    engine = ScriptedEngine({1: [_face(0)], 2: [_face(0)], 3: [_face(0), _face(1)], 4: [_face(1)]})
    photos = [_photo("me1.jpg", 1), _photo("me2.jpg", 2), _photo("group.jpg", 3), _photo("friend.jpg", 4)]
    refused = refused_by(engine, photos)
    assert [d.split(":")[0] for d in refused.details] == ["group.jpg", "friend.jpg"]
    assert "friend.jpg: does not show the same person as me1.jpg and me2.jpg" in refused.details[1]


def test_each_line_names_the_photo_as_given_and_in_the_order_given():
    engine = ScriptedEngine({1: [_face(1)], 2: [_face(0)], 3: [], 4: [_face(0)], 5: [_face(0)]})
    photos = [_photo("trip/friend.jpg", 1), _photo("trip/me1.jpg", 2), _photo("trip/wall.jpg", 3),
              _photo("trip/me2.jpg", 4), _photo("trip/me3.jpg", 5)]
    refused = refused_by(engine, photos)
    assert [d.split(":")[0] for d in refused.details] == ["trip/friend.jpg", "trip/wall.jpg"]
    assert refused.details[0].startswith("trip/friend.jpg: does not show the same person as me1.jpg, me2.jpg and me3.jpg")


def test_photos_added_to_a_template_are_each_checked_against_it():
    engine = ScriptedEngine({1: [_face(0)], 2: [_face(0)], 3: [_face(1)], 4: [_face(1)], 5: [_face(0)]})
    template = build_template(engine, [_photo("me1.jpg", 1), _photo("me2.jpg", 2)]).faces
    refused = refused_by(engine, [_photo("x.jpg", 3), _photo("y.jpg", 4), _photo("me3.jpg", 5)], template)
    assert refused.message == "2 of 3 photos cannot be used; nothing was added to the template"
    assert [d.split(":")[0] for d in refused.details] == ["x.jpg", "y.jpg"]
    assert all("does not show the same person as the template's reference faces" in d for d in refused.details)


def test_two_photos_of_two_people_name_the_pair():
    """With two photos nobody can tell which one is the user: the later one is named, with the other."""
    engine = ScriptedEngine({1: [_face(0)], 2: [_face(1)]})
    refused = refused_by(engine, [_photo("obama.jpg", 1), _photo("biden.jpg", 2)])
    cut = engine.thresholds.maybe
    assert refused.message == "1 of 2 photos cannot be used; nothing was enrolled"
    assert refused.details == (f"biden.jpg: does not show the same person as obama.jpg "
                               f"(similarity 0.00, at least {cut:.2f} needed)",)


def test_a_single_refused_photo_is_the_message_itself():
    refused = refused_by(ScriptedEngine({1: [_face(), _face()]}), [_photo("party.jpg", 1)])
    assert refused.message == "party.jpg: shows 2 faces; a reference photo must show only you"
    assert refused.details == ()
    assert refused.hint == "crop it to your face, or choose a photo of you alone"


@pytest.mark.parametrize("size", [(60, 75), (75, 60), (MIN_FACE_PX - 1, 400)])
def test_a_photo_too_small_for_a_face_is_called_too_small(size):
    """Even when a detector would find something in it: no face in it can be MIN_FACE_PX tall."""
    width, height = size
    refused = refused_by(ScriptedEngine({1: [_face(height=40)]}), [_photo("tiny.jpg", 1, size)])
    assert refused.message == (f"tiny.jpg: the photo is only {width}x{height} px; a face needs at least "
                               f"{MIN_FACE_PX} px")
    assert refused.hint == "use a larger photo"


def test_a_photo_just_large_enough_is_not_called_too_small():
    enrolment = build_template(ScriptedEngine({1: [_face(height=MIN_FACE_PX + 10)]}),
                               [_photo("me.jpg", 1, (MIN_FACE_PX, MIN_FACE_PX + 20))])
    assert len(enrolment.faces) == 1


@needs_faces
@pytest.mark.parametrize("engine", ["sface", "dlib"])
def test_a_real_face_downscaled_to_60x75_is_too_small_not_faceless(tmp_path, engine):
    small = tmp_path / "small.jpg"
    with Image.open(PEOPLE / "barack_obama/obama.jpg") as photo:
        photo.convert("RGB").resize((60, 75)).save(small, "JPEG")
    home = tmp_path / "ws"
    assert faceaudit(home, "consent", "--accept").code == 0
    result = faceaudit(home, "enroll", "--engine", engine, str(small))
    assert result.code == ExitCode.ENROLMENT
    flat = " ".join(result.err.split())
    assert f"the photo is only 60x75 px; a face needs at least {MIN_FACE_PX} px" in flat
    assert "no face found" not in flat and "use a larger photo" in flat


@needs_faces
def test_the_cli_lists_every_refused_photo_under_the_error_and_enrols_nothing(tmp_path):
    home = tmp_path / "ws"
    assert faceaudit(home, "consent", "--accept").code == 0
    photos = [PEOPLE / "barack_obama/obama.jpg", FACES / "groups/obama_and_biden.jpg", FACES / "noface/white.png",
              PEOPLE / "barack_obama/obama2.jpg"]
    result = faceaudit(home, "enroll", "--engine", "dlib", *map(str, photos))
    assert result.code == ExitCode.ENROLMENT
    lines = result.err.splitlines()
    assert any("[enrolment-refused]: 2 of 4 photos cannot be used; nothing was enrolled" in line for line in lines)
    assert any(line.startswith(f"  - {photos[1]}: shows ") and "faces; a reference photo must show only you" in line for line in lines), result.err
    assert any(line.startswith(f"  - {photos[2]}: no face found") for line in lines), result.err
    with Workspace.open(home) as ws:
        assert ws.template() is None


def test_a_missing_photo_is_a_usage_error_before_any_engine_loads(tmp_path, monkeypatch):
    import faceaudit.compare.engines as engines

    def no_engine(*args, **kwargs):
        raise AssertionError("the engine was loaded before the photos were read")

    monkeypatch.setattr(engines, "make_engine", no_engine)
    home = tmp_path / "ws"
    assert faceaudit(home, "consent", "--accept").code == 0
    result = faceaudit(home, "enroll", str(tmp_path / "missing.jpg"))
    assert result.code == ExitCode.USAGE
    assert "missing.jpg: no such file" in result.err


def test_half_one_person_half_another_lists_what_each_photo_does_not_match():
    """No majority: which person is the user cannot be told, so every photo is listed with the
    photos it does not match."""
    engine = ScriptedEngine({1: [_face(0)], 2: [_face(1)], 3: [_face(0)], 4: [_face(1)]})
    refused = refused_by(engine, [_photo("a1.jpg", 1), _photo("b1.jpg", 2), _photo("a2.jpg", 3), _photo("b2.jpg", 4)])
    assert refused.message == "none of the 4 photos can be used; nothing was enrolled"
    assert [d.split(" (")[0] for d in refused.details] == [
        "a1.jpg: does not match b1.jpg and b2.jpg", "b1.jpg: does not match a1.jpg and a2.jpg",
        "a2.jpg: does not match b1.jpg and b2.jpg", "b2.jpg: does not match a1.jpg and a2.jpg"]


def test_a_large_matching_group_is_counted_not_spelt_out():
    engine = ScriptedEngine({**{k: [_face(0)] for k in range(1, 6)}, 6: [_face(1)]})
    photos = [_photo(f"me{k}.jpg", k) for k in range(1, 6)] + [_photo("friend.jpg", 6)]
    (line,) = refused_by(engine, photos).details
    assert line.startswith("friend.jpg: does not show the same person as the other 5 photos (best similarity 0.00")


def test_only_undecodable_photos_exit_5_and_any_refused_face_makes_it_4():
    engine = ScriptedEngine({1: [_face(), _face()]})
    broken = [ReferencePhoto("broken.jpg", b"\xff\xd8\xff\xe0 not really a jpeg"), ReferencePhoto("text.jpg", b"hello")]
    only_files = refused_by(engine, broken)
    assert only_files.exit_code == ExitCode.IMAGE and len(only_files.details) == 2
    assert refused_by(engine, broken[:1]).exit_code == ExitCode.IMAGE
    mixed = refused_by(engine, [*broken, _photo("group.jpg", 1)])
    assert mixed.exit_code == ExitCode.ENROLMENT and len(mixed.details) == 3


def test_the_cli_exits_5_for_a_broken_photo_alone(tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    home = tmp_path / "ws"
    assert faceaudit(home, "consent", "--accept").code == 0
    result = faceaudit(home, "enroll", "--engine", "dlib", str(broken))
    assert result.code == ExitCode.IMAGE
    assert f"{broken}: file is truncated or corrupt" in result.err
