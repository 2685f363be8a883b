"""How fast the insightface engine runs here, with an ArcFace ResNet-50 of random weights.

    .venv/bin/python benchmarks/insightface_speed.py [--model PATH] [--runs 3] [--images 40] [--faces 1]

The real buffalo_l recogniser cannot be downloaded on every machine; its speed depends on its
architecture, not its weights, so benchmarks/export_arcface.py exports the same ResNet-50
(insightface's iresnet50, 43.6 M parameters) with random weights, as w600k_r50.onnx. That file
and the tests' stand-in SCRFD-shaped detector (tests/onnx_models.py: its only "face" is a
bright-red 32x32 cell of the 640x640 detector input) make a pack folder in a temporary folder.
The images are 640x640, random green and blue blocks (the stand-in detector sees only red),
with --faces red cells each.

  a. bare recogniser  an onnxruntime session on the CPU, as insightface makes it, in a tight
                      loop in this process: one 112x112 face per call (insightface embeds one
                      face per call), on random pixels.
  b. engine           InsightFaceEngine(model_dir=pack).detect() on the decoded images: detect,
                      align, embed each face, sharpness. Its recognition part is b minus b with
                      no face in the image, per face; a / that = how near the engine comes to
                      the bare recogniser. The detector is a STAND-IN costing next to nothing:
                      the real SCRFD-10G's cost is NOT in these figures (b0 shows the stand-in's
                      share).
  c. compare stage    AnalysisPool as the scan runs it with this engine (one thread: onnxruntime
                      threads itself): JPEG bytes in, decode, find_faces, match against a
                      template, the result back; warm engine, the scan's in-flight bound.
                      c / b = what the stage adds to the engine.
Figures are medians of --runs.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from onnx_models import DETECTOR_FILE, FACE_CELL, RECOGNISER_FILE, write_pack

from faceaudit.compare.analysis import AnalysisPool, cores
from faceaudit.compare.engines.insightface_engine import InsightFaceEngine
from faceaudit.compare.matcher import Matcher
from faceaudit.types import Analysis

BENCH = Path.home() / ".cache" / "faceaudit-bench"
DEFAULT_MODEL = BENCH / "models" / "r50-random" / RECOGNISER_FILE
SIDE = 640  # the detector's input size: no resizing, so a red cell stays one 32x32 cell
# Face cells, (column, row) of the 32-pixel grid, far enough apart that their boxes
# (160x192 px around the cell) never overlap, so non-maximum suppression keeps each one.
CELLS = [(column, row) for row in (3, 10, 16) for column in (2, 8, 14)]
JPEG_QUALITY = 90


def make_commands(model: Path) -> str:
    venv = BENCH / "torch-venv"
    return (f"python3 -m venv {venv} && {venv}/bin/pip install torch==2.13.0 onnx numpy\n"
            f"{venv}/bin/python {Path(__file__).resolve().parent / 'export_arcface.py'} "
            f"--out {model.parent}")


def photo(faces: int, seed: int) -> np.ndarray:
    """SIDE x SIDE RGB: coarse random green and blue blocks, red only in the `faces` cells."""
    blocks = np.random.default_rng(seed).integers(0, 256, (SIDE // 16, SIDE // 16, 2), dtype=np.uint8)
    image = np.zeros((SIDE, SIDE, 3), dtype=np.uint8)
    image[:, :, 1:] = np.repeat(np.repeat(blocks, 16, axis=0), 16, axis=1)
    for column, row in CELLS[:faces]:
        x, y = column * FACE_CELL, row * FACE_CELL
        image[y : y + FACE_CELL, x : x + FACE_CELL] = (255, 0, 0)
    return image


def jpeg(rgb: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def timed(calls: int, call: Callable[[int], object]) -> float:
    """Seconds for call(0) .. call(calls - 1)."""
    began = time.perf_counter()
    for i in range(calls):
        call(i)
    return time.perf_counter() - began


def bare_recogniser(model: Path, calls: int) -> float:
    """Embeddings/s of one session with onnxruntime's default options, batch 1."""
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    faces = np.random.default_rng(1).uniform(-1, 1, (8, 1, 3, 112, 112)).astype(np.float32)
    for face in faces[:3]:  # warm
        session.run(None, {name: face})
    seconds = timed(calls, lambda i: session.run(None, {name: faces[i % len(faces)]}))
    return calls / seconds


def engine_rate(engine: InsightFaceEngine, images: list[np.ndarray]) -> float:
    """Images/s of engine.detect over `images`, already decoded."""
    engine.detect(images[0])  # warm
    return len(images) / timed(len(images), lambda i: engine.detect(images[i]))


def compare_stage(engine: InsightFaceEngine, matcher: Matcher, template: list[np.ndarray],
                  blobs: list[bytes]) -> tuple[float, dict[str, int]]:
    """Images/s through AnalysisPool, driven as the scan drives it, and what it found."""
    done = threading.Semaphore(0)
    room = threading.Semaphore(0)
    found = {"faces": 0, "yours": 0, "failed": 0}

    def finished(tag: object, result: Analysis | BaseException) -> None:
        if isinstance(result, Analysis) and result.status == "analysed":
            found["faces"] += result.faces
            found["yours"] += result.yours
        else:
            found["failed"] += 1
        done.release()
        room.release()

    with AnalysisPool(engine, matcher, template, finished) as pool:
        for i, data in enumerate(blobs[:pool.workers]):  # warm
            pool.submit(i, data, f"warm-{i}.jpg")
        for _ in range(pool.workers):
            done.acquire()
        found.update(faces=0, yours=0, failed=0)
        for _ in range(pool.capacity):
            room.release()
        began = time.perf_counter()
        for i, data in enumerate(blobs):
            room.acquire()  # as the scan does: at most `capacity` images in flight
            pool.submit(i, data, f"image-{i}.jpg")
        for _ in blobs:
            done.acquire()
        return len(blobs) / (time.perf_counter() - began), found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL,
                        help="an ArcFace-shaped w600k_r50.onnx (benchmarks/export_arcface.py)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--images", type=int, default=40, help="images per run (and bare calls per face)")
    parser.add_argument("--faces", type=int, default=1, choices=range(1, len(CELLS) + 1),
                        metavar=f"1..{len(CELLS)}", help="faces per image")
    args = parser.parse_args(argv)
    model = args.model.expanduser().resolve()
    if not model.is_file():
        print(f"no recogniser at {model}; make one (PyTorch, outside the repo) with:\n"
              f"{make_commands(model)}")
        return 2
    print(__doc__.split("\n\n", 2)[2].rstrip())
    with tempfile.TemporaryDirectory(prefix="faceaudit-bench-") as temp:
        pack = Path(temp) / "r50-random"
        write_pack(pack, (DETECTOR_FILE,))
        (pack / RECOGNISER_FILE).symlink_to(model)
        engine = InsightFaceEngine(model_dir=pack, root=Path(temp) / "insightface")
        engine.load()
        with_faces = [photo(args.faces, seed) for seed in range(args.images)]
        without = [photo(0, seed) for seed in range(args.images)]
        blobs = [jpeg(image) for image in with_faces]
        seen = {len(engine.detect(image)) for image in with_faces[:3]}
        if seen != {args.faces} or engine.detect(without[0]):
            print(f"the stand-in detector found {seen} faces, not {args.faces}: not measured")
            return 1
        # The template: one face from an image outside the measured ones.
        template = [engine.detect(photo(1, seed=10_000))[0].embedding]
        matcher = Matcher(template, engine.thresholds)
        calls = args.images * args.faces
        figures: dict[str, list[float]] = {"a": [], "b": [], "b0": [], "c": []}
        found: dict[str, int] = {}
        for run in range(args.runs):
            figures["a"].append(bare_recogniser(model, calls))
            figures["b"].append(engine_rate(engine, with_faces))
            figures["b0"].append(engine_rate(engine, without))
            rate, found = compare_stage(engine, matcher, template, blobs)
            figures["c"].append(rate)
            print(f"run {run + 1}: a {figures['a'][-1]:.2f} emb/s, b {figures['b'][-1]:.2f} img/s, "
                  f"b0 {figures['b0'][-1]:.2f} img/s, c {figures['c'][-1]:.2f} img/s", flush=True)
    a, b, b0, c = (statistics.median(figures[k]) for k in ("a", "b", "b0", "c"))
    per_face_bare = 1000 / a
    per_image, per_empty = 1000 / b, 1000 / b0
    per_face_engine = (per_image - per_empty) / args.faces
    print(f"\n{model} ({model.stat().st_size / 2**20:.0f} MiB), {cores()} cores, onnxruntime "
          f"{ort.__version__}, {args.images} images of {SIDE}x{SIDE} with {args.faces} face(s), "
          f"median of {args.runs} run(s)")
    print(f"a. bare recogniser  {a:7.2f} embeddings/s  {per_face_bare:7.1f} ms per face   "
          f"(onnxruntime's default options: one intra-op thread per core, {os.cpu_count()} CPUs)")
    print(f"b. engine           {b:7.2f} images/s      {per_image / args.faces:7.1f} ms per face, "
          f"all in")
    print(f"   no face (b0)     {b0:7.2f} images/s      {per_empty:7.1f} ms per image: stand-in "
          f"detector + insightface's pre/post-processing, {per_empty / per_image:.0%} of b "
          f"(NOT the real SCRFD-10G cost)")
    print(f"   recognition      {per_face_engine:7.1f} ms per face (b - b0)   "
          f"efficiency vs a: {per_face_bare / per_face_engine:.2f}")
    print(f"c. compare stage    {c:7.2f} images/s      {1000 / c / args.faces:7.1f} ms per face   "
          f"c / b: {c / b:.2f}   (last run: {found['faces']} faces, {found['yours']} matched "
          f"as you, {found['failed']} failed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
