"""Per-platform privacy advice: JSON files beside this module, each entry with its source and date.

One file per platform (named after the adapter: ``mastodon.json``, ``web.json``...) plus
``general.json``. `advice_for` picks the entries that answer what a scan found on one account.

``applies_to`` says when an entry is relevant; an entry is chosen when any of its conditions holds:

- an image kind (``avatar``, ``banner``, ``cover``, ``post``, ``video_thumbnail``, ``page_image``,
  ``share_image``): a finding of that kind. A ``cover`` finding also counts as ``banner`` (both are
  the wide picture across a profile's top) and a ``video_thumbnail`` as ``post`` (it is published
  with the video), so a platform file needs to name them only when its advice for them differs;
- ``any``: the account has at least one finding;
- ``gps``: a finding's file carries GPS coordinates;
- ``metadata``: a finding's file carries a capture time, camera or camera serial;
- ``indexable``: the account has findings and its pages were not seen to refuse indexing;
- ``other_faces``: a finding's photo also shows other people's faces;
- ``fact:NAME``: the account has findings and the crawl saw the account fact NAME set
  (`AccountReport.facts`, e.g. ``fact:discoverable`` on Mastodon).

``unless`` (optional) lists account facts that make an entry moot: `instagram-private-account`
is not advised for an account already seen private.

``settings_url`` says where the change is made: an https URL, ``""`` when there is no settings
page (your own website, a fact), or a URL with placeholders filled from the listed account:
``{account}`` (the account URL itself: the profile where the picture is edited) and ``{host}``
(its server, for Mastodon). Each file also says what stays public whatever the settings
(top-level ``always_public``).

An account with no finding gets no advice: there is nothing of the user's face to change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from faceaudit.errors import FaceauditError
from faceaudit.report.model import FindingReport
from faceaudit.types import ImageKind

GENERAL = "general"
KINDS = frozenset(kind.value for kind in ImageKind)
CONDITIONS = KINDS | {"any", "gps", "metadata", "indexable", "other_faces"}
FACT_PREFIX = "fact:"
ALSO_COUNTS_AS = {ImageKind.COVER.value: ImageKind.BANNER.value, ImageKind.VIDEO_THUMBNAIL.value: ImageKind.POST.value}
REQUIRED = ("id", "applies_to", "do", "advice", "where", "always_public", "source", "checked")
_SITE_NAME = re.compile(r"[a-z0-9_]+")
_FACT_NAME = re.compile(r"[a-z0-9_]+")
_PLACEHOLDER = re.compile(r"\{(account|host)\}")


@dataclass(frozen=True)
class AdviceItem:
    """One thing to change (or to know), where to change it, and where the fact comes from."""

    id: str
    platform: str  # the file it came from: "mastodon", "web", ..., "general"
    applies_to: tuple[str, ...]
    advice: str
    where: str  # menu path or place to make the change
    always_public: bool | str  # False, or what stays public whatever the settings
    source: str  # https URL the fact comes from
    checked: str  # ISO date the source was last checked
    source_note: str = ""
    do: str = ""  # the change in a few words ("Use a profile picture without your face")
    settings_url: str = ""  # where to make the change; may hold {account} / {host}; "" for none
    unless: tuple[str, ...] = ()  # account facts that make this entry moot

    def settings_link(self, account_url: str) -> str:
        """`settings_url` for one listed account, placeholders filled; "" when there is none."""
        host = urlsplit(account_url).netloc
        return _PLACEHOLDER.sub(lambda m: account_url if m[1] == "account" else host, self.settings_url)

    @property
    def kinds(self) -> frozenset[str]:
        """The image kinds this entry answers (with cover/video_thumbnail folded in)."""
        named = KINDS.intersection(self.applies_to)
        return frozenset(named | {k for k, v in ALSO_COUNTS_AS.items() if v in named})

    @property
    def is_general_fact(self) -> bool:
        """True for facts worth telling once per report (cloaking, removal routes)."""
        return self.platform == GENERAL and "any" in self.applies_to


@dataclass(frozen=True)
class PlatformAdvice:
    platform: str
    name: str  # what a person calls it: "Mastodon", "Personal website"
    entries: tuple[AdviceItem, ...]
    always_public: str = ""  # what stays public whatever the settings


class AdviceDataError(FaceauditError):
    """An advice file that ships with faceaudit is malformed: a bug, not a user error."""

    ref = "advice-data"


@cache
def load(platform: str) -> PlatformAdvice | None:
    """The advice file for `platform` ("general" included), or None when there is none."""
    if not _SITE_NAME.fullmatch(platform):
        return None
    resource = resources.files(__name__).joinpath(f"{platform}.json")
    if not resource.is_file():
        return None
    try:
        raw = json.loads(resource.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise _malformed(platform, f"not valid JSON: {exc}") from exc
    return _parse(platform, raw)


def platform_name(site: str) -> str:
    advice = load(site)
    return advice.name if advice and site != GENERAL else site


def general_facts() -> list[AdviceItem]:
    """Facts worth telling once per report, whatever was found."""
    general = load(GENERAL)
    return [item for item in general.entries if item.is_general_fact] if general else []


def other_people_advice() -> AdviceItem | None:
    """What to consider about other people in your public photos (they stay a count)."""
    general = load(GENERAL)
    return next((i for i in general.entries if "other_faces" in i.applies_to), None) if general else None


def conditions(
    findings: Iterable[FindingReport], indexable: bool | None, facts: Mapping[str, Any] | None = None
) -> set[str]:
    """The `applies_to` conditions that hold for one account's findings (and its facts)."""
    found: set[str] = set()
    for finding in findings:
        found |= {"any", finding.kind.value}
        if finding.kind.value in ALSO_COUNTS_AS:
            found.add(ALSO_COUNTS_AS[finding.kind.value])
        if finding.has_gps:
            found.add("gps")
        if finding.other_metadata:
            found.add("metadata")
        if finding.other_faces:
            found.add("other_faces")
    if found and indexable is not False:
        found.add("indexable")
    if found and facts:
        found |= {f"{FACT_PREFIX}{name}" for name, value in facts.items() if value is True}
    return found


def moot(item: AdviceItem, facts: Mapping[str, Any] | None) -> bool:
    """True when an account fact makes the entry pointless (advising "go private" to a private account)."""
    return facts is not None and any(facts.get(name) is True for name in item.unless)


def advice_for(
    site: str,
    findings: list[FindingReport],
    indexable: bool | None,
    facts: Mapping[str, Any] | None = None,
) -> list[AdviceItem]:
    """The platform's entries that answer these findings, then the general ones.

    Unknown sites get general advice only; an account without findings gets none.
    """
    holds = conditions(findings, indexable, facts)
    if not holds:
        return []
    chosen: list[AdviceItem] = []
    for name in (site, GENERAL) if site != GENERAL else (GENERAL,):
        advice = load(name)
        if advice:
            chosen += [
                item
                for item in advice.entries
                if holds.intersection(item.applies_to) and not moot(item, facts)
            ]
    return chosen


def _parse(platform: str, raw: Any) -> PlatformAdvice:
    if not isinstance(raw, dict) or raw.get("platform") != platform:
        raise _malformed(platform, f'top level must be an object with "platform": "{platform}"')
    if not isinstance(raw.get("name"), str) or not isinstance(raw.get("entries"), list):
        raise _malformed(platform, 'needs a "name" string and an "entries" list')
    if not isinstance(raw.get("always_public"), str) or not raw["always_public"].strip():
        raise _malformed(platform, 'needs an "always_public" text: what stays public whatever the settings')
    items = tuple(_parse_entry(platform, entry) for entry in raw["entries"])
    return PlatformAdvice(platform=platform, name=raw["name"], entries=items, always_public=raw["always_public"])


def _parse_entry(platform: str, entry: Any) -> AdviceItem:
    if not isinstance(entry, dict):
        raise _malformed(platform, "every entry must be an object")
    label = entry.get("id", "?")
    missing = [key for key in REQUIRED if entry.get(key) in (None, "", [])]
    if missing:
        raise _malformed(platform, f"entry {label} lacks {', '.join(missing)}")
    text_fields = ("id", "do", "advice", "where", "source", "checked")
    if not all(isinstance(entry[key], str) for key in text_fields):
        raise _malformed(platform, f"entry {label}: {', '.join(text_fields)} must be strings")
    applies_to = entry["applies_to"]
    facts_named = {c for c in applies_to if isinstance(c, str) and c.startswith(FACT_PREFIX)}
    if not all(_FACT_NAME.fullmatch(c[len(FACT_PREFIX):]) for c in facts_named):
        raise _malformed(platform, f"entry {label}: fact conditions are fact:name (lower case)")
    if not isinstance(applies_to, list) or not set(applies_to) - facts_named <= CONDITIONS:
        raise _malformed(
            platform, f"entry {label}: applies_to must be a list of {sorted(CONDITIONS)}"
        )
    if not isinstance(entry["always_public"], (bool, str)):
        raise _malformed(platform, f"entry {label}: always_public must be true/false or text")
    if not entry["source"].startswith("https://"):
        raise _malformed(platform, f"entry {label}: source must be an https URL")
    try:
        date.fromisoformat(entry["checked"])
    except ValueError as exc:
        raise _malformed(platform, f"entry {label}: checked must be an ISO date") from exc
    settings_url = entry.get("settings_url")
    if not isinstance(settings_url, str):
        raise _malformed(platform, f"entry {label} lacks settings_url (\"\" when there is no settings page)")
    if settings_url and not (settings_url.startswith(("https://", "{account}")) and " " not in settings_url):
        raise _malformed(platform, f"entry {label}: settings_url must be an https URL, {{account}}-based, or empty")
    unless = entry.get("unless", [])
    if not isinstance(unless, list) or not all(isinstance(n, str) and _FACT_NAME.fullmatch(n) for n in unless):
        raise _malformed(platform, f"entry {label}: unless must be a list of account fact names")
    return AdviceItem(
        id=entry["id"],
        platform=platform,
        applies_to=tuple(applies_to),
        advice=entry["advice"],
        where=entry["where"],
        always_public=entry["always_public"],
        source=entry["source"],
        checked=entry["checked"],
        source_note=str(entry.get("source_note", "")),
        do=entry["do"],
        settings_url=settings_url,
        unless=tuple(unless),
    )


def _malformed(platform: str, why: str) -> AdviceDataError:
    return AdviceDataError(
        f"advice file {platform}.json is malformed: {why}",
        "this is a bug in faceaudit; please report it",
    )
