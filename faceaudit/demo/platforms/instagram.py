"""An imitation of Instagram for a logged-out visitor (platforms.md), and the demo person's account on it.

What is imitated: the profile page (a JavaScript shell with og:image), the web client's profile
call `/api/v1/users/web_profile_info/` (it wants the `X-IG-App-ID` header and shows at most the
first 12 posts), signed image URLs on the CDN, and the ways Instagram turns logged-out visitors
away: a redirect to the login page or a security check, the 401 "Please wait a few minutes", 429,
a login page where JSON was expected, `{"data": {"user": null}}` for an unknown username.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from faceaudit.demo.person import NAME
from faceaudit.demo.photos import Photo
from faceaudit.demo.platforms import PlatformFixture
from faceaudit.demo.server import Handler, Reply, Request

HOST = "www.instagram.com"
CDN = "scontent.cdninstagram.com"
APP_ID = "936619743392459"
VISIBLE_POSTS = 12  # what the profile call shows a logged-out client
EXPIRES = "6A0B1C2D"  # `oe`: when a signed image URL stops working (hex epoch seconds)


@dataclass
class IgMedia:
    name: str  # file name on the CDN
    data: bytes
    content_type: str = "image/jpeg"
    alt: str = ""  # accessibility_caption
    video: bool = False  # the file is the video's cover frame


@dataclass
class IgPost:
    shortcode: str
    media: list[IgMedia]  # more than one: a carousel (GraphSidecar)
    caption: str = ""
    taken_at: int = 1714564800  # 2024-05-01T12:00:00Z
    owner: tuple[str, str] | None = None  # (id, username) of another account: a collaboration


@dataclass
class IgAccount:
    username: str
    full_name: str
    picture: IgMedia | None
    posts: list[IgPost]  # newest first
    is_private: bool = False
    professional: bool = False
    id: str = "5170000001"


@dataclass
class Switches:
    """How the imitation turns a logged-out visitor away (all off: it answers)."""

    page_login: bool = False  # the profile page redirects to /accounts/login/
    api_redirect: str = ""  # "login" or "challenge": the profile call redirects there
    rate_limit: str = ""  # "401" (Instagram's "Please wait a few minutes") or "429"
    rate_limit_after: int = 0  # answer normally to this many requests first
    api_html: bool = False  # the profile call answers with the login page's HTML
    app_id_required: bool = True
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def instagram_sites(accounts: list[IgAccount], **switches: Any) -> dict[str, Handler]:
    """FixtureServer handlers for www.instagram.com, instagram.com and the image CDN."""
    state = Switches(**switches)
    files = {m.name: m for a in accounts for m in [a.picture, *(m for p in a.posts for m in p.media)] if m}
    return {
        HOST: lambda request: _site(accounts, state, request),
        "instagram.com": lambda request: Reply(301, b"", "text/html", {"Location": f"https://{HOST}{request.path}"}),
        CDN: lambda request: _cdn(files, request),
    }


def image_url(media: IgMedia, size: str = "") -> str:
    """A signed CDN URL like Instagram's: `stp` names the variant, `oh` signs it, `oe` ends it."""
    folder = "t51.2885-19" if media.name.startswith("pic-") else "t51.2885-15"
    stp = f"dst-jpg_e35{'_' + size if size else ''}"
    signature = hashlib.sha256(f"{media.name}{stp}".encode()).hexdigest()[:32]
    return f"https://{CDN}/v/{folder}/{media.name}?stp={stp}&_nc_ht={CDN}&oh=00_{signature}&oe={EXPIRES}"


def _site(accounts: list[IgAccount], state: Switches, request: Request) -> Reply:
    with state.lock:
        state.requests += 1
        turned_away = state.rate_limit and state.requests > state.rate_limit_after
    if turned_away and state.rate_limit == "401":
        body = {"message": "Please wait a few minutes before you try again.", "require_login": True, "status": "fail"}
        return _json(body, 401)
    if turned_away:
        return Reply(429, b"", "text/html; charset=utf-8", {"Retry-After": "300"})
    if request.path == "/api/v1/users/web_profile_info/":
        return _profile_call(accounts, state, request)
    name = request.path.strip("/")
    if state.page_login:
        return _login_redirect(request.path)
    account = next((a for a in accounts if a.username == name.lower()), None)
    if account is None or "/" in name:
        return Reply(404, b"<!DOCTYPE html><title>Page not found \xe2\x80\xa2 Instagram</title>"
                          b"<h2>Sorry, this page isn't available.</h2>")
    return Reply(200, _profile_page(account).encode(), "text/html; charset=utf-8")


def _profile_call(accounts: list[IgAccount], state: Switches, request: Request) -> Reply:
    app_id = next((v for k, v in request.headers.items() if k.lower() == "x-ig-app-id"), "")
    if state.app_id_required and app_id != APP_ID:
        return _json({"message": "useragent mismatch", "status": "fail"}, 400)
    if state.api_redirect:
        target = "/challenge/?next=" if state.api_redirect == "challenge" else "/accounts/login/?next="
        return Reply(302, b"", "text/html", {"Location": f"https://{HOST}{target}{quote(request.path, safe='')}"})
    if state.api_html:
        return Reply(200, b"<!DOCTYPE html><title>Login \xe2\x80\xa2 Instagram</title><form id=loginForm></form>")
    account = next((a for a in accounts if a.username == request.arg("username").lower()), None)
    return _json({"data": {"user": _user_json(account) if account else None}, "status": "ok"}, 200)


def _login_redirect(path: str) -> Reply:
    return Reply(302, b"", "text/html", {"Location": f"https://{HOST}/accounts/login/?next={quote(path, safe='')}"})


def _user_json(account: IgAccount) -> dict[str, Any]:
    shown = [] if account.is_private else account.posts[:VISIBLE_POSTS]
    picture = account.picture
    return {
        "id": account.id,
        "username": account.username,
        "full_name": account.full_name,
        "biography": "",
        "is_private": account.is_private,
        "is_verified": False,
        "is_business_account": account.professional,
        "is_professional_account": account.professional,
        "profile_pic_url": image_url(picture, "s150x150") if picture else _default_picture(),
        "profile_pic_url_hd": image_url(picture, "s320x320") if picture else _default_picture(),
        "edge_followed_by": {"count": 120},
        "edge_follow": {"count": 80},
        "edge_owner_to_timeline_media": {
            "count": len(account.posts),
            "page_info": {
                "has_next_page": not account.is_private and len(account.posts) > VISIBLE_POSTS,
                "end_cursor": "QVFEcnYtNWxTa2xBa1pfV" if len(account.posts) > VISIBLE_POSTS else None,
            },
            "edges": [{"node": _node(account, post)} for post in shown],
        },
    }


def _default_picture() -> str:
    return f"https://{CDN}/v/t51.2885-19/44884218_345707102882519_2446069589734326272_n.jpg?_nc_ht={CDN}"


def _node(account: IgAccount, post: IgPost) -> dict[str, Any]:
    owner_id, owner_name = post.owner or (account.id, account.username)
    first = post.media[0]
    node: dict[str, Any] = {
        "__typename": "GraphSidecar" if len(post.media) > 1 else "GraphVideo" if first.video else "GraphImage",
        "id": f"33{int(hashlib.sha256(post.shortcode.encode()).hexdigest(), 16) % 10**17:017d}",
        "shortcode": post.shortcode,
        **_media_fields(first),
        "edge_media_to_caption": {"edges": [{"node": {"text": post.caption}}] if post.caption else []},
        "edge_media_to_comment": {"count": 2},
        "comments_disabled": False,
        "taken_at_timestamp": post.taken_at,
        "edge_liked_by": {"count": 31},
        "owner": {"id": owner_id, "username": owner_name},
    }
    if len(post.media) > 1:
        node["edge_sidecar_to_children"] = {"edges": [{"node": _media_fields(m)} for m in post.media]}
    return node


def _media_fields(media: IgMedia) -> dict[str, Any]:
    return {
        "dimensions": {"height": 1080, "width": 1080},
        "display_url": image_url(media),
        "thumbnail_src": image_url(media, "s640x640_sh0.08"),
        "is_video": media.video,
        "accessibility_caption": media.alt or None,
        **({"video_view_count": 410} if media.video else {}),
    }


def _profile_page(account: IgAccount) -> str:
    """What a logged-out visitor's HTTP client gets: meta tags and a JavaScript shell."""
    name = html.escape(f"{account.full_name} (@{account.username})")
    picture = html.escape(image_url(account.picture, "s150x150") if account.picture else _default_picture())
    return f"""<!DOCTYPE html>
<html class="_9dls" lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<title>{name} &bull; Instagram photos and videos</title>
<meta property="og:type" content="profile">
<meta property="og:title" content="{name} &bull; Instagram photos and videos">
<meta property="og:image" content="{picture}">
<meta property="og:url" content="https://{HOST}/{account.username}/">
<meta property="al:ios:url" content="instagram://user?username={account.username}">
<link rel="canonical" href="https://{HOST}/{account.username}/">
<script type="application/json" data-sjs>{{"require":[["ScheduledServerJS","handle",null,[]]]}}</script>
</head>
<body><div id="splash-screen"></div><noscript>Please enable JavaScript.</noscript></body>
</html>
"""


def _cdn(files: dict[str, IgMedia], request: Request) -> Reply:
    media = files.get(request.path.rpartition("/")[2])
    if media is None or not request.arg("oh"):  # unsigned or unknown: the CDN's answer to both
        return Reply(403, b"URL signature mismatch", "text/plain")
    return Reply(200, media.data, media.content_type, {"Cache-Control": "max-age=1209600, no-transform"})


def _json(payload: Any, status: int) -> Reply:
    return Reply(status, json.dumps(payload).encode(), "application/json; charset=utf-8")


def build(photos: dict[str, Photo]) -> PlatformFixture:
    def media(name: str, alt: str = "", video: bool = False, as_name: str = "") -> IgMedia:
        photo = photos[name]
        return IgMedia(as_name or f"{name.replace('.', '_')}_n.jpg", photo.data, photo.content_type, alt, video)

    picture = media("avatar.jpg", as_name="pic-avatar_n.jpg")
    carousel = [media("portrait.jpg", f"Photo by {NAME}. May be an image of 1 person."), media("coffee.jpg")]
    cover = media("holiday.jpg", video=True)
    posts = [
        IgPost("C6sAmp1e001", carousel, "Two from the weekend", 1714564800),
        IgPost("C6sAmp1e002", [media("group.jpg")], "the team", 1714478400),
        IgPost("C6sAmp1e003", [cover], "holiday clip", 1714392000),
        IgPost("C6sAmp1e004", [media("with-friends.jpg")], "with friends", 1714305600),
        # A collaboration: another account's post shown on this profile; its photo is theirs.
        IgPost("C6sAmp1e005", [media("mirror.jpg")], "collab", 1714219200, owner=("5170000099", "friend.of.alex")),
    ]
    account = IgAccount("alex.example", NAME, picture, posts)
    return PlatformFixture(
        platform="instagram",
        account=account,
        sites=instagram_sites([account]),
        account_url=f"https://{HOST}/{account.username}/",
        person_images={
            image_url(picture, "s320x320"): "avatar",
            image_url(carousel[0]): "post",
            image_url(cover): "video_thumbnail",
            image_url(posts[3].media[0]): "post",
        },
        other_images=[image_url(carousel[1]), image_url(posts[1].media[0])],
    )
