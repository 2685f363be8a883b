"""Flickr: the buddy icon and the newest public photos, through the public feed that needs no key."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from faceaudit.crawl.net import AccountScope, NetResponse
from faceaudit.crawl.sites.base import CrawlContext, Site, json_body, outcome_for
from faceaudit.crawl.vocabulary import (
    allows_indexing,
    is_http,
    is_login_url,
    page_head,
    parse_json,
    plain,
)
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason

ROOT = "https://www.flickr.com"
FEED_PATH = "/services/feeds/photos_public.gne"
FEED_SIZE = 20  # the feed shows the newest 20 public photos, never more
NSID = re.compile(r"[0-9]+@N[0-9]{2}")
# A photostream page links its own public feed (<link rel="alternate" …photos_public.gne?id=NSID…>):
# that names the account's NSID without touching the key-only REST API or any other account.
FEED_LINK = re.compile(r"photos_public\.gne\?(?:[^\"'<>\s]*?&(?:amp;)?)?id=([0-9]+)(?:@|%40)(N[0-9]{2})", re.I)
# Flickr writes `\'` in its JSON, which is not a JSON escape; `\\'` (an escaped backslash) stays.
BAD_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\'")
JSONP = re.compile(r"\s*jsonFlickrFeed\((.*)\)\s*;?\s*", re.DOTALL)
# The feed's description starts with "<p>NAME posted a photo:</p> <p><a><img></a></p>": boilerplate.
BOILERPLATE = re.compile(r"<p>(?:(?!</p>).)*?(?:posted a (?:photo|video):|<img)(?:(?!</p>).)*</p>", re.DOTALL)
RESERVED = r"(?:tags|upload|organize|friends|me|browse|search|explore)"


class Flickr(Site):
    name = "flickr"
    pattern = re.compile(
        r"https://(?:www\.|m\.|secure\.)?flickr\.com/(?:photos|people)/"
        rf"(?!{RESERVED}/?(?:[?#]|$))(?P<user>[0-9]+@N[0-9]{{2}}|[A-Za-z0-9_-]+)/?(?:[?#].*)?$",
        re.IGNORECASE,
    )
    # Everything else on Flickr (a photo, an album, a group, a search, a tag) and flic.kr short links.
    refuse = re.compile(r"https?://(?:(?:www\.|m\.|secure\.)?flickr\.com|flic\.kr)(?:[/?#]|$)", re.IGNORECASE)
    example = "https://www.flickr.com/photos/12345678@N00/"

    def __init__(self, url: str, match: re.Match[str]) -> None:
        super().__init__(url, match)
        self.user = match["user"]
        self.nsid = self.user.upper() if NSID.fullmatch(self.user.upper()) else None
        self.profile = f"{ROOT}/photos/{self.user}/"

    def account_url(self) -> str:
        # `/people/` is the same account as `/photos/`; an NSID's `@N` is upper-case. A path alias
        # keeps its case: that Flickr ignores it is not documented.
        return f"{ROOT}/photos/{self.nsid or self.user}/"

    def scope(self) -> AccountScope:
        return AccountScope(frozenset({"www.flickr.com", "flickr.com"}),
                            (f"/photos/{self.user}/", f"/people/{self.user}/", FEED_PATH))

    def crawl(self, ctx: CrawlContext, result: CrawlResult) -> Iterator[ImageCandidate]:
        who = f"{self.user} on Flickr"
        nsid = self.nsid or self._nsid_from_profile(ctx, result, who)
        if nsid is None:
            return
        params = {"id": nsid, "format": "json", "nojsoncallback": "1"}
        response = ctx.net.get_json(ROOT + FEED_PATH, scope=self.scope(), params=params)
        result.pages_visited += 1
        feed = _feed(response, result, who)
        if feed is None:
            return
        items = [item for item in feed["items"] if isinstance(item, dict)]
        own = [item for item in items if str(item.get("author_id") or nsid).upper() == nsid]
        if items and not own:  # an id Flickr does not know gets everyone's uploads: not this account's
            result.stop, result.detail = StopReason.NOT_FOUND, f"Flickr's public feed does not know {nsid}"
            return
        # Not in Flickr's API documentation, but long used by embedders: this address redirects to
        # the current buddy icon (or Flickr's default icon when none was uploaded).
        yield ImageCandidate(f"{ROOT}/buddyicons/{nsid}.jpg", self.profile, ImageKind.AVATAR, "flickr:buddyicon")
        for item in own:
            media = item.get("media")
            small = media.get("m") if isinstance(media, dict) else None
            if is_http(small):
                yield ImageCandidate(_largest(str(small)), str(item.get("link") or self.profile), ImageKind.POST,
                                     "flickr:feed", "", _caption(item),
                                     str(item.get("published") or item.get("date_taken") or ""))
        result.facts["public_photos_in_feed"] = len(own)
        result.stop = StopReason.END
        if not own:
            result.detail = f"no public photos in the public feed of {who}; only the buddy icon is visible"
        elif len(items) >= FEED_SIZE:
            result.detail = f"the {len(own)} newest public photos (Flickr's public feed shows no older ones)"
            result.facts["feed_truncated"] = True
            result.notes.append("Flickr's public feed lists only the 20 newest public photos; older public "
                                "photos stay visible on the photostream and were not checked.")
        else:
            result.detail = f"all {len(own)} photos in the public feed"

    def _nsid_from_profile(self, ctx: CrawlContext, result: CrawlResult, who: str) -> str | None:
        """The NSID behind an alias (`/photos/sam/`), read from the account's own photostream page."""
        page = ctx.net.get_page(self.profile, scope=self.scope())
        result.pages_visited += 1
        if not page.ok:
            outcome_for(page, result, who)
            return None
        text = page.text()
        noindex = not allows_indexing(page_head(text).meta.get("robots", ""), page.headers.get("x-robots-tag", ""))
        result.indexable, result.facts["noindex"] = not noindex, noindex
        found = FEED_LINK.search(text)
        if found is None:
            result.stop = StopReason.LOGIN_WALL if is_login_url(page.url) else StopReason.ERROR
            result.detail = (f"the photostream page of {who} does not name its NSID; list the account by "
                             f"its NSID instead, e.g. {self.example}")
            return None
        return f"{found.group(1)}@{found.group(2).upper()}"


def _feed(response: NetResponse, result: CrawlResult, who: str) -> dict[str, Any] | None:
    """The feed as a dict with `items`, tolerating Flickr's JSONP wrapper and `\\'`; else the outcome."""
    text = response.text() if response.ok else ""
    wrapped = JSONP.fullmatch(text)
    body = parse_json(BAD_ESCAPE.sub(r"\1'", wrapped.group(1) if wrapped else text))
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return body
    if isinstance(body, dict) and body.get("stat") == "fail":  # the REST API's error shape
        message = str(body.get("message") or "failed")
        reason = StopReason.NOT_FOUND if "not found" in message.lower() else StopReason.ERROR
        result.stop, result.detail = reason, f"Flickr: {message[:120]} ({who})"
    elif json_body(response, dict, result, who) is not None:  # records why: HTTP status, a web page…
        result.stop, result.detail = StopReason.ERROR, f"the public feed of {who} has no list of photos"
    return None


def _largest(small: str) -> str:
    """`…_m.jpg` (240 px) → `…_b.jpg` (1024 px), which shares the photo's secret. Larger sizes
    (`_h`, `_k`, `_o`) have their own secrets that only the key-only API gives."""
    return re.sub(r"_m(\.[a-z]+)$", r"_b\1", small)


def _caption(item: dict[str, Any]) -> str:
    title = plain(item.get("title"))
    said = plain(BOILERPLATE.sub(" ", str(item.get("description") or "")))
    return " — ".join(part for part in (title, said) if part)[:300]


SITE = Flickr
