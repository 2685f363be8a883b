"""Check speed: images/s of `faceaudit check` (check_photos) against the bare engine on every core.

    .venv/bin/python benchmarks/check_speed.py [--engine sface] [--photos 150] [--runs 3]
    .venv/bin/python benchmarks/check_speed.py --threshold [--engine sface] [--runs 3] [--up-to 10]

Photos: ../shared/faces/ people and groups, cycled to --photos and copied into a temporary
folder, so the check reads and decodes files as it does for a user. The template is two photos
of barack_obama, enrolled in memory (build_template); nothing is stored.
  check   check_photos over every photo, all in: worker start-up (each loads its models),
          reading, decoding, find_faces, matching, the results back in order.
  limit   the engine calls find_faces makes, in a tight loop over the same photos decoded
          beforehand, one loop per core, each in its own process with a warm engine, side by side
          (the sum of their rates): analysis_efficiency.py's bare limit, processes layout.
ratio = limit ÷ check (target: at most 1.1). The check's start-up (until its first result)
and its rate after it are printed too: they show where the difference goes.

--threshold: when worker processes pay. Each measurement is a fresh process (as a `faceaudit
check` is), checking the first n of the photos in a fixed shuffled order in this process (one
engine) and in worker processes; check.WORKERS_PAY_FROM should hold the smallest n from which
the workers win.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from analysis_efficiency import FACES, engine_for, image_files, limit

from faceaudit.check import WORKERS_PAY_FROM, check_photos
from faceaudit.compare.analysis import cores
from faceaudit.compare.engines.base import FaceEngine
from faceaudit.compare.reference import ReferencePhoto, build_template
from faceaudit.types import Template

REFERENCES = ("barack_obama/obama.jpg", "barack_obama/obama2.jpg")


def enrolled(engine: FaceEngine) -> Template:
    """The template `faceaudit enroll` would store, kept in memory."""
    photos = [ReferencePhoto(name, (FACES / "people" / name).read_bytes()) for name in REFERENCES]
    faces = build_template(engine, photos).faces
    return Template(engine.name, engine.describe(), datetime.now(timezone.utc).isoformat(), faces)


def copied(files: list[Path], count: int, folder: Path) -> list[Path]:
    """`files` cycled to `count`, each copy a file of its own in `folder`."""
    paths = []
    for index in range(count):
        source = files[index % len(files)]
        path = folder / f"{index:04d}-{source.name}"
        shutil.copyfile(source, path)
        paths.append(path)
    return paths


def timed_check(template: Template, paths: list[Path], workers: int | None = None) -> tuple[float, float]:
    """(seconds for the whole check, seconds until its first result)."""
    first: list[float] = []
    began = time.perf_counter()
    check_photos(template, paths, workers=workers,
                 progress=lambda done, total: first.append(time.perf_counter() - began) if done == 1 else None)
    return time.perf_counter() - began, first[0]


def speed(args: argparse.Namespace) -> int:
    engine = engine_for(args.engine)
    template = enrolled(engine)
    loops = cores() if engine.parallelism == "processes" else 1
    figures: dict[str, list[float]] = {"check": [], "limit": [], "start-up": [], "after start-up": []}
    with tempfile.TemporaryDirectory(prefix="check-speed-") as folder:
        paths = copied(image_files(), args.photos, Path(folder))
        for run in range(args.runs):
            seconds, first = timed_check(template, paths)
            figures["check"].append(len(paths) / seconds)
            figures["start-up"].append(first)
            figures["after start-up"].append((len(paths) - 1) / (seconds - first))
            figures["limit"].append(limit(engine_for(args.engine), "search", loops, paths))
            print(f"run {run + 1}: check {figures['check'][-1]:.2f} img/s ({seconds:.1f} s, first result "
                  f"after {first:.2f} s), limit {figures['limit'][-1]:.2f} img/s", flush=True)
    median = {k: statistics.median(v) for k, v in figures.items()}
    print(f"\n{args.photos} photos (people + groups of {FACES}, cycled), engine {args.engine}, "
          f"{cores()} cores, {loops} bare loop(s); medians of {args.runs} run(s)")
    print(f"  check            {median['check']:6.2f} images/s   (first result after "
          f"{median['start-up']:.2f} s, then {median['after start-up']:.2f} images/s)")
    print(f"  limit            {median['limit']:6.2f} images/s")
    print(f"limit / check      {median['limit'] / median['check']:.2f}   (target <= 1.1)")
    print(f"limit / check after start-up {median['limit'] / median['after start-up']:.2f}")
    return 0


# -- --threshold ---------------------------------------------------------------------------------
PROBE = """
import json, sys, time
from pathlib import Path
import numpy as np
from faceaudit.check import check_with
from faceaudit.compare.analysis import cores
from faceaudit.compare.engines import make_engine
if __name__ == "__main__":
    name, template, workers, *paths = sys.argv[1:]
    embeddings = list(np.load(template))
    began = time.perf_counter()
    check_with(make_engine(name), embeddings, [Path(p) for p in paths],
               workers=cores() if workers == "pool" else 1)
    print(json.dumps(time.perf_counter() - began))
"""


def threshold(args: argparse.Namespace) -> int:
    engine = engine_for(args.engine)
    if engine.parallelism != "processes":
        print(f"{args.engine} runs in this process whatever the number of photos: no threshold")
        return 0
    template = enrolled(engine)
    photos = image_files()
    random.Random(1).shuffle(photos)
    with tempfile.TemporaryDirectory(prefix="check-threshold-") as folder:
        probe, saved = Path(folder) / "probe.py", Path(folder) / "template.npy"
        probe.write_text(PROBE)
        np.save(saved, np.vstack([f.embedding for f in template.faces]))

        def seconds(layout: str, count: int) -> float:
            command = [sys.executable, str(probe), args.engine, str(saved), layout,
                       *map(str, photos[:count])]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            return float(json.loads(done.stdout.strip().splitlines()[-1]))

        print(f"engine {args.engine}, {cores()} cores; seconds for a fresh process to check n photos, "
              f"median of {args.runs}")
        print("   n   in-process   worker processes")
        wins = {}
        for count in range(2, args.up_to + 1):  # one photo is always checked in this process
            times: dict[str, list[float]] = {"alone": [], "pool": []}
            for _ in range(args.runs):  # interleaved, so a busy spell slows both alike
                for layout, found in times.items():
                    found.append(seconds(layout, count))
            alone, pool = statistics.median(times["alone"]), statistics.median(times["pool"])
            wins[count] = pool < alone
            print(f"  {count:2d}   {alone:8.2f}     {pool:8.2f}   {'workers' if pool < alone else 'in-process'}",
                  flush=True)
    # The smallest n from which the workers win at every n measured.
    paying = [n for n in wins if all(wins[m] for m in wins if m >= n)]
    print(f"workers pay from {paying[0]} photos" if paying else f"workers never paid up to {args.up_to} photos")
    print(f"check.WORKERS_PAY_FROM[{args.engine!r}] is {WORKERS_PAY_FROM.get(args.engine)}")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default="sface")
    parser.add_argument("--photos", type=int, default=150)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threshold", action="store_true", help="when worker processes pay (see above)")
    parser.add_argument("--up-to", type=int, default=10, help="--threshold: the most photos tried")
    args = parser.parse_args(argv)
    if not image_files():
        print(f"no photos at {FACES / 'people'} or {FACES / 'groups'}: nothing to measure")
        return 0
    return threshold(args) if args.threshold else speed(args)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
