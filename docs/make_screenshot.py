"""Open a faceaudit HTML report in headless Chromium, offline: check it, and take a screenshot.

    .venv/bin/python docs/make_screenshot.py            # the demo's report -> docs/report-screenshot.png
    .venv/bin/python docs/make_screenshot.py --html report.html --out shot.png

The page is opened from a file with the network off and every hostname unresolvable; any
request other than the file itself is recorded and refused, and every console error is kept.
The report is only good when both lists are empty: tests/test_report_html_browser.py checks it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

DOCS = Path(__file__).resolve().parent
SCREENSHOT = DOCS / "report-screenshot.png"
VIEWPORT = {"width": 1100, "height": 1500}


@dataclass
class PageCheck:
    """What opening the report did: it must make no request and log no error."""

    title: str = ""
    text: str = ""
    requests: list[str] = field(default_factory=list)  # anything but the report file itself
    console_errors: list[str] = field(default_factory=list)
    images: list[tuple[int, int]] = field(default_factory=list)  # natural size of each <img>


def open_offline(html: Path, chromium: str, screenshot: Path | None = None) -> PageCheck:
    """Open `html` in the Chromium at `chromium`, offline; screenshot the first screen to `screenshot`."""
    import os

    from playwright.sync_api import sync_playwright

    page_url = html.resolve().as_uri()
    check = PageCheck()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            headless=True,
            chromium_sandbox=os.geteuid() != 0,  # Chromium's sandbox refuses to run as root
            args=["--host-resolver-rules=MAP * ~NOTFOUND"],  # no hostname resolves, whatever happens
        )
        try:
            context = browser.new_context(offline=True, viewport=VIEWPORT)  # type: ignore[arg-type]

            def refuse(route, request) -> None:  # noqa: ANN001 - Playwright's callback signature
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
            check.title = page.title()
            check.text = page.inner_text("body")
            check.images = [
                (int(img.evaluate("i => i.naturalWidth")), int(img.evaluate("i => i.naturalHeight")))
                for img in page.query_selector_all("img")
            ]
            if screenshot is not None:
                page.screenshot(path=str(screenshot))
        finally:
            browser.close()
    check.requests = list(dict.fromkeys(check.requests))
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
    parser.add_argument("--out", type=Path, default=SCREENSHOT, help=f"where the screenshot goes (default: {SCREENSHOT})")
    args = parser.parse_args(argv)

    from faceaudit.crawl.browser import find_chromium

    chromium = find_chromium().path
    with tempfile.TemporaryDirectory(prefix="faceaudit-shot-") as tmp:
        html = args.html
        if html is None:
            html = Path(tmp) / "report.html"
            demo_report(html)
        check = open_offline(html, chromium, args.out)
    print(f"title: {check.title}")
    print(f"images: {len(check.images)}, requests: {len(check.requests)}, console errors: {len(check.console_errors)}")
    for problem in check.requests + check.console_errors:
        print(f"  problem: {problem}")
    print(f"screenshot: {args.out}")
    return 1 if check.requests or check.console_errors else 0


if __name__ == "__main__":
    sys.path.insert(0, str(DOCS.parent))  # run from a checkout without installing
    sys.exit(main())
