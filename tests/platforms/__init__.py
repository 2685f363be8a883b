"""Imitation accounts that only the tests and benchmarks scan, and the lookup that finds every
platform's imitation by adapter name: here, or in `faceaudit/demo/platforms/` for the platforms
the demo scans too. Each module has `build(photos) -> PlatformFixture` and is named after its
adapter, so a new platform's fixture is found by its file name: there is no list to edit.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from types import ModuleType

from faceaudit.demo import platforms as demo_platforms
from faceaudit.demo.photos import Photo
from faceaudit.demo.platforms import PlatformFixture, photos_by_name

__all__ = ["PlatformFixture", "build", "fixture_modules", "photos_by_name", "platform_names"]


def fixture_packages() -> list[ModuleType]:
    """Where fixtures are looked for, first match wins: the tests' own, then the demo's."""
    return [sys.modules[__name__], demo_platforms]


def fixture_modules() -> dict[str, str]:
    """Adapter name -> the dotted name of the module holding that platform's imitation.

    Read from the packages' `__path__` on every call, so a folder added to one (as the
    new-platform meta-test does) is seen at once.
    """
    found: dict[str, str] = {}
    for package in fixture_packages():
        for info in pkgutil.iter_modules(package.__path__):
            if not info.name.startswith("_"):
                found.setdefault(info.name, f"{package.__name__}.{info.name}")
    return found


def platform_names() -> list[str]:
    """Every platform with an imitation, in name order (the e2e tests and benchmark run each)."""
    return sorted(fixture_modules())


def build(platform: str, photos: dict[str, Photo] | None = None) -> PlatformFixture:
    """The imitation account of `platform` (an adapter name), wherever its module lives."""
    module = importlib.import_module(fixture_modules()[platform])
    built = module.build(photos or photos_by_name())
    assert isinstance(built, PlatformFixture), f"{module.__name__}.build() returned {built!r}"
    return built
