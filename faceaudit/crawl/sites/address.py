"""Account addresses as people type them: the one normal form, and what is refused on any platform.

`accounts add` reads an address here before any adapter sees it. What people paste varies
(`Mastodon.Social/@Alex/`, `twitter.com/jack`, `@alex@mastodon.social`); what is stored must be
one spelling per account, so a duplicate is seen as one. The normal form here is the part every
URL shares: https added where no scheme was typed, scheme and host lower-case, the host's trailing
dot, a default port and the fragment dropped, an empty path written `/`. Each adapter then gives
its platform's own shape (`Site.account_url`).

Refused whatever the platform, because faceaudit could never visit them as a logged-out
stranger: user names and passwords in the URL, local names, non-public IP addresses in any
spelling, bad ports, wildcards, and absurd lengths. This runs without the network: a name is
judged by its form; the scan asks DNS and refuses a name that leads to a local address
(crawl/net.py), so a public-looking name cannot reach 127.0.0.1 either.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

from faceaudit.crawl.net import address_kind, ip_literal, looks_numeric, numeric_ipv4
from faceaudit.errors import UsageError

GENERIC_EXAMPLE = "https://mastodon.social/@you or https://you.example.org/"
# Longer than any profile address; browsers and servers commonly stop near 2,000 characters too.
MAX_URL = 2000
MAX_HOST = 253  # DNS: a name of at most 253 characters, each label at most 63
# Names that only mean something on the user's own machine or network (RFC 6761, RFC 6762,
# RFC 8375, ICANN's .internal) and the private-use names routers hand out.
LOCAL_SUFFIXES = ("localhost", "local", "internal", "home.arpa", "localdomain", "lan", "intranet", "corp", "home")
LABEL = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?")
# `name:` starts a scheme unless a port number follows (`me.example.org:8443/` has no scheme).
SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):(?!\d+(?:[/?#]|$))", re.IGNORECASE)
# A fediverse handle, `@user@server`: the account is https://server/@user.
HANDLE = re.compile(r"@(?P<user>[^@/\s:?#]+)@(?P<host>[^@/\s?#]+)")
# `@alex` or `alex@server` alone: a handle that does not say where it lives, or an email address.
INCOMPLETE_HANDLE = re.compile(r"@?[^@/\s:?#]+(?:@[^@/\s:?#]+)?")
# `user:password@` typed without a scheme, where it reads as one (`alex:pw@host`); and anywhere.
SCHEMELESS_CREDENTIALS = re.compile(r"[^/?#@\s:]+:[^/?#@\s]*@")
CREDENTIALS = re.compile(rf"(?<=//)[^/?#]*@|{SCHEMELESS_CREDENTIALS.pattern}")


# How a platform's name is written in a message, where its adapter's `name` (lower-case, an
# identifier) would read wrong: "an X page", "a GitHub page", not "a x page".
PLATFORM_TITLES = {"github": "GitHub", "linkedin": "LinkedIn", "tiktok": "TikTok", "x": "X", "youtube": "YouTube"}


def platform_title(name: str) -> str:
    """The platform called `name` by an adapter, as people write it: "Instagram", "X"."""
    return PLATFORM_TITLES.get(name, name.capitalize())


def a_page_of(name: str) -> str:
    """"an Instagram page", "an X page" (said "ex"), "a Mastodon page"."""
    title = platform_title(name)
    return f"{'an' if title[0] in 'AEIOUX' else 'a'} {title} page"


class AddressRefused(UsageError):
    """An address refused for its form, on any platform. `advice` says what to give instead; the
    hint adds an example, the platform's own once the registry knows which platform it was for."""

    def __init__(self, message: str, advice: str, example: str = GENERIC_EXAMPLE) -> None:
        super().__init__(message, f"{advice}, e.g. {example}")
        self.advice = advice

    def with_example(self, example: str) -> AddressRefused:
        return AddressRefused(self.message, self.advice, example)


def shown(text: str, limit: int = 120) -> str:
    """`text` safe to repeat in a message: no user name or password, at most `limit` characters.
    (Only the first MAX_URL characters are searched: the search is quadratic in the worst case.)"""
    text = CREDENTIALS.sub("…@", text[:MAX_URL])
    return text if len(text) <= limit else f"{text[:limit]}…"


def without_credentials(text: str) -> str:
    """`text` with any `user:password@` removed: enough to tell which platform it was for (its
    first MAX_URL characters, as `shown`)."""
    return CREDENTIALS.sub("", text[:MAX_URL])


def normal_form(text: str) -> str:
    """`text` as one absolute URL (or the `mailto:` address Gravatar takes), or AddressRefused."""
    text = text.strip()
    _check_length(text)
    if text.lower().startswith("mailto:"):
        return text  # the Gravatar adapter reads the address and writes it lower-case
    if any(char.isspace() or not char.isprintable() for char in text):
        raise AddressRefused(f"{shown(text)!r} has spaces or control characters in it",
                             "give one address at a time, as your browser shows it")
    if SCHEMELESS_CREDENTIALS.match(text):
        raise _credentials(text)
    handle = HANDLE.fullmatch(text)
    if handle:
        text = f"https://{handle['host']}/@{handle['user']}"
    elif INCOMPLETE_HANDLE.fullmatch(text) and "@" in text:
        raise AddressRefused(
            f"{shown(text)!r} does not say which platform or server the account is on",
            "give your profile's address, a Mastodon handle with its server (@you@mastodon.social) "
            "or, for Gravatar, mailto:you@example.org",
        )
    scheme = SCHEME.match(text)
    if scheme is None:
        text = "https://" + text.removeprefix("//")  # `reddit.com/u/spez`: typed without a scheme
    elif scheme[1].lower() not in ("http", "https"):
        raise AddressRefused(f"{shown(text)!r} is not a web address ({scheme[1].lower()}:)",
                             "faceaudit visits web addresses (http or https) only")
    return _normal_url(text)


def _check_length(text: str) -> None:
    if not text:
        raise AddressRefused("the address is empty", "give the full address of your profile")
    if len(text) > MAX_URL:
        raise AddressRefused(f"the address is {len(text):,} characters long; an account's is at most {MAX_URL:,}",
                             "give the address of your profile as your browser shows it")


def _normal_url(text: str) -> str:
    try:
        parts = urlsplit(text)
    except ValueError:  # unbalanced or misplaced brackets
        raise _bad_host(text) from None
    if "@" in parts.netloc:
        raise _credentials(text)
    host = _normal_host(parts, text)
    port = _port(parts, text)
    default = {"https": 443, "http": 80}[parts.scheme.lower()]
    authority = host if port in (None, default) else f"{host}:{port}"
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{authority}{parts.path or '/'}{query}"


def _port(parts: SplitResult, text: str) -> int | None:
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise AddressRefused(f"{shown(text)!r} has an invalid port", "a port is a number from 1 to 65535")
    return port


def _normal_host(parts: SplitResult, text: str) -> str:
    """The host, lower-case, without its trailing dot, international names in their ASCII form."""
    host = (parts.hostname or "").rstrip(".")
    if ("[" in parts.netloc or "]" in parts.netloc) and not _is_bracketed_ipv6(parts.netloc):
        raise _bad_host(text)
    if not host:
        raise AddressRefused(f"{shown(text)!r} has no host name", "give the full address of your profile")
    if "*" in host:
        raise AddressRefused(f"{shown(text)!r} is a wildcard, not one address",
                             "list each of your sites by its own address")
    if ip_literal(host) is not None or looks_numeric(host):
        return _address_host(host)
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        host = ""
    if len(host) > MAX_HOST or not all(LABEL.fullmatch(label) for label in host.split(".")):
        raise _bad_host(text)
    if "." not in host or any(host == suffix or host.endswith(f".{suffix}") for suffix in LOCAL_SUFFIXES):
        raise AddressRefused(f"{host} is a name on your own machine or network, not a public site",
                             "faceaudit checks what strangers see on the internet: give a public address")
    return host


def _credentials(text: str) -> AddressRefused:
    return AddressRefused(f"{shown(text)!r} has a user name or password in it",
                          "faceaudit never logs in: give the address without the part before @")


def _bad_host(text: str) -> AddressRefused:
    return AddressRefused(f"{shown(text)!r} does not have a valid host name", "give the address as your browser shows it")


def _is_bracketed_ipv6(netloc: str) -> bool:
    """Is the host `[an IPv6 address]`, brackets only around it, a port at most after it?"""
    bracketed = re.fullmatch(r"\[([^\[\]]*)\](?::[^\[\]]*)?", netloc)
    ip = ip_literal(bracketed[1]) if bracketed else None
    return ip is not None and ip.version == 6


def _address_host(host: str) -> str:
    """An IP address as the host: kept when public and written plainly, else refused."""
    ip = ip_literal(host)
    if ip is None:  # `2130706433`, `0x7f.1`: a browser reads an IPv4 address in it
        decoded = numeric_ipv4(host)
        what = (f"the {address_kind(decoded)} address {decoded} written as a number" if decoded is not None
                else "a numeric host that is not an address")
        raise AddressRefused(f"{host} is {what}",
                             "give the site's name, or its public address as four decimal numbers")
    kind = address_kind(ip)
    if kind != "public":
        article = "an" if kind[0] in "aeiou" else "a"
        raise AddressRefused(f"{host} is {article} {kind} address, not a public one",
                             "faceaudit checks what strangers see on the internet: give a public address")
    return f"[{ip.compressed}]" if ip.version == 6 else str(ip)
