"""Photos stored sideways or upside down: does find_faces find the face and turn it back upright?

Every photo of ../shared/faces (people, groups, unlabelled) whose face the engine finds upright
is turned 90, 180 and 270 degrees, as if its orientation had been lost, and searched with
find_faces. Printed: how many turned photos had a face found, how many were turned back to
upright (the search's rotation undoes the turn), the time a turned photo takes, and the time an
upright photo takes, for comparison.

    .venv/bin/python benchmarks/turned_photos.py [--engine sface]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from faceaudit.compare import imageio
from faceaudit.compare.engines import make_engine
from faceaudit.compare.faces import find_faces

FACES = Path(__file__).resolve().parents[1].parent / "shared" / "faces"
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def png(rgb: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "PNG", compress_level=1)
    return out.getvalue()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="sface")
    args = parser.parse_args(argv)
    files = sorted(p for folder in ("people", "groups", "unlabelled") for p in (FACES / folder).rglob("*")
                   if p.suffix.lower() in SUFFIXES)
    if not files:
        print(f"no photos under {FACES}: nothing to measure")
        return 0
    engine = make_engine(args.engine)
    engine.load()
    upright_seconds: list[float] = []
    turned_seconds: list[float] = []
    photos = found = righted = 0
    for path in files:
        data = path.read_bytes()
        started = time.perf_counter()
        upright = find_faces(engine, data, source=str(path))
        upright_seconds.append(time.perf_counter() - started)
        if not upright.faces or upright.rotation != 0:
            continue
        photos += 1
        rgb = imageio.decode(data, source=str(path)).rgb
        for turn in (90, 180, 270):
            turned = png(np.ascontiguousarray(np.rot90(rgb, turn // 90)))
            started = time.perf_counter()
            search = find_faces(engine, turned, source=f"{path.name} rot{turn}")
            turned_seconds.append(time.perf_counter() - started)
            if search.faces:
                found += 1
                righted += (search.rotation + turn) % 360 == 0
    total = 3 * photos
    print(f"engine {args.engine}: {photos} photos with an upright face found, each turned 90, 180, 270")
    print(f"  turned photos with a face found: {found}/{total}; turned back to upright: {righted}/{total}")
    print(f"  median seconds: upright photo {statistics.median(upright_seconds):.3f}, "
          f"turned photo {statistics.median(turned_seconds):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
