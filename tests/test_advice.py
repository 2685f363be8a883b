"""The per-platform advice data: every file well formed and sourced, and the right entries chosen."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from faceaudit.report import advice
from faceaudit.report.advice import GENERAL, AdviceDataError, advice_for, general_facts, load
from faceaudit.report.model import FindingReport
from faceaudit.types import Box, ImageKind, ImageMetadata, Verdict

ADVICE_DIR = Path(advice.__file__).parent
FILES = sorted(ADVICE_DIR.glob("*.json"))
PRIVACY_SETTINGS = Path(__file__).resolve().parents[2] / "shared" / "privacy-settings.md"
FIELDS = ("id", "applies_to", "do", "advice", "where", "settings_url", "always_public", "source", "checked")
VOCABULARY = {
    "avatar",
    "banner",
    "cover",
    "video_thumbnail",
    "post",
    "page_image",
    "share_image",
    "any",
    "gps",
    "metadata",
    "indexable",
    "other_faces",
}
# Platforms whose "public whatever the settings" column includes the profile picture.
AVATAR_ALWAYS_PUBLIC = {
    "facebook",
    "instagram",
    "x",
    "youtube",
    "flickr",
    "mastodon",
    "bluesky",
    "github",
    "reddit",
    "pinterest",
    "gravatar",
    "web",
}
NO_METADATA = {"gps": None, "taken_at": None, "camera": None, "camera_serial": None}


def finding(kind: str = "post", **metadata: Any) -> FindingReport:
    return FindingReport(
        image_url="https://cdn.example/p.jpg",
        page_url="https://example.org/@me",
        kind=ImageKind(kind),
        verdict=Verdict.YOU,
        similarity=0.6,
        box=Box(0, 0, 100, 120),
        face_px=120,
        det_score=0.99,
        recognisability=70,
        other_faces=0,
        metadata=ImageMetadata.from_dict(metadata),
    )


def ids(items: list[advice.AdviceItem]) -> set[str]:
    return {item.id for item in items}


# --- the data files themselves, read without the loader -----------------------------------


def all_entries() -> list[tuple[str, dict[str, Any]]]:
    entries = []
    for path in FILES:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries += [(path.stem, entry) for entry in data["entries"]]
    return entries


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_advice_file_parses_and_names_its_platform(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))

    assert data["platform"] == path.stem
    assert isinstance(data["name"], str) and data["name"]
    assert isinstance(data["always_public"], str) and data["always_public"].strip()
    assert isinstance(data["entries"], list) and data["entries"]


@pytest.mark.parametrize(
    ("platform", "entry"), all_entries(), ids=lambda v: v if isinstance(v, str) else v["id"]
)
def test_every_entry_has_all_fields_a_source_and_a_date(
    platform: str, entry: dict[str, Any]
) -> None:
    for field in FIELDS:
        assert field in entry, f"{entry.get('id')} lacks {field}"
    for field in ("id", "do", "advice", "where", "source", "checked"):
        assert isinstance(entry[field], str) and entry[field].strip(), (
            f"{entry['id']}: empty {field}"
        )
    assert entry["id"].startswith(f"{platform}-")
    assert (
        entry["always_public"] is False
        or entry["always_public"] is True
        or (isinstance(entry["always_public"], str) and entry["always_public"].strip())
    )
    facts = {c for c in entry["applies_to"] if c.startswith("fact:")}
    assert entry["applies_to"] and set(entry["applies_to"]) - facts <= VOCABULARY
    assert all(re.fullmatch(r"fact:[a-z_]+", c) for c in facts)
    source = urlsplit(entry["source"])
    assert source.scheme == "https" and source.netloc and " " not in entry["source"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["checked"])
    date.fromisoformat(entry["checked"])
    # A bare help-centre address must say that it is not the exact article.
    if source.path in ("", "/", "/en", "/hc/en-us", "/help/", "/help/linkedin", "/youtube/"):
        assert entry.get("source_note"), f"{entry['id']}: a help-centre source needs a source_note"


def test_advice_ids_are_unique_across_all_files() -> None:
    every_id = [entry["id"] for _, entry in all_entries()]

    assert len(every_id) == len(set(every_id))


def platforms() -> set[str]:
    """Every platform with an advice file, `general` excluded."""
    return {path.stem for path in FILES} - {GENERAL}


def same_name(name: str) -> str:
    """A platform's name with case and punctuation left out: privacy-settings.md's "X / Twitter"
    is the advice file's "X (Twitter)"."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def test_every_platform_in_privacy_settings_has_an_advice_file() -> None:
    """Each row of privacy-settings.md's table has the advice file of the same name, and each
    platform's advice file its row: matched by name, so adding a platform edits no list here."""
    if not PRIVACY_SETTINGS.is_file():
        pytest.skip(f"{PRIVACY_SETTINGS} is not present")
    table = re.findall(r"^\| ([^|]+?) \|", PRIVACY_SETTINGS.read_text(encoding="utf-8"), flags=re.M)
    rows = {same_name(name): name for name in table if name != "Platform" and not name.startswith("---")}
    files: dict[str, str] = {}
    for platform in platforms():
        advice = load(platform)
        assert advice is not None
        files[same_name(advice.name)] = platform
    assert set(rows) == set(files), (
        f"rows without an advice file: {sorted(rows[n] for n in set(rows) - set(files))}; "
        f"advice files without a row: {sorted(files[n] for n in set(files) - set(rows))}"
    )


def test_the_name_match_tells_platforms_apart() -> None:
    assert same_name("X / Twitter") == same_name("X (Twitter)") != same_name("Flickr")
    assert len({same_name(load(platform).name) for platform in platforms()}) == len(platforms())  # type: ignore[union-attr]


def test_every_crawl_adapter_has_an_advice_file() -> None:
    from faceaudit.crawl.sites import site_classes

    assert {cls.name for cls in site_classes()} <= set(platforms())


def test_the_loader_reads_every_file_as_written() -> None:
    for path in FILES:
        loaded = load(path.stem)
        raw = json.loads(path.read_text(encoding="utf-8"))
        assert loaded is not None
        assert [item.id for item in loaded.entries] == [entry["id"] for entry in raw["entries"]]
        assert [item.source for item in loaded.entries] == [
            entry["source"] for entry in raw["entries"]
        ]


@pytest.mark.parametrize(
    ("broken", "why"),
    [
        ({"source": "http://example.org/help"}, "https"),
        ({"checked": "22 Nov 2026"}, "ISO date"),
        ({"applies_to": ["selfie"]}, "applies_to"),
        ({"where": ""}, "lacks where"),
        ({"always_public": 3}, "always_public"),
        ({"settings_url": None}, "lacks settings_url"),
        ({"settings_url": "http://example.org/settings"}, "settings_url must be"),
        ({"do": ""}, "lacks do"),
        ({"applies_to": ["fact:Is Private"]}, "fact conditions"),
        ({"unless": "is_private"}, "unless must be"),
    ],
)
def test_the_loader_refuses_a_malformed_entry(broken: dict[str, Any], why: str) -> None:
    entry = {
        "id": "demo-x",
        "applies_to": ["avatar"],
        "do": "Change it",
        "advice": "Change it.",
        "where": "Settings",
        "settings_url": "https://example.org/settings",
        "always_public": False,
        "source": "https://example.org/help",
        "checked": "2026-11-22",
    }
    raw = {"platform": "demo", "name": "Demo", "always_public": "Name", "entries": [{**entry, **broken}]}

    with pytest.raises(AdviceDataError, match=why):
        advice._parse("demo", raw)


# --- choosing advice ---------------------------------------------------------------------


def test_a_mastodon_avatar_finding_gets_the_always_public_advice() -> None:
    chosen = advice_for("mastodon", [finding("avatar")], indexable=False)

    avatar = [item for item in chosen if item.id == "mastodon-avatar-header"]
    assert avatar and avatar[0].always_public
    assert "only fix is a different picture" in avatar[0].advice
    assert "mastodon-post-privacy" not in ids(chosen)  # no post was found


@pytest.mark.parametrize("platform", sorted(AVATAR_ALWAYS_PUBLIC))
def test_an_avatar_finding_is_answered_with_what_stays_public(platform: str) -> None:
    chosen = [
        i
        for i in advice_for(platform, [finding("avatar")], indexable=False)
        if i.platform == platform
    ]

    assert any(item.always_public for item in chosen), (
        f"{platform}: no always-public advice for an avatar"
    )


def test_linkedin_avatar_advice_is_the_visibility_setting_not_a_new_picture() -> None:
    chosen = {
        item.id: item for item in advice_for("linkedin", [finding("avatar")], indexable=False)
    }

    assert "Profile photo › Visibility" in chosen["linkedin-photo-visibility"].where
    assert "photo" not in str(chosen["linkedin-photo-visibility"].always_public).lower()


@pytest.mark.parametrize("platform", sorted(platforms()))
@pytest.mark.parametrize("kind", [kind.value for kind in ImageKind])
def test_every_kind_of_finding_gets_platform_advice(platform: str, kind: str) -> None:
    chosen = advice_for(platform, [finding(kind)], indexable=False)

    assert [item for item in chosen if item.platform == platform], f"{platform}/{kind}: no advice"


def test_gps_in_a_photo_brings_the_strip_metadata_advice() -> None:
    with_gps = advice_for("mastodon", [finding("post", gps=[52.37, 4.89])], indexable=False)
    with_camera = advice_for("flickr", [finding("post", camera_serial="123")], indexable=False)
    without = advice_for("mastodon", [finding("post")], indexable=False)

    assert "general-strip-metadata" in ids(with_gps)
    assert "general-strip-metadata" in ids(with_camera)
    assert "general-strip-metadata" not in ids(without)
    assert "flickr-location" in ids(advice_for("flickr", [finding("post", gps=[1.0, 2.0])], None))


@pytest.mark.parametrize(("indexable", "expected"), [(True, True), (None, True), (False, False)])
def test_indexable_pages_bring_the_search_engine_settings(
    indexable: bool | None, expected: bool
) -> None:
    assert (
        "mastodon-search-engines" in ids(advice_for("mastodon", [finding("post")], indexable))
    ) is expected
    assert ("web-noindex" in ids(advice_for("web", [finding("page_image")], indexable))) is expected


def test_no_finding_means_no_advice() -> None:
    assert advice_for("mastodon", [], indexable=True) == []


@pytest.mark.parametrize("site", ["myspace", "../advice/mastodon", "Mastodon", ""])
def test_an_unknown_site_gets_general_advice_only(site: str) -> None:
    chosen = advice_for(site, [finding("avatar", gps=[1.0, 2.0])], indexable=True)

    assert chosen and {item.platform for item in chosen} == {"general"}
    assert "general-strip-metadata" in ids(chosen)


def test_general_facts_are_cloaking_and_removal_routes() -> None:
    facts = ids(general_facts())

    assert facts == {"general-cloaking", "general-pimeyes-opt-out", "general-clearview-requests"}


def test_the_loader_refuses_a_file_without_what_stays_public() -> None:
    with pytest.raises(AdviceDataError, match="always_public"):
        advice._parse("demo", {"platform": "demo", "name": "Demo", "entries": []})


# --- where to find each setting --------------------------------------------------------------


@pytest.mark.parametrize("platform", sorted(platforms()))
def test_every_platform_says_where_each_setting_is(platform: str) -> None:
    """Each entry has a settings page (an https URL, or the account's own page); only the
    user's own website has none: there is no settings page to link to."""
    loaded = load(platform)
    assert loaded is not None and loaded.always_public
    for item in loaded.entries:
        if platform == "web":
            assert item.settings_url == ""
            continue
        link = item.settings_link("https://social.example/@alex")
        assert urlsplit(link).scheme == "https" and urlsplit(link).netloc, item.id
        assert "{" not in link


def test_settings_urls_are_filled_for_the_account() -> None:
    mastodon = {item.id: item for item in load("mastodon").entries}  # type: ignore[union-attr]
    instagram = {item.id: item for item in load("instagram").entries}  # type: ignore[union-attr]

    assert mastodon["mastodon-search-engines"].settings_link("https://social.example/@alex") == (
        "https://social.example/settings/privacy"
    )
    assert instagram["instagram-profile-picture"].settings_link("https://www.instagram.com/sam/") == (
        "https://www.instagram.com/accounts/edit/"
    )
    bluesky = load("bluesky")
    assert bluesky is not None
    avatar = next(i for i in bluesky.entries if i.id == "bluesky-avatar-banner")
    assert avatar.settings_link("https://bsky.app/profile/sam.bsky.social") == (
        "https://bsky.app/profile/sam.bsky.social"
    )


# --- account facts -----------------------------------------------------------------------------


def test_a_private_account_is_not_told_to_go_private() -> None:
    public = advice_for("instagram", [finding("avatar")], None, {"is_private": False})
    private = advice_for("instagram", [finding("avatar")], None, {"is_private": True})

    assert "instagram-private-account" not in ids(private)
    assert "instagram-profile-picture" in ids(private)
    # A public account with only its avatar found is not told either: no post of you was found.
    assert "instagram-private-account" not in ids(public)
    posts = advice_for("instagram", [finding("post")], None, {"is_private": False})
    assert "instagram-private-account" in ids(posts)


def test_mastodon_discovery_facts_bring_the_search_settings_even_with_noindex() -> None:
    noindex = advice_for("mastodon", [finding("post")], False, {"noindex": True})
    discoverable = advice_for("mastodon", [finding("post")], False, {"noindex": True, "discoverable": True})

    assert "mastodon-search-engines" not in ids(noindex)
    assert "mastodon-search-engines" in ids(discoverable)


def test_bluesky_opt_out_already_set_is_not_advised_again() -> None:
    assert "bluesky-logged-out-visibility" in ids(advice_for("bluesky", [finding("post")], None, {}))
    assert "bluesky-logged-out-visibility" not in ids(
        advice_for("bluesky", [finding("post")], None, {"no_unauthenticated": True})
    )


def test_other_faces_bring_the_consider_other_people_entry() -> None:
    with_others = [dataclasses.replace(finding("post"), other_faces=2)]

    assert "general-other-people" in ids(advice_for("web", with_others, None))
    assert "general-other-people" not in ids(advice_for("web", [finding("post")], None))


def test_only_a_professional_instagram_account_is_told_about_search_engines() -> None:
    professional = advice_for("instagram", [finding("post")], True, {"is_professional": True})
    personal = advice_for("instagram", [finding("post")], True, {"is_professional": False})

    assert "instagram-search-engines" in ids(professional)
    assert "instagram-search-engines" not in ids(personal)


def test_a_site_that_already_keeps_image_crawlers_out_is_not_told_to() -> None:
    told = advice_for("web", [finding("page_image")], True, {})
    already = advice_for("web", [finding("page_image")], True, {"robots_txt_disallows_images": True})
    assert "web-robots-images" in ids(told) and "web-robots-images" not in ids(already)
