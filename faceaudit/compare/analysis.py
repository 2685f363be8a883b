"""The compare stage of a scan: image bytes in, what may be stored about them out, on every core.

`analyse` is the whole stage for one image: header check, decode, face search, match. What it
returns is exactly what the scan stores: counts of faces, the photo's metadata, and findings
for the user's own faces only. Other people's faces are matched inside `analyse` and leave it as
a count, so nothing about them crosses a thread or process boundary, and no worker ever writes
anything: the scan's main thread records results through the workspace (the storage choke
point).

`EnginePool` runs a task on one photo at a time beside its caller, spread over the cores the way
the engine needs (`FaceEngine.parallelism`): one warm engine per worker process for engines
whose calls use one core each (dlib, sface with one thread a session), one engine in this
process for engines that use every core by themselves. `AnalysisPool` is the scan's: its task
is `analyse`. `faceaudit check` runs its own task (check.py) in the same pool. A task is a
top-level function `task(engine, matcher, *args)`: what it returns is all that leaves a worker,
so it decides what crosses the process boundary. benchmarks/analysis_efficiency.py and
benchmarks/check_speed.py measure both uses against the bare engine.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import resource_tracker
from typing import Any

import faiss
import numpy as np

from faceaudit.compare import imageio, recognisability
from faceaudit.compare.engines.base import FaceEngine
from faceaudit.compare.faces import find_faces
from faceaudit.compare.matcher import Matcher
from faceaudit.errors import ImageRejected
from faceaudit.thresholds import Thresholds
from faceaudit.types import Analysis, Embedding, Finding, ImageStatus, Verdict

# An image whose shorter side is under this many pixels cannot hold a face larger than that, and
# recognisability.py scores faces of 24 px or less as useless to a recogniser: such images
# (icons, spacers, tracking pixels) are recorded from their header, never decoded.
MIN_IMAGE_SIDE = 24


def analyse(engine: FaceEngine, matcher: Matcher, data: bytes, *, source: str) -> Analysis:
    """Header check, decode, face search and match of one image's bytes."""
    try:
        width, height = imageio.dimensions(data, source=source)
        if min(width, height) < MIN_IMAGE_SIDE:
            return Analysis(ImageStatus.ANALYSED)
        search = find_faces(engine, data, source=source)
    except ImageRejected as exc:
        return Analysis(ImageStatus.FAILED, exc.message)
    findings: list[Finding] = []
    others = 0
    for face in search.faces:
        match = matcher.match(face.embedding)
        if match.verdict is Verdict.OTHER:
            others += 1  # the face, its embedding and its pixels go no further than this loop
            continue
        shown = search.box_in_image(face.box)  # in the photo as displayed, like `check`
        findings.append(Finding(
            verdict=match.verdict,
            similarity=round(match.similarity, 4),
            box=shown,
            face_px=face.box.height,
            det_score=round(face.det_score, 3),
            recognisability=recognisability.score(face, type(engine)),
            # A thumbnail only of a confident match: a "maybe" could be someone else.
            thumbnail=imageio.to_jpeg_thumbnail(
                search.rgb, (face.box.left, face.box.top, face.box.right, face.box.bottom))
            if match.verdict is Verdict.YOU else None,
        ))
    return Analysis(ImageStatus.ANALYSED, None, len(search.faces), others, search.image.metadata, findings)


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_workers(engine: FaceEngine) -> int:
    return cores() if engine.parallelism == "processes" else 1


Done = Callable[[Any, Any], None]  # (tag, the task's result or the error it raised)
Task = Callable[..., Any]  # task(engine, matcher, *args, **kwargs): a top-level function


class EnginePool:
    """Runs `task(engine, matcher, *args)` beside the caller; `done(tag, result)` is called from a
    pool thread as each task finishes, in any order (a cancelled task is not reported). `submit`
    never blocks: the caller bounds how many tasks are in flight (`capacity`) when their
    arguments take memory.

    With `workers` > 1 and a "processes" engine, each worker process loads its own engine once
    and keeps it warm for as long as the pool lives; otherwise the given engine runs in `workers`
    threads of this process (its models loaded once, here). Worker processes are spawned, so a
    script that uses them must start from `if __name__ == "__main__":`, as multiprocessing
    requires, and `task` must be importable by its module and name. Only the task's result (and
    any error it raises) comes back from a worker: the engine's faces, with their embeddings,
    stay there unless the task returns them."""

    def __init__(self, engine: FaceEngine, matcher: Matcher, template: list[Embedding],
                 done: Done, *, task: Task, workers: int | None = None) -> None:
        self.workers = workers or default_workers(engine)
        self.processes = self.workers > 1 and engine.parallelism == "processes"
        self.capacity = 2 * self.workers  # one task running and one waiting, per worker
        self._task = task
        self._done = done
        self._executor: Executor
        if self.processes:
            # spawn: the calling process may have threads (crawler, browser) that a fork would
            # copy mid-flight; each worker imports what it needs and loads the engine once.
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(engine, [np.asarray(v, np.float32) for v in template], matcher.thresholds))
            try:
                with _ctrl_c_held():
                    for _ in range(self.workers):  # start every worker now, before the first task
                        self._executor.submit(_warm)
            except BaseException:  # Ctrl-C: nobody will close this pool
                self.close(cancel=True)
                raise
        else:
            engine.load()
            self._engine, self._matcher = engine, matcher
            self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="analysis")

    def submit(self, tag: Any, *args: Any, **kwargs: Any) -> None:
        future: Future[Any]
        if self.processes:
            future = self._executor.submit(_run_in_worker, self._task, *args, **kwargs)
        else:
            future = self._executor.submit(self._task, self._engine, self._matcher, *args, **kwargs)
        future.add_done_callback(lambda f: self._finished(tag, f))

    def _finished(self, tag: Any, future: Future[Any]) -> None:
        if future.cancelled():  # the pool was closed with cancel=True: nobody waits for it
            return
        error = future.exception()
        self._done(tag, error if error is not None else future.result())

    def close(self, *, cancel: bool = False) -> None:
        """Wait for the tasks submitted, or with `cancel` drop those not started and return at
        once: a worker finishes the photo it is on, then ends."""
        self._executor.shutdown(wait=not cancel, cancel_futures=cancel)

    def __enter__(self) -> EnginePool:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        self.close(cancel=kind is not None)


class AnalysisPool(EnginePool):
    """The scan's compare stage: `submit(tag, data, source)` runs `analyse` on an image's bytes
    and `done(tag, Analysis or error)` receives what the scan may store. Each image's bytes are
    in memory until it is analysed, so the scan keeps at most `capacity` in flight."""

    def __init__(self, engine: FaceEngine, matcher: Matcher, template: list[Embedding],
                 done: Done, *, workers: int | None = None) -> None:
        super().__init__(engine, matcher, template, done, task=analyse, workers=workers)

    def submit(self, tag: Any, data: bytes, source: str) -> None:
        super().submit(tag, data, source=source)

    def __enter__(self) -> AnalysisPool:
        return self


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Hold Ctrl-C while worker processes start. Ctrl-C reaches every process of the terminal's
    group; a worker ignores it, but only from `_start_worker` on: one still importing would die
    with a traceback, and so would one whose start this process left half-done (its start-up
    data half-sent). So SIGINT is blocked meanwhile, a mask the workers inherit and
    `_start_worker` lifts once it ignores SIGINT, and a Ctrl-C that reaches this process
    is raised here as soon as the workers have started."""
    if (not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is None):
        yield  # not POSIX, not the thread Python handles signals in, or a handler not Python's
        return
    # Starting multiprocessing's resource tracker unblocks SIGINT in this thread: start it first.
    resource_tracker.ensure_running()
    caught: list[int] = []
    handler = signal.signal(signal.SIGINT, lambda number, frame: caught.append(number))
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        signal.signal(signal.SIGINT, handler)
    if caught:
        signal.raise_signal(signal.SIGINT)  # as if it came now: KeyboardInterrupt, usually


# -- in a worker process -----------------------------------------------------------------------
_worker: dict[str, Any] = {}


def _start_worker(engine: FaceEngine, template: list[Embedding], thresholds: Thresholds) -> None:
    """Keep this worker's engine and the template (in memory only, as in the calling process).
    The models load in the first task, so a failure to load reaches the caller as that task's
    error. Ctrl-C reaches every process of the terminal's group: the calling process stops the
    workers, so they ignore it rather than each printing a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # blocked until now (_ctrl_c_held): a Ctrl-C since is dropped
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    # faiss searches with an OpenMP thread per core, whose threads then spin waiting for work:
    # with one worker per core they take the cores from the other workers' engines. A template
    # of a few faces is searched fastest by one thread anyway.
    faiss.omp_set_num_threads(1)
    _worker.update(engine=engine, matcher=Matcher(template, thresholds))
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


def _exit_with(parent_sentinel: int) -> None:
    """End this worker when the calling process ends, however it ends: a scan killed with kill -9
    never shuts its pool down, and its workers would otherwise wait for work forever."""
    multiprocessing.connection.wait([parent_sentinel])
    os._exit(1)


def _warm() -> None:
    """Load the models before the first task arrives; one call per worker starts them all.
    A failure here is raised again, and reported, by the worker's first task."""
    with contextlib.suppress(Exception):  # reported by the first task, see above
        _worker["engine"].load()


def _run_in_worker(task: Task, *args: Any, **kwargs: Any) -> Any:
    return task(_worker["engine"], _worker["matcher"], *args, **kwargs)
