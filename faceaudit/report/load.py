"""The report stage's reading of the workspace: typed queries that build a `ReportData`.

Storage (workspace.py) writes and keeps; this module reads what a report needs and turns each
row into a typed record at once (enums as enums, metadata as `ImageMetadata`), so no SQL row
or bare dict goes further. It only reads: nothing here changes the workspace.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from faceaudit.report.history import PhotoOfYou, compare
from faceaudit.report.model import AccountReport, FindingReport, ReportData
from faceaudit.thresholds import known_engines, load_thresholds
from faceaudit.types import CrawlCost, ImageKind, ImageMetadata, StopReason, Verdict
from faceaudit.workspace import Account, Workspace, finding_from_row, now


@dataclass(frozen=True)
class ScanRow:
    """One scan as the `scans` table holds it."""

    id: int
    started_at: str
    finished_at: str | None
    status: str
    engine: str
    thresholds: dict[str, float]  # {} for scans from before they were recorded


def load_report(workspace: Workspace, scan_id: int | None = None) -> ReportData | None:
    """The `ReportData` of one scan (the latest by default), with what changed since the previous
    complete scan (report/history.py); None when there is no such scan."""
    scan = _scan(workspace, scan_id)
    if scan is None:
        return None
    thresholds = scan.thresholds
    if not thresholds and scan.engine in known_engines():  # a scan from before they were recorded
        current = load_thresholds(scan.engine)
        thresholds = {"you": current.you, "maybe": current.maybe}
    previous = _previous_complete_scan(workspace, scan.id)
    history = None
    if previous is not None:
        history = compare(previous.id, previous.started_at, photos_of_you(workspace, previous.id),
                          photos_of_you(workspace, scan.id), account_stops(workspace, scan.id))
    return ReportData(
        generated_at=now(), scan_id=scan.id, scan_started=scan.started_at,
        scan_finished=scan.finished_at, scan_status=scan.status, engine=scan.engine,
        thresholds=thresholds, accounts=[_account(workspace, scan.id, a) for a in workspace.accounts()],
        history=history,
    )


def _scan_row(row: sqlite3.Row) -> ScanRow:
    recorded = row["thresholds"]
    return ScanRow(id=row["id"], started_at=row["started_at"], finished_at=row["finished_at"],
                   status=row["status"], engine=row["engine"],
                   thresholds={str(k): float(v) for k, v in json.loads(recorded).items()} if recorded else {})


def _scan(workspace: Workspace, scan_id: int | None) -> ScanRow | None:
    if scan_id is None:
        row = workspace.db.execute("SELECT * FROM scans ORDER BY id DESC LIMIT 1").fetchone()
    else:
        row = workspace.db.execute("SELECT * FROM scans WHERE id = ?", (scan_id,)).fetchone()
    return None if row is None else _scan_row(row)


def _previous_complete_scan(workspace: Workspace, scan_id: int) -> ScanRow | None:
    """The last complete scan before `scan_id`: what "since last time" compares with."""
    row = workspace.db.execute(
        "SELECT * FROM scans WHERE id < ? AND status = 'complete' ORDER BY id DESC LIMIT 1", (scan_id,)
    ).fetchone()
    return None if row is None else _scan_row(row)


def _account(workspace: Workspace, scan_id: int, account: Account) -> AccountReport:
    db = workspace.db
    state = db.execute("SELECT * FROM scan_accounts WHERE scan_id = ? AND account_id = ?",
                       (scan_id, account.id)).fetchone()
    counts = db.execute(
        "SELECT SUM(status = 'analysed') AS seen, SUM(status = 'failed') AS failed,"
        " COALESCE(SUM(other_faces), 0) AS others FROM images WHERE scan_id = ? AND account_id = ?",
        (scan_id, account.id),
    ).fetchone()
    findings = [_finding(workspace, r) for r in db.execute(
        "SELECT f.*, i.url, i.page_url, i.kind, i.other_faces, i.metadata, i.alt, i.posted_at, i.sha256"
        " FROM findings f"
        " JOIN images i ON i.id = f.image_id WHERE i.scan_id = ? AND i.account_id = ?"
        " ORDER BY f.verdict DESC, f.similarity DESC",
        (scan_id, account.id),
    )]
    return AccountReport(
        url=account.url, site=account.site,
        stop=StopReason(state["stop"]) if state else StopReason.NOT_SCANNED,
        stop_detail=state["stop_detail"] if state else "not reached by this scan",
        pages_visited=state["pages_visited"] if state else 0,
        indexable=None if state is None or state["indexable"] is None else bool(state["indexable"]),
        images_seen=counts["seen"] or 0, images_failed=counts["failed"] or 0,
        other_faces=counts["others"], findings=findings,
        notes=json.loads(state["notes"]) if state else [],
        facts=json.loads(state["facts"]) if state else {},
        pages=[str(page) for page in json.loads(state["pages"])] if state else [],
        cost=_cost(state),
    )


def _cost(state: sqlite3.Row | None) -> CrawlCost | None:
    """What the account's crawl cost, or None when it was not measured (scans before 009)."""
    if state is None or state["requests"] is None:
        return None
    return CrawlCost(state["requests"], state["bytes_received"] or 0, state["not_modified"] or 0)


def _finding(workspace: Workspace, row: sqlite3.Row) -> FindingReport:
    face = finding_from_row(row, workspace.thumbnail(row))
    return FindingReport(
        image_url=row["url"], page_url=row["page_url"], kind=ImageKind(row["kind"]), verdict=face.verdict,
        similarity=face.similarity, box=face.box, face_px=face.face_px, det_score=face.det_score,
        recognisability=face.recognisability, other_faces=row["other_faces"],
        metadata=ImageMetadata.from_dict(json.loads(row["metadata"])), alt=row["alt"],
        thumbnail_jpeg=face.thumbnail, posted_at=row["posted_at"], sha256=row["sha256"] or "",
    )


def photos_of_you(workspace: Workspace, scan_id: int) -> list[PhotoOfYou]:
    """One record per image of a scan with a finding ("you" if any face in it is). No thumbnails."""
    rows = workspace.db.execute(
        "SELECT a.url AS account_url, a.site, i.url AS image_url, i.sha256, i.page_url, i.kind,"
        " CASE WHEN MAX(f.verdict = 'you') THEN 'you' ELSE 'maybe' END AS verdict"
        " FROM findings f JOIN images i ON i.id = f.image_id JOIN accounts a ON a.id = i.account_id"
        " WHERE i.scan_id = ? GROUP BY i.id ORDER BY i.id",
        (scan_id,),
    ).fetchall()
    return [PhotoOfYou(account_url=r["account_url"], site=r["site"], image_url=r["image_url"],
                       sha256=r["sha256"] or "", page_url=r["page_url"], kind=ImageKind(r["kind"]),
                       verdict=Verdict(r["verdict"])) for r in rows]


def account_stops(workspace: Workspace, scan_id: int) -> dict[str, StopReason]:
    """Account URL -> why that account's crawl stopped in this scan."""
    rows = workspace.db.execute(
        "SELECT a.url, s.stop FROM scan_accounts s JOIN accounts a ON a.id = s.account_id WHERE s.scan_id = ?",
        (scan_id,),
    )
    return {row[0]: StopReason(row[1]) for row in rows}
