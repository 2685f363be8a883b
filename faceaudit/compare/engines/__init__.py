"""The engine registry: pick a FaceEngine by name, or `auto` with a reason."""

from __future__ import annotations

from pathlib import Path

from faceaudit.compare.engines.base import Availability, FaceEngine
from faceaudit.errors import UsageError

ENGINES = ("insightface", "dlib")


def engine_class(name: str) -> type[FaceEngine]:
    if name == "dlib":
        from faceaudit.compare.engines.dlib_engine import DlibEngine

        return DlibEngine
    if name == "insightface":
        from faceaudit.compare.engines.insightface_engine import InsightFaceEngine

        return InsightFaceEngine
    raise UsageError(f"unknown engine {name!r}", f"choose one of: auto, {', '.join(ENGINES)}")


def choose_auto(model_dir: Path | None = None) -> tuple[str, str]:
    """(engine name, why): insightface when its pack is already here, otherwise dlib.

    auto never downloads: a model download is a network request the user agrees to by
    asking for `--engine insightface` explicitly.
    """
    insight: Availability = engine_class("insightface").availability(model_dir)
    if insight.ok:
        return "insightface", f"insightface model pack found ({insight.reason})"
    dlib_state = engine_class("dlib").availability(None)
    if dlib_state.ok:
        return "dlib", f"insightface pack not present ({insight.reason}); using the offline dlib engine"
    return "insightface", f"dlib unavailable ({dlib_state.reason}); insightface needs its model pack"


def resolve_engine_name(requested: str, model_dir: Path | None = None) -> tuple[str, str]:
    """The engine to enrol with and why: `auto` decides, a named engine is taken as asked."""
    if requested == "auto":
        return choose_auto(model_dir)
    engine_class(requested)  # validates the name
    return requested, "asked for with --engine"


def make_engine(name: str, model_dir: Path | None = None, **options: object) -> FaceEngine:
    """An engine instance; `options` (e.g. confirm_download) go to engines that take them."""
    cls = engine_class(name)
    if name == "insightface":
        confirm = options.get("confirm_download")
        return cls(model_dir, allow_download=confirm is not None, confirm_download=confirm)  # type: ignore[call-arg]
    return cls(model_dir)
