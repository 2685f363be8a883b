"""A scan stopped half-way resumes where it stopped and analyses nothing twice."""

from __future__ import annotations

import pytest

from faceaudit import consent
from faceaudit.compare.engines.dlib_engine import DlibEngine
from faceaudit.compare.matcher import Matcher
from faceaudit.compare.reference import ReferencePhoto, build_template
from faceaudit.crawl import sites
from faceaudit.crawl.net import NetworkPolicy
from faceaudit.demo.fixture import build_demo_fixture
from faceaudit.demo.server import FixtureServer
from faceaudit.scan import ScanOptions, run_scan
from faceaudit.workspace import Workspace
from tests.support import scan_network_args, set_up_demo_person

pytestmark = pytest.mark.browser


class StopAfter:
    """Progress that behaves like Ctrl-C after `n` analysed images."""

    def __init__(self, n: int | None) -> None:
        self.n = n
        self.analysed: list[str] = []

    def account_started(self, account): pass
    def image_found(self, account, candidate): pass
    def account_finished(self, account, result): pass

    def image_analysed(self, account, url, status, yours):
        self.analysed.append(url)
        if self.n is not None and len(self.analysed) >= self.n:
            raise KeyboardInterrupt


def test_an_interrupted_scan_resumes_and_analyses_nothing_twice(tmp_path, chromium):
    fixture = build_demo_fixture()
    engine = DlibEngine()
    with FixtureServer(fixture.sites) as server, Workspace.open(tmp_path) as ws:
        assert server.certificate is not None
        policy = NetworkPolicy(resolve={h: ("127.0.0.1", server.port) for h in fixture.sites},
                               allow_dns=False, ca_cert=server.certificate.cert_pem, min_interval=0.0)
        consent.accept(ws, "--accept")
        faces = build_template(engine, [ReferencePhoto(n, d) for n, d in fixture.reference_photos]).faces
        ws.save_template(engine.name, engine.describe(), faces)
        for url in fixture.account_urls:
            ws.add_account(url, sites.find(url).name)
        matcher = Matcher([f.embedding for f in faces], engine.thresholds)

        first = StopAfter(3)
        with pytest.raises(KeyboardInterrupt):
            run_scan(ws, engine, matcher, ScanOptions(policy=policy), first)
        scan_id = ws.unfinished_scan()
        assert scan_id is not None
        assert ws.latest_scan()["status"] == "interrupted"
        done_before = ws.db.execute("SELECT url FROM images WHERE scan_id = ?", (scan_id,)).fetchall()
        assert len(done_before) == 3

        second = StopAfter(None)
        assert run_scan(ws, engine, matcher, ScanOptions(policy=policy), second) == scan_id
        assert ws.latest_scan()["status"] == "complete"
        assert set(second.analysed).isdisjoint(first.analysed)
        urls = [r[0] for r in ws.db.execute("SELECT url FROM images WHERE scan_id = ?", (scan_id,))]
        assert len(urls) == len(set(urls))
        found = {r[0] for r in ws.db.execute(
            "SELECT i.url FROM findings f JOIN images i ON i.id = f.image_id WHERE f.verdict = 'you'")}
        assert found == set(fixture.person_images)


def test_a_scan_killed_with_sigkill_resumes_on_the_next_scan(tmp_path, chromium):
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    fixture = build_demo_fixture()
    collected = len(fixture.person_images + fixture.other_images + fixture.noface_images)
    home = tmp_path / "ws"
    with FixtureServer(fixture.sites) as server:
        cli = [sys.executable, "-m", "faceaudit", "--home", str(home)]
        net = scan_network_args(server)
        set_up_demo_person(lambda *args: subprocess.run([*cli, *args], check=True, capture_output=True),
                           fixture, tmp_path)

        scan = subprocess.Popen([*cli, "scan", *net], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        recorded = 0
        while time.monotonic() < deadline and scan.poll() is None:
            with sqlite3.connect(f"file:{home / 'faceaudit.db'}?mode=ro", uri=True) as db:
                recorded = db.execute("SELECT COUNT(*) FROM images").fetchone()[0]
            if recorded >= 4:
                break
            time.sleep(0.05)
        assert scan.poll() is None, "the scan finished before it could be killed"
        os.kill(scan.pid, signal.SIGKILL)
        scan.wait()

        with Workspace.open(home) as ws:
            assert ws.latest_scan()["status"] == "running"  # killed: nobody marked it
            before = ws.db.execute("SELECT COUNT(*) FROM images").fetchone()[0]
        assert 4 <= before < collected
        fetched_before = len(server.log)
        resumed = subprocess.run([*cli, "scan", *net], capture_output=True, text=True)
        assert resumed.returncode == 0, resumed.stderr
        second_half = [path for _, path in server.log[fetched_before:]]

    with Workspace.open(home) as ws:
        scans = ws.db.execute("SELECT id, status FROM scans").fetchall()
        urls = [r[0] for r in ws.db.execute("SELECT url FROM images")]
        done_first = [r[0] for r in ws.db.execute("SELECT url FROM images ORDER BY id LIMIT ?", (before,))]
    assert [tuple(s) for s in scans] == [(1, "complete")]
    assert len(urls) == len(set(urls)) == collected
    for url in done_first:  # what the killed scan recorded was not fetched again
        assert url.split("://", 1)[1].split("/", 1)[1] not in {p.lstrip("/") for p in second_half}
