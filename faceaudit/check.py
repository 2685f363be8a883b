"""`faceaudit check`: is the user's face in these photos? Nothing is stored.

The photos are checked on every core the way a scan analyses images (compare/analysis.py's
EnginePool): one warm engine per worker process for an engine whose calls use one core each, one
engine in this process for an engine that spreads its calls over the cores. A worker reads the
file itself, so only a path goes to it and only the verdicts, similarities and boxes come back:
no embedding leaves it. A check of a few photos (WORKERS_PAY_FROM) runs in this process, since
starting the workers (each loads its own models) would take longer than the photos.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from faceaudit.compare.analysis import EnginePool, default_workers
from faceaudit.compare.engines import make_engine
from faceaudit.compare.engines.base import FaceEngine
from faceaudit.compare.faces import find_faces
from faceaudit.compare.imageio import read_path
from faceaudit.compare.matcher import Matcher
from faceaudit.errors import ImageRejected, UsageError
from faceaudit.types import Embedding, Template

# Per engine, the fewest photos for which worker processes pay; fewer are checked in this process.
# Below it, the workers' start-up (spawn, imports, models loaded in each) costs more than the
# cores they add save. Measured with benchmarks/check_speed.py --threshold on 2 cores: sface
# loads in about 1.3 s a process (most of it importing onnx to de-quantise SFace) and takes about
# 0.12 s a photo, so workers win from 8 photos; dlib loads in a fraction of a second and takes
# about 0.4 s a photo, so they win from 2.
WORKERS_PAY_FROM = {"sface": 8, "dlib": 2}

Progress = Callable[[int, int], None]  # (photos checked so far, photos in all)


def check_photos(template: Template, paths: Sequence[Path], model_dir: Path | None = None, *,
                 progress: Progress | None = None, workers: int | None = None) -> list[dict[str, Any]]:
    """One dict per photo, in the order of `paths`: path, faces (verdict, similarity, box), and
    error when unreadable.

    Boxes are [left, top, right, bottom] in the photo as it is displayed (EXIF orientation
    applied). A readable photo also says how it was searched: `rotation`, how far the photo
    had to be turned counterclockwise for its faces to be found (0, 90, 180, 270), and
    `frame`, which frame of an animation they are in (0 for a still photo).

    `progress(done, total)` is called in this thread as each photo is checked. `workers`: how
    many photos are checked at once (default: as the engine and the number of photos say).
    """
    engine = make_engine(template.engine, model_dir, engine_info=template.engine_info)
    return check_with(engine, [f.embedding for f in template.faces], paths,
                      progress=progress, workers=workers)


def check_with(engine: FaceEngine, template: Sequence[Embedding], paths: Sequence[Path], *,
               progress: Progress | None = None, workers: int | None = None) -> list[dict[str, Any]]:
    """`check_photos` with an engine and the template's embeddings (held in memory only)."""
    if not paths:
        return []
    embeddings = list(template)
    matcher = Matcher(embeddings, engine.thresholds)
    if workers is None:
        workers = workers_for(engine, len(paths))
    finished: queue.Queue[tuple[int, Any]] = queue.Queue()
    results: list[dict[str, Any]] = [{} for _ in paths]
    with EnginePool(engine, matcher, embeddings, lambda index, result: finished.put((index, result)),
                    task=check_photo, workers=min(workers, len(paths))) as pool:
        for index, path in enumerate(paths):
            pool.submit(index, path)  # a path is all a photo takes in flight: no bound needed
        for done in range(1, len(paths) + 1):
            index, result = finished.get()
            if isinstance(result, BaseException):  # the engine failed to load, or a bug
                raise result
            results[index] = result
            if progress is not None:
                progress(done, len(paths))
    return results


def workers_for(engine: FaceEngine, photos: int) -> int:
    """How many photos to check at once: one, here, until the engine's worker processes pay."""
    pays_from = WORKERS_PAY_FROM.get(engine.name, max(WORKERS_PAY_FROM.values()))
    return default_workers(engine) if photos >= pays_from else 1


def check_photo(engine: FaceEngine, matcher: Matcher, path: Path) -> dict[str, Any]:
    """One photo's result; an unreadable or undecodable file is reported, not raised."""
    try:
        search = find_faces(engine, read_path(path), source=str(path))
    except (ImageRejected, UsageError) as exc:  # a bad or missing file: say so, go on
        return {"path": str(path), "faces": [], "error": exc.message}
    matched = sorted(((matcher.match(f.embedding), f) for f in search.faces),
                     key=lambda pair: -pair[0].similarity)
    faces = [{"verdict": m.verdict.value, "similarity": round(m.similarity, 4),
              "box": search.box_in_image(f.box).as_list()}
             for m, f in matched]
    return {"path": str(path), "faces": faces, "rotation": search.rotation, "frame": search.frame}
