"""Data passed between the stages: crawl yields candidates, compare yields faces, report reads findings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Embedding = npt.NDArray[np.float32]


def __getattr__(name: str) -> Any:
    """`Embedding`, built on first use: importing numpy costs about 0.15 s, and the commands
    that only read the workspace (`--help`, `report`, `accounts`) never hold an embedding."""
    if name == "Embedding":
        import numpy as np
        import numpy.typing as npt

        return npt.NDArray[np.float32]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class TextEnum(str, Enum):
    """A str enum that prints as its value on every Python (3.11 changed how f-strings show
    str-mixin enums): a value written into a sentence or a file reads "avatar", never
    "ImageKind.AVATAR"."""

    def __str__(self) -> str:
        return str(self.value)


class ImageKind(TextEnum):
    AVATAR = "avatar"
    BANNER = "banner"  # a header image across the top of a profile (Mastodon, Bluesky, YouTube, X)
    COVER = "cover"  # Facebook's and LinkedIn's cover photo
    VIDEO_THUMBNAIL = "video_thumbnail"  # the still a platform shows for a video
    POST = "post"
    PAGE_IMAGE = "page_image"  # an <img>, <picture> or CSS background on a page
    SHARE_IMAGE = "share_image"  # og:image / twitter:image / JSON-LD image


class StopReason(TextEnum):
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
    # The pages (and API pages) read, in order, where an adapter records them: the report lists
    # them so the user sees how far the crawl went. Capped by the adapter's own page cap.
    visited: list[str] = field(default_factory=list)
    indexable: bool | None = None  # None: unknown; False: noindex / X-Robots-Tag seen
    notes: list[str] = field(default_factory=list)  # platform facts worth reporting, as sentences
    # Machine-readable account facts that drive advice, e.g. {"is_private": True},
    # {"noindex": False}, {"no_unauthenticated": True}. Values are JSON scalars.
    facts: dict[str, bool | int | str] = field(default_factory=dict)
    cost: CrawlCost | None = None  # what the crawl cost the platform; None: not measured


@dataclass(frozen=True)
class CrawlCost:
    """What one account's crawl cost the platform, as faceaudit's HTTP client counted it: the
    requests it sent (redirect hops and retries included), the bytes it received (bodies as
    decoded, plus headers roughly), and how many images answered 304 Not Modified. Pages a
    browser read (personal websites that need one) are not counted."""

    requests: int = 0
    bytes_received: int = 0
    not_modified: int = 0


@dataclass(frozen=True)
class Validators:
    """What a server said identifies one image's bytes (`ETag`, `Last-Modified`), and the SHA-256
    of those bytes: a re-scan asks "changed since?" and, on 304, reuses the bytes' analysis."""

    sha256: str
    etag: str = ""
    last_modified: str = ""

    def __bool__(self) -> bool:
        return bool(self.etag or self.last_modified)


@dataclass(frozen=True)
class FetchedImage:
    candidate: ImageCandidate
    data: bytes  # empty when `unchanged`
    content_type: str
    final_url: str
    robots: str = ""  # X-Robots-Tag header on the image response, if any
    etag: str = ""
    last_modified: str = ""
    # The server answered 304 Not Modified: no bytes came, they are the ones with this SHA-256.
    unchanged_sha256: str | None = None

    @property
    def sha256(self) -> str:
        """The bytes' SHA-256, whether they arrived now or are known unchanged."""
        return self.unchanged_sha256 or hashlib.sha256(self.data).hexdigest()


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


class Verdict(TextEnum):
    YOU = "you"
    MAYBE = "maybe"
    OTHER = "other"


class ImageStatus(TextEnum):
    """What became of one image a crawl found."""

    ANALYSED = "analysed"  # decoded and searched for faces
    FAILED = "failed"  # could not be fetched or decoded: `error` says why
    DUPLICATE = "duplicate"  # the same bytes were already analysed for this account in this scan


@dataclass(frozen=True)
class ImageMetadata:
    """What an image file itself leaks, read from EXIF."""

    gps: tuple[float, float] | None = None
    taken_at: str | None = None
    camera: str | None = None
    camera_serial: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """As stored and as the JSON report shows it (`gps` as a list, None where unknown)."""
        return {
            "gps": list(self.gps) if self.gps else None,
            "taken_at": self.taken_at,
            "camera": self.camera,
            "camera_serial": self.camera_serial,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImageMetadata:
        """The inverse of `as_dict`; unknown keys are ignored, missing ones are None."""
        gps = data.get("gps")
        return cls(
            gps=(float(gps[0]), float(gps[1])) if gps else None,
            taken_at=data.get("taken_at"),
            camera=data.get("camera"),
            camera_serial=data.get("camera_serial"),
        )

    @property
    def has_gps(self) -> bool:
        return self.gps is not None

    @property
    def has_other(self) -> bool:
        """The file gives away when, or with which camera, it was taken."""
        return any((self.taken_at, self.camera, self.camera_serial))


@dataclass(frozen=True)
class Finding:
    """One face of the user's in one image: what the compare stage hands the scan to store.

    Other people's faces never become a Finding: they leave the compare stage as a count."""

    verdict: Verdict  # YOU or MAYBE, never OTHER
    similarity: float
    box: Box  # in the photo as displayed
    face_px: int  # height of the face box in the analysed pixels
    det_score: float
    recognisability: int  # 0-100 (compare/recognisability.py)
    thumbnail: bytes | None = None  # JPEG of the face; only for a confident "you"


@dataclass
class Analysis:
    """What the scan stores about one image: no embedding, no pixels of anyone but the user."""

    status: ImageStatus
    error: str | None = None
    faces: int = 0
    other_faces: int = 0
    metadata: ImageMetadata = field(default_factory=ImageMetadata)
    findings: list[Finding] = field(default_factory=list)  # the user's faces only

    @property
    def yours(self) -> int:
        return sum(1 for f in self.findings if f.verdict is Verdict.YOU)


@dataclass(frozen=True)
class ImageRecord:
    """One image of one account in one scan, as the workspace records it."""

    candidate: ImageCandidate
    sha256: str | None  # None when the bytes never arrived
    analysis: Analysis
    etag: str = ""  # the server's validators for the bytes, asked about on the next scan
    last_modified: str = ""


@dataclass(frozen=True)
class ReferenceFace:
    """One enrolled face of the user's: sealed at rest (vault.py), in memory only while used."""

    photo_name: str
    photo_sha256: str
    embedding: Embedding
    det_score: float
    face_px: int
    frontal: float = 1.0  # 1 = looking at the camera (compare/recognisability.py)


@dataclass(frozen=True)
class Template:
    """The user's enrolled faces and the engine (with its settings) that made them."""

    engine: str
    engine_info: dict[str, Any]
    created_at: str
    faces: list[ReferenceFace]
