"""The adapter registry: `find(url)` returns the first site whose pattern matches; web takes the rest."""

from __future__ import annotations

import importlib

from faceaudit.crawl.sites.base import Site
from faceaudit.errors import UsageError

# Order matters: specific platforms first, the generic web adapter last.
MODULES = ["mastodon", "web"]


def site_classes() -> list[type[Site]]:
    classes: list[type[Site]] = []
    for name in MODULES:
        module = importlib.import_module(f"faceaudit.crawl.sites.{name}")
        classes.append(module.SITE)
    return classes


def find(url: str) -> Site:
    """The adapter for an account URL, or a UsageError saying what URLs are accepted."""
    url = url.strip()
    for cls in site_classes():
        match = cls.pattern.match(url)
        if match:
            return cls(url, match)
    raise UsageError(
        f"{url!r} is not an account URL faceaudit understands",
        "give the full address of your profile, e.g. https://mastodon.social/@you or https://you.example.org/",
    )
