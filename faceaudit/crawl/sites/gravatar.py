"""Gravatar: the avatar (and public profile) an email address shows, asked for by its hash only."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from faceaudit.crawl.net import AccountScope, NetResponse
from faceaudit.crawl.sites.base import CrawlContext, Site, json_body, outcome_for
from faceaudit.crawl.vocabulary import is_http, is_login_url
from faceaudit.errors import OutOfScope
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason

AVATAR_HOST, API_HOST = "gravatar.com", "api.gravatar.com"
AVATAR_SIZE = re.compile(r"^(https://(?:www\.|secure\.)?gravatar\.com/avatar/[^?#]*\?(?:[^#]*&)?)(?:s|size)=\d+")
LARGEST = "2048"  # the largest size Gravatar serves (platforms.md: s=1..2048)


class Gravatar(Site):
    name = "gravatar"
    # The account is an email address: Gravatar keys everything on it. It stays on this machine;
    # only its SHA-256 is ever sent.
    pattern = re.compile(r"mailto:(?P<email>\s*[^@\s/?#:]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+\s*)$", re.IGNORECASE)
    # Profile pages and avatar URLs: the address behind them is the account to list.
    refuse = re.compile(r"https?://(?:[a-z0-9-]+\.)?gravatar\.com(?:[/?#]|$)", re.IGNORECASE)
    example = "mailto:you@example.org"

    def __init__(self, url: str, match: re.Match[str]) -> None:
        super().__init__(url, match)
        email = match["email"].strip().lower()
        self.url = f"mailto:{email}"
        self.hash = hashlib.sha256(email.encode("utf-8")).hexdigest()
        self.avatar = f"https://{AVATAR_HOST}/avatar/{self.hash}"
        self.profile_api = f"https://{API_HOST}/v3/profiles/{self.hash}"

    def canonical(self, url: str) -> str:
        # `s=` (or `size=`) picks the avatar's size, 1 to LARGEST; the rest of the query is kept.
        return AVATAR_SIZE.sub(rf"\g<1>s={LARGEST}", url)

    def scope(self) -> AccountScope:
        return AccountScope(frozenset({AVATAR_HOST, API_HOST}),
                            (f"/avatar/{self.hash}/", f"/v3/profiles/{self.hash}/"))

    def crawl(self, ctx: CrawlContext, result: CrawlResult) -> Iterator[ImageCandidate]:
        who = "this email address"
        # Is there an avatar at all? `d=404` makes "none" a 404 instead of the default picture;
        # `s=1` keeps the check to a few bytes (the scan fetches the large one).
        check = ctx.net.get_image(f"{self.avatar}?d=404&s=1")
        result.pages_visited += 1
        if check.status == 404:
            result.facts["has_gravatar"] = False
            result.stop, result.detail = StopReason.END, "no Gravatar for this address"
            return
        if not check.ok:
            outcome_for(check, result, who)
            return
        result.facts["has_gravatar"] = True
        result.notes.append("Gravatar serves this address's avatar to any site or person who knows the address")

        scope = AccountScope(frozenset({API_HOST}), (f"/v3/profiles/{self.hash}/",))
        try:
            response: NetResponse | None = ctx.net.get_json(self.profile_api, scope=scope)
        except OutOfScope as exc:  # sent elsewhere (a login page): the avatar found still counts
            response = None
            login = bool(exc.url) and is_login_url(exc.url)
            result.stop = StopReason.LOGIN_WALL if login else StopReason.ERROR
            result.detail = f"sent to a login page ({exc.url[:120]})" if login else exc.message
        result.pages_visited += 1
        profile = json_body(response, dict, result, who) if response is not None and response.status != 404 else None
        page, alt = f"https://{AVATAR_HOST}/{self.hash}", ""
        if profile is not None:
            page = str(profile.get("profile_url")) if is_http(profile.get("profile_url")) else page
            alt = str(profile.get("avatar_alt_text") or "")
        yield ImageCandidate(f"{self.avatar}?s={LARGEST}&d=404", page, ImageKind.AVATAR, "gravatar:avatar", alt)
        if response is not None and response.status == 404:
            result.facts["public_profile"] = False
            result.stop, result.detail = StopReason.END, "the avatar (this address has no public Gravatar profile)"
        elif profile is not None:
            # Without an API key the profile lists no photos besides the avatar (its gallery is
            # only given to authenticated requests), but its linked accounts tie the face to them.
            linked = [a for a in profile.get("verified_accounts") or [] if isinstance(a, dict)]
            services = sorted({str(a.get("service_label") or a.get("service_type") or "?") for a in linked})
            result.facts.update({"public_profile": True, "verified_accounts": len(linked)})
            if services:
                result.notes.append(f"the public Gravatar profile links this face to: {', '.join(services)}")
            result.stop, result.detail = StopReason.END, "the avatar and the public profile"
        else:  # the profile API refused: the avatar is still found, the outcome says what was missed
            result.detail = f"the avatar was found, the profile was not read: {result.detail}"


SITE = Gravatar
