"""The small-face pass's geometry, shared by the engines: a large photo shrunk, then cut into tiles.

A detector that looks at a whole large photo at once shrinks it, and small faces shrink below
what it can find. The small-face pass looks again at the photo shrunk less (at most `max_side`),
in overlapping tiles of at most `side`: a face up to `overlap` pixels lies whole in one tile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from faceaudit.compare.engines.base import RGBImage

Tile = tuple[int, int, int, int]  # left, top, right, bottom in the scanned copy


@dataclass(frozen=True)
class Plan:
    scale: float  # the scanned copy's size over the photo's
    size: tuple[int, int]  # the scanned copy's width and height, as `resize` makes it
    tiles: list[Tile]

    def describe(self) -> str:
        """In words, for FaceSearch.tried: "small faces (3000x2000, 4 tiles)"."""
        width, height = self.size
        count = len(self.tiles)
        return f"small faces ({width}x{height}, {count} tile{'s' if count > 1 else ''})"


def plan(image: RGBImage, *, first_pass_side: int, max_side: int, side: int, overlap: int) -> Plan | None:
    """The small-face pass over `image`, or None when the first pass (on a copy of at most
    `first_pass_side`) already saw every pixel."""
    height, width = image.shape[:2]
    if max(height, width) <= first_pass_side:
        return None
    scale = min(1.0, max_side / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return Plan(scale, size, tiles(*size, side=side, overlap=overlap))


def tiles(width: int, height: int, *, side: int, overlap: int) -> list[Tile]:
    """Tiles of at most `side` covering width x height, overlapping by `overlap` or more."""
    return [(left, top, right, bottom)
            for top, bottom in _spans(height, side, overlap)
            for left, right in _spans(width, side, overlap)]


def _spans(size: int, side: int, overlap: int) -> list[tuple[int, int]]:
    if size <= side:
        return [(0, size)]
    count = math.ceil((size - overlap) / (side - overlap))
    span = math.ceil((size + (count - 1) * overlap) / count)  # equal tiles, <= side
    starts = [round(i * (size - span) / (count - 1)) for i in range(count)]
    return [(start, start + span) for start in starts]


def resize(image: RGBImage, scale: float) -> RGBImage:
    from PIL import Image

    pil = Image.fromarray(np.ascontiguousarray(image))
    size = (max(1, round(pil.width * scale)), max(1, round(pil.height * scale)))
    return np.asarray(pil.resize(size, Image.Resampling.BILINEAR), dtype=np.uint8)
