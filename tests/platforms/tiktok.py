"""An imitation of TikTok's profile page for a logged-out visitor (platforms.md), and the demo person's account.

The profile page embeds its data as JSON in `<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__">`
(with "/" written as \\u002F, as TikTok does): `__DEFAULT_SCOPE__["webapp.user-detail"]` holds
`userInfo.{user, stats}`, a `statusCode` (0; 10221 for an unknown user; 10222 for a private
account) and, when `item_list` is on, an `itemList` of videos and photo posts. Whether the real
page still carries `itemList` is unverified: with `item_list=False` it does not, and the videos
would need TikTok's signed JavaScript API. Failure modes: the JavaScript bot check instead of the
page, a redirect to /login, 429, and a page without the data (og:image only).
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from faceaudit.demo.photos import Photo
from faceaudit.demo.platforms import PlatformFixture
from faceaudit.demo.server import Handler, Reply, Request

HOST = "www.tiktok.com"
CDN = "p16-sign-va.tiktokcdn.com"
EXPIRES = "1767225600"


@dataclass
class TtMedia:
    name: str  # file name on the CDN, before TikTok's `~` variant suffix
    data: bytes
    content_type: str = "image/jpeg"


@dataclass
class TtPost:
    id: str  # 19 digits, like TikTok's
    cover: TtMedia | None = None  # a video: the still shown on the profile grid
    photos: list[TtMedia] = field(default_factory=list)  # a photo post (imagePost)
    desc: str = ""
    created: int = 1714564800
    author: str = ""  # another account's uniqueId: a repost of their video


@dataclass
class TtAccount:
    username: str
    nickname: str
    avatar: TtMedia | None
    posts: list[TtPost]  # newest first
    private: bool = False
    id: str = "6890000000000000001"


@dataclass
class Switches:
    item_list: bool = True  # the page data carries the videos
    challenge: bool = False  # the JavaScript bot check instead of the page
    login_redirect: bool = False
    rate_limited: bool = False  # 429
    no_data: bool = False  # a page with og:image but without the data script
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def tiktok_sites(accounts: list[TtAccount], **switches: Any) -> dict[str, Handler]:
    """FixtureServer handlers for www.tiktok.com and the image CDN."""
    state = Switches(**switches)
    files: dict[str, TtMedia] = {}
    for account in accounts:
        for media in [account.avatar, *(m for p in account.posts for m in [p.cover, *p.photos])]:
            if media is not None:
                files[media.name] = media
    return {HOST: lambda request: _site(accounts, state, request), CDN: lambda request: _cdn(files, request)}


def avatar_url(media: TtMedia) -> str:
    return _signed(f"/tos-maliva-avt-0068/{media.name}~c5_1080x1080.jpeg")


def small_avatar_url(media: TtMedia) -> str:
    return _signed(f"/tos-maliva-avt-0068/{media.name}~c5_100x100.jpeg")


def cover_url(media: TtMedia) -> str:
    return _signed(f"/obj/tos-maliva-p-0068/{media.name}")


def photo_url(media: TtMedia) -> str:
    return _signed(f"/tos-maliva-i-photomode-us/{media.name}~tplv-photomode-image.jpeg")


def _signed(path: str) -> str:
    signature = hashlib.sha256(path.encode()).hexdigest()[:27]
    return f"https://{CDN}{path}?lk3s=a5d48078&x-expires={EXPIRES}&x-signature={signature}%3D"


def _site(accounts: list[TtAccount], state: Switches, request: Request) -> Reply:
    with state.lock:
        state.requests += 1
    if state.rate_limited:
        return Reply(429, b"", "text/html; charset=utf-8", {"Retry-After": "120"})
    if state.login_redirect:
        back = quote(f"https://{HOST}{request.path}", safe="")
        return Reply(302, b"", "text/html", {"Location": f"https://{HOST}/login?redirect_url={back}&lang=en"})
    if state.challenge:
        return Reply(200, CHALLENGE_PAGE.encode(), "text/html; charset=utf-8")
    if not request.path.startswith("/@") or "/" in request.path[2:].strip("/"):
        return Reply(404, b"<!DOCTYPE html><title>TikTok - Make Your Day</title>")
    name = request.path[2:].strip("/").lower()
    account = next((a for a in accounts if a.username == name), None)
    return Reply(200, _profile_page(name, account, state).encode(), "text/html; charset=utf-8")


def _profile_page(name: str, account: TtAccount | None, state: Switches) -> str:
    detail: dict[str, Any] = {"statusCode": 10221, "statusMsg": "", "userInfo": {}}
    og_image = ""
    if account is not None:
        detail = {
            "statusCode": 10222 if account.private else 0,
            "statusMsg": "",
            "needFix": False,
            "userInfo": {"user": _user_json(account), "stats": _stats(account)},
        }
        if state.item_list:
            detail["itemList"] = [] if account.private else [_item_json(account, p) for p in account.posts]
        og_image = small_avatar_url(account.avatar) if account.avatar else ""
    data = {
        "__DEFAULT_SCOPE__": {
            "webapp.app-context": {"language": "en", "region": "US", "appId": 1988, "user": {}},
            "webapp.user-detail": detail,
            "seo.abtest": {"canonical": f"https://{HOST}/@{name}", "pageId": "", "vidList": []},
        }
    }
    script = json.dumps(data, ensure_ascii=False).replace("/", "\\u002F")
    if state.no_data:
        script_tag = '<script id="SIGI_STATE" type="application/json">{}</script>'
    else:
        script_tag = f'<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">{script}</script>'
    title = html.escape(f"{account.nickname} (@{name}) | TikTok" if account else "TikTok - Make Your Day")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<meta property="og:title" content="{title}">
<meta property="og:image" content="{html.escape(og_image)}">
<meta property="og:url" content="https://{HOST}/@{name}">
<link rel="canonical" href="https://{HOST}/@{name}">
</head>
<body>
<div id="app"></div>
{script_tag}
<script src="https://sf16-website-login.neutral.ttwstatic.com/obj/tiktok_web_login_static/webapp/main.js" async></script>
</body>
</html>
"""


CHALLENGE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>TikTok</title></head>
<body>
<div id="cs" class="eyJ2Ijp7ImEiOiJZWEpsWVdKc1pRPT0iLCJjIjoiZEdWemRBPT0ifX0"></div>
<div id="wci" class="_wafchallengeid"></div>
<div id="rci" class="_wafchallengeid"></div>
<div id="rs" class="c2lnbmF0dXJl"></div>
<script>/* proof of work: find the digest, set the cookie, reload */</script>
</body></html>
"""


def _user_json(account: TtAccount) -> dict[str, Any]:
    avatar = account.avatar
    return {
        "id": account.id,
        "shortId": "",
        "uniqueId": account.username,
        "nickname": account.nickname,
        "avatarLarger": avatar_url(avatar) if avatar else "",
        "avatarMedium": _signed(f"/tos-maliva-avt-0068/{avatar.name}~c5_720x720.jpeg") if avatar else "",
        "avatarThumb": small_avatar_url(avatar) if avatar else "",
        "signature": "",
        "verified": False,
        "secUid": "MS4wLjABAAAA" + hashlib.sha256(account.id.encode()).hexdigest()[:64],
        "privateAccount": account.private,
        "secret": account.private,
        "openFavorite": False,
        "commentSetting": 0,
        "duetSetting": 0,
        "stitchSetting": 0,
        "downloadSetting": 0,
        "relation": 0,
        "isEmbedBanned": False,
    }


def _stats(account: TtAccount) -> dict[str, int]:
    own = [p for p in account.posts if not p.author]
    return {"followerCount": 120, "followingCount": 80, "heart": 900, "heartCount": 900,
            "videoCount": len(own), "diggCount": 0, "friendCount": 10}


def _item_json(account: TtAccount, post: TtPost) -> dict[str, Any]:
    author = post.author or account.username
    item: dict[str, Any] = {
        "id": post.id,
        "desc": post.desc,
        "createTime": post.created,
        "author": {"id": account.id if not post.author else "6890000000000000099", "uniqueId": author,
                   "nickname": author},
        "stats": {"playCount": 410, "diggCount": 31, "commentCount": 2, "shareCount": 1},
        "isPinned": False,
    }
    if post.photos:
        item["imagePost"] = {
            "images": [{"imageURL": {"urlList": [photo_url(m)]}, "imageWidth": 1080, "imageHeight": 1440}
                       for m in post.photos],
            "title": post.desc,
        }
    if post.cover is not None:
        item["video"] = {
            "id": post.id, "duration": 15, "ratio": "720p", "format": "mp4",
            "cover": cover_url(post.cover),
            "originCover": _signed(f"/obj/tos-maliva-p-0068/{post.cover.name}~origin"),
            "dynamicCover": _signed(f"/obj/tos-maliva-p-0068/{post.cover.name}~dynamic"),
        }
    return item


def _cdn(files: dict[str, TtMedia], request: Request) -> Reply:
    media = files.get(request.path.rpartition("/")[2].partition("~")[0])
    if media is None or not request.arg("x-signature"):
        return Reply(403, b"", "text/plain")
    return Reply(200, media.data, media.content_type, {"Cache-Control": "max-age=86400"})


def build(photos: dict[str, Photo]) -> PlatformFixture:
    def media(name: str) -> TtMedia:
        return TtMedia(name.replace(".", "-"), photos[name].data, photos[name].content_type)

    avatar = media("portrait.webp")
    clip, rocket = media("big.png"), media("rocket.jpg")
    crowd, friend = media("crowd-small.jpg"), media("friend-1.jpg")
    posts = [
        TtPost("7360000000000000004", cover=clip, desc="first try #fyp", created=1714564800),
        TtPost("7360000000000000003", cover=rocket, desc="launch day", created=1714478400),
        TtPost("7360000000000000002", photos=[crowd, friend], desc="city walk", created=1714392000),
        # A repost of someone else's video: not the person's, never fetched.
        TtPost("7360000000000000001", cover=media("mirror.jpg"), desc="", author="friend.of.sam"),
    ]
    account = TtAccount("sam_example", "Sam", avatar, posts)
    return PlatformFixture(
        platform="tiktok",
        sites=tiktok_sites([account]),
        account_url=f"https://{HOST}/@sam_example",
        person_images={
            avatar_url(avatar): "avatar",
            cover_url(clip): "video_thumbnail",
            photo_url(crowd): "post",
        },
        other_images=[cover_url(rocket), photo_url(friend)],
    )
