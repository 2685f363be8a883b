"""A large fixture account for the speed benchmarks: a Mastodon account with N photos, served
through the public API imitation below with a realistic delay on every request.

Its photos are made from faceaudit/demo/photos.py: the demo person, other people and pictures
without faces, each re-encoded at several sizes and qualities so the bytes differ. Of every 20
posts, 14 are distinct pictures (8 with faces, 6 without), 3 repeat earlier bytes under a new
URL (duplicates), and 3 show an earlier picture through Mastodon's `small/` preview URL (size
variants, collapsed to `original/` by the Mastodon adapter's `canonical`). Deterministic.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from faceaudit import consent
from faceaudit.compare.engines.dlib_engine import DlibEngine
from faceaudit.compare.reference import ReferencePhoto, build_template
from faceaudit.crawl.net import NetworkPolicy
from faceaudit.demo.photos import public_photos, reference_photos
from faceaudit.demo.server import FixtureServer, Reply, Request
from faceaudit.types import ReferenceFace
from faceaudit.workspace import Workspace

HOST = "social.example"
ACCOUNT_URL = f"https://{HOST}/@alex"
ACCOUNT_ID = "109000000000000001"
PAGE = 40  # statuses per API page, as Mastodon's own limit
MEDIA = "/system/media_attachments/files/110/000/000"


@dataclass
class FixtureAccount:
    files: dict[str, bytes]  # URL path -> bytes served
    posts: list[str]  # URL paths of the posts' images, newest first
    distinct: int  # pictures a scan must analyse (after duplicates and size variants)
    latency: tuple[float, float]  # seconds added to every request, uniformly in this range

    def handler(self, request: Request) -> Reply:
        time.sleep(random.uniform(*self.latency))
        if request.path == "/api/v1/accounts/lookup":
            body = {"id": ACCOUNT_ID, "username": "alex", "acct": "alex", "url": ACCOUNT_URL,
                    "avatar": f"https://{HOST}/avatars/missing.png", "header": f"https://{HOST}/headers/missing.png"}
            return Reply(200, json.dumps(body).encode(), "application/json")
        if request.path == f"/api/v1/accounts/{ACCOUNT_ID}/statuses":
            start = int(request.arg("max_id", "0") or 0)
            page = self.posts[start:start + PAGE]
            statuses = [{"id": str(start + i), "url": f"{ACCOUNT_URL}/{start + i}", "content": "",
                         "created_at": "2026-06-01T12:00:00.000Z", "reblog": None,
                         "media_attachments": [{"type": "image", "url": f"https://{HOST}{path}"}]}
                        for i, path in enumerate(page)]
            headers = {}
            if start + PAGE < len(self.posts):
                headers["Link"] = (f'<https://{HOST}/api/v1/accounts/{ACCOUNT_ID}/statuses?max_id={start + PAGE}'
                                   f'&only_media=true&limit={PAGE}>; rel="next"')
            return Reply(200, json.dumps(statuses).encode(), "application/json", headers)
        if request.path in self.files:
            return Reply(200, self.files[request.path], "image/jpeg")
        return Reply(404, b"not found", "text/plain")


def build_account(count: int, latency: tuple[float, float] = (0.02, 0.05)) -> FixtureAccount:
    random.seed(7)
    photos = public_photos()
    faces = [p for p in photos if p.shows_person or p.other_faces]
    empty = [p for p in photos if not (p.shows_person or p.other_faces)]
    files: dict[str, bytes] = {}
    posts: list[str] = []
    originals: list[str] = []
    distinct = 0
    for index in range(count):
        slot = index % 20
        if slot < 14 or not originals:
            source = faces[index % len(faces)] if slot < 8 else empty[index % len(empty)]
            image = Image.open(io.BytesIO(source.data)).convert("RGB")
            image = image.crop((index % 7, 0, image.width, image.height))  # no two alike
            # A different size and quality for each round makes different bytes of the same scene.
            scale = 0.75 + 0.5 * ((index // 20) % 7) / 6
            path = f"{MEDIA}/original/{index:05d}-{source.name.rsplit('.', 1)[0]}.jpg"
            files[path] = _jpeg(image.resize((round(image.width * scale), round(image.height * scale))),
                                70 + (index // 20) % 25)
            originals.append(path)
            distinct += 1
        elif slot < 17:  # the same bytes again, under another URL
            earlier = originals[(index * 7) % len(originals)]
            path = earlier.replace("/original/", "/original/copy-").replace(".jpg", f"-{index}.jpg")
            files[path] = files[earlier]
        else:  # a smaller size of an earlier picture, at Mastodon's preview URL
            earlier = originals[(index * 11) % len(originals)]
            preview = Image.open(io.BytesIO(files[earlier]))
            path = earlier.replace("/original/", "/small/")
            files[path] = _jpeg(preview.resize((max(1, preview.width // 2), max(1, preview.height // 2))), 80)
        posts.append(path)
    return FixtureAccount(files, posts, distinct, latency)


def serve(count: int, latency: tuple[float, float], connection: Any) -> None:
    """In a process of its own (a remote server's work is not the scanning machine's): serve the
    account, send (port, certificate path), and stop when the connection says so."""
    with FixtureServer({HOST: build_account(count, latency).handler}) as server:
        assert server.certificate is not None
        connection.send((server.port, str(server.certificate.cert_pem)))
        connection.recv()


@contextlib.contextmanager
def served_account(count: int, latency: tuple[float, float] = (0.02, 0.05)) -> Iterator[NetworkPolicy]:
    """The network policy that reaches the account, served from another process meanwhile."""
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(count, latency, theirs))
    server.start()
    try:
        port, cert = ours.recv()
        yield NetworkPolicy(resolve={HOST: ("127.0.0.1", port)}, allow_dns=False, ca_cert=Path(cert),
                            min_interval=0.0)
    finally:
        ours.send("stop")
        server.join(timeout=10)


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def enrolled_faces() -> tuple[DlibEngine, list[ReferenceFace]]:
    engine = DlibEngine()
    faces = build_template(engine, [ReferencePhoto(n, d) for n, d in reference_photos()]).faces
    return engine, faces


def fresh_workspace(folder: Path, engine: DlibEngine, faces: list[ReferenceFace]) -> Workspace:
    """A workspace with the demo person enrolled and the fixture account listed, and no scan."""
    ws = Workspace.open(folder)
    consent.accept(ws, "benchmark")
    ws.save_template(engine.name, engine.describe(), faces)
    ws.add_account(ACCOUNT_URL, "mastodon")
    return ws
