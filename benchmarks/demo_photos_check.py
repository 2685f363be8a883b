"""Check the demo's photos with dlib itself, not through faceaudit's engine: for each photo, its
label, the faces HOG finds, and each face's similarity to the demo person's template.

    .venv/bin/python benchmarks/demo_photos_check.py

The template is the mean of the reference photos' descriptors (each L2-normalised, and the
mean normalised again); a face's similarity is the cosine to it. The demo needs every photo of
the person to hold a face at >= PERSON_MIN and every other face to stay below STRANGER_MAX, so
that the demo's report is the same whatever threshold between the two an engine calibration
picks. Exit status 1 when a photo misses its target or shows a different number of faces than
its label says.
"""

from __future__ import annotations

import io
import sys
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from faceaudit.demo.photos import Photo, public_photos, reference_photos

PERSON_MIN = 0.93
STRANGER_MAX = 0.88
UPSAMPLE = 1


@dataclass(frozen=True)
class Measured:
    name: str
    label: str
    expected_faces: int
    similarities: list[float]  # one per face found, highest first

    @property
    def faces(self) -> int:
        return len(self.similarities)


class DlibFaces:
    """HOG (upsample 1), the 5-point landmarks and the ResNet descriptor, loaded once."""

    def __init__(self) -> None:
        import dlib

        spec = find_spec("face_recognition_models")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("face_recognition_models is not installed")
        models = Path(next(iter(spec.submodule_search_locations))) / "models"
        self._detector = dlib.get_frontal_face_detector()
        self._landmarks = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
        self._descriptor = dlib.face_recognition_model_v1(str(models / "dlib_face_recognition_resnet_model_v1.dat"))

    def embeddings(self, data: bytes) -> list[npt.NDArray[np.float64]]:
        """The L2-normalised descriptor of every face HOG finds in the encoded image `data`."""
        rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        found = []
        for rect in self._detector(rgb, UPSAMPLE):
            vector = np.array(self._descriptor.compute_face_descriptor(rgb, self._landmarks(rgb, rect)))
            found.append(vector / np.linalg.norm(vector))
        return found


def template(faces: DlibFaces, references: list[tuple[str, bytes]]) -> npt.NDArray[np.float64]:
    """The normalised mean of the references' descriptors; each reference must show one face."""
    vectors = []
    for name, data in references:
        found = faces.embeddings(data)
        if len(found) != 1:
            raise ValueError(f"reference photo {name} shows {len(found)} faces, not 1")
        vectors.append(found[0])
    mean = np.mean(vectors, axis=0)
    return np.asarray(mean / np.linalg.norm(mean))


def label(photo: Photo) -> str:
    who = "person" if photo.shows_person else "no face" if not photo.other_faces else "others"
    return f"{who} +{photo.other_faces}" if photo.shows_person and photo.other_faces else who


def measure(faces: DlibFaces, photos: list[Photo], mean: npt.NDArray[np.float64]) -> list[Measured]:
    return [
        Measured(
            photo.name,
            label(photo),
            int(photo.shows_person) + photo.other_faces,
            sorted((float(v @ mean) for v in faces.embeddings(photo.data)), reverse=True),
        )
        for photo in photos
    ]


def problems(measured: list[Measured], photos: list[Photo]) -> list[str]:
    """Each photo that misses its target, in words; [] when the demo's photos are all fine."""
    found: list[str] = []
    for m, photo in zip(measured, photos, strict=True):
        if m.faces != m.expected_faces:
            found.append(f"{m.name}: {m.faces} faces, its label says {m.expected_faces}")
        strangers = m.similarities[1:] if photo.shows_person else m.similarities
        if photo.shows_person and (not m.similarities or m.similarities[0] < PERSON_MIN):
            found.append(f"{m.name}: the person's face is not found at >= {PERSON_MIN}")
        if any(s >= STRANGER_MAX for s in strangers):
            found.append(f"{m.name}: another face reaches {max(strangers):.3f} (>= {STRANGER_MAX})")
    return found


def main() -> int:
    started = time.perf_counter()
    references, photos = reference_photos(), public_photos()
    built = time.perf_counter() - started
    faces = DlibFaces()
    mean = template(faces, references)
    print(f"built {len(references)} reference and {len(photos)} public photos in {built:.2f} s")
    for name, data in references:
        print(f"  reference {name:20} similarity to the template {faces.embeddings(data)[0] @ mean:.3f}")
    started = time.perf_counter()
    measured = measure(faces, photos, mean)
    print(f"{'photo':22} {'label':11} faces  best   others")
    for m, photo in zip(measured, photos, strict=True):
        best = f"{m.similarities[0]:.3f}" if m.similarities else "  -  "
        rest = m.similarities[1:] if photo.shows_person else m.similarities
        width, height = Image.open(io.BytesIO(photo.data)).size
        print(f"  {m.name:20} {m.label:11} {m.faces}/{m.expected_faces}   {best}  "
              f"{[round(s, 3) for s in rest]}  ({width}x{height})")
    person = [m.similarities[0] for m, p in zip(measured, photos, strict=True) if p.shows_person and m.similarities]
    strangers = [s for m, p in zip(measured, photos, strict=True)
                 for s in (m.similarities[1:] if p.shows_person else m.similarities)]
    print(f"dlib over {len(photos)} photos in {time.perf_counter() - started:.1f} s")
    print(f"lowest person similarity  {min(person):.3f} (target >= {PERSON_MIN}, margin {min(person) - PERSON_MIN:+.3f})")
    print(f"highest other similarity  {max(strangers):.3f} (target <  {STRANGER_MAX}, margin {STRANGER_MAX - max(strangers):+.3f})")
    trouble = problems(measured, photos)
    for line in trouble:
        print("PROBLEM", line)
    return 1 if trouble else 0


if __name__ == "__main__":
    sys.exit(main())
