"""The report as JSON for scripts: a stable shape, documented field by field in docs/report-json.md.

`format` names the major version (a field removed or changed in meaning makes a new one);
`schema_version` is "MAJOR.MINOR", the minor part counting releases that only added fields.
Thumbnails are left out (the JSON says only whether one exists), and other people appear
only as counts.
"""

from __future__ import annotations

from typing import Any

from faceaudit.report.actions import Action, plan
from faceaudit.report.advice import (
    AdviceItem,
    advice_for,
    general_facts,
    load,
    other_people_advice,
    platform_name,
)
from faceaudit.report.model import (
    AccountReport,
    ChangedPhoto,
    FindingReport,
    ReportData,
    coverage_line,
    others_summary,
    report_warnings,
)
from faceaudit.types import CrawlCost

FORMAT = "faceaudit-report/1"
# 1.1: exposure, actions, others, history, warnings; advice do, settings_url
# 1.2: coverage, exposure.at_least, level "unknown", accounts[].seen and pages
# 1.3: accounts[].cost
SCHEMA_VERSION = "1.3"


def to_dict(report: ReportData) -> dict[str, Any]:
    accounts = report.accounts
    findings = [f for a in accounts for f in a.findings]
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "generated_at": report.generated_at,
        "warnings": report_warnings(report),
        "scan": {
            "id": report.scan_id,
            "started": report.scan_started,
            "finished": report.scan_finished,
            "status": report.scan_status,
        },
        "engine": report.engine,
        "thresholds": {name: float(value) for name, value in report.thresholds.items()},
        "summary": {
            "accounts": len(accounts),
            "accounts_with_findings": sum(1 for a in accounts if a.findings),
            "photos_with_you": sum(a.photos_with_you for a in accounts),
            "photos_maybe_you": sum(a.photos_maybe_you for a in accounts),
            "images_seen": sum(a.images_seen for a in accounts),
            "other_faces": sum(a.other_faces for a in accounts),
            "nothing_found": report.nothing_found,
        },
        "exposure": {
            "level": report.exposure,
            "at_least": report.exposure_at_least,
            "photos_with_you": sum(a.photos_with_you for a in accounts),
            "slots_with_you": sum(a.slots_with_you for a in accounts),
            "best_recognisability": max((f.recognisability for f in findings), default=None),
            "accounts_indexable": sum(1 for a in accounts if a.findings and a.indexable is not False),
            "downloaded_without_login": len(findings),
            "photos_with_gps": sum(a.photos_with_gps for a in accounts),
            "photos_with_metadata": sum(a.photos_with_metadata for a in accounts),
        },
        "coverage": _coverage(report),
        "actions": [_action(action) for action in plan(report).actions],
        "others": _others(report),
        "history": _history(report),
        "accounts": [_account(account) for account in accounts],
        "general_advice": [_advice(item) for item in general_facts()],
    }


def _action(action: Action) -> dict[str, Any]:
    return {
        "number": action.number,
        "key": action.key,
        "category": action.category,
        "risk": action.risk,
        "account_url": action.account_url,
        "site": action.site,
        "platform_name": action.platform,
        "problem": action.problem,
        "image_urls": action.image_urls,
        "page_urls": list(dict.fromkeys(f.page_url for f in action.photos)),
        "advice": _advice(action.advice, action.account_url),
        "also": [_advice(item, action.account_url) for item in action.also],
    }


def _others(report: ReportData) -> dict[str, Any] | None:
    consider = other_people_advice()
    if not report.photos_with_others:
        return None
    return {
        "photos": report.photos_with_others,
        "faces": report.others_in_your_photos,
        "text": others_summary(report),
        "advice": _advice(consider) if consider else None,
    }


def _coverage(report: ReportData) -> dict[str, Any]:
    coverage = report.coverage
    return {
        "accounts": coverage.accounts,
        "seen_whole": coverage.whole,
        "seen_in_part": coverage.part,
        "not_seen": coverage.none,
        "complete": coverage.complete,
        "text": coverage_line(report),
    }


def _history(report: ReportData) -> dict[str, Any] | None:
    history = report.history
    if history is None:
        return None
    return {
        "previous_scan_id": history.previous_scan_id,
        "previous_scan_started": history.previous_scan_started,
        "resolved": [_changed(p) for p in history.resolved],
        "still": [_changed(p) for p in history.still],
        "new": [_changed(p) for p in history.new],
        "unconfirmed": [_changed(p) for p in history.unconfirmed],
    }


def _changed(photo: ChangedPhoto) -> dict[str, Any]:
    return {"account_url": photo.account_url, "site": photo.site, "image_url": photo.image_url,
            "page_url": photo.page_url, "kind": photo.kind.value, "verdict": photo.verdict.value}


def _cost(cost: CrawlCost | None) -> dict[str, int] | None:
    """What the crawl cost the platform; None for scans from before it was counted."""
    if cost is None:
        return None
    return {"requests": cost.requests, "bytes": cost.bytes_received, "not_modified": cost.not_modified}


def _account(account: AccountReport) -> dict[str, Any]:
    advice = advice_for(account.site, account.findings, account.indexable, account.facts)
    platform = load(account.site)
    best = account.best_similarity
    return {
        "url": account.url,
        "site": account.site,
        "platform_name": platform_name(account.site),
        "exposure": account.exposure,
        "stop": {"reason": account.stop.value, "detail": account.stop_detail},
        "seen": account.seen.value,
        "pages_visited": account.pages_visited,
        "pages": list(account.pages),
        "cost": _cost(account.cost),
        "indexable": account.indexable,
        "images_seen": account.images_seen,
        "images_failed": account.images_failed,
        "other_faces": account.other_faces,
        "photos_with_you": account.photos_with_you,
        "photos_maybe_you": account.photos_maybe_you,
        "best_similarity": None if best is None else round(best, 4),
        "biggest_face_px": account.biggest_face_px,
        "slots_with_you": account.slots_with_you,
        "best_recognisability": account.best_recognisability,
        "photos_with_gps": account.photos_with_gps,
        "photos_with_metadata": account.photos_with_metadata,
        "photos_with_others": account.photos_with_others,
        "always_public": platform.always_public if platform else None,
        "notes": list(account.notes),
        "facts": {str(k): v for k, v in sorted(account.facts.items()) if isinstance(v, (bool, int, str))},
        "findings": [_finding(finding) for finding in account.findings],
        "advice": [_advice(item, account.url) for item in advice if not item.is_general_fact],
    }


def _finding(finding: FindingReport) -> dict[str, Any]:
    meta = finding.metadata
    return {
        "image_url": finding.image_url,
        "page_url": finding.page_url,
        "kind": finding.kind.value,
        "verdict": finding.verdict.value,
        "similarity": round(finding.similarity, 4),
        "box": finding.box.as_list(),
        "face_px": finding.face_px,
        "det_score": round(finding.det_score, 4),
        "recognisability": finding.recognisability,
        "other_faces": finding.other_faces,
        "metadata": meta.as_dict(),
        "alt": finding.alt,
        "posted_at": finding.posted_at or None,
        "has_thumbnail": finding.thumbnail_jpeg is not None,
        "sha256": finding.sha256 or None,
    }


def _advice(item: AdviceItem, account_url: str = "") -> dict[str, Any]:
    return {
        "id": item.id,
        "do": item.do,
        "text": item.advice,
        "where": item.where,
        "settings_url": item.settings_link(account_url) if account_url else item.settings_url,
        "always_public": item.always_public,
        "applies_to": list(item.applies_to),
        "source": item.source,
        "source_note": item.source_note,
        "checked": item.checked,
    }
