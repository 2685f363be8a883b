"""Instagram: the profile picture and the first posts, as Instagram's own web client fetches them logged out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from faceaudit.crawl.net import AccountScope
from faceaudit.crawl.sites.base import CrawlContext, Site, json_body, outcome_for
from faceaudit.crawl.vocabulary import (
    allows_indexing,
    as_dict,
    as_list,
    is_http,
    is_login_url,
    iso_utc,
    page_head,
    plain,
)
from faceaudit.errors import OutOfScope
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason

ROOT = "https://www.instagram.com"
API_PATH = "/api/v1/users/web_profile_info/"
# The app id Instagram's web client sends with the profile call; without it the call is refused.
WEB_CLIENT = {"X-IG-App-ID": "936619743392459"}
# First path segments that are Instagram's own pages, never a username.
NOT_USERS = (r"(?:p|reel|reels|tv|explore|stories|accounts|direct|about|legal|developer|api|web|challenge"
             r"|graphql|emails|session|privacy|terms|directory|static|ar|lite|your_activity)")
# Instagram answers a logged-out client that asks too often with this 401, not with a 429.
RATE_LIMIT_401 = "please wait a few minutes"
PRIVATE = "account is private; only the profile picture is visible to logged-out visitors"


class Instagram(Site):
    name = "instagram"
    pattern = re.compile(
        rf"https?://(?:www\.)?instagram\.com/(?!{NOT_USERS}/?(?:[?#]|$))(?P<user>[a-z0-9._]{{1,30}})/?(?:[?#].*)?$",
        re.IGNORECASE,
    )
    # Anything else on Instagram (a post, a reel, a story, explore, a profile's tabs) is not an account.
    refuse = re.compile(r"https?://(?:[a-z0-9-]+\.)*instagram\.com(?:[:/?#]|$)", re.IGNORECASE)
    example = "https://www.instagram.com/alex/"

    def __init__(self, url: str, match: re.Match[str]) -> None:
        super().__init__(url, match)
        self.user = match["user"].lower()  # usernames are case-insensitive; Instagram shows them lower-case
        self.profile = f"{ROOT}/{self.user}/"
        self.who = f"@{self.user} on Instagram"

    def account_url(self) -> str:
        return self.profile

    def scope(self) -> AccountScope:
        # The API path serves any username; only ever called here with this account's.
        return AccountScope(frozenset({"www.instagram.com", "instagram.com"}), (f"/{self.user}/", API_PATH))

    def crawl(self, ctx: CrawlContext, result: CrawlResult) -> Iterator[ImageCandidate]:
        og_image = self._read_profile_page(ctx, result)
        if result.stop is StopReason.RATE_LIMITED:
            return
        user = self._profile_info(ctx, result)
        if user is None:  # the outcome is recorded; the page's og:image is still the profile picture
            if og_image and result.stop is not StopReason.NOT_FOUND:
                result.notes.append("Only the profile picture (the profile page's og:image) was reached.")
                yield ImageCandidate(og_image, self.profile, ImageKind.AVATAR, "og:image")
            return

        private = bool(user.get("is_private"))
        result.facts["is_private"] = private
        for key, fact in (("is_professional_account", "is_professional"), ("is_business_account", "is_business")):
            if key in user:
                result.facts[fact] = bool(user[key])
        media = as_dict(user.get("edge_owner_to_timeline_media"))
        total = media.get("count")
        if isinstance(total, int):
            result.facts["posts_total"] = total
        picture = next((user[key] for key in ("profile_pic_url_hd", "profile_pic_url") if is_http(user.get(key))), "")
        if picture:
            yield ImageCandidate(picture, self.profile, ImageKind.AVATAR, "instagram:profile_pic")
        elif og_image:
            yield ImageCandidate(og_image, self.profile, ImageKind.AVATAR, "og:image")
        if private:
            result.stop, result.detail = StopReason.PRIVATE, PRIVATE
            result.notes.append("The account is private: logged-out visitors see only its profile picture.")
            return

        edges = [as_dict(edge).get("node") for edge in media.get("edges") or []]
        posts = [node for node in edges if isinstance(node, dict)]
        result.facts["posts_shown_logged_out"] = len(posts)
        for node in posts:
            owner = as_dict(node.get("owner")).get("id")
            if owner and user.get("id") and str(owner) != str(user["id"]):
                # Another account's post shown on this profile (a collaboration): its photos are theirs.
                result.notes.append(f"Post {node.get('shortcode', '?')} belongs to another account and was not checked.")
                continue
            yield from self._post_images(node)

        if as_dict(media.get("page_info")).get("has_next_page"):
            result.stop, result.detail = StopReason.LOGIN_WALL, f"login wall after {len(posts)} posts"
            of_total = f" of {total}" if isinstance(total, int) else ""
            result.notes.append(f"Instagram shows logged-out visitors only the first {len(posts)}{of_total} posts; "
                                "the rest need a login, which faceaudit never does.")
        else:
            result.stop = StopReason.END
            result.detail = f"all {len(posts)} posts" if posts else "the account has no posts"

    def _read_profile_page(self, ctx: CrawlContext, result: CrawlResult) -> str:
        """The profile page's og:image (its profile picture), and whether it may be indexed."""
        try:
            response = ctx.net.get_page(self.profile, scope=self.scope())
        except OutOfScope as exc:
            if not (exc.url and is_login_url(exc.url)):
                raise
            # The web client's profile call may still answer: a scraper would try it, so do we.
            result.notes.append("The profile page sent a logged-out visitor to the login page.")
            return ""
        result.pages_visited += 1
        if response.status == 429:  # asking again at once only makes the wait longer
            outcome_for(response, result, self.who)
            return ""
        if not response.ok:
            result.notes.append(f"The profile page answered {response.status}.")
            return ""
        head = page_head(response.text())
        result.indexable = allows_indexing(head.meta.get("robots", ""), response.headers.get("x-robots-tag", ""))
        image = head.meta.get("og:image", "")
        return image if is_http(image) else ""

    def _profile_info(self, ctx: CrawlContext, result: CrawlResult) -> dict[str, Any] | None:
        """`data.user` of the profile call, or None with the outcome recorded."""
        try:
            response = ctx.net.get_json(f"{ROOT}{API_PATH}", scope=self.scope(), params={"username": self.user},
                                        headers=WEB_CLIENT)
        except OutOfScope as exc:
            if not (exc.url and is_login_url(exc.url)):
                raise
            page = "a security check" if "/challenge" in exc.url else "its login page"
            result.stop = StopReason.LOGIN_WALL
            result.detail = f"login wall: Instagram sent a logged-out visitor to {page} instead of the profile"
            return None
        result.pages_visited += 1
        if response.status == 401 and RATE_LIMIT_401 in response.text().lower():
            result.stop = StopReason.RATE_LIMITED
            result.detail = ("401 \"Please wait a few minutes before you try again.\": Instagram's rate limit "
                             "for logged-out visitors; try again later")
            return None
        body = json_body(response, dict, result, self.who)
        if body is None:
            return None
        data = body.get("data")
        if isinstance(data, dict) and isinstance(user := data.get("user"), dict):
            return user
        if isinstance(data, dict) and "user" in data:
            result.stop, result.detail = StopReason.NOT_FOUND, f"no account {self.who}"
        else:
            result.stop, result.detail = StopReason.ERROR, f"unexpected answer from {response.url[:160]}"
        return None

    def _post_images(self, node: dict[str, Any]) -> Iterator[ImageCandidate]:
        """Every image of one post: each of a carousel's, the cover frame of a video."""
        shortcode = str(node.get("shortcode") or "")
        page = f"{ROOT}/p/{shortcode}/" if re.fullmatch(r"[A-Za-z0-9_-]+", shortcode) else self.profile
        captions = as_list(as_dict(node.get("edge_media_to_caption")).get("edges"))
        caption = plain(as_dict(as_dict(captions[0]).get("node")).get("text")) if captions else ""
        posted = iso_utc(node.get("taken_at_timestamp"))
        children = [as_dict(edge).get("node") for edge in as_list(as_dict(node.get("edge_sidecar_to_children")).get("edges"))]
        for item in [child for child in children if isinstance(child, dict)] or [node]:
            # display_url is the largest size; thumbnail_src a 640 px square crop of it.
            url = next((item[key] for key in ("display_url", "thumbnail_src") if is_http(item.get(key))), None)
            if url is None:
                continue
            kind = ImageKind.VIDEO_THUMBNAIL if item.get("is_video") else ImageKind.POST
            alt = str(item.get("accessibility_caption") or "")
            yield ImageCandidate(url, page, kind, "instagram:display_url", alt, caption, posted)


SITE = Instagram
