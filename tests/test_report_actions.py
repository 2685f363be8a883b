"""From findings to actions: which change comes first, what it says, and that every format shows
the same exposure, warnings and history."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from rich.console import Console

from faceaudit.report import html, jsonreport, terminal
from faceaudit.report.actions import plan, risk
from faceaudit.report.load import load_report
from faceaudit.report.model import (
    AccountReport,
    Comparison,
    ReportData,
    exposure_lines,
    others_summary,
)
from faceaudit.types import (
    Analysis,
    Box,
    CrawlResult,
    Finding,
    ImageCandidate,
    ImageKind,
    ImageMetadata,
    ImageRecord,
    ImageStatus,
    StopReason,
    Verdict,
)
from faceaudit.workspace import Workspace
from tests.test_report import NO_METADATA, finding, mastodon_account, report, website_account


def account(site: str, url: str, findings, *, indexable=True, facts=None) -> AccountReport:
    return dataclasses.replace(website_account(), site=site, url=url, findings=findings,
                               indexable=indexable, facts=facts or {})


def posts(count: int, **changes) -> list:
    return [finding(image_url=f"https://files.example/{n}.jpg", page_url=f"https://social.example/@alex/{n}",
                    recognisability=70, other_faces=0, **changes) for n in range(count)]


def text_of(data: ReportData, everything: bool = False, width: int = 120) -> str:
    console = Console(record=True, width=width, color_system=None)
    terminal.render(data, console, everything=everything)
    return " ".join(console.export_text().split())


# --- the ranking rule -------------------------------------------------------------------------


def test_risk_is_recognisability_times_discoverability_times_breadth_times_weight() -> None:
    data = report([mastodon_account()])
    by_id = {a.advice.id: a for a in plan(data).actions}

    # The avatar: R 82, D 1 + 0.5 (indexable) + 0.5 (always-public slot), C 1, M 1.
    assert by_id["mastodon-avatar-header"].risk == 164
    # The post: R 45, D 1.5, C 1, M 1 -> 67.5, rounded.
    assert by_id["mastodon-post-privacy"].risk == 68
    # The avatar's GPS: the same photo, weighted 1.5 (a face and a place).
    assert by_id["general-strip-metadata"].risk == 246
    # Search engines: every photo on the account (C = 1 + log2 2 = 2), weighted 0.5.
    assert by_id["mastodon-search-engines"].risk == 164
    assert [a.number for a in plan(data).actions] == [1, 2, 3, 4]
    assert plan(data).actions[0].category == "gps"


def test_more_photos_rank_higher_but_not_in_proportion() -> None:
    one = account("mastodon", "https://social.example/@a", posts(1))
    sixteen = account("mastodon", "https://social.example/@b", posts(16))
    photos = tuple(sixteen.findings)

    assert risk(sixteen, photos, "photo") == 5 * risk(one, tuple(one.findings), "photo")  # 1 + log2 16


def test_a_maybe_counts_half_and_says_may() -> None:
    maybe = account("mastodon", "https://social.example/@a", posts(1, verdict="maybe"))
    action = next(a for a in plan(report([maybe])).actions if a.category == "photo")

    assert action.risk == round(70 * 0.5 * 1.5)
    assert "may show your face" in action.problem


def test_noindex_lowers_the_risk_and_drops_the_search_engine_action() -> None:
    indexed = account("mastodon", "https://social.example/@a", posts(2))
    hidden = account("mastodon", "https://social.example/@a", posts(2), indexable=False)

    assert {a.advice.id for a in plan(report([indexed])).actions} >= {"mastodon-search-engines"}
    assert "mastodon-search-engines" not in {a.advice.id for a in plan(report([hidden])).actions}
    assert plan(report([hidden])).actions[0].risk < plan(report([indexed])).actions[0].risk


# --- what the actions say -------------------------------------------------------------------------


def test_mastodon_posts_and_indexable_facts_become_two_concrete_actions() -> None:
    alex = account("mastodon", "https://social.example/@alex", posts(14), indexable=True,
                   facts={"indexable": True, "discoverable": True, "noindex": False})
    actions = {a.advice.id: a for a in plan(report([alex])).actions}

    posts_action = actions["mastodon-post-privacy"]
    assert posts_action.problem == "Mastodon: 14 posts show your face clearly; search engines may index them"
    assert len(posts_action.image_urls) == 14
    assert posts_action.settings_url == "https://social.example/settings/preferences/other"
    reach = actions["mastodon-search-engines"]
    assert reach.problem == ("Mastodon: your account with 14 photos of you may be indexed by search engines, "
                             "is featured in discovery and has its public posts in full-text search")
    assert reach.advice.do.startswith('Uncheck "Include profile page in search engines"')
    assert reach.advice.where == "Preferences › Public profile › Privacy and reach"
    assert reach.settings_url == "https://social.example/settings/privacy"


def test_a_private_instagram_keeps_only_the_profile_picture_action() -> None:
    sam = account("instagram", "https://www.instagram.com/sam/",
                  [finding(kind="avatar", recognisability=90, other_faces=0)], facts={"is_private": True})
    actions = plan(report([sam])).actions

    assert [a.advice.id for a in actions if a.category == "photo"] == ["instagram-profile-picture"]
    assert actions[0].problem == (
        "Your current Instagram profile picture shows your face clearly and is public even on a private account"
    )
    assert actions[0].advice.do == "Use a profile picture without your face"


def test_entries_for_the_same_photos_are_one_action_with_also() -> None:
    alex = account("facebook", "https://www.facebook.com/alex", posts(2))
    photo_actions = [a for a in plan(report([alex])).actions if a.category == "photo"]

    assert len(photo_actions) == 1
    assert photo_actions[0].advice.id == "facebook-post-audience"
    assert [a.id for a in photo_actions[0].also] == ["facebook-tag-review"]


def test_the_same_gps_photo_on_two_accounts_is_one_action() -> None:
    gps = {**NO_METADATA, "gps": [52.37, 4.89]}
    site = account("web", "https://alex.example.org/",
                   [finding(kind="page_image", image_url="https://alex.example.org/h.jpg", metadata=gps, sha256="ab" * 32)])
    social = account("mastodon", "https://social.example/@alex",
                     [finding(image_url="https://files.example/h.jpg", metadata=gps, sha256="ab" * 32)])
    actions = [a for a in plan(report([site, social])).actions if a.category == "gps"]

    assert len(actions) == 1
    assert actions[0].image_urls == ["https://alex.example.org/h.jpg", "https://files.example/h.jpg"]
    assert actions[0].problem == ("The photo at https://alex.example.org/h.jpg (and 1 more place) carries the GPS "
                                  "coordinates of where it was taken, together with your face")
    assert actions[0].advice.do == "Remove the photo, or replace it with a copy whose metadata is stripped"


def test_camera_serials_are_one_metadata_action_per_account() -> None:
    serial = {**NO_METADATA, "camera_serial": "DP1-0042"}
    alex = account("web", "https://alex.example.org/", [dataclasses.replace(f, metadata=ImageMetadata.from_dict(serial)) for f in posts(3)])
    actions = [a for a in plan(report([alex])).actions if a.category == "metadata"]

    assert len(actions) == 1 and len(actions[0].photos) == 3
    assert "3 photos of you give away with which camera it was taken" in actions[0].problem
    assert "camera serial number" in actions[0].problem


def test_no_finding_means_no_action() -> None:
    assert len(plan(report([website_account()]))) == 0


# --- exposure and other people ------------------------------------------------------------------


def test_other_people_stay_a_count_with_advice_to_consider_them() -> None:
    mixed = posts(5)
    for n, faces in enumerate([4, 4, 4]):
        mixed[n] = dataclasses.replace(mixed[n], other_faces=faces)
    data = report([account("mastodon", "https://social.example/@alex", mixed)])

    assert others_summary(data) == "3 of your 5 public photos also show other people's faces (12 faces)."
    text = text_of(data, everything=True)  # a fact about your photos, not the first screen's answer
    assert "3 of your 5 public photos also show other people's faces (12 faces). → Consider the other people" in text
    assert json.loads(json.dumps(jsonreport.to_dict(data)))["others"]["faces"] == 12
    assert "general-other-people" not in {a.advice.id for a in plan(data).actions}  # not an action about them


def test_exposure_lines_name_each_factor() -> None:
    lines = exposure_lines(report())

    assert lines[0] == "2 public photos of your face on 1 account; every one was downloaded without logging in"
    assert "1 is in always-public slots (profile pictures, headers, covers, link previews)" in lines
    assert "Most recognisable photo: 82/100 (profile picture, https://mastodon.social/@alex)" in lines
    assert any(line.startswith("1 account with photos of you may be indexed") for line in lines)
    assert "1 photo of you gives away where it was taken (GPS)" in lines
    assert report().exposure == "high" and report([website_account()]).exposure == "none"


# --- the first screen ---------------------------------------------------------------------------------


def many_actions() -> ReportData:
    return report([
        mastodon_account(),
        account("instagram", "https://www.instagram.com/sam/", [finding(kind="avatar"), *posts(3)]),
        account("facebook", "https://www.facebook.com/sam", posts(2)),
        account("web", "https://alex.example.org/", posts(2, kind="page_image")),
    ])


def test_the_first_screen_answers_how_exposed_and_what_first() -> None:
    data = many_actions()
    total = len(plan(data))
    first = text_of(data)

    assert total > 3
    assert "How exposed are you? HIGH" in first
    assert f"What to change, most important first (the top 3 of {total})" in first
    assert f"… and {total - 3} more: faceaudit report --all" in first
    assert "Good to know" not in first and "faceaudit report --all" in first
    everything = text_of(data, everything=True)
    assert f"({total} in all:" in everything and f"{total}. " in everything
    assert "Good to know" in everything and "more: faceaudit report --all" not in everything
    # The top of the report fits one 80 x 50 screen up to the first action.
    console = Console(record=True, width=80, color_system=None)
    terminal.render(data, console)
    lines = console.export_text().splitlines()
    assert next(n for n, line in enumerate(lines) if line.strip().startswith("1. ")) < 50


def test_a_warning_is_shown_in_every_format() -> None:
    data = report()
    data.warnings = ["your face template is past its retention period: consent again"]
    page = html.render(data)

    assert "Warning: your face template is past its retention period" in text_of(data)
    assert '<p class="warn">your face template is past its retention period' in page
    assert json.loads(json.dumps(jsonreport.to_dict(data)))["warnings"] == data.warnings


# --- since last time, from the workspace --------------------------------------------------------------


def _image(url: str, sha: str) -> ImageRecord:
    face = Finding(Verdict.YOU, 0.95, Box(0, 0, 10, 10), face_px=10, det_score=0.9, recognisability=50)
    return ImageRecord(ImageCandidate(url, "https://social.example/@alex", ImageKind.POST, "test"), sha,
                       Analysis(ImageStatus.ANALYSED, faces=1, findings=[face]))


def _scan(ws: Workspace, account_id: int, stop: str, images: list[tuple[str, str]]) -> int:
    scan = ws.start_scan("dlib")
    for url, sha in images:
        ws.record_image(scan, account_id, _image(url, sha))
    ws.record_account_result(scan, account_id, CrawlResult(StopReason(stop), pages_visited=1, indexable=True))
    ws.finish_scan(scan, "complete")
    return scan


def compare(ws: Workspace, scan_id: int) -> Comparison | None:
    """report/history.py's comparison of `scan_id`, as report/load.py builds it."""
    report = load_report(ws, scan_id)
    assert report is not None
    return report.history


def test_history_matches_by_content_or_url_and_resolves_only_what_was_seen_whole(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        alex = ws.add_account("https://social.example/@alex", "mastodon").id
        first = _scan(ws, alex, "end", [("https://f/a.jpg", "a" * 64), ("https://f/b.jpg", "b" * 64),
                                        ("https://f/c.jpg", "c" * 64), ("https://f/d.jpg", "d" * 64)])
        assert compare(ws, first) is None
        # a.jpg moved to a new URL (same bytes), b.jpg was re-encoded at the same URL, c.jpg and
        # d.jpg were deleted, e.jpg is new.
        second = _scan(ws, alex, "end", [("https://f/a2.jpg", "a" * 64), ("https://f/b.jpg", "B" * 64),
                                         ("https://f/e.jpg", "e" * 64)])
        result = compare(ws, second)
        assert result is not None and result.previous_scan_id == first
        assert [p.image_url for p in result.still] == ["https://f/a2.jpg", "https://f/b.jpg"]
        assert [p.image_url for p in result.new] == ["https://f/e.jpg"]
        assert [p.image_url for p in result.resolved] == ["https://f/c.jpg", "https://f/d.jpg"]
        # A crawl stopped by a login wall cannot say the rest is gone.
        third = _scan(ws, alex, "login_wall", [("https://f/a2.jpg", "a" * 64)])
        walled = compare(ws, third)
        assert walled is not None and walled.previous_scan_id == second
        assert walled.resolved == [] and [p.image_url for p in walled.unconfirmed] == ["https://f/b.jpg", "https://f/e.jpg"]
        # An interrupted scan is never what the next one is compared with.
        interrupted = ws.start_scan("dlib")
        ws.finish_scan(interrupted, "interrupted")
        fourth = _scan(ws, alex, "end", [])
        assert compare(ws, fourth).previous_scan_id == third  # type: ignore[union-attr]
