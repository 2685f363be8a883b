"""Print, for every demo photo, the faces the dlib engine finds and their similarity to the
demo person's reference photos: the margins behind the demo's expected results.

    .venv/bin/python benchmarks/demo_photos.py
"""

from __future__ import annotations

import time

import numpy as np

from faceaudit.compare.engines.dlib_engine import DlibEngine
from faceaudit.compare.imageio import decode
from faceaudit.demo.photos import public_photos, reference_photos


def main() -> None:
    engine = DlibEngine()
    started = time.perf_counter()
    refs, photos = reference_photos(), public_photos()
    print(f"built {len(refs)} reference and {len(photos)} public photos in {time.perf_counter() - started:.2f} s")
    template = np.array([engine.detect(decode(data, source=name).rgb)[0].embedding for name, data in refs])
    t = engine.thresholds
    person_low, other_high = 1.0, 0.0
    for photo in photos:
        faces = engine.detect(decode(photo.data, source=photo.name).rgb)
        sims = sorted((float((template @ f.embedding).max()) for f in faces), reverse=True)
        if photo.shows_person:
            person_low = min(person_low, sims[0])
            other_high = max([other_high, *sims[1:]])
        else:
            other_high = max([other_high, *sims])
        label = "person" if photo.shows_person else ("others" if photo.other_people else "no face")
        print(f"{photo.name:18} {label:8} faces {len(faces)}  similarities {[round(s, 3) for s in sims]}")
    print(f"lowest person similarity {person_low:.3f} (you >= {t.you}); "
          f"highest stranger similarity {other_high:.3f} (maybe >= {t.maybe})")


if __name__ == "__main__":
    main()
