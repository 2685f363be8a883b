"""The adapter registry: `find(url)` returns the adapter for an account URL, or refuses it.

Each adapter declares `pattern` (its account URLs) and `refuse` (its other URLs: single posts,
searches, help pages). The first adapter whose pattern matches takes the URL; a URL that some
adapter refuses is rejected with that platform's example, so a post on Instagram is never
crawled as if it were a personal website. The generic web adapter comes last and takes the rest.
"""

from __future__ import annotations

import importlib

from faceaudit.crawl.sites.base import Site
from faceaudit.errors import UsageError

# Order matters: specific platforms first, the generic web adapter last.
MODULES = [
    "mastodon",
    "github",
    "flickr",
    "reddit",
    "gravatar",
    "instagram",
    "tiktok",
    "bluesky",
    "facebook",
    "x",
    "linkedin",
    "youtube",
    "web",
]


def site_classes() -> list[type[Site]]:
    classes: list[type[Site]] = []
    for name in MODULES:
        module = importlib.import_module(f"faceaudit.crawl.sites.{name}")
        classes.append(module.SITE)
    return classes


def find(url: str) -> Site:
    """The adapter for an account URL, or a UsageError saying what URLs are accepted."""
    url = url.strip()
    classes = site_classes()
    for cls in classes:
        match = cls.pattern.match(url)
        if match:
            return cls(url, match)
        if cls.refuse is not None and cls.refuse.match(url):
            raise UsageError(
                f"{url!r} is a {cls.name} page, but not the address of an account's profile",
                f"give your profile's address, e.g. {cls.example}",
            )
    raise UsageError(
        f"{url!r} is not an account URL faceaudit understands",
        "give the full address of your profile, e.g. https://mastodon.social/@you or https://you.example.org/",
    )
