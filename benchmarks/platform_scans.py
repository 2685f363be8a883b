"""Scan time per platform fixture account: the demo person enrolled (dlib), one account scanned.

    .venv/bin/python benchmarks/platform_scans.py [platform ...]

Prints, per platform: seconds for enrolling the 3 reference photos in a fresh workspace and
scanning the account (crawl + fetch + face analysis; the enrolment alone takes 0.3-0.7 s here),
images analysed, photos found as `you` against the fixture's labels, the outcome, and requests
made. Browser platforms need Chromium (`python -m faceaudit.crawl.browser --find`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from faceaudit.demo.photos import reference_photos
from faceaudit.demo.run import scan_fixture_accounts

# The imitations only tests use live in tests/platforms/, beside the lookup that finds them all.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.platforms import build, photos_by_name, platform_names


def main(argv: list[str]) -> int:
    photos = photos_by_name()
    references = reference_photos()
    wanted = argv or platform_names()
    print(f"{'platform':<10} {'scan s':>7} {'images':>6} {'you':>7} {'requests':>8}  outcome")
    failures = 0
    for name in wanted:
        fixture = build(name, photos)
        started = time.perf_counter()
        report, log = scan_fixture_accounts(fixture.sites, [fixture.account_url], references)
        seconds = time.perf_counter() - started
        (account,) = report.accounts
        found = {f.image_url: f.kind for f in account.findings if f.verdict == "you"}
        right = found == fixture.person_images
        failures += not right
        print(f"{name:<10} {seconds:>7.2f} {account.images_seen:>6} "
              f"{len(found):>3}/{len(fixture.person_images):<3} {len(log):>8}  "
              f"{account.stop}{': ' + account.stop_detail if account.stop_detail else ''}"
              f"{'' if right else '  <-- findings differ from the labels'}")
    print("scan s includes enrolling the 3 reference photos in a fresh workspace (0.3-0.7 s).")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
