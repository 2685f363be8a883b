"""The default engine: insightface's SCRFD detector and ArcFace recogniser from a buffalo pack.

insightface 2.1 routes each .onnx file in a pack folder by its inputs and outputs (five or more
outputs: SCRFD detection; a square input of 112 or more: ArcFace recognition; 192: landmarks;
96: gender/age), not by file name; only packs with a `manifest.json` of version 2 route by
manifest, and the buffalo packs have none. Given a pack *name* that is not a folder, it
downloads `<name>.zip` from its GitHub release with no size, checksum or signature check and
no timeout, outside faceaudit's network policy. So this engine always hands FaceAnalysis an
existing folder, and downloads a pack itself (`insightface_download`), after the user has agreed
to the size, through the network client its caller gives it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

from faceaudit.compare.engines.base import (
    Availability,
    FaceEngine,
    RGBImage,
    normalise,
    sharpness,
)
from faceaudit.compare.engines.insightface_download import (
    MODEL_PACKS,
    OFFLINE_HINT,
    PackDownload,
    install_pack,
    verify_pack,
)
from faceaudit.errors import EngineUnavailable, UsageError
from faceaudit.types import Box, DetectedFace

DEFAULT_PACK = "buffalo_l"
# Download sizes in bytes, of the zips (faceaudit/data/model_packs.json).
PACK_SIZES: dict[str, int] = {name: pack.size for name, pack in MODEL_PACKS.items()}
DET_SIZE = (640, 640)  # set explicitly: left unset, insightface 2.x detects at 128 and at 640
DET_THRESH = 0.5
SPINNING = "session.intra_op.allow_spinning"  # onnxruntime session option: idle threads spin
LICENCE = (
    "insightface pretrained model packs are for non-commercial research use only "
    "(insightface README); the insightface code itself is MIT-licensed"
)



def default_root() -> Path:
    """insightface's own default: packs live in ~/.insightface/models/<pack>."""
    return Path("~/.insightface").expanduser()


def pack_folder(pack: str = DEFAULT_PACK, root: Path | None = None) -> Path:
    return (root or default_root()) / "models" / pack


def about(size: int | None) -> str:
    return f"about {size / 1e6:.0f} MB" if size else "size unknown"


@dataclass
class PackContents:
    """The models insightface would pick from a folder: the first file per task, by name."""

    folder: Path
    detection: Path | None = None
    recognition: Path | None = None
    unreadable: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.detection is not None and self.recognition is not None

    def missing(self) -> list[str]:
        return [task for task in ("detection", "recognition") if getattr(self, task) is None]


def read_pack(folder: Path) -> PackContents:
    contents = PackContents(folder)  # a missing folder reads as an empty one
    for path in sorted(folder.glob("*.onnx")):
        task = model_task(path)
        if task is None:
            contents.unreadable.append(path.name)
        elif task in ("detection", "recognition") and getattr(contents, task) is None:
            setattr(contents, task, path)
    return contents


def model_task(path: Path) -> str | None:
    """The task insightface's ModelRouter would give this file ("other" for tasks we never
    load), read from the graph without starting onnxruntime; None when it is not ONNX."""
    import onnx
    from google.protobuf.message import DecodeError

    try:
        graph = onnx.load_model(str(path), load_external_data=False).graph
    except (DecodeError, OSError, ValueError):
        return None
    constants = {tensor.name for tensor in graph.initializer}
    inputs = [value for value in graph.input if value.name not in constants]
    if len(graph.output) >= 5:
        return "detection"
    if not inputs:
        return None
    dims = [d.dim_value if d.HasField("dim_value") else None
            for d in inputs[0].type.tensor_type.shape.dim]
    height, width = (dims[2], dims[3]) if len(dims) == 4 else (None, None)
    if height in (192, 96) or (len(inputs) == 2 and height == 128):
        return "other"  # landmarks, gender/age, face swapper
    if height is not None and height == width and height >= 112 and height % 16 == 0:
        return "recognition"
    return "other"


def _pack_problem(contents: PackContents) -> str:
    """One line: what a folder lacks, or empty when it is a usable pack."""
    folder = contents.folder
    if not folder.is_dir():
        return f"{folder} is not a folder" if folder.exists() else f"{folder} does not exist"
    if contents.complete:
        return ""
    problem = f"{folder} has no {' or '.join(contents.missing())} model"
    if contents.unreadable:
        problem += f" ({', '.join(contents.unreadable)} is not readable ONNX)"
    nested = sorted(p.name for p in folder.iterdir() if p.is_dir() and any(p.glob("*.onnx")))
    if nested:
        problem += f"; pack folders inside it: {', '.join(nested)}"
    return problem


def _missing_models(folder: Path) -> str:
    contents = read_pack(folder)
    return "" if contents.complete else f"has no {' or '.join(contents.missing())} model"


def _insightface_missing() -> str:
    if find_spec("insightface") is None or find_spec("onnx") is None:
        return "insightface is not installed: pip install insightface"
    return ""


def pack_status(root: Path | None = None) -> list[dict[str, Any]]:
    """Each known pack, its approximate download size, and whether it is here (for `doctor`)."""
    status = []
    for pack, size in PACK_SIZES.items():
        folder = pack_folder(pack, root)
        present = read_pack(folder).complete
        status.append({"pack": pack, "size_bytes": size, "path": str(folder), "present": present,
                       "default": pack == DEFAULT_PACK})
    return status


class InsightFaceEngine(FaceEngine):
    name = "insightface"
    embedding_size = 512
    landmark_roles = ((0,), (1,), 2)  # SCRFD keypoints: left eye, right eye, nose, mouth corners
    confident_score = 0.9  # detection probability
    min_enrol_score = 0.7
    parallelism = "threads"
    # `download` holds callables and a network client: a scan never downloads.
    _model_attributes = ("_app", "_models", "download")

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        pack: str = DEFAULT_PACK,
        root: Path | None = None,
        download: PackDownload | None = None,
    ) -> None:
        """A missing pack is downloaded only when `download` is given: it carries the user's
        agreement (asked first), the network client to use and where to show progress."""
        if pack not in PACK_SIZES:
            raise UsageError(f"unknown insightface model pack {pack!r}",
                             f"choose one of: {', '.join(PACK_SIZES)}")
        super().__init__(model_dir)
        self.pack = pack
        self.root = root or default_root()
        self.download = download
        self._app: Any = None
        self._models: PackContents | None = None

    @property
    def folder(self) -> Path:
        return self.model_dir or pack_folder(self.pack, self.root)

    @classmethod
    def availability(cls, model_dir: Path | None = None, *, pack: str = DEFAULT_PACK,
                     root: Path | None = None) -> Availability:
        missing = _insightface_missing()
        if missing:
            return Availability(False, missing)
        folder = model_dir or pack_folder(pack, root)
        contents = read_pack(folder)
        problem = _pack_problem(contents)
        if problem and model_dir is not None:
            return Availability(False, f"--model-dir {problem}")
        if problem:
            return Availability(False, (
                f"{problem}: `faceaudit enroll --engine insightface` downloads pack {pack} "
                f"({about(PACK_SIZES.get(pack))}) after asking, "
                f"or give an unpacked pack folder with --model-dir PATH"))
        assert contents.detection is not None and contents.recognition is not None
        return Availability(True, (
            f"{folder}: detection {contents.detection.name}, "
            f"recognition {contents.recognition.name}"))

    def describe(self) -> dict[str, Any]:
        recogniser = (self._models or read_pack(self.folder)).recognition
        return {
            **super().describe(),
            "pack": self.pack if self.model_dir is None else self.folder.name,
            "model": recogniser.name if recogniser else None,
            "detector": f"SCRFD at {DET_SIZE[0]}x{DET_SIZE[1]}",
            "licence": LICENCE,
        }

    def _load(self) -> None:
        missing = _insightface_missing()
        if missing:
            raise EngineUnavailable(missing, OFFLINE_HINT)
        folder = self.folder
        contents = read_pack(folder)
        if not contents.complete:
            if self.model_dir is not None:
                raise EngineUnavailable(f"--model-dir {_pack_problem(contents)}", OFFLINE_HINT)
            if self.download is None:
                raise EngineUnavailable(
                    f"no usable insightface pack {self.pack}: {_pack_problem(contents)}",
                    f"`faceaudit enroll --engine insightface` downloads it "
                    f"({about(PACK_SIZES[self.pack])}) after asking; or {OFFLINE_HINT}")
            self._download()
            contents = read_pack(folder)
        else:
            changed = verify_pack(folder)
            if changed:
                raise EngineUnavailable(
                    f"the insightface pack in {folder} changed since it was downloaded: {changed}",
                    "if you did not change it, delete that folder and download the pack again "
                    f"with `faceaudit enroll --engine insightface`; or {OFFLINE_HINT}")
        self._app = self._open(folder)
        self._models = contents

    def _download(self) -> None:
        """Ask, then download, check and unpack the pack into its folder (never half of it)."""
        pack = MODEL_PACKS[self.pack]
        download = self.download
        assert download is not None  # _load checked it
        if not download(self.pack, pack.size):
            raise EngineUnavailable(
                f"insightface pack {self.pack} ({about(pack.size)}) was not downloaded", OFFLINE_HINT)
        install_pack(pack, self.folder, download, _missing_models)

    def _open(self, folder: Path) -> Any:
        import onnxruntime
        from insightface.app import FaceAnalysis

        # The detector's and the recogniser's sessions each keep a pool of intra-op threads, and
        # by default those threads spin after each run waiting for more work: on two cores the
        # idle session's spinning took CPU from the busy one, 150 ms a face instead of 105 ms
        # (benchmarks/insightface_speed.py). Idle threads sleep instead.
        options = onnxruntime.SessionOptions()
        options.add_session_config_entry(SPINNING, "0")

        # insightface passes skimage's deprecation of SimilarityTransform.estimate on to users.
        warnings.filterwarnings("ignore", category=FutureWarning,
                                module="insightface.utils.face_align")
        try:
            # `name` is an existing folder, so FaceAnalysis never tries to download.
            app = FaceAnalysis(name=str(folder), root=str(self.root),
                               allowed_modules=["detection", "recognition"],
                               providers=["CPUExecutionProvider"], sess_options=options)
            app.prepare(ctx_id=-1, det_thresh=DET_THRESH, det_size=DET_SIZE)
        except Exception as error:
            detail = " ".join(str(error).split()) or type(error).__name__
            raise EngineUnavailable(
                f"insightface could not load the pack in {folder}: {detail}", OFFLINE_HINT,
            ) from error
        if "recognition" not in app.models:
            raise EngineUnavailable(f"insightface found no recognition model in {folder}",
                                    OFFLINE_HINT)
        return app

    def _detect(self, image: RGBImage) -> list[DetectedFace]:
        height, width = image.shape[:2]
        bgr = np.ascontiguousarray(image[:, :, ::-1])  # insightface works in OpenCV's BGR
        faces: list[DetectedFace] = []
        for face in self._app.get(bgr):
            x1, y1, x2, y2 = (float(v) for v in face.bbox[:4])
            box = Box(
                left=min(max(round(x1), 0), width),
                top=min(max(round(y1), 0), height),
                right=min(max(round(x2), 0), width),
                bottom=min(max(round(y2), 0), height),
            )
            faces.append(DetectedFace(
                box=box,
                landmarks=np.asarray(face.kps, dtype=np.float32).reshape(5, 2),
                det_score=float(face.det_score),
                embedding=normalise(face.embedding),
                sharpness=sharpness(image, (box.left, box.top, box.right, box.bottom)),
            ))
        return faces
