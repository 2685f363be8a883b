"""Match faces against the user's template: a faiss inner-product index over normalised embeddings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import faiss
import numpy as np
import numpy.typing as npt

from faceaudit.thresholds import Thresholds
from faceaudit.types import Embedding, Verdict


@dataclass(frozen=True)
class Match:
    similarity: float  # cosine similarity to the closest reference face
    verdict: Verdict


class Matcher:
    """Built from the template (the enrolled embeddings) and the engine's thresholds.

    The index is a cache: it is rebuilt from the stored template, never saved itself.
    """

    def __init__(self, template: Sequence[Embedding], thresholds: Thresholds) -> None:
        if not template:
            raise ValueError("an empty template cannot match anything")
        matrix = np.vstack([np.asarray(v, dtype=np.float32).reshape(1, -1) for v in template])
        norms = np.linalg.norm(matrix, axis=1)
        if not np.allclose(norms, 1.0, atol=1e-3):
            raise ValueError("template embeddings must be L2-normalised")
        self.dimension = int(matrix.shape[1])
        self.thresholds = thresholds
        self._index = faiss.IndexFlatIP(self.dimension)
        self._index.add(np.ascontiguousarray(matrix))

    def similarity(self, embeddings: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Best similarity to the template for each row of `embeddings`."""
        queries = np.ascontiguousarray(np.asarray(embeddings, dtype=np.float32).reshape(-1, self.dimension))
        if len(queries) == 0:
            return np.zeros(0, dtype=np.float32)
        scores, _ = self._index.search(queries, 1)
        best: npt.NDArray[np.float32] = scores[:, 0].astype(np.float32)
        return best

    def verdict(self, similarity: float) -> Verdict:
        if similarity >= self.thresholds.you:
            return Verdict.YOU
        if similarity >= self.thresholds.maybe:
            return Verdict.MAYBE
        return Verdict.OTHER

    def match(self, embedding: Embedding) -> Match:
        score = float(self.similarity(embedding.reshape(1, -1))[0])
        return Match(score, self.verdict(score))
