"""Each engine's similarity cut-offs, read from `faceaudit/data/thresholds.json`.

Data at the bottom of the house: the compare stage matches with them, the scan records the
ones it used, and the report reads them back without importing the compare stage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Thresholds:
    """Cosine similarity cut-offs on normalised embeddings: >= you is you, >= maybe is maybe."""

    you: float
    maybe: float


def load_thresholds(engine: str) -> Thresholds:
    data = json.loads(resources.files("faceaudit.data").joinpath("thresholds.json").read_text())
    entry = data[engine]
    return Thresholds(you=float(entry["you"]), maybe=float(entry["maybe"]))
