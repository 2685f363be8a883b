"""A scan: crawl the listed accounts and analyse their images at the same time, keeping only the user's faces.

The crawler runs in its own thread (Playwright's sync API stays in that thread) and hands
fetched images to this thread, which sends them to the analysis pool (compare/analysis.py: every
core) and records each result: a scan takes about as long as its slower half. Memory stays
bounded: the crawler takes a slot before it hands over an image's bytes, and a slot is given back
only once that image is recorded, so at most `slots` images are held anywhere at once.

No image is analysed twice: size variants of one picture collapse to one URL before fetching
(`Site.canonical`); bytes already analysed for the account in this scan are a duplicate; bytes
analysed by an earlier scan (or for another account) with the same engine, model, thresholds
and template are copied from that analysis, with no decoding and no detection; bytes being
analysed right now wait for that analysis. Each image is recorded in one transaction: a killed
scan resumes where it stopped and analyses nothing twice.

Re-scans cost the platforms little: an image whose server gave validators (ETag, Last-Modified)
is asked for only if it changed since the scan that analysed it; a 304 brings no bytes, and the
earlier analysis of those bytes is copied. Each account's result says what its crawl cost.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import queue
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from faceaudit import __version__
from faceaudit.compare import analysis
from faceaudit.compare.analysis import AnalysisPool
from faceaudit.compare.engines.base import FaceEngine
from faceaudit.compare.matcher import Matcher
from faceaudit.crawl import sites
from faceaudit.crawl.net import NetClient, NetworkPolicy, RequestCap, ScanDeadline
from faceaudit.crawl.sites.base import CrawlContext
from faceaudit.errors import FaceauditError, NetworkError
from faceaudit.types import (
    Analysis,
    CrawlResult,
    FetchedImage,
    ImageCandidate,
    ImageRecord,
    ImageStatus,
    StopReason,
    Validators,
)
from faceaudit.workspace import Account, Workspace

log = logging.getLogger(__name__)

# Fetched images waiting for the analysis pool, beyond the ones it is working on: enough to
# keep every worker busy through a burst of slow requests, few enough to bound memory.
FETCHED_AHEAD = 8
# Longest ETag or Last-Modified kept (real ones are tens of characters).
MAX_VALIDATOR = 512


@dataclass
class ScanOptions:
    policy: NetworkPolicy = field(default_factory=NetworkPolicy)
    max_images: int = 500  # per account
    max_pages: int = 20
    max_scrolls: int = 15
    fresh: bool = False  # start a new scan even if the last one was interrupted
    workers: int | None = None  # analysis workers; None: as many as the engine can use


class ScanProgress(Protocol):
    def account_started(self, account: Account) -> None: ...
    def image_found(self, account: Account, candidate: ImageCandidate) -> None: ...
    def image_analysed(self, account: Account, url: str, status: ImageStatus, yours: int) -> None: ...
    def account_finished(self, account: Account, result: CrawlResult) -> None: ...


class _Quiet:
    def account_started(self, account: Account) -> None: pass
    def image_found(self, account: Account, candidate: ImageCandidate) -> None: pass
    def image_analysed(self, account: Account, url: str, status: ImageStatus, yours: int) -> None: pass
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


@dataclass
class _Analysed:
    sha256: str
    result: Analysis | BaseException


def analysis_key(workspace: Workspace, engine: FaceEngine, matcher: Matcher) -> str:
    """What an analysis depends on besides the image bytes: faceaudit's version, the engine,
    its model and settings, the thresholds and the template. Scans with equal keys give equal
    results for equal bytes, so one may reuse the other's. Empty (no reuse) without a template."""
    template = workspace.template()
    if template is None:
        return ""
    digest = hashlib.sha256(json.dumps({
        "faceaudit": __version__, "engine": engine.describe(),
        "thresholds": [matcher.thresholds.you, matcher.thresholds.maybe],
        "min_image_side": analysis.MIN_IMAGE_SIDE,
    }, sort_keys=True, default=str).encode())
    for face in template.faces:
        digest.update(np.asarray(face.embedding, dtype=np.float32).tobytes())
    return digest.hexdigest()


def run_scan(workspace: Workspace, engine: FaceEngine, matcher: Matcher,
             options: ScanOptions, progress: ScanProgress | None = None) -> int:
    """Scan every listed account; returns the scan id. Resumes an interrupted scan unless fresh
    (or unless the engine or template changed since it started)."""
    progress = progress or _Quiet()
    accounts = workspace.accounts()
    key = analysis_key(workspace, engine, matcher)
    template = workspace.template()
    with workspace.scan_lock():
        scan_id = None if options.fresh else workspace.unfinished_scan()
        if scan_id is not None and workspace.analysis_key(scan_id) not in ("", key):
            scan_id = None  # its images were judged against another template or engine
        if scan_id is None:
            scan_id = workspace.start_scan(engine.name, matcher.thresholds)
        workspace.set_analysis_key(scan_id, key)
        events: queue.Queue[Any] = queue.Queue()  # bounded by the slots, see the module docstring
        stop = threading.Event()
        pending = [a for a in accounts if not workspace.account_done(scan_id, a.id)]
        # The crawler thread must not read SQLite (one connection, owned by this thread):
        # hand it the URLs already recorded so it skips them.
        seen = {a.id: workspace.recorded_urls(scan_id, a.id) for a in pending}
        # ... and what servers said of the bytes already analysed, to ask only for changed ones.
        validators = workspace.image_validators(key)
        # Worker processes rebuild the matcher from the stored template; a matcher given without
        # one (a library caller's own) is used as it is, in this process.
        embeddings = [f.embedding for f in template.faces] if template else []
        with AnalysisPool(engine, matcher, embeddings, lambda sha, result: events.put(_Analysed(sha, result)),
                          workers=options.workers if embeddings else 1) as pool:
            slots = threading.Semaphore(FETCHED_AHEAD + pool.capacity)
            crawler = threading.Thread(
                target=_crawl_all, name="crawler",
                args=(pending, seen, options, events, slots, stop, progress, validators), daemon=True,
            )
            crawler.start()
            recorder = _Recorder(workspace, scan_id, key, pool, slots, progress)
            try:
                recorder.run(events)
            except BaseException:
                stop.set()
                pool.close(cancel=True)
                crawler.join(timeout=30)
                workspace.finish_scan(scan_id, "interrupted")
                raise
            crawler.join()
        workspace.finish_scan(scan_id, "complete")
    return scan_id


class _Recorder:
    """This thread's side of a scan: dispatch fetched images, record results, free slots."""

    def __init__(self, workspace: Workspace, scan_id: int, key: str, pool: AnalysisPool,
                 slots: threading.Semaphore, progress: ScanProgress) -> None:
        self.workspace, self.scan_id, self.key = workspace, scan_id, key
        self.pool, self.slots, self.progress = pool, slots, progress
        self.analysing: dict[str, list[_Fetched]] = {}  # sha256 -> the images of those bytes
        self.unrecorded: dict[int, int] = defaultdict(int)  # account id -> images not yet recorded
        self.finished: dict[int, _AccountDone] = {}  # crawled accounts with images still analysing

    def run(self, events: queue.Queue[Any]) -> None:
        crawling, failure = True, None
        while crawling or self.analysing:
            item = events.get()
            if item is None:
                crawling = False
            elif isinstance(item, _CrawlFailed):
                # The crawl's end (a deadline, say): what was fetched is still analysed and kept.
                crawling, failure = False, item.error
            elif isinstance(item, _Analysed):
                self._analysed(item)
            elif isinstance(item, _AccountDone):
                self.finished[item.account.id] = item
                self._finish_accounts()
            else:
                self.unrecorded[item.account.id] += 1
                self._fetched(item)
        if failure is not None:
            raise failure

    def _fetched(self, item: _Fetched) -> None:
        if item.image is None:
            self._record(item, Analysis(ImageStatus.FAILED, item.error), None)
            return
        sha = item.image.sha256
        if sha in self.analysing:  # the same bytes are being analysed: wait for that
            self.analysing[sha].append(item)
            return
        if self.workspace.analysed_before(self.scan_id, item.account.id, sha):
            self._record(item, None, sha)
            return
        reused = self.workspace.reusable_analysis(self.key, sha)
        if reused is not None:
            self._record(item, reused, sha)
            return
        if item.image.unchanged_sha256 is not None:
            # The crawler is only given validators of analysed bytes (Workspace.image_validators),
            # and nothing deletes analyses during a scan: this does not happen. Said, not hidden.
            self._record(item, Analysis(ImageStatus.FAILED, "unchanged since the last scan, "
                                        "but that scan's analysis is gone; `faceaudit scan --fresh` fetches it again"), None)
            return
        self.analysing[sha] = [item]
        self.pool.submit(sha, item.image.data, item.candidate.url)

    def _analysed(self, event: _Analysed) -> None:
        if isinstance(event.result, BaseException):
            raise event.result
        done: set[int] = set()
        for item in self.analysing.pop(event.sha256):
            # Once per account; the account's other copies of the bytes are duplicates.
            self._record(item, None if item.account.id in done else event.result, event.sha256)
            done.add(item.account.id)

    def _record(self, item: _Fetched, result: Analysis | None, sha: str | None) -> None:
        """Record one image (result None: a duplicate of one recorded for its account)."""
        stored = result if result is not None else Analysis(ImageStatus.DUPLICATE)
        image = item.image
        record = ImageRecord(item.candidate, sha, stored, image.etag if image else "", image.last_modified if image else "")
        self.workspace.record_image(self.scan_id, item.account.id, record)
        self.slots.release()
        self.unrecorded[item.account.id] -= 1
        self.progress.image_analysed(item.account, item.candidate.url, stored.status, stored.yours)
        self._finish_accounts()

    def _finish_accounts(self) -> None:
        """Mark an account done only once all its images are recorded: a resumed scan skips
        accounts marked done."""
        for account_id, item in list(self.finished.items()):
            if self.unrecorded[account_id] > 0:
                continue
            del self.finished[account_id]
            self.workspace.record_account_result(self.scan_id, account_id, item.result)
            self.progress.account_finished(item.account, item.result)


def _crawl_all(accounts: list[Account], seen: dict[int, set[str]], options: ScanOptions,
               events: queue.Queue[Any], slots: threading.Semaphore, stop: threading.Event,
               progress: ScanProgress, validators: Mapping[str, Validators] | None = None) -> None:
    """The crawler thread: one fresh HTTP client and (if needed) one fresh browser per scan.

    `validators`: image URL -> what its server said of bytes already analysed (conditional GETs)."""
    browser_holder: list[Any] = []

    def browser() -> Any:
        if not browser_holder:
            from faceaudit.crawl.browser import BrowserSession

            session = BrowserSession(options.policy)
            session.__enter__()
            browser_holder.append(session)
        return browser_holder[0]

    def put(item: object) -> None:
        """Hand an image over once a slot is free (the back-pressure); other events at once."""
        if isinstance(item, _Fetched):
            while not slots.acquire(timeout=0.2):
                if stop.is_set():
                    return
        events.put(item)

    try:
        with NetClient(options.policy, stop=stop) as net:  # Ctrl-C ends a request under way at once
            ctx = CrawlContext(net=net, browser=browser, max_images=options.max_images,
                               max_pages=options.max_pages, max_scrolls=options.max_scrolls)
            for account in accounts:
                if stop.is_set():
                    return
                net.start_account()  # --max-requests counts afresh; past --deadline: ScanDeadline
                progress.account_started(account)
                result = _crawl_account(account, ctx, seen[account.id], put, stop, progress,
                                        validators=validators or {})
                result.cost = net.account_cost()
                put(_AccountDone(account, result))
        put(None)
    except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which re-raises it
        put(_CrawlFailed(exc))
    finally:
        for session in browser_holder:
            session.__exit__(None, None, None)


def _crawl_account(account: Account, ctx: CrawlContext, seen: set[str],
                   put: Callable[[object], None], stop: threading.Event,
                   progress: ScanProgress, *, validators: Mapping[str, Validators] | None = None) -> CrawlResult:
    result = CrawlResult()
    site = sites.find(account.url)
    try:
        # `candidates` owns the --max-images cap (Site.candidates), net.py the --max-requests one.
        for candidate in site.candidates(ctx, result):
            if stop.is_set():
                break
            largest = site.canonical(candidate.url)  # size variants of one picture: one URL
            if candidate.url in seen or largest in seen:
                continue
            seen.update((candidate.url, largest))
            progress.image_found(account, candidate)
            fetched = None
            if largest != candidate.url:
                fetched = _fetch(ctx, account, dataclasses.replace(candidate, url=largest), validators or {})
            if fetched is None or fetched.image is None:  # the page's own URL, when the variant fails
                fetched = _fetch(ctx, account, candidate, validators or {})
            put(fetched)
    except RequestCap as exc:  # --max-requests reached while fetching images: our own limit
        result.stop, result.detail = StopReason.CAP, exc.message
    except ScanDeadline:
        raise  # ends the whole scan, which stays resumable
    except FaceauditError as exc:  # e.g. no Chromium for a website: the other accounts go on
        result.stop = StopReason.ERROR
        result.detail = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
    except (TypeError, KeyError, AttributeError, ValueError, IndexError) as exc:
        # An adapter that could not read a platform's answer (a shape it did not expect) is a bug
        # in faceaudit, but it must not cost the user the other accounts: this one says so.
        log.exception("the %s adapter failed on %s", site.name, account.url)
        result.stop = StopReason.ERROR
        result.detail = (f"faceaudit could not read {site.name}'s answer ({type(exc).__name__}: "
                         f"{str(exc)[:120]}): a bug in faceaudit, please report it; the other accounts were checked")
    return result


def _fetch(ctx: CrawlContext, account: Account, candidate: ImageCandidate,
           validators: Mapping[str, Validators]) -> _Fetched:
    """Fetch one image, conditionally when an earlier scan analysed its bytes and kept validators."""
    known = validators.get(candidate.url)
    try:
        # Plain calls stay plain: stand-ins for NetClient (tests) need know nothing of validators.
        response = ctx.net.get_image(candidate.url, validators=known) if known else ctx.net.get_image(candidate.url)
    except NetworkError as exc:  # RequestCap is not one: it ends the account, not the image
        return _Fetched(account, candidate, None, exc.message)
    headers = response.headers
    # Kept with the image and sent back next time: a server's oversized value is not worth either.
    etag, last_modified = (value if len(value) <= MAX_VALIDATOR else ""
                           for value in (headers.get("etag", ""), headers.get("last-modified", "")))
    if response.status == 304 and known:
        # Same bytes as last time: the server may restate or omit its validators (RFC 9110 15.4.5).
        image = FetchedImage(candidate, b"", "", response.url, headers.get("x-robots-tag", ""),
                             etag or known.etag, last_modified or known.last_modified, known.sha256)
        return _Fetched(account, candidate, image, None)
    if response.status != 200:  # a 304 to a plain GET included: it says nothing of the bytes
        return _Fetched(account, candidate, None, f"HTTP {response.status}")
    image = FetchedImage(candidate, response.body, headers.get("content-type", ""),
                         response.url, headers.get("x-robots-tag", ""), etag, last_modified)
    return _Fetched(account, candidate, image, None)
