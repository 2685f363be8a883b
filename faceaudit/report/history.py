"""Since last time: this scan's photos of you against the previous complete scan's.

A photo is the same photo when its bytes are the same (SHA-256) or its URL is, on the same
listed account: a re-encoded copy at a new URL counts as new, a file replaced behind the same
URL as still there. A photo found before and not now is *resolved* only when this scan saw its
account to the end (or saw it private, or gone); when the crawl stopped early (login wall, rate
limit, faceaudit's own cap, not reached) it is *unconfirmed*: not seen, but not shown to be gone.
"""

from __future__ import annotations

from dataclasses import dataclass

from faceaudit.report.model import SEEN_WHOLE, ChangedPhoto, Comparison
from faceaudit.types import ImageKind, StopReason, Verdict


@dataclass(frozen=True)
class PhotoOfYou:
    """One image of one scan in which the user's face was found (report/load.py reads them)."""

    account_url: str
    site: str
    image_url: str
    sha256: str  # "" when unknown
    page_url: str
    kind: ImageKind
    verdict: Verdict  # YOU if any face in it is the user's, else MAYBE

    def identities(self) -> set[str]:
        """What makes two records the same photo: its URL, and its bytes when known."""
        keys = {f"url:{self.image_url}"}
        if self.sha256:
            keys.add(f"sha256:{self.sha256}")
        return keys

    def changed(self) -> ChangedPhoto:
        return ChangedPhoto(account_url=self.account_url, site=self.site, image_url=self.image_url,
                            page_url=self.page_url, kind=self.kind, verdict=self.verdict)


def compare(previous_id: int, previous_started: str, before: list[PhotoOfYou], now: list[PhotoOfYou],
            stops: dict[str, StopReason]) -> Comparison:
    """This scan's photos (`now`, with its accounts' `stops`) against the previous complete
    scan's (`before`)."""
    old_by_account, new_by_account = _by_account(before), _by_account(now)
    result = Comparison(previous_id, previous_started, [], [], [], [])
    for account in sorted(set(old_by_account) | set(new_by_account)):
        old, new = old_by_account.get(account, []), new_by_account.get(account, [])
        old_keys = {key for photo in old for key in photo.identities()}
        new_keys = {key for photo in new for key in photo.identities()}
        for photo in new:
            (result.still if old_keys & photo.identities() else result.new).append(photo.changed())
        gone = [photo for photo in old if not new_keys & photo.identities()]
        bucket = result.resolved if stops.get(account) in SEEN_WHOLE else result.unconfirmed
        bucket += [photo.changed() for photo in gone]
    return result


def _by_account(photos: list[PhotoOfYou]) -> dict[str, list[PhotoOfYou]]:
    grouped: dict[str, list[PhotoOfYou]] = {}
    for photo in photos:
        grouped.setdefault(photo.account_url, []).append(photo)
    return grouped
