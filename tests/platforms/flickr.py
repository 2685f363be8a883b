"""An imitation of Flickr for FixtureServer, and the demo person's Flickr account.

What a logged-out visitor reaches, per platforms.md: the public feed (JSON with Flickr's invalid
`\\'` escape, or JSONP), photostream pages that link their own feed, buddy icons (a redirect to the
icon file) and photo files in the `_m` and `_b` sizes. An id the feed does not know gets everyone's
uploads, as the feed without an id does (*unverified*: the adapter must not take those).
Failure modes are switchable for the feed and for the page: see FAILURES.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

from faceaudit.demo.photos import Photo
from faceaudit.demo.platforms import PlatformFixture
from faceaudit.demo.server import Handler, Reply, Request

WWW, STATIC = "www.flickr.com", "live.staticflickr.com"
DEFAULT_ICON = bytes.fromhex(  # a 1x1 PNG standing in for Flickr's grey default buddy icon
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
CHALLENGE = b"<!DOCTYPE html><html><head><title>Flickr</title></head><body>Checking your browser</body></html>"
FAILURES = {
    "login": Reply(302, b"", headers={"Location": "https://identity.flickr.com/login?redir=%2F"}),
    "unauthorized": Reply(401, b'{"stat":"fail","code":"98","message":"Login required"}', "application/json"),
    "rate_limited": Reply(429, b"<html><body>Too Many Requests</body></html>", headers={"Retry-After": "3600"}),
    "html": Reply(200, CHALLENGE),
    "blocked": Reply(403, b"<html><body>Access denied</body></html>"),
}


@dataclass
class FlickrPhoto:
    id: str  # numeric, larger is newer
    data: bytes
    title: str = ""
    description: str = ""  # the owner's own words, below Flickr's "posted a photo" boilerplate
    secret: str = "a1b2c3d4e5"


@dataclass
class FlickrAccount:
    nsid: str
    alias: str
    name: str
    buddy_icon: bytes | None
    photos: list[FlickrPhoto] = field(default_factory=list)
    noindex: bool = False


def flickr_sites(
    accounts: list[FlickrAccount],
    *,
    feed_failure: str = "",
    page_failure: str = "",
    jsonp: bool = False,
    feed_link: bool = True,
) -> dict[str, Handler]:
    """Handlers for www.flickr.com and live.staticflickr.com. `feed_failure` / `page_failure`: a
    key of FAILURES for every feed / photostream request. `jsonp`: the JSONP body even when
    `nojsoncallback=1` was sent. `feed_link=False`: photostream pages without their feed link."""
    files = {f"/65535/{p.id}_{p.secret}_{size}.jpg": p.data
             for a in accounts for p in a.photos for size in ("m", "b")}
    files.update({f"/65535/buddyicons/{a.nsid}_r.jpg": a.buddy_icon for a in accounts if a.buddy_icon})

    def www(request: Request) -> Reply:
        parts = request.path.strip("/").split("/")
        if request.path == "/services/feeds/photos_public.gne":
            if feed_failure:
                return FAILURES[feed_failure]
            return _feed(accounts, request.arg("id"), jsonp or request.arg("nojsoncallback") != "1")
        if len(parts) == 2 and parts[0] == "buddyicons" and parts[1].endswith(".jpg"):
            nsid = parts[1].removesuffix(".jpg")
            icon = f"https://{STATIC}/65535/buddyicons/{nsid}_r.jpg"
            if f"/65535/buddyicons/{nsid}_r.jpg" not in files:
                icon = f"https://{WWW}/images/buddyicon08_r.png"
            return Reply(302, b"", headers={"Location": icon})
        if request.path == "/images/buddyicon08_r.png":
            return Reply(200, DEFAULT_ICON, "image/png")
        account = _by_user(accounts, parts[1]) if len(parts) == 2 and parts[0] in ("photos", "people") else None
        if page_failure and len(parts) == 2:
            return FAILURES[page_failure]
        if account is not None:
            return Reply(200, _photostream(account, feed_link).encode())
        return Reply(404, b"<!DOCTYPE html><title>Flickr: Page Not Found</title>")

    def static(request: Request) -> Reply:
        data = files.get(request.path)
        if data is None:
            return Reply(404, b"Not Found", "text/plain")
        return Reply(200, data, "image/jpeg", {"Cache-Control": "max-age=315360000"})

    def identity(request: Request) -> Reply:  # where a login redirect leads; never reached by the adapter
        return Reply(200, b"<!DOCTYPE html><title>Flickr Login</title><form method=post></form>")

    return {WWW: www, STATIC: static, "identity.flickr.com": identity}


def _by_user(accounts: list[FlickrAccount], user: str) -> FlickrAccount | None:
    return next((a for a in accounts if user.lower() in (a.nsid.lower(), a.alias.lower())), None)


def _feed(accounts: list[FlickrAccount], nsid: str, jsonp: bool) -> Reply:
    account = next((a for a in accounts if a.nsid == nsid), None)
    owned = [(a, p) for a in ([account] if account else accounts) for p in a.photos]
    owned.sort(key=lambda pair: int(pair[1].id), reverse=True)
    base = f"https://{WWW}/photos/{account.alias}/" if account else f"https://{WWW}/photos/"
    body = {
        "title": f"Uploads from {account.name}" if account else "Uploads from everyone",
        "link": base,
        "description": "",
        "modified": "2024-05-01T12:00:00Z",
        "generator": "https://www.flickr.com",
        "items": [_item(a, p, i) for i, (a, p) in enumerate(owned[:20])],
    }
    # Flickr escapes apostrophes as \' (not valid JSON) and slashes as \/.
    text = json.dumps(body, indent="\t").replace("'", "\\'").replace("/", "\\/")
    if jsonp:
        return Reply(200, f"jsonFlickrFeed({text})".encode(), "application/javascript; charset=utf-8")
    return Reply(200, text.encode(), "application/json; charset=utf-8")


def _item(account: FlickrAccount, photo: FlickrPhoto, index: int) -> dict[str, Any]:
    page = f"https://{WWW}/photos/{account.alias}/{photo.id}/"
    small = f"https://{STATIC}/65535/{photo.id}_{photo.secret}_m.jpg"
    title = html.escape(photo.title)
    described = f" <p>{html.escape(photo.description)}</p>" if photo.description else ""
    return {
        "title": photo.title,
        "link": page,
        "media": {"m": small},
        "date_taken": f"2024-04-{28 - index % 20:02d}T10:00:00-08:00",
        "description": f' <p><a href="https://{WWW}/people/{account.alias}/">{html.escape(account.name)}</a> '
                       f'posted a photo:</p> <p><a href="{page}" title="{title}"><img src="{small}" width="240" '
                       f'height="160" alt="{title}" /></a></p>{described} ',
        "published": f"2024-05-{20 - index % 20:02d}T12:00:00Z",
        "author": f'nobody@flickr.com ("{account.name}")',
        "author_id": account.nsid,
        "tags": "",
    }


def _photostream(account: FlickrAccount, feed_link: bool) -> str:
    """A photostream page as Flickr's server renders it, before its JavaScript runs."""
    feed = (f"https://{WWW}/services/feeds/photos_public.gne?id={account.nsid}"
            "&amp;lang=en-us&amp;format=rss_200")
    link = (f'<link rel="alternate" type="application/rss+xml" title="Flickr: {html.escape(account.name)}\'s '
            f'Photostream" href="{feed}">') if feed_link else ""
    robots = '<meta name="robots" content="noindex, nofollow">' if account.noindex else ""
    return f"""<!DOCTYPE html>
<html lang="en-us"><head>
<meta charset="utf-8"><title>{html.escape(account.name)} | Flickr</title>
{robots}{link}
<meta property="og:url" content="https://{WWW}/photos/{account.alias}/">
</head><body>
<div class="photostream">
<a href="/people/{account.alias}/">{html.escape(account.name)}</a>
<a href="/people/99999999@N01/">A faved photographer</a>
</div>
</body></html>
"""


def build(photos: dict[str, Photo]) -> PlatformFixture:
    """Sam on Flickr, listed by alias: a buddy icon and four public photos, two of them of Sam."""
    posts = [("portrait.jpg", "Me, at last"), ("coffee.jpg", "Morning"), ("group.jpg", "The team"),
             ("holiday.jpg", "Sam's holiday")]
    sam = FlickrAccount("12345678@N00", "sam", "Sam", photos["avatar.jpg"].data, [
        FlickrPhoto(str(53_700_000_000 + i), photos[name].data, title, secret=f"5ec{i:07d}")
        for i, (name, title) in enumerate(posts)])
    other = FlickrAccount("87654321@N01", "bob", "Bob", None, [FlickrPhoto("53600000000", photos["mirror.jpg"].data)])
    large = f"https://{STATIC}/65535/{{}}_5ec{{:07d}}_b.jpg"
    urls = {name: large.format(53_700_000_000 + i, i) for i, (name, _title) in enumerate(posts)}
    return PlatformFixture(
        platform="flickr",
        sites=flickr_sites([sam, other]),
        account_url=f"https://www.flickr.com/photos/{sam.alias}/",
        person_images={
            f"https://{WWW}/buddyicons/{sam.nsid}.jpg": "avatar",
            urls["portrait.jpg"]: "post",
            urls["holiday.jpg"]: "post",
        },
        other_images=[urls["coffee.jpg"], urls["group.jpg"]],
    )
