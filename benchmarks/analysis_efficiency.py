"""Analysis efficiency: images/s through the scan's compare stage ÷ the hardware's limit.

    .venv/bin/python benchmarks/analysis_efficiency.py [--engine sface] [--runs 3]
    .venv/bin/python benchmarks/analysis_efficiency.py --engine dlib [--upsample 1]

Images: ../shared/faces/ people and groups (skipped with a message where absent).
  limit           the bare engine in a tight loop on images decoded beforehand, in each layout
                  the engine can run in on this machine's cores:
                    processes  one loop per core, side by side, each in its own process with an
                               engine whose calls use one core (dlib; sface with threads=1), each
                               over every image: the limit is the sum of their rates;
                    threads    one loop in one process with an engine that spreads each call over
                               the cores (sface with threads=cores; insightface).
                  Two figures per layout: `detect` (the engine's own call) and `search` (the
                  engine calls find_faces makes: turns and the small-face pass for photos with
                  no upright face), both on decoded pixels.
  compare stage   AnalysisPool as the scan runs it, with the engine's default layout: bytes in,
                  decode, find_faces, match, the result back in the scan process; warm workers,
                  the scan's in-flight bound.
efficiency = compare stage ÷ the best layout's limit (median of --runs).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faceaudit.compare import imageio
from faceaudit.compare.analysis import AnalysisPool, cores
from faceaudit.compare.engines import make_engine
from faceaudit.compare.engines.base import FaceEngine
from faceaudit.compare.faces import find_faces
from faceaudit.compare.matcher import Matcher
from faceaudit.compare.reference import ReferencePhoto, build_template
from faceaudit.demo.photos import reference_photos

FACES = Path(__file__).resolve().parents[2] / "shared" / "faces"
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
KINDS = ("detect", "search")


def image_files() -> list[Path]:
    return sorted(p for folder in ("people", "groups") for p in (FACES / folder).rglob("*")
                  if p.suffix.lower() in SUFFIXES)


@dataclass(frozen=True)
class Layout:
    """How the bare engine is spread over the cores: `loops` processes, each with `engine`."""

    name: str  # "processes" or "threads"
    engine: FaceEngine  # unloaded: each loop's process loads its own copy
    loops: int

    def describe(self) -> str:
        threads = getattr(self.engine, "threads", None)
        per = f", {threads} onnxruntime thread(s) per session" if threads is not None else ""
        return f"{self.name}: {self.loops} process(es) × 1 engine{per}"


def engine_for(name: str, *, upsample: int = 1, threads: int = 1) -> FaceEngine:
    if name == "dlib":
        from faceaudit.compare.engines.dlib_engine import DlibEngine

        return DlibEngine(upsample=upsample)
    if name == "sface":
        from faceaudit.compare.engines.sface_engine import SFaceEngine

        return SFaceEngine(threads=threads)
    return make_engine(name)


def layouts(name: str, *, upsample: int = 1) -> list[Layout]:
    """Every layout that can pay on this machine: sface runs either way; dlib only in processes
    (one engine shared by threads crashes); other engines spread their calls themselves."""
    found = []
    default = engine_for(name, upsample=upsample)
    if default.parallelism == "processes":
        found.append(Layout("processes", default, cores()))
    if name == "sface" and cores() > 1:
        found.append(Layout("threads", engine_for(name, threads=cores()), 1))
    elif default.parallelism == "threads":
        found.append(Layout("threads", default, 1))
    return found


def _bare_loop(engine: FaceEngine, kind: str, files: list[Path], start: Any, results: Any) -> None:
    """One loop: decode everything first, warm the engine, wait for the others, time."""
    blobs = [(str(p), p.read_bytes()) for p in files]
    decoded = [imageio.decode(data, source=name) for name, data in blobs]
    engine.load()
    engine.detect(decoded[0].rgb)
    start.wait()
    began = time.perf_counter()
    for (name, data), image in zip(blobs, decoded, strict=True):
        if kind == "detect":
            engine.detect(image.rgb)
        else:
            find_faces_on(engine, image, data, name)
    results.put(len(decoded) / (time.perf_counter() - began))


def find_faces_on(engine: FaceEngine, image: imageio.DecodedImage, data: bytes, name: str) -> None:
    """The engine calls of find_faces, minus its decoding: decode returns `image`, decoded before."""
    original = imageio.decode
    imageio.decode = lambda *a, **k: image
    try:
        find_faces(engine, data, source=name)
    finally:
        imageio.decode = original


def limit(engine: FaceEngine, kind: str, loops: int, files: list[Path]) -> float:
    """Images/s of `loops` bare loops run side by side, each in its own process (the sum of
    their rates)."""
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(loops + 1), ctx.Queue()
    workers = [ctx.Process(target=_bare_loop, args=(engine, kind, files, start, results))
               for _ in range(loops)]
    for worker in workers:
        worker.start()
    start.wait()
    rates = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    return sum(rates)


def compare_stage(engine: FaceEngine, files: list[Path]) -> tuple[float, int]:
    faces = build_template(engine, [ReferencePhoto(n, d) for n, d in reference_photos()]).faces
    matcher = Matcher([f.embedding for f in faces], engine.thresholds)
    blobs = [(str(p), p.read_bytes()) for p in files]
    done = threading.Semaphore(0)
    room = threading.Semaphore(0)

    def finished(tag: Any, result: Any) -> None:
        done.release()
        room.release()

    with AnalysisPool(engine, matcher, [f.embedding for f in faces], finished) as pool:
        for name, data in blobs[:pool.workers]:  # warm: every worker has loaded its models
            pool.submit(name, data, name)
        for _ in range(pool.workers):
            done.acquire()
        for _ in range(pool.capacity):
            room.release()
        began = time.perf_counter()
        for name, data in blobs:
            room.acquire()  # as the scan does: at most `capacity` images in flight
            pool.submit(name, data, name)
        for _ in blobs:
            done.acquire()
        rate = len(blobs) / (time.perf_counter() - began)
        return rate, pool.workers


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default="sface", help="sface (default), dlib or insightface")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--upsample", type=int, default=1, help="dlib HOG upsampling (the scan uses 1)")
    args = parser.parse_args(argv)
    files = image_files()
    if not files:
        print(f"no photos at {FACES / 'people'} or {FACES / 'groups'}: nothing to measure")
        return 0
    plans = layouts(args.engine, upsample=args.upsample)
    figures: dict[str, list[float]] = {f"{p.name} {k}": [] for p in plans for k in KINDS}
    figures["compare stage"] = []
    workers = 0
    for run in range(args.runs):
        for plan in plans:
            for kind in KINDS:
                figures[f"{plan.name} {kind}"].append(limit(plan.engine, kind, plan.loops, files))
        rate, workers = compare_stage(engine_for(args.engine, upsample=args.upsample), files)
        figures["compare stage"].append(rate)
        print(f"run {run + 1}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in figures.items()) + " img/s",
              flush=True)
    median = {k: statistics.median(v) for k, v in figures.items()}
    default = engine_for(args.engine, upsample=args.upsample)
    print(f"\n{len(files)} photos (people + groups), engine {args.engine}"
          + (f" (HOG upsample {args.upsample})" if args.engine == "dlib" else "")
          + f", {cores()} cores; medians of {args.runs} run(s)")
    print("bare limit (decoded pixels, warm engines):")
    for plan in plans:
        print(f"  {plan.describe()}")
        for kind in KINDS:
            value = median[f"{plan.name} {kind}"]
            print(f"    {kind:<7} {value:6.2f} images/s   {1000 / value * cores():6.0f} ms per image per core")
    for kind in KINDS:
        ranked = sorted(plans, key=lambda p: -median[f"{p.name} {kind}"])
        if len(ranked) > 1:
            best, other = (median[f"{p.name} {kind}"] for p in ranked[:2])
            print(f"  {kind}: {ranked[0].name} wins, {best / other:.2f}x {ranked[1].name}")
    compare = median["compare stage"]
    print(f"compare stage (AnalysisPool, {default.parallelism} layout, {workers} worker(s)): "
          f"{compare:.2f} images/s")
    for kind in KINDS:
        best = max(median[f"{p.name} {kind}"] for p in plans)
        print(f"efficiency vs best {kind} limit {compare / best:.2f}   (target >= 0.9)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
