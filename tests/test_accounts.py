"""`faceaudit accounts`: each account listed once in one spelling, and addresses faceaudit could
never visit as a stranger refused when they are added, not at scan time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceaudit.crawl import sites
from faceaudit.crawl.net import address_kind, ip_literal, numeric_ipv4
from faceaudit.errors import ExitCode, UsageError
from faceaudit.workspace import Workspace
from tests.support import faceaudit

GENERIC = "https://mastodon.social/@you or https://you.example.org/"

# (what a person types, what is stored). The first few are the spellings the issue names.
SPELLINGS = [
    ("https://mastodon.social/@Gargron", "https://mastodon.social/@gargron"),
    ("https://mastodon.social/@gargron", "https://mastodon.social/@gargron"),
    ("https://mastodon.social/@Gargron/", "https://mastodon.social/@gargron"),
    ("@Gargron@mastodon.social", "https://mastodon.social/@gargron"),
    ("mastodon.social/@Gargron", "https://mastodon.social/@gargron"),
    ("http://mastodon.social/@gargron", "https://mastodon.social/@gargron"),
    ("HTTPS://Mastodon.Social:443/web/@Gargron?view=media#top", "https://mastodon.social/@gargron"),
    ("https://mastodon.social/@gargron@mastodon.social", "https://mastodon.social/@gargron"),
    ("https://social.example:8443/@Sam", "https://social.example:8443/@sam"),
    ("twitter.com/jack", "https://x.com/jack"),
    ("x.com/jack", "https://x.com/jack"),
    ("https://twitter.com/Jack", "https://x.com/jack"),
    ("https://mobile.twitter.com/jack/", "https://x.com/jack"),
    ("http://www.x.com/jack", "https://x.com/jack"),
    ("reddit.com/u/spez", "https://www.reddit.com/user/spez/"),
    ("https://old.reddit.com/user/Spez/submitted/", "https://www.reddit.com/user/spez/"),
    ("https://github.com/Torvalds?tab=repositories", "https://github.com/torvalds"),
    ("www.github.com/torvalds/", "https://github.com/torvalds"),
    ("http://instagram.com/Alex", "https://www.instagram.com/alex/"),
    ("https://bsky.app/profile/@Alex.BSKY.social", "https://bsky.app/profile/alex.bsky.social"),
    ("https://m.youtube.com/@Alex/videos", "https://www.youtube.com/@alex"),
    ("https://youtube.com/channel/UCsamExample0123456789ab/about",
     "https://www.youtube.com/channel/UCsamExample0123456789ab"),  # a channel id's case matters
    ("https://tiktok.com/@Alex/", "https://www.tiktok.com/@alex"),
    ("https://fb.com/Alex.Example/", "https://www.facebook.com/alex.example"),
    ("https://m.facebook.com/profile.php?id=1234567&sk=photos", "https://www.facebook.com/profile.php?id=1234567"),
    ("https://secure.flickr.com/people/12345678@n00", "https://www.flickr.com/photos/12345678@N00/"),
    ("https://uk.linkedin.com/in/Alex-Example", "https://www.linkedin.com/in/alex-example/"),
    ("MAILTO:Alex@Example.org", "mailto:alex@example.org"),
    # A personal website: scheme and host regular, its path (and its case) its own.
    ("https://Me.Example.ORG", "https://me.example.org/"),
    ("me.example.org", "https://me.example.org/"),
    ("me.example.org:8443/~Me/", "https://me.example.org:8443/~Me/"),
    ("HTTP://me.example.org:80/About/?lang=en#bio", "http://me.example.org/About/?lang=en"),
    ("https://me.example.org./", "https://me.example.org/"),
    ("https://www.me.example.org/", "https://www.me.example.org/"),
    ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ("http://8.8.8.8/", "http://8.8.8.8/"),
    ("https://[2606:4700:0::1111]:443/", "https://[2606:4700::1111]/"),
]


@pytest.mark.parametrize(("typed", "stored"), SPELLINGS)
def test_every_spelling_of_an_account_is_stored_in_one_canonical_form(typed: str, stored: str) -> None:
    assert sites.canonical(typed) == stored
    # The stored form is a fixed point, taken by the same adapter, as `find` takes it at scan time.
    assert sites.canonical(stored) == stored
    assert type(sites.find(stored)) is type(sites.account(typed))


def test_the_issues_spellings_are_one_account_each(tmp_path: Path) -> None:
    spellings = ["https://mastodon.social/@Gargron", "https://mastodon.social/@gargron",
                 "https://mastodon.social/@Gargron/", "@Gargron@mastodon.social",
                 "https://twitter.com/jack", "https://x.com/jack", "reddit.com/u/spez"]
    added = faceaudit(tmp_path, "accounts", "add", *spellings)
    assert added.code == 0, added.err
    assert added.out.splitlines() == [
        "Added https://mastodon.social/@gargron (mastodon).",
        "https://mastodon.social/@gargron is already listed (mastodon).",
        "https://mastodon.social/@gargron is already listed (mastodon).",
        "https://mastodon.social/@gargron is already listed (mastodon).",
        "Added https://x.com/jack (x).",
        "https://x.com/jack is already listed (x).",
        "Added https://www.reddit.com/user/spez/ (reddit).",
    ]
    listed = json.loads(faceaudit(tmp_path, "accounts", "list", "--json").out)
    assert [a["url"] for a in listed] == [
        "https://mastodon.social/@gargron", "https://x.com/jack", "https://www.reddit.com/user/spez/"]


def test_a_url_already_listed_says_so_and_adds_nothing(tmp_path: Path) -> None:
    assert faceaudit(tmp_path, "accounts", "add", "https://me.example.org/").code == 0
    again = faceaudit(tmp_path, "accounts", "add", "https://ME.example.org")
    assert again.code == 0 and again.out.strip() == "https://me.example.org/ is already listed (web)."
    assert "Added" not in again.out
    with Workspace.open(tmp_path) as ws:
        assert [a.url for a in ws.accounts()] == ["https://me.example.org/"]


def test_an_account_listed_before_in_another_spelling_is_already_listed(tmp_path: Path) -> None:
    with Workspace.open(tmp_path) as ws:  # listed before addresses were made canonical: not migrated
        ws.add_account("https://mastodon.social/@Gargron/", "mastodon")
    again = faceaudit(tmp_path, "accounts", "add", "@gargron@mastodon.social")
    assert again.code == 0 and again.out.strip() == "https://mastodon.social/@Gargron/ is already listed (mastodon)."
    with Workspace.open(tmp_path) as ws:
        assert [a.url for a in ws.accounts()] == ["https://mastodon.social/@Gargron/"]


# (address, words of the refusal). Each is refused by `accounts add`, however it is spelled.
REFUSED = [
    # Credentials: faceaudit never logs in.
    ("https://alex:hunter2@me.example.org/", "user name or password"),
    ("https://alex@me.example.org/", "user name or password"),
    ("alex:hunter2@me.example.org/", "user name or password"),  # typed without a scheme
    # Local names.
    ("http://localhost:8080/", "localhost is a name on your own machine"),
    ("localhost:8080", "localhost is a name on your own machine"),
    ("https://LOCALHOST./", "localhost is a name on your own machine"),
    ("https://app.localhost/", "app.localhost is a name on your own machine"),
    ("https://printer.local/", "printer.local is a name on your own machine"),
    ("https://db.internal/", "db.internal is a name on your own machine"),
    ("https://nas.home.arpa/", "nas.home.arpa is a name on your own machine"),
    ("https://intranet/", "intranet is a name on your own machine"),  # a single label
    # Loopback, private, link-local and reserved addresses, IPv4 and IPv6.
    ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
    ("http://127.8.9.10:8080/", "127.8.9.10 is a loopback address"),
    ("http://[::1]/", "::1 is a loopback address"),
    ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is a loopback address"),
    ("http://[::ffff:7f00:1]/", "is a loopback address"),
    ("http://10.1.2.3/", "10.1.2.3 is a private address"),
    ("http://172.16.0.1/", "172.16.0.1 is a private address"),
    ("http://192.168.1.1/admin", "192.168.1.1 is a private address"),
    ("http://100.64.0.1/", "100.64.0.1 is a private address"),
    ("http://[fd00::1]/", "fd00::1 is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://[fe80::1]/", "fe80::1 is a link-local address"),
    ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
    ("http://[::]/", ":: is an unspecified address"),
    ("http://203.0.113.7/", "203.0.113.7 is a reserved address"),
    ("http://240.0.0.1/", "240.0.0.1 is a reserved address"),
    ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
    # Integer, hexadecimal and octal spellings a browser reads as an IPv4 address.
    ("http://2130706433/", "2130706433 is the loopback address 127.0.0.1 written as a number"),
    ("http://0x7f.1/", "0x7f.1 is the loopback address 127.0.0.1 written as a number"),
    ("http://0x7f000001/", "the loopback address 127.0.0.1 written as a number"),
    ("http://0177.0.0.1/", "the loopback address 127.0.0.1 written as a number"),
    ("http://127.1/", "the loopback address 127.0.0.1 written as a number"),
    ("http://3232235777/", "the private address 192.168.1.1 written as a number"),
    ("http://134744072/", "the public address 8.8.8.8 written as a number"),  # refused at scan time too
    ("https://me.example.123/", "a numeric host that is not an address"),
    # Ports.
    ("https://me.example.org:99999/", "invalid port"),
    ("https://me.example.org:65536/", "invalid port"),
    ("https://me.example.org:0/", "invalid port"),
    ("https://me.example.org:http/", "invalid port"),
    # Wildcards.
    ("*.example.org", "is a wildcard"),
    ("https://*.example.org/", "is a wildcard"),
    # Lengths, and what is not one address.
    ("https://me.example.org/" + "a" * 100_000, "100,023 characters long"),
    ("https://" + "a" * 64 + ".example.org/", "not have a valid host name"),
    ("https://" + "abc." * 64 + "org/", "not have a valid host name"),
    ("https://-me-.example.org/", "not have a valid host name"),
    ("https://me.example.org/a b", "spaces or control characters"),
    ("https://me.example.org/\x00", "spaces or control characters"),
    ("https://me.example.org/ https://x.com/jack", "spaces or control characters"),
    ("https:/me.example.org/", "has no host name"),
    ("", "the address is empty"),
    # Not a web address, or a handle that does not say where.
    ("ftp://me.example.org/", "is not a web address (ftp:)"),
    ("javascript:alert(1)", "is not a web address (javascript:)"),
    ("file:///etc/passwd", "is not a web address (file:)"),
    ("@Gargron", "does not say which platform or server"),
    ("gargron@mastodon.social", "does not say which platform or server"),
]


@pytest.mark.parametrize(("url", "why"), REFUSED, ids=lambda value: value[:60])
def test_addresses_faceaudit_cannot_visit_as_a_stranger_are_refused_when_added(
    tmp_path: Path, url: str, why: str
) -> None:
    refused = faceaudit(tmp_path, "accounts", "add", url)
    assert refused.code == ExitCode.USAGE, refused
    assert why in refused.err and "hint:" in refused.err
    assert len(refused.err) < 1000  # a 100 kB address is not repeated back
    with Workspace.open(tmp_path) as ws:
        assert ws.accounts() == []


@pytest.mark.parametrize(("url", "example"), [
    ("https://alex:hunter2@mastodon.social/@alex", "https://mastodon.social/@alex"),
    ("https://x.com:99999/jack", "https://x.com/alex_example"),
    ("https://user@www.instagram.com/alex/", "https://www.instagram.com/alex/"),
    ("https://reddit.com:0/u/spez", "https://www.reddit.com/user/alex/"),
    ("https://social.localhost/@alex", "https://mastodon.social/@alex"),
    ("https://mastodon.social/@alex/109876543210", "https://mastodon.social/@alex"),  # a post, not a profile
    ("https://twitter.com/jack/status/20", "https://x.com/alex_example"),
    ("http://localhost:8080/", GENERIC),  # no platform's: the general example
])
def test_a_refusal_shows_the_platforms_example(url: str, example: str) -> None:
    with pytest.raises(UsageError) as refused:
        sites.account(url)
    assert refused.value.hint.endswith(f"e.g. {example}"), refused.value.hint


def test_a_password_in_a_url_is_never_stored_or_repeated(tmp_path: Path) -> None:
    refused = faceaudit(tmp_path, "accounts", "add", "https://alex:hunter2@me.example.org/",
                        "https://me.example.org/")
    assert refused.code == ExitCode.USAGE
    assert "hunter2" not in refused.out + refused.err and "alex:" not in refused.err
    assert "https://…@me.example.org/" in refused.err
    with Workspace.open(tmp_path) as ws:
        assert [a.url for a in ws.accounts()] == ["https://me.example.org/"]
    assert b"hunter2" not in (tmp_path / "faceaudit.db").read_bytes()


def test_several_urls_in_one_call_each_get_a_line_and_a_refusal_fails_the_call(tmp_path: Path) -> None:
    result = faceaudit(tmp_path, "accounts", "add", "https://me.example.org/", "http://localhost:8080/",
                       "@alex@social.example", "https://ME.example.org", "https://10.0.0.1/")
    assert result.code == ExitCode.USAGE
    assert result.out.splitlines() == [
        "Added https://me.example.org/ (web).",
        "Added https://social.example/@alex (mastodon).",
        "https://me.example.org/ is already listed (web).",
    ]
    refusals = [line for line in result.err.splitlines() if line.startswith("Refused: ")]
    assert refusals == ["Refused: localhost is a name on your own machine or network, not a public site",
                        "Refused: 10.0.0.1 is a private address, not a public one"]
    assert "2 of 5 addresses were refused; the others are listed" in result.err
    with Workspace.open(tmp_path) as ws:  # the good ones were listed all the same
        assert [a.url for a in ws.accounts()] == ["https://me.example.org/", "https://social.example/@alex"]


def test_accounts_list_json_is_an_array_of_url_site_and_time(tmp_path: Path) -> None:
    empty = faceaudit(tmp_path, "accounts", "list", "--json")
    assert empty.code == 0 and json.loads(empty.out) == []
    assert faceaudit(tmp_path, "accounts", "add", "twitter.com/Jack", "me.example.org").code == 0
    listed = faceaudit(tmp_path, "accounts", "list", "--json")
    assert listed.code == 0 and listed.err == ""
    accounts = json.loads(listed.out)
    assert [(a["url"], a["site"]) for a in accounts] == [("https://x.com/jack", "x"), ("https://me.example.org/", "web")]
    assert all(set(a) == {"url", "site", "added_at"} and a["added_at"][:2] == "20" for a in accounts)


@pytest.mark.parametrize("spelling", ["https://mastodon.social/@gargron", "@Gargron@mastodon.social",
                                      "mastodon.social/@GARGRON/", "http://mastodon.social/web/@gargron"])
def test_accounts_remove_takes_any_spelling_of_the_account(tmp_path: Path, spelling: str) -> None:
    assert faceaudit(tmp_path, "accounts", "add", "https://mastodon.social/@Gargron").code == 0
    removed = faceaudit(tmp_path, "accounts", "remove", spelling)
    assert removed.code == 0, removed.err
    assert removed.out.strip() == "Removed https://mastodon.social/@gargron."
    again = faceaudit(tmp_path, "accounts", "remove", spelling)
    assert again.code == ExitCode.USAGE and "is not a listed account" in again.err


def test_accounts_remove_takes_every_old_spelling_and_an_address_no_longer_accepted(tmp_path: Path) -> None:
    with Workspace.open(tmp_path) as ws:  # a workspace from before: duplicates, and a local address
        ws.add_account("https://mastodon.social/@Gargron", "mastodon")
        ws.add_account("https://mastodon.social/@gargron/", "mastodon")
        ws.add_account("https://me.example.org/", "web")
        ws.add_account("http://localhost:8080/", "web")
    removed = faceaudit(tmp_path, "accounts", "remove", "@gargron@mastodon.social")
    assert removed.code == 0
    assert removed.out.splitlines() == ["Removed https://mastodon.social/@Gargron.",
                                        "Removed https://mastodon.social/@gargron/."]
    assert faceaudit(tmp_path, "accounts", "remove", "http://localhost:8080/").code == 0  # exactly as listed
    with Workspace.open(tmp_path) as ws:
        assert [a.url for a in ws.accounts()] == ["https://me.example.org/"]


@pytest.mark.parametrize(("host", "address"), [
    ("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("127.1", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"), ("10.0x10.1", "10.16.0.1"), ("1.2.3.4.", "1.2.3.4"),
    ("4294967296", None), ("1.2.3.256", None), ("08.1.2.3", None), ("1.2.3.4.5", None), ("example", None),
])
def test_numeric_hosts_are_read_as_a_browser_reads_them(host: str, address: str | None) -> None:
    decoded = numeric_ipv4(host)
    assert (str(decoded) if decoded is not None else None) == address


@pytest.mark.parametrize(("address", "kind"), [
    ("8.8.8.8", "public"), ("2606:4700::1111", "public"), ("127.0.0.1", "loopback"), ("::1", "loopback"),
    ("64:ff9b::7f00:1", "loopback"), ("2002:7f00:1::", "loopback"), ("192.168.0.1", "private"),
    ("169.254.1.1", "link-local"), ("ff02::1", "multicast"), ("::", "unspecified"), ("192.0.2.1", "reserved"),
])
def test_address_kinds_name_what_the_scan_refuses(address: str, kind: str) -> None:
    ip = ip_literal(address)
    assert ip is not None and address_kind(ip) == kind


PIECES = st.tuples(
    st.sampled_from(["", "https://", "http://", "HTTPS://", "//", "ftp://", "mailto:", "@", "alex:hunter2@"]),
    st.sampled_from(["", "alex@", "alex:hunter2@", "@"]),
    st.sampled_from(["mastodon.social", "x.com", "twitter.com", "www.reddit.com", "me.example.org", "localhost",
                     "127.0.0.1", "[::1]", "[2606:4700::1111]", "0x7f.1", "*.example.org", "bsky.app", "[", "]",
                     "xn--bcher-kva.example", "bücher.example", ""]),
    st.sampled_from(["", ":443", ":8443", ":99999", ":0", ":", ":x"]),
    st.sampled_from(["", "/", "/@Alex", "/@alex@mastodon.social", "/u/Spez", "/user/spez/", "/jack", "/profile/a.b.c",
                     "/@alex/123", "/search?q=x", "/~Me/#x", "/%2e%2e/", "/in/Alex/"]),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), PIECES.map("".join)))
def test_any_text_is_stored_in_a_stable_form_or_refused_with_a_usage_error(text: str) -> None:
    try:
        site = sites.account(text)
    except UsageError as refused:
        assert not has_password(text) or "hunter2" not in refused.message + refused.hint
        return
    assert sites.canonical(site.url) == site.url and type(sites.find(site.url)) is type(site)
    assert not has_password(text)


def has_password(text: str) -> bool:
    """A user name and password where a URL has them (not an email address's user name)."""
    return "alex:hunter2@" in text and not text.lower().startswith("mailto:")
