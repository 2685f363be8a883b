"""A full scan of the demo's fixture accounts through the CLI, then a look at what is on disk.

The user's commands are the README's: consent, enroll, accounts add, scan (pointed at the
fixture server with --resolve / --ca-cert / --no-dns), report --json.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from faceaudit.compare.engines.dlib_engine import DlibEngine
from faceaudit.compare.imageio import decode
from faceaudit.crawl import sites
from faceaudit.demo.fixture import DemoFixture, build_demo_fixture
from faceaudit.demo.server import FixtureServer
from faceaudit.workspace import Workspace
from tests.support import faceaudit, run_ok, scan_network_args, set_up_demo_person

pytestmark = pytest.mark.browser


def _image_bytes(fixture: DemoFixture, url: str) -> bytes:
    return fixture.served(url)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, chromium):
    fixture = build_demo_fixture()
    home = tmp_path_factory.mktemp("ws")
    with FixtureServer(fixture.sites) as server:
        net_args = scan_network_args(server)
        set_up_demo_person(run_ok(home), fixture, tmp_path_factory.mktemp("refs"))
        # A second connection held open keeps SQLite from folding its WAL back into the
        # database when the scan closes: the WAL's own bytes are inspected too.
        keeper = sqlite3.connect(home / "faceaudit.db")
        keeper.execute("SELECT COUNT(*) FROM images").fetchone()
        scan = faceaudit(home, "scan", *net_args)
        on_disk = {p.name: p.read_bytes() for p in Path(home).iterdir() if p.is_file()}
        keeper.close()
        log = list(server.log)
    report = faceaudit(home, "report", "--json")
    assert report.code == 0, report.err
    return fixture, home, scan, json.loads(report.out), log, on_disk


def _findings(report: dict) -> list[dict]:
    return [f for account in report["accounts"] for f in account["findings"]]


def test_scan_finds_every_photo_of_the_person_and_nobody_else(scanned):
    fixture, _, scan, report, _, _ = scanned
    assert scan.code == 0, scan.err
    yours = {f["image_url"] for f in _findings(report) if f["verdict"] == "you"}
    assert yours == set(fixture.person_images)
    flagged = {f["image_url"] for f in _findings(report)}
    assert flagged.isdisjoint(fixture.other_images) and flagged.isdisjoint(fixture.noface_images)


def test_scan_visits_only_the_listed_accounts(scanned):
    fixture, _, _, _, log, _ = scanned
    hosts = {host for host, _ in log}
    assert hosts <= set(fixture.sites)
    scopes = [sites.find(url).scope() for url in fixture.account_urls]
    images = set(fixture.person_images + fixture.other_images + fixture.noface_images)
    for host, path in log:
        url = f"https://{host}{path}"
        assert "someone_else" not in path and url not in fixture.boosted_images, url
        assert url in images or any(scope.allows(url) for scope in scopes), url


def test_no_embedding_crop_or_thumbnail_of_another_person_is_on_disk(scanned):
    fixture, home, _, report, _, on_disk = scanned
    engine = DlibEngine()
    other_vectors = []
    for url in fixture.other_images:
        for face in engine.detect(decode(_image_bytes(fixture, url), source=url).rgb):
            other_vectors.append(face.embedding.tobytes())
    assert other_vectors, "the fixture should contain other people's faces"
    assert len(on_disk.get("faceaudit.db-wal", b"")) > 0, "the WAL should have been captured"
    blobs = b"".join(on_disk.values()) + b"".join(p.read_bytes() for p in Path(home).iterdir() if p.is_file())
    for vector in other_vectors:
        # the first 8 values are enough to recognise a stored copy, in the DB or its WAL
        assert vector[:32] not in blobs
    with Workspace.open(home) as ws:
        thumbs = ws.db.execute(
            "SELECT f.verdict, f.thumbnail, i.url FROM findings f JOIN images i ON i.id = f.image_id"
        ).fetchall()
        stored_embeddings = ws.db.execute("SELECT COUNT(*) FROM reference_faces").fetchone()[0]
    assert stored_embeddings == len(fixture.reference_photos)
    for verdict, thumbnail, url in thumbs:
        assert url in fixture.person_images
        assert (thumbnail is not None) == (verdict == "you")
    # other people are counted, never described
    assert any(account["other_faces"] > 0 for account in report["accounts"])


def test_forget_after_a_scan_leaves_nothing(scanned, tmp_path):
    _, home, _, _, _, _ = scanned
    # copy the workspace so the other tests in this module keep theirs
    copy = tmp_path / "ws"
    copy.mkdir()
    for path in Path(home).iterdir():
        if path.is_file():
            (copy / path.name).write_bytes(path.read_bytes())
    assert faceaudit(copy, "forget", "--yes").code == 0
    assert [p for p in copy.rglob("*") if p.is_file()] == []
    assert faceaudit(copy, "report").code != 0
