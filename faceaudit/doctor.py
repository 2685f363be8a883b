"""`faceaudit doctor`: what is installed and what is not, each with the reason and what to do."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from faceaudit.errors import BrowserUnavailable, WorkspaceError


def checks(model_dir: Path | None = None, home: Path | None = None) -> list[dict[str, Any]]:
    from faceaudit.compare.engines import choose_auto, engine_class
    from faceaudit.crawl.browser import find_chromium
    from faceaudit.workspace import default_home

    home = (home or default_home()).expanduser()
    results: list[dict[str, Any]] = [
        {"name": "python", "ok": sys.version_info >= (3, 10), "detail": sys.version.split()[0]},
        workspace_state(home),
        template_key(home),
    ]
    try:
        browser = find_chromium()
        results.append({"name": "browser", "ok": True, "detail": f"{browser.path} ({browser.source})"})
    except BrowserUnavailable as exc:
        results.append({"name": "browser", "ok": False, "detail": f"{exc.message}; {exc.hint}"})
    for name in ("sface", "dlib"):
        state = engine_class(name).availability(None)
        results.append({"name": f"engine {name}", "ok": state.ok, "detail": state.reason})
    results.append(insightface(model_dir))
    from faceaudit.compare.engines.insightface_engine import LICENCE

    results.append({"name": "insightface licence", "ok": None, "detail": LICENCE})
    name, _ = choose_auto(model_dir)
    results.append({"name": "engine auto", "ok": True,
                    "detail": f"would use {name}, the first available of insightface, sface and dlib"})
    return results


def insightface(model_dir: Path | None) -> dict[str, Any]:
    """The optional insightface engine and its model packs, said once: whether it can run, which
    packs are here, and how to get one (`packs` lists each in the JSON)."""
    from faceaudit.compare.engines import engine_class
    from faceaudit.compare.engines.insightface_engine import DEFAULT_PACK, about, pack_status

    state = engine_class("insightface").availability(model_dir)
    packs = pack_status()
    present = [str(pack["pack"]) for pack in packs if pack["present"]]
    if state.ok:
        detail = f"{state.reason}; packs here: {', '.join(present) or 'the one in --model-dir'}"
    else:
        sizes = ", ".join(f"{pack['pack']} {about(pack['size_bytes'])}" for pack in packs)
        detail = (f"optional, no model pack here ({sizes}); sface or dlib is used instead. To use it: "
                  f"`faceaudit enroll --engine insightface` downloads {DEFAULT_PACK} after asking, "
                  "or --model-dir DIR names an unpacked pack")
    return {"name": "engine insightface", "ok": state.ok, "detail": detail,
            "reason": state.reason, "packs": packs}


MARKERS = {True: ("ok", "green"), False: ("missing", "yellow"), None: ("info", "dim")}


def marker(ok: bool | None) -> str:
    """A check's mark as rich markup, as wide as the widest: a word that reads without colour."""
    word, colour = MARKERS[ok]
    return f"[{colour}]{word}[/{colour}]" + " " * (len("missing") - len(word))


def workspace_state(home: Path) -> dict[str, Any]:
    """Whether faceaudit can use `home` (`workspace.problem`: a shared or foreign folder, an empty,
    damaged or foreign database), checked without creating or changing anything."""
    from faceaudit.workspace import problem

    refused = problem(home)
    if refused is None:
        return {"name": "workspace", "ok": True, "detail": str(home)}
    return {"name": "workspace", "ok": False, "detail": f"{refused.message}; {refused.hint}"}


def template_key(home: Path) -> dict[str, Any]:
    """Where the face template's key is kept (the OS keyring or a key file), without making one."""
    from faceaudit import vault
    from faceaudit.workspace import peek_id

    backend, why = vault.usable_keyring()
    workspace_id = peek_id(home)
    try:
        store = vault.locate(workspace_id) if workspace_id else None
    except WorkspaceError as exc:
        return {"name": "template key", "ok": False, "detail": f"{exc.message}; {exc.hint}"}
    if store is not None:
        detail = f"kept in {store.describe()}"
    else:
        detail = f"none yet; made at enrolment, in {vault.default_store(workspace_id).describe()}"
    if backend is None:
        detail += f" ({why})"  # why not the OS keyring
    return {"name": "template key", "ok": True, "detail": detail,
            "store": store.kind if store else None, "where": store.where if store else None}
