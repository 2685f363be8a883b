"""Consent: the versioned text, the record of acceptance, and the gate every enrol and scan passes."""

from __future__ import annotations

import hashlib
from importlib import resources

from faceaudit.errors import ConsentRequired
from faceaudit.workspace import ConsentRecord, Workspace, now

VERSION = "1"
PURPOSE = "personal privacy checkup of the operator's own public photos"
ATTESTATION = "The reference photos show the operator, and the listed accounts are the operator's own."


def text() -> str:
    return resources.files("faceaudit.data").joinpath(f"consent-v{VERSION}.txt").read_text(encoding="utf-8")


def text_sha256() -> str:
    return hashlib.sha256(text().encode("utf-8")).hexdigest()


def accept(workspace: Workspace, method: str) -> ConsentRecord:
    record = ConsentRecord(VERSION, text_sha256(), now(), PURPOSE, ATTESTATION, method)
    workspace.record_consent(record)
    return record


def require(workspace: Workspace) -> ConsentRecord:
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
    return record
