"""Reddit: avatar, banner and the images of the user's own posts, through Reddit's public JSON."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

from faceaudit.crawl.net import AccountScope
from faceaudit.crawl.sites.base import CrawlContext, Pager, Site, json_body
from faceaudit.crawl.vocabulary import as_dict, as_list, is_http, iso_utc, plain
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason

ROOT = "https://www.reddit.com"
HOSTS = r"(?:www\.|old\.|new\.|np\.|m\.)?reddit\.com"
# Without raw_json=1 every URL in the answer has `&amp;` for `&`.
QUERY = {"raw_json": "1", "limit": "100", "sort": "new"}


class Reddit(Site):
    name = "reddit"
    pattern = re.compile(
        rf"https://{HOSTS}/(?:user|u)/(?P<user>[A-Za-z0-9_-]{{3,20}})/?(?:(?:submitted|overview)/?)?(?:[?#].*)?$",
        re.IGNORECASE,
    )
    # A post, a comment, a community, a search, another tab of a profile; redd.it short links.
    refuse = re.compile(rf"https?://(?:{HOSTS}|redd\.it)(?:[/?#]|$)", re.IGNORECASE)
    example = "https://www.reddit.com/user/alex/"

    def __init__(self, url: str, match: re.Match[str]) -> None:
        super().__init__(url, match)
        self.user = match["user"]
        self.profile = f"{ROOT}/user/{self.user}/"

    def account_url(self) -> str:
        # `/u/` and the other hosts are the same profile; Reddit ignores a user name's case.
        return f"{ROOT}/user/{self.user.lower()}/"

    def scope(self) -> AccountScope:
        base = f"/user/{self.user}"
        return AccountScope(frozenset({"www.reddit.com"}), (f"{base}/about.json", f"{base}/submitted.json"))

    def crawl(self, ctx: CrawlContext, result: CrawlResult) -> Iterator[ImageCandidate]:
        who = f"u/{self.user}"
        about = ctx.net.get_json(f"{ROOT}/user/{self.user}/about.json", scope=self.scope(), params={"raw_json": "1"})
        result.pages_visited += 1
        body = json_body(about, dict, result, who)
        if body is None:
            return
        account = as_dict(body.get("data"))
        if account.get("is_suspended"):
            result.facts["is_suspended"] = True
            result.stop, result.detail = StopReason.NOT_FOUND, f"{who} is suspended: Reddit shows nothing of it"
            return
        if isinstance(account.get("hide_from_robots"), bool):  # "show up in search results" turned off
            result.indexable, result.facts["noindex"] = not account["hide_from_robots"], account["hide_from_robots"]
        yield from self._profile_images(account, result)

        pager = Pager(ctx, result, "pages of posts")
        after: str | None = None
        posts = 0
        while True:
            if not pager.allow(after):
                return
            params = {**QUERY, "after": after} if after else QUERY
            response = ctx.net.get_json(f"{ROOT}/user/{self.user}/submitted.json", scope=self.scope(), params=params)
            listing = json_body(response, dict, result, who)
            if listing is None:
                return
            data = as_dict(listing.get("data"))
            for child in as_list(data.get("children")):
                post = child.get("data") if isinstance(child, dict) else None
                if isinstance(post, dict) and self._own(post):
                    posts += 1
                    yield from _post_images(post, self.profile)
            after = data.get("after") if isinstance(data.get("after"), str) and data.get("after") else None
            if after is None:
                break
        pager.finished()
        result.facts["posts_visible"] = posts
        if posts == 0:
            result.detail = (f"no posts visible on the profile of {who} (the profile may hide them; "
                             "posts stay public in their communities)")

    def _profile_images(self, account: dict[str, Any], result: CrawlResult) -> Iterator[ImageCandidate]:
        profile = as_dict(account.get("subreddit"))
        if profile.get("over_18"):
            result.facts["nsfw_profile"] = True
            result.notes.append("The profile is marked NSFW (18+).")
        seen: set[str] = set()
        for url, kind, source in ((account.get("icon_img"), ImageKind.AVATAR, "reddit:icon_img"),
                                  (account.get("snoovatar_img"), ImageKind.AVATAR, "reddit:snoovatar_img"),
                                  (profile.get("banner_img"), ImageKind.BANNER, "reddit:banner_img")):
            url = _url(url)
            # Everyone without an upload gets one of Reddit's default avatars: not the user's picture.
            if url and "/avatar_default_" not in url and url not in seen:
                seen.add(url)
                yield ImageCandidate(url, self.profile, kind, source)

    def _own(self, post: dict[str, Any]) -> bool:
        """The user's own post: crossposts carry someone else's post and its images."""
        if post.get("crosspost_parent") or post.get("crosspost_parent_list"):
            return False
        return str(post.get("author") or self.user).lower() == self.user.lower()


def _post_images(post: dict[str, Any], profile: str) -> Iterator[ImageCandidate]:
    permalink = str(post.get("permalink") or "")
    page = ROOT + permalink if permalink.startswith("/") else profile
    caption = plain(post.get("title"))
    posted = iso_utc(post.get("created_utc"))
    if post.get("is_gallery"):
        metadata = as_dict(post.get("media_metadata"))
        gallery = as_dict(post.get("gallery_data"))
        for item in gallery.get("items") or []:
            media = metadata.get(str(item.get("media_id"))) if isinstance(item, dict) else None
            source = media.get("s") if isinstance(media, dict) and media.get("status", "valid") == "valid" else None
            # `u` for a still image; an animated one has only `gif`/`mp4`, which are not stills.
            if isinstance(source, dict) and (url := _url(source.get("u"))):
                yield ImageCandidate(url, page, ImageKind.POST, "reddit:gallery", plain(item.get("caption")),
                                     caption, posted)
        return
    direct = _url(post.get("url_overridden_by_dest") or post.get("url"))
    if direct and re.match(r"https://i\.redd\.it/[^/?#]+\.(?:jpe?g|png|webp|gif)$", direct, re.IGNORECASE):
        yield ImageCandidate(direct, page, ImageKind.POST, "reddit:image", "", caption, posted)
        return
    preview = as_dict(post.get("preview"))
    for image in as_list(preview.get("images"))[:1]:  # the post's picture; the rest are variants of it
        source = image.get("source") if isinstance(image, dict) else None
        if isinstance(source, dict) and (url := _url(source.get("url"))):
            kind = ImageKind.VIDEO_THUMBNAIL if post.get("is_video") else ImageKind.POST
            yield ImageCandidate(url, page, kind, "reddit:preview", "", caption, posted)


def _url(value: Any) -> str:
    """An image address; `&amp;` undone in case an answer came without raw_json=1."""
    return html.unescape(value) if is_http(value) else ""


SITE = Reddit
