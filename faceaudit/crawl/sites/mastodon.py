"""Mastodon (any server): avatar, header and media posts through the public no-login API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from faceaudit.crawl.net import AccountScope, NetResponse
from faceaudit.crawl.sites.base import (
    CrawlContext,
    Pager,
    Site,
    json_body,
    json_or_none,
    outcome_for,
)
from faceaudit.crawl.vocabulary import as_list, is_http, plain
from faceaudit.errors import UsageError
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason

# Big sites that also use /@name addresses but are not Mastodon servers.
NOT_MASTODON = r"(?:www\.|m\.)?(?:youtube|tiktok|medium|threads|substack|pinterest)\.(?:com|net)"
NOTES = {
    "noindex": "noindex: true — the profile asks search engines not to index it",
    "discoverable": "discoverable: true — profile featured in discovery",
    "indexable": "indexable: true — public posts appear in full-text search",
}
STATUS_QUERY = {"only_media": "true", "exclude_reblogs": "true", "limit": "40"}
# No `canonical` rule: the API already gives a picture's original (`url`); the only `small/` URL
# taken is a video's still, whose `original/` is the video itself, not a larger picture.


class Mastodon(Site):
    name = "mastodon"
    # `/@user@other.host` (a remote account seen through another server) matches, then is refused
    # with the address on its home server: that is where a logged-out scraper finds its photos.
    pattern = re.compile(
        rf"https://(?!{NOT_MASTODON}[:/])(?P<host>[a-z0-9-]+(?:\.[a-z0-9-]+)+)(?P<port>:\d+)?"
        r"/(?:web/)?@(?P<user>[a-z0-9_]+)(?:@(?P<remote>[a-z0-9.-]+))?/?(?:[?#].*)?$",
        re.IGNORECASE,
    )
    # A single post, or the list of a post's boosts / favourites: not an account.
    refuse = re.compile(r"https://[^/?#]+/(?:web/)?@[a-z0-9_]+(?:@[a-z0-9.-]+)?/\d+", re.IGNORECASE)
    example = "https://mastodon.social/@alex"

    def __init__(self, url: str, match: re.Match[str]) -> None:
        super().__init__(url, match)
        self.host, self.user = match["host"].lower(), match["user"]
        self.who = f"@{self.user} on {self.host}"
        self.root = f"https://{self.host}{match['port'] or ''}"
        remote = (match["remote"] or self.host).lower()
        if remote != self.host:
            raise UsageError(
                f"{url} shows @{self.user}@{remote} through {self.host}, not on its own server",
                f"list the account on its home server instead, e.g. https://{remote}/@{self.user}",
            )

    def account_url(self) -> str:
        # Mastodon matches user names whatever their case (`/@Gargron` is `/@gargron`).
        return f"{self.root}/@{self.user.lower()}"

    def scope(self) -> AccountScope:
        return AccountScope(frozenset({self.host}), ("/api/v1/accounts/", f"/@{self.user}/"))

    def crawl(self, ctx: CrawlContext, result: CrawlResult) -> Iterator[ImageCandidate]:
        account = self._lookup(ctx, result)
        if account is None:
            return
        profile = str(account.get("url") or f"{self.root}/@{self.user}")
        if "noindex" in account:
            result.indexable = not account["noindex"]
        result.notes += [note for key, note in NOTES.items() if account.get(key)]
        result.facts.update({key: bool(account[key]) for key in NOTES if key in account})
        for key, kind in (("avatar", ImageKind.AVATAR), ("header", ImageKind.BANNER)):
            url = str(account.get(key) or "")
            if is_http(url) and not url.endswith("/missing.png"):
                yield ImageCandidate(url, profile, kind, f"mastodon:{key}")

        # Only this account's statuses, though the account scope allows all of /api/v1/accounts/.
        path = f"/api/v1/accounts/{account['id']}/statuses"
        scope = AccountScope(frozenset({self.host}), (path,))
        next_url: str | None = self.root + path
        params: dict[str, str] | None = STATUS_QUERY
        pager = Pager(ctx, result)
        while next_url:
            if not pager.allow(next_url):
                return
            response = ctx.net.get_json(next_url, scope=scope, params=params)
            statuses = self._payload(response, result, list)
            if statuses is None:
                return
            for status in statuses:
                if not isinstance(status, dict) or status.get("reblog"):
                    continue  # a boost carries someone else's photos
                page, caption = str(status.get("url") or profile), plain(status.get("content"))
                posted = str(status.get("created_at") or "")
                for media in as_list(status.get("media_attachments")):
                    if (still := _still(media)) is not None:
                        alt = str(media.get("description") or "")
                        yield ImageCandidate(still, page, ImageKind.POST, "mastodon:media", alt, caption, posted)
            next_url, params = response.link("next"), None
        pager.finished()

    def _lookup(self, ctx: CrawlContext, result: CrawlResult) -> dict[str, Any] | None:
        api = f"{self.root}/api/v1/accounts"
        response = ctx.net.get_json(f"{api}/lookup", scope=self.scope(), params={"acct": self.user})
        result.pages_visited += 1
        account: dict[str, Any] | None = None
        if response.status == 404:  # an unknown user, or a server older than 3.4: try search
            query = {"q": f"@{self.user}@{self.host}", "limit": "1"}
            search = ctx.net.get_json(f"{api}/search", scope=self.scope(), params=query)
            result.pages_visited += 1
            found = search.json() if search.ok else []
            account = next((a for a in found if _same(a, self.user)), None) if isinstance(found, list) else None
        account = account or self._payload(response, result, dict)
        if account is not None and not re.fullmatch(r"[0-9A-Za-z]+", str(account.get("id", ""))):
            result.stop, result.detail = StopReason.ERROR, f"{self.host} gave an account without a usable id"
            return None
        return account

    def _payload(self, response: NetResponse, result: CrawlResult, shape: type) -> Any:
        """The JSON body if the call worked; otherwise the outcome is recorded, with the server's
        own words (Mastodon's `error` field: "This API requires an authenticated user"), and None."""
        if response.ok:
            return json_body(response, shape, result, self.who)
        body = json_or_none(response)
        error = body.get("error") if isinstance(body, dict) else None
        outcome_for(response, result, self.who, said=error if isinstance(error, str) else "")
        return None


def _same(account: Any, user: str) -> bool:
    return isinstance(account, dict) and str(account.get("acct", "")).lower() == user.lower()


def _still(media: Any) -> str | None:
    """The attachment's image: the file itself, or for gifv/video the still at preview_url."""
    kind = media.get("type") if isinstance(media, dict) else None
    if kind == "image":
        urls = [media.get("url"), media.get("preview_url"), media.get("remote_url")]
    elif kind in ("gifv", "video", "unknown"):
        urls = [media.get("preview_url")]
    else:
        return None
    return next((url for url in urls if is_http(url)), None)


SITE = Mastodon
