"""A verdict says what was checked: with no network, a scan exits non-zero and nothing says NONE."""

from __future__ import annotations

import json
from pathlib import Path

from faceaudit.errors import ExitCode
from tests.support import enrolled_home, faceaudit

ACCOUNTS = ["https://mastodon.social/@alex", "https://bsky.app/profile/alex.bsky.social"]


def _enrolled(tmp_path: Path) -> Path:
    return enrolled_home(tmp_path, ACCOUNTS)


def test_a_scan_that_sees_no_account_exits_non_zero_and_never_says_none(tmp_path: Path) -> None:
    home = _enrolled(tmp_path)

    scan = faceaudit(home, "scan", "--no-dns")  # no name resolves: as if offline

    assert scan.code == ExitCode.NOTHING_SEEN == 10, scan.err
    assert "none of your 2 listed accounts could be seen: nothing was checked" in scan.err
    assert "UNKNOWN" in scan.out and "NONE" not in scan.out
    assert "Checked 0 of 2 accounts to the end; 2 not seen." in scan.out
    assert "No public photo of your face was found" not in scan.out

    report = faceaudit(home, "report", "--json")
    assert report.code == 0, report.err
    data = json.loads(report.out)
    assert data["exposure"]["level"] == "unknown" != "none"
    assert data["coverage"]["not_seen"] == 2 and data["coverage"]["complete"] is False
    assert data["warnings"] and all(url in data["warnings"][0] for url in ACCOUNTS)
    assert [a["seen"] for a in data["accounts"]] == ["none", "none"]

    page = tmp_path / "report.html"
    assert faceaudit(home, "report", "--html", str(page)).code == 0
    html = page.read_text(encoding="utf-8")
    assert "NONE" not in html and 'class="ok"' not in html and "UNKNOWN" in html
