"""The default engine: the YuNet detector and the SFace recogniser (OpenCV Zoo), run with onnxruntime.

YuNet takes a fixed 640x640 BGR input: each image is scaled so its long side fits (small
images are enlarged, at most UPSCALE times: YuNet misses faces under about 10 px and places
landmarks badly on small ones) and padded. It returns, per anchor of three strides, a class and
an objectness score, a box and five landmarks (the person's right eye, left eye, nose tip, right
and left mouth corners: left to right as seen). Each face is aligned with a similarity
transform of those landmarks onto the ArcFace 112x112 five-point template and embedded by SFace
(RGB, 0-255, NCHW, 128-d), together with its mirror image: the two embeddings are summed
(on ../shared/faces-eval the lowest genuine score rose from 0.379 to 0.408 with it, and genuine
accepts at the `you` threshold from 372 to 373 of 374; see thresholds.json).

A large photo whose faces are small (a group photo, a 40 px face in 3000 x 2000) gets a second
pass when the first finds nothing: tiles of 320 px, each enlarged 2x, over the photo shrunk to
at most SMALL_FACE_MAX_SIDE, the same two-pass shape as the dlib engine, so `find_faces` treats both alike.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from faceaudit.compare.engines import sface_models, tiles
from faceaudit.compare.engines.base import (
    Availability,
    FaceEngine,
    RGBImage,
    normalise,
    sharpness,
)
from faceaudit.errors import EngineUnavailable
from faceaudit.types import Box, DetectedFace

INPUT_SIDE = 640  # YuNet's input, fixed in the 2023mar model
STRIDES = (8, 16, 32)
UPSCALE = 2.0  # small images are enlarged at most this much before detection
DET_THRESH = 0.6  # sqrt(class x objectness); OpenCV's sample uses 0.9, which misses small web faces
NMS_IOU = 0.3
MIN_FACE_PX = 10  # faces smaller than this (box height, in the photo's pixels) are ignored
SMALL_FACE_MAX_SIDE = 2560  # the small-face pass scans the photo shrunk to at most this
# Tiles of half YuNet's input, so each is enlarged 2x (UPSCALE) before detection: faces of 16-20 px
# in the scanned copy, at the edge of YuNet's reach at 1x, are found surely (measured on a 20 px
# face pasted into 3200 x 2400: 0.47-0.83 at 1x depending on where it falls, 0.9 at 2x).
TILE_SIDE = INPUT_SIDE // 2
TILE_OVERLAP = 80  # a face up to this in the scanned copy lies whole in one tile; larger: first pass
# The ArcFace 112x112 five-point template (insightface's arcface_dst), the geometry SFace expects.
TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                     [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float64)
FLIP = True  # embed each face and its mirror image


class SFaceEngine(FaceEngine):
    name = "sface"
    embedding_size = 128
    landmark_roles = ((0,), (1,), 2)  # YuNet: right eye, left eye, nose tip, mouth corners
    confident_score = 0.9  # YuNet's score is a probability
    min_enrol_score = 0.75
    # Measured on 2 cores (benchmarks/analysis_efficiency.py): one single-threaded session pair
    # per core, each in its own process, beats one pair whose runs use both cores, because
    # these models are too small for onnxruntime to spread one run over two cores well.
    parallelism = "processes"
    # YuNet's boxes take in the forehead: 1.16x as tall as dlib's HOG boxes on the same faces
    # (median over 50 single-face photos of ../shared/faces; 10th-90th percentile 1.08-1.38).
    face_height_ratio = 0.86
    finds_turned_faces = True  # measured on ../shared/faces/unlabelled/r90.jpg: 0.74 sideways, 0.95 turned
    # Right turns of the 101 face photos of ../shared/faces score 0.92-0.95; a false face in
    # skimage's coffee cup, enlarged to 3000 x 2000 and turned, 0.61.
    min_turn_score = 0.8
    _model_attributes = ("_detector", "_recogniser")

    def __init__(self, model_dir: Path | None = None, *, small_faces: bool = True,
                 threads: int = 1, cache: Path | None = None) -> None:
        super().__init__(model_dir)
        self.small_faces = small_faces
        self.cache = cache or sface_models.default_cache()  # where the fp32 copies are kept
        self.threads = threads  # onnxruntime intra-op threads per session
        if threads > 1:  # the sessions spread each run over the cores: one engine is enough
            self.parallelism = "threads"
        self._detector: Any = None
        self._recogniser: Any = None

    @property
    def folder(self) -> Path | None:
        return self.model_dir or sface_models.default_folder()

    @classmethod
    def availability(cls, model_dir: Path | None = None) -> Availability:
        folder = model_dir or sface_models.default_folder()
        problem = sface_models.problem(folder)
        if problem:
            return Availability(False, f"{problem}: {sface_models.INSTALL_HINT}")
        return Availability(True, f"YuNet + SFace in {folder}, SHA-256 checked")

    def describe(self) -> dict[str, Any]:
        models = sface_models.pinned()
        return {
            **super().describe(),
            "model": f"{models.recogniser.file} (sha256 {models.recogniser.sha256[:16]})",
            # Every setting that changes what is found: a re-scan reuses earlier analysis only
            # when this description (and the rest of scan.analysis_key) is the same.
            "detector": (f"{models.detector.file} at {INPUT_SIDE}x{INPUT_SIDE}, threshold {DET_THRESH}, "
                         f"up to {UPSCALE}x, min {MIN_FACE_PX} px, turns from {self.min_turn_score}"
                         + (f"; small faces: {TILE_SIDE} px tiles up to {SMALL_FACE_MAX_SIDE} px"
                            if self.small_faces else "")),
            "embedding": "SFace of the aligned face plus its mirror image" if FLIP else "SFace",
            "licence": f"YuNet: {models.detector.licence}; SFace: {models.recogniser.licence}",
        }

    def _load(self) -> None:
        import onnxruntime

        folder = self.folder
        problem = sface_models.problem(folder)
        if problem or folder is None:
            raise EngineUnavailable(problem, sface_models.INSTALL_HINT)
        models = sface_models.pinned()
        try:
            detector = sface_models.fp32_model(folder, models.detector, self.cache)
            recogniser = sface_models.fp32_model(folder, models.recogniser, self.cache)
        except ValueError as exc:  # the files changed after `problem` looked at them
            raise EngineUnavailable(str(exc), sface_models.INSTALL_HINT) from exc
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # the models' unused initializers are not worth a warning
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        providers = ["CPUExecutionProvider"]
        self._detector = onnxruntime.InferenceSession(detector, options, providers=providers)
        self._recogniser = onnxruntime.InferenceSession(recogniser, options, providers=providers)

    # -- detection -------------------------------------------------------------------------
    def _detect(self, image: RGBImage) -> list[DetectedFace]:
        faces = self._fast_pass(image)
        if not faces and self.small_faces:
            faces = self._small_face_pass(image)
        return faces

    def detect_fast(self, image: RGBImage, *, max_side: int = INPUT_SIDE,
                    large_faces_only: bool = False) -> list[DetectedFace]:
        """The first pass: the whole image at YuNet's input size. `max_side` and
        `large_faces_only` exist for the two-pass protocol; the pass costs the same either way."""
        self.prepare(image)
        return self._fast_pass(image)

    def small_face_pass(self, image: RGBImage) -> str | None:
        plan = self._small_face_plan(image)
        return None if plan is None else plan.describe()

    def detect_small_faces(self, image: RGBImage) -> list[DetectedFace]:
        self.prepare(image)
        return self._small_face_pass(image)

    def surest_face(self, image: RGBImage) -> float:
        """YuNet's best score in the first pass, without aligning or embedding anything."""
        self.prepare(image)
        return max((score for *_, score in self._yunet(image)), default=0.0)

    def _fast_pass(self, image: RGBImage) -> list[DetectedFace]:
        return self._describe_faces(image, self._yunet(image))

    def _small_face_plan(self, image: RGBImage) -> tiles.Plan | None:
        if not self.small_faces:
            return None
        # Only where the first pass shrank the photo by more than 2: faces of 20 px became under 10.
        return tiles.plan(image, first_pass_side=2 * INPUT_SIDE, max_side=SMALL_FACE_MAX_SIDE,
                          side=TILE_SIDE, overlap=TILE_OVERLAP)

    def _small_face_pass(self, image: RGBImage) -> list[DetectedFace]:
        plan = self._small_face_plan(image)
        if plan is None:
            return []
        scale = plan.scale
        scanned = image if scale == 1.0 else tiles.resize(image, scale)
        found: list[_Found] = []
        for left, top, right, bottom in plan.tiles:
            for box, points, score in self._yunet(np.ascontiguousarray(scanned[top:bottom, left:right])):
                shift = np.array([left, top], dtype=np.float32)
                found.append(((box.reshape(2, 2) + shift).reshape(4) / scale,
                              (points + shift) / scale, score))
        return self._describe_faces(image, _nms(found))

    def _yunet(self, image: RGBImage) -> list[_Found]:
        """Faces in `image` as (x1, y1, x2, y2), 5 landmarks and score, in its own pixels."""
        height, width = image.shape[:2]
        scale = min(INPUT_SIDE / max(height, width), UPSCALE)
        resized = image if scale == 1.0 else tiles.resize(image, scale)
        canvas = np.zeros((INPUT_SIDE, INPUT_SIDE, 3), dtype=np.float32)
        canvas[: resized.shape[0], : resized.shape[1]] = resized[:, :, ::-1]  # BGR, as trained
        blob = canvas.transpose(2, 0, 1)[np.newaxis]
        outputs = dict(zip((o.name for o in self._detector.get_outputs()),
                           self._detector.run(None, {"input": blob}), strict=True))
        found: list[_Found] = []
        for stride in STRIDES:
            cells = INPUT_SIDE // stride
            score = np.sqrt(np.clip(outputs[f"cls_{stride}"][0, :, 0], 0, 1)
                            * np.clip(outputs[f"obj_{stride}"][0, :, 0], 0, 1))
            keep = np.nonzero(score >= DET_THRESH)[0]
            if keep.size == 0:
                continue
            rows, cols = (keep // cells).astype(np.float32), (keep % cells).astype(np.float32)
            bbox = outputs[f"bbox_{stride}"][0, keep]
            kps = outputs[f"kps_{stride}"][0, keep].reshape(-1, 5, 2)
            cx, cy = (cols + bbox[:, 0]) * stride, (rows + bbox[:, 1]) * stride
            w, h = np.exp(bbox[:, 2]) * stride, np.exp(bbox[:, 3]) * stride
            boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1) / scale
            points = (kps + np.stack([cols, rows], axis=1)[:, np.newaxis, :]) * stride / scale
            found += [(boxes[i], points[i], float(score[keep[i]])) for i in range(len(keep))]
        return _nms(found)

    def _describe_faces(self, image: RGBImage, found: list[_Found]) -> list[DetectedFace]:
        height, width = image.shape[:2]
        faces: list[DetectedFace] = []
        for (x1, y1, x2, y2), points, score in found:
            box = Box(
                left=min(max(round(float(x1)), 0), width), top=min(max(round(float(y1)), 0), height),
                right=min(max(round(float(x2)), 0), width), bottom=min(max(round(float(y2)), 0), height),
            )
            if box.height < MIN_FACE_PX or box.width < MIN_FACE_PX / 2:
                continue
            faces.append(DetectedFace(
                box=box,
                landmarks=np.asarray(points, dtype=np.float32),
                det_score=score,
                embedding=self._embed(image, points),
                sharpness=sharpness(image, (box.left, box.top, box.right, box.bottom)),
            ))
        return faces

    def _embed(self, image: RGBImage, points: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        crop = aligned_face(image, points)
        batch = [crop, crop[:, ::-1]] if FLIP else [crop]
        total = np.zeros(self.embedding_size, dtype=np.float32)
        for face in batch:
            blob = np.ascontiguousarray(face.transpose(2, 0, 1)[np.newaxis], dtype=np.float32)
            total += normalise(self._recogniser.run(None, {"data": blob})[0])
        return normalise(total)


_Found = tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], float]  # box, 5 points, score


def aligned_face(image: RGBImage, points: npt.NDArray[np.float32]) -> RGBImage:
    """The 112x112 RGB crop whose five landmarks sit on TEMPLATE (a similarity transform:
    rotation, uniform scale, shift), sampled bilinearly like OpenCV's warpAffine."""
    from PIL import Image

    matrix = similarity_transform(np.asarray(points, dtype=np.float64), TEMPLATE)
    # PIL wants the inverse map: for each output pixel, where to read in the input.
    inverse = np.linalg.inv(np.vstack([matrix, [0.0, 0.0, 1.0]]))[:2]
    source = Image.fromarray(np.ascontiguousarray(image))
    # A face much larger than 112 px is shrunk first, so the crop averages its pixels instead of
    # skipping most of them (aliasing).
    shrink = math.floor(1.0 / max(math.hypot(matrix[0, 0], matrix[0, 1]), 1e-6) / 2)
    if shrink >= 2:
        source = source.reduce(shrink)
        inverse = inverse / shrink
    crop = source.transform((112, 112), Image.Transform.AFFINE, tuple(inverse.reshape(-1)),
                            resample=Image.Resampling.BILINEAR)
    return np.asarray(crop, dtype=np.uint8)


def similarity_transform(src: npt.NDArray[np.float64], dst: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The 2x3 least-squares similarity transform taking points `src` onto `dst` (Umeyama, 1991)."""
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    covariance = dst_c.T @ src_c / len(src)
    u, singular, vt = np.linalg.svd(covariance)
    d = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[1, 1] = -1
    rotation = u @ d @ vt
    variance = (src_c**2).sum() / len(src)
    scale = float((singular * np.diag(d)).sum() / variance) if variance > 0 else 1.0
    shift = dst_mean - scale * rotation @ src_mean
    return np.hstack([scale * rotation, shift[:, np.newaxis]])


def _nms(found: list[_Found]) -> list[_Found]:
    """The highest-scoring box of each group overlapping by more than NMS_IOU."""
    kept: list[_Found] = []
    for item in sorted(found, key=lambda f: -f[2]):
        if all(_iou(item[0], other[0]) <= NMS_IOU for other in kept):
            kept.append(item)
    return kept


def _iou(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = float(width * height)
    union = float((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])) - inter
    return inter / union if union > 0 else 0.0
