"""An imitation of Reddit's public JSON for FixtureServer, and the demo person's Reddit account.

What a logged-out client reaches, per platforms.md: `/user/<name>/about.json` (t2: icon_img,
snoovatar_img, subreddit.banner_img, is_suspended) and `/user/<name>/submitted.json` (a Listing of
t3 posts with `after` pagination: direct i.redd.it images, previews, galleries, videos, crossposts),
`&amp;` in every string unless `raw_json=1`, and the images on Reddit's CDN hosts. Failure modes
are switchable per endpoint: see FAILURES and `reddit_sites`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from faceaudit.demo.photos import Photo
from faceaudit.demo.platforms import PlatformFixture
from faceaudit.demo.server import Handler, Reply, Request

WWW = "www.reddit.com"
CDN = ("i.redd.it", "preview.redd.it", "external-preview.redd.it", "styles.redditmedia.com", "www.redditstatic.com")
DEFAULT_AVATAR = "https://www.redditstatic.com/avatars/defaults/v2/avatar_default_3.png"
PNG = bytes.fromhex(  # a 1x1 PNG for Reddit's default avatar
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
RATE = {"x-ratelimit-used": "100", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "420"}
FAILURES = {
    "login": Reply(302, b"", headers={"Location": f"https://{WWW}/login/?dest=https%3A%2F%2Fwww.reddit.com%2F"}),
    "unauthorized": Reply(401, b'{"message": "Unauthorized", "error": 401}', "application/json; charset=UTF-8"),
    "rate_limited": Reply(429, b'{"message": "Too Many Requests", "error": 429}', "application/json", RATE),
    "html": Reply(200, b"<!DOCTYPE html><html><head><title>Reddit - Dive into anything</title></head>"
                       b"<body><shreddit-app>Log in to continue</shreddit-app></body></html>"),
    "blocked": Reply(403, b"<!DOCTYPE html><html><body>You've been blocked by network security."
                          b" To continue, log in to your Reddit account or use your developer token</body></html>"),
}


@dataclass
class Picture:
    name: str  # file name on the CDN
    data: bytes
    content_type: str = "image/jpeg"


@dataclass
class RedditPost:
    id: str  # base36, like Reddit's; the Listing is sorted by `created`
    kind: str  # "image" (i.redd.it), "gallery", "video", "link" (a preview), "text", "crosspost"
    pictures: list[Picture] = field(default_factory=list)
    title: str = ""
    captions: list[str] = field(default_factory=list)  # per gallery item
    created: int = 1_714_564_800
    over_18: bool = False


@dataclass
class RedditAccount:
    name: str
    icon: Picture | None  # None: one of Reddit's default avatars
    banner: Picture | None = None
    snoovatar: Picture | None = None
    posts: list[RedditPost] = field(default_factory=list)
    suspended: bool = False
    over_18: bool = False
    hide_from_robots: bool = False  # the "show up in search results" setting turned off


def reddit_sites(
    accounts: list[RedditAccount],
    *,
    failure: str = "",
    failing: str = "about",
    page_size: int = 100,
    repeat_cursor: bool = False,
) -> dict[str, Handler]:
    """Handlers for www.reddit.com and the CDN hosts. `failure` (a key of FAILURES) answers every
    request to `failing`: "about", "submitted" (every page) or "next" (pages after the first).
    `page_size` caps `limit`; `repeat_cursor` hands back the `after` the client sent."""
    files: dict[str, Picture] = {}
    for account in accounts:
        for picture in [account.icon, account.banner, account.snoovatar, *(p for post in account.posts
                                                                          for p in post.pictures)]:
            if picture is not None:
                files[picture.name] = picture

    def www(request: Request) -> Reply:
        parts = request.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "user" or parts[2] not in ("about.json", "submitted.json"):
            return Reply(404, b"<!DOCTYPE html><title>Reddit - page not found</title>")
        endpoint = parts[2].removesuffix(".json")
        if failure and (failing == endpoint or (failing == "next" and endpoint == "submitted" and request.arg("after"))):
            return FAILURES[failure]
        account = next((a for a in accounts if a.name.lower() == parts[1].lower()), None)
        if account is None:
            return _json({"message": "Not Found", "error": 404}, request, 404)
        if endpoint == "about":
            return _json(_about(account), request)
        return _json(_listing(account, request, page_size, repeat_cursor), request)

    def cdn(request: Request) -> Reply:
        if request.path.startswith("/avatars/defaults/"):
            return Reply(200, PNG, "image/png")
        picture = files.get(request.path.rsplit("/", 1)[-1])
        if picture is None:
            return Reply(404, b"Not Found", "text/plain")
        return Reply(200, picture.data, picture.content_type, {"Cache-Control": "public, max-age=604800"})

    return {WWW: www, **{host: cdn for host in CDN}}


def _sig(name: str) -> str:
    return hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:40]


def _preview(picture: Picture, host: str = "preview.redd.it") -> str:
    return f"https://{host}/{picture.name}?width=1080&format=pjpg&auto=webp&s={_sig(picture.name)}"


def _about(account: RedditAccount) -> dict[str, Any]:
    if account.suspended:
        return {"kind": "t2", "data": {"name": account.name, "is_suspended": True}}
    t5 = f"t5_{_sig(account.name)[:6]}"
    icon = (f"https://styles.redditmedia.com/{t5}/styles/{account.icon.name}?width=256&height=256"
            f"&crop=256:256,smart&s={_sig(account.icon.name)}") if account.icon else DEFAULT_AVATAR
    banner = (f"https://styles.redditmedia.com/{t5}/styles/{account.banner.name}?width=1280&height=384"
              f"&crop=1280:384,smart&s={_sig(account.banner.name)}") if account.banner else ""
    snoovatar = f"https://i.redd.it/snoovatar/avatars/{account.snoovatar.name}" if account.snoovatar else ""
    return {"kind": "t2", "data": {
        "is_employee": False, "is_friend": False, "verified": True, "is_suspended": False,
        "icon_img": icon, "snoovatar_img": snoovatar, "has_verified_email": True,
        "name": account.name, "id": _sig(account.name)[:7], "created_utc": 1_500_000_000.0,
        "link_karma": 120, "comment_karma": 340, "accept_followers": True,
        "hide_from_robots": account.hide_from_robots,
        "subreddit": {
            "display_name": f"u_{account.name}", "title": "", "icon_img": icon, "banner_img": banner,
            "over_18": account.over_18, "public_description": "", "subreddit_type": "user",
            "url": f"/user/{account.name}/", "user_is_banned": None,
        },
    }}


def _listing(account: RedditAccount, request: Request, page_size: int, repeat: bool) -> dict[str, Any]:
    posts = sorted(account.posts, key=lambda p: p.created, reverse=True)
    after = request.arg("after")
    if after:
        names = [f"t3_{p.id}" for p in posts]
        posts = posts[names.index(after) + 1:] if after in names else []
    limit = max(1, min(page_size, int(request.arg("limit", "25") or 25)))
    page, rest = posts[:limit], posts[limit:]
    cursor = after if repeat and after else (f"t3_{page[-1].id}" if rest else None)
    children = [{"kind": "t3", "data": _post(account, p)} for p in page]
    return {"kind": "Listing", "data": {"after": cursor, "dist": len(children), "modhash": "", "geo_filter": "",
                                        "children": children, "before": None}}


def _post(account: RedditAccount, post: RedditPost) -> dict[str, Any]:
    permalink = f"/r/pics/comments/{post.id}/{post.title.lower().replace(' ', '_')[:40]}/"
    body: dict[str, Any] = {
        "subreddit": "pics", "title": post.title, "name": f"t3_{post.id}", "id": post.id,
        "author": account.name, "author_fullname": f"t2_{_sig(account.name)[:7]}", "permalink": permalink,
        "created_utc": float(post.created), "over_18": post.over_18, "is_self": post.kind == "text",
        "is_video": post.kind == "video", "url": f"https://{WWW}{permalink}", "thumbnail": "self",
    }
    pictures = post.pictures
    if post.kind == "image":
        direct = f"https://i.redd.it/{pictures[0].name}"
        body.update(url=direct, url_overridden_by_dest=direct, post_hint="image", preview=_images(pictures[0]))
    elif post.kind == "gallery":
        body.update(is_gallery=True, url=f"https://{WWW}/gallery/{post.id}",
                    gallery_data={"items": [{"media_id": p.name.split(".")[0], "id": 1000 + i,
                                             **({"caption": post.captions[i]} if i < len(post.captions) else {})}
                                            for i, p in enumerate(pictures)]},
                    media_metadata={p.name.split(".")[0]: {"status": "valid", "e": "Image", "m": p.content_type,
                                                           "p": [], "s": {"y": 800, "x": 600, "u": _preview(p)},
                                                           "id": p.name.split(".")[0]} for p in pictures})
    elif post.kind == "video":
        body.update(url=f"https://v.redd.it/{post.id}", post_hint="hosted:video",
                    preview=_images(pictures[0], "external-preview.redd.it"),
                    media={"reddit_video": {"fallback_url": f"https://v.redd.it/{post.id}/DASH_720.mp4"}})
    elif post.kind == "link":
        body.update(url=f"https://news.example/{post.id}", url_overridden_by_dest=f"https://news.example/{post.id}",
                    post_hint="link", preview=_images(pictures[0], "external-preview.redd.it"))
    elif post.kind == "crosspost":  # someone else's image post, shared here; the copy carries its preview
        parent = {"title": post.title, "author": "someone_else", "name": "t3_parent" + post.id,
                  "url": f"https://i.redd.it/{pictures[0].name}", "post_hint": "image",
                  "preview": _images(pictures[0]), "permalink": f"/r/travel/comments/parent{post.id}/"}
        body.update(crosspost_parent=parent["name"], crosspost_parent_list=[parent], post_hint="image",
                    url=parent["permalink"], preview=_images(pictures[0]))
    return body


def _images(picture: Picture, host: str = "preview.redd.it") -> dict[str, Any]:
    source: dict[str, Any] = {"url": _preview(picture, host), "width": 1600, "height": 1200}
    small = {**source, "url": source["url"].replace("width=1080", "width=108"), "width": 108, "height": 81}
    return {"images": [{"source": source, "resolutions": [small], "variants": {}, "id": _sig(picture.name)[:12]}],
            "enabled": True}


def _json(payload: Any, request: Request, status: int = 200) -> Reply:
    text = json.dumps(payload)
    if request.arg("raw_json") != "1":  # Reddit's legacy escaping of every string
        text = text.replace("&", "&amp;")
    return Reply(status, text.encode(), "application/json; charset=UTF-8",
                 {"x-ratelimit-used": "1", "x-ratelimit-remaining": "99", "x-ratelimit-reset": "420"})


def build(photos: dict[str, Photo]) -> PlatformFixture:
    """sam_example on Reddit: avatar, banner and five posts (a gallery, a video, a link, a
    crosspost of someone else's photo, a text post)."""
    def picture(name: str, as_name: str = "") -> Picture:
        return Picture(as_name or name, photos[name].data, photos[name].content_type)

    icon, banner = picture("avatar.jpg", "profileIcon_sam.jpg"), picture("with-friends.jpg", "profileBanner_sam.jpg")
    direct, low, coffee = picture("portrait.webp", "x1y2z3.webp"), picture("lowq.jpg", "g1.jpg"), picture("coffee.jpg", "g2.jpg")
    still, friend, shared = picture("mirror.jpg", "v1.jpg"), picture("friend-1.jpg", "l1.jpg"), picture("holiday.jpg", "c1.jpg")
    posts = [
        RedditPost("1a0006", "image", [direct], "Finally a photo I like", created=1_714_600_000),
        RedditPost("1a0005", "gallery", [low, coffee], "Weekend", ["me, early", "coffee"], created=1_714_500_000),
        RedditPost("1a0004", "video", [still], "Talking about my trip", created=1_714_400_000),
        RedditPost("1a0003", "link", [friend], "A friend in the news", created=1_714_300_000),
        RedditPost("1a0002", "crosspost", [shared], "Look at this beach", created=1_714_200_000),
        RedditPost("1a0001", "text", [], "Any tips for a first marathon?", created=1_714_100_000),
    ]
    sam = RedditAccount("sam_example", icon, banner, posts=posts)
    about = _about(sam)["data"]
    return PlatformFixture(
        platform="reddit",
        sites=reddit_sites([sam]),
        account_url=f"https://www.reddit.com/user/{sam.name}/",
        person_images={
            about["icon_img"]: "avatar",
            about["subreddit"]["banner_img"]: "banner",
            f"https://i.redd.it/{direct.name}": "post",
            _preview(low): "post",
            _preview(still, "external-preview.redd.it"): "video_thumbnail",
        },
        other_images=[_preview(coffee), _preview(friend, "external-preview.redd.it")],
    )
