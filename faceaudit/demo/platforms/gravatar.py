"""An imitation of Gravatar for one email address: the avatar service and the v3 profile API.

Everything is keyed by the SHA-256 of the trimmed, lower-cased address (platforms.md): the
imitation never sees an address, only hashes, as the real service does when asked properly.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from faceaudit.demo.person import FIRST_NAME, NAME
from faceaudit.demo.photos import Photo
from faceaudit.demo.platforms import PlatformFixture
from faceaudit.demo.server import Handler, Reply, Request

AVATARS, API = "gravatar.com", "api.gravatar.com"
PROFILE = "alexexample"  # the profile's slug: gravatar.com/alexexample
FAILURES = ("login_redirect", "unauthorized", "too_many", "html", "avatar_blocked")


@dataclass
class FixtureGravatar:
    email: str
    avatar: bytes | None  # None: the address has no Gravatar
    avatar_type: str = "image/jpeg"
    public_profile: bool = True  # False: the avatar is served, the profile API answers 404
    services: list[str] = field(default_factory=lambda: ["GitHub", "Mastodon"])  # verified accounts

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.email.strip().lower().encode()).hexdigest()


def gravatar_handlers(person: FixtureGravatar, default: bytes, failure: str = "") -> dict[str, Handler]:
    """Handlers for gravatar.com (avatars) and api.gravatar.com (profiles).

    `default`: the picture served for an unknown hash without `d=404` (Gravatar's "mystery person").
    `failure`: "login_redirect" sends profile calls to a login page; "unauthorized" is 401 on the
    profile API; "too_many" a 429 with Gravatar's rate-limit headers; "html" a web page where
    JSON was expected; "avatar_blocked" a 403 from the avatar service.
    """
    assert failure in ("", *FAILURES), failure

    def avatars(request: Request) -> Reply:
        if failure == "avatar_blocked":
            return Reply(403, b"<html><body>Forbidden</body></html>")
        wanted = request.path.removeprefix("/avatar/")
        if wanted == person.hash and person.avatar is not None:
            return Reply(200, person.avatar, person.avatar_type, {"Cache-Control": "max-age=300"})
        if request.path.startswith("/avatar/") and request.arg("d") != "404":
            return Reply(200, default, "image/png")
        return Reply(404, b"", "text/html; charset=utf-8")

    def api(request: Request) -> Reply:
        reset = str(int(time.time()) + 3600)
        limits = {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "99", "X-RateLimit-Reset": reset}
        if failure == "login_redirect":
            return Reply(302, b"", "text/html", {"Location": "https://wordpress.com/log-in?redirect_to=gravatar"})
        if failure == "unauthorized":
            return _json({"error": "Unauthorized", "code": "unauthorized"}, 401, limits)
        if failure == "too_many":
            return _json({"error": "Too Many Requests", "code": "rate_limit_exceeded"}, 429,
                         {**limits, "X-RateLimit-Remaining": "0"})
        if failure == "html":
            return Reply(200, b"<!DOCTYPE html><title>Gravatar</title><p>Something went wrong.")
        known = person.avatar is not None and person.public_profile
        if request.path == f"/v3/profiles/{person.hash}" and known:
            return _json(_profile(person), 200, limits)
        return _json({"error": "Profile not found", "code": "profile_not_found"}, 404, limits)

    return {AVATARS: avatars, API: api}


def avatar_url(person: FixtureGravatar) -> str:
    """The avatar as the adapter lists it: Gravatar's largest size, 404 rather than a default."""
    return f"https://{AVATARS}/avatar/{person.hash}?s=2048&d=404"


def _profile(person: FixtureGravatar) -> dict[str, Any]:
    return {
        "hash": person.hash,
        "display_name": NAME,
        "profile_url": f"https://gravatar.com/{PROFILE}",
        "avatar_url": f"https://0.gravatar.com/avatar/{person.hash}",
        "avatar_alt_text": f"{FIRST_NAME}, smiling",
        "location": "Lisbon",
        "description": "",
        "job_title": "",
        "company": "",
        "verified_accounts": [
            {"service_type": name.lower(), "service_label": name, "service_icon": "", "url": f"https://{name.lower()}.example/{PROFILE}",
             "is_hidden": False}
            for name in person.services
        ],
        "pronunciation": "",
        "pronouns": "",
    }


def _json(payload: Any, status: int, headers: dict[str, str]) -> Reply:
    return Reply(status, json.dumps(payload).encode(), "application/json; charset=utf-8", headers)


def build(photos: dict[str, Photo]) -> PlatformFixture:
    # One picture per address: the Gravatar. The address belongs to the fictional demo person.
    person = FixtureGravatar("alex.example@example.org", photos["portrait.jpg"].data, photos["portrait.jpg"].content_type)
    return PlatformFixture(
        platform="gravatar",
        sites=gravatar_handlers(person, photos["pattern.png"].data),
        account_url=f"mailto:{person.email}",
        person_images={avatar_url(person): "avatar"},
    )
