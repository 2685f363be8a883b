"""`faceaudit demo --json`: the offline demo finds exactly the fictional person's photos."""

from __future__ import annotations

import json

import pytest

from faceaudit.demo.fixture import build_demo_fixture
from tests.support import faceaudit

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory, chromium):
    home = tmp_path_factory.mktemp("untouched")
    result = faceaudit(home, "demo", "--json")
    assert result.code == 0, result.err
    return home, json.loads(result.out)


def test_demo_finds_every_photo_of_the_person_and_nobody_else(demo):
    _, report = demo
    listed = report["demo"]
    found = {f["image_url"] for a in report["accounts"] for f in a["findings"] if f["verdict"] == "you"}
    flagged = {f["image_url"] for a in report["accounts"] for f in a["findings"]}
    assert found == set(listed["person_images"])
    assert flagged == found  # no "maybe" either
    assert len(found) >= 10


def test_demo_counts_other_people_without_describing_them(demo):
    _, report = demo
    assert sum(a["other_faces"] for a in report["accounts"]) >= 6
    assert report["format"] == "faceaudit-report/1"


def test_demo_stays_on_its_own_fixture_hosts_and_reports_each_account(demo):
    _, report = demo
    fixture = build_demo_fixture()
    assert set(report["demo"]["hosts_visited"]) <= set(fixture.sites)
    assert [a["url"] for a in report["accounts"]] == fixture.account_urls
    assert all(a["stop"]["reason"] == "end" for a in report["accounts"])
    labelled = fixture.person_images + fixture.other_images + fixture.noface_images
    assert sum(a["images_seen"] for a in report["accounts"]) == len(labelled)
    assert all(a["images_failed"] == 0 for a in report["accounts"])


def test_demo_never_touches_the_users_workspace(demo):
    home, _ = demo
    assert [p for p in home.rglob("*") if p.is_file()] == []
