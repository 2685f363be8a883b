"""The data a report reads (one scan, its accounts, the photos of the user's face on each),
and the sentences every renderer uses to describe it, so terminal and HTML say the same.

Someone else builds a `ReportData` from the workspace; the renderers only read it. Nothing
here can hold another person's data: other people appear only as counts (`other_faces`).

Exposure rule (`AccountReport.exposure`), from the account's findings:

- ``"none"``   no finding at all (neither "you" nor "maybe").
- ``"high"``   at least one "you" finding that a face scraper can use well
               (recognisability >= 60), or a "you" finding whose file carries GPS
               (your face together with a place).
- ``"medium"`` any other "you" finding, or a "maybe" finding with recognisability >= 60.
- ``"low"``    only "maybe" findings with recognisability below 60.

The report as a whole (`ReportData.exposure`) is its most exposed account's level, and says
what was checked (`ReportData.coverage`): each account was seen to the end (or seen private, or
gone), seen in part (faceaudit's cap, a login wall or rate limit after some photos), or not seen
(an error, a block, not reached). A level is only "none" when every account was seen to the
end; with no finding on accounts not all seen, it is ``"unknown"``, and a level found while some
accounts were not seen in full is "at least" that level (`ReportData.exposure_at_least`).

What to do about it, ranked, is `actions.py`; what changed since the previous scan is `Comparison`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from faceaudit.types import Box, CrawlCost, ImageKind, ImageMetadata, StopReason, TextEnum, Verdict

# A face this recognisable (0-100) is useful to a face-recognition scraper.
WELL_RECOGNISABLE = 60

EXPOSURE_LEVELS = ("high", "medium", "low", "none")
UNKNOWN = "unknown"  # nothing found, but not every account could be seen to the end
# Slots a profile shows whatever its settings on most platforms, and wherever the account
# appears (replies, comments, link previews): the fix is a different picture.
SLOT_KINDS = frozenset({ImageKind.AVATAR, ImageKind.BANNER, ImageKind.COVER, ImageKind.SHARE_IMAGE})
KIND_LABELS: dict[ImageKind, str] = {
    ImageKind.AVATAR: "profile picture",
    ImageKind.BANNER: "header image",
    ImageKind.COVER: "cover photo",
    ImageKind.SHARE_IMAGE: "link-preview picture",
    ImageKind.POST: "post",
    ImageKind.VIDEO_THUMBNAIL: "video still",
    ImageKind.PAGE_IMAGE: "photo on a page",
}

# How the report words things; shared by every renderer so they say the same.
EXPOSURE_MEANING = {
    "high": "a face scraper can use these photos well",
    "medium": "photos of you are public, but small, unclear or uncertain",
    "low": "only uncertain matches that are hard to use",
    "none": "no photo of your face found",
    UNKNOWN: "not every account could be checked, so faceaudit cannot say",
}
STOP_LABELS: dict[StopReason, str] = {
    StopReason.END: "saw everything",
    StopReason.CAP: "faceaudit's own limit",
    StopReason.LOGIN_WALL: "login wall",
    StopReason.RATE_LIMITED: "rate limited",
    StopReason.BLOCKED: "blocked",
    StopReason.NOT_FOUND: "not found",
    StopReason.PRIVATE: "private account",
    StopReason.ERROR: "error",
    StopReason.NOT_SCANNED: "not reached by this scan",
}
VERDICT_LABELS: dict[Verdict, str] = {Verdict.YOU: "you", Verdict.MAYBE: "maybe you"}
# An account's level under "Exposure": never a bare "none" or "unknown".
ACCOUNT_EXPOSURE_LABELS = {
    "high": "high",
    "medium": "medium",
    "low": "low",
    "none": "nothing found",
    UNKNOWN: "cannot say",
}
STATUS_LABELS = {"complete": "complete", "interrupted": "interrupted, not finished",
                 "running": "still running, not finished"}
NOTHING_FOUND = "No public photo of your face was found on these accounts."
NOTHING_FOUND_IN_PART = "No photo of your face was found in what faceaudit could see."
NOTHING_HERE = "No photo of your face found here."
NOTHING_HERE_IN_PART = "No photo of your face found in the part faceaudit could see."
NOT_SEEN_HERE = "Not checked: faceaudit could not see this account (see why above)."
ACCOUNT_UNKNOWN = "this account was not seen to the end, so faceaudit cannot say"


class Seen(TextEnum):
    """How much of one account a scan saw."""

    WHOLE = "whole"  # to the end (or private, or gone): what is not found is not there
    PART = "part"  # some of it: faceaudit's cap, or a login wall or rate limit after some photos
    NONE = "none"  # nothing: an error, a block, a wall at the door, or not reached


# How much of an account was checked, after "Seen": "to the end", "in part", "not at all".
SEEN_LABELS: dict[Seen, str] = {Seen.WHOLE: "to the end", Seen.PART: "in part", Seen.NONE: "not at all"}

# Stop reasons after which everything a logged-out visitor can see was seen.
SEEN_WHOLE = frozenset({StopReason.END, StopReason.PRIVATE, StopReason.NOT_FOUND})


@dataclass
class FindingReport:
    """One photo on one account where the user's face was found."""

    image_url: str
    page_url: str
    kind: ImageKind
    verdict: Verdict  # YOU or MAYBE
    similarity: float
    box: Box  # the user's face, in the photo as displayed
    face_px: int  # height of the user's face box in pixels
    det_score: float
    recognisability: int  # 0-100
    other_faces: int  # other people's faces in the photo: a count, nothing more
    metadata: ImageMetadata  # what the file itself gives away
    alt: str = ""
    thumbnail_jpeg: bytes | None = None  # the user's own face only
    posted_at: str = ""  # ISO 8601 when the platform says; "" when unknown
    sha256: str = ""  # of the image bytes: the same photo at another URL is the same photo

    @property
    def has_gps(self) -> bool:
        return self.metadata.has_gps

    @property
    def in_slot(self) -> bool:
        """A profile picture, header, cover or link-preview picture: see SLOT_KINDS."""
        return self.kind in SLOT_KINDS

    @property
    def other_metadata(self) -> bool:
        """The file gives away when, or with which camera, it was taken."""
        return self.metadata.has_other

    @property
    def well_recognisable(self) -> bool:
        return self.recognisability >= WELL_RECOGNISABLE


@dataclass
class AccountReport:
    """One listed account: what the crawl saw and where the user's face is."""

    url: str
    site: str  # adapter name: "mastodon", "web", ...
    stop: StopReason
    stop_detail: str  # one line a person can read
    pages_visited: int
    indexable: bool | None  # None: unknown; False: noindex / X-Robots-Tag seen
    images_seen: int  # fetched and analysed
    images_failed: int  # could not be fetched or decoded
    other_faces: int  # faces of other people seen in this account's photos: a count
    findings: list[FindingReport]
    notes: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # CrawlResult.facts: drive the advice
    pages: list[str] = field(default_factory=list)  # the pages read, where the adapter records them
    cost: CrawlCost | None = None  # requests and bytes the crawl cost; None: not measured (older scans)

    @property
    def photos_with_you(self) -> int:
        return sum(1 for f in self.findings if f.verdict is Verdict.YOU)

    @property
    def photos_maybe_you(self) -> int:
        return sum(1 for f in self.findings if f.verdict is Verdict.MAYBE)

    @property
    def best_similarity(self) -> float | None:
        return max((f.similarity for f in self.findings), default=None)

    @property
    def biggest_face_px(self) -> int | None:
        return max((f.face_px for f in self.findings), default=None)

    @property
    def slots_with_you(self) -> int:
        """Always-public slots (profile picture, header, cover, link preview) showing your face."""
        return sum(1 for f in self.findings if f.verdict is Verdict.YOU and f.in_slot)

    @property
    def best_recognisability(self) -> int | None:
        return max((f.recognisability for f in self.findings), default=None)

    @property
    def photos_with_gps(self) -> int:
        return sum(1 for f in self.findings if f.has_gps)

    @property
    def photos_with_metadata(self) -> int:
        """Photos of you whose file gives away a capture time or camera (GPS counted apart)."""
        return sum(1 for f in self.findings if f.other_metadata)

    @property
    def photos_with_others(self) -> int:
        return sum(1 for f in self.findings if f.other_faces)

    @property
    def others_in_your_photos(self) -> int:
        return sum(f.other_faces for f in self.findings)

    @property
    def seen(self) -> Seen:
        """How much of the account this scan saw: see `Seen`."""
        if self.stop in SEEN_WHOLE:
            return Seen.WHOLE
        if self.stop is StopReason.CAP or self.images_seen + self.images_failed > 0:
            return Seen.PART
        return Seen.NONE

    @property
    def exposure(self) -> str:
        """ "high" / "medium" / "low" / "none" / "unknown": see the module docstring for the rule."""
        if not self.findings:
            return "none" if self.seen is Seen.WHOLE else UNKNOWN
        yours = [f for f in self.findings if f.verdict is Verdict.YOU]
        if any(f.well_recognisable or f.has_gps for f in yours):
            return "high"
        if yours or any(f.well_recognisable for f in self.findings):
            return "medium"
        return "low"


@dataclass
class ChangedPhoto:
    """A photo of you in one scan or the other, for "since last time"."""

    account_url: str
    site: str
    image_url: str
    page_url: str
    kind: ImageKind
    verdict: Verdict


@dataclass
class Comparison:
    """This scan against the previous complete one, photo by photo (matched by content or URL)."""

    previous_scan_id: int
    previous_scan_started: str
    new: list[ChangedPhoto]  # found now, not before
    still: list[ChangedPhoto]  # found both times
    resolved: list[ChangedPhoto]  # found before; its account was seen to the end now, and it is gone
    unconfirmed: list[ChangedPhoto]  # found before, not now, but its account was not fully seen now


@dataclass(frozen=True)
class Coverage:
    """What a scan checked: how many of the listed accounts it saw to the end, in part, or not."""

    accounts: int
    whole: int
    part: int
    none: int

    @property
    def complete(self) -> bool:
        """Every account seen to the end (an unfinished scan is incomplete on its own terms)."""
        return self.whole == self.accounts

    @property
    def nothing_seen(self) -> bool:
        return self.accounts > 0 and self.none == self.accounts

    @property
    def text(self) -> str:
        """ "checked 2 of 6 accounts to the end; 1 in part; 3 not seen" """
        if self.complete:
            return f"checked {'the' if self.accounts == 1 else 'all'} {_n(self.accounts, 'account')} to the end"
        parts = [f"checked {self.whole} of {_n(self.accounts, 'account')} to the end"]
        if self.part:
            parts.append(f"{self.part} in part")
        if self.none:
            parts.append(f"{self.none} not seen")
        return "; ".join(parts)


@dataclass
class ReportData:
    """One scan, ready to render."""

    generated_at: str
    scan_id: int
    scan_started: str
    scan_finished: str | None
    scan_status: str  # "complete" | "interrupted" | "running"
    engine: str
    thresholds: dict[str, float]  # {"you": .., "maybe": ..}
    accounts: list[AccountReport]
    history: Comparison | None = None  # None: no earlier complete scan to compare with
    warnings: list[str] = field(default_factory=list)  # shown first, in every format

    @property
    def exposure(self) -> str:
        """The most exposed account's level found; "none" only when every account was seen to
        the end, "unknown" when nothing was found but not every account was."""
        levels = [a.exposure for a in self.accounts]
        found = next((level for level in EXPOSURE_LEVELS[:-1] if level in levels), None)
        if found is not None:
            return found
        return "none" if self.coverage.complete else UNKNOWN

    @property
    def exposure_at_least(self) -> bool:
        """A level was found, but accounts not seen in full may hold more."""
        return self.exposure not in ("none", UNKNOWN) and not self.coverage.complete

    @property
    def coverage(self) -> Coverage:
        seen = [a.seen for a in self.accounts]
        return Coverage(len(seen), seen.count(Seen.WHOLE), seen.count(Seen.PART), seen.count(Seen.NONE))

    @property
    def photos_with_others(self) -> int:
        return sum(a.photos_with_others for a in self.accounts)

    @property
    def others_in_your_photos(self) -> int:
        return sum(a.others_in_your_photos for a in self.accounts)

    @property
    def nothing_found(self) -> bool:
        return not any(account.findings for account in self.accounts)

    @property
    def incomplete_note(self) -> str:
        """What an unfinished scan's "nothing found" covers; empty for a complete scan."""
        if self.scan_status == "complete":
            return ""
        if self.scan_status == "running":
            return "This covers only what has been checked so far."
        return "This covers only what was checked before the scan stopped."

    @property
    def partly_seen(self) -> list[AccountReport]:
        """Accounts whose crawl stopped before the end: our own cap, a login wall, a block..."""
        return [a for a in self.accounts if a.stop is not StopReason.END]


def headline(report: ReportData) -> tuple[str, str]:
    """(level as shown, what it means): "AT LEAST MEDIUM" when accounts not seen in full may
    hold more, "UNKNOWN" when nothing was found but not everything was seen."""
    level = report.exposure
    shown = f"at least {level}" if report.exposure_at_least else level
    return shown.upper(), EXPOSURE_MEANING[level]


def coverage_line(report: ReportData) -> str:
    """ "Checked 2 of 6 accounts to the end; 4 not seen." — always beside the headline."""
    text = report.coverage.text
    return text[:1].upper() + text[1:] + "."


def nothing_found_line(report: ReportData) -> str:
    """What "no finding" means for this scan; empty when something was found."""
    if not report.nothing_found:
        return ""
    if report.coverage.nothing_seen:
        return ""  # nothing was checked: the warning says so, and "nothing found" would mislead
    text = NOTHING_FOUND if report.coverage.complete else NOTHING_FOUND_IN_PART
    return f"{text} {report.incomplete_note}".strip()


def account_nothing_line(account: AccountReport) -> str:
    """What an account without findings shows: found nothing, found nothing in part, or unseen."""
    return {Seen.WHOLE: NOTHING_HERE, Seen.PART: NOTHING_HERE_IN_PART, Seen.NONE: NOT_SEEN_HERE}[account.seen]


def account_meaning(account: AccountReport) -> str:
    return ACCOUNT_UNKNOWN if account.exposure == UNKNOWN else EXPOSURE_MEANING[account.exposure]


def describe_stop(account: AccountReport) -> str:
    """What stopped the crawl, in a few words a person can read."""
    label = STOP_LABELS[account.stop]
    return f"{label}: {account.stop_detail}" if account.stop_detail else label


def describe_indexable(indexable: bool | None) -> str:
    """Whether search engines may index an account, as a few words after "may index it:"."""
    if indexable is None:
        return "faceaudit could not tell"
    return "yes, nothing asks them not to" if indexable else "no (asks search engines not to index it)"


def exposure_label(account: AccountReport) -> str:
    """ "high", "nothing found", "cannot say": an account's level in words."""
    return ACCOUNT_EXPOSURE_LABELS[account.exposure]


def seen_label(account: AccountReport) -> str:
    """ "to the end", or "in part (faceaudit's own limit)": how much of it was seen (checked)."""
    seen = account.seen
    if seen is Seen.WHOLE and account.stop is StopReason.END:
        return SEEN_LABELS[seen]
    return f"{SEEN_LABELS[seen]} ({STOP_LABELS[account.stop]})"


def match_text(similarity: float) -> str:
    """How close a face is to the user's enrolled face, with what the number means."""
    return f"match {similarity:.2f} of 1.00"


def scan_line(report: ReportData) -> str:
    """ "Scan 3 · 7 Dec 2026 18:28 UTC · face engine sface": which scan, when, with what."""
    status = "" if report.scan_status == "complete" else f" · {STATUS_LABELS.get(report.scan_status, '')}"
    return f"Scan {report.scan_id} · {readable_time(report.scan_started)}{status} · face engine {report.engine}"


def thresholds_line(report: ReportData) -> str:
    """ "A face counts as you from a match of 0.43, as maybe you from 0.36 (1.00 = the same face)." """
    you, maybe = report.thresholds.get("you"), report.thresholds.get("maybe")
    if you is None or maybe is None:
        return ""
    return (f"A face counts as you from a match of {you:.2f}, as maybe you from {maybe:.2f} "
            "(1.00 = the same face).")


def readable_time(iso: str) -> str:
    """ "2026-12-07T18:28:49+00:00" as "7 Dec 2026 18:28 UTC"; text that is not a time, as it is."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    zone = " UTC" if moment.tzinfo is not None else ""
    return f"{moment.day} {moment:%b %Y %H:%M}{zone}"


def metadata_leaks(finding: FindingReport) -> list[str]:
    """What the photo file itself gives away, one short phrase per leak."""
    meta = finding.metadata
    leaks: list[str] = []
    if meta.gps:
        leaks.append(f"GPS location {meta.gps[0]:.5f}, {meta.gps[1]:.5f}")
    if meta.taken_at:
        leaks.append(f"taken {meta.taken_at}")
    if meta.camera:
        leaks.append(f"camera {meta.camera}")
    if meta.camera_serial:
        leaks.append(f"camera serial {meta.camera_serial}")
    return leaks


def coverage_warning(report: ReportData) -> str:
    """A warning when some listed account was not seen to the end; empty when all were."""
    coverage = report.coverage
    if coverage.complete:
        return ""
    unseen = [a for a in report.accounts if a.seen is not Seen.WHOLE]
    named = "; ".join(f"{a.url} ({describe_stop(a)})" for a in unseen[:5])
    more = f"; and {len(unseen) - 5} more" if len(unseen) > 5 else ""
    if coverage.nothing_seen:
        return (f"No listed account could be seen, so nothing was checked: {named}{more}. "
                "Fix what stopped each one (the network, a login wall, a block) and scan again.")
    return (f"faceaudit {coverage.text}: photos on what it could not see were not checked "
            f"({named}{more}).")


def report_warnings(report: ReportData) -> list[str]:
    """Everything to read first, in every format: an unfinished scan, accounts not seen, and the
    report's own warnings (a template past its retention period)."""
    return [w for w in [status_warning(report), coverage_warning(report), *report.warnings] if w]


def status_warning(report: ReportData) -> str:
    """A warning for a scan that did not finish; empty for a complete one."""
    if report.scan_status == "interrupted":
        return (
            "This scan was interrupted: the results cover only what was checked before it "
            "stopped. Run `faceaudit scan` again to continue where it left off."
        )
    if report.scan_status == "running":
        return "This scan is still running: the results are what has been checked so far."
    return ""


def crawl_summary(account: AccountReport) -> str:
    return (
        f"Crawl stopped: {describe_stop(account)}. Pages visited {account.pages_visited}; "
        f"photos seen {account.images_seen}, could not be fetched or read {account.images_failed}; "
        f"other people's faces seen {account.other_faces} (counted, nothing kept). "
        f"Search engines may index it: {describe_indexable(account.indexable)}."
    )


def finding_summary(finding: FindingReport) -> str:
    """Everything about one finding but its verdict, on one line."""
    text = (
        f"{KIND_LABELS[finding.kind]} · {match_text(finding.similarity)} · "
        f"recognisability {finding.recognisability}/100 · face {finding.face_px} px tall"
    )
    if finding.other_faces:
        people = "person" if finding.other_faces == 1 else "people"
        text += f" · {finding.other_faces} other {people} in this photo"
    return text


def others_summary(report: ReportData) -> str:
    """Other people in the user's public photos, as a count and nothing more; "" when none."""
    photos, faces = report.photos_with_others, report.others_in_your_photos
    if not photos:
        return ""
    total = sum(len(a.findings) for a in report.accounts)
    return (f"{photos} of your {total} public photos also {'shows' if photos == 1 else 'show'} other people's faces "
            f"({faces} {'face' if faces == 1 else 'faces'}).")


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def exposure_lines(report: ReportData) -> list[str]:
    """The answer to "how exposed am I", one fact a line (every renderer shows the same)."""
    findings = [f for a in report.accounts for f in a.findings]
    if not findings:
        return []
    accounts = [a for a in report.accounts if a.findings]
    yours = sum(a.photos_with_you for a in report.accounts)
    maybe = sum(a.photos_maybe_you for a in report.accounts)
    lines = [
        f"{_n(yours, 'public photo')} of your face"
        + (f" (and {maybe} that may be you)" if maybe else "")
        + f" on {_n(len(accounts), 'account')}; every one was downloaded without logging in"
    ]
    slots = sum(a.slots_with_you for a in report.accounts)
    if slots:
        lines.append(f"{slots} {'is' if slots == 1 else 'are'} in always-public slots "
                     "(profile pictures, headers, covers, link previews)")
    best = max(findings, key=lambda f: f.recognisability)
    where = next(a for a in report.accounts if best in a.findings)
    lines.append(f"Most recognisable photo: {best.recognisability}/100 ({KIND_LABELS[best.kind]}, "
                 f"{where.url})")
    indexable = [a for a in accounts if a.indexable is not False]
    if indexable:
        lines.append(f"{_n(len(indexable), 'account')} with photos of you may be indexed by search engines "
                     "(no noindex / X-Robots-Tag seen)")
    gps = sum(a.photos_with_gps for a in report.accounts)
    meta = sum(a.photos_with_metadata for a in report.accounts)
    if gps:
        lines.append(f"{_n(gps, 'photo')} of you {'gives' if gps == 1 else 'give'} away where "
                     f"{'it was' if gps == 1 else 'they were'} taken (GPS)")
    if meta:
        lines.append(f"{_n(meta, 'photo')} of you {'gives' if meta == 1 else 'give'} away when or with which "
                     f"camera {'it was' if meta == 1 else 'they were'} taken")
    return lines


def exposure_summary(report: ReportData) -> str:
    """The first screen's one sentence on what was found (`exposure_lines` has one fact a line)."""
    accounts = [a for a in report.accounts if a.findings]
    if not accounts:
        return ""
    yours = sum(a.photos_with_you for a in accounts)
    maybe = sum(a.photos_maybe_you for a in accounts)
    text = f"{_n(yours, 'photo')} of your face" + (f" (and {maybe} that may be you)" if maybe else "")
    text += f" {'is' if yours == 1 else 'are'} public on {_n(len(accounts), 'account')}"
    slots = sum(a.slots_with_you for a in accounts)
    if slots:
        text += f"; {slots} in profile pictures or link previews that stay public"
    gps = sum(a.photos_with_gps for a in accounts)
    if gps:
        text += f"; {gps} {'gives' if gps == 1 else 'give'} away where {'it was' if gps == 1 else 'they were'} taken"
    return text + "."


FIRST_SCAN_SHORT = "First complete scan: nothing to compare with yet."


def history_line(report: ReportData) -> str:
    """ "Since scan 3 (…): 2 resolved, 10 still there, 1 new" — or why there is no comparison."""
    history = report.history
    if history is None:
        return ("First complete scan: nothing to compare with yet. Change what the report suggests, "
                "scan again, and the report shows what your changes achieved.")
    text = (f"Since scan {history.previous_scan_id} ({history.previous_scan_started[:10]}): "
            f"{len(history.resolved)} resolved, {len(history.still)} still there, {len(history.new)} new")
    if history.unconfirmed:
        text += (f"; {len(history.unconfirmed)} not seen this time on accounts this scan could not see in full "
                 "(not counted as resolved)")
    return text
