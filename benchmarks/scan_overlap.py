"""Does the crawl overlap the analysis? A 300-image fixture account, scanned three ways.

    .venv/bin/python benchmarks/scan_overlap.py [--images 300] [--runs 3]

The account (benchmarks/fixture_account.py): faces, no faces, duplicates and size variants,
served from another process with 20-50 ms per request. Medians of --runs, each in a fresh workspace (no reuse):
  crawl only     the crawler thread alone: API pages and image downloads, nothing analysed;
  analysis only  the scan with the crawl's results handed over at once (pool start included);
  scan           the real scan: crawl and analysis together;
  naive          crawl everything, then analyse everything (crawl only + analysis only).
overlap = scan / max(crawl only, analysis only): 1.0 is the hardware's limit for this account.
"""

from __future__ import annotations

import argparse
import queue
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixture_account import build_account, enrolled_faces, fresh_workspace, served_account

from faceaudit import scan
from faceaudit.compare.analysis import default_workers
from faceaudit.compare.matcher import Matcher


def crawl_only(ws: Any, options: scan.ScanOptions) -> tuple[float, list[Any]]:
    """The crawler thread with a consumer that only collects what it hands over."""
    events: queue.Queue[Any] = queue.Queue()
    slots = threading.Semaphore(64)
    stop = threading.Event()
    accounts = ws.accounts()
    started = time.perf_counter()
    crawler = threading.Thread(target=scan._crawl_all, args=(accounts, {a.id: set() for a in accounts}, options,
                                                             events, slots, stop, scan._Quiet()))
    crawler.start()
    collected = []
    while (item := events.get()) is not None:
        if isinstance(item, scan._CrawlFailed):
            raise item.error
        collected.append(item)
        slots.release()
    crawler.join()
    return time.perf_counter() - started, collected


def replayed_scan(ws: Any, engine: Any, matcher: Matcher, options: scan.ScanOptions,
                  crawled: list[Any]) -> tuple[float, int]:
    """run_scan with the crawl already done: its events handed over as fast as slots allow."""
    def replay(accounts, seen, options, events, slots, stop, progress, validators=None):  # type: ignore[no-untyped-def]
        for item in crawled:
            if isinstance(item, scan._Fetched):
                slots.acquire()
            events.put(item)
        events.put(None)

    original = scan._crawl_all
    scan._crawl_all = replay
    try:
        started = time.perf_counter()
        scan_id = scan.run_scan(ws, engine, matcher, options)
        return time.perf_counter() - started, scan_id
    finally:
        scan._crawl_all = original  # type: ignore[assignment]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    account = build_account(args.images)
    engine, faces = enrolled_faces()
    matcher = Matcher([f.embedding for f in faces], engine.thresholds)
    times: dict[str, list[float]] = {"crawl only": [], "analysis only": [], "scan": [], "naive": []}
    analysed = 0
    with served_account(args.images) as policy, tempfile.TemporaryDirectory() as tmp:
        options = scan.ScanOptions(policy=policy, max_images=args.images + 10,
                                   max_pages=args.images // 40 + 5, fresh=True)
        for run in range(args.runs):
            ws = fresh_workspace(Path(tmp) / f"crawl{run}", engine, faces)
            crawl_seconds, crawled = crawl_only(ws, options)
            ws.forget()
            ws = fresh_workspace(Path(tmp) / f"replay{run}", engine, faces)
            analysis_seconds, _ = replayed_scan(ws, engine, matcher, options, crawled)
            ws.forget()
            ws = fresh_workspace(Path(tmp) / f"scan{run}", engine, faces)
            started = time.perf_counter()
            scan_id = scan.run_scan(ws, engine, matcher, options)
            scan_seconds = time.perf_counter() - started
            analysed = ws.db.execute("SELECT COUNT(*) FROM images WHERE scan_id = ? AND status = 'analysed'",
                                     (scan_id,)).fetchone()[0]
            ws.forget()
            times["crawl only"].append(crawl_seconds)
            times["analysis only"].append(analysis_seconds)
            times["scan"].append(scan_seconds)
            times["naive"].append(crawl_seconds + analysis_seconds)
            print(f"run {run + 1}: crawl {crawl_seconds:.1f} s, analysis {analysis_seconds:.1f} s, "
                  f"scan {scan_seconds:.1f} s", flush=True)
    median = {name: statistics.median(values) for name, values in times.items()}
    limit = max(median["crawl only"], median["analysis only"])
    print(f"\n{args.images} images ({len(account.files)} files served, {account.distinct} distinct pictures), "
          f"{analysed} recorded as analysed; engine {engine.name}, {default_workers(engine)} analysis workers")
    for name, value in median.items():
        print(f"  {name:<14} {value:6.1f} s (median of {args.runs})")
    print(f"overlap ratio  scan / max(crawl only, analysis only) = {median['scan']:.1f} / {limit:.1f} "
          f"= {median['scan'] / limit:.2f}   (target <= 1.15; 1.0 is the limit)")
    print(f"vs naive       naive / scan = {median['naive']:.1f} / {median['scan']:.1f} "
          f"= {median['naive'] / median['scan']:.2f}x faster   (target >= 1.5x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
