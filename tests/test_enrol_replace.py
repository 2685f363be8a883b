"""`faceaudit enroll` on a workspace that already has a template: refused unless told, `--replace`
asks for a typed yes (or `--yes` in scripts), and the same photo given twice counts once."""

from __future__ import annotations

from pathlib import Path

import pytest

from faceaudit.demo.fixture import DemoFixture, build_demo_fixture
from faceaudit.errors import ExitCode
from faceaudit.workspace import Workspace
from tests.support import Result, faceaudit


@pytest.fixture(scope="module")
def fixture() -> DemoFixture:
    return build_demo_fixture()


@pytest.fixture()
def photos(fixture: DemoFixture, tmp_path: Path) -> list[str]:
    """The demo person's three reference photos, as files."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for name, data in fixture.reference_photos:
        (folder / name).write_bytes(data)
    return [str(folder / name) for name, _ in fixture.reference_photos]


@pytest.fixture()
def home(tmp_path: Path, photos: list[str]) -> Path:
    """A workspace with a template of the first two photos."""
    home = tmp_path / "ws"
    assert faceaudit(home, "consent", "--accept").code == 0
    enrolled = faceaudit(home, "enroll", "--engine", "dlib", *photos[:2])
    assert enrolled.code == 0, enrolled.err
    return home


def template_photos(home: Path) -> list[str]:
    """The photo names in the template, and no others left in the database."""
    with Workspace.open(home) as ws:
        template = ws.template()
        rows = ws.db.execute("SELECT COUNT(*) FROM reference_faces").fetchone()[0]
    assert template is not None and rows == len(template.faces)
    return [face.photo_name for face in template.faces]


def error_lines(result: Result) -> list[str]:
    return [line for line in result.err.splitlines() if line.strip()]


def test_a_second_enrolment_is_refused_in_one_line_and_changes_nothing(home: Path, photos: list[str]) -> None:
    result = faceaudit(home, "enroll", "--engine", "dlib", photos[2])
    assert result.code == ExitCode.ENROLMENT == 4
    (line,) = error_lines(result)
    assert "[template-exists]" in line and "2 reference face(s)" in line
    assert line.endswith("use --add to extend it or --replace to start over")
    assert template_photos(home) == ["alex-portrait.jpg", "alex-close.jpg"]


def test_replace_asks_for_a_typed_yes_and_then_deletes_the_old_faces(home: Path, photos: list[str]) -> None:
    result = faceaudit(home, "enroll", "--replace", photos[2], typed="yes\n")
    assert result.code == 0, result.err
    assert "Type yes to replace it" in result.out
    assert "This deletes the template (2 reference face(s)" in result.err
    assert "replaced the previous template (2 face(s)" in result.err
    assert template_photos(home) == ["alex-bright.jpg"]


@pytest.mark.parametrize("typed", ["no\n", "y\n", "\n"])
def test_replace_keeps_the_template_unless_yes_is_typed(home: Path, photos: list[str], typed: str) -> None:
    result = faceaudit(home, "enroll", "--replace", photos[2], typed=typed)
    assert result.code == ExitCode.ENROLMENT
    assert "the template was kept: nothing was replaced" in result.err
    assert template_photos(home) == ["alex-portrait.jpg", "alex-close.jpg"]


def test_replace_in_a_script_needs_yes(home: Path, photos: list[str]) -> None:
    refused = faceaudit(home, "enroll", "--replace", photos[2])  # no terminal to ask in
    assert refused.code == ExitCode.USAGE
    assert "no terminal to ask in" in refused.err and "--replace --yes" in refused.err
    assert template_photos(home) == ["alex-portrait.jpg", "alex-close.jpg"]
    replaced = faceaudit(home, "enroll", "--replace", "--yes", photos[2])
    assert replaced.code == 0, replaced.err
    assert "Type yes" not in replaced.out and "This deletes" not in replaced.err
    assert template_photos(home) == ["alex-bright.jpg"]


def test_replace_on_an_empty_workspace_just_enrols(tmp_path: Path, photos: list[str]) -> None:
    home = tmp_path / "ws"  # tmp_path holds the photos: a folder with other files is no workspace
    assert faceaudit(home, "consent", "--accept").code == 0
    result = faceaudit(home, "enroll", "--engine", "dlib", "--replace", photos[0])  # nothing to ask about
    assert result.code == 0, result.err
    assert "replaced" not in result.err
    assert template_photos(home) == ["alex-portrait.jpg"]


def test_add_and_replace_together_is_a_usage_error(home: Path, photos: list[str]) -> None:
    result = faceaudit(home, "enroll", "--add", "--replace", "--yes", photos[2])
    assert result.code == ExitCode.USAGE
    assert "--add and --replace cannot be used together" in result.err
    assert template_photos(home) == ["alex-portrait.jpg", "alex-close.jpg"]


def test_the_same_photo_twice_counts_once(tmp_path: Path, photos: list[str]) -> None:
    home = tmp_path / "ws"  # tmp_path holds the photos: a folder with other files is no workspace
    assert faceaudit(home, "consent", "--accept").code == 0
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(Path(photos[0]).read_bytes())
    result = faceaudit(home, "enroll", "--engine", "dlib", photos[0], photos[0], str(copy))
    assert result.code == 0, result.err
    assert "Enrolled 1 reference face(s)" in result.out
    assert f"skipped {copy}: same photo as {photos[0]}" in result.err
    assert "only 1 reference photo(s)" in result.err  # the advice counts photos, not file names
    assert template_photos(home) == ["alex-portrait.jpg"]


def test_add_skips_a_photo_already_in_the_template(home: Path, photos: list[str]) -> None:
    nothing_new = faceaudit(home, "enroll", "--add", photos[0])
    assert nothing_new.code == ExitCode.ENROLMENT
    assert "nothing to add: every photo given is already in the template" in nothing_new.err
    added = faceaudit(home, "enroll", "--add", photos[1], photos[2])
    assert added.code == 0, added.err
    assert "skipped" in added.err and "same photo as alex-close.jpg (already in the template)" in added.err
    assert "Enrolled 1 reference face(s)" in added.out and "3 in the template" in added.out
    assert template_photos(home) == ["alex-portrait.jpg", "alex-close.jpg", "alex-bright.jpg"]
