"""An imitation of a Facebook profile as a logged-out visitor sees it, and the demo person's account.

The page carries what the real one's logged-out form does (platforms.md; the attributes scrapers
key on): `og:image` (the profile picture, at another size), the cover photo as
`<img data-imgperflogname="profileCoverPhoto">`, the profile picture drawn as `<svg><image>`,
the Photos section (links to /photo/?fbid=…), friends' pictures linked to their profiles, and the
interface's icons on static.xx.fbcdn.net. Images live on scontent.xx.fbcdn.net under signed URLs
whose CDN path type ends in -1 for profile pictures and -6 for other photos.
`mode` picks how Facebook treats the visitor: "page" (the profile renders), "login_form" (it
renders under a login dialog), "login_redirect" (302 to /login/), "unavailable" ("This content
isn't available right now"), "must_log_in", "rate_limited" (429), "blocked" (403). A locked
profile shows its pictures and says so; an unknown user gets 404 "This page isn't available".
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field

from faceaudit.demo.photos import Photo
from faceaudit.demo.platforms import PlatformFixture
from faceaudit.demo.server import Handler, Reply, Request

HOST = "www.facebook.com"
CDN = "scontent.xx.fbcdn.net"
MODES = frozenset({"page", "login_form", "login_redirect", "unavailable", "must_log_in", "rate_limited", "blocked"})


@dataclass
class FbProfile:
    username: str
    name: str
    id: str = "100000000000001"
    avatar: Photo | None = None
    cover: Photo | None = None
    photos: list[Photo] = field(default_factory=list)  # the Photos section
    friends: list[tuple[str, Photo]] = field(default_factory=list)  # (username, their profile picture)
    locked: bool = False


def picture_url(photo: Photo, size: int = 200) -> str:
    return _signed(f"/v/t39.30808-1/{photo.name}", f"dst-jpg_s{size}x{size}")


def photo_url(photo: Photo) -> str:
    return _signed(f"/v/t39.30808-6/{photo.name}", "dst-jpg_s960x960")


def _signed(path: str, stp: str) -> str:
    signature = hashlib.sha256(path.encode()).hexdigest()[:24]
    return f"https://{CDN}{path}?stp={stp}&_nc_cat=1&_nc_ht={CDN}&oh=00_{signature}&oe=6A0B1C2D"


def facebook_sites(profiles: list[FbProfile], mode: str = "page") -> dict[str, Handler]:
    """FixtureServer handlers for www.facebook.com and its image CDN."""
    assert mode in MODES, mode
    files = {}
    for profile in profiles:
        pictures = [profile.avatar, profile.cover, *profile.photos, *(p for _, p in profile.friends)]
        files.update({photo.name: photo for photo in pictures if photo is not None})

    def cdn(request: Request) -> Reply:
        photo = files.get(request.path.rsplit("/", 1)[-1])
        return Reply(200, photo.data, photo.content_type) if photo else Reply(404, b"", "text/plain")

    return {HOST: lambda request: _site(profiles, mode, request), CDN: cdn}


def _site(profiles: list[FbProfile], mode: str, request: Request) -> Reply:
    if mode == "rate_limited":
        return Reply(429, b"<title>Facebook</title>Please slow down", headers={"Retry-After": "60"})
    if mode == "blocked":
        return Reply(403, b"<title>Error</title>Sorry, something went wrong.")
    if mode == "login_redirect":
        return Reply(302, headers={"Location": f"https://{HOST}/login/?next=https%3A%2F%2F{HOST}{request.path}"})
    if mode == "unavailable":
        return Reply(200, _shell("Facebook", UNAVAILABLE).encode())
    if mode == "must_log_in":
        return Reply(200, _shell("Log in to Facebook", "<h2>You must log in to continue.</h2>" + LOGIN_FORM).encode())
    wanted = request.arg("id") if request.path == "/profile.php" else request.path.strip("/")
    profile = next((p for p in profiles if wanted in (p.username, p.id)), None)
    if profile is None:
        return Reply(404, _shell("Page not found | Facebook", "<h2>This page isn't available</h2>").encode())
    return Reply(200, _profile_page(profile, login=mode == "login_form").encode())


def _shell(title: str, body: str) -> str:
    return f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head><body>{body}</body></html>'


UNAVAILABLE = """<div role="main"><h2>This content isn't available right now</h2><p>When this happens, it's
usually because the owner only shared it with a small group of people, changed who can see it or
it's been deleted.</p><a href="https://www.facebook.com/">Go to News Feed</a></div>"""

LOGIN_FORM = """<div role="dialog" aria-modal="true" aria-label="Log in"><form action="/login/" method="post">
<input name="email" placeholder="Email or phone number"><input type="password" name="pass" placeholder="Password">
<button name="login">Log in</button></form><a href="/r.php">Create new account</a></div>"""


def _profile_page(profile: FbProfile, *, login: bool) -> str:
    name = html.escape(profile.name)
    og = f'<meta property="og:image" content="{html.escape(picture_url(profile.avatar, 480))}">' if profile.avatar else ""
    cover = ""
    if profile.cover:
        cover = (f'<div data-pagelet="ProfileCover"><img data-imgperflogname="profileCoverPhoto" alt="May be an image of '
                 f'1 person" class="x1ey2m1c xds687c x5yr21d x10l6tqk" src="{html.escape(photo_url(profile.cover))}"></div>')
    avatar = ""
    if profile.avatar:
        avatar = (f'<a href="https://www.facebook.com/photo/?fbid=10160000000000001&amp;set=a.10150000000000001" '
                  f'role="link"><svg aria-label="{name}" role="img" style="height:168px;width:168px"><mask id="m">'
                  '<circle cx="84" cy="84" fill="white" r="84"></circle></mask><g mask="url(#m)"><image x="0" y="0" '
                  f'height="100%" width="100%" preserveAspectRatio="xMidYMid slice" xlink:href="'
                  f'{html.escape(picture_url(profile.avatar))}"></image></g></svg></a>')
    photos = "".join(
        f'<a href="https://www.facebook.com/photo/?fbid=1016{n:013d}&amp;set=pb.{profile.id}.-2207520000" role="link">'
        f'<img alt="May be an image" class="xz74otr" src="{html.escape(photo_url(photo))}"></a>'
        for n, photo in enumerate(profile.photos)
    )
    friends = "".join(
        f'<a href="https://www.facebook.com/{who}" role="link"><img alt="" src="{html.escape(picture_url(photo, 100))}">'
        f"<span>{html.escape(who)}</span></a>"
        for who, photo in profile.friends
    )
    locked = f"<p>{name} locked their profile</p>" if profile.locked else ""
    wall = LOGIN_FORM if login else ""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{name} | Facebook</title>
<meta property="og:title" content="{name}"><meta property="og:url" content="https://www.facebook.com/{profile.username}">
{og}</head><body>
<div role="banner"><a href="https://www.facebook.com/" aria-label="Facebook"><img alt="" src="https://static.xx.fbcdn.net/rsrc.php/y8/r/dF5SId3UHWd.svg"></a></div>
<div role="main">{cover}{avatar}<h1>{name}</h1>{locked}
<div><h2>Photos</h2>{photos}</div><div><h2>Friends</h2>{friends}</div></div>{wall}
</body></html>"""


def build(photos: dict[str, Photo]) -> PlatformFixture:
    profile = FbProfile(
        "sam.vega", "Sam Vega",
        avatar=photos["avatar.jpg"], cover=photos["holiday.jpg"],
        photos=[photos["mirror.jpg"], photos["group.jpg"], photos["coffee.jpg"]],
        friends=[("friend.one", photos["friend-1.jpg"])],  # someone else's picture: never fetched
    )
    return PlatformFixture(
        platform="facebook",
        sites=facebook_sites([profile]),
        account_url="https://www.facebook.com/sam.vega",
        person_images={
            picture_url(photos["avatar.jpg"], 480): "avatar",  # og:image; the page's 200 px size is the same picture
            photo_url(photos["holiday.jpg"]): "cover",
            photo_url(photos["mirror.jpg"]): "post",
        },
        other_images=[photo_url(photos["group.jpg"]), photo_url(photos["coffee.jpg"])],
        needs_browser=True,
    )
