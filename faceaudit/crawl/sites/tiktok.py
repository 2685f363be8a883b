"""TikTok: the profile picture and whatever videos the profile page's own data carries, without a browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from faceaudit.crawl.net import AccountScope
from faceaudit.crawl.sites.base import CrawlContext, Site, outcome_for
from faceaudit.crawl.vocabulary import (
    allows_indexing,
    as_dict,
    is_http,
    iso_utc,
    page_head,
    parse_json,
    plain,
)
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason

ROOT = "https://www.tiktok.com"
DATA_SCRIPT = "__UNIVERSAL_DATA_FOR_REHYDRATION__"
# `statusCode` of webapp.user-detail. Not documented by TikTok: these come from the issue trackers
# of TikTok-Api, gallery-dl and yt-dlp (0 = fine, 10222 = private account).
STATUS = {
    10202: (StopReason.NOT_FOUND, "no account {who} (TikTok status 10202: page not found)"),
    10204: (StopReason.NOT_FOUND, "no account {who} (TikTok status 10204: not available)"),
    10221: (StopReason.NOT_FOUND, "no account {who} (TikTok status 10221: no such user)"),
    10231: (StopReason.BLOCKED, "TikTok does not show {who} in this region (status 10231)"),
}
PRIVATE_STATUS = 10222
# TikTok's bot check: a page that runs a proof-of-work script, sets a cookie and reloads.
CHALLENGE = re.compile(r"_wafchallengeid|id=[\"']?(?:wci|cs)[\"'\s>]|captcha|verify-page", re.IGNORECASE)
PRIVATE = "account is private; only the profile picture is visible to logged-out visitors"


class TikTok(Site):
    name = "tiktok"
    pattern = re.compile(
        r"https?://(?:www\.|m\.)?tiktok\.com/@(?P<user>[a-z0-9_.]{1,32})/?(?:[?#].*)?$", re.IGNORECASE
    )
    # A video, a photo post, a tag, a search, discover: TikTok pages that are not an account.
    refuse = re.compile(r"https?://(?:[a-z0-9-]+\.)*tiktok\.com(?:[:/?#]|$)", re.IGNORECASE)
    example = "https://www.tiktok.com/@alex"

    def __init__(self, url: str, match: re.Match[str]) -> None:
        super().__init__(url, match)
        self.user = match["user"].lower()  # TikTok usernames are lower-case
        self.profile = f"{ROOT}/@{self.user}"
        self.who = f"@{self.user} on TikTok"

    def account_url(self) -> str:
        return self.profile

    def scope(self) -> AccountScope:
        # `/@user/` also takes `/@user` itself (see AccountScope.allows), never `/@username2`.
        return AccountScope(frozenset({"www.tiktok.com", "tiktok.com", "m.tiktok.com"}), (f"/@{self.user}/",))

    def crawl(self, ctx: CrawlContext, result: CrawlResult) -> Iterator[ImageCandidate]:
        # A redirect to /login leaves the scope: `candidates` reports it as a login wall.
        response = ctx.net.get_page(self.profile, scope=self.scope())
        result.pages_visited += 1
        if not response.ok:
            outcome_for(response, result, self.who)
            return
        page = page_head(response.text())
        og_image = page.meta.get("og:image", "")
        data = parse_json(page.scripts.get(DATA_SCRIPT, ""))
        scope_data = as_dict(data).get("__DEFAULT_SCOPE__")
        if not isinstance(scope_data, dict):
            yield from self._without_data(response.text(), og_image, result)
            return
        result.indexable = allows_indexing(page.meta.get("robots", ""), response.headers.get("x-robots-tag", ""))

        detail = as_dict(scope_data.get("webapp.user-detail"))
        status = _int(detail.get("statusCode"))
        info = as_dict(detail.get("userInfo"))
        user = as_dict(info.get("user"))
        if not user.get("uniqueId") and not user.get("id"):
            if status in STATUS:
                result.stop, result.detail = STATUS[status][0], STATUS[status][1].format(who=self.who)
            else:
                said = str(detail.get("statusMsg") or "no message")[:80]
                result.stop = StopReason.ERROR
                result.detail = f"TikTok's page for {self.who} held no account (status {status}: {said})"
            return

        private = bool(user.get("privateAccount")) or status == PRIVATE_STATUS
        result.facts["is_private"] = private
        stats = as_dict(info.get("stats")) or as_dict(info.get("statsV2"))
        total = _int(stats.get("videoCount"))
        result.facts["videos_total"] = total
        # avatarLarger is the 1080 px one; og:image (the same picture, smaller) only when it is missing.
        avatar = next((user[key] for key in ("avatarLarger", "avatarMedium", "avatarThumb") if is_http(user.get(key))), "")
        if avatar:
            yield ImageCandidate(avatar, self.profile, ImageKind.AVATAR, "tiktok:avatar")
        elif is_http(og_image):
            yield ImageCandidate(og_image, self.profile, ImageKind.AVATAR, "og:image")
        if private:
            result.stop, result.detail = StopReason.PRIVATE, PRIVATE
            result.notes.append("The account is private: logged-out visitors see only its profile picture.")
            return

        items = detail.get("itemList") or info.get("itemList") or []
        own = 0
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            author = item.get("author")
            author = author.get("uniqueId") if isinstance(author, dict) else author
            if author and str(author).lower() != self.user:
                continue  # a repost: someone else's video
            own += 1
            yield from self._item_images(item)
        if own >= total:
            result.stop = StopReason.END
            result.detail = f"all {own} videos" if own else "the account has no videos"
            return
        # The rest come from TikTok's signed item_list API, which only its JavaScript can call.
        result.stop = StopReason.BLOCKED
        result.detail = f"{own} of {total} videos were in the page; the rest load with JavaScript, not reached"
        result.notes.append(f"TikTok loads the videos of a profile with JavaScript: {total - own} of {total} "
                            "need a browser and were not checked.")

    def _without_data(self, text: str, og_image: str, result: CrawlResult) -> Iterator[ImageCandidate]:
        """A page without the account's data: TikTok's bot check, or a page we do not know."""
        if CHALLENGE.search(text):
            result.stop = StopReason.BLOCKED
            result.detail = "TikTok answered with its JavaScript bot check instead of the profile"
            return
        result.stop = StopReason.BLOCKED
        result.detail = "the profile page carried no account data (TikTok may have changed its page)"
        if is_http(og_image):
            result.notes.append("Only the profile picture (the page's og:image) was reached.")
            yield ImageCandidate(og_image, self.profile, ImageKind.AVATAR, "og:image")

    def _item_images(self, item: dict[str, Any]) -> Iterator[ImageCandidate]:
        """A photo post's images, or a video's cover (the still shown on the profile grid)."""
        item_id = str(item.get("id") or "")
        photos = as_dict(item.get("imagePost")).get("images")
        kind_path = "photo" if photos else "video"
        page = f"{self.profile}/{kind_path}/{item_id}" if item_id.isdigit() else self.profile
        caption, posted = plain(item.get("desc")), iso_utc(_int(item.get("createTime")))
        if isinstance(photos, list) and photos:
            for image in photos:
                urls = as_dict(as_dict(image).get("imageURL")).get("urlList") or []
                url = next((u for u in urls if is_http(u)), None)
                if url:
                    yield ImageCandidate(url, page, ImageKind.POST, "tiktok:photo", "", caption, posted)
            return
        video = as_dict(item.get("video"))
        cover = next((video[key] for key in ("cover", "originCover") if is_http(video.get(key))), None)
        if cover:
            yield ImageCandidate(cover, page, ImageKind.VIDEO_THUMBNAIL, "tiktok:cover", "", caption, posted)


def _int(value: Any) -> int:
    """TikTok sends counts as numbers, and in statsV2 as strings."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


SITE = TikTok
