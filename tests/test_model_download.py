"""The insightface pack download: through the network choke point, checked, unpacked safely, used.

github.com and its release-file host are a local TLS fixture server (mapped names, no DNS), so
no test can reach the internet; the pack is a zip of tiny generated models with the real ones'
inputs and outputs, pinned in the pack table by its own SHA-256.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import ipaddress
import json
import socket
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("insightface")
onnx_models = pytest.importorskip("onnx_models")  # tests/onnx_models.py; needs onnx

from faceaudit.compare.engines import insightface_download  # noqa: E402
from faceaudit.compare.engines.insightface_download import (  # noqa: E402
    MANIFEST,
    ModelPack,
    PackDownload,
    unpack,
)
from faceaudit.compare.engines.insightface_engine import InsightFaceEngine  # noqa: E402
from faceaudit.crawl.net import NetClient, NetworkPolicy, parse_resolve  # noqa: E402
from faceaudit.demo.server import FixtureServer, Reply, Request  # noqa: E402
from faceaudit.errors import EngineUnavailable, ExitCode, NetworkError, OutOfScope  # noqa: E402

RELEASE_PATH = "/deepinsight/insightface/releases/download/v0.7/buffalo_l.zip"
RELEASE_URL = "https://github.com" + RELEASE_PATH
ASSET_HOST = "objects.githubusercontent.com"
ASSET_URL = f"https://{ASSET_HOST}/github-production-release-asset/buffalo_l.zip?sig=abc"
HOSTS = ("github.com", ASSET_HOST)


# --- the fixture server -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any name lookup fails the test: every host is mapped to the fixture server."""
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            ipaddress.ip_address(str(host).strip("[]"))
        except ValueError:
            raise AssertionError(f"DNS lookup for {host!r}") from None
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


Routes = dict[tuple[str, str], Reply]


@pytest.fixture(scope="module")
def fixture_server() -> Iterator[tuple[FixtureServer, Routes]]:
    routes: Routes = {}

    def handle(request: Request) -> Reply:
        return routes.get((request.host, request.path), Reply(404, b"Not Found", "text/plain"))

    with FixtureServer(dict.fromkeys(HOSTS, handle)) as server:
        yield server, routes


@pytest.fixture
def server(fixture_server: tuple[FixtureServer, Routes]) -> Iterator[FixtureServer]:
    served, routes = fixture_server
    routes.clear()
    served.log.clear()
    yield served


@pytest.fixture
def routes(fixture_server: tuple[FixtureServer, Routes], server: FixtureServer) -> Routes:
    return fixture_server[1]


def client(server: FixtureServer, **policy: Any) -> NetClient:
    assert server.certificate is not None
    options: dict[str, Any] = {
        "resolve": parse_resolve(server.resolve_args()), "allow_dns": False,
        "ca_cert": server.certificate.cert_pem, "min_interval": 0.0, "backoff": 0.01, **policy,
    }
    return NetClient(NetworkPolicy(**options), sleep=lambda seconds: None)


def serve_release(routes: Routes, body: bytes, **reply: Any) -> None:
    """As GitHub does: the release URL redirects to a signed URL on another host."""
    routes[("github.com", RELEASE_PATH)] = Reply(302, b"", "text/html", {"Location": ASSET_URL})
    routes[(ASSET_HOST, "/github-production-release-asset/buffalo_l.zip")] = Reply(
        reply.pop("status", 200), body, reply.pop("content_type", "application/octet-stream"),
        reply.pop("headers", {}))


def leftovers(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


# --- NetClient.download ---------------------------------------------------------------------------


def test_a_download_follows_the_release_redirect_and_returns_the_sha256(
    server: FixtureServer, routes: Routes, tmp_path: Path
) -> None:
    body = np.random.default_rng(1).bytes(300_000)
    serve_release(routes, body)

    with client(server) as net:
        digest = net.download(RELEASE_URL, tmp_path / "buffalo_l.zip", max_bytes=1_000_000)

    assert digest == hashlib.sha256(body).hexdigest()
    assert (tmp_path / "buffalo_l.zip").read_bytes() == body
    assert leftovers(tmp_path) == ["buffalo_l.zip"]  # no .part file
    assert [host for host, _path in server.log] == ["github.com", ASSET_HOST]


def test_progress_receives_increasing_byte_counts_and_the_announced_size(
    server: FixtureServer, routes: Routes, tmp_path: Path
) -> None:
    body = np.random.default_rng(2).bytes(2_000_000)
    serve_release(routes, body)
    seen: list[tuple[int, int | None]] = []

    with client(server) as net:
        net.download(RELEASE_URL, tmp_path / "pack.zip", max_bytes=3_000_000,
                     progress=lambda done, total: seen.append((done, total)))

    counts = [done for done, _total in seen]
    assert len(counts) > 1
    assert counts == sorted(set(counts)) and counts[-1] == len(body)
    assert {total for _done, total in seen} == {len(body)}


@pytest.mark.parametrize("location, refusal", [
    ("https://127.0.0.1:{port}/buffalo_l.zip", "non-public address 127.0.0.1"),
    ("https://10.0.0.7/buffalo_l.zip", "non-public address 10.0.0.7"),
    ("https://[::ffff:192.168.1.1]/buffalo_l.zip", "non-public address"),
    (f"http://{ASSET_HOST}/buffalo_l.zip", "https only"),
], ids=["loopback", "private", "mapped-ipv6", "plain-http"])
def test_a_redirect_to_a_private_address_or_plain_http_is_refused(
    server: FixtureServer, routes: Routes, tmp_path: Path, location: str, refusal: str
) -> None:
    routes[("github.com", RELEASE_PATH)] = Reply(302, b"", "text/html",
                                                 {"Location": location.format(port=server.port)})

    with client(server) as net, pytest.raises(OutOfScope, match=refusal):
        net.download(RELEASE_URL, tmp_path / "buffalo_l.zip", max_bytes=1_000_000)

    assert leftovers(tmp_path) == []
    assert [host for host, _path in server.log] == ["github.com"]  # the refused hop was not asked


def test_a_body_over_the_cap_is_refused_while_streaming_whatever_its_content_length(
    server: FixtureServer, routes: Routes, tmp_path: Path
) -> None:
    # 5 MB that travel gzip-compressed: Content-Length says well under the cap.
    bits = np.random.default_rng(3).integers(0, 2, 5_000_000, dtype=np.uint8).tobytes()
    body = gzip.compress(bits, compresslevel=5)  # about 6:1
    assert len(body) < 1_000_000
    serve_release(routes, body, headers={"Content-Encoding": "gzip"})
    seen: list[int] = []

    with client(server) as net, pytest.raises(NetworkError, match="too large"):
        net.download(RELEASE_URL, tmp_path / "buffalo_l.zip", max_bytes=1_000_000,
                     progress=lambda done, total: seen.append(done))

    assert seen and seen[-1] <= 1_000_000  # stopped at the cap, not after the whole body
    assert leftovers(tmp_path) == []


def test_a_declared_length_over_the_cap_is_refused_before_the_body(
    server: FixtureServer, routes: Routes, tmp_path: Path
) -> None:
    serve_release(routes, bytes(2_000_000))
    seen: list[int] = []

    with client(server) as net, pytest.raises(NetworkError, match="too large"):
        net.download(RELEASE_URL, tmp_path / "buffalo_l.zip", max_bytes=1_000_000,
                     progress=lambda done, total: seen.append(done))

    assert seen == [] and leftovers(tmp_path) == []


def test_ctrl_c_during_a_download_removes_the_partial_file(
    server: FixtureServer, routes: Routes, tmp_path: Path
) -> None:
    serve_release(routes, bytes(2_000_000))

    def interrupt(done: int, total: int | None) -> None:
        raise KeyboardInterrupt

    with client(server) as net, pytest.raises(KeyboardInterrupt):
        net.download(RELEASE_URL, tmp_path / "buffalo_l.zip", max_bytes=3_000_000, progress=interrupt)

    assert leftovers(tmp_path) == []


def test_a_missing_file_is_an_error_and_leaves_nothing(
    server: FixtureServer, routes: Routes, tmp_path: Path
) -> None:
    with client(server, retries=0) as net, pytest.raises(NetworkError, match="answered 404"):
        net.download(RELEASE_URL, tmp_path / "buffalo_l.zip", max_bytes=1_000_000)

    assert leftovers(tmp_path) == []


# --- the engine: download, check, unpack, use ------------------------------------------------------


def photo() -> np.ndarray:
    """A black photo with one red square, which the tiny detector takes for a face."""
    image = np.zeros((1200, 1600, 3), dtype=np.uint8)
    image[240:320, 400:480] = (255, 0, 0)
    return image


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def pin(monkeypatch: pytest.MonkeyPatch, body: bytes, sha256: str | bool | None = True) -> None:
    """Make the pack table's buffalo_l this zip: its size, and its SHA-256 (or the one given)."""
    digest = hashlib.sha256(body).hexdigest() if sha256 is True else sha256 or None
    monkeypatch.setitem(insightface_download.MODEL_PACKS, "buffalo_l",
                        ModelPack("buffalo_l", RELEASE_URL, len(body), digest))


def publish(routes: Routes, monkeypatch: pytest.MonkeyPatch, body: bytes,
            sha256: str | bool | None = True) -> None:
    """`body` is the buffalo_l release: served as GitHub serves it, and pinned in the pack table."""
    serve_release(routes, body)
    pin(monkeypatch, body, sha256)


class Session:
    """What the user sees: the question, progress, notes; and whether a client was made."""

    def __init__(self, server: FixtureServer, answer: bool = True, **policy: Any) -> None:
        self.server, self.answer, self.policy = server, answer, policy
        self.asked: list[tuple[str, int | None]] = []
        self.progress: list[tuple[int, int | None]] = []
        self.notes: list[str] = []
        self.clients = 0

    def confirm(self, pack: str, size: int | None) -> bool:
        self.asked.append((pack, size))
        return self.answer

    def network(self) -> NetClient:
        self.clients += 1
        return client(self.server, **self.policy)

    @contextmanager
    def show(self, label: str, expected: int) -> Iterator[Callable[[int, int | None], None]]:
        yield lambda done, total: self.progress.append((done, total))

    def download(self) -> PackDownload:
        return PackDownload(self.confirm, self.network, progress=self.show, note=self.notes.append)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "insightface"


def engine(root: Path, session: Session) -> InsightFaceEngine:
    return InsightFaceEngine(root=root, download=session.download())


def test_an_agreed_download_is_checked_unpacked_and_used(
    server: FixtureServer, routes: Routes, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = onnx_models.pack_zip()
    publish(routes, monkeypatch, body)
    session = Session(server)

    faces = engine(root, session).detect(photo())

    assert len(faces) == 1
    assert session.asked == [("buffalo_l", len(body))]
    folder = root / "models" / "buffalo_l"
    assert leftovers(root / "models") == sorted(
        ["buffalo_l", *(f"buffalo_l/{name}" for name in (*onnx_models.PACK, MANIFEST))])
    record = json.loads((folder / MANIFEST).read_text())
    assert record["zip_sha256"] == hashlib.sha256(body).hexdigest()
    assert record["zip_checked"] == "pinned" and record["url"] == RELEASE_URL
    assert record["files"]["w600k_r50.onnx"] == hashlib.sha256(
        (folder / "w600k_r50.onnx").read_bytes()).hexdigest()
    assert [note for note in session.notes if "matches the published value" in note]
    assert session.progress[-1] == (len(body), len(body))


def test_a_second_load_does_not_download_again(
    server: FixtureServer, routes: Routes, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = onnx_models.pack_zip()
    publish(routes, monkeypatch, body)
    engine(root, Session(server)).load()
    requests = len(server.log)

    later = Session(server)
    assert len(engine(root, later).detect(photo())) == 1

    assert later.asked == [] and later.clients == 0
    assert len(server.log) == requests


def test_a_wrong_checksum_is_refused_and_leaves_nothing(
    server: FixtureServer, routes: Routes, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = onnx_models.pack_zip()
    publish(routes, monkeypatch, body, sha256="0" * 64)

    with pytest.raises(EngineUnavailable) as caught:
        engine(root, Session(server)).detect(photo())

    assert "is not the published file" in caught.value.message
    assert hashlib.sha256(body).hexdigest() in caught.value.message
    assert "nothing was kept" in caught.value.hint and "--model-dir PATH" in caught.value.hint
    assert caught.value.exit_code == ExitCode.ENGINE
    assert leftovers(root / "models") == []


def test_a_redirect_to_a_private_address_is_refused_by_the_engine_too(
    server: FixtureServer, routes: Routes, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes[("github.com", RELEASE_PATH)] = Reply(302, b"", "text/html",
                                                 {"Location": "https://192.168.0.10/buffalo_l.zip"})
    pin(monkeypatch, onnx_models.pack_zip())

    with pytest.raises(EngineUnavailable) as caught:
        engine(root, Session(server)).load()

    assert caught.value.message.startswith("downloading insightface pack buffalo_l failed: ")
    assert "non-public address 192.168.0.10" in caught.value.message
    assert leftovers(root / "models") == []


def test_a_connection_failure_says_what_happened_and_how_to_go_on_offline(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pin(monkeypatch, onnx_models.pack_zip())
    offline = PackDownload(lambda pack, size: True, network=lambda: NetClient(
        NetworkPolicy(resolve={"github.com": ("127.0.0.1", port)}, allow_dns=False,
                      min_interval=0, retries=1, backoff=0.01), sleep=lambda seconds: None))

    with pytest.raises(EngineUnavailable) as caught:
        InsightFaceEngine(root=root, download=offline).load()

    error = caught.value
    assert error.message.startswith("downloading insightface pack buffalo_l failed: "
                                    "github.com refused the connection (2 attempts)")
    assert "\n" not in error.message
    assert error.hint.startswith("check your connection")
    assert "--model-dir PATH" in error.hint and "--engine sface" in error.hint
    assert error.exit_code == ExitCode.ENGINE
    assert leftovers(root / "models") == []


def test_ctrl_c_during_the_download_leaves_no_partial_pack(
    server: FixtureServer, routes: Routes, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = onnx_models.pack_zip()
    publish(routes, monkeypatch, body)
    session = Session(server)

    @contextmanager
    def interrupted(label: str, expected: int) -> Iterator[Callable[[int, int | None], None]]:
        def progress(done: int, total: int | None) -> None:
            raise KeyboardInterrupt

        yield progress

    download = PackDownload(session.confirm, session.network, progress=interrupted)
    with pytest.raises(KeyboardInterrupt):
        InsightFaceEngine(root=root, download=download).load()

    assert leftovers(root / "models") == []


@pytest.mark.parametrize("member", ["../evil.onnx", "/tmp/evil.onnx", "models/../../evil.onnx",
                                    "C:/evil.onnx", "..\\evil.onnx"])
def test_a_zip_with_unsafe_paths_is_refused_and_nothing_is_written(
    server: FixtureServer, routes: Routes, root: Path, monkeypatch: pytest.MonkeyPatch, member: str
) -> None:
    body = zip_of({**{name: factory().SerializeToString() for name, factory in onnx_models.PACK.items()},
                   member: b"not a model"})
    publish(routes, monkeypatch, body)

    with pytest.raises(EngineUnavailable, match="unsafe path"):
        engine(root, Session(server)).load()

    assert leftovers(root / "models") == []
    assert not list(root.parent.rglob("evil.onnx"))


def test_a_zip_without_a_recogniser_is_refused_and_the_old_folder_is_kept(
    server: FixtureServer, routes: Routes, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = onnx_models.pack_zip((onnx_models.DETECTOR_FILE, onnx_models.LANDMARK_FILE))
    publish(routes, monkeypatch, body)
    folder = onnx_models.write_pack(root / "models" / "buffalo_l", (onnx_models.DETECTOR_FILE,))

    with pytest.raises(EngineUnavailable, match="the downloaded insightface pack buffalo_l has no recognition model"):
        engine(root, Session(server)).load()

    assert leftovers(root / "models") == ["buffalo_l", "buffalo_l/det_10g.onnx"]
    assert folder.is_dir()


def test_a_half_unpacked_pack_is_replaced_by_a_complete_one(
    server: FixtureServer, routes: Routes, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = onnx_models.pack_zip()
    publish(routes, monkeypatch, body)
    onnx_models.write_pack(root / "models" / "buffalo_l", (onnx_models.DETECTOR_FILE,))

    assert len(engine(root, Session(server)).detect(photo())) == 1
    assert (root / "models" / "buffalo_l" / "w600k_r50.onnx").is_file()
    assert sorted(path.name for path in (root / "models").iterdir()) == ["buffalo_l"]


def test_only_onnx_files_are_taken_from_the_zip(
    server: FixtureServer, routes: Routes, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = {name: factory().SerializeToString() for name, factory in onnx_models.PACK.items()}
    body = zip_of({**{f"buffalo_l/{name}": data for name, data in models.items()},
                   "buffalo_l/run.sh": b"#!/bin/sh", "__MACOSX/buffalo_l/._det_10g.onnx": b"fork"})
    publish(routes, monkeypatch, body)

    engine(root, Session(server)).load()

    assert sorted(path.name for path in (root / "models" / "buffalo_l").iterdir()) == sorted(
        [*models, MANIFEST])


def test_unpacking_stops_at_the_size_cap(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("det_10g.onnx", bytes(5_000_000))  # 5 MB of zeros in a few KB
    archive.write_bytes(buffer.getvalue())

    with pytest.raises(EngineUnavailable, match="unpacks to more than 1 MB"):
        unpack(archive, tmp_path / "pack", max_bytes=1_000_000)


def test_without_a_pinned_checksum_the_first_download_is_trusted_recorded_and_shown(
    server: FixtureServer, routes: Routes, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = onnx_models.pack_zip()
    publish(routes, monkeypatch, body, sha256=None)
    session = Session(server)

    engine(root, session).load()

    digest = hashlib.sha256(body).hexdigest()
    record = json.loads((root / "models" / "buffalo_l" / MANIFEST).read_text())
    assert record["zip_checked"] == "first use" and record["zip_sha256"] == digest
    [note] = session.notes
    assert digest in note and "no published value is pinned" in note and MANIFEST in note


def tampered_recogniser() -> bytes:
    """Still a recogniser to insightface, but not the bytes that were downloaded."""
    model = onnx_models.arcface_recogniser()
    model.doc_string = "swapped"
    return model.SerializeToString()


@pytest.mark.parametrize("change, problem", [
    (lambda folder: (folder / "w600k_r50.onnx").write_bytes(tampered_recogniser()),
     "w600k_r50.onnx has changed"),
    (lambda folder: (folder / "0_det.onnx").write_bytes((folder / "det_10g.onnx").read_bytes()),
     "0_det.onnx was added"),  # insightface would pick it as the detector: first by name
    (lambda folder: (folder / "genderage.onnx").unlink(), "genderage.onnx is missing"),
], ids=["changed", "added", "removed"])
def test_a_model_changed_after_the_download_is_refused_on_the_next_load(
    server: FixtureServer, routes: Routes, root: Path, monkeypatch: pytest.MonkeyPatch,
    change: Callable[[Path], Any], problem: str,
) -> None:
    body = onnx_models.pack_zip()
    publish(routes, monkeypatch, body)
    engine(root, Session(server)).load()
    change(root / "models" / "buffalo_l")

    later = Session(server)
    with pytest.raises(EngineUnavailable) as caught:
        engine(root, later).load()

    assert "changed since it was downloaded" in caught.value.message
    assert problem in caught.value.message
    assert "delete that folder" in caught.value.hint
    assert later.asked == [] and later.clients == 0


def test_the_cli_downloads_with_the_default_network_policy() -> None:
    from faceaudit import cli
    from tests.support import environment

    download = cli._pack_download(environment())

    assert isinstance(download, PackDownload)
    with download.network() as net:
        assert net.policy == NetworkPolicy()


def test_the_pinned_pack_table_names_each_pack_with_a_url_size_and_sha256() -> None:
    packs = insightface_download.load_packs()

    assert sorted(packs) == ["buffalo_l", "buffalo_s", "buffalo_sc"]
    for name, pack in packs.items():
        assert pack.url == f"https://github.com/deepinsight/insightface/releases/download/v0.7/{name}.zip"
        assert pack.size > 1_000_000
        assert pack.sha256 is not None and len(pack.sha256) == 64
