"""Open a faceaudit HTML report in headless Chromium, offline: check it, and take screenshots.

    .venv/bin/python docs/make_screenshot.py     # the demo's report -> docs/report-screenshot.png and report-phone.png
    .venv/bin/python docs/make_screenshot.py --html report.html --out shot.png [--phone-out phone.png]

The page is opened from a file with the network off and every hostname unresolvable; any
request other than the file itself is recorded and refused, and every console error is kept.
The report is only good when both lists are empty: tests/test_report_html_browser.py checks it.
It is opened at a desktop width (1100 px) and a phone's (390 px); the size of the page at each
is measured (a page wider than its viewport scrolls sideways). The phone picture is the first
two screens (390 x 1688 px) of the page, not the whole of it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
SCREENSHOT = DOCS / "report-screenshot.png"
PHONE_SCREENSHOT = DOCS / "report-phone.png"
VIEWPORT = {"width": 1100, "height": 1500}
PHONE = {"width": 390, "height": 844}
PHONE_SCREENS = 2  # the phone picture: this many screens from the top


@dataclass
class PageCheck:
    """What opening the report did: it must make no request and log no error."""

    title: str = ""
    text: str = ""  # all the page's text, folded <details> included
    requests: list[str] = field(default_factory=list)  # anything but the report file itself
    console_errors: list[str] = field(default_factory=list)
    images: list[tuple[int, int]] = field(default_factory=list)  # natural size of each <img>
    sizes: dict[int, tuple[int, int]] = field(default_factory=dict)  # viewport width -> page (width, height)


@contextmanager
def offline_page(html: Path, chromium: str, check: PageCheck, viewport: dict[str, int] | None = None) -> Iterator[Any]:
    """A page of a headless Chromium that can open `html` and nothing else: every other request is
    refused and recorded in `check.requests`, every console error in `check.console_errors`."""
    import os

    from playwright.sync_api import sync_playwright

    page_url = html.resolve().as_uri()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            headless=True,
            chromium_sandbox=os.geteuid() != 0,  # Chromium's sandbox refuses to run as root
            args=["--host-resolver-rules=MAP * ~NOTFOUND"],  # no hostname resolves, whatever happens
        )
        try:
            context = browser.new_context(offline=True, viewport=viewport or VIEWPORT)  # type: ignore[arg-type]

            def refuse(route: Any, request: Any) -> None:
                if request.url == page_url:
                    route.continue_()
                else:
                    check.requests.append(request.url)
                    route.abort()

            context.route("**/*", refuse)
            page = context.new_page()
            page.on("console", lambda m: check.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: check.console_errors.append(str(e)))
            page.on("request", lambda r: None if r.url in (page_url,) or r.url.startswith("data:")
                    else check.requests.append(r.url))
            page.goto(page_url, wait_until="load")
            yield page
        finally:
            browser.close()
    check.requests = list(dict.fromkeys(check.requests))


def page_size(page: Any) -> tuple[int, int]:
    """(width, height) of the whole page in CSS pixels: wider than the viewport means it scrolls sideways."""
    width, height = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    return int(width), int(height)


def open_offline(html: Path, chromium: str, screenshot: Path | None = None,
                 phone_screenshot: Path | None = None) -> PageCheck:
    """Open `html` in the Chromium at `chromium`, offline, at 1100 then 390 px wide; screenshot the
    first desktop screen to `screenshot` and the first phone screens to `phone_screenshot`."""
    check = PageCheck()
    with offline_page(html, chromium, check) as page:
        check.title = page.title()
        check.text = page.evaluate("document.body.textContent")
        check.images = [
            (int(img.evaluate("i => i.naturalWidth")), int(img.evaluate("i => i.naturalHeight")))
            for img in page.query_selector_all("img")
        ]
        check.sizes[VIEWPORT["width"]] = page_size(page)
        if screenshot is not None:
            page.screenshot(path=str(screenshot))
        page.set_viewport_size(PHONE)
        _, height = check.sizes[PHONE["width"]] = page_size(page)
        if phone_screenshot is not None:
            clip = {"x": 0, "y": 0, "width": PHONE["width"], "height": min(height, PHONE["height"] * PHONE_SCREENS)}
            page.screenshot(path=str(phone_screenshot), full_page=True, clip=clip)
    return check


def demo_report(html: Path) -> None:
    """Write the demo's HTML report (a fictional person's fixture accounts, offline) to `html`."""
    from faceaudit.demo.run import run_demo
    from faceaudit.report import html as html_report

    report, _ = run_demo()
    html.write_text(html_report.render(report), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, help="the report to open (default: run the demo and use its report)")
    parser.add_argument("--out", type=Path, help=f"where the desktop screenshot goes (default: {SCREENSHOT})")
    parser.add_argument("--phone-out", type=Path,
                        help=f"where the phone screenshot goes (default: {PHONE_SCREENSHOT} when --out is not given)")
    args = parser.parse_args(argv)
    out = args.out or SCREENSHOT
    phone_out = args.phone_out or (PHONE_SCREENSHOT if args.out is None else None)

    from faceaudit.crawl.browser import find_chromium

    chromium = find_chromium().path
    with tempfile.TemporaryDirectory(prefix="faceaudit-shot-") as tmp:
        html = args.html
        if html is None:
            html = Path(tmp) / "report.html"
            demo_report(html)
        check = open_offline(html, chromium, out, phone_out)
    print(f"title: {check.title}")
    print(f"images: {len(check.images)}, requests: {len(check.requests)}, console errors: {len(check.console_errors)}")
    for viewport, (width, height) in check.sizes.items():
        print(f"at {viewport} px wide: the page is {width} x {height} px")
    for problem in check.requests + check.console_errors:
        print(f"  problem: {problem}")
    print(f"screenshot: {out}" + (f", phone: {phone_out}" if phone_out else ""))
    wider = any(width > viewport for viewport, (width, _) in check.sizes.items())
    return 1 if check.requests or check.console_errors or wider else 0


if __name__ == "__main__":
    sys.path.insert(0, str(DOCS.parent))  # run from a checkout without installing
    sys.exit(main())
