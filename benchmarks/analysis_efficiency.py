"""Analysis efficiency: images/s through the scan's compare stage ÷ the hardware's limit.

    .venv/bin/python benchmarks/analysis_efficiency.py [--runs 3] [--upsample 1]

Images: ../shared/faces/ people and groups (skipped with a message where absent).
  limit           the bare engine in a tight loop on images decoded beforehand: for dlib, whose
                  calls use one core each, one loop per core, side by side, each over every image
                  (the limit is the sum of their rates); for an engine that threads by itself
                  (onnxruntime), one loop in one process. Two figures: `detect` (the engine's own
                  call) and `search` (the engine calls find_faces makes: turns and the small-face
                  pass for photos with no upright face), both on decoded pixels.
  compare stage   AnalysisPool as the scan runs it: bytes in, decode, find_faces, match, the
                  result back in the scan process; warm workers, the scan's in-flight bound.
efficiency = compare stage ÷ limit (median of --runs).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from faceaudit.compare import imageio
from faceaudit.compare.analysis import AnalysisPool, cores, default_workers
from faceaudit.compare.engines.dlib_engine import DlibEngine
from faceaudit.compare.faces import find_faces
from faceaudit.compare.matcher import Matcher
from faceaudit.compare.reference import ReferencePhoto, build_template
from faceaudit.demo.photos import reference_photos

FACES = Path(__file__).resolve().parents[2] / "shared" / "faces"
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def image_files() -> list[Path]:
    return sorted(p for folder in ("people", "groups") for p in (FACES / folder).rglob("*")
                  if p.suffix.lower() in SUFFIXES)


def _bare_loop(kind: str, upsample: int, start: Any, results: Any) -> None:
    """One core's loop: decode everything first, warm the engine, wait for the others, time."""
    engine = DlibEngine(upsample=upsample)
    blobs = [(str(p), p.read_bytes()) for p in image_files()]
    decoded = [imageio.decode(data, source=name) for name, data in blobs]
    engine.load()
    engine.detect(decoded[0].rgb)
    start.wait()
    began = time.perf_counter()
    for (name, data), image in zip(blobs, decoded, strict=True):
        if kind == "detect":
            engine.detect(image.rgb)
        else:  # the engine calls of find_faces, minus its decoding: patch decode to return `image`
            find_faces_on(engine, image, data, name)
    results.put(len(decoded) / (time.perf_counter() - began))


def find_faces_on(engine: DlibEngine, image: imageio.DecodedImage, data: bytes, name: str) -> None:
    original = imageio.decode
    imageio.decode = lambda *a, **k: image  # type: ignore[assignment]
    try:
        find_faces(engine, data, source=name)
    finally:
        imageio.decode = original  # type: ignore[assignment]


def limit(kind: str, upsample: int, loops: int) -> float:
    """Images/s of `loops` bare loops run side by side (the sum of their rates)."""
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(loops + 1), ctx.Queue()
    workers = [ctx.Process(target=_bare_loop, args=(kind, upsample, start, results)) for _ in range(loops)]
    for worker in workers:
        worker.start()
    start.wait()
    rates = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    return sum(rates)


def compare_stage(upsample: int) -> tuple[float, int]:
    engine = DlibEngine(upsample=upsample)
    faces = build_template(engine, [ReferencePhoto(n, d) for n, d in reference_photos()]).faces
    matcher = Matcher([f.embedding for f in faces], engine.thresholds)
    blobs = [(str(p), p.read_bytes()) for p in image_files()]
    done = threading.Semaphore(0)
    room = threading.Semaphore(0)
    with AnalysisPool(engine, matcher, [f.embedding for f in faces],
                      lambda tag, result: (done.release(), room.release())) as pool:
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
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--upsample", type=int, default=1, help="dlib HOG upsampling (the scan uses 1)")
    args = parser.parse_args(argv)
    files = image_files()
    if not files:
        print(f"no photos at {FACES / 'people'} or {FACES / 'groups'}: nothing to measure")
        return 0
    engine = DlibEngine(upsample=args.upsample)
    loops = cores() if engine.parallelism == "processes" else 1
    figures: dict[str, list[float]] = {"limit (detect)": [], "limit (search)": [], "compare stage": []}
    workers = default_workers(engine)
    for run in range(args.runs):
        figures["limit (detect)"].append(limit("detect", args.upsample, loops))
        figures["limit (search)"].append(limit("search", args.upsample, loops))
        rate, workers = compare_stage(args.upsample)
        figures["compare stage"].append(rate)
        print(f"run {run + 1}: " + ", ".join(f"{k} {v[-1]:.2f} img/s" for k, v in figures.items()), flush=True)
    median = {k: statistics.median(v) for k, v in figures.items()}
    print(f"\n{len(files)} photos (people + groups), dlib HOG upsample {args.upsample}, {cores()} cores, "
          f"{loops} bare loop(s) side by side, compare stage with {workers} worker(s)")
    for name, value in median.items():
        print(f"  {name:<16} {value:6.2f} images/s   {1000 / value * loops:6.0f} ms per image per core")
    for name in ("limit (detect)", "limit (search)"):
        print(f"efficiency vs {name:<16} {median['compare stage'] / median[name]:.2f}   (target >= 0.9)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
