"""The Facebook adapter against an imitation www.facebook.com (TLS fixture) in real Chromium."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from faceaudit.crawl import sites
from faceaudit.crawl.browser import BrowserSession
from faceaudit.crawl.sites.facebook import Facebook
from faceaudit.demo.photos import Photo
from faceaudit.demo.server import FixtureServer
from faceaudit.errors import UsageError
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason
from tests.platforms.facebook import (
    HOST,
    FbProfile,
    facebook_sites,
    photo_url,
    picture_url,
)
from tests.support import crawl_rendered, module_browser_session, module_server


def photo(name: str) -> Photo:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 120, 90)).save(out, "JPEG")
    return Photo(name, out.getvalue(), "image/jpeg", False, 0, "")


AVATAR, COVER, FRIEND = photo("me.jpg"), photo("cover.jpg"), photo("bob.jpg")
PHOTOS = [photo(f"grid-{n}.jpg") for n in range(3)]
ALEX = FbProfile("alex.example", "Alex Example", avatar=AVATAR, cover=COVER, photos=PHOTOS, friends=[("bob.other", FRIEND)])
LOCKED = FbProfile("locked.alex", "Locked Alex", id="100000000000002", avatar=photo("locked.jpg"), locked=True)
PROFILES = [ALEX, LOCKED]


server = module_server(lambda: facebook_sites(PROFILES))


session = module_browser_session()


def crawl(url: str, session: BrowserSession, server: FixtureServer, mode: str = "page",
          **limits: int) -> tuple[list[ImageCandidate], CrawlResult]:
    return crawl_rendered(url, session, server, facebook_sites(PROFILES, mode), **limits)


@pytest.mark.parametrize("url", [
    "https://www.facebook.com/alex.example", "https://facebook.com/alex.example/", "https://m.facebook.com/alex.example",
    "https://web.facebook.com/alex.example?ref=bookmarks", "https://fb.com/alex.example",
    "https://www.facebook.com/profile.php?id=100000000000001",
])
def test_account_urls_are_taken_and_visited_on_www(url: str) -> None:
    site = sites.find(url)
    assert isinstance(site, Facebook)
    assert site.profile_url in ("https://www.facebook.com/alex.example",
                                "https://www.facebook.com/profile.php?id=100000000000001")


@pytest.mark.parametrize("url", [
    "https://www.facebook.com/groups/12345", "https://www.facebook.com/events/12345/", "https://www.facebook.com/photo/?fbid=1",
    "https://www.facebook.com/photo.php?fbid=1", "https://www.facebook.com/watch/?v=1", "https://www.facebook.com/search/top?q=alex",
    "https://www.facebook.com/alex.example/posts/pfbid0abc", "https://www.facebook.com/alex.example/photos",
    "https://www.facebook.com/", "https://www.facebook.com/profile.php",
])
def test_other_facebook_pages_are_refused(url: str) -> None:
    with pytest.raises(UsageError) as refused:
        sites.find(url)
    assert Facebook.example in refused.value.hint


def test_scope_is_the_profiles_own_path() -> None:
    scope = sites.find("https://www.facebook.com/alex.example").scope()
    assert scope.allows("https://www.facebook.com/alex.example") and scope.allows("https://www.facebook.com/alex.example/about")
    assert not scope.allows("https://www.facebook.com/bob.other")
    assert not scope.allows("https://www.facebook.com/login/")


@pytest.mark.browser
def test_the_profile_yields_its_pictures_and_skips_friends(session: BrowserSession, server: FixtureServer) -> None:
    found, result = crawl("https://www.facebook.com/alex.example", session, server)
    assert {(c.url, c.kind) for c in found} == {
        (picture_url(AVATAR, 480), ImageKind.AVATAR),  # og:image: the largest size of the profile picture
        (photo_url(COVER), ImageKind.COVER),
        *((photo_url(p), ImageKind.POST) for p in PHOTOS),
    }
    assert len(found) == 5  # the 200 px profile picture is the same picture; the friend's is theirs
    assert {c.found_by for c in found if c.kind is ImageKind.COVER} == {"facebook:img"}
    assert (result.stop, result.pages_visited, result.indexable) == (StopReason.END, 1, True)
    assert server.log == [(HOST, "/alex.example")]  # no friend visited, no image fetched by the browser


@pytest.mark.browser
def test_a_profile_php_account_is_read_by_its_id(session: BrowserSession, server: FixtureServer) -> None:
    found, result = crawl("https://www.facebook.com/profile.php?id=100000000000001", session, server)
    assert picture_url(AVATAR, 480) in {c.url for c in found}
    assert result.stop is StopReason.END
    assert server.log == [(HOST, "/profile.php?id=100000000000001")]


@pytest.mark.browser
def test_a_locked_profile_is_private_and_still_shows_its_picture(session: BrowserSession, server: FixtureServer) -> None:
    found, result = crawl("https://www.facebook.com/locked.alex", session, server)
    assert [(c.url, c.kind) for c in found] == [(picture_url(LOCKED.avatar, 480), ImageKind.AVATAR)]  # type: ignore[arg-type]
    assert result.stop is StopReason.PRIVATE and "locked" in result.detail
    assert result.facts == {"is_private": True} and result.notes


@pytest.mark.browser
def test_a_login_dialog_over_the_profile_is_a_login_wall_after_what_it_showed(
    session: BrowserSession, server: FixtureServer
) -> None:
    found, result = crawl("https://www.facebook.com/alex.example", session, server, "login_form")
    assert len(found) == 5
    assert result.stop is StopReason.LOGIN_WALL


@pytest.mark.browser
@pytest.mark.parametrize(("mode", "stop", "said"), [
    ("login_redirect", StopReason.LOGIN_WALL, "/login/"),
    ("unavailable", StopReason.NOT_FOUND, "This content isn't available"),
    ("must_log_in", StopReason.LOGIN_WALL, "log in"),
    ("rate_limited", StopReason.RATE_LIMITED, "429"),
    ("blocked", StopReason.BLOCKED, "403"),
])
def test_each_refusal_is_its_outcome(mode: str, stop: StopReason, said: str, session: BrowserSession,
                                     server: FixtureServer) -> None:
    found, result = crawl("https://www.facebook.com/alex.example", session, server, mode)
    assert (found, result.stop) == ([], stop)
    assert said in result.detail
    assert next(path for _, path in server.log) == "/alex.example"


@pytest.mark.browser
def test_an_unknown_profile_is_not_found(session: BrowserSession, server: FixtureServer) -> None:
    found, result = crawl("https://www.facebook.com/nobody.here", session, server)
    assert (found, result.stop) == ([], StopReason.NOT_FOUND)


@pytest.mark.browser
def test_max_images_caps_the_account(session: BrowserSession, server: FixtureServer) -> None:
    found, result = crawl("https://www.facebook.com/alex.example", session, server, max_images=2)
    assert len(found) == 2
    assert result.stop is StopReason.CAP


@pytest.mark.browser
def test_the_harvest_reads_svg_pictures_and_where_each_image_sits(session: BrowserSession, server: FixtureServer) -> None:
    server.sites.update(facebook_sites(PROFILES))
    site = sites.find("https://www.facebook.com/alex.example")
    assert isinstance(site, Facebook)
    page = session.harvest(site.profile_url, scope=site.scope(), max_scrolls=0)
    where = {image.url: (image.found_by, image.context) for image in page.images}
    found_by, context = where[picture_url(AVATAR)]
    assert found_by == "svg:image" and "label=Alex_Example" in context and "href=https://www.facebook.com/photo/" in context
    assert "perf=profileCoverPhoto" in where[photo_url(COVER)][1]
    assert where[picture_url(FRIEND, 100)][1].endswith("href=https://www.facebook.com/bob.other")
    assert "Alex Example" in page.text and not page.login_prompt
