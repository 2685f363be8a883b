"""Enrolment: turn the user's reference photos into a template, refusing anything but one person."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from faceaudit.compare.engines.base import FaceEngine
from faceaudit.compare.faces import find_faces
from faceaudit.compare.imageio import read_path
from faceaudit.compare.recognisability import face_height, frontalness
from faceaudit.errors import EnrolmentRefused, ImageRejected
from faceaudit.types import DetectedFace, ReferenceFace

MIN_FACE_PX = 80  # reference faces smaller than this make a poor template
MAX_PHOTOS = 20
# Sharpness is the Laplacian variance of the face scaled to 112 px (compare/engines/base.py).
# In ../shared/faces the deliberately blurred sample measures 14; every ordinary photo 46 or more.
MIN_SHARPNESS = 30.0
# frontalness() is 1 for a face looking at the camera, 0 in profile; the least frontal usable
# faces in ../shared/faces measure about 0.4.
MIN_FRONTALNESS = 0.3
NARROW_FRONTALNESS = 0.85  # every reference face above this: all look straight at the camera


@dataclass(frozen=True)
class ReferencePhoto:
    name: str  # what the user called it: a path, or a demo photo's name
    data: bytes


def read_photos(paths: Sequence[Path]) -> list[ReferencePhoto]:
    return [ReferencePhoto(str(path), read_path(path)) for path in paths]


def photo_sha256(photo: ReferencePhoto) -> str:
    """What makes two reference photos the same photo: their bytes, whatever the files are called."""
    return hashlib.sha256(photo.data).hexdigest()


def distinct_photos(photos: Sequence[ReferencePhoto],
                    existing: Sequence[ReferenceFace] = ()) -> tuple[list[ReferencePhoto], list[str]]:
    """(`photos` without repeats of a photo given earlier or already in `existing`, a warning per
    photo left out). The same photo twice is one view of the face, not two: counted twice it
    would hide the advice that the template is narrow, and weigh that one view double."""
    seen = {face.photo_sha256: f"{face.photo_name} (already in the template)" for face in existing}
    kept: list[ReferencePhoto] = []
    skipped: list[str] = []
    for photo in photos:
        digest = photo_sha256(photo)
        if digest in seen:
            skipped.append(f"skipped {photo.name}: same photo as {seen[digest]}")
            continue
        seen[digest] = photo.name
        kept.append(photo)
    return kept, skipped


def reference_face(engine: FaceEngine, photo: ReferencePhoto) -> ReferenceFace:
    """The one usable face in `photo`, or EnrolmentRefused naming the photo and the reason."""
    try:
        search = find_faces(engine, photo.data, source=photo.name)
    except ImageRejected as exc:
        raise EnrolmentRefused(exc.message, exc.hint or "use a JPEG or PNG photo of your face") from exc
    faces = search.faces
    if not faces:
        raise EnrolmentRefused(
            f"{photo.name}: no face found (tried: {', '.join(search.tried)})",
            "use a clear, well-lit photo where your face looks at the camera",
        )
    if len(faces) > 1:
        raise EnrolmentRefused(
            f"{photo.name}: shows {len(faces)} faces; a reference photo must show only you",
            "crop it to your face, or choose a photo of you alone",
        )
    face: DetectedFace = faces[0]
    height = face_height(face, type(engine))
    if height < MIN_FACE_PX:
        raise EnrolmentRefused(
            f"{photo.name}: the face is only {height} px tall (at least {MIN_FACE_PX} px needed)",
            "use a larger or closer photo of your face",
        )
    if face.det_score < engine.min_enrol_score:
        raise EnrolmentRefused(
            f"{photo.name}: the face is found only faintly (detection score {face.det_score:.2f}, "
            f"at least {engine.min_enrol_score:.2f} needed)",
            "use a sharper, well-lit photo where your face looks at the camera",
        )
    if face.sharpness < MIN_SHARPNESS:
        raise EnrolmentRefused(
            f"{photo.name}: the face is blurry (sharpness {face.sharpness:.0f}, at least {MIN_SHARPNESS:.0f} needed)",
            "use a sharp photo: steady camera, face in focus",
        )
    pose = frontalness(face, type(engine))
    if pose < MIN_FRONTALNESS:
        raise EnrolmentRefused(
            f"{photo.name}: the face is turned too far from the camera (frontal {pose:.2f}, at least {MIN_FRONTALNESS} needed)",
            "use a photo where both eyes are visible",
        )
    return ReferenceFace(
        photo_name=Path(photo.name).name,
        photo_sha256=photo_sha256(photo),
        embedding=face.embedding,
        det_score=face.det_score,
        face_px=height,
        frontal=round(pose, 3),
    )


@dataclass(frozen=True)
class Enrolment:
    faces: list[ReferenceFace]  # the new reference faces
    warnings: list[str]  # accepted, but the template could be better: say how


def build_template(engine: FaceEngine, photos: Sequence[ReferencePhoto],
                   existing: Sequence[ReferenceFace] = ()) -> Enrolment:
    """Reference faces for `photos`, checked to be one person together with `existing` ones."""
    if not photos:
        raise EnrolmentRefused("no reference photos given", "faceaudit enroll me1.jpg me2.jpg")
    photos, skipped = distinct_photos(photos, existing)
    if not photos:
        raise EnrolmentRefused("nothing to add: every photo given is already in the template",
                               "add other photos of you: other light, angles or years")
    if len(photos) + len(existing) > MAX_PHOTOS:
        raise EnrolmentRefused(f"at most {MAX_PHOTOS} reference photos are kept",
                               "choose the clearest, most varied ones")
    new = [reference_face(engine, photo) for photo in photos]
    check_one_person(engine, [*existing, *new])
    return Enrolment(new, [*skipped, *narrow_set_warnings([*existing, *new])])


def narrow_set_warnings(faces: Sequence[ReferenceFace]) -> list[str]:
    """A template of one photo, or only straight-on faces, misses photos taken from the side.
    Photos are counted by their bytes: one photo enrolled twice (before duplicates were skipped)
    is still one view of the face."""
    warnings = []
    photos = len({face.photo_sha256 for face in faces})
    if photos < 3:
        warnings.append(
            f"only {photos} reference photo(s): 3 to 5 varied ones (lighting, angle, years) "
            "find more of your photos; add them with `faceaudit enroll --add`"
        )
    if photos >= 2 and all(f.frontal >= NARROW_FRONTALNESS for f in faces):
        warnings.append(
            "every reference photo looks straight at the camera: add one or two with your head "
            "turned a little, so side views are recognised too"
        )
    return warnings


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
