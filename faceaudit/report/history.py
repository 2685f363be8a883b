"""Since last time: this scan's photos of you against the previous complete scan's.

A photo is the same photo when its bytes are the same (SHA-256) or its URL is, on the same
listed account: a re-encoded copy at a new URL counts as new, a file replaced behind the same
URL as still there. A photo found before and not now is *resolved* only when this scan saw its
account to the end (or saw it private, or gone); when the crawl stopped early (login wall, rate
limit, faceaudit's own cap, not reached) it is *unconfirmed*: not seen, but not shown to be gone.
"""

from __future__ import annotations

from typing import Any

from faceaudit.report.model import ChangedPhoto, Comparison

# Stop reasons after which a photo that is no longer there is really gone for a logged-out visitor.
SEEN_WHOLE = frozenset({"end", "private", "not_found"})


def compare(workspace: Any, scan_id: int) -> Comparison | None:
    """`scan_id` against the previous complete scan; None when there is none."""
    previous = workspace.previous_complete_scan(scan_id)
    if previous is None:
        return None
    before = _by_account(workspace.photos_of_you(previous["id"]))
    now = _by_account(workspace.photos_of_you(scan_id))
    stops = workspace.account_stops(scan_id)
    result = Comparison(previous["id"], previous["started_at"], [], [], [], [])
    for account in sorted(set(before) | set(now)):
        old, new = before.get(account, []), now.get(account, [])
        old_keys = {key for row in old for key in _keys(row)}
        new_keys = {key for row in new for key in _keys(row)}
        for row in new:
            (result.still if old_keys & _keys(row) else result.new).append(_photo(row))
        gone = [row for row in old if not new_keys & _keys(row)]
        bucket = result.resolved if stops.get(account) in SEEN_WHOLE else result.unconfirmed
        bucket += [_photo(row) for row in gone]
    return result


def _by_account(rows: list[Any]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row["account_url"], []).append(row)
    return grouped


def _keys(row: Any) -> set[str]:
    keys = {f"url:{row['image_url']}"}
    if row["sha256"]:
        keys.add(f"sha256:{row['sha256']}")
    return keys


def _photo(row: Any) -> ChangedPhoto:
    return ChangedPhoto(account_url=row["account_url"], site=row["site"], image_url=row["image_url"],
                        page_url=row["page_url"], kind=row["kind"], verdict=row["verdict"])
