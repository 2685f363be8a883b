"""The insightface engine, run on tiny generated ONNX models with the real packs' signatures.

No test reaches the network: every socket connection is refused and recorded, and
insightface's own downloader is wrapped so a test can tell it was never called. Downloads through
faceaudit's network client are tested against a local server in test_model_download.py.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("insightface")
onnx_models = pytest.importorskip("onnx_models")  # tests/onnx_models.py; needs onnx

from faceaudit.compare.engines import insightface_engine  # noqa: E402
from faceaudit.compare.engines.insightface_engine import (  # noqa: E402
    PACK_SIZES,
    SPINNING,
    InsightFaceEngine,
    PackDownload,
    pack_status,
)
from faceaudit.errors import EngineUnavailable, UsageError  # noqa: E402
from faceaudit.types import Box, DetectedFace  # noqa: E402

RED = (255, 0, 0)
BLUE = (0, 0, 255)


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh home folder, so insightface's default ~/.insightface is empty and private."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


@pytest.fixture(autouse=True)
def network_attempts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every attempt to resolve a host or open a connection, refused as if offline."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args[-2:] if args else kwargs))
        raise OSError("network access is disabled in tests")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


@pytest.fixture(autouse=True)
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """URLs insightface's own downloader was asked for: it must never be (no policy, no checksum)."""
    from insightface.utils import storage

    urls: list[str] = []
    real = storage.download_file

    def recording(url: str, *args: Any, **kwargs: Any) -> Any:
        urls.append(url)
        return real(url, *args, **kwargs)

    monkeypatch.setattr(storage, "download_file", recording)
    return urls


def no_network() -> Any:
    raise AssertionError("no network client may be made here")


def write_pack(root: Path, pack: str = "buffalo_l", files: tuple[str, ...] | None = None) -> Path:
    folder = root / "models" / pack
    return onnx_models.write_pack(folder, files or tuple(onnx_models.PACK))


def engine_with_pack(tmp_path: Path, **options: Any) -> InsightFaceEngine:
    root = tmp_path / "insightface"
    write_pack(root)
    return InsightFaceEngine(root=root, **options)


def photo(width: int = 1600, height: int = 1200, face_at: tuple[int, int] = (400, 240),
          colour: tuple[int, int, int] = RED, side: int = 80) -> np.ndarray:
    """A black RGB photo with one coloured square, which the tiny detector takes for a face
    when it is red and covers one 32x32 cell of the 640x640 detector input."""
    image = np.zeros((height, width, 3), dtype=np.uint8)
    x, y = face_at
    image[y : y + side, x : x + side] = colour
    return image


def with_texture(image: np.ndarray, seed: int) -> np.ndarray:
    """The same photo with a coarse random pattern in green and blue (the detector sees only red)."""
    height, width = image.shape[:2]
    blocks = np.random.default_rng(seed).integers(0, 256, (height // 40, width // 40, 2))
    pattern = np.repeat(np.repeat(blocks, 40, axis=0), 40, axis=1).astype(np.uint8)
    textured = image.copy()
    textured[:, :, 1:] = np.maximum(textured[:, :, 1:], pattern)
    return textured


def never_asked(pack: str, size: int | None) -> bool:
    raise AssertionError("the user must not be asked to download here")


# --- detection ---------------------------------------------------------------------------------


def test_detect_returns_faces_with_typed_fields_and_a_unit_norm_embedding(tmp_path: Path) -> None:
    faces = engine_with_pack(tmp_path).detect(photo())

    assert len(faces) == 1
    face = faces[0]
    assert isinstance(face, DetectedFace)
    assert isinstance(face.box, Box)
    assert all(type(v) is int for v in face.box.as_list())
    assert face.landmarks.shape == (5, 2) and face.landmarks.dtype == np.float32
    assert type(face.det_score) is float and face.det_score == pytest.approx(127.5 / 128)
    assert face.embedding.shape == (512,) and face.embedding.dtype == np.float32
    assert float(np.linalg.norm(face.embedding)) == pytest.approx(1.0, abs=1e-5)
    assert type(face.sharpness) is float and face.sharpness > 0


@pytest.mark.parametrize("width, height", [(1600, 1200), (1200, 1600)], ids=["landscape", "portrait"])
def test_box_and_landmarks_are_mapped_back_to_original_image_pixels(
    tmp_path: Path, width: int, height: int
) -> None:
    # Either way the long side of 1600 px is shrunk to 640: 2.5 original pixels per detector
    # pixel. The red square at (400, 240) is detector cell (160, 96), the anchor of the face.
    [face] = engine_with_pack(tmp_path).detect(photo(width, height, face_at=(400, 240)))

    box, landmarks = onnx_models.expected_face(160, 96, scale=2.5)
    assert face.box == Box(240, 40, 640, 520)
    assert face.box.as_list() == [round(v) for v in box]
    np.testing.assert_allclose(face.landmarks, landmarks, atol=1e-3)


@pytest.mark.parametrize(
    "face_at, anchor, clipped",
    [
        ((0, 0), (0, 0), Box(0, 0, 240, 280)),  # unclipped: (-160, -200) to (240, 280)
        ((1520, 1120), (608, 448), Box(1360, 920, 1600, 1200)),  # unclipped: to (1760, 1400)
    ],
    ids=["top-left", "bottom-right"],
)
def test_a_box_that_runs_past_the_edge_is_clipped_to_the_image(
    tmp_path: Path, face_at: tuple[int, int], anchor: tuple[int, int], clipped: Box
) -> None:
    [face] = engine_with_pack(tmp_path).detect(photo(face_at=face_at))

    assert face.box == clipped
    _, landmarks = onnx_models.expected_face(*anchor, scale=2.5)
    np.testing.assert_allclose(face.landmarks, landmarks, atol=1e-3)  # points are not clipped


def test_the_rgb_image_reaches_insightface_as_bgr(tmp_path: Path) -> None:
    engine = engine_with_pack(tmp_path)

    # The tiny detector reacts to red only: a swapped channel order would find the blue square.
    assert len(engine.detect(photo(colour=RED))) == 1
    assert engine.detect(photo(colour=BLUE)) == []


def test_the_embedding_depends_on_the_face_pixels(tmp_path: Path) -> None:
    engine = engine_with_pack(tmp_path)
    first, second = with_texture(photo(), seed=1), with_texture(photo(), seed=2)

    [a] = engine.detect(first)
    [a_again] = engine.detect(first.copy())
    [b] = engine.detect(second)

    assert a.box == b.box
    np.testing.assert_array_equal(a.embedding, a_again.embedding)
    assert float(a.embedding @ b.embedding) < 0.99


def test_a_photo_without_a_face_gives_no_faces(tmp_path: Path) -> None:
    grey = np.full((1200, 1600, 3), 128, dtype=np.uint8)

    assert engine_with_pack(tmp_path).detect(grey) == []


# --- loading ------------------------------------------------------------------------------------


def test_importing_the_engine_does_not_import_insightface() -> None:
    code = (
        "import sys\n"
        "import faceaudit.compare.engines.insightface_engine\n"
        "heavy = [m for m in ('insightface', 'onnx', 'onnxruntime') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture
def sessions_opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """File names of the ONNX Runtime sessions insightface opens for routing and inference."""
    from insightface.model_zoo import model_zoo

    opened: list[str] = []
    real_init = model_zoo.PickableInferenceSession.__init__

    def counting_init(self: Any, model_path: str, **kwargs: Any) -> None:
        opened.append(Path(model_path).name)
        real_init(self, model_path, **kwargs)

    monkeypatch.setattr(model_zoo.PickableInferenceSession, "__init__", counting_init)
    return opened


def test_models_load_on_the_first_detect_and_only_once(
    tmp_path: Path, sessions_opened: list[str]
) -> None:
    engine = engine_with_pack(tmp_path)
    assert sessions_opened == []

    engine.detect(photo())
    after_first = list(sessions_opened)
    engine.detect(photo())

    assert {"det_10g.onnx", "w600k_r50.onnx"} <= set(after_first)
    assert sessions_opened == after_first


def test_only_the_detection_and_recognition_models_are_kept(tmp_path: Path) -> None:
    engine = engine_with_pack(tmp_path)
    engine.load()

    models = engine._app.models
    assert set(models) == {"detection", "recognition"}
    assert Path(models["detection"].model_file).name == "det_10g.onnx"
    assert Path(models["recognition"].model_file).name == "w600k_r50.onnx"


def test_both_sessions_let_idle_threads_sleep_instead_of_spinning(tmp_path: Path) -> None:
    # Two sessions with spinning threads on two cores slow each other down (see _open).
    engine = engine_with_pack(tmp_path)
    engine.load()

    for task in ("detection", "recognition"):
        session = engine._app.models[task].session
        assert session.get_session_options().get_session_config_entry(SPINNING) == "0", task


def test_the_extra_models_in_the_test_pack_are_ones_insightface_would_load(tmp_path: Path) -> None:
    # The control for the test above: left unrestricted, FaceAnalysis keeps all four.
    from insightface.app import FaceAnalysis

    folder = write_pack(tmp_path / "insightface")
    app = FaceAnalysis(name=str(folder), providers=["CPUExecutionProvider"])

    assert set(app.models) == {"detection", "recognition", "landmark_2d_106", "genderage"}


def test_detection_runs_once_per_image_at_640_by_640(tmp_path: Path) -> None:
    engine = engine_with_pack(tmp_path)
    engine.detect(photo())

    detector = engine._app.det_model
    assert detector.input_sizes == [(640, 640)]
    assert detector.resolution_session_input_sizes == ((640, 640),)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_the_tiny_detector_would_run_twice_without_an_explicit_det_size(tmp_path: Path) -> None:
    # The control for the test above: the detector's input size is free, like det_10g's, so
    # insightface 2.x's default det_size runs it at 128x128 and again at 640x640.
    from insightface.app import FaceAnalysis

    folder = write_pack(tmp_path / "insightface")
    app = FaceAnalysis(name=str(folder), allowed_modules=["detection", "recognition"],
                       providers=["CPUExecutionProvider"])
    app.prepare(ctx_id=-1)
    app.get(photo()[:, :, ::-1].copy())

    assert app.det_model.resolution_session_input_sizes == ((128, 128), (640, 640))


def test_a_model_dir_is_used_instead_of_the_pack_folder(tmp_path: Path) -> None:
    folder = onnx_models.write_pack(tmp_path / "my-pack")
    engine = InsightFaceEngine(folder, root=tmp_path / "empty-root")

    assert len(engine.detect(photo())) == 1
    assert engine.describe()["pack"] == "my-pack"


def test_a_pack_onnxruntime_cannot_open_raises_engine_unavailable(tmp_path: Path) -> None:
    root = tmp_path / "insightface"
    folder = write_pack(root)
    broken = onnx_models.arcface_recogniser()
    broken.opset_import[0].version = 999  # readable ONNX, but no runtime implements it
    (folder / "w600k_r50.onnx").write_bytes(broken.SerializeToString())

    with pytest.raises(EngineUnavailable) as caught:
        InsightFaceEngine(root=root).detect(photo())

    assert "could not load" in caught.value.message
    assert "\n" not in caught.value.message


# --- missing packs and downloads -----------------------------------------------------------------


def test_a_missing_pack_without_download_permission_fails_without_touching_the_network(
    tmp_path: Path, network_attempts: list[str], downloads: list[str]
) -> None:
    engine = InsightFaceEngine(root=tmp_path / "insightface")  # no `download`: may not fetch one

    with pytest.raises(EngineUnavailable) as caught:
        engine.detect(photo())

    assert network_attempts == [] and downloads == []
    assert "buffalo_l" in caught.value.message and "\n" not in caught.value.message
    assert "faceaudit enroll --engine insightface" in caught.value.hint
    assert "about 289 MB" in caught.value.hint
    assert "--model-dir PATH" in caught.value.hint and "--engine sface" in caught.value.hint
    assert not (tmp_path / "insightface").exists()


def test_a_declined_download_fails_with_a_hint_naming_model_dir(
    tmp_path: Path, network_attempts: list[str], downloads: list[str]
) -> None:
    asked: list[tuple[str, int | None]] = []

    def decline(pack: str, size: int | None) -> bool:
        asked.append((pack, size))
        return False

    engine = InsightFaceEngine(pack="buffalo_s", root=tmp_path / "insightface",
                               download=PackDownload(decline, network=no_network))

    with pytest.raises(EngineUnavailable) as caught:
        engine.detect(photo())

    assert asked == [("buffalo_s", PACK_SIZES["buffalo_s"])]
    assert network_attempts == [] and downloads == []
    assert "buffalo_s" in caught.value.message and "about 128 MB" in caught.value.message
    assert "--model-dir PATH" in caught.value.hint and "--engine sface" in caught.value.hint


def test_a_missing_model_dir_is_never_downloaded(tmp_path: Path, downloads: list[str]) -> None:
    engine = InsightFaceEngine(tmp_path / "nowhere", download=PackDownload(never_asked, network=no_network))

    with pytest.raises(EngineUnavailable) as caught:
        engine.detect(photo())

    assert caught.value.message == f"--model-dir {tmp_path / 'nowhere'} does not exist"
    assert downloads == []


def test_an_unknown_pack_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        InsightFaceEngine(pack="antelopev2")
    assert "buffalo_l, buffalo_s, buffalo_sc" in caught.value.hint


# --- availability, pack status, description ------------------------------------------------------


def test_a_complete_pack_is_available_and_named(tmp_path: Path) -> None:
    root = tmp_path / "insightface"
    write_pack(root)

    available = InsightFaceEngine.availability(root=root)

    assert available.ok
    assert "detection det_10g.onnx" in available.reason
    assert "recognition w600k_r50.onnx" in available.reason


def test_a_missing_pack_is_unavailable_with_its_size_and_how_to_get_it(home: Path) -> None:
    available = InsightFaceEngine.availability()

    assert not available.ok
    assert str(home / ".insightface" / "models" / "buffalo_l") in available.reason
    assert "about 289 MB" in available.reason
    assert "`faceaudit enroll --engine insightface` downloads pack buffalo_l" in available.reason
    assert "--model-dir PATH" in available.reason


def test_a_pack_without_a_recogniser_is_unavailable(tmp_path: Path) -> None:
    folder = onnx_models.write_pack(tmp_path / "pack",
                                    (onnx_models.DETECTOR_FILE, onnx_models.LANDMARK_FILE))

    available = InsightFaceEngine.availability(folder)

    assert not available.ok
    assert available.reason == f"--model-dir {folder} has no recognition model"


def test_a_file_that_is_not_onnx_is_named_in_the_reason(tmp_path: Path) -> None:
    folder = onnx_models.write_pack(tmp_path / "pack", (onnx_models.DETECTOR_FILE,))
    (folder / "w600k_r50.onnx").write_bytes(b"<html>Not Found</html>")

    available = InsightFaceEngine.availability(folder)

    assert not available.ok
    assert "w600k_r50.onnx is not readable ONNX" in available.reason


def test_a_model_dir_one_level_too_high_points_at_the_packs_inside(tmp_path: Path) -> None:
    root = tmp_path / "insightface"
    write_pack(root)

    available = InsightFaceEngine.availability(root / "models")

    assert not available.ok
    assert available.reason.endswith("pack folders inside it: buffalo_l")


def test_without_insightface_installed_the_engine_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_find_spec: Callable[[str], Any] = insightface_engine.find_spec
    monkeypatch.setattr(insightface_engine, "find_spec",
                        lambda name: None if name == "insightface" else real_find_spec(name))
    root = tmp_path / "insightface"
    write_pack(root)

    assert InsightFaceEngine.availability(root=root).reason == (
        "insightface is not installed: pip install insightface")
    with pytest.raises(EngineUnavailable, match="pip install insightface"):
        InsightFaceEngine(root=root).detect(photo())


def test_pack_status_lists_every_known_pack_with_its_size_and_presence(tmp_path: Path) -> None:
    root = tmp_path / "insightface"
    write_pack(root, pack="buffalo_sc", files=(onnx_models.DETECTOR_FILE,
                                               onnx_models.RECOGNISER_FILE))
    write_pack(root, pack="buffalo_s", files=(onnx_models.DETECTOR_FILE,))

    status = {entry["pack"]: entry for entry in pack_status(root)}

    assert list(status) == ["buffalo_l", "buffalo_s", "buffalo_sc"]
    assert {name: entry["present"] for name, entry in status.items()} == {
        "buffalo_l": False, "buffalo_s": False, "buffalo_sc": True}
    assert status["buffalo_l"]["size_bytes"] == 288_621_354 and status["buffalo_l"]["default"]
    assert status["buffalo_sc"]["path"] == str(root / "models" / "buffalo_sc")


def test_describe_names_the_pack_model_and_non_commercial_licence(tmp_path: Path) -> None:
    description = engine_with_pack(tmp_path).describe()

    assert description["engine"] == "insightface"
    assert description["embedding_size"] == 512
    assert description["pack"] == "buffalo_l"
    assert description["model"] == "w600k_r50.onnx"
    assert "non-commercial research use only" in description["licence"]
