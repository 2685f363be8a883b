"""GitHub: the profile photo, through the public REST API (no token: 60 requests an hour)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from faceaudit.crawl.net import AccountScope
from faceaudit.crawl.sites.base import CrawlContext, Site, json_body
from faceaudit.crawl.vocabulary import is_http
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason

# github.com/<word> pages that are GitHub's own, not a user's or an organisation's profile.
RESERVED = (
    "about", "account", "apps", "blog", "codespaces", "collections", "contact", "customer-stories",
    "dashboard", "enterprise", "events", "explore", "features", "issues", "join", "login", "logout",
    "marketplace", "new", "notifications", "orgs", "organizations", "pricing", "pulls", "readme",
    "search", "security", "settings", "signup", "site", "sponsors", "team", "topics", "trending",
)
API = "https://api.github.com"
AVATAR_SIZE = "460"  # platforms.md: `&s=460`; the API's own avatar_url has no size


class GitHub(Site):
    name = "github"
    # A user name: letters, digits and single hyphens, at most 39 characters. `?tab=…` is a view
    # of the same profile.
    pattern = re.compile(
        rf"https://(?:www\.)?github\.com/(?!(?:{'|'.join(RESERVED)})/?(?:[?#]|$))"
        r"(?P<user>[a-z0-9](?:[a-z0-9-]{0,37}[a-z0-9])?)/?(?:[?#].*)?$",
        re.IGNORECASE,
    )
    # Repositories, organisations' settings pages, searches, gists, the API: not a profile.
    refuse = re.compile(r"https?://(?:(?:www|gist|api)\.)?github\.com(?:[/?#]|$)", re.IGNORECASE)
    example = "https://github.com/alex"

    def __init__(self, url: str, match: re.Match[str]) -> None:
        super().__init__(url, match)
        self.user = match["user"]

    def canonical(self, url: str) -> str:
        # Avatars come in any size `s=`; the largest the profile page uses is AVATAR_SIZE.
        return _sized(url) if urlsplit(url).hostname == "avatars.githubusercontent.com" else url

    def account_url(self) -> str:
        # GitHub ignores a user name's case; `?tab=…` is a view of the same profile.
        return f"https://github.com/{self.user.lower()}"

    def scope(self) -> AccountScope:
        return AccountScope(frozenset({"api.github.com"}), (f"/users/{self.user}/",))

    def crawl(self, ctx: CrawlContext, result: CrawlResult) -> Iterator[ImageCandidate]:
        who = f"github.com/{self.user}"
        response = ctx.net.get_json(f"{API}/users/{self.user}", scope=self.scope())
        result.pages_visited += 1
        # GitHub answers a spent hourly allowance with 403, not 429 (NetClient only waits on 429).
        if response.status == 403 and response.headers.get("x-ratelimit-remaining") == "0":
            result.stop = StopReason.RATE_LIMITED
            result.detail = f"403: GitHub's hourly limit for logged-out visitors is used up{_reset(response.headers)}"
            return
        user = json_body(response, dict, result, who)
        if user is None:
            return
        avatar = user.get("avatar_url")
        profile = str(user.get("html_url") or f"https://github.com/{self.user}")
        kind = "organisation" if user.get("type") == "Organization" else "user"
        result.facts["account_type"] = kind
        result.notes.append(f"GitHub shows a {kind}'s profile photo to everyone, even when the profile is private")
        if not is_http(avatar):
            result.stop, result.detail = StopReason.ERROR, f"GitHub gave no profile photo address for {who}"
            return
        yield ImageCandidate(_sized(str(avatar)), profile, ImageKind.AVATAR, "github:avatar")
        # Not read: the profile README (the repository named after the user), which may hold photos.
        result.stop, result.detail = StopReason.END, "the profile photo (GitHub's API shows no other profile images)"


def _sized(url: str) -> str:
    """avatar_url with `s=460`, keeping its own query (`?v=4`)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "s"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("s", AVATAR_SIZE)])))


def _reset(headers: dict[str, str]) -> str:
    value = headers.get("x-ratelimit-reset", "")
    if not value.isdigit():
        return "; try again in an hour"
    when = datetime.fromtimestamp(int(value), timezone.utc)
    return f"; it resets at {when:%H:%M} UTC ({when:%Y-%m-%d})"


SITE = GitHub
