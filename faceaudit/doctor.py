"""`faceaudit doctor`: what is installed and what is not, each with the reason and what to do."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from faceaudit.errors import BrowserUnavailable


def checks(model_dir: Path | None = None) -> list[dict[str, Any]]:
    from faceaudit.compare.engines import choose_auto, engine_class
    from faceaudit.crawl.browser import find_chromium
    from faceaudit.workspace import default_home

    results: list[dict[str, Any]] = [
        {"name": "python", "ok": sys.version_info >= (3, 10), "detail": sys.version.split()[0]},
        {"name": "workspace", "ok": True, "detail": str(default_home())},
    ]
    try:
        browser = find_chromium()
        results.append({"name": "browser", "ok": True, "detail": f"{browser.path} ({browser.source})"})
    except BrowserUnavailable as exc:
        results.append({"name": "browser", "ok": False, "detail": f"{exc.message}; {exc.hint}"})
    for name in ("dlib", "insightface"):
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
