"""An imitation of GitHub's REST API for one user, with the ways it turns a logged-out visitor away.

`GET /users/<name>` answers as api.github.com does without a token (platforms.md): the user
object with `avatar_url` on avatars.githubusercontent.com, rate-limit headers on every answer,
and 403 (not 429) with `x-ratelimit-remaining: 0` when the hourly 60 are spent.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from faceaudit.demo.person import NAME
from faceaudit.demo.photos import Photo
from faceaudit.demo.platforms import PlatformFixture
from faceaudit.demo.server import Handler, Reply, Request

API = "api.github.com"
AVATARS = "avatars.githubusercontent.com"
FAILURES = ("login_redirect", "unauthorized", "too_many", "rate_limit_403", "html", "not_found")


@dataclass
class FixtureUser:
    login: str
    avatar: bytes
    id: int = 583231
    type: str = "User"  # or "Organization"
    avatar_type: str = "image/jpeg"


def github_handlers(user: FixtureUser, failure: str = "") -> dict[str, Handler]:
    """Handlers for api.github.com and avatars.githubusercontent.com.

    `failure`: "" answers normally; "login_redirect" sends the API call to github.com/login;
    "unauthorized" is 401; "too_many" a 429 with Retry-After; "rate_limit_403" GitHub's own
    403 for a spent hourly allowance; "html" a web page where JSON was expected; "not_found"
    a 404 for every user.
    """
    assert failure in ("", *FAILURES), failure
    reset = str(int(time.time()) + 3600)

    def api(request: Request) -> Reply:
        limits = {"x-ratelimit-limit": "60", "x-ratelimit-remaining": "59", "x-ratelimit-reset": reset,
                  "x-ratelimit-resource": "core", "x-github-api-version-selected": "2022-11-28"}
        parts = request.path.strip("/").split("/")
        if failure == "login_redirect":
            return Reply(302, b"", "text/html", {"Location": "https://github.com/login?return_to=%2Fapi"})
        if failure == "unauthorized":
            return _json({"message": "Requires authentication", "status": "401"}, 401, limits)
        if failure == "too_many":
            return _json({"message": "Too many requests"}, 429, {**limits, "Retry-After": "3600"})
        if failure == "rate_limit_403":
            return _json({"message": "API rate limit exceeded for 203.0.113.7. (But here's the good news: "
                          "Authenticated requests get a higher rate limit.)",
                          "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"},
                         403, {**limits, "x-ratelimit-remaining": "0"})
        if failure == "html":
            return Reply(200, b"<!DOCTYPE html><title>Unicorn!</title><p>This page is taking too long to load.")
        if len(parts) == 2 and parts[0] == "users" and parts[1].lower() == user.login.lower() and not failure:
            return _json(_user_json(user), 200, limits)
        return _json({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"},
                     404, limits)

    def avatars(request: Request) -> Reply:
        if request.path == f"/u/{user.id}":
            return Reply(200, user.avatar, user.avatar_type, {"Cache-Control": "max-age=300"})
        return Reply(404, b"Not Found", "text/plain")

    return {API: api, AVATARS: avatars}


def avatar_url(user: FixtureUser) -> str:
    """The avatar as the adapter asks for it: the API's URL with GitHub's size parameter."""
    return f"https://{AVATARS}/u/{user.id}?v=4&s=460"


def _user_json(user: FixtureUser) -> dict[str, Any]:
    api = f"https://{API}/users/{user.login}"
    return {
        "login": user.login, "id": user.id, "node_id": "MDQ6VXNlcjU4MzIzMQ==",
        "avatar_url": f"https://{AVATARS}/u/{user.id}?v=4", "gravatar_id": "", "url": api,
        "html_url": f"https://github.com/{user.login}", "followers_url": f"{api}/followers",
        "repos_url": f"{api}/repos", "events_url": f"{api}/events{{/privacy}}",
        "type": user.type, "user_view_type": "public", "site_admin": False, "name": NAME,
        "company": None, "blog": "", "location": None, "email": None, "hireable": None, "bio": None,
        "twitter_username": None, "public_repos": 3, "public_gists": 0, "followers": 2, "following": 1,
        "created_at": "2019-04-02T08:00:00Z", "updated_at": "2024-05-01T12:00:00Z",
    }


def _json(payload: Any, status: int, headers: dict[str, str]) -> Reply:
    return Reply(status, json.dumps(payload).encode(), "application/json; charset=utf-8", headers)


def build(photos: dict[str, Photo]) -> PlatformFixture:
    # GitHub shows a logged-out visitor one picture of a user: the profile photo.
    user = FixtureUser("alex-example", photos["avatar.jpg"].data, avatar_type=photos["avatar.jpg"].content_type)
    return PlatformFixture(
        platform="github",
        sites=github_handlers(user),
        account_url=f"https://github.com/{user.login}",
        person_images={avatar_url(user): "avatar"},
    )
