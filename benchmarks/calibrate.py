"""Calibrate an engine's `you` / `maybe` thresholds on ../shared/faces and print the figures.

Protocol (enrol on some, check the rest): photos labelled with one face and an identity,
leaving out derived copies (resized, cropped or re-encoded versions of another photo, per the
notes in labels.csv). For every identity with two or more such photos, the first half (at least
one, by file name) is enrolled as a template and the rest are checked against it: genuine
scores. Every photo of every other identity is checked against that template too: impostor
scores. A photo's score is its largest face's best similarity to the template, computed with
the same face search and matcher that `faceaudit check` uses.

    .venv/bin/python benchmarks/calibrate.py [--engine dlib] [--faces ../shared/faces] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from faceaudit.compare.engines import make_engine
from faceaudit.compare.engines.base import FaceEngine
from faceaudit.compare.faces import find_faces
from faceaudit.compare.imageio import read_path
from faceaudit.compare.matcher import Matcher
from faceaudit.types import Embedding

DERIVED = re.compile(r"variant|crop|cop(y|ies)|identical|near-duplicate|PNG of|resized|re-encoded", re.I)
DEFAULT_FACES = Path(__file__).resolve().parents[1].parent / "shared" / "faces"


@dataclass
class Calibration:
    engine: str
    single_face_photos: int = 0
    detected: int = 0
    missed: list[str] = field(default_factory=list)
    templates: dict[str, list[str]] = field(default_factory=dict)  # identity -> enrolled files
    genuine: list[tuple[str, str, float]] = field(default_factory=list)  # (identity, file, score)
    impostor: list[tuple[str, str, float]] = field(default_factory=list)  # (template identity, file, score)
    seconds_per_photo: float = 0.0
    photo_seconds: list[float] = field(default_factory=list)  # analysis time of each photo

    def rates(self, threshold: float) -> tuple[float, float]:
        g = np.array([s for *_, s in self.genuine])
        i = np.array([s for *_, s in self.impostor])
        return float(np.mean(g >= threshold)), float(np.mean(i >= threshold))


def labelled(faces: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((faces / "labels.csv").open(encoding="utf-8")))


def largest_face(engine: FaceEngine, path: Path) -> Embedding | None:
    search = find_faces(engine, read_path(path), source=str(path))
    if not search.faces:
        return None
    return max(search.faces, key=lambda f: f.box.width * f.box.height).embedding


def calibrate(engine: FaceEngine, faces: Path, identities: set[str] | None = None) -> Calibration:
    result = Calibration(engine.name)
    rows = [r for r in labelled(faces) if r["faces"] == "1" and r["identity"]]
    if identities is not None:
        rows = [r for r in rows if r["identity"] in identities]
    embeddings: dict[str, Embedding] = {}
    started = time.perf_counter()
    for row in rows:
        photo_started = time.perf_counter()
        vector = largest_face(engine, faces / row["file"])
        result.photo_seconds.append(time.perf_counter() - photo_started)
        result.single_face_photos += 1
        if vector is None:
            result.missed.append(row["file"])
        else:
            result.detected += 1
            embeddings[row["file"]] = vector
    result.seconds_per_photo = (time.perf_counter() - started) / max(len(rows), 1)
    independent: dict[str, list[str]] = {}
    for row in rows:
        if row["file"] in embeddings and not DERIVED.search(row["note"] or ""):
            independent.setdefault(row["identity"], []).append(row["file"])
    for identity, files in sorted(independent.items()):
        if len(files) < 2:
            continue
        files = sorted(files)
        enrol, check = files[: max(1, len(files) // 2)], files[max(1, len(files) // 2):]
        result.templates[identity] = enrol
        matcher = Matcher([embeddings[f] for f in enrol], engine.thresholds)
        for file in check:
            result.genuine.append((identity, file, float(matcher.similarity(embeddings[file])[0])))
        for other, other_files in independent.items():
            if other != identity:
                for file in other_files:
                    result.impostor.append((identity, file, float(matcher.similarity(embeddings[file])[0])))
    return result


def report(result: Calibration, engine: FaceEngine) -> dict[str, object]:
    t = engine.thresholds
    curve = {f"{x:.2f}": dict(zip(("GAR", "FAR"), result.rates(float(x)), strict=True))
             for x in np.arange(0.80, 0.985, 0.01)}
    you_gar, you_far = result.rates(t.you)
    maybe_gar, maybe_far = result.rates(t.maybe)
    return {
        "engine": result.engine,
        "single_face_photos": result.single_face_photos,
        "detection_rate": result.detected / max(result.single_face_photos, 1),
        "missed": result.missed,
        "templates": len(result.templates),
        "genuine_checks": len(result.genuine),
        "impostor_checks": len(result.impostor),
        "you": {"threshold": t.you, "GAR": you_gar, "FAR": you_far},
        "maybe": {"threshold": t.maybe, "GAR": maybe_gar, "FAR": maybe_far},
        "curve": curve,
        "worst_genuine": sorted(result.genuine, key=lambda x: x[2])[:5],
        "worst_impostor": sorted(result.impostor, key=lambda x: -x[2])[:5],
        "seconds_per_photo": round(result.seconds_per_photo, 3),
        "median_seconds_per_photo": round(float(np.median(result.photo_seconds or [0.0])), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="dlib")
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if not (args.faces / "labels.csv").is_file():
        print(f"no labelled faces at {args.faces}", file=sys.stderr)
        return 2
    engine = make_engine(args.engine)
    figures = report(calibrate(engine, args.faces), engine)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"engine {figures['engine']}: {figures['seconds_per_photo']} s per photo on average, "
          f"median {figures['median_seconds_per_photo']} s (decode, face search, embedding)")
    print(f"single-face detection: {figures['detection_rate']:.1%} of {figures['single_face_photos']} photos"
          + (f"; missed: {', '.join(figures['missed'])}" if figures["missed"] else ""))  # type: ignore[arg-type]
    print(f"{figures['templates']} templates; {figures['genuine_checks']} genuine and "
          f"{figures['impostor_checks']} impostor checks")
    print("threshold    GAR      FAR")
    for threshold, rates in figures["curve"].items():  # type: ignore[attr-defined]
        print(f"  {threshold}   {rates['GAR']:7.2%}  {rates['FAR']:7.3%}")
    for name in ("you", "maybe"):
        r = figures[name]
        print(f"at {name} = {r['threshold']:.2f}: GAR {r['GAR']:.2%}, FAR {r['FAR']:.3%}")  # type: ignore[index]
    print("lowest genuine:", [(i, f, round(s, 3)) for i, f, s in figures["worst_genuine"]])  # type: ignore[attr-defined]
    print("highest impostor:", [(i, f, round(s, 3)) for i, f, s in figures["worst_impostor"]])  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main())
