"""A face engine for enrolment tests, with no model: 4-number embeddings, five landmarks and
dlib's thresholds. Subclasses say which faces `_detect` finds, so the enrolment gates (size,
score, sharpness, pose, one person) are what a test exercises."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceaudit.compare.engines.base import Availability, FaceEngine

# Eyes, nose, mouth corners of a face looking at the camera, in a 100 px box.
FRONTAL = np.array([[30, 40], [40, 40], [60, 40], [70, 40], [50, 60]], np.float32)


class TinyEngine(FaceEngine):
    name = "dlib"  # borrows dlib's thresholds
    embedding_size = 4
    landmark_roles = ((0, 1), (2, 3), 4)
    confident_score = 2.0
    min_enrol_score = 0.3

    def __init__(self) -> None:
        super().__init__(None)

    @classmethod
    def availability(cls, model_dir: Path | None = None) -> Availability:
        return Availability(True, "a test engine without a model")

    def _load(self) -> None:
        pass
