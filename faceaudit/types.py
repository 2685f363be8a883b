"""Data passed between the stages: crawl yields candidates, compare yields faces, report reads findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np
import numpy.typing as npt

Embedding = npt.NDArray[np.float32]


class ImageKind(str, Enum):
    AVATAR = "avatar"
    BANNER = "banner"  # a header image across the top of a profile (Mastodon, Bluesky, YouTube, X)
    COVER = "cover"  # Facebook's and LinkedIn's cover photo
    VIDEO_THUMBNAIL = "video_thumbnail"  # the still a platform shows for a video
    POST = "post"
    PAGE_IMAGE = "page_image"  # an <img>, <picture> or CSS background on a page
    SHARE_IMAGE = "share_image"  # og:image / twitter:image / JSON-LD image


class StopReason(str, Enum):
    """Why an adapter stopped: itself a finding ("12 photos, then a login wall")."""

    END = "end"  # saw everything the account shows logged out
    CAP = "cap"  # our own limit (pages, scrolls, images) was reached
    LOGIN_WALL = "login_wall"
    RATE_LIMITED = "rate_limited"
    BLOCKED = "blocked"  # 401/403/999, a challenge page, API disabled for guests
    NOT_FOUND = "not_found"
    PRIVATE = "private"  # the account exists but shows its posts only to approved followers
    ERROR = "error"  # network failure or unexpected response
    NOT_SCANNED = "not_scanned"  # the scan ended before reaching this account


@dataclass(frozen=True)
class ImageCandidate:
    """One image an account shows a logged-out visitor, before it is fetched."""

    url: str
    page_url: str
    kind: ImageKind
    found_by: str  # e.g. "og:image", "img", "mastodon:media", "css:background"
    alt: str = ""
    caption: str = ""
    posted_at: str = ""  # ISO 8601 when the platform says when it was posted; "" when unknown


@dataclass
class CrawlResult:
    """What an adapter reports when it finishes one account."""

    stop: StopReason = StopReason.END
    detail: str = ""  # one line a person can read: "401: API requires login"
    pages_visited: int = 0
    indexable: bool | None = None  # None: unknown; False: noindex / X-Robots-Tag seen
    notes: list[str] = field(default_factory=list)  # platform facts worth reporting, as sentences
    # Machine-readable account facts that drive advice, e.g. {"is_private": True},
    # {"noindex": False}, {"no_unauthenticated": True}. Values are JSON scalars.
    facts: dict[str, bool | int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class FetchedImage:
    candidate: ImageCandidate
    data: bytes
    content_type: str
    final_url: str
    robots: str = ""  # X-Robots-Tag header on the image response, if any


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def as_list(self) -> list[int]:
        return [self.left, self.top, self.right, self.bottom]


@dataclass
class DetectedFace:
    """One face found by an engine. The embedding never reaches disk unless the face is the user's."""

    box: Box
    landmarks: npt.NDArray[np.float32]  # shape (5, 2), image pixel coordinates
    det_score: float
    embedding: Embedding  # L2-normalised, float32
    sharpness: float = 0.0  # variance of the Laplacian on the face crop


class Verdict(str, Enum):
    YOU = "you"
    MAYBE = "maybe"
    OTHER = "other"


@dataclass(frozen=True)
class ImageMetadata:
    """What an image file itself leaks, read from EXIF."""

    gps: tuple[float, float] | None = None
    taken_at: str | None = None
    camera: str | None = None
    camera_serial: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "gps": list(self.gps) if self.gps else None,
            "taken_at": self.taken_at,
            "camera": self.camera,
            "camera_serial": self.camera_serial,
        }
