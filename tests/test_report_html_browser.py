"""The HTML report in a real browser: opened from a file in headless Chromium with the network
off, it loads nothing, logs no error, shows the user's own face thumbnails, and the screenshot
script in docs/ makes the picture the docs show."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from faceaudit.report import html
from tests.test_report import full_report, hostile_report, report

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[1] / "docs"


def screenshot_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_screenshot", DOCS / "make_screenshot.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def jpeg(size: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (200, 150, 120)).save(out, "JPEG")
    return out.getvalue()


def with_real_thumbnails(data):
    """The test report, its thumbnails real JPEGs (as the workspace stores them) so the browser decodes them."""
    for account in data.accounts:
        account.findings = [dataclasses.replace(f, thumbnail_jpeg=jpeg()) for f in account.findings]
    return data


def test_the_report_opens_offline_with_no_request_and_no_error(tmp_path, chromium):
    data = with_real_thumbnails(hostile_report())
    data.history, data.warnings = full_report().history, ["a warning <b>in bold</b>?"]
    page = tmp_path / "report.html"
    page.write_text(html.render(data), encoding="utf-8")

    check = screenshot_script().open_offline(page, chromium.path)

    assert check.requests == []
    assert check.console_errors == []
    assert check.title == "faceaudit report — scan 7"
    for heading in ("How exposed are you?", "What to change, most important first", "Your accounts",
                    "Photos of you (2)", "Since scan 6", "Resolved (1)", "Good to know",
                    "a warning <b>in bold</b>?"):
        assert heading in check.text
    # Only the user's own face thumbnails, decoded from the page itself (in the account's photos and
    # beside the actions about them); hostile alt text stays text.
    thumbnails = sum(len(a.findings) for a in data.accounts)
    assert len(check.images) > thumbnails and set(check.images) == {(64, 64)}
    assert '<script>alert("alt")</script>' in check.text
    assert check.sizes[1100][0] <= 1100 and check.sizes[390][0] <= 400


def test_the_check_catches_a_page_that_loads_something(tmp_path, chromium):
    """The same check on a report with a remote image and stylesheet slipped in: it must notice."""
    rendered = html.render(report())
    leaky = rendered.replace(
        "</body>", '<img src="https://tracker.example/pixel.png"><link rel="stylesheet" href="https://cdn.example/s.css"></body>'
    )
    page = tmp_path / "leaky.html"
    page.write_text(leaky, encoding="utf-8")

    check = screenshot_script().open_offline(page, chromium.path)

    # Refused by the Content-Security-Policy (a console error) or by the offline browser (a request).
    problems = " ".join(check.console_errors + check.requests)
    assert "tracker.example" in problems and "cdn.example" in problems


def test_the_screenshot_script_writes_a_picture_of_the_report(tmp_path, chromium, capsys):
    page = tmp_path / "report.html"
    page.write_text(html.render(with_real_thumbnails(report())), encoding="utf-8")
    shot, phone = tmp_path / "shot.png", tmp_path / "phone.png"

    assert screenshot_script().main(["--html", str(page), "--out", str(shot), "--phone-out", str(phone)]) == 0

    with Image.open(shot) as image:
        assert image.format == "PNG" and image.size == (1100, 1500)
        assert len(image.convert("L").getcolors(maxcolors=65536) or []) > 10  # a rendered page, not a blank one
    with Image.open(phone) as image:  # the first two phone screens at most
        assert image.format == "PNG" and image.size[0] == 390 and 844 < image.size[1] <= 2 * 844
        assert len(image.convert("L").getcolors(maxcolors=65536) or []) > 10
    out = capsys.readouterr().out
    assert "requests: 0, console errors: 0" in out
    assert "at 390 px wide: the page is 390 x " in out


def test_the_docs_show_a_screenshot_of_the_demo_report():
    with Image.open(DOCS / "report-screenshot.png") as image:
        assert image.format == "PNG" and image.size == (1100, 1500)
    with Image.open(DOCS / "report-phone.png") as image:
        assert image.format == "PNG" and image.size == (390, 2 * 844)
