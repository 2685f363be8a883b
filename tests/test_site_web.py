"""The generic personal-website adapter, against a TLS fixture site in real Chromium."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from faceaudit.crawl import sites
from faceaudit.crawl.browser import BrowserInfo, BrowserSession
from faceaudit.crawl.net import NetworkPolicy
from faceaudit.crawl.sites.base import CrawlContext
from faceaudit.crawl.sites.web import Web
from faceaudit.demo.server import FixtureServer, Reply, Request
from faceaudit.types import CrawlResult, ImageKind, StopReason

SITE = "https://ada.example.org"

HOME = b"""<!doctype html><title>Ada Example</title>
<meta property="og:image" content="https://cdn.example.net/ada-share.jpg">
<script type="application/ld+json">{"@type": "Person", "name": "Ada", "image": {"@type": "ImageObject",
  "contentUrl": "/photos/portrait.jpg"}}</script>
<div style="background-image: url('/photos/banner.jpg'); height: 50px"></div>
<img src="/photos/lake.jpg" alt="Ada at the lake">
<a href="/blog/">my blog</a> <a href="https://friend.example.org/">a friend</a>"""


def handle(request: Request) -> Reply:
    if request.host == "www.ada.example.org":
        return Reply(200, b'<title>www</title><img src="/photos/www.jpg">')
    pages = {
        "/": HOME,
        "/hidden/": b'<meta name="robots" content="noindex"><img src="/photos/hidden.jpg">',
        "/many/": b"".join(b'<img src="/photos/%d.jpg">' % n for n in range(5)),
        "/pushy/": b'<img src="/photos/pushy.jpg"><script>window.open("https://ada.example.org/ad/")</script>',
    }
    if request.path in pages:
        return Reply(200, pages[request.path])
    if request.path == "/twin/":
        return Reply(301, headers={"Location": "https://www.ada.example.org/twin/"})
    if request.path == "/wall/":
        return Reply(302, headers={"Location": "/login?next=/wall/"})
    return Reply(404, b"not here")


@pytest.fixture(scope="module")
def server() -> Iterator[FixtureServer]:
    with FixtureServer({"ada.example.org": handle, "www.ada.example.org": handle}) as fixture:
        yield fixture


@pytest.fixture(scope="module")
def session(chromium: BrowserInfo, server: FixtureServer) -> Iterator[BrowserSession]:
    assert server.certificate is not None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = int(probe.getsockname()[1])
    policy = NetworkPolicy(
        resolve={
            "ada.example.org": ("127.0.0.1", server.port),
            "www.ada.example.org": ("127.0.0.1", server.port),
            "gone.example.org": ("127.0.0.1", closed),
        },
        allow_dns=False,
        ca_cert=server.certificate.cert_pem,
        timeout=15,
    )
    with BrowserSession(policy, browser=chromium, scroll_wait=0.2) as browser:
        yield browser


def crawl(url: str, session: BrowserSession, **limits: int) -> tuple[list[tuple[str, ImageKind, str]], CrawlResult]:
    ctx = CrawlContext(net=None, browser=lambda: session, max_scrolls=3, **limits)  # type: ignore[arg-type]
    result = CrawlResult()
    found = [(c.url, c.kind, c.found_by) for c in Web(url, Web.pattern.match(url)).candidates(ctx, result)]  # type: ignore[arg-type]
    return found, result


def test_the_registry_gives_personal_sites_to_web() -> None:
    site = sites.find("https://me.example.org/")
    assert isinstance(site, Web)
    assert site.name == "web"
    assert Web.pattern.match(Web.example)
    assert sites.find("https://mastodon.social/@alex").name != "web"  # taken by its own adapter first


@pytest.mark.parametrize("url", ["ftp://me.example.org/", "me.example.org", "https://", "javascript:alert(1)"])
def test_web_takes_only_http_urls(url: str) -> None:
    assert not Web.pattern.match(url)


def test_scope_is_the_host_and_the_pages_own_path() -> None:
    whole = Web("https://me.example.org/", Web.pattern.match("https://me.example.org/")).scope()  # type: ignore[arg-type]
    assert whole.allows("https://me.example.org/anything/at/all")
    assert whole.allows("https://www.me.example.org/")  # the www twin is the same site
    assert not whole.allows("https://other.example.org/")

    url = "https://uni.example.edu/~ada"
    home = Web(url, Web.pattern.match(url)).scope()  # type: ignore[arg-type]
    assert home.path_prefixes == ("/~ada/",)
    assert home.allows("https://uni.example.edu/~ada") and home.allows("https://uni.example.edu/~ada/cv.html")
    assert not home.allows("https://uni.example.edu/~bob/")
    assert not home.allows("https://uni.example.edu/~adam/")


@pytest.mark.browser
def test_a_personal_site_yields_its_images_with_kinds(session: BrowserSession, server: FixtureServer) -> None:
    server.log.clear()
    found, result = crawl(f"{SITE}/", session)
    assert found == [
        ("https://cdn.example.net/ada-share.jpg", ImageKind.SHARE_IMAGE, "og:image"),
        (f"{SITE}/photos/portrait.jpg", ImageKind.SHARE_IMAGE, "json-ld"),
        (f"{SITE}/photos/lake.jpg", ImageKind.PAGE_IMAGE, "img"),
        (f"{SITE}/photos/banner.jpg", ImageKind.PAGE_IMAGE, "css:background"),
    ]
    assert (result.stop, result.pages_visited, result.indexable) == (StopReason.END, 1, True)
    assert [path for _, path in server.log] == ["/"]  # no link followed, no image fetched


@pytest.mark.browser
def test_a_noindex_page_is_not_indexable(session: BrowserSession) -> None:
    found, result = crawl(f"{SITE}/hidden/", session)
    assert [url for url, _, _ in found] == [f"{SITE}/photos/hidden.jpg"]
    assert result.indexable is False


@pytest.mark.browser
def test_what_a_page_tried_and_was_refused_is_noted_for_the_report(session: BrowserSession) -> None:
    found, result = crawl(f"{SITE}/pushy/", session)
    assert [url for url, _, _ in found] == [f"{SITE}/photos/pushy.jpg"]
    assert any("popup" in note for note in result.notes), result.notes


@pytest.mark.browser
def test_the_www_twin_counts_as_the_same_site(session: BrowserSession) -> None:
    found, result = crawl(f"{SITE}/twin/", session)
    assert [url for url, _, _ in found] == ["https://www.ada.example.org/photos/www.jpg"]
    assert result.stop is StopReason.END


@pytest.mark.browser
def test_a_login_redirect_stops_at_a_login_wall(session: BrowserSession) -> None:
    found, result = crawl(f"{SITE}/wall/", session)
    assert found == []
    assert result.stop is StopReason.LOGIN_WALL
    assert f"{SITE}/login?next=/wall/" in result.detail
    assert result.indexable is None


@pytest.mark.browser
def test_max_images_caps_the_account(session: BrowserSession) -> None:
    found, result = crawl(f"{SITE}/many/", session, max_images=3)
    assert [url for url, _, _ in found] == [f"{SITE}/photos/{n}.jpg" for n in range(3)]
    assert result.stop is StopReason.CAP


@pytest.mark.browser
def test_a_missing_page_and_a_dead_host_say_what_happened(session: BrowserSession) -> None:
    found, result = crawl(f"{SITE}/nobody/", session)
    assert (found, result.stop) == ([], StopReason.NOT_FOUND)
    found, result = crawl("https://gone.example.org/", session)
    assert (found, result.stop, result.pages_visited) == ([], StopReason.ERROR, 0)
    assert "gone.example.org" in result.detail
    found, result = crawl("https://unlisted.example.org/", session)  # not mapped: refused up front
    assert (found, result.stop) == ([], StopReason.BLOCKED)
