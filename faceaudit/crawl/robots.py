"""What a site tells crawlers about itself: its robots.txt rules (RFC 9309) and its sitemaps.

The website adapter reads both here (fetched through net.py, parsed as plain text), and
`robots_findings` says what robots.txt asks, in the account's notes and facts. faceaudit
does not obey robots.txt (it visits the user's own site as a scraper would, because that is what
the user asked to see); it reads it to tell the user what search engines are asked not to crawl.
"""

from __future__ import annotations

import html
import re
import zlib
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from faceaudit.crawl.net import AccountScope
from faceaudit.errors import NetworkError
from faceaudit.types import CrawlResult

if TYPE_CHECKING:
    from faceaudit.crawl.net import NetClient

# RFC 9309 §2.5: crawlers read at least the first 500 KiB; we read that much and no more.
MAX_ROBOTS_CHARS = 500 * 1024
# Each URL is matched against every rule of its group: a hostile file of a million rules must
# not make that slow. Real files have a few dozen.
MAX_RULES = 2000
# A sitemap lists at most 50,000 URLs (sitemaps.org); we keep the first this many in all.
MAX_LISTED = 10_000
MAX_SITEMAPS = 10  # sitemap files read per site, sitemap indexes and their children included
# A compressed sitemap is read up to this many bytes once unpacked (the sitemap protocol's own
# limit is 50 MB): a small file that unpacks to gigabytes stops here, costing no more memory.
MAX_SITEMAP_BYTES = 10 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
MAX_ROBOTS_CHECKS = 1000  # the site's own images checked against robots.txt

# The crawlers the report speaks of, by their product tokens, most specific first: a crawler
# follows its own group, else the next token's (Googlebot-Image follows Googlebot's rules when
# robots.txt has none for it, as Google documents), else the `*` group.
# "other crawlers" are the ones robots.txt does not name: the `*` group.
SEARCH_CRAWLERS: dict[str, tuple[str, ...]] = {
    "Googlebot": ("googlebot",), "Bingbot": ("bingbot",), "other crawlers": (),
}
IMAGE_CRAWLER: tuple[str, ...] = ("googlebot-image", "googlebot")


@dataclass
class RobotsTxt:
    """The rules of one robots.txt: per user-agent token, its (pattern, allow) rules."""

    groups: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)
    sitemaps: list[str] = field(default_factory=list)
    truncated: bool = False  # rules past MAX_RULES were not read

    def allows(self, agent: Sequence[str], url: str) -> bool:
        """May the crawler whose tokens are `agent` (most specific first) crawl `url`?

        Its own group applies, else the `*` group, else everything is allowed; among the rules
        that match, the longest pattern wins and Allow wins a tie (RFC 9309 §2.2.2).
        """
        rules = next((self.groups[token] for token in (*agent, "*") if token in self.groups), [])
        parts = urlsplit(url)
        path = unquote(parts.path or "/") + (f"?{unquote(parts.query)}" if parts.query else "")
        best: tuple[int, bool] | None = None
        for pattern, allow in rules:
            if _matches(pattern, path) and (best is None or (len(pattern), allow) > best):
                best = (len(pattern), allow)
        return best is None or best[1]

    def allows_any(self, agents: Iterable[Sequence[str]], url: str) -> bool:
        """May at least one of these crawlers crawl `url`?"""
        return any(self.allows(agent, url) for agent in agents)


def parse_robots(text: str) -> RobotsTxt:
    """The groups and sitemaps of a robots.txt. Consecutive user-agent lines share the rules that
    follow them; groups of the same agent are merged; rules before any user-agent are ignored."""
    robots = RobotsTxt()
    agents: list[str] = []
    rules = 0
    in_rules = False
    for line in text[:MAX_ROBOTS_CHARS].splitlines():
        key, colon, value = line.split("#", 1)[0].partition(":")
        key, value = key.strip().lower(), value.strip()
        if not colon:
            continue
        if key == "user-agent":
            if in_rules:  # a user-agent after rules starts the next group
                agents, in_rules = [], False
            agent = value.split("/")[0].strip().lower()  # "Googlebot/2.1" is googlebot
            if agent:
                agents.append(agent)
                robots.groups.setdefault(agent, [])
        elif key in ("allow", "disallow"):
            in_rules = True
            if not value:  # "Disallow:" with nothing after it allows everything
                continue
            if rules >= MAX_RULES:
                robots.truncated = True
                continue
            rules += 1
            for agent in agents:
                robots.groups[agent].append((unquote(value), key == "allow"))
        elif key == "sitemap" and value:
            robots.sitemaps.append(value)
    return robots


def _matches(pattern: str, path: str) -> bool:
    """Does a robots.txt path pattern match `path` from its start? `*` is any run of characters,
    a final `$` anchors the end. Matched without regular expressions, in O(len(pattern) ×
    len(path)) at worst: a pattern like `*a*a*a*a*b` cannot make it backtrack for ever."""
    anchored = pattern.endswith("$")
    if anchored:
        pattern = pattern[:-1]
    if "*" not in pattern:
        return path == pattern if anchored else path.startswith(pattern)
    if not anchored:
        pattern += "*"
    p = s = 0
    star, mark = -1, 0
    while s < len(path):
        if p < len(pattern) and pattern[p] == "*":
            star, mark = p, s
            p += 1
        elif p < len(pattern) and pattern[p] == path[s]:
            p += 1
            s += 1
        elif star >= 0:  # let the last star take one more character
            p, mark = star + 1, mark + 1
            s = mark
        else:
            return False
    return pattern[p:].strip("*") == ""


# An unprefixed <loc> (the sitemap's own namespace): `<image:loc>` is an image, not a page.
# `[^<]*` and `[^\]]*` keep the search linear on a hostile file.
_LOC = re.compile(r"<loc>(?:\s*<!\[CDATA\[([^\]]*)\]\]>\s*|([^<]*))</loc>")
_INDEX = re.compile(r"<sitemapindex[\s>]")


@dataclass(frozen=True)
class Sitemap:
    """What one sitemap file lists: pages, or (a sitemap index) other sitemaps."""

    urls: list[str]
    is_index: bool = False


def parse_sitemap(text: str) -> Sitemap:
    """The absolute http(s) URLs a sitemap lists: an XML `<urlset>` or `<sitemapindex>`, or a
    text sitemap (one URL a line). Read with a pattern, not an XML parser: a sitemap needs no
    entities or DTDs, and a pattern cannot be made to expand them."""
    if text.lstrip().startswith("<"):
        found = [html.unescape(cdata or plain).strip() for cdata, plain in _LOC.findall(text)]
        index = bool(_INDEX.search(text))
    else:
        found, index = [line.strip() for line in text.splitlines()], False
    urls = [url for url in found if url.startswith(("https://", "http://"))]
    return Sitemap(urls[:MAX_LISTED], index)


def site_file(net: NetClient, url: str, scope: AccountScope, notes: list[str]) -> str | None:
    """The text of robots.txt or a sitemap, or None when there is none. The root files may lie
    outside a site at `/~me/`: those exact paths are fetched, and nothing else outside it. A
    gzip-compressed file (a `sitemap.xml.gz`) is unpacked, up to MAX_SITEMAP_BYTES."""
    where = scope if scope.allows(url) else AccountScope(scope.hosts, (urlsplit(url).path,))
    try:
        response = net.get_page(url, scope=where)
    except NetworkError as exc:  # refused, or the host did not answer: the walk goes on
        notes.append(f"{url} could not be read: {exc.message}")
        return None
    if response.status >= 500:  # 4xx: there is none, which is the usual case
        notes.append(f"{url} answered {response.status}: not read")
    if not response.ok:
        return None
    if response.body.startswith(GZIP_MAGIC):  # the file itself is compressed (not the transfer)
        return _gunzip(response.body, url, notes)
    return response.text()


def _gunzip(body: bytes, url: str, notes: list[str]) -> str | None:
    """The text of a gzip file, at most MAX_SITEMAP_BYTES of it (a note says when it was cut);
    None, with a note, when it is not valid gzip."""
    unpack = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = unpack.decompress(body, MAX_SITEMAP_BYTES)
    except zlib.error as exc:
        notes.append(f"{url} is damaged compressed data ({exc}): not read")
        return None
    if unpack.unconsumed_tail:
        notes.append(f"{url} unpacks to more than {MAX_SITEMAP_BYTES // (1024 * 1024)} MB: "
                     "only the first part was read")
    return data.decode("utf-8", errors="replace")


def read_robots(net: NetClient, url: str, scope: AccountScope, notes: list[str]) -> RobotsTxt | None:
    """The site's robots.txt (at its host's root), or None when it has none."""
    parts = urlsplit(url)
    text = site_file(net, f"{parts.scheme}://{parts.netloc}/robots.txt", scope, notes)
    return None if text is None else parse_robots(text)


def sitemap_pages(
    net: NetClient, url: str, scope: AccountScope, robots: RobotsTxt | None, notes: list[str]
) -> list[str]:
    """The pages of the account the site's sitemaps list: the ones robots.txt names, else
    `/sitemap.xml` (and the listed path's own `sitemap.xml`); an index leads to its children.
    Sitemaps and pages outside the scope are not read, the root `/sitemap.xml` aside."""
    parts = urlsplit(url)
    home = f"{parts.scheme}://{parts.netloc}/sitemap.xml"
    own = f"{parts.scheme}://{parts.netloc}{scope.path_prefixes[0]}sitemap.xml"
    declared = [where for where in robots.sitemaps if scope.allows(where) or where == home] if robots else []
    queue = deque(declared or dict.fromkeys([home, own]))
    read: set[str] = set()
    pages: list[str] = []
    while queue and len(read) < MAX_SITEMAPS and len(pages) < MAX_LISTED:
        where = queue.popleft()
        if where in read:
            continue
        read.add(where)
        text = site_file(net, where, scope, notes)
        sitemap = parse_sitemap(text or "")
        if sitemap.is_index:
            queue.extend(child for child in sitemap.urls if scope.allows(child))
        else:
            pages.extend(page for page in sitemap.urls if scope.allows(page))
    if left := set(queue) - read:
        notes.append(f"only the first {len(read)} sitemaps were read; {len(left)} more were not")
    return pages[:MAX_LISTED]


def robots_findings(robots: RobotsTxt, listed: str, own_images: list[str], result: CrawlResult) -> None:
    """What robots.txt asks search engines not to crawl, as notes and facts, for the listed page,
    the pages read (`result.visited`) and the images on the site's own hosts (`own_images`).

    Facts: `robots_txt_disallows_site`, every search engine is asked not to crawl the listed
    page; `robots_txt_disallows_images`, image crawlers are asked not to fetch any of the site's
    own images (the listed page, when none were found: images on other hosts follow those
    hosts' robots.txt, which is not read).

    It does not change `result.indexable`. robots.txt stops well-behaved crawlers from reading
    a page, not search engines from listing its address when other sites link to it (only a
    robots meta tag or header, on a page they may crawl, keeps it out); and face scrapers are
    not bound by it at all. Saying "not indexable" on its strength would tell the user their
    photos are out of reach when they are not.
    """
    if robots.truncated:
        result.notes.append("robots.txt has very many rules: only the first ones were read")
    whole = not robots.allows_any(SEARCH_CRAWLERS.values(), listed)
    result.facts["robots_txt_disallows_site"] = whole
    if whole:
        result.notes.append(
            f"robots.txt asks every search engine not to crawl {listed}: well-behaved crawlers stay "
            "away, face scrapers need not, and a page known from links elsewhere can still be "
            "listed in search results (robots.txt stops crawling, not indexing)")
    barred: dict[tuple[str, ...], list[str]] = {}  # the pages read it bars -> the crawlers barred
    for name, tokens in SEARCH_CRAWLERS.items():
        pages = tuple(url for url in result.visited if not robots.allows(tokens, url))
        if pages and not whole:
            barred.setdefault(pages, []).append(name)
    for pages, names in barred.items():
        who = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        result.notes.append(
            f"robots.txt asks {who} not to crawl {len(pages)} of the {len(result.visited)} pages "
            f"read: {', '.join(pages[:5])} (face scrapers need not obey it)")
    own = own_images[:MAX_ROBOTS_CHECKS]
    refused = [url for url in own if not robots.allows(IMAGE_CRAWLER, url)]
    result.facts["robots_txt_disallows_images"] = (
        len(refused) == len(own) if own else not robots.allows(IMAGE_CRAWLER, listed))
    if refused:
        result.notes.append(
            f"robots.txt asks image crawlers (Googlebot-Image) not to fetch {len(refused)} of the "
            f"{len(own)} images on the site's own host: they should stay out of Google Images, "
            "but face scrapers are not bound by it")
