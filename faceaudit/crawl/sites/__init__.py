"""The adapter registry: `find(url)` returns the adapter for an account URL, or refuses it.

Each adapter declares `pattern` (its account URLs) and `refuse` (its other URLs: single posts,
searches, help pages). The first adapter whose pattern matches takes the URL; a URL that some
adapter refuses is rejected with that platform's example, so a post on Instagram is never
crawled as if it were a personal website. The generic web adapter comes last and takes the rest.

Adapters are found by listing this package: every module that defines `SITE` is one, so adding
a platform is adding a module, with no list to edit. Platforms are tried in name order and the
`catch_all` adapter (web) last; no platform's example may be claimed or refused by another
(tests/test_registry.py), so the order between platforms does not decide where an account goes.

`account(text)` is what `accounts add` uses: the address as a person typed it (`twitter.com/jack`,
`@alex@mastodon.social`) made regular and checked (address.py), handed to its adapter, and stored
in the adapter's one canonical form (`Site.account_url`); `find` takes an address as stored.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from faceaudit.crawl.sites import address
from faceaudit.crawl.sites.base import Site
from faceaudit.errors import UsageError

# Modules here that are shared vocabulary for the adapters, not adapters themselves.
NOT_ADAPTERS = frozenset({"address", "base", "rendered"})


def adapter_modules() -> list[str]:
    """The names of the modules in this package that may hold an adapter, in name order.

    Read from `__path__` on every call (a few dozen file names), so a folder added to it, as
    the registry's meta-test does, is seen at once.
    """
    names = {info.name for info in pkgutil.iter_modules(__path__)}
    return sorted(name for name in names if not name.startswith("_") and name not in NOT_ADAPTERS)


def site_classes() -> list[type[Site]]:
    """Every adapter class (each module's `SITE`): platforms in name order, the catch-all last."""
    classes: list[type[Site]] = []
    for name in adapter_modules():
        site = getattr(importlib.import_module(f"{__name__}.{name}"), "SITE", None)
        if isinstance(site, type) and issubclass(site, Site):
            classes.append(site)
    return sorted(classes, key=lambda cls: (cls.catch_all, cls.name))


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
                f"{url!r} is {address.a_page_of(cls.name)}, but not the address of an account's profile",
                f"give your profile's address, e.g. {cls.example}",
            )
    raise UsageError(
        f"{url!r} is not an account URL faceaudit understands",
        "give the full address of your profile, e.g. https://mastodon.social/@you or https://you.example.org/",
    )


def account(text: str) -> Site:
    """The adapter for an account address as a person typed it, with `.url` its canonical form
    (one spelling per account, see `canonical`); a UsageError with the platform's example when it
    is refused, by its form (address.py) or by its platform (`find`)."""
    try:
        url = address.normal_form(text)
    except address.AddressRefused as refused:
        example = _platform_example(address.without_credentials(text.strip()))
        raise (refused.with_example(example) if example else refused) from None
    site = find(_platform_https(url))
    canonical_url = site.account_url()
    return site if canonical_url == site.url else find(canonical_url)


def canonical(text: str) -> str:
    """The one address stored for the account at `text`: `https://Mastodon.Social/@Alex/`,
    `@alex@mastodon.social` and `mastodon.social/@alex` are all `https://mastodon.social/@alex`."""
    return account(text).url


def _platform_https(url: str) -> str:
    """`url` on https when it was typed with http and a platform takes it on https: platforms
    serve their profiles on https, and some adapters' patterns take nothing else."""
    if not url.startswith("http://"):
        return url
    secure = "https://" + url.removeprefix("http://")
    taken = any(cls.pattern.match(secure) for cls in site_classes() if not cls.catch_all)
    return secure if taken else url


def _platform_example(text: str) -> str | None:
    """The example of the platform a refused address was meant for (None: no platform's), so the
    hint shows what that platform's accounts look like."""
    url = text if "://" in text or text.lower().startswith("mailto:") else f"https://{text}"
    url = re.sub(r"^([a-z]+://[^/?#]*?):[^/?#@]*(?=[/?#]|$)", r"\1", url, flags=re.IGNORECASE)  # any port
    for cls in site_classes():
        if cls.catch_all:
            continue
        if cls.pattern.match(url) or (cls.refuse is not None and cls.refuse.match(url)):
            return cls.example
    return None
