"""YouTube: a channel's avatar and banner from its page, and its newest video thumbnails from its feed."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from faceaudit.crawl.net import AccountScope, NetResponse
from faceaudit.crawl.sites.base import CrawlContext, Site, outcome_for
from faceaudit.crawl.vocabulary import allows_indexing, is_login_url, page_head
from faceaudit.errors import OutOfScope
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason

ROOT = "https://www.youtube.com"
THUMBNAIL_SIZE = re.compile(r"^(https://i\d?\.ytimg\.com/vi(?:_webp)?/[\w-]+/)(?:default|mqdefault|sddefault)(\.\w+)$")
FEED = "/feeds/videos.xml"
FEED_SIZE = 15  # the feed lists the newest ~15 videos and has no further pages (platforms.md)
CHANNEL_ID = r"UC[\w-]{22}"
NS = {"atom": "http://www.w3.org/2005/Atom", "yt": "http://www.youtube.com/xml/schemas/2015",
      "media": "http://search.yahoo.com/mrss/"}
# Where the banner sits in ytInitialData: the 2024 page header (platforms.md), then the older one.
BANNER_PATHS = (
    ("header", "pageHeaderRenderer", "content", "pageHeaderViewModel", "banner", "imageBannerViewModel",
     "image", "sources"),
    ("header", "c4TabbedHeaderRenderer", "banner", "thumbnails"),
)
CONSENT = "YouTube's cookie-consent page stood in front of the channel page (faceaudit sends no cookies)"


class YouTube(Site):
    name = "youtube"
    # A channel by handle or by id, optionally one of its tabs (the same channel).
    pattern = re.compile(
        rf"https://(?i:(?:www\.|m\.)?youtube\.com)/(?:(?P<handle>@[\w.%-]+)|channel/(?P<id>{CHANNEL_ID}))"
        r"(?:/(?:featured|videos|shorts|streams|playlists|posts|community|about))?/?(?:[?#].*)?$",
    )
    # A video, short, playlist, search or any other page: not a channel.
    refuse = re.compile(r"https?://(?:(?:(?:www|m|music)\.)?youtube\.com|youtu\.be)(?:[/?#]|$)", re.IGNORECASE)
    example = "https://www.youtube.com/@alex"

    def __init__(self, url: str, match: re.Match[str]) -> None:
        super().__init__(url, match)
        self.channel_id: str | None = match["id"]
        self.path = f"/{match['handle']}" if match["handle"] else f"/channel/{self.channel_id}"
        self.who = f"youtube.com{self.path}"

    def account_url(self) -> str:
        # A tab is the same channel; handles are matched whatever their case, channel ids are not.
        return ROOT + (self.path.lower() if self.channel_id is None else self.path)

    def canonical(self, url: str) -> str:
        # A video's stills: default (120x90), mqdefault (320x180), hqdefault (480x360), sddefault
        # and maxresdefault (only for some videos). hqdefault is the largest every video has.
        return THUMBNAIL_SIZE.sub(r"\1hqdefault\2", url)

    def scope(self) -> AccountScope:
        return AccountScope(frozenset({"www.youtube.com"}), (f"{self.path}/", f"{FEED}/"))

    def crawl(self, ctx: CrawlContext, result: CrawlResult) -> Iterator[ImageCandidate]:
        page = self._channel_page(ctx, result)
        # Without the page the outcome is recorded. Only a consent wall leaves the feed worth
        # reading, and only when the URL itself gives the channel id the feed needs.
        if page is None and not (result.detail == CONSENT and self.channel_id):
            return
        channel_id = self.channel_id
        if page is not None:
            channel_id = channel_id or _channel_id(page)
            meta = page_head(page).meta
            yield from _pictures(page, meta.get("og:image", ""), ROOT + self.path)
            result.indexable = allows_indexing(meta.get("robots", ""))
        if not channel_id:
            result.stop, result.detail = StopReason.ERROR, f"no channel id on the page of {self.who}"
            return
        feed = self._feed(ctx, result, channel_id, seen_page=page is not None)
        if feed is None:
            return
        entries = feed.findall("atom:entry", NS)
        result.facts["feed_videos"] = len(entries)
        for entry in entries:
            # Not this channel's video: never expected in its own feed, never kept. (Feeds have
            # been seen writing ids with and without the "UC" prefix: compare without it.)
            if entry.findtext("yt:channelId", "", NS).removeprefix("UC") not in ("", channel_id[2:]):
                continue
            if (candidate := _thumbnail(entry)) is not None:
                yield candidate
        if len(entries) >= FEED_SIZE:
            result.notes.append(f"YouTube's public feed lists only the newest {FEED_SIZE} videos; "
                                "older videos' thumbnails were not checked")
        if page is None:
            result.stop = StopReason.BLOCKED
            result.detail = f"{CONSENT}; only the video feed was read ({len(entries)} videos)"
        elif entries:
            result.stop, result.detail = StopReason.END, f"avatar, banner and the {len(entries)} newest videos in the feed"
        else:
            result.stop, result.detail = StopReason.END, "avatar and banner; the feed lists no public videos"

    def _channel_page(self, ctx: CrawlContext, result: CrawlResult) -> str | None:
        """The channel page's HTML, or None with the outcome recorded (a consent wall: BLOCKED)."""
        try:
            response = ctx.net.get_page(ROOT + self.path, scope=self.scope())
        except OutOfScope as exc:
            if not _sent_away(exc, result):
                raise
            return None
        result.pages_visited += 1
        text = response.text() if response.ok else ""
        if response.ok and "consent.youtube.com" in text and not page_head(text).meta.get("og:image"):
            result.stop, result.detail = StopReason.BLOCKED, CONSENT
            return None
        if not response.ok or "html" not in response.content_type:
            outcome_for(response, result, self.who)
            return None
        return text

    def _feed(self, ctx: CrawlContext, result: CrawlResult, channel_id: str, seen_page: bool) -> ET.Element | None:
        scope = AccountScope(frozenset({"www.youtube.com"}), (f"{FEED}/",))
        response = ctx.net.get_page(f"{ROOT}{FEED}?channel_id={channel_id}", scope=scope)
        result.pages_visited += 1
        missed = "; the avatar and banner were checked, the videos were not" if seen_page else ""
        if response.status == 404 and seen_page:  # the channel exists: the feed is down or empty
            result.stop = StopReason.ERROR
            result.detail = f"the video feed answered 404 (YouTube's feed has outages){missed}"
            return None
        if not response.ok:
            outcome_for(response, result, self.who)
            result.detail += missed
            return None
        if "html" in response.content_type:
            result.stop = StopReason.BLOCKED
            result.detail = f"a web page where the video feed of {self.who} was expected{missed}"
            return None
        feed = _atom(response)
        if feed is None:
            result.stop, result.detail = StopReason.ERROR, f"the video feed of {self.who} is not readable Atom{missed}"
        return feed


def _sent_away(exc: OutOfScope, result: CrawlResult) -> bool:
    """Record where YouTube sent a logged-out visitor instead of the channel; False if unknown."""
    parts = urlsplit(exc.url or "")
    host = (parts.hostname or "").lower()
    if host in ("consent.youtube.com", "consent.google.com"):
        result.stop, result.detail = StopReason.BLOCKED, CONSENT
    elif host.endswith("google.com") and parts.path.startswith("/sorry"):  # "unusual traffic"
        result.stop = StopReason.RATE_LIMITED
        result.detail = "YouTube sent us to Google's 'unusual traffic' check (google.com/sorry); try again later"
    elif host == "accounts.google.com" or is_login_url(exc.url or ""):
        result.stop, result.detail = StopReason.LOGIN_WALL, f"sent to a login page ({(exc.url or '')[:120]})"
    else:
        return False
    return True


def _pictures(page: str, avatar: str, channel_url: str) -> Iterator[ImageCandidate]:
    """The avatar (the page's og:image) and the largest banner in the page's ytInitialData."""
    if avatar.startswith("https://"):
        yield ImageCandidate(avatar, channel_url, ImageKind.AVATAR, "youtube:og:image")
    data = _initial_data(page)
    for path in BANNER_PATHS:
        sources = _dig(data, path)
        if isinstance(sources, list):
            best = max((s for s in sources if isinstance(s, dict) and isinstance(s.get("url"), str)),
                       key=_width, default=None)
            if best is not None:
                url = "https:" + best["url"] if best["url"].startswith("//") else best["url"]
                if url.startswith("https://"):
                    yield ImageCandidate(url, channel_url, ImageKind.BANNER, "youtube:banner")
                return


def _width(source: dict[str, Any]) -> int:
    width = source.get("width")
    return width if isinstance(width, int) else 0


def _thumbnail(entry: ET.Element) -> ImageCandidate | None:
    """A video's still: the largest `media:thumbnail` the feed gives (hqdefault, 480x360)."""
    thumbnails = entry.findall("media:group/media:thumbnail", NS)
    urls = [(int(t.get("width", "0")) if t.get("width", "").isdigit() else 0, t.get("url", "")) for t in thumbnails]
    best = max((u for u in urls if u[1].startswith("https://")), default=None)
    if best is None:
        return None
    link = next((a.get("href", "") for a in entry.findall("atom:link", NS) if a.get("rel") == "alternate"), "")
    page = link if link.startswith("https://") else f"{ROOT}/watch?v={entry.findtext('yt:videoId', '', NS)}"
    title = entry.findtext("media:group/media:title", "", NS) or entry.findtext("atom:title", "", NS)
    posted = entry.findtext("atom:published", "", NS)
    return ImageCandidate(best[1], page, ImageKind.VIDEO_THUMBNAIL, "youtube:feed", "", title.strip()[:300], posted)


def _atom(response: NetResponse) -> ET.Element | None:
    """The feed's root element. A document type declaration is refused outright: entity
    expansion (billion laughs, external entities) needs one, and YouTube's feed has none."""
    text = response.text()
    if "<!doctype" in text.lower() or "<!entity" in text.lower():
        return None
    try:
        root = ET.fromstring(text)  # noqa: S314 - no DTD, see above
    except ET.ParseError:
        return None
    return root if root.tag == "{http://www.w3.org/2005/Atom}feed" else None


def _channel_id(page: str) -> str | None:
    for pattern in (rf"feeds/videos\.xml\?channel_id=({CHANNEL_ID})", rf'itemprop="channelId" content="({CHANNEL_ID})"',
                    rf'rel="canonical" href="https://www\.youtube\.com/channel/({CHANNEL_ID})"',
                    rf'"externalId":"({CHANNEL_ID})"'):
        if match := re.search(pattern, page):
            return match.group(1)
    return None


def _initial_data(page: str) -> Any:
    match = re.search(r"ytInitialData\"?\]?\s*=\s*", page)
    if match is None:
        return None
    try:
        return json.JSONDecoder().raw_decode(page, match.end())[0]
    except ValueError:
        return None


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


SITE = YouTube
