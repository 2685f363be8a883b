"""From findings to actions: what to change, where, and in which order (the riskiest first).

Each account's findings are answered by its platform's advice entries (advice/*.json): every
photo goes to the first entry that names its kind (the *primary* entry), and one action per
entry lists the photos it fixes. Entries that also answer those photos (tag review beside
post audience) join that action as "also". Entries that only make photos harder to find
(search engines, discovery) become their own, lower-ranked action; entries made moot by what
the crawl saw (a private account) are left out. A photo whose file carries GPS is one action
wherever it appears (matched by content), and other metadata one action per account.

Risk, the ranking (README, "How the report ranks what to change"):

    risk = R × D × C × M
    R  best recognisability (0-100) among the action's photos; a "maybe" counts half
    D  discoverability: 1, +0.5 when search engines may index the page (no noindex /
       X-Robots-Tag seen), +0.5 when a photo sits in an always-public slot (profile
       picture, header, cover, link preview)
    C  how many: 1 + log2(number of photos)
    M  what the action changes: 1 the photos themselves; 1.5 GPS in a photo of your face
       (a face and a place); 0.5 other metadata, and settings that only make photos harder
       to find

Other people's faces are never an action about them: the report counts them (`others_summary`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from faceaudit.report.advice import GENERAL, AdviceItem, advice_for, platform_name
from faceaudit.report.model import KIND_LABELS, AccountReport, FindingReport, ReportData
from faceaudit.types import Verdict

PHOTO, REACH, GPS, METADATA = "photo", "reach", "gps", "metadata"
WEIGHT = {PHOTO: 1.0, REACH: 0.5, GPS: 1.5, METADATA: 0.5}
STRIP_METADATA = "general-strip-metadata"
# How an account fact named in `applies_to` (fact:NAME) reads in a sentence.
FACT_PHRASES = {
    "discoverable": "is featured in discovery",
    "indexable": "has its public posts in full-text search",
}
# What "risk N" means, said once wherever risks are shown: the formula above, in words.
RISK_MEANING = (
    "Risk = how clearly your face shows (0–100, a maybe counts half) × how findable (×1 to ×2: "
    "search engines, always-public pictures) × how many photos (1 + log₂ of the count) × what it "
    "fixes (×1.5 your face with a GPS place, ×0.5 file details or search settings)."
)
# Plural forms of KIND_LABELS for counts ("3 posts").
PLURAL = {"photo on a page": "photos on a page"}


@dataclass(frozen=True)
class Action:
    """One thing to change: what was found, what to do, where, and the source that says so."""

    key: str  # stable: which account and advice entry (or which photo, for GPS)
    category: str  # PHOTO | REACH | GPS | METADATA
    account_url: str
    site: str
    problem: str  # what was found, one sentence
    advice: AdviceItem  # what to do, where, and its source
    settings_url: str  # the advice's settings page for this account; "" when there is none
    photos: tuple[FindingReport, ...]  # the photos of you it concerns
    risk: int
    also: tuple[AdviceItem, ...] = ()  # further entries that answer the same photos
    number: int = 0  # rank: 1 = do this first

    @property
    def platform(self) -> str:
        return platform_name(self.site)

    @property
    def image_urls(self) -> list[str]:
        return list(dict.fromkeys(f.image_url for f in self.photos))


@dataclass
class ActionPlan:
    """Every action of a report, ranked, numbered and counted."""

    actions: list[Action] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.actions)

    def for_account(self, url: str) -> list[Action]:
        return [a for a in self.actions if a.account_url == url]

    def counts(self) -> dict[str, int]:
        """Actions per platform name, in rank order of each platform's first action."""
        counted: dict[str, int] = {}
        for action in self.actions:
            counted[action.platform] = counted.get(action.platform, 0) + 1
        return counted


def plan(report: ReportData) -> ActionPlan:
    """The report's actions: built per account, deduplicated, ranked by risk."""
    merged: dict[str, Action] = {}
    for account in report.accounts:
        for action in account_actions(account):
            earlier = merged.get(action.key)
            merged[action.key] = action if earlier is None else _merge(earlier, action)
    order = {PHOTO: 0, GPS: 1, METADATA: 2, REACH: 3}
    ranked = sorted(merged.values(), key=lambda a: (-a.risk, order[a.category], a.platform, a.key))
    return ActionPlan([replace(a, number=n) for n, a in enumerate(ranked, start=1)])


def risk(account: AccountReport, photos: tuple[FindingReport, ...], category: str) -> int:
    """R × D × C × M: see the module docstring."""
    if not photos:
        return 0
    recognisable = max(f.recognisability * (1.0 if f.verdict is Verdict.YOU else 0.5) for f in photos)
    discoverable = 1.0 + 0.5 * (account.indexable is not False) + 0.5 * any(f.in_slot for f in photos)
    breadth = 1.0 + math.log2(len(photos))
    return round(recognisable * discoverable * breadth * WEIGHT[category])


def account_actions(account: AccountReport) -> list[Action]:
    if not account.findings:
        return []
    chosen = [
        item
        for item in advice_for(account.site, account.findings, account.indexable, account.facts)
        if not item.is_general_fact
    ]
    own = [item for item in chosen if item.platform != GENERAL]
    actions: list[Action] = []

    # The photos themselves: each to its primary entry.
    covered: dict[str, list[FindingReport]] = {}
    primaries: dict[str, AdviceItem] = {}
    for finding in account.findings:
        entry = _primary(finding.kind, own)
        if entry is not None:
            covered.setdefault(entry.id, []).append(finding)
            primaries[entry.id] = entry
    photo_actions: dict[str, Action] = {}
    for entry_id, found in covered.items():
        entry, photos = primaries[entry_id], tuple(found)
        photo_actions[entry_id] = _action(account, PHOTO, f"{account.url}|{entry_id}", entry, photos,
                                          _photo_problem(account, entry, photos))

    leaks = [f for f in account.findings if f.has_gps or f.other_metadata]
    gps_entries = [i for i in own if "gps" in i.applies_to and not i.kinds]
    strip = next((i for i in chosen if i.id == STRIP_METADATA), None)
    reach: list[AdviceItem] = []
    for entry in own:
        if entry.id in primaries or entry in gps_entries:
            continue
        also_for = [f for f in account.findings if f.kind in entry.kinds]
        if also_for:  # another entry for photos that already have their action
            target = _primary(also_for[0].kind, own)
            if target is not None and target.id in photo_actions:
                current = photo_actions[target.id]
                photo_actions[target.id] = replace(current, also=(*current.also, entry))
            continue
        if {"gps", "metadata"}.issuperset(entry.applies_to):
            continue
        reach.append(entry)
    if reach:  # settings that make the same photos harder to find: one action, the rest "also"
        photos = tuple(account.findings)
        actions.append(_action(account, REACH, f"{account.url}|{reach[0].id}", reach[0], photos,
                               _reach_problem(account, reach, photos), also=tuple(reach[1:])))
    actions += photo_actions.values()

    if strip is not None and leaks:
        for finding in (f for f in leaks if f.has_gps):
            key = f"gps|{finding.sha256 or finding.image_url}"
            actions.append(_action(account, GPS, key, strip, (finding,), _gps_problem(finding),
                                   also=tuple(gps_entries)))
        rest = tuple(f for f in leaks if not f.has_gps)
        if rest:
            actions.append(_action(account, METADATA, f"{account.url}|metadata", strip, rest,
                                   _metadata_problem(account, rest)))
    return actions


def _primary(kind: str, entries: list[AdviceItem]) -> AdviceItem | None:
    """The first entry naming this kind; else the platform's first entry for any finding."""
    named = next((e for e in entries if kind in e.kinds), None)
    return named or next((e for e in entries if "any" in e.applies_to), None)


def _action(account: AccountReport, category: str, key: str, entry: AdviceItem,
            photos: tuple[FindingReport, ...], problem: str, also: tuple[AdviceItem, ...] = ()) -> Action:
    return Action(key=key, category=category, account_url=account.url, site=account.site,
                  problem=problem, advice=entry, settings_url=entry.settings_link(account.url),
                  photos=photos, risk=risk(account, photos, category), also=also)


def _merge(first: Action, second: Action) -> Action:
    """The same change found twice (one photo's GPS on two accounts): one action, all photos."""
    photos = first.photos + tuple(p for p in second.photos if p.image_url not in first.image_urls)
    keep = first if first.risk >= second.risk else second
    problem = _gps_problem(photos[0], len(photos) - 1) if keep.category == GPS else keep.problem
    return replace(keep, photos=photos, risk=max(first.risk, second.risk), problem=problem)


# -- the sentences ---------------------------------------------------------------------------------
def _shows(photos: tuple[FindingReport, ...]) -> str:
    verb = "shows" if len(photos) == 1 else "show"
    if all(f.verdict is Verdict.MAYBE for f in photos):
        return "may show your face"
    clearly = " clearly" if any(f.well_recognisable and f.verdict is Verdict.YOU for f in photos) else ""
    return f"{verb} your face{clearly}"


def _kinds_text(photos: tuple[FindingReport, ...]) -> str:
    """ "3 posts and 1 video still" """
    counted: dict[str, int] = {}
    for f in photos:
        label = KIND_LABELS[f.kind]
        counted[label] = counted.get(label, 0) + 1
    parts = [f"{n} {PLURAL.get(label, label + 's') if n > 1 else label}" for label, n in counted.items()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _photo_problem(account: AccountReport, entry: AdviceItem, photos: tuple[FindingReport, ...]) -> str:
    name = platform_name(account.site)
    if all(f.in_slot for f in photos):
        labels = " and ".join(dict.fromkeys(KIND_LABELS[f.kind] for f in photos))
        text = f"Your current {name} {labels} {_shows(photos)}"
        if account.facts.get("is_private") is True:
            text += f" and {'is' if len(photos) == 1 else 'are'} public even on a private account"
        elif entry.always_public:
            text += f" and {'stays' if len(photos) == 1 else 'stay'} public whatever your settings"
        return text
    text = f"{name}: {_kinds_text(photos)} {_shows(photos)}"
    if account.indexable is not False:
        text += f"; search engines may index {'it' if len(photos) == 1 else 'them'}"
    return text


def _reach_problem(account: AccountReport, entries: list[AdviceItem], photos: tuple[FindingReport, ...]) -> str:
    name = platform_name(account.site)
    reasons: list[str] = []
    for entry in entries:
        if "indexable" in entry.applies_to and account.indexable is not False:
            reasons.append("may be indexed by search engines")
        for condition in entry.applies_to:
            fact = condition.removeprefix("fact:")
            if condition != fact and account.facts.get(fact) is True:
                reasons.append(FACT_PHRASES.get(fact, f"is set {fact}"))
    reasons = list(dict.fromkeys(reasons)) or ["shows them to anyone who opens it, logged out"]
    count = f"{len(photos)} photo{'s' if len(photos) != 1 else ''} of you"
    place = "your site" if account.site == "web" else "your account"
    said = reasons[0] if len(reasons) == 1 else ", ".join(reasons[:-1]) + " and " + reasons[-1]
    return f"{name}: {place} with {count} {said}"


def _gps_problem(finding: FindingReport, more_places: int = 0) -> str:
    where = f" (and {more_places} more place{'s' if more_places != 1 else ''})" if more_places else ""
    return (f"The photo at {finding.image_url}{where} carries the GPS coordinates of where it was taken, "
            "together with your face")


def _metadata_problem(account: AccountReport, photos: tuple[FindingReport, ...]) -> str:
    what = []
    if any(f.metadata.taken_at for f in photos):
        what.append("when")
    if any(f.metadata.camera or f.metadata.camera_serial for f in photos):
        what.append("with which camera")
    serial = any(f.metadata.camera_serial for f in photos)
    count = f"{len(photos)} photo{'s' if len(photos) != 1 else ''} of you"
    text = f"{platform_name(account.site)}: {count} give{'s' if len(photos) == 1 else ''} away {' and '.join(what)} it was taken"
    return text + (" (a camera serial number links photos across sites)" if serial else "")
