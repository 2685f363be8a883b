"""Imitation accounts on the platforms the demo scans (`demo.fixture.EXTRA_PLATFORMS`).

Each module here has `build(photos) -> PlatformFixture`: FixtureServer handlers for the
platform's real hostnames (reached through `scan --resolve` and `--ca-cert`), one account URL,
and the labels a scan is judged by: which served image URLs show the demo person, and as what
kind of image. `photos` is `demo.photos.public_photos()` keyed by file name, so every fixture
shows the same person (scikit-image's `astronaut`) among other people and pictures without faces.
The imitations only the tests use live in `tests/platforms/`, beside the lookup that finds a
platform's fixture in either place.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from faceaudit.demo.photos import Photo, public_photos
from faceaudit.demo.server import Handler


@dataclass
class PlatformFixture:
    """One imitation account: what to serve, what to list, and what a right scan finds."""

    platform: str  # the adapter's `name`
    sites: dict[str, Handler]  # hostname -> handler, for FixtureServer
    account_url: str  # what the user lists with `accounts add`
    person_images: dict[str, str]  # image URL as served -> ImageKind value, for each showing the person
    other_images: list[str] = field(default_factory=list)  # served images without the person
    needs_browser: bool = False  # the adapter reads pages in Chromium
    # The imitation's own account object, which its handlers answer from: a test changes it
    # between scans as the owner would in the platform's settings. None where not offered.
    account: Any = None


def photos_by_name() -> dict[str, Photo]:
    return {photo.name: photo for photo in public_photos()}


def build(module: str, photos: dict[str, Photo] | None = None) -> PlatformFixture:
    """The imitation account of `module` (an adapter name) from this package."""
    built = importlib.import_module(f"{__name__}.{module}").build(photos or photos_by_name())
    assert isinstance(built, PlatformFixture)
    return built
