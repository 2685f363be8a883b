"""Finding the faces in a photo however it was stored: sideways, animated, or with the face small.

Every stage that looks for faces in image bytes (enrolment, scan, check) calls find_faces, so
they all see the same faces. The search stops at the first step that finds a face:

1. the image as decoded (EXIF orientation applied) and, for an animation, a few evenly
   spaced frames: the frame showing the most faces is kept. Faces are never added up across
   frames, since the same person would be counted once per frame;
2. the image turned 90, 180 and 270 degrees: photos whose orientation was lost on the way
   (an EXIF tag stripped, a scan, a screenshot) show faces sideways or upside down, and the
   detectors find upright faces only. Such photos are mostly portraits, so with a two-pass
   engine the turns are searched on a copy of at most TURN_MAX_SIDE for large faces only (at
   least 80 px in that copy: a tenth of a large photo's long side), a quarter of the cost of
   an upright search (measured: benchmarks/hard_photos.py --turns);
3. the engine's small-face pass, if it has one (large photos at full resolution or in tiles).

An engine whose detector also reports sideways faces (`finds_turned_faces`: YuNet does, less
surely and with landmarks placed as if upright) has every turn scored in step 2 and the surest
one kept, not the first with a face; and in step 1 too when its upright find is not confident.

Steps 2 and 3 search the first frame only. A photo without a face pays for every step:
benchmarks/hard_photos.py measures what that costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from faceaudit.compare import imageio
from faceaudit.compare.engines.base import FaceEngine, RGBImage
from faceaudit.compare.imageio import DecodedImage
from faceaudit.errors import ImageRejected
from faceaudit.types import Box, DetectedFace

ANIMATION_FRAMES = 3  # frames of an animation searched: first, middle, last
TURNS = (90, 180, 270)  # counterclockwise, as numpy.rot90 and PIL's Image.rotate turn
# Turns are searched on a copy no larger than this (with a two-pass engine): a quarter of the
# first pass's pixels, so three turns cost less than one upright pass of a large photo.
TURN_MAX_SIDE = 800


@dataclass(frozen=True, eq=False)  # eq=False: numpy arrays do not compare to a single bool
class FaceSearch:
    image: DecodedImage  # as decoded (EXIF orientation applied)
    rgb: npt.NDArray[np.uint8]  # the pixels the faces were found in; boxes refer to these
    faces: list[DetectedFace]
    rotation: int  # 0, 90, 180, 270: how far `rgb` is turned (counterclockwise) from `image`
    frame: int  # which frame of an animated image (0 otherwise)
    tried: list[str]  # the steps taken, in order: "upright", "frame 2", "rot90", "small faces (…)"

    def box_in_image(self, box: Box) -> Box:
        """`box`, a box in `rgb`, in the decoded image's pixels: where the face is in the photo
        as it is displayed (turned back by `rotation`)."""
        width, height = self.image.width, self.image.height
        turn = self.rotation % 360
        if turn == 0:
            return box
        if turn == 90:  # rgb[y, x] shows image[x, width - y]
            return Box(width - box.bottom, box.left, width - box.top, box.right)
        if turn == 180:
            return Box(width - box.right, height - box.bottom, width - box.left, height - box.top)
        if turn == 270:  # rgb[y, x] shows image[height - x, y]
            return Box(box.top, height - box.right, box.bottom, height - box.left)
        raise ValueError(f"rotation must be a multiple of 90, not {self.rotation}")


@runtime_checkable
class SmallFaceEngine(Protocol):
    """An engine whose `detect` is a fast pass followed, when that finds nothing, by a slower
    pass for small faces, and which can run the two apart (DlibEngine)."""

    def detect_fast(self, image: RGBImage, *, max_side: int = ...,
                    large_faces_only: bool = ...) -> list[DetectedFace]: ...
    def small_face_pass(self, image: RGBImage) -> str | None: ...
    def detect_small_faces(self, image: RGBImage) -> list[DetectedFace]: ...


def _best_turn(engine: FaceEngine, image: DecodedImage, upright_score: float,
               tried: list[str]) -> FaceSearch | None:
    """For an engine that also reports faces lying on their side (unsurely, with landmarks
    placed as if upright): the turn whose best face is detected more surely than the upright
    find's, or None when upright stays the best. The photo was stored turned (an EXIF tag lost);
    taking the turn keeps boxes, thumbnails and embeddings those of the upright face."""
    best_turn = 0
    for turn in TURNS:
        tried.append(f"rot{turn}")
        score = engine.surest_face(np.ascontiguousarray(np.rot90(image.rgb, turn // 90)))
        # Three more searches are three more chances of a false face: a turn must be sure.
        if score > upright_score and score >= engine.min_turn_score:
            upright_score, best_turn = score, turn
    if best_turn == 0:
        return None
    turned = np.ascontiguousarray(np.rot90(image.rgb, best_turn // 90))
    faces = engine.detect(turned)  # may drop what surest_face saw (too small to keep)
    return FaceSearch(image, turned, faces, best_turn, 0, tried) if faces else None


def find_faces(engine: FaceEngine, data: bytes, *, source: str) -> FaceSearch:
    """The faces in an image file's bytes. Raises ImageRejected, naming `source`, like decode."""
    image = imageio.decode(data, source=source)
    two_pass = engine if isinstance(engine, SmallFaceEngine) else None
    fast = two_pass.detect_fast if two_pass is not None else engine.detect

    tried = ["upright"]
    rgb, faces, frame = image.rgb, fast(image.rgb), 0
    if image.frames > 1:
        try:
            later = imageio.indexed_frames(data, source=source, limit=ANIMATION_FRAMES)
            next(later)  # the first frame is image.rgb
            for index, pixels in later:
                tried.append(f"frame {index}")
                found = fast(pixels)
                if len(found) > len(faces):  # the most faces in one frame; the earliest on a tie
                    rgb, faces, frame = pixels, found, index
        except ImageRejected:
            # The first frame decoded; a damaged later one ends the sampling, not the search.
            tried.append("later frames unreadable")
    if faces and frame == 0 and engine.finds_turned_faces:
        best = max(f.det_score for f in faces)
        if best < engine.confident_score:
            turned_search = _best_turn(engine, image, best, tried)
            if turned_search is not None:
                return turned_search
    if faces:
        return FaceSearch(image, rgb, faces, 0, frame, tried)

    if engine.finds_turned_faces:  # the first turn with a face may be a sideways half-find
        turned_search = _best_turn(engine, image, 0.0, tried)
        if turned_search is not None:
            return turned_search
    else:
        for turn in TURNS:
            turned = np.ascontiguousarray(np.rot90(image.rgb, turn // 90))
            tried.append(f"rot{turn}")
            if two_pass is not None:
                faces = two_pass.detect_fast(turned, max_side=TURN_MAX_SIDE, large_faces_only=True)
            else:
                faces = engine.detect(turned)
            if faces:
                return FaceSearch(image, turned, faces, turn, 0, tried)

    if two_pass is not None:
        step = two_pass.small_face_pass(image.rgb)
        if step is not None:
            tried.append(step)
            faces = two_pass.detect_small_faces(image.rgb)
            if faces:
                return FaceSearch(image, image.rgb, faces, 0, 0, tried)
    return FaceSearch(image, image.rgb, [], 0, 0, tried)

