"""The FaceEngine interface: one decoded RGB image in, faces with normalised embeddings out."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from faceaudit.thresholds import load_thresholds
from faceaudit.types import DetectedFace

RGBImage = npt.NDArray[np.uint8]  # shape (height, width, 3)


@dataclass(frozen=True)
class Availability:
    ok: bool
    reason: str  # one line: what was found, or what is missing and how to get it


class FaceEngine(ABC):
    """Subclasses implement `_load` and `_detect`; `detect` loads lazily, once, under a lock."""

    name: ClassVar[str]
    embedding_size: ClassVar[int]
    # Which of the 5 landmarks are the two eyes (one or more points each) and the nose tip:
    # used to estimate how frontal a face is.
    landmark_roles: ClassVar[tuple[tuple[int, ...], tuple[int, ...], int]]
    # Detection scores are on each engine's own scale: this one maps to "certain" (1.0).
    confident_score: ClassVar[float]
    # Reference faces detected less surely than this are refused at enrolment.
    min_enrol_score: ClassVar[float]
    # How a scan spreads this engine over the cores (measured: benchmarks/analysis_efficiency.py).
    # "processes": the engine's calls each use one core, so one warm engine per core, each in its
    # own process (dlib: sharing one engine between threads crashes, one per thread reaches 1.7x
    # on two cores against 2.0x for processes). "threads": the engine spreads one call over the
    # cores itself (onnxruntime), so one engine in this process is the whole machine.
    # An instance may set its own (SFaceEngine with several onnxruntime threads per session).
    parallelism: str = "threads"
    # Face heights are reported on one scale whatever the engine: dlib's HOG box (brows to
    # chin). An engine whose boxes are taller multiplies its box height by this ratio.
    face_height_ratio: ClassVar[float] = 1.0
    # Whether the detector also reports faces lying on their side or upside down (less surely,
    # with landmarks placed as if upright): find_faces then compares turns (compare/faces.py).
    finds_turned_faces: ClassVar[bool] = False
    # ...and then the score a turn's surest face needs to be taken.
    min_turn_score: ClassVar[float] = 0.0
    # Attributes holding loaded models: never pickled, so a worker process loads its own.
    _model_attributes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, model_dir: Path | None = None) -> None:
        self.model_dir = model_dir
        self.thresholds = load_thresholds(self.name)
        self._lock = threading.Lock()
        self._loaded = False

    @classmethod
    @abstractmethod
    def availability(cls, model_dir: Path | None = None) -> Availability:
        """Whether this engine can run here without downloading anything, and why not."""

    @abstractmethod
    def _load(self) -> None:
        """Load models; raise EngineUnavailable with a hint when they are missing."""

    @abstractmethod
    def _detect(self, image: RGBImage) -> list[DetectedFace]:
        """All faces in `image`, embeddings L2-normalised float32."""

    def __getstate__(self) -> dict[str, Any]:
        """The engine's settings without its models or lock: what a worker process needs to
        load a warm engine of its own (the models are loaded there, once, by `load`)."""
        state = {k: v for k, v in self.__dict__.items() if k != "_lock"}
        state.update({name: None for name in self._model_attributes}, _loaded=False)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def describe(self) -> dict[str, Any]:
        """Recorded with the template: which engine and model produced its embeddings."""
        return {"engine": self.name, "embedding_size": self.embedding_size}

    def load(self) -> None:
        with self._lock:
            if not self._loaded:
                self._load()
                self._loaded = True

    def prepare(self, image: RGBImage) -> None:
        """Check that `image` is RGB uint8 and load the models: before any detection."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 image, got {image.dtype} {image.shape}")
        self.load()

    def detect(self, image: RGBImage) -> list[DetectedFace]:
        self.prepare(image)
        return self._detect(image)

    def surest_face(self, image: RGBImage) -> float:
        """The detection score of the surest face in `image` (0 when none): an engine whose
        detector can say so without embedding the faces overrides this to be cheaper."""
        return max((face.det_score for face in self.detect(image)), default=0.0)


def normalise(vector: npt.ArrayLike) -> npt.NDArray[np.float32]:
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(v))
    if norm == 0.0:
        raise ValueError("zero embedding")
    return (v / norm).astype(np.float32)


def sharpness(image: RGBImage, box: tuple[int, int, int, int]) -> float:
    """Variance of a 4-neighbour Laplacian over the face crop scaled to 112x112 pixels (the
    size recognition models look at), in grey levels squared: comparable across face sizes."""
    from PIL import Image

    left, top, right, bottom = box
    crop = image[max(top, 0) : max(bottom, 0), max(left, 0) : max(right, 0)]
    if crop.size == 0 or min(crop.shape[:2]) < 3:
        return 0.0
    grey = Image.fromarray(np.ascontiguousarray(crop)).convert("L").resize((112, 112), Image.Resampling.BILINEAR)
    g = np.asarray(grey, dtype=np.float32)
    lap = -4 * g[1:-1, 1:-1] + g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:]
    return float(lap.var())
