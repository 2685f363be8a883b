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

from faceaudit.compare.engines import tiles
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
# At upsample 1, HOG's 80-pixel window finds faces down to a box of about 36 px in the copy.
DETECT_MAX_SIDE = 1600
# Small faces in large photos. When the first pass scanned a shrunken copy and found no face,
# a second pass scans the photo at full resolution, itself shrunk to at most this side: a
# 40 px face in a 3000 x 2000 photo is 21 px in the first pass's copy, too small for HOG.
# Twice DETECT_MAX_SIDE caps the second pass at four times the first pass's pixels.
SMALL_FACE_MAX_SIDE = 2 * DETECT_MAX_SIDE
# The second pass scans tiles no larger than this: HOG's memory grows with the pixels it
# scans at once (measured on a 3000 x 2000 photo: +260 MB scanned whole, +110 MB in tiles).
# Tiles overlap by TILE_OVERLAP, so a face up to that size lies whole inside one tile; larger
# faces are the first pass's.
TILE_SIDE = DETECT_MAX_SIDE
TILE_OVERLAP = 200
# `detect_fast(..., large_faces_only=True)` scans without upsampling, which finds faces of
# HOG's 80-pixel window or larger and costs about a quarter of an upsampled scan. Copies no
# larger than this are upsampled all the same: they are cheap, and faces in them are small.
LARGE_FACES_MIN_SIDE = 320


def models_folder() -> Path | None:
    """Where face_recognition_models keeps its .dat files, without importing it (its
    __init__ needs pkg_resources, which current setuptools no longer ships)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class DlibEngine(FaceEngine):
    """HOG detection in two passes: a fast one on a copy of at most DETECT_MAX_SIDE, and, when
    that finds no face in a shrunken copy, a small-face pass at full resolution (see
    SMALL_FACE_MAX_SIDE). `detect` runs both; `detect_fast`, `small_face_pass` and
    `detect_small_faces` let find_faces put its cheaper searches (frames, turns) in between."""

    name = "dlib"
    embedding_size = 128
    landmark_roles = ((0, 1), (2, 3), 4)  # dlib's 5-point model: eye corners, eye corners, nose
    confident_score = 2.0  # HOG SVM margin; 0 is dlib's own detection cut-off
    min_enrol_score = 0.3
    parallelism = "processes"
    _model_attributes = ("_detector", "_landmarks", "_descriptor")

    def __init__(self, model_dir: Path | None = None, *, upsample: int = 1,
                 small_faces: bool = True) -> None:
        super().__init__(model_dir)
        self.upsample = upsample
        self.small_faces = small_faces
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
        small = f"; small-face pass up to {SMALL_FACE_MAX_SIDE} px" if self.small_faces else ""
        return {
            **super().describe(),
            "model": "dlib_face_recognition_resnet_model_v1 + shape_predictor_5_face_landmarks",
            "detector": f"HOG, upsample {self.upsample}{small}",
            "licence": "dlib models: public domain (CC0); the 68-point model is never loaded",
        }

    def _detect(self, image: RGBImage) -> list[DetectedFace]:
        faces = self._fast_pass(image)
        if not faces and self.small_faces:
            faces = self._small_face_pass(image)
        return faces

    def detect_fast(self, image: RGBImage, *, max_side: int = DETECT_MAX_SIDE,
                    large_faces_only: bool = False) -> list[DetectedFace]:
        """The first pass only: HOG on a copy no larger than `max_side`, faces described at
        full size. A smaller `max_side` is quicker and finds only larger faces. With
        `large_faces_only`, faces of at least 80 pixels in that copy, for a quarter of the cost
        (copies of LARGE_FACES_MIN_SIDE or less are searched as usual)."""
        self.prepare(image)
        return self._fast_pass(image, max_side, large_faces_only)

    def small_face_pass(self, image: RGBImage) -> str | None:
        """What the small-face pass would scan in `image`, in words ("small faces (3000x2000,
        4 tiles)"), or None when there is none: the first pass saw every pixel, or it is off."""
        plan = self._small_face_plan(image)
        return None if plan is None else plan.describe()

    def detect_small_faces(self, image: RGBImage) -> list[DetectedFace]:
        """The small-face pass only ([] when small_face_pass is None)."""
        self.prepare(image)
        return self._small_face_pass(image)

    def _fast_pass(self, image: RGBImage, max_side: int = DETECT_MAX_SIDE,
                   large_faces_only: bool = False) -> list[DetectedFace]:
        height, width = image.shape[:2]
        scale = min(1.0, max_side / max(height, width))
        small = image if scale == 1.0 else tiles.resize(image, scale)
        upsample = self.upsample
        if large_faces_only and max(small.shape[:2]) > LARGE_FACES_MIN_SIDE:
            upsample = 0
        return self._describe_faces(image, self._hog(small, scale, upsample=upsample))

    def _small_face_plan(self, image: RGBImage) -> tiles.Plan | None:
        if not self.small_faces:
            return None
        return tiles.plan(image, first_pass_side=DETECT_MAX_SIDE, max_side=SMALL_FACE_MAX_SIDE,
                          side=TILE_SIDE, overlap=TILE_OVERLAP)

    def _small_face_pass(self, image: RGBImage) -> list[DetectedFace]:
        plan = self._small_face_plan(image)
        if plan is None:
            return []
        scale = plan.scale
        scanned = image if scale == 1.0 else tiles.resize(image, scale)
        found: list[_Found] = []
        for left, top, right, bottom in plan.tiles:
            tile = np.ascontiguousarray(scanned[top:bottom, left:right])
            found += self._hog(tile, scale, left, top)
        return self._describe_faces(image, _without_repeats(found))

    def _hog(self, scanned: RGBImage, scale: float, left: int = 0, top: int = 0, *,
             upsample: int | None = None) -> list[_Found]:
        """HOG boxes in `scanned` (a copy at `scale`, or a tile of one starting at left, top),
        in the full image's pixels."""
        upsample = self.upsample if upsample is None else upsample
        rects, scores, _ = self._detector.run(scanned, upsample, 0.0)
        return [
            (
                (
                    int((rect.left() + left) / scale), int((rect.top() + top) / scale),
                    int((rect.right() + left) / scale), int((rect.bottom() + top) / scale),
                ),
                float(score),
            )
            for rect, score in zip(rects, scores, strict=True)
        ]

    def _describe_faces(self, image: RGBImage, found: list[_Found]) -> list[DetectedFace]:
        """Landmarks and descriptor of each found box, computed on the full-size image."""
        import dlib

        height, width = image.shape[:2]
        faces: list[DetectedFace] = []
        for (left, top, right, bottom), score in found:
            full = dlib.rectangle(left, top, right, bottom)
            shape = self._landmarks(image, full)
            descriptor = self._descriptor.compute_face_descriptor(image, shape)
            box = Box(max(left, 0), max(top, 0), min(right, width), min(bottom, height))
            points = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float32)
            faces.append(
                DetectedFace(
                    box=box,
                    landmarks=points,
                    det_score=score,
                    embedding=normalise(np.array(descriptor)),
                    sharpness=sharpness(image, (box.left, box.top, box.right, box.bottom)),
                )
            )
        return faces


_Found = tuple[tuple[int, int, int, int], float]  # (left, top, right, bottom), HOG score


def _tiles(width: int, height: int) -> list[tiles.Tile]:
    """The small-face pass's tiles of a width x height copy."""
    return tiles.tiles(width, height, side=TILE_SIDE, overlap=TILE_OVERLAP)


def _without_repeats(found: list[_Found]) -> list[_Found]:
    """One box per face where tiles overlap: of boxes covering each other by half or more,
    the highest-scoring one."""
    kept: list[_Found] = []
    for box, score in sorted(found, key=lambda item: -item[1]):
        if all(_shared(box, other) < 0.5 for other, _ in kept):
            kept.append((box, score))
    return kept


def _shared(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """The overlap of two boxes as a share of the smaller one."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return width * height / max(1, smaller)
