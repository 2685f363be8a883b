"""Personal websites: any other http(s) site, its pages read in the browser as a logged-out stranger reads them."""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from faceaudit.crawl.net import AccountScope
from faceaudit.crawl.robots import RobotsTxt, read_robots, robots_findings, sitemap_pages
from faceaudit.crawl.sites.base import (
    CrawlContext,
    Site,
    failure_outcome,
    page_indexable,
    page_outcome,
)
from faceaudit.errors import NetworkError, OutOfScope, UsageError
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason

if TYPE_CHECKING:
    from faceaudit.crawl.browser import PageHarvest

SHARE_SOURCES = frozenset({"og:image", "twitter:image", "link:image_src", "json-ld"})
SEARCH_PAGE = re.compile(r"https?://[^/?#]+(?:/[^?#]*)?(?:/search\b|[?&](?:q|query|search|s)=)", re.IGNORECASE)
MAX_PAGE_NOTES = 10  # pages that failed, each noted; the rest counted


class Web(Site):
    name = "web"
    pattern = re.compile(r"https?://[^/?#\s]+(?:[/?#]\S*)?$", re.IGNORECASE)
    example = "https://me.example.org/"
    catch_all = True  # a personal site: any http(s) URL no platform claims

    def __init__(self, url: str, match: re.Match[str]) -> None:
        super().__init__(url, match)
        if SEARCH_PAGE.match(url):  # somebody's listing of many people, not the user's own site
            raise UsageError(
                f"{url!r} looks like a search page, not your own website or profile",
                "give the address of your own site or profile page, e.g. https://you.example.org/",
            )

    def scope(self) -> AccountScope:
        """The page's host (and its www twin), only under the page's own path.

        A site at `/` is the whole host; `https://host/~me/` is only `/~me/`.
        """
        parts = urlsplit(self.url)
        host = (parts.hostname or "").lower()
        twin = host.removeprefix("www.") if host.startswith("www.") else f"www.{host}"
        prefix = (parts.path or "/").rstrip("/") + "/"
        return AccountScope(frozenset({host, twin}), (prefix,))

    def crawl(self, ctx: CrawlContext, result: CrawlResult) -> Iterator[ImageCandidate]:
        """The site's own pages, breadth-first from the listed one, up to `ctx.max_pages`.

        Pages come from the links on pages read and from the site's sitemaps; a link that leaves
        the scope is counted in a note, never requested. Each image is yielded once, with the
        first page it was on. The listed page's failure is the account's outcome, as it was when
        only that page was read; another page's failure is noted and the crawl goes on, and the
        outcome then says the site was seen in part, except for a page that does not exist
        (404, 410): a dead link hides nothing, so it is only noted. When --max-pages stops the
        walk with pages left, the outcome is `cap` and says how many. The account may be indexed
        when any page read may be (its photos can be found from that page); pages that ask not to
        be are named in a note.
        """
        walk = SiteWalk(self.scope(), ctx.max_pages, deque([self.url]))  # the harvest checks its scope
        robots: RobotsTxt | None = None
        try:
            while (url := walk.next()) is not None:
                listed = walk.tried == 1
                try:
                    page = ctx.browser().harvest(url, scope=walk.scope, max_scrolls=ctx.max_scrolls)
                except OutOfScope as exc:  # the page itself is refused (an unmapped or private host)
                    walk.failed(result, url, *failure_outcome(exc), listed)  # as on every platform
                    if listed:
                        return
                    continue
                except NetworkError as exc:  # in the words every platform uses
                    walk.failed(result, url, *failure_outcome(exc, result.pages_visited), listed)
                    continue
                walk.read(page, result, listed)
                if listed:  # the site answers: now the files it keeps for crawlers
                    robots = read_robots(ctx.net, self.url, walk.scope, result.notes)
                    for known in sitemap_pages(ctx.net, self.url, walk.scope, robots, result.notes):
                        walk.add(known)
                yield from walk.new_images(page)
            walk.finish(result)
        finally:  # also when the image cap closes the crawl early
            walk.summarise(result)
            if robots is not None:
                own = [url for url in walk.images if (urlsplit(url).hostname or "").lower() in walk.scope.hosts]
                robots_findings(robots, self.url, own, result)


@dataclass
class SiteWalk:
    """One breadth-first walk over a site's pages, and what it saw on the way."""

    scope: AccountScope
    limit: int  # pages tried, read or not (--max-pages)
    queue: deque[str] = field(default_factory=deque)
    seen: set[str] = field(default_factory=set)  # page_key of every page queued or read
    tried: int = 0
    listed_failed: bool = False  # the listed page's failure is the outcome, whatever comes later
    images: dict[str, None] = field(default_factory=dict)  # yielded, in order
    indexable: dict[str, bool] = field(default_factory=dict)  # page read -> its own robots say yes
    outside: Counter[str] = field(default_factory=Counter)  # host -> links that leave the scope
    failures: int = 0

    def add(self, url: str) -> None:
        key = page_key(url)
        if key not in self.seen and self.scope.allows(url):
            self.seen.add(key)
            self.queue.append(url)

    def next(self) -> str | None:
        if not self.queue or self.tried >= self.limit:
            return None
        self.tried += 1
        url = self.queue.popleft()
        self.seen.add(page_key(url))
        return url

    def read(self, page: PageHarvest, result: CrawlResult, listed: bool) -> None:
        """Record one page that answered: its outcome, links, robots meta and refusals."""
        result.pages_visited += 1
        result.visited.append(page.final_url)
        self.seen.add(page_key(page.final_url))
        result.notes.extend(note for note in page.refusals if note not in result.notes)
        stop, detail = page_outcome(page)
        if stop is StopReason.END:
            pass
        elif listed:
            self.failed(result, page.final_url, stop, detail, listed)
        elif stop is StopReason.NOT_FOUND:
            self.note(result, f"{page.final_url} does not exist ({page.status}): a dead link")
        elif page.redirected_to and not page.login_wall:  # it sends visitors to another site: a link there
            self.outside[urlsplit(page.redirected_to).hostname or "?"] += 1
        else:
            self.failed(result, page.final_url, stop, detail, listed)
        indexable = page_indexable(page)
        if indexable is not None:
            self.indexable[page.final_url] = indexable
            result.indexable = any(self.indexable.values())
        for link in page.links:
            self.add(link)
        self.outside.update(urlsplit(link).hostname or "?" for link in page.outside_links)

    def failed(self, result: CrawlResult, url: str, stop: StopReason, detail: str, listed: bool) -> None:
        """A page that was not read to its end: the listed page's outcome is the account's;
        another's is noted, and becomes the outcome unless one is already recorded."""
        if listed:
            result.stop, result.detail = stop, detail
            self.listed_failed = True
            return
        where = detail if url in detail else f"{detail} ({url})"
        if result.stop is StopReason.END:
            result.stop, result.detail = stop, where
        self.note(result, where)

    def note(self, result: CrawlResult, sentence: str) -> None:
        self.failures += 1
        if self.failures <= MAX_PAGE_NOTES:
            result.notes.append(sentence)

    def new_images(self, page: PageHarvest) -> Iterator[ImageCandidate]:
        for image in page.images:
            if image.url in self.images:  # the same header photo on every page: once
                continue
            self.images[image.url] = None
            kind = ImageKind.SHARE_IMAGE if image.found_by in SHARE_SOURCES else ImageKind.PAGE_IMAGE
            yield ImageCandidate(image.url, page.final_url, kind, image.found_by, alt=image.alt)

    def finish(self, result: CrawlResult) -> None:
        """The walk ended: by itself, or on --max-pages with pages left, which the outcome says
        (a later page's failure is already in the notes; the listed page's stays the outcome)."""
        if not self.queue:
            return
        detail = (f"stopped after {self.tried} pages (--max-pages); "
                  f"{len(self.queue)} more pages of the site were left unvisited")
        if self.listed_failed:
            result.notes.append(detail)
        else:
            result.stop, result.detail = StopReason.CAP, detail

    def summarise(self, result: CrawlResult) -> None:
        """Notes on what the walk saw but did not follow or count."""
        if self.failures > MAX_PAGE_NOTES:
            result.notes.append(f"{self.failures - MAX_PAGE_NOTES} more pages could not be read or do not exist")
        if self.outside:
            hosts = ", ".join(f"{host} ({count})" for host, count in self.outside.most_common(5))
            more = f" and {len(self.outside) - 5} more hosts" if len(self.outside) > 5 else ""
            result.notes.append(f"links that leave the site were noted, not followed: {hosts}{more}")
        hidden = [url for url, indexable in self.indexable.items() if not indexable]
        if hidden and len(hidden) < len(self.indexable):
            result.notes.append(f"{len(hidden)} of the {len(self.indexable)} pages read ask search "
                                f"engines not to index them: {', '.join(hidden[:5])}")


def page_key(url: str) -> str:
    """One page, however it is written: host case, `www.`, a trailing slash, the fragment and
    http/https do not make another page (the www twin of a site serves the same pages)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = f":{parts.port}" if parts.port not in (None, 80, 443) else ""
    except ValueError:
        port = ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{port}{parts.path.rstrip('/') or '/'}{query}"


SITE = Web
