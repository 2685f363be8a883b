"""Calibrate an engine's you/maybe thresholds on ../shared/faces and print the figures.

Protocol: every labelled single-face photo that is not a derived copy (labels.csv notes) is
embedded once. Genuine pairs are two independent photos of one identity; impostor pairs are
photos of two different identities. For each threshold we print the genuine-accept rate
(GAR) and false-accept rate (FAR), then the rates at the engine's configured thresholds.

    .venv/bin/python benchmarks/calibrate.py [--engine dlib] [--faces ../shared/faces]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import re
import sys
import time
from pathlib import Path

import numpy as np

from faceaudit.compare.engines import engine_class
from faceaudit.compare.imageio import decode_path

DERIVED = re.compile(r"variant|crop|cop(y|ies)|identical|near-duplicate|PNG of|resized|re-encoded", re.I)


def independent_photos(faces: Path) -> list[tuple[str, str]]:
    rows = list(csv.DictReader((faces / "labels.csv").open()))
    return [
        (row["file"], row["identity"])
        for row in rows
        if row["identity"] and row["faces"] == "1" and not DERIVED.search(row["note"] or "")
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default="dlib")
    parser.add_argument("--faces", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "faces")
    args = parser.parse_args()
    if not (args.faces / "labels.csv").is_file():
        print(f"no labelled faces at {args.faces}", file=sys.stderr)
        return 2
    engine = engine_class(args.engine)()
    photos = independent_photos(args.faces)
    embeddings: dict[str, np.ndarray] = {}
    identity: dict[str, str] = {}
    missed: list[str] = []
    started = time.perf_counter()
    for file, who in photos:
        faces = engine.detect(decode_path(args.faces / file).rgb)
        if not faces:
            missed.append(file)
            continue
        best = max(faces, key=lambda f: f.box.width * f.box.height)
        embeddings[file] = best.embedding
        identity[file] = who
    elapsed = time.perf_counter() - started
    print(f"engine {args.engine}: {len(photos)} independent single-face photos, {elapsed:.1f} s "
          f"({elapsed / max(len(photos), 1):.2f} s/photo)")
    print(f"detection rate: {len(embeddings)}/{len(photos)} = {len(embeddings) / len(photos):.1%}"
          + (f"; missed: {', '.join(missed)}" if missed else ""))
    genuine: list[float] = []
    impostor: list[float] = []
    for a, b in itertools.combinations(sorted(embeddings), 2):
        score = float(embeddings[a] @ embeddings[b])
        (genuine if identity[a] == identity[b] else impostor).append(score)
    g = np.array(genuine)
    i = np.array(impostor)
    print(f"pairs: {len(g)} genuine, {len(i)} impostor")
    print(f"genuine similarity min {g.min():.3f} median {np.median(g):.3f}; "
          f"impostor max {i.max():.3f} median {np.median(i):.3f}")
    print("threshold   GAR      FAR")
    for t in np.arange(0.80, 0.99, 0.01):
        print(f"  {t:.2f}   {np.mean(g >= t):7.2%}  {np.mean(i >= t):7.3%}")
    th = engine.thresholds
    for name, t in (("you", th.you), ("maybe", th.maybe)):
        print(f"at {name} = {t:.3f}: GAR {np.mean(g >= t):.2%}, FAR {np.mean(i >= t):.3%} "
              f"({int(np.sum(i >= t))} of {len(i)} impostor pairs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
