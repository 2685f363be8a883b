"""Personal websites: any other http(s) page, read in the browser as a logged-out stranger sees it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from faceaudit.crawl.browser import PageHarvest
from faceaudit.crawl.net import AccountScope
from faceaudit.crawl.sites.base import CrawlContext, Site
from faceaudit.errors import NetworkError, OutOfScope, UsageError
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason

SHARE_SOURCES = frozenset({"og:image", "twitter:image", "link:image_src", "json-ld"})
NOINDEX = frozenset({"noindex", "noimageindex", "none"})
SEARCH_PAGE = re.compile(r"https?://[^/?#]+(?:/[^?#]*)?(?:/search\b|[?&](?:q|query|search|s)=)", re.IGNORECASE)
VALUED = frozenset({"max-snippet", "max-image-preview", "max-video-preview", "unavailable_after"})


class Web(Site):
    name = "web"
    pattern = re.compile(r"https?://[^/?#\s]+(?:[/?#]\S*)?$", re.IGNORECASE)
    example = "https://me.example.org/"
    settings_url = ""  # the owner's own site: the advice is meta robots / X-Robots-Tag and EXIF

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

    def candidates(self, ctx: CrawlContext, result: CrawlResult) -> Iterator[ImageCandidate]:
        """The images on the account page itself; no links are followed."""
        try:
            page = ctx.browser().harvest(self.url, scope=self.scope(), max_scrolls=ctx.max_scrolls)
        except OutOfScope as exc:
            result.stop, result.detail = StopReason.BLOCKED, exc.message
            return
        except NetworkError as exc:
            result.stop, result.detail = StopReason.ERROR, exc.message
            return
        result.pages_visited = 1
        result.stop, result.detail = _stop_reason(page)
        result.notes.extend(page.refusals)  # what the page tried and was refused: the user should know
        if not page.redirected_to and page.status < 400:
            directives = _directives(page.robots_meta) | _directives(page.x_robots_tag)
            result.indexable = not directives & NOINDEX
        for count, image in enumerate(page.images):
            if count >= ctx.max_images:
                result.notes.append(f"only the first {ctx.max_images} images were checked")
                if result.stop is StopReason.END:
                    result.stop, result.detail = StopReason.CAP, f"stopped at {ctx.max_images} images"
                return
            kind = ImageKind.SHARE_IMAGE if image.found_by in SHARE_SOURCES else ImageKind.PAGE_IMAGE
            yield ImageCandidate(image.url, page.final_url, kind, image.found_by, alt=image.alt)


def _stop_reason(page: PageHarvest) -> tuple[StopReason, str]:
    if page.login_wall:
        return StopReason.LOGIN_WALL, f"a login wall at {page.redirected_to or page.final_url}"
    if page.redirected_to:
        return StopReason.BLOCKED, f"the page sent visitors to {page.redirected_to}, outside the account"
    if page.status in (404, 410):
        return StopReason.NOT_FOUND, f"{page.status}: the page does not exist"
    if page.status == 429:
        return StopReason.RATE_LIMITED, "429: too many requests"
    if page.status in (401, 403, 999):
        return StopReason.BLOCKED, f"{page.status}: the site refused a logged-out visitor"
    if page.status >= 400:
        return StopReason.ERROR, f"{page.status}: the site answered with an error"
    if page.scroll_capped:
        return StopReason.CAP, "the scroll limit was reached before the end of the page"
    return StopReason.END, ""


def _directives(text: str) -> set[str]:
    """Robots directives that apply to every search engine.

    `googlebot: noindex` still leaves the others free to index, so bot-specific ones do not
    count: the report must not tell the user a page is hidden when it is not.
    """
    found: set[str] = set()
    for part in text.lower().replace("\n", ",").split(","):
        name, colon, _ = part.strip().partition(":")
        if colon and name.strip() not in VALUED:
            continue  # "somebot: noindex"
        found.add(name.strip())
    return found - {""}


SITE = Web
