"""Time and peak memory of decoding hostile images, and ordinary ones at the limits.

    .venv/bin/python benchmarks/hostile_images.py [NAME-FRAGMENT ...]

Each file is decoded in a child process of its own as faces.find_faces decodes it (the first
frame, then, for an animation, a sample of frames while the first stays held); the child's
peak resident memory (VmHWM, Linux) is printed with the seconds and the outcome. Target: every
line under 600 MB. The hostile files are built from their headers (tests/test_hostile_images.py);
the ordinary ones with Pillow, which takes a few seconds for the large ones.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

# The hostile files are built by the tests that refuse them, beside the child-process measure.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.test_hostile_images import (
    PEAK_LIMIT,
    animated_gif,
    animated_webp,
    measure,
    png_of_zeros,
    png_with_exif_orientation,
)


def _encoded(size: tuple[int, int], fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (90, 120, 30)).save(out, fmt, **options)
    return out.getvalue()


def _gif_frames(count: int, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    pictures = [Image.new("L", size, i % 256) for i in range(count)]
    pictures[0].save(out, "GIF", save_all=True, append_images=pictures[1:], duration=20)
    return out.getvalue()


def cases() -> Iterator[tuple[str, bytes]]:
    yield "hostile: PNG 1 × 49,000,000 grey (the red team's)", png_of_zeros(1, 49_000_000)
    yield "hostile: PNG 49,000,000 × 1 grey", png_of_zeros(49_000_000, 1)
    yield "hostile: WebP 7000² canvas, 8 frames", animated_webp(7000, 7000, 8)
    yield "hostile: GIF 7000² screen, 8 tiny frames", animated_gif(7000, 7000, 8)
    yield "hostile: APNG 7000², 5 whole frames", png_of_zeros(7000, 7000, colour=2, frames=5)
    yield "hostile: GIF of 100,000 frames of 2 × 2", _gif_frames(100_000, (2, 2))
    yield "limit: WebP 5000², 8 frames (25 Mpx)", animated_webp(5000, 5000, 8)
    yield "limit: APNG 4000², 5 frames (16 Mpx)", png_of_zeros(4000, 4000, colour=2, frames=5)
    yield "limit: GIF 4000² screen, 8 frames (16 Mpx)", animated_gif(4000, 4000, 8)
    yield "limit: PNG RGB 7000²", png_of_zeros(7000, 7000, colour=2)
    yield "limit: PNG RGBA 7000²", png_of_zeros(7000, 7000, colour=6)
    yield "limit: PNG 16-bit grey 7000²", png_of_zeros(7000, 7000, depth=16)
    yield "limit: PNG 7000×6000 turned by EXIF", png_with_exif_orientation(7000, 6000, 6)
    yield "limit: PNG 20,000 × 2,500", png_of_zeros(20_000, 2_500, colour=2)
    yield "limit: JPEG 7000²", _encoded((7000, 7000), "JPEG", quality=80)
    yield "limit: GIF 7000² still", _encoded((7000, 7000), "GIF")
    yield "limit: WebP 5000² still", _encoded((5000, 5000), "WEBP", quality=50, method=0)
    yield "limit: AVIF 4000 × 3000 (12 Mpx)", _encoded((4000, 3000), "AVIF", speed=10)
    try:
        import pillow_heif  # noqa: F401 (registers HEIF with Pillow)

        yield "limit: HEIC 4000 × 3000 (12 Mpx)", _encoded((4000, 3000), "HEIF", quality=50)
    except ImportError:
        pass


def main(argv: list[str]) -> int:
    print(f"{'file':<48} {'size':>9} {'seconds':>8} {'peak MB':>8}  outcome")
    over = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in cases():
            if argv and not any(part in name for part in argv):
                continue
            began = time.perf_counter()
            report = measure(data, Path(tmp), timeout=300)
            peak = int(str(report["peak"]))
            over += peak >= PEAK_LIMIT
            print(f"{name:<48} {len(data) / 1024:>7.0f} kB {float(str(report['seconds'])):>8.2f} "
                  f"{peak / 2**20:>8.0f}  {report['outcome']}  (built and run in "
                  f"{time.perf_counter() - began:.1f} s)", flush=True)
    print(f"{over} over {PEAK_LIMIT // 2**20} MB")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
