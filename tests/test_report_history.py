"""Since last time: scan the demo person's accounts, change them as the report advises (two
Mastodon posts deleted, the Instagram account made private), scan again, and the report shows
those photos as resolved and the rest as still there.

The user's commands are the README's: consent, enroll, accounts add, scan (pointed at the
fixture server), report --json / report / report --html.
"""

from __future__ import annotations

import json

import pytest

from faceaudit.demo.fixture import MASTODON_HOST, build_demo_fixture
from faceaudit.demo.mastodon_api import FixtureAccount
from faceaudit.demo.platforms.instagram import IgAccount
from faceaudit.demo.server import FixtureServer
from faceaudit.workspace import Workspace
from tests.support import faceaudit, run_ok, scan_network_args, set_up_demo_person

pytestmark = pytest.mark.browser

DELETED_POSTS = {"1100": "mirror.jpg", "1060": "portrait.webp"}  # Mastodon status id -> its photo


@pytest.fixture(scope="module")
def two_scans(tmp_path_factory, chromium):
    fixture = build_demo_fixture()
    home = tmp_path_factory.mktemp("ws")
    run = run_ok(home)
    with FixtureServer(fixture.sites) as server:
        net = scan_network_args(server)
        set_up_demo_person(run, fixture, tmp_path_factory.mktemp("refs"))
        run("scan", *net)
        first = json.loads(run("report", "--json").out)

        alex: FixtureAccount = fixture.accounts["mastodon"]
        alex.statuses = [s for s in alex.statuses if s.id not in DELETED_POSTS]
        sam: IgAccount = fixture.accounts["instagram"]
        sam.is_private = True

        run("scan", *net)
    second = json.loads(run("report", "--json").out)
    return fixture, home, first, second


def _yours(report: dict, site: str) -> set[str]:
    return {f["image_url"] for a in report["accounts"] if a["site"] == site for f in a["findings"]}


def test_the_first_scan_has_nothing_to_compare_with(two_scans):
    _, _, first, _ = two_scans

    assert first["history"] is None
    assert first["scan"]["id"] == 1


def test_the_changed_accounts_show_their_photos_as_resolved(two_scans):
    _, _, first, second = two_scans
    history = second["history"]
    resolved = {(p["site"], p["image_url"]) for p in history["resolved"]}

    deleted = {f"https://{MASTODON_HOST}/system/media_attachments/files/{name}" for name in DELETED_POSTS.values()}
    instagram_posts = {
        f["image_url"]
        for a in first["accounts"] if a["site"] == "instagram"
        for f in a["findings"] if f["kind"] != "avatar"
    }
    assert len(instagram_posts) == 3
    assert resolved == {("mastodon", url) for url in deleted} | {("instagram", url) for url in instagram_posts}
    assert history["previous_scan_id"] == first["scan"]["id"]
    assert history["new"] == [] and history["unconfirmed"] == []
    # Everything else the first scan found is still there, matched by content or URL.
    still = {p["image_url"] for p in history["still"]}
    everything_before = {f["image_url"] for a in first["accounts"] for f in a["findings"]}
    assert still == everything_before - deleted - instagram_posts
    assert len(still) + len(resolved) == len(everything_before)


def test_the_private_account_keeps_its_profile_picture_and_is_not_told_to_go_private(two_scans):
    _, _, _, second = two_scans
    instagram = next(a for a in second["accounts"] if a["site"] == "instagram")

    assert instagram["stop"]["reason"] == "private" and instagram["facts"]["is_private"] is True
    assert [f["kind"] for f in instagram["findings"]] == ["avatar"]
    actions = [a for a in second["actions"] if a["site"] == "instagram"]
    assert "instagram-private-account" not in {a["advice"]["id"] for a in actions}
    picture = next(a for a in actions if a["advice"]["id"] == "instagram-profile-picture")
    assert picture["problem"] == (
        "Your current Instagram profile picture shows your face clearly and is public even on a private account"
    )
    assert picture["advice"]["do"] == "Use a profile picture without your face"
    assert picture["advice"]["settings_url"] == "https://www.instagram.com/accounts/edit/"


def test_every_action_names_what_to_change_where_and_its_source(two_scans):
    _, _, first, second = two_scans
    for report in (first, second):
        actions = report["actions"]
        assert [a["number"] for a in actions] == list(range(1, len(actions) + 1))
        assert [a["risk"] for a in actions] == sorted((a["risk"] for a in actions), reverse=True)
        assert len({a["key"] for a in actions}) == len(actions)  # deduplicated
        for action in actions:
            advice = action["advice"]
            assert advice["do"] and advice["where"] and advice["source"].startswith("https://")
            assert advice["checked"]
            # A setting to open, or the photos to change: never a bare "do something".
            assert advice["settings_url"].startswith("https://") or action["image_urls"]
    assert len(second["actions"]) < len(first["actions"])  # the Instagram posts action went away


def test_the_terminal_report_says_what_the_changes_achieved(two_scans):
    _, home, _, _ = two_scans
    text = " ".join(faceaudit(home, "report").out.split())

    assert "Since scan 1" in text and "5 resolved" in text and "0 new" in text
    assert "How exposed are you?" in text and "What to change, most important first" in text
    full = " ".join(faceaudit(home, "report", "--all").out.split())
    assert "Resolved (5):" in full
    assert f"https://{MASTODON_HOST}/system/media_attachments/files/mirror.jpg" in full


def test_each_scan_is_kept_and_an_older_one_can_still_be_reported(two_scans):
    _, home, first, _ = two_scans
    again = json.loads(faceaudit(home, "report", "--json", "--scan", "1").out)

    assert again["history"] is None
    assert _yours(again, "instagram") == _yours(first, "instagram")
    with Workspace.open(home) as ws:
        assert [row["status"] for row in ws.db.execute("SELECT status FROM scans ORDER BY id")] == [
            "complete",
            "complete",
        ]
