"""Every platform, end to end: the demo person's account on an imitation of the platform, scanned
through the CLI over real TLS (and real Chromium where the adapter uses it); the scan must find
exactly the photos that show the person, as the right kind of image, and nothing else."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from faceaudit.demo.fixture import build_demo_fixture
from faceaudit.demo.server import FixtureServer
from tests.platforms import PlatformFixture, build, photos_by_name, platform_names
from tests.support import faceaudit, run_ok, scan_network_args


@pytest.fixture(scope="module")
def enrolled(tmp_path_factory) -> Path:
    """A workspace with consent given and the demo person enrolled, copied for each platform."""
    home = tmp_path_factory.mktemp("enrolled")
    refs = tmp_path_factory.mktemp("refs")
    run = run_ok(home)
    run("consent", "--accept")
    paths = []
    for name, data in build_demo_fixture().reference_photos:
        (refs / name).write_bytes(data)
        paths.append(str(refs / name))
    run("enroll", "--engine", "dlib", *paths)
    return home


@pytest.fixture(scope="module")
def photos():
    return photos_by_name()


@pytest.mark.parametrize("module", platform_names())
def test_a_scan_finds_exactly_the_persons_photos_with_their_kinds(module, enrolled, photos, tmp_path, request):
    fixture: PlatformFixture = build(module, photos)
    if fixture.needs_browser:
        request.getfixturevalue("chromium")
    home = tmp_path / "ws"
    shutil.copytree(enrolled, home)
    run = run_ok(home)
    added = run("accounts", "add", fixture.account_url)
    assert fixture.platform in added.out, added.out
    with FixtureServer(fixture.sites) as server:
        scan = faceaudit(home, "scan", *scan_network_args(server))
        log = list(server.log)
    assert scan.code == 0, scan.err
    assert all(host in fixture.sites for host, _ in log), log
    report = json.loads(run("report", "--json").out)
    (account,) = report["accounts"]
    assert account["site"] == fixture.platform
    assert account["stop"]["reason"] == "end", account["stop"]
    found = {f["image_url"]: f["kind"] for f in account["findings"] if f["verdict"] == "you"}
    assert found == fixture.person_images
    assert not [f for f in account["findings"] if f["verdict"] != "you"]
    assert account["images_seen"] >= len(fixture.person_images) + len(set(fixture.other_images))
