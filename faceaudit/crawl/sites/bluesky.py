"""Bluesky: avatar, banner and media posts through the public AppView, which needs no login."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from faceaudit.crawl.net import AccountScope, NetResponse
from faceaudit.crawl.sites.base import CrawlContext, Pager, Site, json_body, json_or_none
from faceaudit.crawl.vocabulary import as_dict, as_list, is_http, plain
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason

API = "https://public.api.bsky.app/xrpc"
PROFILE, FEED = "app.bsky.actor.getProfile", "app.bsky.feed.getAuthorFeed"
# A handle is a domain name; a DID is did:plc:<24 base32> or did:web:<host>.
ACTOR = r"did:plc:[a-z2-7]{24}|did:web:[a-z0-9.%:-]+|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+"
NO_UNAUTHENTICATED = "!no-unauthenticated"
# XRPC answers 400 with an error name; these say the account is not served to anyone.
GONE = {
    "AccountTakedown": "suspended by Bluesky",
    "AccountDeactivated": "deactivated by its owner",
}


class Bluesky(Site):
    name = "bluesky"
    pattern = re.compile(rf"https://(?:www\.)?bsky\.app/profile/@?(?P<actor>{ACTOR})/?(?:[?#].*)?$", re.IGNORECASE)
    # A post, a feed, a list, a search, the settings: bsky.app pages that are not a profile.
    refuse = re.compile(r"https?://(?:www\.)?bsky\.app(?:[:/?#]|$)", re.IGNORECASE)
    example = "https://bsky.app/profile/alex.bsky.social"

    def __init__(self, url: str, match: re.Match[str]) -> None:
        super().__init__(url, match)
        self.actor = match["actor"].lower()

    def account_url(self) -> str:
        # A handle is a domain name, whatever its case; a DID's letters are lower-case.
        return f"https://bsky.app/profile/{self.actor}"

    def scope(self) -> AccountScope:
        # The two read-only calls about one actor; every image comes from the CDNs.
        return AccountScope(frozenset({"public.api.bsky.app"}), (f"/xrpc/{PROFILE}", f"/xrpc/{FEED}"))

    def crawl(self, ctx: CrawlContext, result: CrawlResult) -> Iterator[ImageCandidate]:
        who = f"{self.actor} on Bluesky"
        response = ctx.net.get_json(f"{API}/{PROFILE}", scope=self.scope(), params={"actor": self.actor})
        result.pages_visited += 1
        profile = self._body(response, result, who)
        if profile is None:
            return
        did = str(profile.get("did") or "")
        if not did.startswith("did:"):
            result.stop, result.detail = StopReason.ERROR, f"Bluesky gave a profile of {who} without a DID"
            return
        handle = str(profile.get("handle") or "")
        home = f"https://bsky.app/profile/{handle if handle and handle != 'handle.invalid' else did}"
        hidden = any(isinstance(label, dict) and label.get("val") == NO_UNAUTHENTICATED
                     for label in as_list(profile.get("labels")))
        result.facts["no_unauthenticated"] = hidden
        if hidden:  # bsky.app then shows logged-out visitors (and search engines) a sign-in notice
            result.indexable = False
            result.notes.append(f"{NO_UNAUTHENTICATED}: the profile asks apps not to show it to logged-out "
                                "visitors, yet Bluesky's public API serves its profile and posts without a login")
        seen: set[str] = set()
        for key, kind in (("avatar", ImageKind.AVATAR), ("banner", ImageKind.BANNER)):
            url = str(profile.get(key) or "")  # absent when the account has none
            if is_http(url):
                seen.add(url)
                yield ImageCandidate(url, home, kind, f"bluesky:{key}")

        # Posts are asked for by DID: the handle may change while we page.
        params = {"actor": did, "filter": "posts_with_media", "limit": "100"}
        cursor: str | None = None
        pager, posts = Pager(ctx, result), 0
        while pager.allow(cursor):
            response = ctx.net.get_json(f"{API}/{FEED}", scope=self.scope(),
                                        params={**params, "cursor": cursor} if cursor else params)
            page = self._body(response, result, who)
            if page is None:
                break
            feed = page.get("feed")
            if not isinstance(feed, list):
                result.stop, result.detail = StopReason.ERROR, f"unexpected answer from {response.url[:160]}"
                break
            for item in feed:
                post = _own_post(item, did)
                if post is None:
                    continue
                posts += 1
                for candidate in _images(post, home):
                    if candidate.url not in seen:
                        seen.add(candidate.url)
                        yield candidate
            cursor = page.get("cursor") if isinstance(page.get("cursor"), str) else None
            if not feed or not cursor:
                pager.finished()
                if not posts:
                    result.detail = "no posts with photos or videos: the profile pictures are all it shows"
                break

    def _body(self, response: NetResponse, result: CrawlResult, who: str) -> dict[str, Any] | None:
        """The JSON object, or None with the outcome recorded. XRPC says why in a 400's `error`."""
        if response.status == 400:
            error = _xrpc_error(response)
            name, message = error.get("error", ""), error.get("message", "")
            if name in GONE:
                result.stop, result.detail = StopReason.NOT_FOUND, f"400 {name}: {who} is {GONE[name]}"
                result.facts["account_status"] = name
            elif "not found" in message.lower():
                result.stop, result.detail = StopReason.NOT_FOUND, f"400 {name}: {message} — no account {who}"
            elif name in ("BlockedActor", "BlockedByActor"):  # only with a login; never expected here
                result.stop, result.detail = StopReason.BLOCKED, f"400 {name}: {message}"
            else:
                result.stop, result.detail = StopReason.ERROR, f"400 {name}: {message}"[:200]
            return None
        body = json_body(response, dict, result, who)
        reset = response.headers.get("ratelimit-reset", "")
        if response.status == 429 and reset.isdigit() and int(reset) > 10**9:  # Bluesky: epoch seconds
            when = dt.datetime.fromtimestamp(int(reset), dt.timezone.utc)
            result.detail = f"429: rate limited until {when:%Y-%m-%d %H:%M} UTC; try again after that"
        return body if isinstance(body, dict) else None


def _xrpc_error(response: NetResponse) -> dict[str, str]:
    body = json_or_none(response)
    if not isinstance(body, dict):
        return {}
    return {key: str(body.get(key) or "")[:160] for key in ("error", "message")}


def _own_post(item: Any, did: str) -> dict[str, Any] | None:
    """The post of a feed item if the account wrote it; a repost carries someone else's photos."""
    if not isinstance(item, dict) or not isinstance(post := item.get("post"), dict):
        return None
    reason = item.get("reason")
    if isinstance(reason, dict) and reason.get("$type") != "app.bsky.feed.defs#reasonPin":
        return None  # reasonRepost, or a reason of a kind that did not exist when this was written
    author = post.get("author")
    return post if isinstance(author, dict) and author.get("did") == did else None


def _images(post: dict[str, Any], home: str) -> Iterator[ImageCandidate]:
    uri = str(post.get("uri") or "")
    page = f"{home}/post/{uri.rsplit('/', 1)[-1]}" if uri.startswith("at://") else home
    record = as_dict(post.get("record"))
    caption = plain(record.get("text"))
    posted = str(record.get("createdAt") or post.get("indexedAt") or "")
    embed = as_dict(post.get("embed"))
    if embed.get("$type") == "app.bsky.embed.recordWithMedia#view":
        # The quoted record is another post (usually someone else's): only the attached media is this one's.
        embed = as_dict(embed.get("media"))
    kind = embed.get("$type")
    if kind in ("app.bsky.embed.images#view", "app.bsky.embed.gallery#view"):
        for image in map(as_dict, embed.get("images" if kind == "app.bsky.embed.images#view" else "items") or []):
            # `fullsize` is the largest the CDN serves; galleries name their small one `thumbnail`.
            url = next((image[key] for key in ("fullsize", "thumb", "thumbnail") if is_http(image.get(key))), None)
            if url:
                alt = str(image.get("alt") or "")
                yield ImageCandidate(url, page, ImageKind.POST, "bluesky:image", alt, caption, posted)
    elif kind == "app.bsky.embed.video#view" and is_http(still := str(embed.get("thumbnail"))):
        yield ImageCandidate(still, page, ImageKind.VIDEO_THUMBNAIL, "bluesky:video",
                             str(embed.get("alt") or ""), caption, posted)
    elif kind == "app.bsky.embed.external#view" and is_http(thumb := str(as_dict(embed.get("external")).get("thumb"))):
        # A link card's thumb is the linked page's share image, copied into the account's own
        # repository and served from the CDN under its DID: a scraper of the account gets it, and
        # it shows the user when they link to their own interview, talk or profile elsewhere.
        link = plain(as_dict(embed.get("external")).get("uri"), 200)
        yield ImageCandidate(thumb, page, ImageKind.SHARE_IMAGE, "bluesky:link-preview",
                             caption=f"{caption} (link preview of {link})".strip(), posted_at=posted)


SITE = Bluesky
