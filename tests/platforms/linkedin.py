"""An imitation of a LinkedIn public profile (/in/…) as a logged-out visitor sees it, and the demo person's.

The page carries what the real guest page does (platforms.md; the classes scrapers key on):
`og:image` (the photo, `profile-displayphoto-shrink_800_800`), the cover as
`img.cover-img__image` and the photo as `img.top-card__profile-image` (smaller sizes, lazy in
`data-delayed-url`), the activity list (the member's posts, and posts of others they liked),
"People also viewed" with other members' photos, and a sign-in modal that is hidden until
`mode="login_prompt"`. Image URLs on media.licdn.com are signed with expiring `e=`/`t=`
parameters. `mode`: "page", "login_prompt", "authwall" (302 to /authwall), "status_999" (HTTP
999, LinkedIn's refusal), "rate_limited" (429). An unknown member gets 404 "This page doesn't exist".
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field

from faceaudit.demo.photos import Photo
from faceaudit.demo.platforms import PlatformFixture
from faceaudit.demo.server import Handler, Reply, Request

HOST = "www.linkedin.com"
CDN = "media.licdn.com"
MODES = frozenset({"page", "login_prompt", "authwall", "status_999", "rate_limited"})


@dataclass
class LiMember:
    slug: str
    name: str
    photo: Photo | None = None
    cover: Photo | None = None
    posts: list[tuple[str, Photo]] = field(default_factory=list)  # (author's slug, image); another's: a like
    also_viewed: list[tuple[str, Photo]] = field(default_factory=list)  # other members and their photos


def image_url(photo: Photo, kind: str) -> str:
    """`kind`: "profile-displayphoto-shrink_800_800", "profile-displaybackgroundimage-shrink_350_1400", "feedshare-shrink_800"."""
    path = f"/dms/image/v2/D4E{photo.name.replace('.', '')}/{kind}/{kind}/0/1700000000000"
    signature = hashlib.sha256(path.encode()).hexdigest()[:40]
    return f"https://{CDN}{path}?e=1767225600&v=beta&t={signature}"


def linkedin_sites(members: list[LiMember], mode: str = "page") -> dict[str, Handler]:
    """FixtureServer handlers for www.linkedin.com and media.licdn.com."""
    assert mode in MODES, mode
    files: dict[str, Photo] = {}
    for member in members:
        pictures = [member.photo, member.cover, *(p for _, p in member.posts), *(p for _, p in member.also_viewed)]
        files.update({f"D4E{p.name.replace('.', '')}": p for p in pictures if p is not None})

    def cdn(request: Request) -> Reply:
        parts = request.path.split("/")
        photo = files.get(parts[4]) if len(parts) > 4 and request.arg("t") else None  # unsigned: refused
        return Reply(200, photo.data, photo.content_type) if photo else Reply(403, b"", "text/plain")

    return {HOST: lambda request: _site(members, mode, request), CDN: cdn}


def _site(members: list[LiMember], mode: str, request: Request) -> Reply:
    if mode == "status_999":
        return Reply(999, b'<html><head><script>window.location.href="https://www.linkedin.com/";</script></head></html>')
    if mode == "rate_limited":
        return Reply(429, b"<title>LinkedIn</title>Too many requests", headers={"Retry-After": "120"})
    if mode == "authwall":
        back = f"https%3A%2F%2F{HOST}{request.path.replace('/', '%2F')}"
        return Reply(302, headers={"Location": f"https://{HOST}/authwall?trk=public_profile&sessionRedirect={back}"})
    slug = request.path.removeprefix("/in/").strip("/")
    member = next((m for m in members if m.slug == slug), None)
    if member is None:
        return Reply(404, b"<title>Page not found | LinkedIn</title><main><h1>This page doesn\xe2\x80\x99t exist</h1></main>")
    return Reply(200, _profile(member, prompt=mode == "login_prompt").encode())


def _profile(member: LiMember, *, prompt: bool) -> str:
    name = html.escape(member.name)
    og = cover = photo = ""
    if member.photo:
        og = f'<meta property="og:image" content="{html.escape(image_url(member.photo, "profile-displayphoto-shrink_800_800"))}">'
        small = html.escape(image_url(member.photo, "profile-displayphoto-shrink_200_200"))
        photo = (f'<div class="top-card__profile-image-container"><img class="top-card__profile-image" '
                 f'data-delayed-url="{small}" alt="{name}"></div>')
    if member.cover:
        url = html.escape(image_url(member.cover, "profile-displaybackgroundimage-shrink_350_1400"))
        cover = f'<figure class="cover-img"><div class="cover-img__image-frame"><img class="cover-img__image" data-delayed-url="{url}" alt=""></div></figure>'
    activity = "".join(
        f'<li><a class="base-card" href="https://www.linkedin.com/posts/{who}_update-activity-71000000000000000{n}-AbCd">'
        f'<img class="main-activity-card__img" data-delayed-url="{html.escape(image_url(p, "feedshare-shrink_800"))}" alt="">'
        f"<span>{'Shared' if who == member.slug else 'Liked'} by {name}</span></a></li>"
        for n, (who, p) in enumerate(member.posts)
    )
    others = "".join(
        f'<li><a href="https://www.linkedin.com/in/{who}"><img class="lazy-loaded" data-delayed-url="'
        f'{html.escape(image_url(p, "profile-displayphoto-shrink_100_100"))}" alt="{who}"></a></li>'
        for who, p in member.also_viewed
    )
    modal_style = "" if prompt else ' style="display:none"'
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{name} - Engineer | LinkedIn</title>
<meta property="og:title" content="{name} - Engineer">{og}</head><body>
<main id="main-content"><section class="core-rail"><section class="top-card-layout">{cover}{photo}
<h1 class="top-card-layout__title">{name}</h1></section>
<section class="core-section-container activities"><h2>Activity</h2><ul>{activity}</ul></section></section>
<aside class="right-rail"><section class="aside-section-container"><h2>People also viewed</h2><ul>{others}</ul></section></aside></main>
<div class="contextual-sign-in-modal" role="dialog" aria-modal="true"{modal_style}><h2>Sign in to view {name}’s full profile</h2>
<a href="https://www.linkedin.com/login?fromSignIn=true">Sign in</a><a href="https://www.linkedin.com/signup">Join now</a></div>
</body></html>"""


def build(photos: dict[str, Photo]) -> PlatformFixture:
    member = LiMember(
        "sam-vega", "Sam Vega", photo=photos["portrait.jpg"], cover=photos["pattern.png"],
        posts=[("sam-vega", photos["lowq.jpg"]), ("someone-else", photos["crowd-small.jpg"])],  # the second: a like
        also_viewed=[("friend-two", photos["friend-2.jpg"])],
    )
    return PlatformFixture(
        platform="linkedin",
        sites=linkedin_sites([member]),
        account_url="https://www.linkedin.com/in/sam-vega/",
        person_images={
            image_url(photos["portrait.jpg"], "profile-displayphoto-shrink_800_800"): "avatar",
            image_url(photos["lowq.jpg"], "feedshare-shrink_800"): "post",
        },
        other_images=[image_url(photos["pattern.png"], "profile-displaybackgroundimage-shrink_350_1400")],
        needs_browser=True,
    )
