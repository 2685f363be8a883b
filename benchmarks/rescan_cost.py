"""What a re-scan costs the platform: a fixture account whose images carry validators, scanned
three times.

    .venv/bin/python benchmarks/rescan_cost.py [--images 200]

The account (benchmarks/fixture_account.py, served here without added latency) serves every
image with an ETag and a Last-Modified and answers If-None-Match / If-Modified-Since with 304
(`demo.server.with_validators`), as CDNs commonly do.
  first scan   everything downloaded and analysed;
  re-scan      nothing changed: each image is asked "changed since?" (target: <= 5 % of the
               first scan's bytes, no analysis);
  one changed  one image re-encoded (new bytes, new ETag): it alone is downloaded and analysed.
Then, for each platform imitation (tests/platforms, faceaudit/demo/platforms): whether it serves
validators on its images. That is the imitation's behaviour, not the real platform's: what the
real platforms send was not checked here (no network).
Analyses are counted as submissions to the analysis pool. Pacing between requests is off
(min_interval 0) so the benchmark runs quickly; the counts do not depend on it.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fixture_account import ACCOUNT_URL, HOST, build_account, enrolled_faces, fresh_workspace
from PIL import Image

from faceaudit import scan
from faceaudit.compare.analysis import AnalysisPool
from faceaudit.compare.matcher import Matcher
from faceaudit.crawl.net import NetClient, NetworkPolicy
from faceaudit.demo.server import FixtureServer, Handler, Reply, Request, with_validators
from faceaudit.report.load import load_report
from faceaudit.types import CrawlCost
from tests.platforms import build, platform_names


class Submissions:
    """Counts images handed to the analysis pool (each one is one analysis)."""

    def __init__(self) -> None:
        self.count = 0
        self._submit = AnalysisPool.submit

    def __enter__(self) -> Submissions:
        counter = self

        def counted(pool: AnalysisPool, *args: Any, **kwargs: Any) -> Any:
            counter.count += 1
            return counter._submit(pool, *args, **kwargs)

        AnalysisPool.submit = counted  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        AnalysisPool.submit = self._submit  # type: ignore[method-assign]


def swappable(handler: Handler, swapped: dict[str, bytes], fetched: list[tuple[str, int]]) -> Handler:
    """`handler`, serving `swapped` bytes for some paths; records (path, status) of each answer."""
    def answer(request: Request) -> Reply:
        reply = (Reply(200, swapped[request.path], "image/jpeg") if request.path in swapped
                 else handler(request))
        return reply

    served = with_validators(answer)

    def logged(request: Request) -> Reply:
        reply = served(request)
        fetched.append((request.path, reply.status))
        return reply

    return logged


def one_scan(ws: Any, engine: Any, matcher: Matcher, options: scan.ScanOptions) -> tuple[CrawlCost, int, int]:
    """(cost, analyses run, scan id) of one scan."""
    with Submissions() as submissions:
        scan_id = scan.run_scan(ws, engine, matcher, options)
    report = load_report(ws, scan_id)
    assert report is not None and report.accounts[0].cost is not None
    return report.accounts[0].cost, submissions.count, scan_id


def describe(name: str, cost: CrawlCost, analyses: int) -> str:
    return (f"  {name:<12} {cost.requests:5d} requests {cost.bytes_received / 1e6:8.2f} MB "
            f"{cost.not_modified:5d} answered 304   {analyses:4d} analyses")


def platform_validators() -> list[str]:
    """One line per platform imitation: does it send ETag / Last-Modified on its images?"""
    lines = []
    for name in platform_names():
        fixture = build(name)
        urls = list(fixture.person_images)[:3] + fixture.other_images[:2]
        with FixtureServer(fixture.sites) as server:
            assert server.certificate is not None
            policy = NetworkPolicy(resolve={h: ("127.0.0.1", server.port) for h in server.sites},
                                   allow_dns=False, ca_cert=server.certificate.cert_pem, min_interval=0.0)
            found = set()
            with NetClient(policy) as net:
                for url in urls:
                    headers = net.get_image(url).headers
                    found |= {h for h in ("etag", "last-modified") if h in headers}
        said = ", ".join(sorted(found)) if found else "neither"
        lines.append(f"  {name:<10} imitation sends {said} on the {len(urls)} image(s) checked")
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=200)
    args = parser.parse_args(argv)
    account = build_account(args.images, latency=(0.0, 0.0))
    swapped: dict[str, bytes] = {}
    fetched: list[tuple[str, int]] = []
    engine, faces = enrolled_faces()
    matcher = Matcher([f.embedding for f in faces], engine.thresholds)
    with FixtureServer({HOST: swappable(account.handler, swapped, fetched)}) as server, \
            tempfile.TemporaryDirectory() as tmp:
        assert server.certificate is not None
        policy = NetworkPolicy(resolve={HOST: ("127.0.0.1", server.port)}, allow_dns=False,
                               ca_cert=server.certificate.cert_pem, min_interval=0.0)
        options = scan.ScanOptions(policy=policy, max_images=args.images + 10, max_pages=args.images // 40 + 5)
        ws = fresh_workspace(Path(tmp) / "ws", engine, faces)
        first, first_analyses, _ = one_scan(ws, engine, matcher, options)
        second, second_analyses, _ = one_scan(ws, engine, matcher, options)
        changed = account.posts[0]
        picture = Image.open(io.BytesIO(account.files[changed])).convert("RGB")
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=55)
        swapped[changed] = out.getvalue()
        fetched.clear()
        third, third_analyses, third_id = one_scan(ws, engine, matcher, options)
        status = ws.db.execute("SELECT status FROM images WHERE scan_id = ? AND url = ?",
                               (third_id, f"https://{HOST}{changed}")).fetchone()
        ws.forget()
    ratio = second.bytes_received / first.bytes_received
    print(f"{args.images} images at {ACCOUNT_URL} ({len(account.files)} files, {account.distinct} distinct "
          f"pictures); engine {engine.name}")
    print(describe("first scan", first, first_analyses))
    print(describe("re-scan", second, second_analyses))
    print(describe("one changed", third, third_analyses))
    print(f"re-scan bytes / first scan bytes = {ratio:.1%}   (target <= 5%)")
    print(f"analyses on the re-scan: {second_analyses}   (target 0)")
    changed_fetches = [code for path, code in fetched if path == changed]
    print(f"changed image {urlsplit(changed).path.rsplit('/', 1)[1]}: answered {changed_fetches}, "
          f"recorded {status[0] if status else 'nowhere'}; analyses in that scan: {third_analyses}   "
          "(target: fetched with 200 and analysed, 1 analysis)")
    print("\nValidators on each platform imitation's images (what the real platforms send was not "
          "checked here: no network):")
    for line in platform_validators():
        print(line)
    met = ratio <= 0.05 and second_analyses == 0 and changed_fetches == [200] and third_analyses == 1
    print("\nall targets met" if met else "\nTARGET MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
