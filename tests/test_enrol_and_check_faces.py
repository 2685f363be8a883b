"""Enrolment and `check` on real photos with each offline engine, sface and dlib (../shared/faces)."""

from __future__ import annotations

import json

import pytest

from faceaudit.errors import ExitCode
from faceaudit.workspace import Workspace
from tests.support import FACES, faceaudit, needs_faces

pytestmark = [needs_faces, pytest.mark.faces]
PEOPLE = FACES / "people"
CHARACTERS = ["amy", "bernadette", "howard", "leonard", "penny", "raj", "sheldon", "stuart"]


ENGINES = ["sface", "dlib"]


@pytest.fixture(scope="module", params=ENGINES)
def obama_home(request, tmp_path_factory):
    home = tmp_path_factory.mktemp(f"obama-{request.param}")
    assert faceaudit(home, "consent", "--accept").code == 0
    result = faceaudit(home, "enroll", "--engine", request.param,
                       str(PEOPLE / "barack_obama/obama.jpg"), str(PEOPLE / "barack_obama/obama2.jpg"))
    assert result.code == 0, result.err
    return home


def test_enrolment_stores_two_reference_faces_with_the_engine(obama_home):
    with Workspace.open(obama_home) as ws:
        template = ws.template()
    assert template is not None
    assert template.engine in ENGINES and template.engine in obama_home.name
    assert [f.photo_name for f in template.faces] == ["obama.jpg", "obama2.jpg"]
    assert all(abs(float((f.embedding**2).sum()) - 1.0) < 1e-4 for f in template.faces)


def test_check_finds_the_enrolled_person_in_independent_photos(obama_home):
    photos = [PEOPLE / "barack_obama/obama1.jpg", PEOPLE / "barack_obama/obama3.jpg"]
    result = faceaudit(obama_home, "check", "--json", *map(str, photos))
    assert result.code == 0, result.err
    checked = json.loads(result.out)
    assert [c["path"] for c in checked] == [str(p) for p in photos]
    for photo in checked:
        assert photo["faces"][0]["verdict"] == "you", photo
        assert len(photo["faces"][0]["box"]) == 4


def test_check_never_calls_someone_else_you(obama_home):
    others = sorted(
        [*PEOPLE.glob("joe_biden/*"), *PEOPLE.glob("kit_harington/*")]
        + [p for c in CHARACTERS for p in (PEOPLE / c).iterdir()]
    )
    assert len(others) > 40
    result = faceaudit(obama_home, "check", "--json", *map(str, others))
    assert result.code == 0, result.err
    faces = [(photo["path"], face) for photo in json.loads(result.out) for face in photo["faces"]]
    assert faces, "faces should have been found in these photos"
    assert [(path, f) for path, f in faces if f["verdict"] == "you"] == []


def test_check_reports_an_unreadable_photo_and_keeps_going(obama_home, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    result = faceaudit(obama_home, "check", "--json", str(broken), str(PEOPLE / "barack_obama/obama1.jpg"))
    assert result.code == ExitCode.IMAGE
    first, second = json.loads(result.out)
    assert first["path"] == str(broken) and first["faces"] == [] and first["error"]
    assert second["faces"][0]["verdict"] == "you"


def test_check_stores_nothing(obama_home):
    db = obama_home / "faceaudit.db"
    before = db.read_bytes()
    faceaudit(obama_home, "check", str(PEOPLE / "barack_obama/obama1.jpg"))
    with Workspace.open(obama_home) as ws:
        ws.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert ws.db.execute("SELECT COUNT(*) FROM images").fetchone()[0] == 0
        assert ws.db.execute("SELECT COUNT(*) FROM findings").fetchone()[0] == 0
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    ("photos", "named", "reason"),
    [
        (["../groups/obama_and_biden.jpg"], "obama_and_biden.jpg", "faces; a reference photo must show only you"),
        (["../noface/white.png"], "white.png", "no face found"),
        (["barack_obama/obama.jpg", "joe_biden/biden.jpg"], "biden.jpg", "does not show the same person"),
    ],
)
@pytest.mark.parametrize("engine", ENGINES)
def test_enrolment_refuses_groups_empty_photos_and_two_people(tmp_path, photos, named, reason, engine):
    assert faceaudit(tmp_path, "consent", "--accept").code == 0
    result = faceaudit(tmp_path, "enroll", "--engine", engine, *[str(PEOPLE / p) for p in photos])
    assert result.code == ExitCode.ENROLMENT
    assert named in result.err and reason in result.err
    assert "[enrolment-refused]" in result.err
    with Workspace.open(tmp_path) as ws:
        assert ws.template() is None
