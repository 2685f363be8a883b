"""Personal websites: any other http(s) page, read in the browser as a logged-out stranger sees it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from faceaudit.crawl.net import AccountScope
from faceaudit.crawl.sites.base import CrawlContext, Site, page_indexable, page_outcome
from faceaudit.errors import OutOfScope, UsageError
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason

SHARE_SOURCES = frozenset({"og:image", "twitter:image", "link:image_src", "json-ld"})
SEARCH_PAGE = re.compile(r"https?://[^/?#]+(?:/[^?#]*)?(?:/search\b|[?&](?:q|query|search|s)=)", re.IGNORECASE)


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
        """The images on the account page itself; no links are followed."""
        try:
            page = ctx.browser().harvest(self.url, scope=self.scope(), max_scrolls=ctx.max_scrolls)
        except OutOfScope as exc:  # the page itself is refused (an unmapped or private host)
            result.stop, result.detail = StopReason.BLOCKED, exc.message
            return
        result.pages_visited = 1
        result.stop, result.detail = page_outcome(page)
        result.notes.extend(page.refusals)  # what the page tried and was refused: the user should know
        result.indexable = page_indexable(page)
        for image in page.images:
            kind = ImageKind.SHARE_IMAGE if image.found_by in SHARE_SOURCES else ImageKind.PAGE_IMAGE
            yield ImageCandidate(image.url, page.final_url, kind, image.found_by, alt=image.alt)


SITE = Web
