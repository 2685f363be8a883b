"""What find_faces' search for hard photos costs, in seconds per image, with the dlib engine.

"before" is what every stage did until find_faces: decode, then one HOG pass on a copy of at
most DETECT_MAX_SIDE pixels (DlibEngine(small_faces=False).detect). "after" is find_faces:
that pass (on a few frames of an animation), then, only when it finds nothing, the three
turns (on a copy of at most TURN_MAX_SIDE) and the small-face pass on large photos. Photos with a face stop at the first step
that finds it, so the extra cost falls on photos without one.

    .venv/bin/python benchmarks/hard_photos.py [--repeat N] [--turns]

Uses ../shared/faces when present and generated images (skimage's astronaut and coffee) always.
--turns: what searching the turns for large faces only costs in found faces and saves in time.
Every photo of ../shared/faces (people, groups, unlabelled) whose face the upright search
finds is turned 90, 180 and 270 degrees, as if its orientation had been lost, and searched
with find_faces; the turn that brings it upright is also searched as before (upsampled).
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data as skdata

from faceaudit.compare import imageio
from faceaudit.compare.engines.dlib_engine import DETECT_MAX_SIDE, DlibEngine
from faceaudit.compare.faces import TURN_MAX_SIDE, find_faces
from faceaudit.types import DetectedFace

FACES = Path(__file__).resolve().parents[1].parent / "shared" / "faces"
SHARED = [
    "unlabelled/r0.jpg",
    "unlabelled/r270.jpg",
    "groups/t1.jpg",
    "groups/obama_and_biden.jpg",
    "people/barack_obama/obama3.jpg",
    "noface/white.png",
]


def png(rgb: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "PNG", compress_level=1)
    return out.getvalue()


def astronaut() -> np.ndarray:
    """skimage's astronaut, top 300 rows (lower down HOG takes the mission patch for a face)."""
    return np.ascontiguousarray(skdata.astronaut()[:300])


def background(width: int, height: int) -> np.ndarray:
    """A photo-like scene without a face: skimage's coffee cup, enlarged, with sensor noise."""
    scene = Image.fromarray(skdata.coffee()).resize((width, height), Image.Resampling.BICUBIC)
    noise = np.random.default_rng(3).normal(0, 4, (height, width, 3))
    return np.clip(np.asarray(scene, dtype=np.float32) + noise, 0, 255).astype(np.uint8)


def small_face_photo(engine: DlibEngine, face_px: int, width: int = 3000,
                     height: int = 2000) -> tuple[bytes, tuple[int, int]]:
    """A width x height scene with the astronaut pasted in so that his face is about face_px tall."""
    crop = astronaut()
    scale = face_px / engine.detect(crop)[0].box.height
    small = Image.fromarray(crop).resize(
        (round(crop.shape[1] * scale), round(crop.shape[0] * scale)), Image.Resampling.LANCZOS
    )
    scene = background(width, height)
    at = (int(width * 0.62), int(height * 0.55))
    scene[at[1] : at[1] + small.height, at[0] : at[0] + small.width] = np.asarray(small)
    return png(scene), at


def animation(frames: int, width: int = 480, height: int = 360) -> bytes:
    """An animated GIF of `frames` frames with no face: the coffee cup panning."""
    scene = background(width * 2, height)
    images = [Image.fromarray(scene[:, i * width // frames : i * width // frames + width])
              for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=80, loop=0)
    return out.getvalue()


def seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def compare(name: str, data: bytes, before: DlibEngine, after: DlibEngine, repeat: int) -> None:
    decoded = imageio.decode(data, source=name)
    old_faces = len(before.detect(decoded.rgb))
    old = seconds(lambda: before.detect(imageio.decode(data, source=name).rgb), repeat)
    search = find_faces(after, data, source=name)
    new = seconds(lambda: find_faces(after, data, source=name), repeat)
    boxes = " ".join(f"{f.box.height}px@{f.box.left},{f.box.top}" for f in search.faces[:2])
    print(f"{name:34} {decoded.width:>5}x{decoded.height:<5} {old_faces:>3} {old:7.2f}  "
          f"{len(search.faces):>3} {new:7.2f} {new / old:5.1f}x  {', '.join(search.tried)}"
          + (f"  [{boxes}]" if boxes else ""))


def steps(name: str, data: bytes, engine: DlibEngine, repeat: int) -> None:
    """Each step of the search on its own, for a photo where no step finds a face."""
    rgb = imageio.decode(data, source=name).rgb
    decode = seconds(lambda: imageio.decode(data, source=name), repeat)
    fast = seconds(lambda: engine.detect_fast(rgb), repeat)
    small = seconds(lambda: engine.detect_small_faces(rgb), repeat)
    turned = [np.ascontiguousarray(np.rot90(rgb, k)) for k in (1, 2, 3)]
    turns = seconds(lambda: [engine.detect_fast(t, max_side=TURN_MAX_SIDE, large_faces_only=True)
                             for t in turned], repeat)
    print(f"{name:34} decode {decode:5.2f}  upright {fast:5.2f}  three turns {turns:5.2f}  "
          f"{engine.small_face_pass(rgb) or 'no small-face pass'}: {small:5.2f}")


class UpsampledTurns(DlibEngine):
    """DlibEngine searching turns as before large_faces_only: upsampled like the upright pass."""

    def detect_fast(self, image: np.ndarray, *, max_side: int = DETECT_MAX_SIDE,
                    large_faces_only: bool = False) -> list[DetectedFace]:
        return super().detect_fast(image, max_side=max_side)


def turned_photos(engine: DlibEngine) -> None:
    """Faces found and time taken by find_faces on turned photos, with the turns searched for
    large faces only (now) and upsampled (before). See --turns."""
    if not (FACES / "labels.csv").is_file():
        print(f"({FACES} not found: nothing to turn)")
        return
    with (FACES / "labels.csv").open(newline="") as labels:
        names = [row["file"] for row in csv.DictReader(labels)
                 if row["file"].startswith(("people/", "groups/", "unlabelled/"))]
    before = UpsampledTurns()
    turned: list[tuple[str, int, bytes]] = []
    photos = 0
    for name in names:
        try:
            rgb = imageio.decode((FACES / name).read_bytes(), source=name).rgb
        except Exception:  # noqa: BLE001, S112 - a photo faceaudit refuses is not a turned photo
            continue
        photos += 1
        if engine.detect_fast(rgb):
            turned += [(name, k, png(np.ascontiguousarray(np.rot90(rgb, k)))) for k in (1, 2, 3)]
    print(f"\nturned photos: {len(turned) // 3} of {photos} photos in {FACES} show a face upright; "
          f"each turned 90, 180 and 270 degrees = {len(turned)} searches")
    for label, searcher in (("turns for large faces only (now)", engine), ("turns upsampled (before)", before)):
        right = wrong = 0
        missed: list[str] = []
        started = time.perf_counter()
        for name, k, data in turned:
            search = find_faces(searcher, data, source=name)
            if search.faces and search.rotation == (4 - k) % 4 * 90:
                right += 1
            elif search.faces:
                wrong += 1
            else:
                missed.append(f"{name} rot{k * 90}")
        took = time.perf_counter() - started
        print(f"  {label:34} turned back right {right}/{len(turned)}, a face found at another turn "
              f"{wrong}, none {len(missed)}; {took / len(turned) * 1000:5.1f} ms per photo"
              + (f"  [missed: {', '.join(missed[:6])}{' …' if len(missed) > 6 else ''}]" if missed else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--turns", action="store_true", help="only the turned-photo comparison")
    args = parser.parse_args()
    before, after = DlibEngine(small_faces=False), DlibEngine()
    before.load()
    after.load()
    warm = np.zeros((200, 200, 3), dtype=np.uint8)
    before.detect(warm)
    after.detect(warm)
    if args.turns:
        turned_photos(after)
        return

    print(f"dlib HOG, upsample 1, first pass on a copy of at most {DETECT_MAX_SIDE} px; "
          f"median of {args.repeat} runs; seconds per image including decoding")
    print(f"{'image':34} {'size':>11} {'before':>11}  {'after':>11} {'':>6}  steps tried  [faces]")
    print(f"{'':34} {'':>11} {'faces':>3} {'s':>7}  {'faces':>3} {'s':>7}")
    if (FACES / "labels.csv").is_file():
        for name in SHARED:
            compare(name, (FACES / name).read_bytes(), before, after, args.repeat)
    else:
        print(f"({FACES} not found: real photos skipped)")
    for face_px in (60, 40, 30):
        photo, at = small_face_photo(after, face_px)
        compare(f"generated: {face_px}px face at {at[0]},{at[1]}", photo, before, after, args.repeat)
    no_face_large = png(background(3000, 2000))
    no_face_small = png(background(600, 400))
    compare("generated: no face", no_face_large, before, after, args.repeat)
    compare("generated: no face", no_face_small, before, after, args.repeat)
    for frames in (3, 12):
        compare(f"generated: no-face GIF, {frames} frames", animation(frames), before, after, args.repeat)

    print("\nwhere the time goes on a photo without a face (seconds):")
    steps("generated: no face 3000x2000", no_face_large, after, args.repeat)
    steps("generated: no face 600x400", no_face_small, after, args.repeat)


if __name__ == "__main__":
    main()
