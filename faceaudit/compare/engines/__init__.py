"""The engine registry: pick a FaceEngine by name, or `auto` with a reason."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from faceaudit.compare.engines.base import Availability, FaceEngine
from faceaudit.errors import EngineUnavailable, UsageError

if TYPE_CHECKING:  # importing it at run time would pull in the network stack for every engine
    from faceaudit.compare.engines.insightface_download import PackDownload

ENGINES = ("insightface", "sface", "dlib")  # the order `auto` prefers them in


def engine_class(name: str) -> type[FaceEngine]:
    if name == "dlib":
        from faceaudit.compare.engines.dlib_engine import DlibEngine

        return DlibEngine
    if name == "insightface":
        from faceaudit.compare.engines.insightface_engine import InsightFaceEngine

        return InsightFaceEngine
    if name == "sface":
        from faceaudit.compare.engines.sface_engine import SFaceEngine

        return SFaceEngine
    raise UsageError(f"unknown engine {name!r}", f"choose one of: auto, {', '.join(ENGINES)}")


def choose_auto(model_dir: Path | None = None) -> tuple[str, str]:
    """(engine name, why): insightface when its pack is already here, else sface (its models
    come with the installed packages), else dlib, the small fallback.

    auto never downloads: a model download is a network request the user agrees to by
    asking for `--engine insightface` explicitly.
    """
    insight: Availability = engine_class("insightface").availability(model_dir)
    if insight.ok:
        return "insightface", f"insightface model pack found ({insight.reason})"
    sface_state = engine_class("sface").availability(None)
    if sface_state.ok:
        return "sface", f"insightface pack not present ({insight.reason}); using sface, installed with faceaudit"
    dlib_state = engine_class("dlib").availability(None)
    if dlib_state.ok:
        return "dlib", (f"insightface pack not present and sface unavailable ({sface_state.reason}); "
                        "using the dlib fallback, which is known to confuse East Asian faces")
    return "insightface", (f"sface unavailable ({sface_state.reason}) and dlib unavailable "
                           f"({dlib_state.reason}); insightface needs its model pack")


def resolve_engine_name(requested: str, model_dir: Path | None = None) -> tuple[str, str]:
    """The engine to enrol with and why: `auto` decides, a named engine is taken as asked."""
    if requested == "auto":
        return choose_auto(model_dir)
    engine_class(requested)  # validates the name
    return requested, "asked for with --engine"


def make_engine(name: str, model_dir: Path | None = None, *,
                engine_info: dict[str, Any] | None = None,
                download: PackDownload | None = None) -> FaceEngine:
    """An engine instance. `engine_info` is a template's recorded `describe()`: the engine made
    must produce embeddings comparable with it (same model), or EngineUnavailable says why.
    `download`: how insightface may fetch a missing pack (asking first); None never downloads."""
    if name == "insightface":
        from faceaudit.compare.engines.insightface_engine import DEFAULT_PACK, InsightFaceEngine

        pack = (engine_info or {}).get("pack", DEFAULT_PACK)
        engine: FaceEngine = InsightFaceEngine(model_dir, pack=pack, download=download)
    else:
        engine = engine_class(name)(model_dir)
    if engine_info is not None:
        recorded, current = engine_info.get("model"), engine.describe().get("model")
        if recorded and current and recorded != current:
            raise EngineUnavailable(
                f"the template was made with model {recorded}, but {current} is loaded",
                "use the same --model-dir as when you enrolled, or enrol again",
            )
    return engine
