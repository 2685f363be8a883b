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
    for name in ("sface", "dlib", "insightface"):
        state = engine_class(name).availability(model_dir if name == "insightface" else None)
        results.append({"name": f"engine {name}", "ok": state.ok, "detail": state.reason})
    from faceaudit.compare.engines.insightface_engine import LICENCE, about, pack_status

    for pack in pack_status():
        results.append({
            "name": f"insightface pack {pack['pack']}",
            "ok": bool(pack["present"]),
            "detail": pack["path"] if pack["present"] else
            f"not downloaded ({about(pack['size_bytes'])})",
        })
    results.append({"name": "insightface packs licence", "ok": True, "detail": LICENCE})
    name, why = choose_auto(model_dir)
    results.append({"name": "engine auto", "ok": True, "detail": f"would use {name}: {why}"})
    return results


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
