"""The X adapter against an imitation x.com (TLS fixture) in real Chromium."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from faceaudit.crawl import sites
from faceaudit.crawl.browser import BrowserSession
from faceaudit.crawl.sites.x import X
from faceaudit.demo.photos import Photo
from faceaudit.demo.server import FixtureServer
from faceaudit.errors import UsageError
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason
from tests.platforms.x import (
    HOST,
    XAccount,
    XPost,
    avatar_url,
    header_url,
    media_url,
    x_sites,
)
from tests.support import crawl_rendered, module_browser_session, module_server


def photo(name: str) -> Photo:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (90, 120, 200)).save(out, "JPEG")
    return Photo(name, out.getvalue(), "image/jpeg", False, 0, "")


ONE, TWO, THREE, BOBS = photo("one.jpg"), photo("two.jpg"), photo("three.jpg"), photo("bobs.jpg")
ALEX = XAccount("alex_example", "Alex Example", avatar=photo("me.jpg"), header=photo("head.jpg"), posts=[
    XPost("1790000000000000003", [ONE, TWO], "two photos", "2024-05-02T08:00:00.000Z"),
    XPost("1790000000000000002", [], "just words"),
    XPost("1790000000000000001", [BOBS], "bob's", author="bob_other"),  # a repost
    XPost("1790000000000000000", [THREE], "older", "2024-04-01T12:00:00.000Z"),
])
LOCKED = XAccount("locked_alex", "Locked", id="222", avatar=photo("locked.jpg"), protected=True)
BARE = XAccount("bare_alex", "Bare", id="333")  # no picture, no header, no posts
ACCOUNTS = [ALEX, LOCKED, BARE]


server = module_server(lambda: x_sites(ACCOUNTS))


session = module_browser_session()


def crawl(url: str, session: BrowserSession, server: FixtureServer, mode: str = "page",
          **limits: int) -> tuple[list[ImageCandidate], CrawlResult]:
    return crawl_rendered(url, session, server, x_sites(ACCOUNTS, mode), **limits)


@pytest.mark.parametrize("url", [
    "https://x.com/alex_example", "https://twitter.com/alex_example/", "https://www.twitter.com/alex_example",
    "https://mobile.twitter.com/alex_example", "https://x.com/alex_example?lang=en",
])
def test_account_urls_are_taken_and_visited_on_x_com(url: str) -> None:
    site = sites.find(url)
    assert isinstance(site, X)
    assert site.profile_url == "https://x.com/alex_example"


@pytest.mark.parametrize("url", [
    "https://x.com/alex_example/status/1790000000000000003", "https://twitter.com/alex_example/status/1/photo/1",
    "https://x.com/search?q=alex", "https://x.com/i/lists/123", "https://x.com/home", "https://x.com/explore",
    "https://x.com/alex_example/media", "https://x.com/hashtag/photo", "https://x.com/",
])
def test_other_x_pages_are_refused(url: str) -> None:
    with pytest.raises(UsageError) as refused:
        sites.find(url)
    assert X.example in refused.value.hint


def test_image_urls_become_their_largest_documented_size() -> None:
    site = sites.find(X.example)
    assert isinstance(site, X)
    base = "https://pbs.twimg.com/profile_images/1700000000000000001/abc"
    for variant in ("_normal", "_bigger", "_mini", "_400x400", ""):
        assert site.largest(f"{base}{variant}.jpg") == f"{base}.jpg"
    banner = "https://pbs.twimg.com/profile_banners/123/1700000000"
    assert site.largest(f"{banner}/600x200") == site.largest(banner) == f"{banner}/1500x500"
    assert site.largest("https://pbs.twimg.com/media/Gx1?format=jpg&name=small") == (
        "https://pbs.twimg.com/media/Gx1?format=jpg&name=large")


@pytest.mark.browser
def test_the_profile_yields_picture_header_and_own_posts_not_reposts(session: BrowserSession, server: FixtureServer) -> None:
    found, result = crawl("https://x.com/alex_example", session, server)
    assert [(c.url, c.kind, c.posted_at) for c in found] == [
        (avatar_url(ALEX), ImageKind.AVATAR, ""),  # og:image's 200x200 and the page's 400x400: one original
        (header_url(ALEX), ImageKind.BANNER, ""),
        (media_url(ONE), ImageKind.POST, "2024-05-02T08:00:00.000Z"),
        (media_url(TWO), ImageKind.POST, "2024-05-02T08:00:00.000Z"),
        (media_url(THREE), ImageKind.POST, "2024-04-01T12:00:00.000Z"),
    ]
    assert {c.alt for c in found if c.kind is ImageKind.POST} == {"Image"}
    assert (result.stop, result.pages_visited) == (StopReason.END, 1)
    assert any("logged-in" in note for note in result.notes)  # timelines need a login: said
    assert server.log == [(HOST, "/alex_example")]  # bob_other never visited, nothing fetched


@pytest.mark.browser
def test_a_protected_account_is_private_and_shows_its_picture(session: BrowserSession, server: FixtureServer) -> None:
    found, result = crawl("https://x.com/locked_alex", session, server)
    assert [(c.url, c.kind) for c in found] == [(avatar_url(LOCKED), ImageKind.AVATAR)]
    assert result.stop is StopReason.PRIVATE and "protected" in result.detail
    assert result.facts == {"is_private": True}


@pytest.mark.browser
def test_a_bare_profile_ends_with_nothing_and_says_so(session: BrowserSession, server: FixtureServer) -> None:
    found, result = crawl("https://x.com/bare_alex", session, server)
    assert (found, result.stop) == ([], StopReason.END)
    assert any("no picture" in note for note in result.notes)


@pytest.mark.browser
def test_a_login_prompt_instead_of_the_posts_is_a_login_wall(session: BrowserSession, server: FixtureServer) -> None:
    found, result = crawl("https://x.com/alex_example", session, server, "login_prompt")
    assert [c.kind for c in found] == [ImageKind.AVATAR, ImageKind.BANNER]
    assert result.stop is StopReason.LOGIN_WALL and "login prompt" in result.detail


@pytest.mark.browser
@pytest.mark.parametrize(("mode", "stop", "said"), [
    ("login_redirect", StopReason.LOGIN_WALL, "/i/flow/login"),
    ("rate_limited", StopReason.RATE_LIMITED, "429"),
    ("blocked", StopReason.BLOCKED, "403"),
])
def test_each_refusal_is_its_outcome(mode: str, stop: StopReason, said: str, session: BrowserSession,
                                     server: FixtureServer) -> None:
    found, result = crawl("https://x.com/alex_example", session, server, mode)
    assert (found, result.stop) == ([], stop)
    assert said in result.detail


@pytest.mark.browser
def test_an_unknown_account_is_not_found(session: BrowserSession, server: FixtureServer) -> None:
    found, result = crawl("https://x.com/nobody_here", session, server)
    assert (found, result.stop) == ([], StopReason.NOT_FOUND)
    assert "doesn't exist" in result.detail


@pytest.mark.browser
def test_max_images_caps_the_account(session: BrowserSession, server: FixtureServer) -> None:
    found, result = crawl("https://x.com/alex_example", session, server, max_images=3)
    assert len(found) == 3
    assert result.stop is StopReason.CAP
