"""How useful one photo of a face is to a face-recognition scraper, as a 0-100 score.

The score combines four measured parts, each scaled to 0..1:
- size: face height in pixels (`face_height`: the box height on one scale for every engine,
  brow to chin); 0 at 24 px or less, 1 at 112 px or more (the input size of common
  recognition models: larger faces add little).
- pose: how frontal the face is: where the nose tip falls between the eyes along the eye
  line (1 = midway, frontal; 0 = on or beyond one eye, turned to profile).
- sharpness: variance of the Laplacian on the face crop; 0 at 0, 1 at 200 or more.
- detection: the engine's detection score relative to its `confident_score`.
score = 100 * size^0.5 * (0.45 + 0.25 pose + 0.2 sharpness + 0.1 detection), rounded.
Size gates everything (a 20-pixel face is of little use however sharp); the rest shade it.
"""

from __future__ import annotations

import numpy as np

from faceaudit.compare.engines.base import FaceEngine
from faceaudit.types import DetectedFace


def frontalness(face: DetectedFace, engine: type[FaceEngine]) -> float:
    """1 when the nose tip sits midway between the eyes along the eye line, 0 when it sits
    on or beyond one eye (a face turned to profile)."""
    eye_a, eye_b, nose_index = engine.landmark_roles
    points = np.asarray(face.landmarks, dtype=np.float32)
    a = points[list(eye_a)].mean(axis=0)
    b = points[list(eye_b)].mean(axis=0)
    span = float(np.linalg.norm(b - a))
    if span == 0.0:
        return 0.0
    along = float(np.dot(points[nose_index] - a, (b - a) / span))  # 0 at eye a, span at eye b
    if along <= 0.0 or along >= span:
        return 0.0
    return 1.0 - abs(along - span / 2) / (span / 2)


def face_height(face: DetectedFace, engine: type[FaceEngine]) -> int:
    """The face's height in pixels, brow to chin, whichever engine's box it comes from."""
    return round(face.box.height * engine.face_height_ratio)


def score(face: DetectedFace, engine: type[FaceEngine]) -> int:
    size = min(max((face_height(face, engine) - 24) / (112 - 24), 0.0), 1.0)
    pose = frontalness(face, engine)
    sharp = min(face.sharpness / 200.0, 1.0)
    detection = min(max(face.det_score / engine.confident_score, 0.0), 1.0)
    return round(float(100 * size**0.5 * (0.45 + 0.25 * pose + 0.2 * sharp + 0.1 * detection)))
