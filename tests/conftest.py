"""Fixtures shared by all tests. Keep this small and general."""

from __future__ import annotations

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
