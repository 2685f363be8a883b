"""The GitHub adapter against an imitation api.github.com, over real TLS."""

from __future__ import annotations

from typing import Any

import pytest

from faceaudit.crawl import sites
from faceaudit.crawl.net import AccountScope, NetClient
from faceaudit.crawl.sites.github import GitHub
from faceaudit.demo.platforms.github import FixtureUser, avatar_url, github_handlers
from faceaudit.demo.server import FixtureServer
from faceaudit.errors import UsageError
from faceaudit.report.advice import load
from faceaudit.types import ImageKind, StopReason
from tests.support import Crawl, crawl_adapter, fixture_policy, module_server

PHOTO = b"\xff\xd8\xff\xe0 not really a jpeg"
ALEX = FixtureUser("alex", PHOTO, id=4242)


server = module_server(lambda: github_handlers(ALEX))


@pytest.fixture
def crawl(server: FixtureServer) -> Any:
    def run(failure: str = "", url: str = "https://github.com/alex", user: FixtureUser = ALEX) -> Crawl:
        # github.com is mapped too, so that a redirect to its login page meets the account scope
        # (as it would with real DNS), not the test's "name lookups are off".
        done = crawl_adapter(server, url, handlers=github_handlers(user, failure), extra_resolve=["github.com"])
        assert isinstance(done.site, GitHub)
        return done

    return run


def test_finds_the_profile_photo_at_its_largest_size(crawl: Any, server: FixtureServer) -> None:
    run = crawl()
    assert run.result.stop is StopReason.END, run.result.detail
    assert [(c.url, c.kind, c.page_url, c.found_by) for c in run.candidates] == [
        (avatar_url(ALEX), ImageKind.AVATAR, "https://github.com/alex", "github:avatar")]
    assert avatar_url(ALEX).endswith("?v=4&s=460")
    assert run.log == [("api.github.com", "/users/alex")]
    assert run.result.facts == {"account_type": "user"}
    assert any("even when the profile is private" in note for note in run.result.notes)
    # and the photo is really served there
    with NetClient(fixture_policy(server, ["github.com"], min_interval=0, backoff=0.01)) as net:
        assert net.get_image(run.candidates[0].url).body == PHOTO


def test_an_organisation_is_recorded_as_one(crawl: Any) -> None:
    run = crawl(user=FixtureUser("acme", PHOTO, id=7, type="Organization"), url="https://github.com/acme")
    assert run.result.stop is StopReason.END
    assert run.result.facts == {"account_type": "organisation"}
    assert {c.url for c in run.candidates} == {avatar_url(FixtureUser("acme", PHOTO, id=7))}


@pytest.mark.parametrize(("failure", "stop", "words"), [
    ("not_found", StopReason.NOT_FOUND, "404: no account github.com/alex"),
    ("unauthorized", StopReason.BLOCKED, "401"),
    ("too_many", StopReason.RATE_LIMITED, "429: rate limited (reset 3600)"),
    ("rate_limit_403", StopReason.RATE_LIMITED, "hourly limit for logged-out visitors is used up; it resets at"),
    ("html", StopReason.BLOCKED, "a web page where the data of github.com/alex was expected"),
    ("login_redirect", StopReason.LOGIN_WALL, "sent to a login page (https://github.com/login"),
])
def test_each_way_github_turns_us_away_is_an_outcome(crawl: Any, failure: str, stop: StopReason, words: str) -> None:
    run = crawl(failure)
    assert run.result.stop is stop
    assert words in run.result.detail
    assert run.candidates == []
    assert [path for _host, path in run.log if path.startswith("/users/")]
    assert not any(host == "github.com" for host, _path in run.log)  # the login page is never fetched


def test_a_long_retry_after_is_reported_not_waited_out(crawl: Any) -> None:
    run = crawl("too_many")
    assert run.sleeps == []
    assert len(run.log) == 1


# --- which URLs are GitHub accounts -----------------------------------------------------------------


@pytest.mark.parametrize(("url", "user"), [
    ("https://github.com/alex", "alex"), ("https://github.com/Alex-Example/", "Alex-Example"),
    ("https://www.github.com/a1", "a1"), ("https://github.com/alex?tab=repositories", "alex"),
])
def test_profile_urls_are_github_accounts(url: str, user: str) -> None:
    site = sites.find(url)
    assert isinstance(site, GitHub) and site.user == user
    assert "https://github.com/settings/profile" in {entry.settings_link(site.url) for entry in load("github").entries}


@pytest.mark.parametrize("url", [
    "https://github.com/alex/dotfiles", "https://github.com/orgs/acme/people", "https://github.com/search?q=alex",
    "https://github.com/settings/profile", "https://github.com/login", "https://gist.github.com/alex",
    "https://api.github.com/users/alex", "https://github.com/", "https://github.com/-alex",
    "https://github.com/alex/dotfiles/blob/main/me.jpg", "https://github.com/explore",
])
def test_other_github_pages_are_refused(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        sites.find(url)
    assert "github" in str(caught.value.message)
    assert "https://github.com/alex" in str(caught.value.hint)


def test_scope_is_the_users_api_object_only() -> None:
    site = sites.find("https://github.com/alex")
    assert site.scope() == AccountScope(frozenset({"api.github.com"}), ("/users/alex/",))
    assert site.scope().allows("https://api.github.com/users/alex")
    assert not site.scope().allows("https://api.github.com/users/alexa")
    assert not site.scope().allows("https://api.github.com/search/users?q=alex")
    assert not site.scope().allows("https://github.com/alex")
