"""A whole scan of a website that serves every kind of hostile image: each is refused with a
reason the user can read, and the person's own photos on the same page are still found."""

from __future__ import annotations

import functools
import gzip
import json
import sqlite3
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from faceaudit.crawl import net
from faceaudit.demo import photos as demo_photos
from faceaudit.demo.server import FixtureServer, Reply, Request
from tests.support import faceaudit, run_ok, scan_network_args, set_up_demo_person

pytestmark = pytest.mark.browser

HOST = "hostile.example"
ROOT = f"https://{HOST}"
PERSON = ["portrait.jpg", "mirror.jpg", "holiday.jpg"]  # the demo person's own photos, served as is
TRICKLE_TIMEOUT = 4.0  # total_timeout for this test; 120 s by default


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims width × height pixels and carries a few bytes of pixel data: a
    decoder that trusted the header would allocate width × height × 3 bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(64)))
            + chunk(b"IEND", b""))


def huge_body(total: int) -> Iterator[bytes]:
    """`total` bytes of JPEG-looking data, one reused MiB at a time: never built in memory."""
    block = b"\xff\xd8\xff\xe0" + bytes(1024 * 1024 - 4)
    sent = 0
    while sent < total:
        yield block
        sent += len(block)


def trickle() -> Iterator[bytes]:
    """A body that never ends: one byte every 0.1 s, well inside any read timeout."""
    yield b"\xff\xd8\xff"
    while True:
        time.sleep(0.1)
        yield b"\x00"


def gzip_bomb() -> bytes:
    """About 200 KB on the wire that inflates to 200 MB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    zeros = bytes(1024 * 1024)
    return b"".join(compressor.compress(zeros) for _ in range(200)) + compressor.flush()


# Each hostile image: its path on the page and what the recorded error must say.
HOSTILE = {
    "/img/to-loopback.jpg": "non-public address",
    "/img/to-metadata.jpg": "non-public address 169.254.169.254",
    "/img/to-mapped-v6.jpg": "non-public address",
    "/img/huge-dimensions.png": "50000×50000 pixels, more than the 50-megapixel limit",
    "/img/truncated.jpg": "truncated",
    "/img/200mb.jpg": "too large",
    "/img/trickle.jpg": f"took longer than {TRICKLE_TIMEOUT:g} s",
    "/img/gzip-bomb.jpg": "too large",
    "/img/page.jpg": "not an image",
    "/img/drawing.svg": "not an image faceaudit reads (found: SVG)",
}


@dataclass
class HostileFixture:
    """What set_up_demo_person needs, for one hostile website account."""

    sites: dict
    reference_photos: list[tuple[str, bytes]]
    account_urls: list[str]


def hostile_site(port: int) -> tuple[dict, dict[str, str]]:
    """(handlers, {image URL: expected error}) — `port` is the fixture server's own."""
    public = {p.name: p for p in demo_photos.public_photos()}
    bomb = gzip_bomb()
    loopback = f"https://127.0.0.1:{port}"
    direct = f"{loopback}/direct.jpg"  # on the page itself: the literal address
    expected = {f"{ROOT}{path}": reason for path, reason in HOSTILE.items()}
    expected[direct] = "non-public address 127.0.0.1"
    page = "<!doctype html><title>Hostile</title>\n" + "\n".join(
        [f'<img src="/img/{name}" alt="me">' for name in PERSON]
        + [f'<img src="{url}">' for url in expected]
    )

    def handle(request: Request) -> Reply:
        path = request.path
        if path == "/":
            return Reply(body=page.encode())
        if path.removeprefix("/img/") in PERSON:
            photo = public[path.removeprefix("/img/")]
            return Reply(body=photo.data, content_type=photo.content_type)
        if path == "/img/to-loopback.jpg":
            return Reply(302, headers={"Location": f"{loopback}/secret.jpg"})
        if path == "/img/to-metadata.jpg":
            return Reply(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        if path == "/img/to-mapped-v6.jpg":
            return Reply(302, headers={"Location": f"https://[::ffff:127.0.0.1]:{port}/secret.jpg"})
        if path == "/img/huge-dimensions.png":
            return Reply(body=png_header(50_000, 50_000), content_type="image/png")
        if path == "/img/truncated.jpg":
            data = public["portrait.jpg"].data
            return Reply(body=data[: len(data) // 2], content_type="image/jpeg")
        if path == "/img/200mb.jpg":
            return Reply(stream=huge_body(200 * 1024 * 1024), content_type="image/jpeg")
        if path == "/img/trickle.jpg":
            return Reply(stream=trickle(), content_type="image/jpeg")
        if path == "/img/gzip-bomb.jpg":
            return Reply(body=bomb, content_type="image/jpeg", headers={"Content-Encoding": "gzip"})
        if path == "/img/page.jpg":
            return Reply(body=b"<html><body>Please log in</body></html>")
        if path == "/img/drawing.svg":
            svg = b'<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>'
            return Reply(body=svg, content_type="image/svg+xml")
        return Reply(404, b"not found", "text/plain")

    return {HOST: handle}, expected


def test_gzip_bomb_fixture_is_what_it_claims() -> None:
    bomb = gzip_bomb()
    assert len(bomb) < 1024 * 1024
    assert len(gzip.decompress(bomb)) == 200 * 1024 * 1024


def test_a_scan_of_a_hostile_site_refuses_each_trap_and_still_finds_the_person(
    tmp_path: Path, chromium, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "ws"
    # The trickle is cut by the policy's total time per response; shortened so the test is quick.
    monkeypatch.setattr(net, "NetworkPolicy", functools.partial(net.NetworkPolicy, total_timeout=TRICKLE_TIMEOUT))
    with FixtureServer({HOST: lambda r: Reply(503)}) as server:
        handlers, expected = hostile_site(server.port)
        server.sites.update(handlers)
        fixture = HostileFixture(server.sites, demo_photos.reference_photos(), [f"{ROOT}/"])
        set_up_demo_person(run_ok(home), fixture, tmp_path)

        started = time.monotonic()
        scan = faceaudit(home, "scan", *scan_network_args(server))
        took = time.monotonic() - started
        assert scan.code == 0, scan.err
        report = faceaudit(home, "report", "--json")
        assert report.code == 0, report.err
        visited = list(server.log)

    with sqlite3.connect(home / "faceaudit.db") as db:
        rows = {url: (status, error) for url, status, error in db.execute("SELECT url, status, error FROM images")}
        found = {url for (url,) in db.execute(
            "SELECT i.url FROM findings f JOIN images i ON i.id = f.image_id WHERE f.verdict = 'you'")}
        scans = db.execute("SELECT status FROM scans").fetchall()
    assert scans == [("complete",)]
    for url, reason in expected.items():
        status, error = rows[url]
        assert status == "failed", (url, status)
        assert reason in error, (url, error)
    assert found == {f"{ROOT}/img/{name}" for name in PERSON}

    # Nothing reached the private addresses: 127.0.0.1:port *is* this server, so any request
    # that got there would be in its log under the host 127.0.0.1 or the path /secret.jpg.
    assert not [entry for entry in visited if entry[0] != HOST or "secret" in entry[1] or "direct" in entry[1]]
    data = json.loads(report.out)
    (account,) = data["accounts"]
    assert account["images_failed"] == len(expected)
    assert account["stop"]["reason"] == "end"
    # The trickle cost its time limit once (no retry), the 200 MB body its cap, not the minutes
    # a full read would take.
    assert took < 60, took


def test_the_terminal_report_counts_what_could_not_be_fetched(tmp_path: Path, chromium) -> None:
    """The same refusals, in the words of the terminal report (no JSON needed to see them)."""
    home = tmp_path / "ws"
    with FixtureServer({HOST: lambda r: Reply(503)}) as server:
        handlers, _ = hostile_site(server.port)
        small = {path: reason for path, reason in HOSTILE.items() if "trickle" not in path}

        def handle(request: Request) -> Reply:
            if request.path == "/":
                page = "".join(f'<img src="{path}">' for path in small) + '<img src="/img/portrait.jpg">'
                return Reply(body=page.encode())
            return handlers[HOST](request)

        server.sites[HOST] = handle
        fixture = HostileFixture(server.sites, demo_photos.reference_photos(), [f"{ROOT}/"])
        set_up_demo_person(run_ok(home), fixture, tmp_path)
        scan = faceaudit(home, "scan", "--all", *scan_network_args(server))
    assert scan.code == 0, scan.err
    assert f"could not be fetched or read {len(small)}" in " ".join(scan.out.split())
