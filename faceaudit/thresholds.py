"""Each engine's similarity cut-offs, read from `faceaudit/data/thresholds.json`.

Data at the bottom of the house: the compare stage matches with them, the scan records the
ones it used, and the report reads them back without importing the compare stage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Thresholds:
    """Cosine similarity cut-offs on normalised embeddings: >= you is you, >= maybe is maybe."""

    you: float
    maybe: float


def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files("faceaudit.data").joinpath("thresholds.json").read_text())
    return data


def known_engines() -> set[str]:
    """The engines with thresholds (the file also holds notes under other keys)."""
    return {name for name, entry in _data().items() if isinstance(entry, dict) and "you" in entry}


def load_thresholds(engine: str) -> Thresholds:
    entry = _data()[engine]
    return Thresholds(you=float(entry["you"]), maybe=float(entry["maybe"]))
