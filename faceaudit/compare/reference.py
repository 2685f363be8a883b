"""Enrolment: turn the user's reference photos into a template, refusing anything but one person."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from faceaudit.compare.engines.base import FaceEngine
from faceaudit.compare.imageio import decode
from faceaudit.errors import EnrolmentRefused, ImageRejected
from faceaudit.types import DetectedFace
from faceaudit.workspace import ReferenceFace

MIN_FACE_PX = 80  # reference faces smaller than this make a poor template
MAX_PHOTOS = 20


@dataclass(frozen=True)
class ReferencePhoto:
    name: str  # what the user called it: a path, or a demo photo's name
    data: bytes


def read_photos(paths: Sequence[Path]) -> list[ReferencePhoto]:
    photos = []
    for path in paths:
        try:
            photos.append(ReferencePhoto(str(path), path.read_bytes()))
        except OSError as exc:
            raise EnrolmentRefused(f"{path}: cannot read the file ({exc.strerror})", "check the path") from exc
    return photos


def reference_face(engine: FaceEngine, photo: ReferencePhoto) -> ReferenceFace:
    """The one usable face in `photo`, or EnrolmentRefused naming the photo and the reason."""
    try:
        image = decode(photo.data, source=photo.name)
    except ImageRejected as exc:
        raise EnrolmentRefused(exc.message, exc.hint or "use a JPEG or PNG photo of your face") from exc
    faces = engine.detect(image.rgb)
    if not faces:
        raise EnrolmentRefused(
            f"{photo.name}: no face found",
            "use a clear, well-lit photo where your face looks at the camera",
        )
    if len(faces) > 1:
        raise EnrolmentRefused(
            f"{photo.name}: shows {len(faces)} faces; a reference photo must show only you",
            "crop it to your face, or choose a photo of you alone",
        )
    face: DetectedFace = faces[0]
    if face.box.height < MIN_FACE_PX:
        raise EnrolmentRefused(
            f"{photo.name}: the face is only {face.box.height} px tall (at least {MIN_FACE_PX} px needed)",
            "use a larger or closer photo of your face",
        )
    if face.det_score < engine.min_enrol_score:
        raise EnrolmentRefused(
            f"{photo.name}: the face is found only faintly (detection score {face.det_score:.2f}, "
            f"at least {engine.min_enrol_score:.2f} needed)",
            "use a sharper, well-lit photo where your face looks at the camera",
        )
    return ReferenceFace(
        photo_name=Path(photo.name).name,
        photo_sha256=hashlib.sha256(photo.data).hexdigest(),
        embedding=face.embedding,
        det_score=face.det_score,
        face_px=face.box.height,
    )


def build_template(engine: FaceEngine, photos: Sequence[ReferencePhoto],
                   existing: Sequence[ReferenceFace] = ()) -> list[ReferenceFace]:
    """Reference faces for `photos`, checked to be one person together with `existing` ones."""
    if not photos:
        raise EnrolmentRefused("no reference photos given", "faceaudit enroll me1.jpg me2.jpg")
    if len(photos) + len(existing) > MAX_PHOTOS:
        raise EnrolmentRefused(f"at most {MAX_PHOTOS} reference photos are kept",
                               "choose the clearest, most varied ones")
    new = [reference_face(engine, photo) for photo in photos]
    check_one_person(engine, [*existing, *new])
    return new


def check_one_person(engine: FaceEngine, faces: Sequence[ReferenceFace]) -> None:
    """Every pair of reference faces must match at the engine's `maybe` threshold or better."""
    cut = engine.thresholds.maybe
    worst: tuple[float, ReferenceFace, ReferenceFace] | None = None
    for a, b in itertools.combinations(faces, 2):
        similarity = float(a.embedding @ b.embedding)
        if similarity < cut and (worst is None or similarity < worst[0]):
            worst = (similarity, a, b)
    if worst is not None:
        similarity, a, b = worst
        raise EnrolmentRefused(
            f"{b.photo_name} does not show the same person as {a.photo_name} "
            f"(similarity {similarity:.2f}, at least {cut:.2f} needed)",
            "all reference photos must show you and only you; remove the photo that is not you",
        )
