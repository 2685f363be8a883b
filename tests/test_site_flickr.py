"""The Flickr adapter against an imitation of Flickr's public feed and pages, over real TLS."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from faceaudit.crawl import sites
from faceaudit.crawl.net import AccountScope, NetClient
from faceaudit.crawl.sites.flickr import Flickr
from faceaudit.demo.server import FixtureServer, Handler
from faceaudit.errors import UsageError
from faceaudit.report.advice import load
from faceaudit.types import ImageKind, StopReason
from tests.platforms.flickr import FlickrAccount, FlickrPhoto, flickr_sites
from tests.support import Crawl, crawl_adapter, fixture_policy, module_server

NSID, OTHER = "12345678@N00", "87654321@N01"
STATIC = "https://live.staticflickr.com/65535"
ICON = f"https://www.flickr.com/buddyicons/{NSID}.jpg"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 120, 90)).save(out, "JPEG")
    return out.getvalue()


PHOTO = jpeg()


def sam(photos: int = 3, **fields: Any) -> FlickrAccount:
    posts = [FlickrPhoto(str(500 + i), PHOTO, f"photo {i}", secret=f"s{i}") for i in range(photos)]
    return FlickrAccount(NSID, "sam", "Sam", PHOTO, posts, **fields)


def bob() -> FlickrAccount:
    return FlickrAccount(OTHER, "bob", "Bob", PHOTO, [FlickrPhoto("400", PHOTO, "bob's", secret="b0")])


def large(photo_id: int, secret: str) -> str:
    return f"{STATIC}/{photo_id}_{secret}_b.jpg"


server = module_server(lambda: flickr_sites([]))


@pytest.fixture
def crawl(server: FixtureServer) -> Any:
    """crawl(sites, url=…) -> Crawl: one adapter run with a fresh client."""

    def run(handlers: dict[str, Handler], url: str = "https://www.flickr.com/photos/sam/", **limits: int) -> Crawl:
        done = crawl_adapter(server, url, handlers=handlers, **limits)
        assert isinstance(done.site, Flickr)
        return done

    return run


def test_an_alias_is_resolved_on_its_own_page_then_the_feed_gives_every_photo(crawl: Any) -> None:
    account = sam(3)
    account.photos[1].description = "On the pier"
    run = crawl(flickr_sites([account, bob()]))
    assert run.result.stop is StopReason.END, run.result.detail
    assert run.result.detail == "all 3 photos in the public feed"
    assert run.urls(ImageKind.AVATAR) == {ICON}
    assert run.urls(ImageKind.POST) == {large(500 + i, f"s{i}") for i in range(3)}
    assert len(run.candidates) == 4
    assert run.paths(query=False) == ["/photos/sam/", "/services/feeds/photos_public.gne"]
    assert f"id={NSID.replace('@', '%40')}" in run.log[1][1] and "nojsoncallback=1" in run.log[1][1]
    newest = run.candidates[1]
    assert (newest.url, newest.page_url, newest.found_by, newest.caption, newest.posted_at) == (
        large(502, "s2"), "https://www.flickr.com/photos/sam/502/", "flickr:feed", "photo 2", "2024-05-20T12:00:00Z")
    described = next(c for c in run.candidates if c.url == large(501, "s1"))
    assert described.caption == "photo 1 — On the pier"  # Flickr's "Sam posted a photo" boilerplate is gone
    assert run.result.facts == {"public_photos_in_feed": 3, "noindex": False}
    assert run.result.indexable is True and run.result.pages_visited == 2


def test_an_nsid_address_goes_straight_to_the_feed(crawl: Any) -> None:
    run = crawl(flickr_sites([sam(2)]), url=f"https://flickr.com/people/{NSID}/")
    assert run.result.stop is StopReason.END
    assert run.paths(query=False) == ["/services/feeds/photos_public.gne"]
    assert run.urls() == {ICON, large(500, "s0"), large(501, "s1")}


def test_invalid_escapes_and_the_jsonp_wrapper_are_tolerated(crawl: Any) -> None:
    account = sam(1)
    account.photos[0].title = "Sam's \\ day"
    run = crawl(flickr_sites([account], jsonp=True))
    assert run.result.stop is StopReason.END, run.result.detail
    assert [c.caption for c in run.candidates if c.kind is ImageKind.POST] == ["Sam's \\ day"]


def test_the_feed_holds_only_the_newest_twenty_and_says_so(crawl: Any) -> None:
    run = crawl(flickr_sites([sam(25)]))
    assert run.result.stop is StopReason.END
    assert run.urls(ImageKind.POST) == {large(500 + i, f"s{i}") for i in range(5, 25)}
    assert "20 newest public photos" in run.result.detail
    assert run.result.facts["feed_truncated"] is True
    assert any("older public photos" in note for note in run.result.notes)


def test_max_images_caps_the_photos(crawl: Any) -> None:
    run = crawl(flickr_sites([sam(10)]), max_images=4)
    assert run.result.stop is StopReason.CAP
    assert len(run.candidates) == 4


def test_an_account_without_public_photos_says_so(crawl: Any) -> None:
    run = crawl(flickr_sites([sam(0)]))
    assert run.result.stop is StopReason.END
    assert "no public photos" in run.result.detail
    assert run.urls() == {ICON}
    assert run.result.facts["public_photos_in_feed"] == 0


def test_an_unknown_nsid_gets_everyones_uploads_which_are_not_taken(crawl: Any) -> None:
    run = crawl(flickr_sites([sam(2), bob()]), url="https://www.flickr.com/photos/11111111@N00/")
    assert run.result.stop is StopReason.NOT_FOUND
    assert "11111111@N00" in run.result.detail
    assert run.candidates == []


def test_an_unknown_alias_is_not_found(crawl: Any) -> None:
    run = crawl(flickr_sites([sam(2)]), url="https://www.flickr.com/photos/nobody/")
    assert run.result.stop is StopReason.NOT_FOUND
    assert "nobody on Flickr" in run.result.detail
    assert run.candidates == [] and run.paths(query=False) == ["/photos/nobody/"]


def test_a_page_without_its_feed_link_asks_for_the_nsid(crawl: Any) -> None:
    run = crawl(flickr_sites([sam(2)], feed_link=False))
    assert run.result.stop is StopReason.ERROR
    assert "does not name its NSID" in run.result.detail and Flickr.example in run.result.detail
    assert run.candidates == []


def test_the_other_nsids_on_the_page_are_not_taken(crawl: Any) -> None:
    run = crawl(flickr_sites([sam(1), bob()]))
    assert "99999999" not in str(run.log) and OTHER.replace("@", "%40") not in str(run.log)


def test_noindex_on_the_photostream_is_recorded(crawl: Any) -> None:
    run = crawl(flickr_sites([sam(1, noindex=True)]))
    assert run.result.indexable is False and run.result.facts["noindex"] is True


@pytest.mark.parametrize(("failure", "stop", "said"), [
    ("rate_limited", StopReason.RATE_LIMITED, "reset 3600"),
    ("html", StopReason.BLOCKED, "a web page where the data of sam on Flickr was expected"),
    ("blocked", StopReason.BLOCKED, "403"),
    ("unauthorized", StopReason.BLOCKED, "401"),
    ("login", StopReason.LOGIN_WALL, "login page"),
])
def test_a_feed_that_turns_a_guest_away_is_an_outcome(crawl: Any, failure: str, stop: StopReason, said: str) -> None:
    run = crawl(flickr_sites([sam(2)], feed_failure=failure))
    assert run.result.stop is stop
    assert said in run.result.detail
    assert run.candidates == []
    assert run.sleeps == []  # an hour's wait is reported, not waited out
    assert not any("identity.flickr.com" in host for host, _ in run.log)


@pytest.mark.parametrize(("failure", "stop"), [
    ("rate_limited", StopReason.RATE_LIMITED), ("blocked", StopReason.BLOCKED),
    ("login", StopReason.LOGIN_WALL), ("html", StopReason.ERROR),
])
def test_a_photostream_page_that_turns_a_guest_away_is_an_outcome(crawl: Any, failure: str, stop: StopReason) -> None:
    run = crawl(flickr_sites([sam(2)], page_failure=failure))
    assert run.result.stop is stop, run.result.detail
    assert run.result.detail
    assert run.paths(query=False) == ["/photos/sam/"]


def test_the_photos_it_finds_are_really_served(crawl: Any, server: FixtureServer) -> None:
    run = crawl(flickr_sites([sam(2)]))
    with NetClient(fixture_policy(server, min_interval=0)) as net:
        for url in run.urls():
            response = net.get_image(url)
            assert (response.status, response.body) == (200, PHOTO), url


# --- which URLs are Flickr accounts ------------------------------------------------------------------


@pytest.mark.parametrize(("url", "user"), [
    ("https://www.flickr.com/photos/sam/", "sam"), ("https://flickr.com/photos/sam", "sam"),
    (f"https://www.flickr.com/photos/{NSID}/", NSID), (f"https://www.flickr.com/people/{NSID}", NSID),
    ("https://m.flickr.com/photos/sam-smith_2/?utm=x", "sam-smith_2"),
])
def test_account_urls_are_taken(url: str, user: str) -> None:
    site = sites.find(url)
    assert isinstance(site, Flickr) and site.user == user
    assert site.nsid == (NSID if "@" in user else None)
    assert "https://www.flickr.com/account/privacy" in {entry.settings_link(site.url) for entry in load("flickr").entries}


@pytest.mark.parametrize("url", [
    "https://www.flickr.com/photos/sam/53700000000/", "https://www.flickr.com/photos/sam/albums",
    "https://www.flickr.com/photos/tags/portrait", "https://www.flickr.com/photos/tags/",
    "https://www.flickr.com/groups/portraits/", "https://www.flickr.com/search/?text=sam",
    "https://www.flickr.com/explore", "https://flic.kr/p/2abcDE", "https://www.flickr.com/",
    "https://www.flickr.com/photos/me",
])
def test_other_flickr_pages_are_refused(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        sites.find(url)
    assert Flickr.example in caught.value.hint


def test_scope_is_the_account_pages_and_the_feed() -> None:
    site = sites.find("https://www.flickr.com/photos/sam/")
    assert site.scope() == AccountScope(frozenset({"www.flickr.com", "flickr.com"}),
                                        ("/photos/sam/", "/people/sam/", "/services/feeds/photos_public.gne"))
    assert not site.scope().allows("https://www.flickr.com/photos/samuel/")
    assert not site.scope().allows("https://www.flickr.com/services/rest/?method=flickr.people.getInfo")
