"""The generic personal-website adapter, against TLS fixture sites in real Chromium: the pages a
site links to and lists in its sitemaps, read breadth-first within the site, and what its
robots.txt asks search engines."""

from __future__ import annotations

import gzip
import socket
from collections.abc import Callable, Iterator

import pytest

from faceaudit.crawl import sites
from faceaudit.crawl.browser import BrowserInfo, BrowserSession
from faceaudit.crawl.harvest import page_links
from faceaudit.crawl.net import AccountScope, NetClient, NetworkPolicy
from faceaudit.crawl.robots import (
    IMAGE_CRAWLER,
    MAX_SITEMAP_BYTES,
    parse_robots,
    parse_sitemap,
    sitemap_pages,
)
from faceaudit.crawl.sites.base import CrawlContext
from faceaudit.crawl.sites.web import Web, page_key
from faceaudit.demo.server import FixtureServer, Reply, Request
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason

SITE = "https://ada.example.org"

HOME = b"""<!doctype html><title>Ada Example</title>
<meta property="og:image" content="https://cdn.example.net/ada-share.jpg">
<script type="application/ld+json">{"@type": "Person", "name": "Ada", "image": {"@type": "ImageObject",
  "contentUrl": "/photos/portrait.jpg"}}</script>
<div style="background-image: url('/photos/banner.jpg'); height: 50px"></div>
<img src="/photos/lake.jpg" alt="Ada at the lake">
<a href="/blog/">my blog</a> <a href="https://friend.example.org/">a friend</a>"""


def site(pages: dict[str, bytes | Reply]) -> Callable[[Request], Reply]:
    """A fixture host serving `pages` (path -> HTML or a whole reply); anything else is a 404."""

    def handle(request: Request) -> Reply:
        page = pages.get(request.path)
        if page is None:
            return Reply(404, b"not here", "text/plain")
        return page if isinstance(page, Reply) else Reply(200, page)

    return handle


def xml(body: str) -> Reply:
    return Reply(200, f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'.encode(), "application/xml")


URLSET = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</urlset>'
INDEX = '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</sitemapindex>'


def locs(tag: str, *urls: str) -> str:
    return "".join(f"<{tag}><loc>{url}</loc></{tag}>" for url in urls)


HUGE_GZ = gzip.compress(URLSET.format(locs("url", "https://gz.example.org/first/")).encode()
                        + b" " * (MAX_SITEMAP_BYTES * 3))

# Sites of several pages, each host for one test. friend.example.org is another person's site:
# it is served (a request for it would show in the log), and no crawl may ever request it.
SITES: dict[str, Callable[[Request], Reply]] = {
    "friend.example.org": site({"/": b'<img src="/friend.jpg">', "/sitemap.xml": xml(URLSET.format(""))}),
    # The portrait is only on /about/, linked from the home page among links that are not pages.
    "bo.example.org": site({
        "/": b"""<title>Bo</title><img src="/photos/cat.jpg">
            <a href="/about/">about me</a> <a href="https://friend.example.org/">a friend</a>
            <a href="https://friend.example.org/blog/">her blog</a> <a href="mailto:bo@example.org">mail</a>
            <a href="/cv.pdf">CV</a> <a href="#top">top</a> <a href="/?lang=de">deutsch</a>
            <a href="/logout">log out</a> <a href="/login">log in</a> <a href="javascript:void(0)">menu</a>
            <a href="/notes" rel="nofollow">notes</a> <a href="https://BO.Example.org/about#me">about, again</a>""",
        "/about/": b'<img src="/photos/portrait.jpg" alt="Bo"><a href="/">home</a><img src="/photos/cat.jpg">',
        "/notes": b"<p>no pictures here</p>",
    }),
    # The portrait is only on a page the sitemap lists.
    "sm.example.org": site({
        "/": b"<title>SM</title><p>nothing linked</p>",
        "/sitemap.xml": xml(URLSET.format(locs("url", "https://sm.example.org/", "https://sm.example.org/hidden-gem/",
                                                "https://friend.example.org/"))),
        "/hidden-gem/": b'<img src="/photos/portrait.jpg">',
    }),
    # robots.txt names a sitemap index; its child lists the page with the portrait.
    "map.example.org": site({
        "/": b"<title>Map</title>",
        "/robots.txt": Reply(200, b"User-agent: *\nAllow: /\n\nSitemap: https://map.example.org/index.xml\n"
                                  b"Sitemap: https://friend.example.org/sitemap.xml\n", "text/plain"),
        "/index.xml": xml(INDEX.format(locs("sitemap", "https://map.example.org/pages.xml",
                                            "https://friend.example.org/sitemap.xml"))),
        "/pages.xml": xml(URLSET.format(
            '<url><loc>https://map.example.org/gallery/?a=1&amp;b=2</loc>'
            '<image:image><image:loc>https://map.example.org/photos/portrait.jpg</image:loc></image:image></url>')),
        "/gallery/": b'<img src="/photos/portrait.jpg">',
    }),
    # A site at /~ada/ on a shared host: nothing outside /~ada/ is read, the root files aside.
    "uni.example.org": site({
        "/": b'<img src="/uni.jpg">',
        "/~ada/": b'<a href="/~ada/cv/">cv</a> <a href="/~bob/">bob</a> <a href="/">the university</a>',
        "/~ada/cv/": b'<img src="/~ada/me.jpg">',
        "/~ada/talks/": b'<img src="/~ada/talk.jpg">',
        "/~bob/": b'<img src="/~bob/bob.jpg">',
        "/sitemap.xml": xml(URLSET.format(locs("url", "https://uni.example.org/~bob/",
                                               "https://uni.example.org/~ada/talks/", "https://uni.example.org/"))),
    }),
    # More pages than --max-pages allows.
    "many.example.org": site({
        "/": "".join(f'<a href="/p{n}/">{n}</a>' for n in range(1, 7)).encode(),
        **{f"/p{n}/": f'<img src="/photos/{n}.jpg">'.encode() for n in range(1, 7)},
    }),
    # robots.txt closes the whole site to every crawler; the page itself does not object.
    "shy.example.org": site({
        "/": b'<img src="/photos/me.jpg">',
        "/robots.txt": Reply(200, b"User-agent: *\nDisallow: /\n", "text/plain"),
    }),
    # robots.txt keeps image crawlers out of the photo folder only.
    "pics.example.org": site({
        "/": b'<img src="/photos/a.jpg"><img src="/photos/b.jpg"><img src="https://cdn.example.net/c.jpg">'
             b'<a href="/private/">private</a>',
        "/private/": b"<p>drafts</p>",
        "/robots.txt": Reply(200, b"User-agent: Googlebot-Image\nDisallow: /photos/\n\n"
                                  b"User-agent: Googlebot\nUser-agent: Bingbot\nDisallow: /private/\n", "text/plain"),
    }),
    # Compressed sitemaps: one named in robots.txt lists a page only it knows; the other
    # unpacks to far more than faceaudit reads (a few kB on the wire); a third is not gzip.
    "gz.example.org": site({
        "/sitemap.xml.gz": Reply(200, gzip.compress(URLSET.format(locs(
            "url", "https://gz.example.org/only-in-the-map/")).encode()), "application/gzip"),
        "/huge.xml.gz": Reply(200, HUGE_GZ, "application/gzip"),
        "/broken.xml.gz": Reply(200, b"\x1f\x8b" + b"not really gzip", "application/gzip"),
    }),
    # A page behind a login and a dead link: the rest of the site is still read.
    "wall.example.org": site({
        "/": b'<a href="/members/">members</a> <a href="/gone/">old page</a> <a href="/ok/">photos</a>',
        "/members/": Reply(302, headers={"Location": "/login?next=/members/"}),
        "/ok/": b'<img src="/photos/ok.jpg">',
    }),
}


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
    with FixtureServer({"ada.example.org": handle, "www.ada.example.org": handle, **SITES}) as fixture:
        yield fixture


@pytest.fixture(scope="module")
def policy(server: FixtureServer) -> NetworkPolicy:
    assert server.certificate is not None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = int(probe.getsockname()[1])
    return NetworkPolicy(
        resolve={
            **{host: ("127.0.0.1", server.port) for host in server.sites},
            "gone.example.org": ("127.0.0.1", closed),
        },
        allow_dns=False,
        ca_cert=server.certificate.cert_pem,
        timeout=15,
        min_interval=0,
    )


@pytest.fixture(scope="module")
def session(chromium: BrowserInfo, policy: NetworkPolicy) -> Iterator[BrowserSession]:
    with BrowserSession(policy, browser=chromium, scroll_wait=0.2) as browser:
        yield browser


@pytest.fixture(scope="module")
def net(policy: NetworkPolicy) -> Iterator[NetClient]:
    with NetClient(policy) as client:  # robots.txt and sitemaps are read over plain HTTP
        yield client


def walk(url: str, session: BrowserSession, net: NetClient, **limits: int) -> tuple[list[ImageCandidate], CrawlResult]:
    """The candidates and outcome of one website account, as the scan would crawl it."""
    ctx = CrawlContext(net=net, browser=lambda: session, max_scrolls=3, **limits)
    result = CrawlResult()
    return list(Web(url, Web.pattern.match(url)).candidates(ctx, result)), result  # type: ignore[arg-type]


def crawl(url: str, session: BrowserSession, net: NetClient, **limits: int) -> tuple[list[tuple[str, ImageKind, str]], CrawlResult]:
    found, result = walk(url, session, net, **limits)
    return [(c.url, c.kind, c.found_by) for c in found], result


def requested(server: FixtureServer, host: str) -> list[str]:
    return [path for where, path in server.log if where == host]


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
def test_a_personal_site_yields_its_images_with_kinds(session: BrowserSession, net: NetClient, server: FixtureServer) -> None:
    server.log.clear()
    found, result = crawl(f"{SITE}/", session, net)
    assert found == [
        ("https://cdn.example.net/ada-share.jpg", ImageKind.SHARE_IMAGE, "og:image"),
        (f"{SITE}/photos/portrait.jpg", ImageKind.SHARE_IMAGE, "json-ld"),
        (f"{SITE}/photos/lake.jpg", ImageKind.PAGE_IMAGE, "img"),
        (f"{SITE}/photos/banner.jpg", ImageKind.PAGE_IMAGE, "css:background"),
    ]
    # The linked /blog/ does not exist: a dead link, noted; the site was still seen to its end.
    assert (result.stop, result.pages_visited, result.indexable) == (StopReason.END, 2, True)
    assert result.visited == [f"{SITE}/", f"{SITE}/blog/"]
    assert f"{SITE}/blog/ does not exist (404): a dead link" in result.notes
    # The page, the files a site keeps for crawlers, the linked page; no image fetched (the scan
    # fetches them later), and the friend's site never asked for.
    assert [path for _, path in server.log] == ["/", "/robots.txt", "/sitemap.xml", "/blog/"]
    assert "links that leave the site were noted, not followed: friend.example.org (1)" in result.notes


@pytest.mark.browser
def test_a_noindex_page_is_not_indexable(session: BrowserSession, net: NetClient) -> None:
    found, result = crawl(f"{SITE}/hidden/", session, net)
    assert [url for url, _, _ in found] == [f"{SITE}/photos/hidden.jpg"]
    assert result.indexable is False


@pytest.mark.browser
def test_what_a_page_tried_and_was_refused_is_noted_for_the_report(session: BrowserSession, net: NetClient) -> None:
    found, result = crawl(f"{SITE}/pushy/", session, net)
    assert [url for url, _, _ in found] == [f"{SITE}/photos/pushy.jpg"]
    assert any("popup" in note for note in result.notes), result.notes


@pytest.mark.browser
def test_the_www_twin_counts_as_the_same_site(session: BrowserSession, net: NetClient) -> None:
    found, result = crawl(f"{SITE}/twin/", session, net)
    assert [url for url, _, _ in found] == ["https://www.ada.example.org/photos/www.jpg"]
    assert result.stop is StopReason.END


@pytest.mark.browser
def test_a_login_redirect_stops_at_a_login_wall(session: BrowserSession, net: NetClient) -> None:
    found, result = crawl(f"{SITE}/wall/", session, net)
    assert found == []
    assert result.stop is StopReason.LOGIN_WALL
    assert f"{SITE}/login?next=/wall/" in result.detail
    assert result.indexable is None


@pytest.mark.browser
def test_max_images_caps_the_account(session: BrowserSession, net: NetClient) -> None:
    found, result = crawl(f"{SITE}/many/", session, net, max_images=3)
    assert [url for url, _, _ in found] == [f"{SITE}/photos/{n}.jpg" for n in range(3)]
    assert result.stop is StopReason.CAP


@pytest.mark.browser
def test_a_missing_page_and_a_dead_host_say_what_happened(session: BrowserSession, net: NetClient) -> None:
    found, result = crawl(f"{SITE}/nobody/", session, net)
    assert (found, result.stop) == ([], StopReason.NOT_FOUND)
    found, result = crawl("https://gone.example.org/", session, net)
    assert (found, result.stop, result.pages_visited) == ([], StopReason.ERROR, 0)
    assert "gone.example.org" in result.detail
    found, result = crawl("https://unlisted.example.org/", session, net)  # not mapped: refused up front
    assert (found, result.stop) == ([], StopReason.ERROR)  # as on every platform (tests/test_network_errors.py)
    assert "unlisted.example.org is not mapped and name lookups are off" in result.detail


# Whole sites -------------------------------------------------------------------------------

def pages_of(found: list[ImageCandidate]) -> dict[str, str]:
    return {c.url: c.page_url for c in found}


@pytest.mark.browser
def test_a_portrait_only_on_a_linked_about_page_is_found(session: BrowserSession, net: NetClient, server: FixtureServer) -> None:
    server.log.clear()
    found, result = walk("https://bo.example.org/", session, net)
    assert pages_of(found) == {  # each photo once, with the first page it was on
        "https://bo.example.org/photos/cat.jpg": "https://bo.example.org/",
        "https://bo.example.org/photos/portrait.jpg": "https://bo.example.org/about/",
    }
    # nofollow links are followed (a scraper does); files, mail, login and logout links, the
    # page itself with a query or a fragment, and a second spelling of /about/ are not.
    assert result.visited == ["https://bo.example.org/", "https://bo.example.org/about/", "https://bo.example.org/notes"]
    assert (result.stop, result.pages_visited) == (StopReason.END, 3)
    assert sorted(requested(server, "bo.example.org")) == ["/", "/about/", "/notes", "/robots.txt", "/sitemap.xml"]
    assert requested(server, "friend.example.org") == []  # another host's link: noted, never requested
    assert "links that leave the site were noted, not followed: friend.example.org (2)" in result.notes


@pytest.mark.browser
def test_a_portrait_only_on_a_page_in_the_sitemap_is_found(session: BrowserSession, net: NetClient, server: FixtureServer) -> None:
    server.log.clear()
    found, result = walk("https://sm.example.org/", session, net)
    assert pages_of(found) == {"https://sm.example.org/photos/portrait.jpg": "https://sm.example.org/hidden-gem/"}
    assert result.visited == ["https://sm.example.org/", "https://sm.example.org/hidden-gem/"]
    assert result.stop is StopReason.END
    assert requested(server, "friend.example.org") == []  # listed in the sitemap, but another site


@pytest.mark.browser
def test_a_sitemap_index_named_in_robots_txt_leads_to_its_pages(session: BrowserSession, net: NetClient, server: FixtureServer) -> None:
    server.log.clear()
    found, result = walk("https://map.example.org/", session, net)
    assert pages_of(found) == {"https://map.example.org/photos/portrait.jpg": "https://map.example.org/gallery/?a=1&b=2"}
    assert requested(server, "map.example.org") == ["/", "/robots.txt", "/index.xml", "/pages.xml", "/gallery/?a=1&b=2"]
    assert requested(server, "friend.example.org") == []  # its sitemap is named twice, and never read
    assert result.facts == {"robots_txt_disallows_site": False, "robots_txt_disallows_images": False}


@pytest.mark.browser
def test_pages_outside_the_listed_path_are_never_requested(session: BrowserSession, net: NetClient, server: FixtureServer) -> None:
    server.log.clear()
    found, result = walk("https://uni.example.org/~ada/", session, net)
    assert pages_of(found) == {
        "https://uni.example.org/~ada/me.jpg": "https://uni.example.org/~ada/cv/",
        "https://uni.example.org/~ada/talk.jpg": "https://uni.example.org/~ada/talks/",
    }
    # The host's root robots.txt and sitemap.xml are read; of the pages, only Ada's.
    assert requested(server, "uni.example.org") == [
        "/~ada/", "/robots.txt", "/sitemap.xml", "/~ada/sitemap.xml", "/~ada/cv/", "/~ada/talks/"]
    assert "links that leave the site were noted, not followed: uni.example.org (2)" in result.notes


@pytest.mark.browser
def test_max_pages_stops_the_walk_and_says_how_many_pages_were_left(session: BrowserSession, net: NetClient, server: FixtureServer) -> None:
    server.log.clear()
    found, result = walk("https://many.example.org/", session, net, max_pages=3)
    assert [c.url for c in found] == ["https://many.example.org/photos/1.jpg", "https://many.example.org/photos/2.jpg"]
    assert result.stop is StopReason.CAP
    assert result.detail == "stopped after 3 pages (--max-pages); 4 more pages of the site were left unvisited"
    assert len(result.visited) == result.pages_visited == 3
    assert not {f"/p{n}/" for n in range(3, 7)} & set(requested(server, "many.example.org"))
    found, result = walk("https://many.example.org/", session, net, max_pages=7)
    assert (len(found), result.stop) == (6, StopReason.END)  # room for every page: seen to the end


@pytest.mark.browser
def test_robots_txt_closing_the_site_is_reported_but_not_taken_for_noindex(session: BrowserSession, net: NetClient) -> None:
    found, result = walk("https://shy.example.org/", session, net)
    assert [c.url for c in found] == ["https://shy.example.org/photos/me.jpg"]  # read all the same
    assert result.facts == {"robots_txt_disallows_site": True, "robots_txt_disallows_images": True}
    # robots.txt stops crawling, not indexing: the account may still be indexed, and the note says why.
    assert result.indexable is True
    site, images = [n for n in result.notes if n.startswith("robots.txt")]
    assert "every search engine" in site and "stops crawling, not indexing" in site
    assert "not to fetch 1 of the 1 images" in images


@pytest.mark.browser
def test_robots_txt_rules_for_image_crawlers_and_for_some_pages_are_noted(session: BrowserSession, net: NetClient) -> None:
    found, result = walk("https://pics.example.org/", session, net)
    assert len(found) == 3 and result.visited == ["https://pics.example.org/", "https://pics.example.org/private/"]
    assert result.facts == {"robots_txt_disallows_site": False, "robots_txt_disallows_images": True}
    robots = [n for n in result.notes if n.startswith("robots.txt")]
    assert robots == [
        "robots.txt asks Googlebot and Bingbot not to crawl 1 of the 2 pages read: https://pics.example.org/private/ "
        "(face scrapers need not obey it)",
        # The CDN's image follows the CDN's robots.txt: only the site's own two are counted.
        "robots.txt asks image crawlers (Googlebot-Image) not to fetch 2 of the 2 images on the site's "
        "own host: they should stay out of Google Images, but face scrapers are not bound by it",
    ]


@pytest.mark.browser
def test_a_page_behind_a_login_is_noted_and_the_rest_of_the_site_is_read(session: BrowserSession, net: NetClient) -> None:
    found, result = walk("https://wall.example.org/", session, net)
    assert [c.url for c in found] == ["https://wall.example.org/photos/ok.jpg"]
    assert result.stop is StopReason.LOGIN_WALL  # seen in part: one page is hidden from strangers
    assert "https://wall.example.org/login?next=/members/" in result.detail
    assert "https://wall.example.org/gone/ does not exist (404): a dead link" in result.notes
    # Each page as it was read: /members/ sent the browser on to the login page.
    assert result.visited == [f"https://wall.example.org/{p}" for p in ("", "login?next=/members/", "gone/", "ok/")]


# The pieces, without a browser ----------------------------------------------------------------

def test_links_keep_the_sites_own_pages_and_set_aside_the_rest() -> None:
    scope = AccountScope(frozenset({"me.example.org", "www.me.example.org"}), ("/~me/",))
    hrefs = [
        "https://me.example.org/~me/about/#bio", "https://me.example.org/~me/about/",  # once
        "https://www.me.example.org/~me/blog/?page=2",
        "https://me.example.org/~me/?sort=new", "https://me.example.org/~me#top",  # the page itself
        "https://me.example.org/~me/cv.PDF", "https://me.example.org/~me/me.jpg",  # files
        "https://me.example.org/~me/login", "https://me.example.org/~me/wp-login.php", "https://me.example.org/~me/wp-admin/",
        "https://me.example.org/~me/logout?next=/", "https://me.example.org/~me/sign-out",
        "mailto:me@example.org", "javascript:void(0)", "tel:+4912345", "",
        "https://other.example.org/", "https://me.example.org/~you/",  # outside: kept to be noted
    ]
    inside, outside = page_links(hrefs, "https://me.example.org/~me/", scope)
    assert inside == ["https://me.example.org/~me/about/", "https://www.me.example.org/~me/blog/?page=2"]
    assert outside == ["https://other.example.org/", "https://me.example.org/~you/"]


def test_one_page_however_it_is_written() -> None:
    same = ["https://Me.Example.org/about", "https://me.example.org/about/", "http://www.me.example.org/about#x",
            "https://me.example.org:443/about/"]
    assert {page_key(url) for url in same} == {"me.example.org/about"}
    assert page_key("https://me.example.org") == page_key("https://me.example.org/") == "me.example.org/"
    assert page_key("https://me.example.org/?p=2") != page_key("https://me.example.org/")
    assert page_key("https://me.example.org:8443/") == "me.example.org:8443/"


ROBOTS = """# comments and unknown lines are ignored
Disallow: /before-any-agent/
User-agent: *
Disallow: /private/
Allow: /private/open/
Disallow: /*.jpg$

User-agent: Googlebot/2.1
User-agent: bingbot
Disallow: /drafts
Crawl-delay: 10
Allow: /drafts/public

User-agent: Googlebot-Image
Disallow:

Sitemap: https://me.example.org/sitemap.xml
"""


@pytest.mark.parametrize(("agent", "path", "allowed"), [
    ((), "/", True),
    ((), "/before-any-agent/", True),  # a rule before any user-agent belongs to no group
    ((), "/private/x", False),
    ((), "/private/open/x", True),  # the longer rule wins
    ((), "/photos/a.jpg", False),
    ((), "/photos/a.jpg?size=2", True),  # `$` anchors the end
    ((), "/%70rivate/x", False),  # percent-encoding is compared decoded
    (("googlebot",), "/private/x", True),  # its own group replaces the `*` one
    (("googlebot",), "/drafts/x", False),
    (("googlebot",), "/drafts/public/x", True),
    (("bingbot",), "/drafts", False),  # two user-agent lines share the rules after them
    (IMAGE_CRAWLER, "/drafts/x", True),  # its own empty group: everything allowed
    (("googlebot-news", "googlebot"), "/drafts/x", False),  # no group of its own: Googlebot's
])
def test_robots_txt_rules_as_rfc_9309_reads_them(agent: tuple[str, ...], path: str, allowed: bool) -> None:
    assert parse_robots(ROBOTS).allows(agent, f"https://me.example.org{path}") is allowed


def test_robots_txt_allow_wins_a_tie_and_sitemaps_are_listed() -> None:
    robots = parse_robots("User-agent: *\nDisallow: /a\nAllow: /a\n")
    assert robots.allows((), "https://me.example.org/a")
    assert parse_robots(ROBOTS).sitemaps == ["https://me.example.org/sitemap.xml"]
    assert parse_robots("<html>not found</html>").groups == {}


def test_a_hostile_robots_txt_cannot_make_matching_slow() -> None:
    robots = parse_robots("User-agent: *\n" + "Disallow: /*a*a*a*a*a*a*a*a*a*a*a*a*b\n" * 5000)
    assert robots.truncated and len(robots.groups["*"]) == 2000
    assert robots.allows((), "https://me.example.org/" + "a" * 300)  # quadratic at worst, never exponential


def test_sitemaps_list_pages_or_other_sitemaps() -> None:
    urlset = parse_sitemap(URLSET.format(
        "<url><loc> https://me.example.org/a?x=1&amp;y=2 </loc></url>"
        "<url><loc><![CDATA[https://me.example.org/b]]></loc>"
        "<image:image><image:loc>https://me.example.org/photo.jpg</image:loc></image:image></url>"
        "<url><loc>/relative</loc></url><url><loc>ftp://me.example.org/c</loc></url>"))
    assert (urlset.urls, urlset.is_index) == (["https://me.example.org/a?x=1&y=2", "https://me.example.org/b"], False)
    index = parse_sitemap(INDEX.format(locs("sitemap", "https://me.example.org/posts.xml")))
    assert (index.urls, index.is_index) == (["https://me.example.org/posts.xml"], True)
    text = parse_sitemap("https://me.example.org/a\n\nhttps://me.example.org/b\nnot a url\n")
    assert text.urls == ["https://me.example.org/a", "https://me.example.org/b"]
    assert parse_sitemap("<loc>" * 100_000).urls == []  # an unclosed flood is read in linear time


def test_compressed_sitemaps_are_read_within_a_bound(net: NetClient, server: FixtureServer) -> None:
    """A `sitemap.xml.gz` is unpacked and its pages walked; one that unpacks to 30 MB (from
    under 100 kB on the wire) is read only up to MAX_SITEMAP_BYTES, its first entry still
    counted; damaged gzip is a note, and the walk goes on."""
    assert len(HUGE_GZ) < 100_000
    notes: list[str] = []
    robots = parse_robots("Sitemap: https://gz.example.org/sitemap.xml.gz\n"
                          "Sitemap: https://gz.example.org/huge.xml.gz\n"
                          "Sitemap: https://gz.example.org/broken.xml.gz\n")
    scope = AccountScope(frozenset({"gz.example.org"}))
    pages = sitemap_pages(net, "https://gz.example.org/", scope, robots, notes)
    assert pages == ["https://gz.example.org/only-in-the-map/", "https://gz.example.org/first/"]
    assert any("huge.xml.gz unpacks to more than 10 MB" in note for note in notes), notes
    assert any("broken.xml.gz is damaged compressed data" in note for note in notes), notes
