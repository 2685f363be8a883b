"""An imitation of an X (Twitter) profile as a logged-out visitor sees it, and the demo person's account.

The page carries what the real one's rendered DOM does (platforms.md; the test ids scrapers key
on): `og:image` (the profile image at 200x200), the header in a link to /<user>/header_photo
(`profile_banners/<id>/<time>/600x200`), the profile image in `UserAvatar-Container-<user>` at
400x400, and the posts a logged-out visitor is shown as `<article data-testid="tweet">` with
`<time datetime>` and photos in `tweetPhoto` linked to /<user>/status/<id>/photo/1 (a repost links
to the other account's post). pbs.twimg.com serves only the largest variants: the original
profile image, `1500x500` headers and `name=large` photos, so an adapter that does not ask for
them fails. `mode`: "page", "login_prompt" (a login dialog, no posts), "login_redirect" (302 to
/i/flow/login), "rate_limited" (429 with x-rate-limit-reset), "blocked" (403). A protected
account says "These posts are protected"; an unknown one "This account doesn't exist".
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from faceaudit.demo.photos import Photo
from faceaudit.demo.platforms import PlatformFixture
from faceaudit.demo.server import Handler, Reply, Request

HOST = "x.com"
CDN = "pbs.twimg.com"
MODES = frozenset({"page", "login_prompt", "login_redirect", "rate_limited", "blocked"})


@dataclass
class XPost:
    id: str
    photos: list[Photo]
    text: str = ""
    posted: str = "2024-05-01T10:00:00.000Z"
    author: str = ""  # another account: a repost of its post


@dataclass
class XAccount:
    username: str
    name: str
    id: str = "1234567890"
    avatar: Photo | None = None
    header: Photo | None = None
    posts: list[XPost] = field(default_factory=list)
    protected: bool = False


def avatar_url(account: XAccount, variant: str = "") -> str:
    assert account.avatar is not None
    stem, dot, ext = account.avatar.name.rpartition(".")
    return f"https://{CDN}/profile_images/1700000000000000001/{stem}{variant}{dot}{ext}"


def header_url(account: XAccount, size: str = "1500x500") -> str:
    return f"https://{CDN}/profile_banners/{account.id}/1700000000/{size}"


def media_url(photo: Photo, name: str = "large") -> str:
    stem, _, ext = photo.name.rpartition(".")
    return f"https://{CDN}/media/{stem}?format={ext}&name={name}"


def x_sites(accounts: list[XAccount], mode: str = "page") -> dict[str, Handler]:
    """FixtureServer handlers for x.com and pbs.twimg.com."""
    assert mode in MODES, mode
    files: dict[str, Photo] = {}
    for account in accounts:
        if account.avatar:
            files[avatar_url(account)] = account.avatar
        if account.header:
            files[header_url(account)] = account.header
        for post in account.posts:
            files.update({media_url(photo): photo for photo in post.photos})

    def cdn(request: Request) -> Reply:
        query = "&".join(f"{k}={v[0]}" for k, v in request.query.items())
        photo = files.get(f"https://{CDN}{request.path}" + (f"?{query}" if query else ""))
        return Reply(200, photo.data, photo.content_type) if photo else Reply(404, b"", "text/plain")

    return {HOST: lambda request: _site(accounts, mode, request), CDN: cdn}


def _site(accounts: list[XAccount], mode: str, request: Request) -> Reply:
    if mode == "rate_limited":
        return Reply(429, b"Rate limit exceeded", "text/plain", {"x-rate-limit-reset": "1767225600"})
    if mode == "blocked":
        return Reply(403, b"<title>X</title>Forbidden")
    if mode == "login_redirect":
        return Reply(302, headers={"Location": f"https://{HOST}/i/flow/login?redirect_after_login=%2F{request.path[1:]}"})
    wanted = request.path.strip("/").lower()
    account = next((a for a in accounts if a.username.lower() == wanted), None)
    if account is None:
        body = '<div data-testid="emptyState"><span>This account doesn’t exist</span><span>Try searching for another.</span></div>'
        return Reply(200, _page("Profile / X", "", body).encode())
    return Reply(200, _profile(account, prompt=mode == "login_prompt").encode())


def _page(title: str, head: str, body: str) -> str:
    return (f'<!DOCTYPE html><html dir="ltr" lang="en"><head><meta charset="utf-8"><title>{title}</title>{head}</head>'
            f'<body><div id="react-root"><main role="main"><div data-testid="primaryColumn">{body}</div></main></div>'
            "</body></html>")


LOGIN_PROMPT = """<div role="dialog" aria-modal="true" aria-labelledby="t"><h2 id="t">Don’t miss what’s happening</h2>
<p>People on X are the first to know.</p><a href="/login" role="link">Log in</a><a href="/i/flow/signup" role="link">Sign up</a></div>"""


def _profile(account: XAccount, *, prompt: bool) -> str:
    user, name = account.username, html.escape(account.name)
    head = f'<meta property="og:title" content="{name} (@{user}) on X">'
    parts = []
    if account.avatar:
        head += f'<meta property="og:image" content="{avatar_url(account, "_200x200")}">'
    if account.header:
        small = html.escape(header_url(account, "600x200"))
        parts.append(f'<a href="/{user}/header_photo" role="link"><div style="background-image: url(&quot;{small}&quot;);'
                     f' height: 200px"></div><img alt="" draggable="true" src="{small}"></a>')
    if account.avatar:
        parts.append(f'<a href="/{user}/photo" role="link"><div data-testid="UserAvatar-Container-{user}">'
                     f'<img alt="Opens profile photo" draggable="true" src="{avatar_url(account, "_400x400")}"></div></a>')
    parts.append(f'<div data-testid="UserName"><span>{name}</span><span>@{user}</span></div>')
    if account.protected:
        parts.append('<div data-testid="emptyState"><span>These posts are protected</span>'
                     f"<span>Only approved followers can see @{user}’s posts.</span></div>")
    elif not prompt:
        parts += [_post(user, post) for post in account.posts]
    else:
        parts.append(LOGIN_PROMPT)
    return _page(f"{name} (@{user}) / X", head, "".join(parts))


def _post(user: str, post: XPost) -> str:
    author = post.author or user
    reposted = f'<span data-testid="socialContext">{html.escape(user)} reposted</span>' if post.author else ""
    photos = "".join(
        f'<a href="/{author}/status/{post.id}/photo/{n + 1}" role="link"><div data-testid="tweetPhoto">'
        f'<img alt="Image" draggable="true" src="{html.escape(media_url(photo, "small"))}"></div></a>'
        for n, photo in enumerate(post.photos)
    )
    return (f'<div data-testid="cellInnerDiv"><article data-testid="tweet" role="article" tabindex="0">{reposted}'
            f'<div data-testid="User-Name"><a href="/{author}" role="link">@{author}</a>'
            f'<a href="/{author}/status/{post.id}" role="link"><time datetime="{post.posted}">May 1</time></a></div>'
            f'<div data-testid="tweetText">{html.escape(post.text)}</div>{photos}</article></div>')


def build(photos: dict[str, Photo]) -> PlatformFixture:
    posts = [
        XPost("1785000000000000003", [photos["portrait.webp"], photos["coffee.jpg"]], "launch day"),
        XPost("1785000000000000002", [photos["with-friends.jpg"]], "with friends", "2024-04-20T18:30:00.000Z"),
        XPost("1785000000000000001", [photos["big.png"]], "their photo", author="someone_else"),  # a repost
    ]
    account = XAccount("sam_vega", "Sam Vega", avatar=photos["avatar.jpg"], header=photos["rocket.jpg"], posts=posts)
    return PlatformFixture(
        platform="x",
        sites=x_sites([account]),
        account_url="https://x.com/sam_vega",
        person_images={
            avatar_url(account): "avatar",
            media_url(photos["portrait.webp"]): "post",
            media_url(photos["with-friends.jpg"]): "post",
        },
        other_images=[header_url(account), media_url(photos["coffee.jpg"])],
        needs_browser=True,
    )
