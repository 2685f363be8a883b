"""The Gravatar adapter against an imitation gravatar.com and api.gravatar.com, over real TLS."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from faceaudit.crawl import sites
from faceaudit.crawl.net import NetClient
from faceaudit.crawl.sites.gravatar import Gravatar
from faceaudit.demo.platforms.gravatar import FixtureGravatar, avatar_url, gravatar_handlers
from faceaudit.demo.server import FixtureServer
from faceaudit.errors import UsageError
from faceaudit.report.advice import load
from faceaudit.types import ImageKind, StopReason
from tests.support import Crawl, crawl_adapter, fixture_policy, module_server

PHOTO = b"\xff\xd8\xff\xe0 a face"
MYSTERY = b"\x89PNG mystery person"
EMAIL = "Alex.Private+faces@Example.ORG"
ALEX = FixtureGravatar(EMAIL, PHOTO)
HASH = hashlib.sha256(b"alex.private+faces@example.org").hexdigest()


server = module_server(lambda: gravatar_handlers(ALEX, MYSTERY))


@pytest.fixture
def crawl(server: FixtureServer) -> Any:
    def run(person: FixtureGravatar = ALEX, failure: str = "", url: str = f"mailto:{EMAIL}") -> Crawl:
        # wordpress.com is mapped so that a redirect to its login page meets the account scope.
        done = crawl_adapter(server, url, handlers=gravatar_handlers(person, MYSTERY, failure),
                             extra_resolve=["wordpress.com"])
        assert isinstance(done.site, Gravatar)
        # The address itself never leaves the machine: not whole, not its local part, in no case.
        email = person.email.strip().lower()
        for _host, path in done.log:
            assert email not in path.lower() and email.split("@")[0] not in path.lower(), path
            assert "%40" not in path and "@" not in path
        return done

    return run


def test_the_avatar_at_its_largest_with_the_profiles_alt_text(crawl: Any, server: FixtureServer) -> None:
    run = crawl()
    assert run.result.stop is StopReason.END, run.result.detail
    assert [(c.url, c.kind, c.page_url, c.alt, c.found_by) for c in run.candidates] == [
        (f"https://gravatar.com/avatar/{HASH}?s=2048&d=404", ImageKind.AVATAR,
         "https://gravatar.com/alexexample", "Alex, smiling", "gravatar:avatar")]
    assert run.log == [("gravatar.com", f"/avatar/{HASH}?d=404&s=1"), ("api.gravatar.com", f"/v3/profiles/{HASH}")]
    assert run.result.facts == {"has_gravatar": True, "public_profile": True, "verified_accounts": 2}
    assert "the public Gravatar profile links this face to: GitHub, Mastodon" in run.result.notes
    # the URL it lists really is the photo
    with NetClient(fixture_policy(server, ["wordpress.com"], min_interval=0, backoff=0.01)) as net:
        assert net.get_image(run.candidates[0].url).body == PHOTO


def test_the_hash_is_of_the_trimmed_lower_cased_address() -> None:
    for url in (f"mailto:{EMAIL}", f"  mailto:{EMAIL.upper()}  ", f"MAILTO:{EMAIL.lower()}"):
        site = sites.find(url)
        assert isinstance(site, Gravatar) and site.hash == HASH
    assert sites.find(f"mailto:{EMAIL}").url == "mailto:alex.private+faces@example.org"
    assert ALEX.hash == HASH


def test_an_address_without_a_gravatar_ends_with_nothing_found(crawl: Any) -> None:
    run = crawl(FixtureGravatar("nobody@example.org", None), url="mailto:nobody@example.org")
    assert (run.result.stop, run.result.detail) == (StopReason.END, "no Gravatar for this address")
    assert run.candidates == []
    assert run.result.facts == {"has_gravatar": False}
    assert [host for host, _path in run.log] == ["gravatar.com"]  # no profile call for nobody


def test_an_avatar_without_a_public_profile_is_still_found(crawl: Any) -> None:
    run = crawl(FixtureGravatar(EMAIL, PHOTO, public_profile=False))
    assert run.result.stop is StopReason.END
    assert "no public Gravatar profile" in run.result.detail
    assert [(c.url, c.page_url, c.alt) for c in run.candidates] == [
        (avatar_url(ALEX), f"https://gravatar.com/{HASH}", "")]
    assert run.result.facts == {"has_gravatar": True, "public_profile": False}


@pytest.mark.parametrize(("failure", "stop", "words"), [
    ("unauthorized", StopReason.BLOCKED, "the avatar was found, the profile was not read: 401"),
    ("too_many", StopReason.RATE_LIMITED, "the avatar was found, the profile was not read: 429: rate limited (reset"),
    ("html", StopReason.BLOCKED, "the profile was not read: a web page where the data of this email address"),
    ("login_redirect", StopReason.LOGIN_WALL, "sent to a login page (https://wordpress.com/log-in"),
])
def test_a_refused_profile_keeps_the_avatar_and_says_what_was_missed(
        crawl: Any, failure: str, stop: StopReason, words: str) -> None:
    run = crawl(failure=failure)
    assert run.result.stop is stop
    assert words in run.result.detail
    assert [c.url for c in run.candidates] == [avatar_url(ALEX)]
    assert not any(host == "wordpress.com" for host, _path in run.log)


def test_a_blocked_avatar_service_is_blocked_not_no_gravatar(crawl: Any) -> None:
    run = crawl(failure="avatar_blocked")
    assert run.result.stop is StopReason.BLOCKED
    assert run.result.detail.startswith("403")
    assert run.candidates == [] and "has_gravatar" not in run.result.facts


# --- which addresses are Gravatar accounts ------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "https://gravatar.com/samexample", "https://en.gravatar.com/samexample", f"https://gravatar.com/avatar/{HASH}",
    "https://api.gravatar.com/v3/profiles/samexample", "https://gravatar.com/",
])
def test_gravatar_pages_are_refused_with_the_mailto_form(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        sites.find(url)
    assert "mailto:you@example.org" in caught.value.hint


@pytest.mark.parametrize("url", ["mailto:", "mailto:alex", "mailto:alex@", "mailto:a@b@example.org",
                                 "mailto:alex@example.org?subject=hi", "mailto:alex@localhost"])
def test_malformed_addresses_are_not_accounts(url: str) -> None:
    assert Gravatar.pattern.match(url.strip()) is None
    with pytest.raises(UsageError):
        sites.find(url)


def test_scope_is_this_hash_only() -> None:
    site = sites.find(f"mailto:{EMAIL}")
    assert "https://gravatar.com/profile" in {entry.settings_link(site.url) for entry in load("gravatar").entries}
    assert site.scope().allows(f"https://gravatar.com/avatar/{HASH}")
    assert site.scope().allows(f"https://api.gravatar.com/v3/profiles/{HASH}")
    other = hashlib.sha256(b"someone@example.org").hexdigest()
    assert not site.scope().allows(f"https://gravatar.com/avatar/{other}")
    assert not site.scope().allows(f"https://api.gravatar.com/v3/profiles/{other}")
    assert not site.scope().allows("https://gravatar.com/samexample")
