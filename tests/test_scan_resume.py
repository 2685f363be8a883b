"""A scan stopped half-way resumes where it stopped and analyses nothing twice."""

from __future__ import annotations

import contextlib

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


def _recorded(home) -> set[str]:
    import sqlite3

    with sqlite3.connect(f"file:{home / 'faceaudit.db'}?mode=ro", uri=True) as db:
        return {url for (url,) in db.execute("SELECT url FROM images")}


def _outcome(home) -> dict[str, object]:
    """What a scan found, without ids or times: to compare a killed-and-resumed scan with a clean one."""
    import sqlite3

    with sqlite3.connect(home / "faceaudit.db") as db:
        return {
            "scans": db.execute("SELECT status FROM scans").fetchall(),
            "images": sorted(db.execute("SELECT url, status, error, faces, other_faces FROM images").fetchall()),
            "findings": sorted(db.execute(
                "SELECT i.url, f.verdict, ROUND(f.similarity, 3), f.box FROM findings f"
                " JOIN images i ON i.id = f.image_id").fetchall()),
            "accounts": sorted(db.execute(
                "SELECT a.url, s.stop, s.stop_detail, s.done FROM scan_accounts s"
                " JOIN accounts a ON a.id = s.account_id").fetchall()),
        }


def test_twenty_kill_9s_at_random_moments_lose_nothing_and_repeat_nothing(tmp_path, chromium):
    """kill -9 twenty times, at seeded random moments of crawling and analysing, resuming after
    each: the scan completes, the database is sound, no image is recorded twice, nothing already
    recorded is fetched (let alone analysed) again, and the findings are a clean scan's."""
    import dataclasses
    import os
    import random
    import signal
    import sqlite3
    import subprocess
    import sys
    import threading
    import time

    fixture = build_demo_fixture()
    # The website (the one account read in Chromium, slow to start) last: kills then land in
    # every part of the scan rather than mostly in restarting the browser.
    fixture = dataclasses.replace(fixture, account_urls=[*fixture.account_urls[1:], fixture.account_urls[0]])
    rng = random.Random(20240611)
    cli = [sys.executable, "-m", "faceaudit"]
    clean_home, home = tmp_path / "clean", tmp_path / "killed"
    # The clean scan runs alongside, on its own server, so each server's log is one scan's.
    with FixtureServer(fixture.sites) as clean_server, FixtureServer(fixture.sites) as server:
        setups = [threading.Thread(target=set_up_demo_person, args=(
            lambda *args, h=where: subprocess.run([*cli, "--home", str(h), *args], check=True, capture_output=True),
            fixture, tmp_path / f"{where.name}-photos")) for where in (clean_home, home)]
        for where, thread in zip((clean_home, home), setups, strict=True):
            # The photos apart from the workspace: a workspace folder holds only faceaudit's files.
            (tmp_path / f"{where.name}-photos").mkdir()
            thread.start()
        for thread in setups:
            thread.join()
        clean = subprocess.Popen([*cli, "--home", str(clean_home), "scan", *scan_network_args(clean_server)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        net = scan_network_args(server)

        kills: list[int] = []  # images recorded when each kill landed
        collected = len(fixture.person_images + fixture.other_images + fixture.noface_images)
        targets = sorted(rng.randrange(0, int(collected * 0.85)) for _ in range(20))
        fetched_per_run: list[set[str]] = []
        recorded_before_run: list[set[str]] = []
        runs = 0
        while len(kills) < 20:
            runs += 1
            assert runs < 40, f"only {len(kills)} kills landed in {runs} runs"
            recorded_before_run.append(_recorded(home))
            start = len(server.log)
            scan = subprocess.Popen([*cli, "--home", str(home), "scan", *net], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
            # Each kill has a target: a number of recorded images, drawn up front (seeded) over
            # the first 85% of the scan, so kills land all through it and it cannot finish before
            # the twentieth. A target already reached means a moment of start-up or crawling
            # (a random delay); otherwise the kill comes just after the scan reaches it.
            target = targets[len(kills)]
            if target <= len(recorded_before_run[-1]):
                time.sleep(rng.uniform(0.1, 1.2))
            else:
                waited = time.monotonic() + 60
                while scan.poll() is None and time.monotonic() < waited and len(_recorded(home)) < target:
                    time.sleep(0.02)
                time.sleep(rng.uniform(0.0, 0.3))
            if scan.poll() is None:
                os.kill(scan.pid, signal.SIGKILL)
                scan.wait()
                kills.append(len(_recorded(home)))
            # What the killed process left behind (Chromium, its driver, analysis workers) goes too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(scan.pid, signal.SIGKILL)
            assert scan.returncode in (0, -signal.SIGKILL), scan.returncode
            fetched_per_run.append({f"https://{host}{path}" for host, path in server.log[start:]})
            if scan.returncode == 0:
                break  # finished between two kills: nothing left to kill
        assert len(kills) == 20, f"the scan finished after {len(kills)} kills; give it more to do"
        recorded_before_run.append(_recorded(home))
        start = len(server.log)
        final = subprocess.run([*cli, "--home", str(home), "scan", *net], capture_output=True, text=True)
        assert final.returncode == 0, final.stderr
        fetched_per_run.append({f"https://{host}{path}" for host, path in server.log[start:]})
        _, clean_err = clean.communicate(timeout=120)
        assert clean.returncode == 0, clean_err

    with sqlite3.connect(home / "faceaudit.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        urls = [url for (url,) in db.execute("SELECT url FROM images")]
    assert len(urls) == len(set(urls))  # no image recorded twice
    for already, fetched in zip(recorded_before_run, fetched_per_run, strict=True):
        assert not already & fetched, "an image recorded before the run was fetched again"
    assert _outcome(home) == _outcome(clean_home)
    # The kills landed all through the scan, not only at start-up.
    assert len(set(kills)) >= 10, kills
    assert max(kills) >= len(urls) // 2, kills


def test_ctrl_c_keeps_what_was_recorded_says_how_to_resume_and_the_scan_resumes(tmp_path, chromium):
    """Ctrl-C in a terminal: SIGINT to the whole process group (faceaudit, Chromium, workers)."""
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    fixture = build_demo_fixture()
    home = tmp_path / "ws"
    cli = [sys.executable, "-m", "faceaudit", "--home", str(home)]
    with FixtureServer(fixture.sites) as server:
        net = scan_network_args(server)
        set_up_demo_person(lambda *args: subprocess.run([*cli, *args], check=True, capture_output=True),
                           fixture, tmp_path)
        scan = subprocess.Popen([*cli, "scan", *net], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True, env={**os.environ, "COLUMNS": "200"})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and scan.poll() is None and len(_recorded(home)) < 5:
            time.sleep(0.05)
        assert scan.poll() is None, "the scan finished before Ctrl-C"
        os.killpg(scan.pid, signal.SIGINT)
        try:
            _, err = scan.communicate(timeout=45)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(scan.pid, signal.SIGKILL)
        assert scan.returncode == 130, err
        assert "interrupted: what was done is saved; `faceaudit scan` resumes an interrupted scan" in err
        assert "Traceback" not in err
        with sqlite3.connect(home / "faceaudit.db") as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert db.execute("SELECT status FROM scans").fetchall() == [("interrupted",)]
        kept = _recorded(home)
        assert len(kept) >= 5
        start = len(server.log)
        resumed = subprocess.run([*cli, "scan", *net], capture_output=True, text=True)
        assert resumed.returncode == 0, resumed.stderr
        refetched = {f"https://{host}{path}" for host, path in server.log[start:]} & kept

    assert refetched == set()
    with sqlite3.connect(home / "faceaudit.db") as db:
        assert db.execute("SELECT id, status FROM scans").fetchall() == [(1, "complete")]
        urls = [url for (url,) in db.execute("SELECT url FROM images")]
        found = {url for (url,) in db.execute(
            "SELECT i.url FROM findings f JOIN images i ON i.id = f.image_id WHERE f.verdict = 'you'")}
    assert len(urls) == len(set(urls))
    assert found == set(fixture.person_images)
