"""Meta-tests of the adapter registry: every adapter is complete, URLs go to the right one, and a
new platform is found from its files alone, with no list to edit."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from faceaudit.crawl import sites
from faceaudit.crawl.sites.base import Site
from faceaudit.errors import UsageError
from faceaudit.report.advice import load, platform_name
from tests import platforms as fixtures

TESTS = Path(__file__).resolve().parent
ADVICE = Path(sites.__file__).resolve().parents[2] / "report" / "advice"
CLASSES = sites.site_classes()
# The generic web adapter takes every http(s) URL no platform claims: it is the fallback by
# construction, so "matches no other adapter" is asked of the platform adapters only.
PLATFORMS = [cls for cls in CLASSES if not cls.catch_all]


def missing_files(cls: type[Site], tests: Path = TESTS) -> list[str]:
    """What a platform lacks of the files every platform has: its imitation (the web adapter's
    is the demo's website), its tests, and its advice."""
    missing = []
    if not cls.catch_all and cls.name not in fixtures.fixture_modules():
        missing.append(f"tests/platforms/{cls.name}.py")
    if not (tests / f"test_site_{cls.name}.py").is_file():
        missing.append(f"tests/test_site_{cls.name}.py")
    if load(cls.name) is None:
        missing.append(f"faceaudit/report/advice/{cls.name}.json")
    return missing


def test_the_web_adapter_comes_last_and_names_are_unique() -> None:
    assert CLASSES[-1].name == "web" and [cls for cls in CLASSES if cls.catch_all] == [CLASSES[-1]]
    assert len({cls.name for cls in CLASSES}) == len(CLASSES)


def test_every_module_in_the_sites_package_is_an_adapter_named_after_it() -> None:
    # A module without `SITE` is skipped by the registry: here it fails instead of going unseen.
    assert [cls.name for cls in CLASSES] == [*sorted(cls.name for cls in PLATFORMS), "web"]
    assert sorted(sites.adapter_modules()) == sorted(cls.name for cls in CLASSES)
    assert all(cls.__module__ == f"faceaudit.crawl.sites.{cls.name}" for cls in CLASSES)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.name)
def test_each_example_url_goes_to_its_own_adapter(cls: type[Site]) -> None:
    assert cls.pattern.match(cls.example), cls.example
    assert type(sites.find(cls.example)) is cls


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.name)
def test_each_example_is_already_in_the_canonical_form_accounts_add_stores(cls: type[Site]) -> None:
    # The example is what a refusal's hint shows: copied, it is stored exactly as shown.
    assert sites.canonical(cls.example) == cls.example
    assert type(sites.account(cls.example)) is cls and sites.account(cls.example).account_url() == cls.example


@pytest.mark.parametrize("name", fixtures.platform_names())
def test_each_fixture_account_is_stored_by_its_own_adapter_in_a_form_that_is_stable(name: str) -> None:
    fixture = fixtures.build(name)
    stored = sites.canonical(fixture.account_url)
    assert type(sites.find(stored)).name == name and sites.canonical(stored) == stored
    if name != "gravatar":  # its fixture lists a mixed-case email address, stored lower-case
        assert stored == fixture.account_url


@pytest.mark.parametrize("cls", PLATFORMS, ids=lambda cls: cls.name)
def test_no_other_platform_claims_or_refuses_an_example(cls: type[Site]) -> None:
    for other in PLATFORMS:
        if other is cls:
            continue
        assert not other.pattern.match(cls.example), f"{other.name} also matches {cls.example}"
        assert not (other.refuse and other.refuse.match(cls.example)), f"{other.name} refuses {cls.example}"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.name)
def test_each_adapter_has_its_fixture_tests_and_advice(cls: type[Site]) -> None:
    assert missing_files(cls) == []


@pytest.mark.parametrize("cls", PLATFORMS, ids=lambda cls: cls.name)
def test_each_platforms_advice_links_its_settings_and_its_fixture_is_its_own(cls: type[Site]) -> None:
    advice = load(cls.name)
    assert advice is not None and advice.entries, f"no advice file for {cls.name}"
    links = [item.settings_link(cls.example) for item in advice.entries if item.settings_url]
    assert links and all(link.startswith("https://") for link in links), cls.name
    fixture = fixtures.build(cls.name)
    assert fixture.platform == cls.name and type(sites.find(fixture.account_url)) is cls


def test_the_web_adapter_has_advice_even_without_a_settings_page() -> None:
    # A personal site has no platform settings: its advice is robots meta tags, X-Robots-Tag and EXIF.
    advice = load("web")
    assert advice is not None and advice.entries


@pytest.mark.parametrize("url", [
    "https://mastodon.social/@alex/109876543210",  # a single post
    "https://example.org/search?q=alex",  # somebody's search results
    "https://duckduckgo.com/?q=alex+vega",
    "ftp://alex.example.org/",
    "alex.example.org",
    "",
])
def test_urls_that_are_not_an_account_are_refused_with_a_hint(url: str) -> None:
    with pytest.raises(UsageError) as refused:
        sites.find(url)
    assert refused.value.hint


def test_accounts_add_refuses_a_single_post_with_the_platforms_example(tmp_path) -> None:
    from tests.support import faceaudit

    refused = faceaudit(tmp_path / "ws", "accounts", "add", "https://mastodon.social/@alex/109876543210")
    assert refused.code == 2, refused
    assert "not the address of an account" in refused.err and "https://mastodon.social/@alex" in refused.err
    listed = faceaudit(tmp_path / "ws", "accounts", "list")
    assert "mastodon.social" not in listed.out


# -- a new platform is three new files -----------------------------------------------------------
# "zphotos" sorts after "web": the registry must still try the catch-all adapter last.
NEW = "zphotos"
NEW_ADAPTER = '''"""Zphotos: a platform the registry has never seen, written by tests/test_registry.py."""

from __future__ import annotations

import re
from collections.abc import Iterator

from faceaudit.crawl.net import AccountScope
from faceaudit.crawl.sites.base import CrawlContext, Site
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason


class Zphotos(Site):
    name = "zphotos"
    pattern = re.compile(r"https://zphotos\\.example/u/(?P<user>[a-z0-9_]+)/?$")
    refuse = re.compile(r"https?://zphotos\\.example(?:[/?#]|$)")
    example = "https://zphotos.example/u/alex"

    def scope(self) -> AccountScope:
        return AccountScope(frozenset({"zphotos.example"}), (f"/u/{self.match['user']}",))

    def crawl(self, ctx: CrawlContext, result: CrawlResult) -> Iterator[ImageCandidate]:
        yield ImageCandidate("https://zphotos.example/avatar.jpg", self.url, ImageKind.AVATAR, "zphotos:avatar")
        result.stop = StopReason.END


SITE = Zphotos
'''
NEW_FIXTURE = '''"""An imitation Zphotos account, written by tests/test_registry.py."""

from __future__ import annotations

from faceaudit.demo.photos import Photo
from faceaudit.demo.platforms import PlatformFixture
from faceaudit.demo.server import Reply, Request


def build(photos: dict[str, Photo]) -> PlatformFixture:
    avatar = photos["avatar.jpg"]
    return PlatformFixture(
        platform="zphotos",
        sites={"zphotos.example": lambda request: Reply(200, avatar.data, avatar.content_type)},
        account_url="https://zphotos.example/u/sam",
        person_images={"https://zphotos.example/avatar.jpg": "avatar"},
    )
'''
NEW_TEST = '''"""The Zphotos adapter against its imitation (its tests would be here)."""\n'''


def _folder_on_path(monkeypatch: pytest.MonkeyPatch, package: ModuleType, folder: Path) -> None:
    """Let `package` find modules in `folder` too, as its own folder's files are found."""
    monkeypatch.setattr(package, "__path__", [*package.__path__, str(folder)])


@pytest.fixture
def new_platform_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """Empty folders searched for adapters, fixtures and tests, each beside the real ones."""
    folders = {part: tmp_path / part for part in ("sites", "fixtures", "tests")}
    for folder in folders.values():
        folder.mkdir()
    _folder_on_path(monkeypatch, sites, folders["sites"])
    _folder_on_path(monkeypatch, fixtures, folders["fixtures"])
    yield folders
    for module in (f"faceaudit.crawl.sites.{NEW}", f"tests.platforms.{NEW}"):
        sys.modules.pop(module, None)
        parent, _, child = module.rpartition(".")
        if hasattr(sys.modules[parent], child):
            delattr(sys.modules[parent], child)


def test_a_new_platform_is_an_adapter_a_fixture_and_a_test_with_no_list_edited(
    new_platform_folders: dict[str, Path],
) -> None:
    folders = new_platform_folders
    example = "https://zphotos.example/u/alex"
    assert type(sites.find(example)).name == "web"  # before: a personal website like any other

    (folders["sites"] / f"{NEW}.py").write_text(NEW_ADAPTER, encoding="utf-8")
    (cls,) = [cls for cls in sites.site_classes() if cls.name == NEW]
    assert sites.site_classes()[-1].name == "web"
    assert type(sites.find(example)) is cls
    with pytest.raises(UsageError, match="is a Zphotos page"):
        sites.find("https://zphotos.example/search?q=alex")
    assert missing_files(cls, folders["tests"]) == [
        f"tests/platforms/{NEW}.py", f"tests/test_site_{NEW}.py", f"faceaudit/report/advice/{NEW}.json",
    ]

    (folders["fixtures"] / f"{NEW}.py").write_text(NEW_FIXTURE, encoding="utf-8")
    (folders["tests"] / f"test_site_{NEW}.py").write_text(NEW_TEST, encoding="utf-8")
    fixture = fixtures.build(NEW)
    assert NEW in fixtures.platform_names() and type(sites.find(fixture.account_url)) is cls
    # The three files make a working platform; the completeness check still asks for its advice,
    # without which the report names it by its adapter and gives general advice only
    # (tests/test_advice.py: an unknown site gets general advice only).
    assert missing_files(cls, folders["tests"]) == [f"faceaudit/report/advice/{NEW}.json"]
    assert not (ADVICE / f"{NEW}.json").exists() and platform_name(NEW) == NEW
