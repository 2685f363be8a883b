"""The offline engine: dlib's HOG detector, 5-point landmarks and ResNet descriptor.

Weights come from the `face_recognition_models` package. Only the 5-point landmark model and
the ResNet descriptor are loaded: the 68-point model in that package is licensed for
non-commercial use only, so faceaudit never opens it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from faceaudit.compare.engines.base import (
    Availability,
    FaceEngine,
    RGBImage,
    normalise,
    sharpness,
)
from faceaudit.errors import EngineUnavailable
from faceaudit.types import Box, DetectedFace

LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
DESCRIPTOR_FILE = "dlib_face_recognition_resnet_model_v1.dat"
# HOG cost grows with pixels: detect on a copy no larger than this, then embed at full size.
DETECT_MAX_SIDE = 1600


def models_folder() -> Path | None:
    """Where face_recognition_models keeps its .dat files, without importing it (its
    __init__ needs pkg_resources, which current setuptools no longer ships)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "models"


class DlibEngine(FaceEngine):
    name = "dlib"
    embedding_size = 128
    landmark_roles = ((0, 1), (2, 3), 4)  # dlib's 5-point model: eye corners, eye corners, nose
    confident_score = 2.0  # HOG SVM margin; 0 is dlib's own detection cut-off
    min_enrol_score = 0.3

    def __init__(self, model_dir: Path | None = None, *, upsample: int = 1) -> None:
        super().__init__(model_dir)
        self.upsample = upsample
        self._detector: Any = None
        self._landmarks: Any = None
        self._descriptor: Any = None

    @classmethod
    def availability(cls, model_dir: Path | None = None) -> Availability:
        if importlib.util.find_spec("dlib") is None:
            return Availability(False, "dlib is not installed: pip install dlib-bin")
        folder = model_dir or models_folder()
        if folder is None:
            return Availability(False, "face_recognition_models is not installed: pip install face_recognition_models")
        missing = [f for f in (LANDMARKS_FILE, DESCRIPTOR_FILE) if not (folder / f).is_file()]
        if missing:
            return Availability(False, f"{folder} lacks {', '.join(missing)}: reinstall face_recognition_models")
        return Availability(True, f"dlib weights found in {folder}")

    def _load(self) -> None:
        available = self.availability(self.model_dir)
        if not available.ok:
            raise EngineUnavailable(available.reason, "or choose another engine with --engine")
        import dlib

        folder = self.model_dir or models_folder()
        assert folder is not None
        self._detector = dlib.get_frontal_face_detector()
        self._landmarks = dlib.shape_predictor(str(folder / LANDMARKS_FILE))
        self._descriptor = dlib.face_recognition_model_v1(str(folder / DESCRIPTOR_FILE))

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "model": "dlib_face_recognition_resnet_model_v1 + shape_predictor_5_face_landmarks",
            "detector": f"HOG, upsample {self.upsample}",
            "licence": "dlib models: public domain (CC0); the 68-point model is never loaded",
        }

    def _detect(self, image: RGBImage) -> list[DetectedFace]:
        import dlib

        height, width = image.shape[:2]
        scale = min(1.0, DETECT_MAX_SIDE / max(height, width))
        small = image if scale == 1.0 else _resize(image, scale)
        rects, scores, _ = self._detector.run(small, self.upsample, 0.0)
        faces: list[DetectedFace] = []
        for rect, score in zip(rects, scores, strict=True):
            full = dlib.rectangle(
                int(rect.left() / scale), int(rect.top() / scale),
                int(rect.right() / scale), int(rect.bottom() / scale),
            )
            shape = self._landmarks(image, full)
            descriptor = self._descriptor.compute_face_descriptor(image, shape)
            box = Box(
                max(full.left(), 0), max(full.top(), 0),
                min(full.right(), width), min(full.bottom(), height),
            )
            points = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float32)
            faces.append(
                DetectedFace(
                    box=box,
                    landmarks=points,
                    det_score=float(score),
                    embedding=normalise(np.array(descriptor)),
                    sharpness=sharpness(image, (box.left, box.top, box.right, box.bottom)),
                )
            )
        return faces


def _resize(image: RGBImage, scale: float) -> RGBImage:
    from PIL import Image

    pil = Image.fromarray(image)
    size = (max(1, round(pil.width * scale)), max(1, round(pil.height * scale)))
    return np.asarray(pil.resize(size, Image.Resampling.BILINEAR), dtype=np.uint8)
