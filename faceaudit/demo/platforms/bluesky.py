"""A Bluesky account on an imitation of the public AppView and its image CDNs, per platforms.md.

The AppView (`public.api.bsky.app`) answers `app.bsky.actor.getProfile` and
`app.bsky.feed.getAuthorFeed` as it does without a login: XRPC errors are 400s with an `error`
name, the media filter keeps the account's own posts with images, galleries or videos (link cards
and reposts are left out, as in the AppView's own query), and the cursor is the last item's time.
Switches turn on each way a visit can go wrong. Images come from `cdn.bsky.app` under the
uploader's DID and the blob's CID; video stills from `video.bsky.app`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from faceaudit.demo.person import FIRST_NAME, NAME
from faceaudit.demo.photos import Photo
from faceaudit.demo.platforms import PlatformFixture
from faceaudit.demo.server import Handler, Reply, Request

API_HOST, CDN_HOST, VIDEO_HOST = "public.api.bsky.app", "cdn.bsky.app", "video.bsky.app"
MEDIA_EMBEDS = ("images", "gallery", "video", "quote")  # what posts_with_media keeps
FILTERS = ("posts_with_replies", "posts_no_replies", "posts_with_media", "posts_and_author_threads",
           "posts_with_video")
START = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)
RATE_LIMIT = 3000  # requests per 5 minutes per IP, the AppView's published limit


@dataclass(frozen=True)
class Blob:
    """One uploaded file; its CID is made from its bytes, as in the real repository."""

    data: bytes
    content_type: str = "image/jpeg"
    alt: str = ""

    @property
    def cid(self) -> str:  # CIDv1, raw codec, sha2-256, base32: "bafkrei…"
        digest = bytes([0x01, 0x55, 0x12, 0x20]) + hashlib.sha256(self.data).digest()
        return "b" + base64.b32encode(digest).decode().lower().rstrip("=")


@dataclass
class FixturePost:
    media: list[Blob]
    embed: str = "images"  # images | gallery | video | quote (recordWithMedia) | external | text
    text: str = ""
    quoting: list[Blob] = field(default_factory=list)  # photos in the quoted post, by FRIEND
    reposted_from: str = ""  # a handle: this item is a repost of that account's post


@dataclass
class FixtureAccount:
    handle: str
    avatar: Blob | None = None
    banner: Blob | None = None
    posts: list[FixturePost] = field(default_factory=list)  # newest first
    no_unauthenticated: bool = False  # the "discourage logged-out visibility" self-label
    status: str = ""  # "", "AccountTakedown" or "AccountDeactivated"
    display_name: str = ""  # "": made from the handle, as "friend.example.com" shows as "Friend"

    @property
    def did(self) -> str:
        return did_of(self.handle)


FRIEND = "friend.example.com"


def did_of(handle: str) -> str:
    digest = base64.b32encode(hashlib.sha256(handle.encode()).digest()).decode().lower()
    return f"did:plc:{digest[:24]}"


def image_url(did: str, blob: Blob, preset: str = "feed_fullsize") -> str:
    """Where the CDN serves a blob: avatar, banner, feed_thumbnail or feed_fullsize."""
    return f"https://{CDN_HOST}/img/{preset}/plain/{did}/{blob.cid}@jpeg"


def video_still(did: str, blob: Blob) -> str:
    return f"https://{VIDEO_HOST}/watch/{quote(did, safe='')}/{blob.cid}/thumbnail.jpg"


def bluesky_sites(
    accounts: list[FixtureAccount],
    *,
    guest_api: bool = True,
    login_redirect: bool = False,
    html: bool = False,
    rate_limit_after: int | None = None,
    repeat_cursor: bool = False,
    serve_reposts: bool = False,
    ignore_filter: bool = False,
) -> dict[str, Handler]:
    """FixtureServer handlers for the AppView and both CDNs.

    `guest_api=False`: every call is 401 AuthMissing. `login_redirect`: calls are sent to the
    bsky.app sign-in page. `html`: a challenge page where JSON belongs. `rate_limit_after=N`:
    calls after the Nth are 429 with RateLimit-* headers. `repeat_cursor`: the feed hands back
    its first cursor forever. `serve_reposts`: reposts of other accounts' photos come back in the
    media feed; `ignore_filter`: the whole feed comes back (text, link cards, reposts), as some
    other AppViews answer.
    """
    state = _State(accounts, guest_api, login_redirect, html, rate_limit_after, repeat_cursor,
                   serve_reposts or ignore_filter, ignore_filter)
    for account in accounts:
        for blob in (account.avatar, account.banner):
            if blob is not None:
                state.blobs[(account.did, blob.cid)] = blob
        for post in account.posts:
            owner = did_of(post.reposted_from) if post.reposted_from else account.did
            state.blobs.update({(owner, b.cid): b for b in post.media})
            state.blobs.update({(did_of(FRIEND), b.cid): b for b in post.quoting})
    return {API_HOST: state.api, CDN_HOST: state.cdn, VIDEO_HOST: state.video}


@dataclass
class _State:
    accounts: list[FixtureAccount]
    guest_api: bool
    login_redirect: bool
    html: bool
    rate_limit_after: int | None
    repeat_cursor: bool
    serve_reposts: bool
    ignore_filter: bool
    calls: int = 0
    blobs: dict[tuple[str, str], Blob] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def api(self, request: Request) -> Reply:
        with self.lock:
            self.calls += 1
            count = self.calls
        reset = int(dt.datetime.now(dt.timezone.utc).timestamp()) + 300  # epoch seconds
        limits = {"RateLimit-Limit": str(RATE_LIMIT), "RateLimit-Remaining": str(max(0, RATE_LIMIT - count)),
                  "RateLimit-Reset": str(reset), "RateLimit-Policy": f"{RATE_LIMIT};w=300"}
        if self.rate_limit_after is not None and count > self.rate_limit_after:
            return _xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", {**limits, "RateLimit-Remaining": "0"})
        if self.login_redirect:
            return Reply(302, b"", "text/plain", {"Location": "https://bsky.app/login?redirect=1"})
        if self.html:
            page = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking</body></html>"
            return Reply(200, page, "text/html; charset=utf-8")
        if not self.guest_api:
            return _xrpc_error(401, "AuthMissing", "Authentication Required", limits)
        actor = request.arg("actor").lower()
        if not actor:
            return _xrpc_error(400, "InvalidRequest", 'Error: Params must have the property "actor"', limits)
        account = next((a for a in self.accounts if actor in (a.handle.lower(), a.did)), None)
        if request.path == "/xrpc/app.bsky.actor.getProfile":
            if account is None:
                return _xrpc_error(400, "InvalidRequest", "Profile not found", limits)
            if account.status:
                message = "Account has been suspended" if account.status == "AccountTakedown" else "Account is deactivated"
                return _xrpc_error(400, account.status, message, limits)
            return _json(_profile(account), limits)
        if request.path == "/xrpc/app.bsky.feed.getAuthorFeed":
            if account is None or account.status:  # the feed treats both as unknown
                return _xrpc_error(400, "InvalidRequest", "Profile not found", limits)
            return self._feed(account, request, limits)
        return _xrpc_error(501, "MethodNotImplemented", "Method Not Implemented", limits)

    def _feed(self, account: FixtureAccount, request: Request, headers: dict[str, str]) -> Reply:
        limit_text, filter_ = request.arg("limit", "50"), request.arg("filter", "posts_with_replies")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100:
            return _xrpc_error(400, "InvalidRequest", "Error: limit can not be greater than 100", headers)
        if filter_ not in FILTERS:
            return _xrpc_error(400, "InvalidRequest", f"Error: filter must be one of ({'|'.join(FILTERS)})", headers)
        items = list(enumerate(account.posts))
        if filter_ == "posts_with_media" and not self.ignore_filter:
            items = [(i, p) for i, p in items if p.embed in MEDIA_EMBEDS and p.media
                     and (not p.reposted_from or self.serve_reposts)]
        limit, cursor = int(limit_text), request.arg("cursor")
        first_cursor = _iso(_when(items[:limit][-1][0])) if items else None
        if cursor:
            items = [(i, p) for i, p in items if _iso(_when(i)) < cursor]
        page = items[:limit]
        body: dict[str, Any] = {"feed": [_feed_item(account, i, post) for i, post in page]}
        if page:  # the AppView sends the last item's time whenever the page had items
            body["cursor"] = first_cursor if self.repeat_cursor else _iso(_when(page[-1][0]))
        return _json(body, headers)

    def cdn(self, request: Request) -> Reply:  # /img/<preset>/plain/<did>/<cid>@jpeg
        parts = request.path.split("/")
        if len(parts) == 6 and parts[1] == "img" and parts[3] == "plain":
            blob = self.blobs.get((parts[4], parts[5].split("@")[0]))
            if blob is not None:
                return Reply(200, blob.data, blob.content_type, {"Cache-Control": "public, max-age=604800"})
        return Reply(404, b"Not Found", "text/plain")

    def video(self, request: Request) -> Reply:  # /watch/<did, %-encoded>/<cid>/thumbnail.jpg
        parts = request.path.split("/")
        if len(parts) == 5 and parts[1] == "watch" and parts[4] == "thumbnail.jpg":
            blob = self.blobs.get((unquote(parts[2]), parts[3]))
            if blob is not None:
                return Reply(200, blob.data, blob.content_type)
        return Reply(404, b"Not Found", "text/plain")


def _when(index: int) -> dt.datetime:
    return START - dt.timedelta(hours=index)


def _iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _tid(when: dt.datetime) -> str:
    """A record key: microseconds since 1970 and a clock id, in sortable base32 (13 characters)."""
    number, alphabet, out = int(when.timestamp() * 1_000_000) << 10, "234567abcdefghijklmnopqrstuvwxyz", ""
    for _ in range(13):
        number, digit = divmod(number, 32)
        out = alphabet[digit] + out
    return out


def _author(handle: str, avatar: Blob | None = None, display_name: str = "") -> dict[str, Any]:
    did = did_of(handle)
    view: dict[str, Any] = {"did": did, "handle": handle, "displayName": display_name or handle.split(".")[0].title(),
                            "labels": [], "createdAt": "2024-02-01T09:00:00.000Z"}
    if avatar is not None:
        view["avatar"] = image_url(did, avatar, "avatar")
    return view


def _profile(account: FixtureAccount) -> dict[str, Any]:
    did = account.did
    labels = [{"src": did, "uri": f"at://{did}/app.bsky.actor.profile/self", "cid": "bafyreih", "val":
               "!no-unauthenticated", "cts": "2024-02-01T09:00:00.000Z"}] if account.no_unauthenticated else []
    profile = {**_author(account.handle, account.avatar, account.display_name), "description": "", "followersCount": 12,
               "followsCount": 34, "postsCount": len(account.posts), "indexedAt": "2024-02-01T09:00:00.000Z",
               "labels": labels, "associated": {"lists": 0, "feedgens": 0, "starterPacks": 0, "labeler": False},
               "viewer": {"muted": False, "blockedBy": False}}
    if account.banner is not None:
        profile["banner"] = image_url(did, account.banner, "banner")
    return profile


def _blob_ref(blob: Blob) -> dict[str, Any]:
    return {"$type": "blob", "ref": {"$link": blob.cid}, "mimeType": blob.content_type, "size": len(blob.data)}


def _images(did: str, blobs: list[Blob], gallery: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """The record's embed and its view, for photos (up to 4) or a gallery (up to 20)."""
    if gallery:
        record = {"$type": "app.bsky.embed.gallery", "items": [{"image": _blob_ref(b), "alt": b.alt} for b in blobs]}
        views = [{"thumbnail": image_url(did, b, "feed_thumbnail"), "fullsize": image_url(did, b), "alt": b.alt}
                 for b in blobs]
        return record, {"$type": "app.bsky.embed.gallery#view", "items": views}
    record = {"$type": "app.bsky.embed.images", "images": [{"image": _blob_ref(b), "alt": b.alt} for b in blobs]}
    views = [{"thumb": image_url(did, b, "feed_thumbnail"), "fullsize": image_url(did, b), "alt": b.alt}
             for b in blobs]
    return record, {"$type": "app.bsky.embed.images#view", "images": views}


def _embed(did: str, post: FixturePost, when: dt.datetime) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    if post.embed in ("images", "gallery"):
        return _images(did, post.media, post.embed == "gallery")
    if post.embed == "video":  # the still is made by the video service; served under the video's CID
        still = post.media[0]
        record = {"$type": "app.bsky.embed.video", "video": _blob_ref(still), "alt": still.alt}
        base = video_still(did, still).removesuffix("/thumbnail.jpg")
        return record, {"$type": "app.bsky.embed.video#view", "cid": still.cid, "playlist": f"{base}/playlist.m3u8",
                        "thumbnail": f"{base}/thumbnail.jpg", "alt": still.alt}
    if post.embed == "external":
        thumb = post.media[0]
        link = {"uri": "https://news.example.org/interview", "title": "An interview", "description": ""}
        return ({"$type": "app.bsky.embed.external", "external": {**link, "thumb": _blob_ref(thumb)}},
                {"$type": "app.bsky.embed.external#view",
                 "external": {**link, "thumb": image_url(did, thumb, "feed_thumbnail")}})
    if post.embed == "quote":  # recordWithMedia: own photos, quoting FRIEND's post with theirs
        friend = did_of(FRIEND)
        quoted_record, quoted_view = _images(friend, post.quoting)
        quoted = {"uri": f"at://{friend}/app.bsky.feed.post/{_tid(when - dt.timedelta(days=1))}", "cid": "bafyreiq"}
        media_record, media_view = _images(did, post.media)
        view_record = {"$type": "app.bsky.embed.record#viewRecord", **quoted, "author": _author(FRIEND),
                       "value": {"$type": "app.bsky.feed.post", "text": "look", "embed": quoted_record,
                                 "createdAt": _iso(when)}, "embeds": [quoted_view], "indexedAt": _iso(when)}
        return ({"$type": "app.bsky.embed.recordWithMedia", "media": media_record,
                 "record": {"$type": "app.bsky.embed.record", "record": quoted}},
                {"$type": "app.bsky.embed.recordWithMedia#view", "media": media_view,
                 "record": {"$type": "app.bsky.embed.record#view", "record": view_record}})
    return None, None


def _feed_item(account: FixtureAccount, index: int, post: FixturePost) -> dict[str, Any]:
    when = _when(index)
    handle = post.reposted_from or account.handle
    did = did_of(handle)
    record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": post.text, "createdAt": _iso(when),
                              "langs": ["en"]}
    embed_record, embed_view = _embed(did, post, when)
    view: dict[str, Any] = {"uri": f"at://{did}/app.bsky.feed.post/{_tid(when)}", "cid": "bafyreip",
                            "author": (_author(handle) if post.reposted_from
                                       else _author(handle, account.avatar, account.display_name)),
                            "record": record, "replyCount": 0, "repostCount": 0, "likeCount": 3, "quoteCount": 0,
                            "indexedAt": _iso(when + dt.timedelta(seconds=1)), "labels": []}
    if embed_record is not None:
        record["embed"], view["embed"] = embed_record, embed_view
    if not post.reposted_from:
        return {"post": view}
    reason = {"$type": "app.bsky.feed.defs#reasonRepost",
              "by": _author(account.handle, display_name=account.display_name), "indexedAt": _iso(when)}
    return {"post": view, "reason": reason}


def _xrpc_error(status: int, name: str, message: str, headers: dict[str, str]) -> Reply:
    return _json({"error": name, "message": message}, headers, status)


def _json(payload: Any, headers: dict[str, str], status: int = 200) -> Reply:
    return Reply(status, json.dumps(payload).encode(), "application/json; charset=utf-8", headers)


def build(photos: dict[str, Photo]) -> PlatformFixture:
    """alex-example.bsky.social: avatar and banner; photos, a video, a gallery and a quote with a
    photo; a repost of a friend's photo of Alex (skipped: it is the friend's post) and a text post."""

    def blob(name: str, alt: str = "") -> Blob:
        return Blob(photos[name].data, photos[name].content_type, alt)

    feed = [
        FixturePost([blob("portrait.jpg", "me at the launch"), blob("coffee.jpg")], text="launch day"),
        FixturePost([blob("lowq.jpg")], reposted_from=FRIEND, text=f"found this one of {FIRST_NAME}"),
        FixturePost([blob("mirror.jpg")], "video", text="a short clip"),
        FixturePost([], "text", text="just words"),
        FixturePost([blob("holiday.jpg")], "quote", text="me, there too", quoting=[blob("friend-1.jpg")]),
        FixturePost([blob("with-friends.jpg"), blob("group.jpg")], "gallery", text="the team"),
    ]
    account = FixtureAccount("alex-example.bsky.social", avatar=blob("avatar.jpg"), banner=blob("rocket.jpg"),
                             posts=feed, display_name=NAME)
    did = account.did
    sites = bluesky_sites([account], serve_reposts=True)
    assert account.avatar is not None and account.banner is not None
    posts = {name: blob(name) for name in ("portrait.jpg", "holiday.jpg", "with-friends.jpg")}
    return PlatformFixture(
        platform="bluesky",
        sites=sites,
        account_url=f"https://bsky.app/profile/{account.handle}",
        person_images={
            image_url(did, account.avatar, "avatar"): "avatar",
            **{image_url(did, b): "post" for b in posts.values()},
            video_still(did, blob("mirror.jpg")): "video_thumbnail",
        },
        other_images=[image_url(did, account.banner, "banner"), image_url(did, blob("coffee.jpg")),
                      image_url(did, blob("group.jpg"))],
    )
