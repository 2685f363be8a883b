"""Meta-tests of the adapter registry: every adapter is complete, and URLs go to the right one."""

from __future__ import annotations

import pytest

from faceaudit.crawl import sites
from faceaudit.crawl.sites.base import Site
from faceaudit.demo import platforms as fixtures
from faceaudit.errors import UsageError
from faceaudit.report.advice import load

CLASSES = sites.site_classes()
# The generic web adapter takes every http(s) URL no platform claims: it is the fallback by
# construction, so "matches no other adapter" is asked of the platform adapters only.
PLATFORMS = [cls for cls in CLASSES if cls.name != "web"]


def test_the_web_adapter_comes_last_and_names_are_unique() -> None:
    assert CLASSES[-1].name == "web"
    assert len({cls.name for cls in CLASSES}) == len(CLASSES)
    assert [cls.name for cls in CLASSES] == sites.MODULES


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.name)
def test_each_example_url_goes_to_its_own_adapter(cls: type[Site]) -> None:
    assert cls.pattern.match(cls.example), cls.example
    assert type(sites.find(cls.example)) is cls


@pytest.mark.parametrize("cls", PLATFORMS, ids=lambda cls: cls.name)
def test_no_other_platform_claims_or_refuses_an_example(cls: type[Site]) -> None:
    for other in PLATFORMS:
        if other is cls:
            continue
        assert not other.pattern.match(cls.example), f"{other.name} also matches {cls.example}"
        assert not (other.refuse and other.refuse.match(cls.example)), f"{other.name} refuses {cls.example}"


@pytest.mark.parametrize("cls", PLATFORMS, ids=lambda cls: cls.name)
def test_each_platform_has_a_settings_page_advice_and_an_end_to_end_fixture(cls: type[Site]) -> None:
    site = sites.find(cls.example)
    assert site.settings_page().startswith("https://"), cls.name
    advice = load(cls.name)
    assert advice is not None and advice.entries, f"no advice file for {cls.name}"
    assert cls.name in fixtures.MODULES, f"no faceaudit/demo/platforms/{cls.name}.py fixture"


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
