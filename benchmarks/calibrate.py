"""Measure each engine's `you` / `maybe` thresholds on the labelled face sets, with confidence bounds.

Two sets, each measured on its own and then both together (their checks pooled; no photo of one
set is checked against a template of the other):

faces (../shared/faces): photos labelled with one face (`faces` = 1) and an identity, leaving
out derived copies (resized, cropped or re-encoded versions of another photo: the DERIVED
pattern on the `note` column). For every identity with two or more such independent photos, the
first half by file name (at least one) is enrolled as a template and the rest are checked
against it: genuine checks. Every independent photo of every other identity is checked against
that template too: impostor checks. A photo's face is its largest detected face. Detection is
counted over every single-face photo with an identity, derived copies included. The set has no
group labels: its one group is "faces (no group labels)".

faces-eval (../shared/faces-eval, see its README.md): every photo in labels.csv is searched. Its
`target_face_box` (x1 y1 x2 y2, in the photo as displayed) is the labelled person's face: the
detected face overlapping it most (IoU, boxes turned back to the displayed photo) is that
person's face, whichever face is largest. A photo where no face was found, or none overlaps
the box by an IoU of at least MIN_IOU, is a detection miss. Per identity, of its detected photos
sorted by file name, the first two are enrolled and the rest checked (genuine); an identity
with fewer than three detected photos enrols all but one (at least one). Each template is also
checked against ONE photo of every other identity, that identity's first detected photo by
file name (impostor). Groups come from identities.csv (`group`): a genuine check counts in its
identity's group, an impostor check in the template identity's group. Identities whose
`source` is Glint360K (112x112 crops, already aligned, so detection and alignment are barely
tested on them) are counted in their group and ALSO in a row of their own, "glint (pre-aligned
crops)", keyed the same way.

A photo's score is its face's best cosine similarity to any face of the template, with the same
face search (faceaudit.compare.faces.find_faces) and matcher (faceaudit.compare.matcher.Matcher)
that `faceaudit check` uses; a check is accepted when score >= threshold, as `check` decides.

What is printed, per engine and per set, then for both sets together: the detection rate with
the misses named; at the engine's `you` and `maybe` thresholds, genuine accepts and false
accepts as k/n with a 95% Clopper-Pearson interval, overall and per group; a sentence giving
the overall figures' worst case within that interval; a threshold sweep over the range the
scores make useful (from the higher of the lowest genuine score and the impostors' 99th
percentile, to just above the highest impostor score, widened to include both thresholds),
with the lowest threshold of the sweep that has no false accept on both sets together and the
lowest that has at most one; the 5 lowest genuine and 5 highest impostor checks; the median
seconds a photo takes (read, face search, embedding).

Faces are searched in worker processes, one engine each, when --workers is over 1 (default:
one per core for an engine whose calls use one core each, like dlib; one otherwise). Embeddings
stay in memory: nothing about anyone's face is written anywhere.

    .venv/bin/python benchmarks/calibrate.py [--engine NAME ...] [--faces DIR]
        [--faces-eval DIR] [--workers N] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import multiprocessing
import re
import signal
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from faceaudit.compare.analysis import cores
from faceaudit.compare.engines import ENGINES, engine_class, make_engine
from faceaudit.compare.engines.base import FaceEngine
from faceaudit.compare.faces import find_faces
from faceaudit.compare.imageio import read_path
from faceaudit.compare.matcher import Matcher
from faceaudit.errors import FaceauditError
from faceaudit.thresholds import Thresholds
from faceaudit.types import Box, Embedding

DERIVED = re.compile(r"variant|crop|cop(y|ies)|identical|near-duplicate|PNG of|resized|re-encoded", re.I)
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEFAULT_FACES = SHARED / "faces"
DEFAULT_FACES_EVAL = SHARED / "faces-eval"
NO_GROUP = "faces (no group labels)"
GLINT = "glint (pre-aligned crops)"
UNGROUPED = "(no group in identities.csv)"
MIN_IOU = 0.3  # a detected face overlapping the labelled box less than this is someone else's
CONFIDENCE = 0.95
WORST = 5  # lowest genuine / highest impostor checks shown


# -- Clopper-Pearson intervals -------------------------------------------------------------------


def clopper_pearson(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The exact (Clopper-Pearson) two-sided interval for a proportion of k successes in n."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= k <= n:
        raise ValueError(f"k must be between 0 and n, not {k} of {n}")
    tail = (1 - confidence) / 2
    lower = 0.0 if k == 0 else beta_ppf(tail, k, n - k + 1)
    upper = 1.0 if k == n else beta_ppf(1 - tail, k + 1, n - k)
    return lower, upper


def beta_ppf(q: float, a: float, b: float) -> float:
    """The q-quantile of Beta(a, b): scipy's when it is installed, else bisection on betainc."""
    try:
        from scipy.stats import beta
    except ImportError:
        return beta_ppf_bisect(q, a, b)
    return float(beta.ppf(q, a, b))


def beta_ppf_bisect(q: float, a: float, b: float) -> float:
    """The q-quantile of Beta(a, b) by bisection: the regularised incomplete beta rises with x."""
    low, high = 0.0, 1.0
    for _ in range(200):
        middle = (low + high) / 2
        if betainc(a, b, middle) < q:
            low = middle
        else:
            high = middle
        if high - low < 1e-14:
            break
    return (low + high) / 2


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b), by its continued fraction (Lentz)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):  # the fraction converges fast on this side; use symmetry otherwise
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 10_000):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return result


@dataclass(frozen=True)
class Rate:
    """k of n, with its 95% Clopper-Pearson interval."""

    k: int
    n: int

    @property
    def rate(self) -> float | None:
        return self.k / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float]:
        return clopper_pearson(self.k, self.n)

    def as_dict(self) -> dict[str, Any]:
        low, high = self.interval
        rate = self.rate
        return {"k": self.k, "n": self.n, "rate": None if rate is None else round(rate, 6),
                "lo": round(low, 6), "hi": round(high, 6)}


def accepted(scores: Sequence[float], threshold: float) -> Rate:
    return Rate(sum(1 for s in scores if s >= threshold), len(scores))


# -- one photo -----------------------------------------------------------------------------------


@dataclass
class Photo:
    """What the face search found in one labelled photo: the labelled person's face, or why not."""

    file: str
    embedding: Embedding | None
    faces: int  # faces found
    seconds: float  # read, face search and embedding
    miss: str | None = None  # why no face counts as the labelled person's
    iou: float | None = None  # overlap of the chosen face with the labelled box, if there is one
    largest: bool = True  # the chosen face is the largest found


def parse_box(text: str) -> Box:
    left, top, right, bottom = (round(float(v)) for v in text.split())
    return Box(left, top, right, bottom)


def iou(a: Box, b: Box) -> float:
    width = min(a.right, b.right) - max(a.left, b.left)
    height = min(a.bottom, b.bottom) - max(a.top, b.top)
    overlap = max(width, 0) * max(height, 0)
    union = a.width * a.height + b.width * b.height - overlap
    return overlap / union if union > 0 else 0.0


def embed_photo(engine: FaceEngine, folder: Path, file: str, target: Box | None = None) -> Photo:
    """The labelled person's face in `folder/file`: the face overlapping `target` most (a box in
    the photo as displayed), or without a target the largest face, as `check` reports them."""
    path = folder / file
    started = time.perf_counter()
    try:
        search = find_faces(engine, read_path(path), source=str(path))
    except FaceauditError as exc:
        return Photo(file, None, 0, time.perf_counter() - started, f"not read: {exc.message}")
    seconds = time.perf_counter() - started
    faces = search.faces
    if not faces:
        return Photo(file, None, 0, seconds, "no face found")
    if target is None:
        largest = max(faces, key=lambda f: f.box.width * f.box.height)
        return Photo(file, largest.embedding, len(faces), seconds)
    overlaps = [iou(search.box_in_image(f.box), target) for f in faces]
    best = int(np.argmax(overlaps))
    if overlaps[best] < MIN_IOU:
        return Photo(file, None, len(faces), seconds,
                     f"{len(faces)} face(s) found, none on the labelled face (best IoU {overlaps[best]:.2f})",
                     overlaps[best])
    biggest = max(range(len(faces)), key=lambda i: faces[i].box.width * faces[i].box.height)
    return Photo(file, faces[best].embedding, len(faces), seconds, None, overlaps[best], best == biggest)


_worker: dict[str, FaceEngine] = {}


def _start_worker(engine: FaceEngine) -> None:
    """This worker's own engine (its settings arrive pickled, without models), loaded once.
    Ctrl-C reaches every process of the terminal: the main process stops the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    engine.load()
    _worker["engine"] = engine


def _embed_in_worker(folder: Path, file: str, target: Box | None) -> Photo:
    return embed_photo(_worker["engine"], folder, file, target)


class Embedder:
    """Searches labelled photos for faces: here, or with `workers` > 1 in as many spawned
    processes, each with its own engine. Results come back in the order asked, in memory only."""

    def __init__(self, engine: FaceEngine, workers: int = 1) -> None:
        self.engine = engine
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None

    def __call__(self, folder: Path, jobs: Sequence[tuple[str, Box | None]]) -> list[Photo]:
        if self.workers == 1:
            self.engine.load()  # before the clock starts on the first photo
            return [embed_photo(self.engine, folder, file, target) for file, target in jobs]
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker, initargs=(self.engine,))
        files = [file for file, _ in jobs]
        return list(self._pool.map(_embed_in_worker, [folder] * len(jobs), files,
                                   [target for _, target in jobs], chunksize=4))

    def close(self, *, cancel: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
            self._pool = None

    def __enter__(self) -> Embedder:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        self.close(cancel=kind is not None)


# -- the two protocols ---------------------------------------------------------------------------


@dataclass
class Calibration:
    engine: str
    set_name: str = "faces"
    photos: int = 0  # photos searched for the labelled person's face
    detected: int = 0
    missed: list[str] = field(default_factory=list)
    miss_reasons: dict[str, str] = field(default_factory=dict)  # file -> why
    tried: list[tuple[str, str]] = field(default_factory=list)  # (identity, file) of every photo searched
    not_largest: list[str] = field(default_factory=list)  # files whose labelled face is not the largest found
    templates: dict[str, list[str]] = field(default_factory=dict)  # identity -> enrolled files
    genuine: list[tuple[str, str, float]] = field(default_factory=list)  # (identity, file, score)
    impostor: list[tuple[str, str, float]] = field(default_factory=list)  # (template identity, file, score)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # identity -> the rows it counts in
    seconds_per_photo: float = 0.0  # wall time over photos (with workers: throughput)
    photo_seconds: list[float] = field(default_factory=list)  # analysis time of each photo

    def rates(self, threshold: float) -> tuple[float, float]:
        g = np.array([s for *_, s in self.genuine])
        i = np.array([s for *_, s in self.impostor])
        return float(np.mean(g >= threshold)), float(np.mean(i >= threshold))

    def groups_of(self, identity: str) -> tuple[str, ...]:
        return self.groups.get(identity, (UNGROUPED,))

    def _record(self, rows: Sequence[dict[str, str]], photos: Sequence[Photo], seconds: float) -> dict[str, Embedding]:
        embeddings: dict[str, Embedding] = {}
        for row, photo in zip(rows, photos, strict=True):
            self.tried.append((row["identity"], row["file"]))
            self.photo_seconds.append(photo.seconds)
            if photo.embedding is None:
                self.missed.append(row["file"])
                self.miss_reasons[row["file"]] = photo.miss or "no face"
            else:
                embeddings[row["file"]] = photo.embedding
                if not photo.largest:
                    self.not_largest.append(row["file"])
        self.photos, self.detected = len(rows), len(embeddings)
        self.seconds_per_photo = seconds / max(len(rows), 1)
        return embeddings


def labelled(faces: Path, name: str = "labels.csv") -> list[dict[str, str]]:
    with (faces / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def largest_face(engine: FaceEngine, path: Path) -> Embedding | None:
    return embed_photo(engine, path.parent, path.name).embedding


def _search(engine: FaceEngine, folder: Path, jobs: list[tuple[str, Box | None]], workers: int,
            embedder: Embedder | None) -> tuple[list[Photo], float]:
    started = time.perf_counter()
    if embedder is not None:
        photos = embedder(folder, jobs)
    else:
        with Embedder(engine, workers) as own:
            photos = own(folder, jobs)
    return photos, time.perf_counter() - started


def calibrate(engine: FaceEngine, faces: Path, identities: set[str] | None = None, *,
              workers: int = 1, embedder: Embedder | None = None) -> Calibration:
    """The faces protocol (module docstring) on `faces`, or on `identities` only."""
    result = Calibration(engine.name, "faces")
    rows = [r for r in labelled(faces) if r["faces"] == "1" and r["identity"]]
    if identities is not None:
        rows = [r for r in rows if r["identity"] in identities]
    photos, seconds = _search(engine, faces, [(r["file"], None) for r in rows], workers, embedder)
    embeddings = result._record(rows, photos, seconds)
    result.groups = {r["identity"]: (NO_GROUP,) for r in rows}
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


def eval_groups(folder: Path) -> dict[str, tuple[str, ...]]:
    """identity -> its report rows: its group, and the glint row for Glint360K crops."""
    if not (folder / "identities.csv").is_file():
        return {}
    groups = {}
    for row in labelled(folder, "identities.csv"):
        rows: tuple[str, ...] = (row.get("group") or UNGROUPED,)
        if (row.get("source") or "").lower().startswith("glint"):
            rows += (GLINT,)
        groups[row["identity"]] = rows
    return groups


def eval_split(files: Sequence[str]) -> tuple[list[str], list[str]]:
    """faces-eval: of an identity's detected photos, the ones enrolled and the ones checked."""
    files = sorted(files)
    enrolled = 2 if len(files) >= 3 else max(1, len(files) - 1)
    return files[:enrolled], files[enrolled:]


def calibrate_eval(engine: FaceEngine, folder: Path, identities: set[str] | None = None, *,
                   workers: int = 1, embedder: Embedder | None = None) -> Calibration:
    """The faces-eval protocol (module docstring) on `folder`, or on `identities` only."""
    result = Calibration(engine.name, "faces-eval")
    rows = [r for r in labelled(folder) if r["identity"]]
    if identities is not None:
        rows = [r for r in rows if r["identity"] in identities]
    jobs = [(r["file"], parse_box(r["target_face_box"]) if (r.get("target_face_box") or "").strip() else None)
            for r in rows]
    photos, seconds = _search(engine, folder, jobs, workers, embedder)
    embeddings = result._record(rows, photos, seconds)
    known = eval_groups(folder)
    result.groups = {r["identity"]: known.get(r["identity"], (UNGROUPED,)) for r in rows}
    detected: dict[str, list[str]] = {}
    for row in rows:
        if row["file"] in embeddings:
            detected.setdefault(row["identity"], []).append(row["file"])
    detected = {identity: sorted(files) for identity, files in sorted(detected.items())}
    probes = {identity: files[0] for identity, files in detected.items()}  # the impostor photo of each
    for identity, files in detected.items():
        enrol, check = eval_split(files)
        result.templates[identity] = enrol
        matcher = Matcher([embeddings[f] for f in enrol], engine.thresholds)
        for file in check:
            result.genuine.append((identity, file, float(matcher.similarity(embeddings[file])[0])))
        for other, file in probes.items():
            if other != identity:
                result.impostor.append((identity, file, float(matcher.similarity(embeddings[file])[0])))
    return result


# -- figures -------------------------------------------------------------------------------------


def sweep_grid(genuine: Sequence[float], impostor: Sequence[float], thresholds: Thresholds) -> list[float]:
    """Thresholds 0.01 apart over the range the scores make useful: from the higher of the lowest
    genuine score (below it nothing more is accepted) and the impostors' 99th percentile (below
    it over 1% are accepted), to the first step above the highest impostor score (above it
    nothing is gained); widened to include both of the engine's thresholds."""
    marks = [thresholds.you, thresholds.maybe]
    first, last = math.floor(min(marks) * 100 + 1e-9), math.ceil(max(marks) * 100 - 1e-9)
    if impostor:
        start = max(float(np.quantile(impostor, 0.99)), min(genuine, default=-1.0))
        first = min(first, math.floor(start * 100))
        last = max(last, math.floor(max(impostor) * 100) + 1)
    elif genuine:
        first, last = min(first, math.floor(min(genuine) * 100)), max(last, math.ceil(max(genuine) * 100))
    steps = range(max(first, -100), min(last, 100) + 1)
    return sorted({round(i / 100, 2) for i in steps} | {round(m, 4) for m in marks})


def _scores(results: Sequence[Calibration], kind: str) -> list[float]:
    return [s for r in results for *_, s in getattr(r, kind)]


def at_threshold(genuine: Sequence[float], impostor: Sequence[float], threshold: float) -> dict[str, Any]:
    g, fa = accepted(genuine, threshold), accepted(impostor, threshold)
    return {"threshold": threshold, "genuine": g.as_dict(), "false_accepts": fa.as_dict(),
            "GAR": g.rate, "FAR": fa.rate}


def group_rows(results: Sequence[Calibration], thresholds: Thresholds) -> list[dict[str, Any]]:
    """A row per group present: detection, genuine accepts and false accepts at both thresholds."""
    tried: dict[str, list[int]] = {}
    genuine: dict[str, list[float]] = {}
    impostor: dict[str, list[float]] = {}
    for result in results:
        missed = set(result.missed)
        for identity, file in result.tried:
            for group in result.groups_of(identity):
                tried.setdefault(group, []).append(file not in missed)
        for identity, _, score in result.genuine:
            for group in result.groups_of(identity):
                genuine.setdefault(group, []).append(score)
        for identity, _, score in result.impostor:
            for group in result.groups_of(identity):
                impostor.setdefault(group, []).append(score)
    special = {GLINT: 1, NO_GROUP: 2, UNGROUPED: 3}
    rows = []
    for group in sorted(set(tried) | set(genuine) | set(impostor), key=lambda g: (special.get(g, 0), g)):
        g, i = genuine.get(group, []), impostor.get(group, [])
        found = tried.get(group, [])
        rows.append({
            "group": group,
            "detection": Rate(sum(found), len(found)).as_dict(),
            "you": at_threshold(g, i, thresholds.you),
            "maybe": at_threshold(g, i, thresholds.maybe),
        })
    return rows


def honest_sentence(you: dict[str, Any]) -> str:
    """The overall figures at `you` with the worst case their sample size allows."""
    g, fa = you["genuine"], you["false_accepts"]
    if not g["n"] and not fa["n"]:
        return "no checks: nothing measured"
    parts = []
    if g["n"]:
        parts.append(f"{g['n']} genuine checks: {g['rate']:.1%} accepted could be as low as {g['lo']:.1%}")
    if fa["n"]:
        parts.append(f"{fa['n']} impostor checks: {fa['k']} false accepts, {fa['rate']:.2%} "
                     f"that could be as high as {fa['hi']:.2%}")
    return "; ".join(parts) + " (ends of the 95% Clopper-Pearson intervals)"


def _pairs(checks: list[tuple[str, str, float]], highest: bool) -> list[list[Any]]:
    ordered = sorted(checks, key=lambda c: (-c[2], c[0], c[1]) if highest else (c[2], c[0], c[1]))
    return [[identity, file, round(score, 4)] for identity, file, score in ordered[:WORST]]


def report(result: Calibration | Sequence[Calibration], engine: FaceEngine,
           grid: Sequence[float] | None = None) -> dict[str, Any]:
    """The figures of one set, or of several together (their checks pooled), as plain data."""
    results = [result] if isinstance(result, Calibration) else list(result)
    pooled = len(results) > 1
    t = engine.thresholds
    genuine, impostor = _scores(results, "genuine"), _scores(results, "impostor")
    if grid is None:
        grid = sweep_grid(genuine, impostor, t)

    def named(r: Calibration, check: tuple[str, str, float]) -> tuple[str, str, float]:
        return (check[0], f"{r.set_name}:{check[1]}", check[2]) if pooled else check

    genuine_checks = [named(r, c) for r in results for c in r.genuine]
    impostor_checks = [named(r, c) for r in results for c in r.impostor]
    photos, detected = sum(r.photos for r in results), sum(r.detected for r in results)
    sweep: list[dict[str, Any]] = []
    for threshold in grid:
        g, fa = accepted(genuine, threshold), accepted(impostor, threshold)
        sweep.append({"threshold": threshold, "genuine_accepted": g.k, "genuine_checks": g.n, "GAR": g.rate,
                      "false_accepts": fa.k, "impostor_checks": fa.n, "FAR": fa.rate})

    def lowest(max_false_accepts: int) -> dict[str, Any] | None:
        for row in sweep:
            if row["false_accepts"] <= max_false_accepts:
                return at_threshold(genuine, impostor, row["threshold"])
        return None

    you = at_threshold(genuine, impostor, t.you)
    seconds = [s for r in results for s in r.photo_seconds]
    return {
        "set": " + ".join(r.set_name for r in results),
        "engine": engine.name,
        "photos": photos,
        "detected": detected,
        "detection": Rate(detected, photos).as_dict(),
        "detection_rate": detected / photos if photos else None,
        "missed": [{"file": f"{r.set_name}:{f}" if pooled else f, "reason": r.miss_reasons.get(f, "")}
                   for r in results for f in r.missed],
        "labelled_face_not_largest": [f"{r.set_name}:{f}" if pooled else f for r in results for f in r.not_largest],
        "templates": sum(len(r.templates) for r in results),
        "genuine_checks": len(genuine),
        "impostor_checks": len(impostor),
        "you": you,
        "maybe": at_threshold(genuine, impostor, t.maybe),
        "honest": honest_sentence(you),
        "groups": group_rows(results, t),
        "sweep": sweep,
        "highest_impostor_score": round(max(impostor), 4) if impostor else None,
        "lowest_zero_false_accepts": lowest(0),
        "lowest_at_most_one_false_accept": lowest(1),
        "lowest_genuine": _pairs(genuine_checks, highest=False),
        "highest_impostor": _pairs(impostor_checks, highest=True),
        "median_seconds_per_photo": round(float(np.median(seconds)), 3) if seconds else None,
        "seconds_per_photo": round(sum(r.seconds_per_photo * r.photos for r in results) / max(photos, 1), 3),
    }


# -- the command ---------------------------------------------------------------------------------


def _cell(rate: dict[str, Any], digits: int) -> str:
    """`k/n rate [lo, hi]` in a column 34 wide."""
    if not rate["n"]:
        return f"{'0/0':>10}".ljust(34)
    return (f"{rate['k']:>4}/{rate['n']:<5} {rate['rate']:>6.{digits}%} "
            f"[{rate['lo']:.{digits}%}, {rate['hi']:.{digits}%}]").ljust(34)


def _at_text(name: str, at: dict[str, Any]) -> str:
    g, fa = at["genuine"], at["false_accepts"]
    text = f"  at {name} = {at['threshold']:.2f}: genuine accepted "
    text += (f"{g['k']}/{g['n']} ({g['rate']:.1%}, 95% CI {g['lo']:.1%}-{g['hi']:.1%})" if g["n"] else "0/0")
    text += "; false accepts "
    text += (f"{fa['k']}/{fa['n']} ({fa['rate']:.2%}, 95% CI {fa['lo']:.2%}-{fa['hi']:.2%})" if fa["n"] else "0/0")
    return text


def _print_set(figures: dict[str, Any], folder: str | None) -> None:
    print(f"\n-- {figures['set']}" + (f" ({folder})" if folder else ""))
    d = figures["detection"]
    misses = figures["missed"]
    print(f"  detection: {d['k']}/{d['n']} photos ({(figures['detection_rate'] or 0):.1%}); "
          f"missed {len(misses)}" + (":" if misses else ""))
    for miss in misses:
        print(f"    {miss['file']}: {miss['reason']}")
    if figures["labelled_face_not_largest"]:
        print(f"  {len(figures['labelled_face_not_largest'])} photos' labelled face is not the largest face found "
              f"(chosen by its box): {', '.join(figures['labelled_face_not_largest'])}")
    print(f"  {figures['templates']} templates; {figures['genuine_checks']} genuine and "
          f"{figures['impostor_checks']} impostor checks; median {figures['median_seconds_per_photo']} s a photo")
    print(_at_text("you", figures["you"]))
    print(_at_text("maybe", figures["maybe"]))
    print(f"  {figures['honest']}")
    header = (f"  {'group':<30} {'photos found':>13}  {'genuine at you':<34}  "
              f"{'false accepts at you':<34}  {'false accepts at maybe':<34}")
    print(header)
    rows = [{"group": "all", "detection": figures["detection"], "you": figures["you"], "maybe": figures["maybe"]},
            *figures["groups"]]
    for row in rows:
        det = row["detection"]
        print(f"  {row['group']:<30} {det['k']:>6}/{det['n']:<6}  {_cell(row['you']['genuine'], 1)}  "
              f"{_cell(row['you']['false_accepts'], 2)}  {_cell(row['maybe']['false_accepts'], 2)}")
    print("  lowest genuine:   " + "; ".join(f"{i} {f} {s:.3f}" for i, f, s in figures["lowest_genuine"]))
    print("  highest impostor: " + "; ".join(f"{i} vs {f} {s:.3f}" for i, f, s in figures["highest_impostor"]))


def _print_sweep(per_set: list[dict[str, Any]], combined: dict[str, Any]) -> None:
    columns = [*per_set, combined] if len(per_set) > 1 else per_set
    print("\n-- threshold sweep: genuine accepted (GAR) and false accepts (FA), k/n")
    print("  threshold  " + "  ".join(f"{c['set'] + ' GAR':>22} {'FA':>10}" for c in columns))
    by_threshold = [{row["threshold"]: row for row in c["sweep"]} for c in columns]
    for row in combined["sweep"]:
        cells = []
        for rows in by_threshold:
            s = rows.get(row["threshold"])
            if s is None:  # a set reported on a sweep of its own
                cells.append(f"{'-':>22} {'-':>10}")
                continue
            gar = f"{s['genuine_accepted']}/{s['genuine_checks']} {s['GAR']:.1%}" if s["genuine_checks"] else "-"
            cells.append(f"{gar:>22} {s['false_accepts']:>5}/{s['impostor_checks']:<4}")
        print(f"  {row['threshold']:>9.2f}  " + "  ".join(cells))
    for key, label in (("lowest_zero_false_accepts", "no false accept"),
                       ("lowest_at_most_one_false_accept", "at most 1 false accept")):
        at = combined[key]
        if at is None:
            print(f"  {label}: not reached in the sweep")
            continue
        g = at["genuine"]
        print(f"  lowest threshold with {label} on {combined['set']}: {at['threshold']:.2f} "
              f"(genuine accepted {g['k']}/{g['n']}, {g['rate'] or 0:.1%}, 95% CI {g['lo']:.1%}-{g['hi']:.1%}; "
              f"false accepts {at['false_accepts']['k']}/{at['false_accepts']['n']})")
    print(f"  highest impostor score on {combined['set']}: {combined['highest_impostor_score']}")


def run_engine(name: str, sets: list[tuple[str, Path]], workers: int | None) -> dict[str, Any]:
    """Every set measured with engine `name`, then the sets together."""
    engine = make_engine(name)
    workers = workers or (cores() if engine.parallelism == "processes" else 1)
    started = time.perf_counter()
    results = []
    with Embedder(engine, workers) as embedder:
        for label, folder in sets:
            protocol = calibrate if label == "faces" else calibrate_eval
            results.append(protocol(engine, folder, embedder=embedder))
    grid = sweep_grid(_scores(results, "genuine"), _scores(results, "impostor"), engine.thresholds)
    per_set = [report(r, engine, grid) for r in results]
    return {
        "engine": name,
        "thresholds": {"you": engine.thresholds.you, "maybe": engine.thresholds.maybe},
        "workers": workers,
        "folders": {label: str(folder) for label, folder in sets},
        "sets": per_set,
        "combined": report(results, engine, grid) if len(results) > 1 else per_set[0],
        "wall_seconds": round(time.perf_counter() - started, 1),
    }


def print_engine(figures: dict[str, Any]) -> None:
    t = figures["thresholds"]
    print(f"== engine {figures['engine']}: you >= {t['you']}, maybe >= {t['maybe']}; "
          f"{figures['workers']} worker(s); {figures['wall_seconds']} s in all")
    for per_set in figures["sets"]:
        _print_set(per_set, figures["folders"].get(per_set["set"]))
    if len(figures["sets"]) > 1:
        _print_set(figures["combined"], None)
    _print_sweep(figures["sets"], figures["combined"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--engine", action="append", choices=ENGINES,
                        help="an engine to measure (repeat for several); default: every engine that can run here")
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES, help=f"default: {DEFAULT_FACES}")
    parser.add_argument("--faces-eval", type=Path, default=DEFAULT_FACES_EVAL, help=f"default: {DEFAULT_FACES_EVAL}")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes searching photos (default: one per core for engines such as dlib "
                             "whose calls use one core each, else 1)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    skipped: list[str] = []
    sets = []
    for label, folder in (("faces", args.faces), ("faces-eval", args.faces_eval)):
        if (folder / "labels.csv").is_file():
            sets.append((label, folder))
        else:
            skipped.append(f"{label}: no labels.csv in {folder}, skipped")
    names = args.engine or [n for n in ENGINES if engine_class(n).availability(None).ok]
    runnable = []
    for name in dict.fromkeys(names):
        available = engine_class(name).availability(None)
        if available.ok:
            runnable.append(name)
        else:
            skipped.append(f"engine {name}: cannot run here, skipped ({available.reason})")
    for reason in skipped:
        print(reason, file=sys.stderr)
    if not sets or not runnable:
        print("nothing to measure: " + ("no labelled face set found" if not sets else "no engine can run here"),
              file=sys.stderr)
        return 2

    engines = []
    for name in runnable:
        figures = run_engine(name, sets, args.workers)
        engines.append(figures)
        if not args.json:
            print_engine(figures)
            print()
    if args.json:
        print(json.dumps({"engines": engines, "skipped": skipped}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
