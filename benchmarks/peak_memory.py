"""Peak memory of a scan of a 2,000-image account: the scan process and its analysis workers.

    .venv/bin/python benchmarks/peak_memory.py [--images 2000]

The account (benchmarks/fixture_account.py) is served from another process with no added
delay. The scan runs in a child process; its resident memory plus that of every process it
starts (the analysis workers) is sampled every 50 ms, and the peak of the sum is printed.
Target: under 1.5 GB. Memory stays bounded because at most `slots` fetched images are held at
once (faceaudit/scan.py) and each worker holds one engine and the image it is on.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixture_account import enrolled_faces, fresh_workspace, served_account

PAGE = os.sysconf("SC_PAGE_SIZE")


def _scan(images: int, policy: object, folder: str, connection: object) -> None:
    from faceaudit import scan
    from faceaudit.compare.matcher import Matcher

    engine, faces = enrolled_faces()
    ws = fresh_workspace(Path(folder), engine, faces)
    matcher = Matcher([f.embedding for f in faces], engine.thresholds)
    began = time.perf_counter()
    scan_id = scan.run_scan(ws, engine, matcher, scan.ScanOptions(
        policy=policy, max_images=images + 10, max_pages=images // 40 + 5, fresh=True))  # type: ignore[arg-type]
    rows = ws.db.execute("SELECT status, COUNT(*) FROM images WHERE scan_id = ? GROUP BY status", (scan_id,)).fetchall()
    ws.forget()
    connection.send((time.perf_counter() - began, {r[0]: r[1] for r in rows}))  # type: ignore[attr-defined]


def tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for path in Path("/proc").iterdir():
        entry = path.name
        if not entry.isdigit():
            continue
        try:
            fields = (path / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * PAGE
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=2000)
    args = parser.parse_args(argv)
    ctx = multiprocessing.get_context("spawn")
    with served_account(args.images, latency=(0.0, 0.0)) as policy, tempfile.TemporaryDirectory() as tmp:
        ours, theirs = ctx.Pipe()
        child = ctx.Process(target=_scan, args=(args.images, policy, str(Path(tmp) / "ws"), theirs))
        child.start()
        assert child.pid is not None
        peak = 0
        while child.is_alive() and not ours.poll():
            peak = max(peak, tree_rss(child.pid))
            time.sleep(0.05)
        seconds, statuses = ours.recv()
        child.join()
    print(f"{args.images} images: scan took {seconds:.1f} s; recorded {statuses}")
    print(f"peak resident memory, scan process + analysis workers: {peak / 2**20:.0f} MB   (target < 1536 MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
