"""An imitation Mastodon server for FixtureServer: what a logged-out client sees, per platforms.md.

Only what a guest can reach is imitated: account lookup and search, an account's statuses with
the media filters and Link pagination, media and avatar files, the JavaScript profile page, and
the two ways servers turn guests away (401 with the API closed to guests, 429 rate limits).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from faceaudit.demo.server import Handler, Reply, Request

RATE_LIMIT = 300  # requests per 5 minutes per IP, as mastodon.social answers
MISSING_PNG = bytes.fromhex(  # a 1x1 transparent PNG, like Mastodon's missing.png
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@dataclass
class FixtureMedia:
    filename: str
    data: bytes
    content_type: str = "image/jpeg"
    description: str = ""
    kind: str = ""  # Mastodon's `type`; by default from content_type: image, video or unknown
    preview: bytes | None = None  # the still served at preview_url (videos); default: `data`


@dataclass
class FixtureStatus:
    id: str  # numeric, like Mastodon's snowflake ids: larger is newer
    media: list[FixtureMedia]
    text: str = ""
    reblog_of: str | None = None  # set (an acct): a boost of someone else's post with this media


@dataclass
class FixtureAccount:
    username: str
    display_name: str
    avatar: FixtureMedia | None
    header: FixtureMedia | None
    statuses: list[FixtureStatus]
    noindex: bool = False
    discoverable: bool = False
    indexable: bool = False
    id: str = ""  # default: made from the account's position


@dataclass
class _Server:
    host: str
    accounts: list[FixtureAccount]
    guest_api: bool
    rate_limit_after: int | None
    lookup_api: bool
    honour_exclude_reblogs: bool
    api_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    files: dict[str, FixtureMedia | bytes] = field(default_factory=dict)

    @property
    def root(self) -> str:
        return f"https://{self.host}"


def mastodon_handler(
    host: str,
    accounts: list[FixtureAccount],
    *,
    guest_api: bool = True,
    rate_limit_after: int | None = None,
    lookup_api: bool = True,
    honour_exclude_reblogs: bool = True,
) -> Handler:
    """A FixtureServer handler answering for `host` like a Mastodon 4 server to a guest.

    `guest_api=False`: every API call is 401 (servers with the API closed to guests).
    `rate_limit_after=N`: API calls after the Nth answer 429. `lookup_api=False`: a server
    from before 3.4, without /api/v1/accounts/lookup. `honour_exclude_reblogs=False`: boosts
    come back even when the client asked to exclude them.
    """
    for number, account in enumerate(accounts, start=1):
        account.id = account.id or str(109_000_000_000_000_000 + number)
    server = _Server(host, accounts, guest_api, rate_limit_after, lookup_api, honour_exclude_reblogs)
    for account in accounts:
        for media in [account.avatar, account.header, *(m for s in account.statuses for m in s.media)]:
            if media is not None:
                server.files[media.filename] = media
    return lambda request: _handle(server, request)


def _handle(server: _Server, request: Request) -> Reply:
    path = request.path
    if path.startswith("/api/"):
        return _api(server, request)
    for prefix in ("/system/media_attachments/files/", "/system/accounts/avatars/", "/system/accounts/headers/"):
        if path.startswith(prefix):
            name = path[len(prefix):]
            small = name.startswith("small/")
            media = server.files.get(name.removeprefix("small/"))
            if isinstance(media, FixtureMedia):
                if small and _kind(media) != "image":
                    return Reply(200, media.preview or MISSING_PNG, "image/png")
                return Reply(200, media.data, media.content_type, {"Cache-Control": "public, max-age=31536000"})
    if path in ("/avatars/original/missing.png", "/headers/original/missing.png"):
        return Reply(200, MISSING_PNG, "image/png")
    account = _by_username(server, path.removeprefix("/@").rstrip("/")) if path.startswith("/@") else None
    if account is not None:
        return Reply(200, _profile_page(server, account).encode(), "text/html; charset=utf-8")
    return Reply(404, b"<!DOCTYPE html><title>The page you are looking for isn't here.</title>")


def _api(server: _Server, request: Request) -> Reply:
    with server.lock:
        server.api_requests += 1
        count = server.api_requests
    reset = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)).isoformat(timespec="microseconds")
    limit_headers = {
        "X-RateLimit-Limit": str(RATE_LIMIT),
        "X-RateLimit-Remaining": str(max(0, RATE_LIMIT - count)),
        "X-RateLimit-Reset": reset.replace("+00:00", "Z"),
    }
    if server.rate_limit_after is not None and count > server.rate_limit_after:
        return _json({"error": True}, 429, {**limit_headers, "X-RateLimit-Remaining": "0"})
    if not server.guest_api:
        return _json({"error": "This API requires an authenticated user"}, 401, limit_headers)
    parts = request.path.strip("/").split("/")
    if parts == ["api", "v1", "accounts", "lookup"] and server.lookup_api:
        acct = request.arg("acct").lstrip("@")
        username, _, domain = acct.partition("@")
        account = _by_username(server, username) if domain in ("", server.host) else None
        if account is None:
            return _json({"error": "Record not found"}, 404, limit_headers)
        return _json(_account_json(server, account), 200, limit_headers)
    if parts == ["api", "v1", "accounts", "search"]:
        username, _, domain = request.arg("q").strip().lstrip("@").partition("@")
        account = _by_username(server, username) if domain in ("", server.host) else None
        found = [_account_json(server, account)] if account is not None else []
        return _json(found[: int(request.arg("limit", "40") or 40)], 200, limit_headers)
    if len(parts) == 5 and parts[:3] == ["api", "v1", "accounts"] and parts[4] == "statuses":
        account = next((a for a in server.accounts if a.id == parts[3]), None)
        if account is not None:
            return _statuses(server, account, request, limit_headers)
    return _json({"error": "Record not found"}, 404, limit_headers)


def _statuses(server: _Server, account: FixtureAccount, request: Request, headers: dict[str, str]) -> Reply:
    flag = {"true", "1"}
    statuses = sorted(account.statuses, key=lambda s: int(s.id), reverse=True)
    if request.arg("only_media") in flag:
        statuses = [s for s in statuses if s.media]
    if request.arg("exclude_reblogs") in flag and server.honour_exclude_reblogs:
        statuses = [s for s in statuses if s.reblog_of is None]
    if request.arg("max_id"):
        statuses = [s for s in statuses if int(s.id) < int(request.arg("max_id"))]
    if request.arg("since_id"):
        statuses = [s for s in statuses if int(s.id) > int(request.arg("since_id"))]
    limit = max(1, min(40, int(request.arg("limit", "20") or 20)))
    page = statuses[:limit]
    if len(page) == limit:  # Mastodon sends `next` whenever the page was full, even if nothing follows
        query = {k: v[0] for k, v in request.query.items() if k not in ("max_id", "since_id", "min_id")}
        base = f"{server.root}/api/v1/accounts/{account.id}/statuses?"
        headers = {
            **headers,
            "Link": f'<{base}{urlencode({**query, "max_id": page[-1].id})}>; rel="next", '
            f'<{base}{urlencode({**query, "min_id": page[0].id})}>; rel="prev"',
        }
    return _json([_status_json(server, account, s) for s in page], 200, headers)


def _by_username(server: _Server, username: str) -> FixtureAccount | None:
    return next((a for a in server.accounts if a.username.lower() == username.lower()), None)


def _account_json(server: _Server, account: FixtureAccount) -> dict[str, Any]:
    def picture(media: FixtureMedia | None, folder: str) -> str:
        if media is None:
            return f"{server.root}/{folder}/original/missing.png"
        return f"{server.root}/system/accounts/{folder}/{media.filename}"

    return {
        "id": account.id,
        "username": account.username,
        "acct": account.username,
        "display_name": account.display_name,
        "locked": False,
        "bot": False,
        "discoverable": account.discoverable,
        "indexable": account.indexable,
        "group": False,
        "created_at": "2023-01-10T00:00:00.000Z",
        "note": "",
        "url": f"{server.root}/@{account.username}",
        "uri": f"{server.root}/users/{account.username}",
        "avatar": picture(account.avatar, "avatars"),
        "avatar_static": picture(account.avatar, "avatars"),
        "header": picture(account.header, "headers"),
        "header_static": picture(account.header, "headers"),
        "followers_count": 12,
        "following_count": 34,
        "statuses_count": len(account.statuses),
        "noindex": account.noindex,
        "emojis": [],
        "fields": [],
    }


def _status_json(server: _Server, account: FixtureAccount, status: FixtureStatus) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": status.id,
        "created_at": "2024-05-01T12:00:00.000Z",
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "url": f"{server.root}/@{account.username}/{status.id}",
        "content": f"<p>{html.escape(status.text)}</p>",
        "account": _account_json(server, account),
        "media_attachments": [_media_json(server, status.id, i, m) for i, m in enumerate(status.media)],
        "reblog": None,
    }
    if status.reblog_of is None:
        return body
    # A boost: the wrapper has no media of its own; the boosted post (someone else's) has it.
    other, _, other_host = status.reblog_of.partition("@")
    original = {**body, "id": f"{status.id}0", "url": f"https://{other_host or server.host}/@{other}/{status.id}0"}
    original["account"] = {**body["account"], "id": "1", "username": other, "acct": status.reblog_of}
    return {**body, "content": "", "media_attachments": [], "reblog": original}


def _media_json(server: _Server, status_id: str, index: int, media: FixtureMedia) -> dict[str, Any]:
    files = f"{server.root}/system/media_attachments/files"
    meta: dict[str, Any] = {}
    size = _dimensions(media.preview if _kind(media) != "image" and media.preview else media.data)
    if size is not None:
        width, height = size
        meta = {
            "original": {"width": width, "height": height, "size": f"{width}x{height}", "aspect": width / height},
            "small": {"width": min(width, 640), "height": round(height * min(width, 640) / width)},
        }
    return {
        "id": f"{status_id}{index:02d}",
        "type": _kind(media),
        "url": f"{files}/{media.filename}",
        "preview_url": f"{files}/small/{media.filename}",
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": media.description or None,
        "blurhash": "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH",
    }


def _kind(media: FixtureMedia) -> str:
    if media.kind:
        return media.kind
    return {"image": "image", "video": "video", "audio": "audio"}.get(media.content_type.split("/")[0], "unknown")


def _dimensions(data: bytes) -> tuple[int, int] | None:
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            return int(width), int(height)
    except Exception:  # noqa: BLE001 - placeholder bytes in a fixture simply have no size
        return None


def _json(payload: Any, status: int, headers: dict[str, str]) -> Reply:
    return Reply(status, json.dumps(payload).encode(), "application/json; charset=utf-8", headers)


def _profile_page(server: _Server, account: FixtureAccount) -> str:
    """The page a guest gets since Mastodon 4.0: meta tags and an empty shell for the JS app."""
    name = html.escape(account.display_name)
    acct = f"@{account.username}@{server.host}"
    avatar = _account_json(server, account)["avatar"]
    robots = '<meta content="noindex, noarchive" name="robots">\n' if account.noindex else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta content="width=device-width, initial-scale=1" name="viewport">
<title>{name} ({acct}) - {server.host}</title>
{robots}<link href="{server.root}/@{account.username}.rss" rel="alternate" type="application/rss+xml">
<link href="{server.root}/users/{account.username}" rel="alternate" type="application/activity+json">
<meta content="{server.host}" property="og:site_name">
<meta content="profile" property="og:type">
<meta content="{name} ({acct})" property="og:title">
<meta content="{server.root}/@{account.username}" property="og:url">
<meta content="{avatar}" property="og:image">
<script src="/packs/js/application.js" crossorigin="anonymous"></script>
</head>
<body class="app-body theme-default">
<div class="app-holder" data-props="{{&quot;locale&quot;:&quot;en&quot;}}" id="mastodon">
<noscript>
<img alt="Mastodon" src="/avatars/original/missing.png">
<div>To use the Mastodon web application, please enable JavaScript. Alternatively, try one of the
native apps for Mastodon for your platform.</div>
</noscript>
</div>
</body>
</html>
"""
