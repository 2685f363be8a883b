"""Politeness limits as a user meets them: `scan --max-requests` ends an account as `cap`, and
`scan --deadline` stops the scan, says how to continue, and `faceaudit scan` then finishes it."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from faceaudit.demo import photos as demo_photos
from faceaudit.demo.server import FixtureServer, Reply, Request
from tests.support import faceaudit, run_ok, scan_network_args, set_up_demo_person

pytestmark = pytest.mark.browser

PHOTOS = {p.name: p for p in demo_photos.public_photos()}
SHOWN = ["portrait.jpg", "coffee.jpg", "rocket.jpg", "pattern.png", "group.jpg", "mirror.jpg"]


@dataclass
class Sites:
    sites: dict
    reference_photos: list[tuple[str, bytes]]
    account_urls: list[str]


def website(delay: float = 0.0):
    """A one-page site showing SHOWN; each image answers after `delay` seconds."""
    page = "<title>me</title>" + "".join(f'<img src="/img/{name}">' for name in SHOWN)

    def handle(request: Request) -> Reply:
        if request.path == "/":
            return Reply(body=page.encode())
        photo = PHOTOS.get(request.path.removeprefix("/img/"))
        if photo is None:
            return Reply(404, b"no", "text/plain")
        time.sleep(delay)
        return Reply(body=photo.data, content_type=photo.content_type)

    return handle


def image_fetches(server: FixtureServer) -> list[tuple[str, str]]:
    return [entry for entry in server.log if entry[1].startswith("/img/")]


def test_max_requests_ends_the_account_as_cap_and_says_which_limit(tmp_path: Path, chromium) -> None:
    home = tmp_path / "ws"
    with FixtureServer({"me.example": website()}) as server:
        set_up_demo_person(run_ok(home), Sites(server.sites, demo_photos.reference_photos(), ["https://me.example/"]),
                           tmp_path)
        scan = faceaudit(home, "-v", "scan", *scan_network_args(server), "--max-requests", "5")
        fetched = image_fetches(server)
        asked = {path for _, path in server.log}
    assert scan.code == 0, scan.err
    said = " ".join(scan.err.split())  # -v: how the account's crawl ended, in plain words
    assert "https://me.example/: faceaudit's own limit: stopped after 5 requests for this account (--max-requests 5)" in said
    # The page came through the browser; robots.txt and sitemap.xml (the site walk) and three
    # images are the five requests, then the cap.
    assert {"/robots.txt", "/sitemap.xml"} <= asked
    assert len(fetched) == 3
    report = json.loads(faceaudit(home, "report", "--json").out)
    (account,) = report["accounts"]
    assert account["stop"]["reason"] == "cap"
    assert "--max-requests 5" in account["stop"]["detail"]


def test_a_deadline_stops_the_scan_and_the_next_scan_finishes_it(tmp_path: Path, chromium) -> None:
    home = tmp_path / "ws"
    sites = {"slow.example": website(delay=0.6), "later.example": website()}
    with FixtureServer(sites) as server:
        urls = ["https://slow.example/", "https://later.example/"]
        set_up_demo_person(run_ok(home), Sites(server.sites, demo_photos.reference_photos(), urls), tmp_path)
        stopped = faceaudit(home, "scan", *scan_network_args(server), "--deadline", "2s")
        first = image_fetches(server)
        report = json.loads(faceaudit(home, "report", "--json").out)
        server.log.clear()
        resumed = faceaudit(home, "scan", *scan_network_args(server))
        second = image_fetches(server)

    assert stopped.code == 130, stopped.err
    said = " ".join(stopped.err.split())
    assert "[deadline]: the scan reached its deadline of 2 s (--deadline)" in said
    assert "`faceaudit scan` continues where this one stopped" in said
    # The slow account takes longer than the deadline: the second one was never started.
    assert all(host == "slow.example" for host, _ in first)
    assert len(first) < len(SHOWN)
    later = next(a for a in report["accounts"] if a["url"] == "https://later.example/")
    assert later["stop"]["reason"] == "not_scanned"

    assert resumed.code == 0, resumed.err
    with sqlite3.connect(home / "faceaudit.db") as db:
        scans = db.execute("SELECT id, status FROM scans").fetchall()
        recorded = [url for (url,) in db.execute("SELECT url FROM images")]
    assert scans == [(1, "complete")]  # the same scan, continued
    assert len(recorded) == len(set(recorded)) == 2 * len(SHOWN)
    # Everything fetched before the deadline was analysed and kept, so none of it was fetched again.
    assert {path for host, path in second if host == "slow.example"}.isdisjoint(path for _, path in first)
