"""A scan: crawl the listed accounts and analyse their images at the same time, keeping only the user's faces.

The crawler runs in its own thread (Playwright's sync API stays in that thread) and hands
fetched images through a bounded queue to the analysis loop, so a scan takes about as long as
its slower half. Each analysed image is recorded in one transaction: a killed scan resumes
where it stopped and analyses nothing twice.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from faceaudit.compare import imageio, recognisability
from faceaudit.compare.engines.base import FaceEngine
from faceaudit.compare.faces import find_faces
from faceaudit.compare.matcher import Matcher
from faceaudit.crawl import sites
from faceaudit.crawl.net import NetClient, NetworkPolicy
from faceaudit.crawl.sites.base import CrawlContext
from faceaudit.errors import FaceauditError, ImageRejected, NetworkError
from faceaudit.types import CrawlResult, FetchedImage, ImageCandidate, StopReason, Verdict
from faceaudit.workspace import Account, Workspace


@dataclass
class ScanOptions:
    policy: NetworkPolicy = field(default_factory=NetworkPolicy)
    max_images: int = 500  # per account
    max_pages: int = 20
    max_scrolls: int = 15
    fresh: bool = False  # start a new scan even if the last one was interrupted


class ScanProgress(Protocol):
    def account_started(self, account: Account) -> None: ...
    def image_found(self, account: Account, candidate: ImageCandidate) -> None: ...
    def image_analysed(self, account: Account, url: str, status: str, yours: int) -> None: ...
    def account_finished(self, account: Account, result: CrawlResult) -> None: ...


class _Quiet:
    def account_started(self, account: Account) -> None: pass
    def image_found(self, account: Account, candidate: ImageCandidate) -> None: pass
    def image_analysed(self, account: Account, url: str, status: str, yours: int) -> None: pass
    def account_finished(self, account: Account, result: CrawlResult) -> None: pass


@dataclass
class _Fetched:
    account: Account
    candidate: ImageCandidate
    image: FetchedImage | None
    error: str | None


@dataclass
class _AccountDone:
    account: Account
    result: CrawlResult


@dataclass
class _CrawlFailed:
    error: BaseException


def run_scan(workspace: Workspace, engine: FaceEngine, matcher: Matcher,
             options: ScanOptions, progress: ScanProgress | None = None) -> int:
    """Scan every listed account; returns the scan id. Resumes an interrupted scan unless fresh."""
    progress = progress or _Quiet()
    accounts = workspace.accounts()
    with workspace.scan_lock():
        scan_id = None if options.fresh else workspace.unfinished_scan()
        if scan_id is None:
            scan_id = workspace.start_scan(engine.name)
        work: queue.Queue[_Fetched | _AccountDone | _CrawlFailed | None] = queue.Queue(maxsize=8)
        stop = threading.Event()
        pending = [a for a in accounts if not workspace.account_done(scan_id, a.id)]
        # The crawler thread must not read SQLite (one connection, owned by this thread):
        # hand it the URLs already recorded so it skips them.
        seen = {a.id: workspace.recorded_urls(scan_id, a.id) for a in pending}
        crawler = threading.Thread(
            target=_crawl_all, name="crawler",
            args=(pending, seen, options, work, stop, progress), daemon=True,
        )
        crawler.start()
        try:
            while True:
                item = work.get()
                if item is None:
                    break
                if isinstance(item, _CrawlFailed):
                    raise item.error
                if isinstance(item, _AccountDone):
                    r = item.result
                    workspace.record_account_result(
                        scan_id, item.account.id, stop=r.stop.value, detail=r.detail,
                        pages=r.pages_visited, indexable=r.indexable, notes=r.notes, done=True,
                        facts=r.facts)
                    progress.account_finished(item.account, r)
                    continue
                status, yours = _analyse(workspace, scan_id, engine, matcher, item)
                progress.image_analysed(item.account, item.candidate.url, status, yours)
        except BaseException:
            stop.set()
            _drain(work)
            crawler.join(timeout=30)
            workspace.finish_scan(scan_id, "interrupted")
            raise
        crawler.join()
        workspace.finish_scan(scan_id, "complete")
    return scan_id


def _drain(work: queue.Queue[Any]) -> None:
    while True:
        try:
            work.get_nowait()
        except queue.Empty:
            return


def _crawl_all(accounts: list[Account], seen: dict[int, set[str]], options: ScanOptions,
               work: queue.Queue[Any], stop: threading.Event, progress: ScanProgress) -> None:
    """The crawler thread: one fresh HTTP client and (if needed) one fresh browser per scan."""
    browser_holder: list[Any] = []

    def browser() -> Any:
        if not browser_holder:
            from faceaudit.crawl.browser import BrowserSession

            session = BrowserSession(options.policy)
            session.__enter__()
            browser_holder.append(session)
        return browser_holder[0]

    def put(item: object) -> None:
        while not stop.is_set():
            try:
                work.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    try:
        with NetClient(options.policy) as net:
            ctx = CrawlContext(net=net, browser=browser, max_images=options.max_images,
                               max_pages=options.max_pages, max_scrolls=options.max_scrolls)
            for account in accounts:
                if stop.is_set():
                    return
                progress.account_started(account)
                result = _crawl_account(account, ctx, seen[account.id], put, stop, progress)
                put(_AccountDone(account, result))
        put(None)
    except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which re-raises it
        put(_CrawlFailed(exc))
    finally:
        for session in browser_holder:
            session.__exit__(None, None, None)


def _crawl_account(account: Account, ctx: CrawlContext, seen: set[str],
                   put: Callable[[object], None], stop: threading.Event,
                   progress: ScanProgress) -> CrawlResult:
    result = CrawlResult()
    site = sites.find(account.url)
    count = 0
    try:
        for candidate in site.candidates(ctx, result):
            if stop.is_set():
                break
            if candidate.url in seen:
                continue
            seen.add(candidate.url)
            count += 1
            if count > ctx.max_images:
                result.stop, result.detail = StopReason.CAP, f"stopped at {ctx.max_images} images"
                break
            progress.image_found(account, candidate)
            try:
                response = ctx.net.get_image(candidate.url)
                if response.status != 200:
                    put(_Fetched(account, candidate, None, f"HTTP {response.status}"))
                    continue
                fetched = FetchedImage(candidate, response.body, response.headers.get("content-type", ""),
                                       response.url, response.headers.get("x-robots-tag", ""))
                put(_Fetched(account, candidate, fetched, None))
            except NetworkError as exc:
                put(_Fetched(account, candidate, None, exc.message))
    except FaceauditError as exc:  # e.g. no Chromium for a website: the other accounts go on
        result.stop = StopReason.ERROR
        result.detail = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
    return result


def _analyse(workspace: Workspace, scan_id: int, engine: FaceEngine, matcher: Matcher,
             item: _Fetched) -> tuple[str, int]:
    """Decode, detect, match; record the image and the user's faces only. Returns (status, yours)."""
    c = item.candidate
    row: dict[str, Any] = {
        "url": c.url, "page_url": c.page_url, "kind": c.kind.value, "found_by": c.found_by,
        "alt": c.alt, "faces": 0, "other_faces": 0, "metadata": {}, "posted_at": c.posted_at,
    }
    if item.image is None:
        workspace.record_image(scan_id, item.account.id, {**row, "status": "failed", "error": item.error}, [])
        return "failed", 0
    row["sha256"] = hashlib.sha256(item.image.data).hexdigest()
    if workspace.analysed_before(scan_id, item.account.id, row["sha256"]):
        workspace.record_image(scan_id, item.account.id, {**row, "status": "duplicate"}, [])
        return "duplicate", 0
    try:
        search = find_faces(engine, item.image.data, source=c.url)
    except ImageRejected as exc:
        workspace.record_image(scan_id, item.account.id, {**row, "status": "failed", "error": exc.message}, [])
        return "failed", 0
    findings = []
    others = 0
    faces = search.faces
    for face in faces:
        match = matcher.match(face.embedding)
        if match.verdict is Verdict.OTHER:
            others += 1  # the face, its embedding and its pixels go no further than this loop
            continue
        shown = search.box_in_image(face.box)  # in the photo as displayed, like `check`
        findings.append({
            "verdict": match.verdict.value,
            "similarity": round(match.similarity, 4),
            "box": shown.as_list(),
            "face_px": face.box.height,
            "det_score": round(face.det_score, 3),
            "recognisability": recognisability.score(face, type(engine)),
            # A thumbnail only of a confident match: a "maybe" could be someone else.
            "thumbnail": imageio.to_jpeg_thumbnail(search.rgb, (face.box.left, face.box.top, face.box.right, face.box.bottom))
            if match.verdict is Verdict.YOU else None,
        })
    row.update(status="analysed", faces=len(faces), other_faces=others, metadata=search.image.metadata.as_dict())
    workspace.record_image(scan_id, item.account.id, row, findings)
    return "analysed", sum(1 for f in findings if f["verdict"] == Verdict.YOU.value)

