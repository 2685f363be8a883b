"""Consent: the versioned text, the record of acceptance, and the gate every enrol and scan passes.

Consent is given for a retention period (default 90 days, `faceaudit consent --retention-days N`),
counted from the later of the consent and the enrolment. Past it, the template is not used
until the user accepts again (which starts a new period) or deletes it with `faceaudit forget`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from faceaudit.errors import ConsentRequired

if TYPE_CHECKING:  # imported where used: `faceaudit --help` reads MAX_RETENTION_DAYS, not the workspace
    from faceaudit.workspace import ConsentRecord, Workspace

VERSION = "2"  # faceaudit/data/consent-v2.txt; earlier texts stay as the record of what was agreed
PURPOSE = "personal privacy checkup of the operator's own public photos"
ATTESTATION = "The reference photos show the operator, and the listed accounts are the operator's own."


def text() -> str:
    return resources.files("faceaudit.data").joinpath(f"consent-v{VERSION}.txt").read_text(encoding="utf-8")


def text_sha256() -> str:
    return hashlib.sha256(text().encode("utf-8")).hexdigest()


MAX_RETENTION_DAYS = 3650



def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# The time retention is judged at; tests may replace it.
clock: Callable[[], dt.datetime] = _utc_now


@dataclass(frozen=True)
class Retention:
    """How long the template may be kept: `days` from `since` (consent or enrolment, the later)."""

    days: int
    since: dt.datetime
    counted_from: str  # "consent" | "enrolment"

    @property
    def until(self) -> dt.datetime:
        return self.since + dt.timedelta(days=self.days)

    def expired(self, at: dt.datetime | None = None) -> bool:
        return (at or clock()) >= self.until

    def as_dict(self, at: dt.datetime | None = None) -> dict[str, object]:
        return {"days": self.days, "since": self.since.isoformat(), "counted_from": self.counted_from,
                "until": self.until.isoformat(), "expired": self.expired(at)}


def accept(workspace: Workspace, method: str, retention_days: int | None = None) -> ConsentRecord:
    """Record acceptance; `retention_days` None keeps the period chosen before (or the default)."""
    from faceaudit.workspace import DEFAULT_RETENTION_DAYS, ConsentRecord, now

    if retention_days is None:
        previous = workspace.consent()
        retention_days = previous.retention_days if previous else DEFAULT_RETENTION_DAYS
    if not 1 <= retention_days <= MAX_RETENTION_DAYS:
        raise ConsentRequired(f"a retention period of {retention_days} days is not possible",
                              f"choose between 1 and {MAX_RETENTION_DAYS} days")
    record = ConsentRecord(VERSION, text_sha256(), now(), PURPOSE, ATTESTATION, method, retention_days)
    workspace.record_consent(record)
    return record


def retention(workspace: Workspace, record: ConsentRecord | None = None) -> Retention | None:
    """The retention period in force; None without consent."""
    record = record or workspace.consent()
    if record is None:
        return None
    since, counted_from = _parse(record.accepted_at), "consent"
    enrolled = workspace.enrolled_at()
    if enrolled is not None and _parse(enrolled) > since:
        since, counted_from = _parse(enrolled), "enrolment"
    return Retention(record.retention_days, since, counted_from)


def past_retention_message(period: Retention) -> str:
    return (f"your face template is past its retention period: {period.days} days from your "
            f"{period.counted_from} on {period.since:%Y-%m-%d} ended on {period.until:%Y-%m-%d}")


def require(workspace: Workspace, at: dt.datetime | None = None) -> ConsentRecord:
    """The current consent record, or ConsentRequired saying what to do."""
    record = workspace.consent()
    if record is None:
        raise ConsentRequired(
            "no consent recorded in this workspace",
            "read and accept the consent text first: faceaudit consent",
        )
    if record.version != VERSION or record.text_sha256 != text_sha256():
        raise ConsentRequired(
            f"the consent text changed since you accepted it on {record.accepted_at[:10]} (version {record.version})",
            "read and accept the new text: faceaudit consent",
        )
    period = retention(workspace, record)
    if period is not None and period.expired(at):
        raise ConsentRequired(
            past_retention_message(period),
            f"to keep using it, consent again: `faceaudit consent --accept` (another {period.days} days);"
            " or delete it: `faceaudit forget`",
        )
    return record


def _parse(stamp: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(stamp)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
