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
from faceaudit.errors import EnrolmentRefused, ExitCode, ImageRejected
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


@dataclass(frozen=True)
class PhotoRefused:
    """Why one reference photo cannot be used: `reason` for the photo, `advice` on what to do."""

    name: str  # the photo as the user named it
    reason: str  # "shows 2 faces; a reference photo must show only you"
    advice: str  # "crop it to your face, or choose a photo of you alone"
    unreadable: bool = False  # the file is not an image faceaudit decodes

    def line(self, *, with_advice: bool = False) -> str:
        return f"{self.name}: {self.reason}" + (f" — {self.advice}" if with_advice else "")


def examine_photo(engine: FaceEngine, photo: ReferencePhoto) -> ReferenceFace | PhotoRefused:
    """The one usable face in `photo`, or why the photo cannot be a reference photo."""

    def refused(reason: str, advice: str) -> PhotoRefused:
        return PhotoRefused(photo.name, reason, advice)

    try:
        search = find_faces(engine, photo.data, source=photo.name)
    except ImageRejected as exc:
        reason = exc.message.removeprefix(f"{photo.name}: ")
        hint = exc.hint.rstrip(".")  # a sentence in imageio; here it follows a dash, as every advice does
        advice = hint[:1].lower() + hint[1:] if hint else "use a JPEG or PNG photo of your face"
        return PhotoRefused(photo.name, reason, advice, unreadable=True)
    image = search.image
    if min(image.width, image.height) < MIN_FACE_PX:
        # Too small to hold a usable face at all: saying "no face found" would send the user
        # looking for a better-lit photo rather than a larger one.
        return refused(f"the photo is only {image.width}x{image.height} px; a face needs at least "
                       f"{MIN_FACE_PX} px", "use a larger photo")
    faces = search.faces
    if not faces:
        return refused(f"no face found (tried: {', '.join(search.tried)})",
                       "use a clear, well-lit photo where your face looks at the camera")
    if len(faces) > 1:
        return refused(f"shows {len(faces)} faces; a reference photo must show only you",
                       "crop it to your face, or choose a photo of you alone")
    face: DetectedFace = faces[0]
    height = face_height(face, type(engine))
    if height < MIN_FACE_PX:
        return refused(f"the face is only {height} px tall (at least {MIN_FACE_PX} px needed)",
                       "use a larger or closer photo of your face")
    if face.det_score < engine.min_enrol_score:
        return refused(f"the face is found only faintly (detection score {face.det_score:.2f}, "
                       f"at least {engine.min_enrol_score:.2f} needed)",
                       "use a sharper, well-lit photo where your face looks at the camera")
    if face.sharpness < MIN_SHARPNESS:
        return refused(f"the face is blurry (sharpness {face.sharpness:.0f}, at least {MIN_SHARPNESS:.0f} needed)",
                       "use a sharp photo: steady camera, face in focus")
    pose = frontalness(face, type(engine))
    if pose < MIN_FRONTALNESS:
        return refused(f"the face is turned too far from the camera (frontal {pose:.2f}, "
                       f"at least {MIN_FRONTALNESS} needed)", "use a photo where both eyes are visible")
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
    """Reference faces for `photos`, checked to be one person together with `existing` ones.

    All or nothing: every photo is examined, and if any cannot be used, one EnrolmentRefused
    lists each of them (its `details`) and nothing is enrolled, so a template is never made
    from part of what the user chose, and one re-run after fixing every photo is enough."""
    if not photos:
        raise EnrolmentRefused("no reference photos given", "faceaudit enroll me1.jpg me2.jpg")
    photos, skipped = distinct_photos(photos, existing)
    if not photos:
        raise EnrolmentRefused("nothing to add: every photo given is already in the template",
                               "add other photos of you: other light, angles or years")
    if len(photos) + len(existing) > MAX_PHOTOS:
        raise EnrolmentRefused(f"at most {MAX_PHOTOS} reference photos are kept",
                               "choose the clearest, most varied ones")
    examined = [examine_photo(engine, photo) for photo in photos]
    new = [face for face in examined if isinstance(face, ReferenceFace)]
    refused = [face for face in examined if isinstance(face, PhotoRefused)]
    given = [photo.name for photo, face in zip(photos, examined, strict=True) if isinstance(face, ReferenceFace)]
    refused += not_one_person(engine, new, existing, names=given)
    order = {photo.name: index for index, photo in enumerate(photos)}
    refused.sort(key=lambda photo: order.get(photo.name, len(order)))  # as the user listed them
    if refused:
        error = _refusal(refused, len(photos), adding=bool(existing))
        if all(photo.unreadable for photo in refused):
            # Only files that are no image faceaudit decodes: the exit code `check` gives them
            # too, and `enroll` for a file over the size limit. Any refused face makes it 4.
            error.exit_code = ExitCode.IMAGE
        raise error
    return Enrolment(new, [*skipped, *narrow_set_warnings([*existing, *new])])


def _refusal(refused: Sequence[PhotoRefused], given: int, *, adding: bool) -> EnrolmentRefused:
    """One error for every refused photo. A single photo given and refused is the message
    itself; otherwise the message counts them and `details` has a line per photo, each with
    its own advice when the advice differs from photo to photo."""
    if given == 1 and len(refused) == 1:
        return EnrolmentRefused(refused[0].line(), refused[0].advice)
    nothing = "nothing was added to the template" if adding else "nothing was enrolled"
    count = len(refused)
    message = (f"{count} of {given} photos cannot be used; {nothing}" if count < given
               else f"{'neither' if given == 2 else 'none'} of the {given} photos can be used; {nothing}")
    advice = {r.advice for r in refused}
    if len(advice) == 1:
        return EnrolmentRefused(message, advice.pop(), tuple(r.line() for r in refused))
    return EnrolmentRefused(message, "replace or leave out each photo listed, then enrol again",
                            tuple(r.line(with_advice=True) for r in refused))


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


def not_one_person(engine: FaceEngine, new: Sequence[ReferenceFace], existing: Sequence[ReferenceFace] = (),
                   *, names: Sequence[str] = ()) -> list[PhotoRefused]:
    """The new reference faces that do not show the person the others show. Every pair of
    faces must match at the engine's `maybe` threshold or better.

    When it can tell whose face is the odd one out, every such photo is listed: those that do
    not match the template's faces (with `existing`), or those outside the largest group of
    photos that all match each other, when that group is a majority. When it cannot (two
    photos of two people, or no majority), each photo that fails a match is listed with the
    photos it does not match. `names`: the new photos as the user named them (else the file
    names kept in the template), for each line's first word."""
    cut = engine.thresholds.maybe
    faces = [*existing, *new]
    similar = [[float(a.embedding @ b.embedding) for b in faces] for a in faces]
    failing = [(i, j) for i, j in itertools.combinations(range(len(faces)), 2)
               if similar[i][j] < cut and j >= len(existing)]
    if not failing:
        return []

    def name(index: int) -> str:
        return faces[index].photo_name

    def refused(index: int, reason: str) -> PhotoRefused:
        new_index = index - len(existing)
        given = names[new_index] if 0 <= new_index < len(names) else name(index)
        return PhotoRefused(given, reason, "leave it out if it is not you")

    group = _largest_matching_group(similar, cut, trusted=len(existing))
    if existing or (len(group) >= 2 and 2 * len(group) > len(faces)):
        outside = [i for i in range(len(existing), len(faces)) if i not in group]
        same = ("the template's reference faces" if existing
                else _names([name(g) for g in group]) if len(group) <= 3 else f"the other {len(group)} photos")
        return [refused(i, f"does not show the same person as {same} (best similarity "
                           f"{max(similar[i][g] for g in group):.2f}, at least {cut:.2f} needed)")
                for i in outside]
    if len(failing) == 1:
        ((i, j),) = failing
        return [refused(j, f"does not show the same person as {name(i)} "
                           f"(similarity {similar[i][j]:.2f}, at least {cut:.2f} needed)")]
    odd = sorted({i for pair in failing for i in pair})
    return [refused(i, f"does not match {_names([name(j) for j in odd if j != i and similar[i][j] < cut])} "
                       f"(at least {cut:.2f} similarity needed)") for i in odd]


def _largest_matching_group(similar: Sequence[Sequence[float]], cut: float, *, trusted: int) -> list[int]:
    """Faces that all match each other: the first `trusted` (a template already checked), then,
    greedily, the faces that match the most others. Greedy is not always the largest such
    group, but with at most 20 photos of mostly one person it finds the odd ones out."""
    group = list(range(trusted))
    matches = [sum(s >= cut for s in row) for row in similar]
    for i in sorted(range(trusted, len(similar)), key=lambda i: (-matches[i], i)):
        if all(similar[i][g] >= cut for g in group):
            group.append(i)
    return group


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
