"""The demo's fictional person has one name on every account, and `faceaudit demo` opens with a
line that names them and every account the demo scans."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from faceaudit.crawl import sites
from faceaudit.demo.fixture import DemoFixture, build_demo_fixture, demo_banner
from faceaudit.demo.person import FIRST_NAME, NAME
from faceaudit.demo.platforms.instagram import APP_ID
from faceaudit.demo.server import Reply, Request
from faceaudit.report.advice import platform_name

# "sam" as a word or a handle's part (sam.example, sam-example, samexample, Sam's), not inside
# a hash or an identifier.
SAM = re.compile(r"(?<![a-z0-9])sam(?=example|[^a-z0-9]|$)", re.IGNORECASE)


@pytest.fixture(scope="module")
def fixture() -> DemoFixture:
    return build_demo_fixture()


def get(fixture: DemoFixture, url: str) -> Reply:
    parts = urlsplit(url)
    host = parts.hostname or ""
    # Instagram's profile API answers only with the web app's id, as the real one does.
    return fixture.sites[host](Request(host, parts.path, parse_qs(parts.query), {"X-IG-App-ID": APP_ID}))


def text(fixture: DemoFixture, url: str) -> str:
    reply = get(fixture, url)
    assert reply.status == 200, url
    return reply.body.decode()


def profiles(fixture: DemoFixture) -> dict[str, str]:
    """platform -> what its profile answers a visitor, as text: the page or API answer that
    carries the account's name and handle, found from the demo's own account URLs."""
    found: dict[str, str] = {}
    for url in fixture.account_urls:
        platform = sites.find(url).name
        handle = urlsplit(url).path.strip("/").rsplit("/", 1)[-1].lstrip("@")
        if platform == "web":
            found[platform] = text(fixture, url)
        elif platform == "mastodon":
            found[platform] = text(fixture, f"https://social.example/api/v1/accounts/lookup?acct={handle}")
        elif platform == "bluesky":
            found[platform] = text(fixture, f"https://public.api.bsky.app/xrpc/app.bsky.actor.getProfile?actor={handle}")
        elif platform == "instagram":
            found[platform] = text(fixture, f"https://www.instagram.com/api/v1/users/web_profile_info/?username={handle}")
        elif platform == "github":
            found[platform] = text(fixture, f"https://api.github.com/users/{handle}")
        elif platform == "gravatar":
            email = urlsplit(url).path.strip().lower()
            digest = hashlib.sha256(email.encode()).hexdigest()
            found[platform] = text(fixture, f"https://api.gravatar.com/v3/profiles/{digest}")
    return found


def display_name(platform: str, answer: str) -> str:
    if platform == "web":
        return re.search(r"<h1>(.*?)</h1>", answer).group(1)  # type: ignore[union-attr]
    data: Any = json.loads(answer)
    return {
        "mastodon": lambda: data["display_name"],
        "bluesky": lambda: data["displayName"],
        "instagram": lambda: data["data"]["user"]["full_name"],
        "github": lambda: data["name"],
        "gravatar": lambda: data["display_name"],
    }[platform]()


def test_every_demo_account_is_the_one_person_by_url_and_display_name(fixture):
    assert NAME.split()[0] == FIRST_NAME
    for url in fixture.account_urls:
        assert FIRST_NAME.lower() in url.lower(), url
        assert not SAM.search(url), url
    answers = profiles(fixture)
    assert set(answers) == {sites.find(url).name for url in fixture.account_urls}  # every account looked at
    for platform, answer in answers.items():
        assert display_name(platform, answer) == NAME, platform


def test_no_page_or_answer_of_the_demo_calls_anyone_sam(fixture):
    """Handles, display names, captions, alt texts, friends' names: not one "sam" left."""
    texts = list(profiles(fixture).values())
    texts.append(text(fixture, "https://alex.example.org/about/"))
    mastodon = json.loads(profiles(fixture)["mastodon"])
    texts.append(text(fixture, f"https://social.example/api/v1/accounts/{mastodon['id']}/statuses?limit=40"))
    bluesky = next(u for u in fixture.account_urls if sites.find(u).name == "bluesky")
    handle = urlsplit(bluesky).path.rsplit("/", 1)[-1]
    texts.append(text(fixture, f"https://public.api.bsky.app/xrpc/app.bsky.feed.getAuthorFeed?actor={handle}"))
    for served in texts:
        assert not SAM.search(served), SAM.search(served)
    assert all(not SAM.search(url) for url in fixture.photo_names)


def test_the_name_pattern_would_catch_the_old_names():
    for old in ("sam.bsky.social", "Sam Example", "samexample", "sam-example", "friend.of.sam", "game night at Sam's"):
        assert SAM.search(old), old
    assert not SAM.search("did:plc:xsamq2 same sample")


def test_the_demo_banner_names_the_person_and_every_account_it_scans(fixture):
    """The count and the names come from the fixture's account list, not from a list kept by hand."""
    names = ["a personal website" if sites.find(url).name == "web" else platform_name(sites.find(url).name)
             for url in fixture.account_urls]
    banner = demo_banner()
    match = re.fullmatch(r"faceaudit demo: (\d+) accounts of a fictional person, (.+?) — (.+) — imitated on this machine\.",
                         banner)
    assert match, banner
    count, person, listed = match.groups()
    assert int(count) == len(fixture.account_urls) == 6
    assert person == NAME
    assert re.split(r", | and ", listed) == names
