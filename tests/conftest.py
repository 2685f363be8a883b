"""Fixtures shared by all tests. Keep this small and general."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from faceaudit.crawl.browser import BrowserInfo, find_chromium
from faceaudit.errors import BrowserUnavailable


@pytest.fixture(scope="session")
def chromium() -> BrowserInfo:
    """The Chromium the browser tests drive; the test is skipped, saying why, when there is none."""
    try:
        return find_chromium()
    except BrowserUnavailable as exc:
        pytest.skip(f"needs Chromium: {exc.message} ({exc.hint})")


@pytest.fixture(scope="session", autouse=True)
def key_dir(tmp_path_factory) -> Iterator[Path]:
    """Face template keys go to a throw-away folder, never the real keyring or home (vault.py).

    Session-wide, so module-scoped fixtures that enrol get it too; workspace ids are random."""
    folder = tmp_path_factory.mktemp("keys")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACEAUDIT_KEY_DIR", str(folder))
        # The sface engine's fp32 model copies too: tests never write to the user's cache.
        patch.setenv("FACEAUDIT_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield folder
