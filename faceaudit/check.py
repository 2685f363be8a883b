"""`faceaudit check`: is the user's face in these photos? Nothing is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from faceaudit.compare.engines import make_engine
from faceaudit.compare.faces import find_faces
from faceaudit.compare.imageio import read_path
from faceaudit.compare.matcher import Matcher
from faceaudit.errors import ImageRejected, UsageError
from faceaudit.workspace import Template


def check_photos(template: Template, paths: list[Path], model_dir: Path | None = None) -> list[dict[str, Any]]:
    """One dict per photo: path, faces (verdict, similarity, box), and error when unreadable.

    Boxes are [left, top, right, bottom] in the photo as it is displayed (EXIF orientation
    applied). A readable photo also says how it was searched: `rotation`, how far the photo
    had to be turned counterclockwise for its faces to be found (0, 90, 180, 270), and
    `frame`, which frame of an animation they are in (0 for a still photo).
    """
    engine = make_engine(template.engine, model_dir, engine_info=template.engine_info)
    matcher = Matcher([f.embedding for f in template.faces], engine.thresholds)
    results: list[dict[str, Any]] = []
    for path in paths:
        try:
            search = find_faces(engine, read_path(path), source=str(path))
        except (ImageRejected, UsageError) as exc:  # a bad or missing file: say so, go on
            results.append({"path": str(path), "faces": [], "error": exc.message})
            continue
        matched = sorted(((matcher.match(f.embedding), f) for f in search.faces),
                         key=lambda pair: -pair[0].similarity)
        faces = [{"verdict": m.verdict.value, "similarity": round(m.similarity, 4),
                  "box": search.box_in_image(f.box).as_list()}
                 for m, f in matched]
        results.append({"path": str(path), "faces": faces,
                        "rotation": search.rotation, "frame": search.frame})
    return results

