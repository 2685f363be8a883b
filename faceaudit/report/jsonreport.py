"""The report as JSON for scripts: a stable shape, documented field by field in docs/report-json.md.

Thumbnails are left out (the JSON says only whether one exists), and other people appear
only as counts.
"""

from __future__ import annotations

import json
from typing import Any

from faceaudit.report.advice import AdviceItem, advice_for, general_facts, platform_name
from faceaudit.report.model import AccountReport, FindingReport, ReportData

FORMAT = "faceaudit-report/1"
METADATA_KEYS = ("gps", "taken_at", "camera", "camera_serial")


def to_dict(report: ReportData) -> dict[str, Any]:
    accounts = report.accounts
    return {
        "format": FORMAT,
        "generated_at": report.generated_at,
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
        "accounts": [_account(account) for account in accounts],
        "general_advice": [_advice(item) for item in general_facts()],
    }


def to_json(report: ReportData) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"


def _account(account: AccountReport) -> dict[str, Any]:
    advice = advice_for(account.site, account.findings, account.indexable)
    best = account.best_similarity
    return {
        "url": account.url,
        "site": account.site,
        "platform_name": platform_name(account.site),
        "exposure": account.exposure,
        "stop": {"reason": account.stop, "detail": account.stop_detail},
        "pages_visited": account.pages_visited,
        "indexable": account.indexable,
        "images_seen": account.images_seen,
        "images_failed": account.images_failed,
        "other_faces": account.other_faces,
        "photos_with_you": account.photos_with_you,
        "photos_maybe_you": account.photos_maybe_you,
        "best_similarity": None if best is None else round(best, 4),
        "biggest_face_px": account.biggest_face_px,
        "notes": list(account.notes),
        "facts": {str(k): v for k, v in sorted(account.facts.items()) if isinstance(v, (bool, int, str))},
        "findings": [_finding(finding) for finding in account.findings],
        "advice": [_advice(item) for item in advice if not item.is_general_fact],
    }


def _finding(finding: FindingReport) -> dict[str, Any]:
    meta = finding.metadata
    gps = meta.get("gps")
    return {
        "image_url": finding.image_url,
        "page_url": finding.page_url,
        "kind": finding.kind,
        "verdict": finding.verdict,
        "similarity": round(finding.similarity, 4),
        "box": [int(v) for v in finding.box],
        "face_px": finding.face_px,
        "det_score": round(finding.det_score, 4),
        "recognisability": finding.recognisability,
        "other_faces": finding.other_faces,
        # Only the four known keys: nothing else a metadata dict might carry gets through.
        "metadata": {
            "gps": [float(gps[0]), float(gps[1])] if gps else None,
            **{key: meta.get(key) for key in METADATA_KEYS[1:]},
        },
        "alt": finding.alt,
        "posted_at": finding.posted_at or None,
        "has_thumbnail": finding.thumbnail_jpeg is not None,
    }


def _advice(item: AdviceItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "text": item.advice,
        "where": item.where,
        "always_public": item.always_public,
        "applies_to": list(item.applies_to),
        "source": item.source,
        "source_note": item.source_note,
        "checked": item.checked,
    }
