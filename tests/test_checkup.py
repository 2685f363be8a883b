"""The checkup as a library, with no command line: enrol, scan the demo person's fixture accounts,
report, check and forget by calling faceaudit/checkup.py, and the same errors as the CLI's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from faceaudit import checkup, consent
from faceaudit.crawl import sites
from faceaudit.crawl.net import NetworkPolicy
from faceaudit.demo.fixture import DemoFixture, build_demo_fixture
from faceaudit.demo.server import FixtureServer
from faceaudit.errors import (
    ConsentRequired,
    FaceauditError,
    NotEnrolled,
    TemplateExists,
    UsageError,
)
from faceaudit.report.model import ReportData
from faceaudit.scan import ScanOptions
from faceaudit.types import CrawlResult, ImageCandidate, Template
from faceaudit.workspace import Account, Workspace
from tests.support import faceaudit, fixture_policy


class Watch:
    """A scan's progress as the checkup reports it: when it was entered, and what it was told."""

    def __init__(self) -> None:
        self.entered = 0
        self.finished: dict[str, str] = {}  # account URL -> why its crawl stopped
        self.found = 0

    def __enter__(self) -> Watch:
        self.entered += 1
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def account_started(self, account: Account) -> None:
        pass

    def image_found(self, account: Account, candidate: ImageCandidate) -> None:
        self.found += 1

    def image_analysed(self, account: Account, url: str, status: str, yours: int) -> None:
        pass

    def account_finished(self, account: Account, result: CrawlResult) -> None:
        self.finished[account.url] = result.stop.value


@pytest.fixture(scope="module")
def fixture() -> DemoFixture:
    return build_demo_fixture()


@pytest.fixture(scope="module")
def server(fixture: DemoFixture) -> Iterator[FixtureServer]:
    with FixtureServer(fixture.sites) as running:
        yield running


def plain_http_accounts(fixture: DemoFixture) -> list[str]:
    """The demo person's accounts that are read without a browser: all but the website."""
    return [url for url in fixture.account_urls if sites.find(url).name != "web"]


def photo_files(fixture: DemoFixture, folder: Path) -> list[Path]:
    """The demo person's reference photos, as files a user would pass to `enroll`."""
    paths = []
    for name, data in fixture.reference_photos:
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    return paths


@pytest.fixture(scope="module")
def scanned(fixture: DemoFixture, server: FixtureServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """consent → enrol (from files, dlib) → add the accounts → scan → report, all in one workspace."""
    home, folder = tmp_path_factory.mktemp("ws"), tmp_path_factory.mktemp("photos")
    notes: list[str] = []
    busy: list[str] = []

    @contextmanager
    def spinner(text: str) -> Iterator[None]:
        busy.append(text)
        yield

    watch = Watch()
    with Workspace.open(home) as ws:
        consent.accept(ws, "--accept")
        enrolled = checkup.enrol(ws, photo_files(fixture, folder), engine="dlib", note=notes.append, busy=spinner)
        for url in plain_http_accounts(fixture):
            ws.add_account(url, sites.find(url).name)
        policy: NetworkPolicy = fixture_policy(server, min_interval=0)
        scan_id = checkup.scan(ws, ScanOptions(policy=policy, fresh=True), progress=watch, note=notes.append)
        report, extra = checkup.report(ws)
    return {"home": home, "enrolled": enrolled, "notes": notes, "busy": busy, "watch": watch,
            "scan_id": scan_id, "report": report, "extra": extra, "folder": folder}


def test_enrol_says_what_it_did(scanned: dict[str, Any], fixture: DemoFixture) -> None:
    enrolled: checkup.Enrolled = scanned["enrolled"]
    assert enrolled.engine == "dlib"
    assert enrolled.new_faces == enrolled.total_faces == len(fixture.reference_photos)
    assert enrolled.replaced is None  # the first template
    assert scanned["notes"][0] == "engine: dlib (asked for with --engine)"
    assert scanned["busy"] == [f"finding faces in {len(fixture.reference_photos)} photo(s)…"]
    with Workspace.open(scanned["home"]) as ws:
        template = ws.template()
    assert template is not None and template.engine == "dlib" and len(template.faces) == enrolled.total_faces


def test_scan_reports_progress_and_finds_the_person(scanned: dict[str, Any], fixture: DemoFixture) -> None:
    watch: Watch = scanned["watch"]
    assert watch.entered == 1 and watch.found > 0
    assert watch.finished == {url: "end" for url in plain_http_accounts(fixture)}
    assert scanned["notes"][-1].startswith(f"scan {scanned['scan_id']} finished in ")

    report: ReportData = scanned["report"]
    assert report.scan_id == scanned["scan_id"] and scanned["extra"] == {}
    assert [a.url for a in report.accounts] == plain_http_accounts(fixture)
    found = {f.image_url for a in report.accounts for f in a.findings if f.verdict == "you"}
    website = urlsplit(fixture.account_urls[0]).hostname
    assert found == {url for url in fixture.person_images if urlsplit(url).hostname != website}


def test_a_report_past_the_retention_period_says_so(scanned: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consent, "clock", lambda: dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=400))
    with Workspace.open(scanned["home"]) as ws:
        report, extra = checkup.report(ws, scanned["scan_id"])
    assert extra["retention"]["days"] == 90
    assert any("past its retention period" in w and "faceaudit forget" in w for w in report.warnings)


def test_check_finds_the_person_in_a_reference_photo(scanned: dict[str, Any]) -> None:
    calls: list[tuple[int, int]] = []

    @contextmanager
    def bar() -> Iterator[Callable[[int, int], None]]:
        yield lambda done, total: calls.append((done, total))

    photo = next(scanned["folder"].iterdir())
    with Workspace.open(scanned["home"]) as ws:
        (result,) = checkup.check(ws, [photo], progress=bar())
    assert result["path"] == str(photo)
    assert [face["verdict"] for face in result["faces"]] == ["you"]
    assert calls == [(1, 1)]


def test_enrolling_again_replaces_the_template_only_when_told_and_add_extends_it(
    fixture: DemoFixture, tmp_path: Path,
) -> None:
    photos = photo_files(fixture, tmp_path)
    with Workspace.open(tmp_path / "ws") as ws:
        consent.accept(ws, "--accept")
        first = checkup.enrol(ws, photos[:2], engine="dlib")
        with pytest.raises(TemplateExists, match="use --add to extend it or --replace to start over"):
            checkup.enrol(ws, photos[2:], engine="dlib")
        again = checkup.enrol(ws, photos[:1], engine="dlib", replace=True)
        added = checkup.enrol(ws, photos[1:], engine="auto", add=True)  # the template's engine, not auto's
    assert (first.new_faces, first.total_faces, first.replaced) == (2, 2, None)
    assert again.replaced is not None and len(again.replaced.faces) == 2 and again.total_faces == 1
    assert (added.engine, added.new_faces, added.total_faces, added.replaced) == ("dlib", 2, 3, None)


def test_a_replacement_the_user_declines_changes_nothing(fixture: DemoFixture, tmp_path: Path) -> None:
    photos = photo_files(fixture, tmp_path)
    asked: list[int] = []

    def decline(template: Template) -> bool:
        asked.append(len(template.faces))
        return False

    with Workspace.open(tmp_path / "ws") as ws:
        consent.accept(ws, "--accept")
        checkup.enrol(ws, photos[:2], engine="dlib")
        before = ws.template()
        with pytest.raises(TemplateExists, match="nothing was replaced"):
            checkup.enrol(ws, photos[2:], engine="dlib", replace=True, confirm_replace=decline)
        after = ws.template()
        replaced = checkup.enrol(ws, photos[2:], engine="dlib", replace=True, confirm_replace=lambda t: True)
    assert asked == [2]
    assert before is not None and after is not None
    assert [f.photo_sha256 for f in after.faces] == [f.photo_sha256 for f in before.faces]
    assert replaced.replaced is not None and replaced.total_faces == 1


def test_forget_deletes_the_workspace_and_its_key(fixture: DemoFixture, tmp_path: Path) -> None:
    home = tmp_path / "ws"
    assert checkup.forget(home) is None  # nothing there: nothing to delete
    with Workspace.open(home) as ws:
        consent.accept(ws, "--accept")
        checkup.enrol(ws, photo_files(fixture, tmp_path)[:1], engine="dlib")
    keys = checkup.forget(home)
    assert keys is not None and len(keys) == 1
    assert [p for p in home.rglob("*") if p.is_file()] == []


# -- the same errors as the CLI --------------------------------------------------------------
def _consented(home: Path) -> None:
    with Workspace.open(home) as ws:
        consent.accept(ws, "--accept")


def _enrolled(fixture: DemoFixture, home: Path) -> None:
    with Workspace.open(home) as ws:
        consent.accept(ws, "--accept")
        checkup.enrol(ws, photo_files(fixture, home)[:1], engine="dlib")


# (name, workspace set-up, checkup call, CLI arguments, error expected)
CASES: list[tuple[str, Callable[[DemoFixture, Path], None], Callable[[Workspace, Path], object], list[str],
                  type[FaceauditError], str]] = [
    ("enrol before consent", lambda f, home: None,
     lambda ws, photo: checkup.enrol(ws, [photo]), ["enroll", "PHOTO"],
     ConsentRequired, "no consent recorded in this workspace"),
    ("add to no template", lambda f, home: _consented(home),
     lambda ws, photo: checkup.enrol(ws, [photo], add=True), ["enroll", "--add", "PHOTO"],
     NotEnrolled, "--add needs an existing template"),
    ("add and replace at once", _enrolled,
     lambda ws, photo: checkup.enrol(ws, [photo], add=True, replace=True), ["enroll", "--add", "--replace", "PHOTO"],
     UsageError, "--add and --replace cannot be used together"),
    ("scan before consent", lambda f, home: None,
     lambda ws, photo: checkup.scan(ws, ScanOptions(), progress=Watch()), ["scan"],
     ConsentRequired, "no consent recorded in this workspace"),
    ("scan before enrolment", lambda f, home: _consented(home),
     lambda ws, photo: checkup.scan(ws, ScanOptions(), progress=Watch()), ["scan"],
     NotEnrolled, "no reference photos enrolled yet"),
    ("scan with no account", _enrolled,
     lambda ws, photo: checkup.scan(ws, ScanOptions(), progress=Watch()), ["scan"],
     UsageError, "no accounts listed"),
    ("report before a scan", lambda f, home: None,
     lambda ws, photo: checkup.report(ws), ["report"],
     UsageError, "no scan to report on yet"),
    ("check before enrolment", lambda f, home: _consented(home),
     lambda ws, photo: checkup.check(ws, [photo]), ["check", "PHOTO"],
     NotEnrolled, "no reference photos enrolled yet"),
]


@pytest.mark.parametrize("name, set_up, call, args, error, message", CASES, ids=[case[0] for case in CASES])
def test_the_checkup_refuses_as_the_cli_does(
    fixture: DemoFixture, tmp_path: Path, name: str, set_up: Callable[[DemoFixture, Path], None],
    call: Callable[[Workspace, Path], object], args: list[str], error: type[FaceauditError], message: str,
) -> None:
    home = tmp_path / "ws"
    home.mkdir()
    set_up(fixture, home)
    photo = photo_files(fixture, tmp_path)[0]
    with Workspace.open(home) as ws, pytest.raises(error) as caught:
        call(ws, photo)
    assert type(caught.value) is error and caught.value.message == message and caught.value.hint

    cli = faceaudit(home, *[str(photo) if a == "PHOTO" else a for a in args])
    assert cli.code == caught.value.exit_code
    assert f"[{caught.value.ref}]: {message}" in cli.err and f"hint: {caught.value.hint}" in cli.err


def test_a_refused_scan_shows_no_progress(fixture: DemoFixture, tmp_path: Path) -> None:
    watch = Watch()
    _consented(tmp_path)
    with Workspace.open(tmp_path) as ws, pytest.raises(NotEnrolled):
        checkup.scan(ws, ScanOptions(), progress=watch)
    assert watch.entered == 0


def test_paths_that_are_not_photo_files_are_refused_by_the_library_as_by_the_cli(tmp_path: Path) -> None:
    """`enrol` and `check` refuse a missing path or a folder before anything else, every such
    path at once, with the same words whether the CLI or a library caller asks."""
    missing = tmp_path / "missing.jpg"
    with Workspace.open(tmp_path / "ws") as ws:
        for call in (lambda: checkup.enrol(ws, [missing, tmp_path]), lambda: checkup.check(ws, [missing, tmp_path])):
            with pytest.raises(UsageError) as refused:
                call()
            assert refused.value.message == "neither of the 2 paths is a photo file"
            assert refused.value.details == (f"{missing}: no such file", f"{tmp_path}: is a folder, not a photo")
    cli = faceaudit(tmp_path / "ws", "check", str(missing), str(tmp_path))
    assert "neither of the 2 paths is a photo file" in cli.err and f"  - {missing}: no such file" in cli.err
