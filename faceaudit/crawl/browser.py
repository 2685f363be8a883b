"""The one browser choke point: find Chromium, visit a page logged out, harvest its image URLs.

Three layers keep the browser inside the network policy, because Playwright's `route()` does not
see redirect hops, WebSockets or the browser's own background requests:

1. `context.route("**/*")` sees every request a page starts: it refuses what the policy or the
   account scope forbids, and aborts image/media/font requests after noting image URLs, so the
   browser downloads no image bytes (net.py fetches the images later, under the same policy).
   The rule the consent text states: the account's own hosts get what a browser needs to show
   the page (its documents, scripts, styles, data requests); other hosts get no request from the
   browser at all, and from net.py only the images the page shows. A third-party script, style,
   fetch()/XHR, beacon, frame or WebSocket is never sent.
2. Every connection Chromium makes goes through a small local proxy that applies
   `NetworkPolicy.resolve_target` (mapped names, no private addresses) and connects only to the
   account's own hosts. Redirect hops, and anything route() does not see, meet it here.
3. `--host-resolver-rules` maps the proxy's name and the policy's names and ends in
   `MAP * ~NOTFOUND`, so anything that slipped past the proxy still cannot resolve.

Layer 1 and the session live here; layers 2 and 3 (the proxy and Chromium's flags) in proxy.py;
reading the loaded page (scrolling, harvest.js, JSON-LD) in harvest.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from faceaudit.crawl.failures import Cause, classify, explain, seconds, without_errno
from faceaudit.crawl.harvest import (
    MAX_IMAGES,
    MAX_REFUSALS,
    HarvestedImage,
    PageHarvest,
    Visit,
    first_line,
    page_harvest,
    read_dom,
    scroll,
    stopped,
)
from faceaudit.crawl.net import AccountScope, NetworkPolicy
from faceaudit.crawl.proxy import (
    PolicyProxy,
    launch_args,
    resolver_rules,
    running_as_root,
    spki_hashes,
)
from faceaudit.errors import BrowserUnavailable, ExitCode, NetworkError, OutOfScope

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        CDPSession,
        Dialog,
        Download,
        Page,
        Playwright,
        Request,
        Response,
        Route,
        WebSocketRoute,
    )

# The public face of the browser choke point: other code imports these from here.
__all__ = [
    "BrowserInfo",
    "BrowserSession",
    "HarvestedImage",
    "PageHarvest",
    "find_chromium",
    "launch_args",
    "resolver_rules",
    "spki_hashes",
]

INSTALL_HINT = (
    "install Chromium: `playwright install chromium`, or your system's chromium package; "
    "or set FACEAUDIT_CHROMIUM=/path"
)
SYSTEM_CANDIDATES = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser", "google-chrome")
VIEWPORT = {"width": 1280, "height": 900}
# Sent, and only to the account's own hosts; everything else is aborted.
PASSED_TYPES = frozenset({"document", "script", "stylesheet", "xhr", "fetch"})
HARVESTED_TYPES = frozenset({"image", "media", "font"})  # aborted; image URLs noted


@dataclass(frozen=True)
class BrowserInfo:
    path: str
    source: str  # "FACEAUDIT_CHROMIUM", "playwright" or "system"


def find_chromium() -> BrowserInfo:
    """The Chromium to drive, or BrowserUnavailable. Fast: looks at files only, launches nothing."""
    chosen = os.environ.get("FACEAUDIT_CHROMIUM", "").strip()
    if chosen:
        if _is_executable(chosen):
            return BrowserInfo(chosen, "FACEAUDIT_CHROMIUM")
        raise BrowserUnavailable(f"FACEAUDIT_CHROMIUM={chosen} is not an executable file", INSTALL_HINT)
    managed = _playwright_chromium()
    if managed:
        return BrowserInfo(managed, "playwright")
    for candidate in SYSTEM_CANDIDATES:
        path = candidate if os.sep in candidate else shutil.which(candidate)
        if path and _is_executable(path):
            return BrowserInfo(path, "system")
    raise BrowserUnavailable("no Chromium found", INSTALL_HINT)


def _is_executable(path: str) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


def _playwright_chromium() -> str | None:
    """The newest Chromium that `playwright install chromium` left in its cache, if any."""
    root_env = os.environ.get("PLAYWRIGHT_BROWSERS_PATH", "")
    if root_env == "0":
        import importlib.util

        spec = importlib.util.find_spec("playwright")
        if spec is None or not spec.submodule_search_locations:
            return None
        root = Path(next(iter(spec.submodule_search_locations))) / "driver" / "package" / ".local-browsers"
    elif root_env:
        root = Path(root_env)
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Caches" / "ms-playwright"
    elif sys.platform == "win32":
        root = Path(os.environ.get("LOCALAPPDATA", Path.home())) / "ms-playwright"
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ms-playwright"
    executables = [
        "chrome-linux*/chrome",
        "chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
        "chrome-mac*/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
        "chrome-win*/chrome.exe",
    ]
    found: list[tuple[int, str]] = []
    for folder in root.glob("chromium-*"):
        revision = folder.name.removeprefix("chromium-")
        for pattern in executables:
            for exe in folder.glob(pattern):
                if revision.isdigit() and _is_executable(str(exe)):
                    found.append((int(revision), str(exe)))
    return max(found)[1] if found else None


class BrowserSession:
    """One logged-out Chromium per scan, started on first use. Use as a context manager.

    Not thread-safe: call it from the thread that created it (Playwright's sync API).
    """

    def __init__(
        self,
        policy: NetworkPolicy,
        *,
        browser: BrowserInfo | None = None,
        scroll_wait: float = 0.4,
        stable_rounds: int = 2,
    ) -> None:
        self.policy = policy
        self.browser_info = browser
        self.scroll_wait = scroll_wait
        self.stable_rounds = stable_rounds
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._proxy: PolicyProxy | None = None
        self._visit: Visit | None = None
        self._visit_page: Page | None = None  # the one page a visit reads; any other is a popup
        self._visit_cdp: CDPSession | None = None
        self._opening = False  # our own new_page() is under way: its "page" event is not a popup
        self._pages: set[Page] = set()
        self._origin_checks: dict[str, str] = {}  # scheme://netloc -> "" or why it is refused

    def __enter__(self) -> BrowserSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        if self._context is not None:
            return
        info = self.browser_info or find_chromium()
        try:
            from playwright.sync_api import Error as PlaywrightError
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            raise BrowserUnavailable("the playwright package is not installed", "pip install playwright") from exc
        self._proxy = PolicyProxy(self.policy)
        try:
            self._playwright = sync_playwright().start()
            self._browser = self._launch(info, sandbox=not running_as_root())
            # Downloads are cancelled, service workers never registered, and no permission is
            # granted (Chromium also denies every prompt: --deny-permission-prompts in proxy.py).
            self._context = self._browser.new_context(
                accept_downloads=False,
                service_workers="block",
                permissions=[],
                viewport=VIEWPORT,  # type: ignore[arg-type]
                user_agent=self.policy.user_agent,
                locale="en-US",
            )
        except (PlaywrightError, OSError) as exc:
            self.close()
            raise BrowserUnavailable(f"could not start Chromium at {info.path}: {first_line(exc)}", INSTALL_HINT) from exc
        self._context.route("**/*", self._on_route)
        self._context.route_web_socket("**/*", self._on_web_socket)
        self._context.on("request", self._on_request)
        self._context.on("response", self._on_response)
        self._context.on("page", self._on_page)

    def _launch(self, info: BrowserInfo, *, sandbox: bool) -> Browser:
        from playwright.sync_api import Error as PlaywrightError

        assert self._playwright is not None and self._proxy is not None
        try:
            return self._playwright.chromium.launch(
                executable_path=info.path,
                headless=True,
                chromium_sandbox=sandbox,
                args=launch_args(self.policy, self._proxy.port),
                timeout=60_000,
            )
        except PlaywrightError:
            if not sandbox:
                raise
            # Some systems forbid the user namespaces Chromium's sandbox needs.
            return self._launch(info, sandbox=False)

    def close(self) -> None:
        if self._playwright is not None:
            from playwright.sync_api import Error as PlaywrightError

            with contextlib.suppress(PlaywrightError):
                if self._context is not None:
                    self._context.close()
                if self._browser is not None:
                    self._browser.close()
            self._playwright.stop()
        if self._proxy is not None:
            self._proxy.close()
        self._context = self._browser = self._playwright = self._proxy = None

    def harvest(self, url: str, *, scope: AccountScope, max_scrolls: int = 15) -> PageHarvest:
        """Visit one account page logged out, scroll it, and list every image it shows."""
        from playwright.sync_api import Error as PlaywrightError

        self.policy.check_url(url)
        if not scope.allows(url):
            raise OutOfScope(f"{url} is outside the account it was asked for")
        self.start()
        assert self._context is not None and self._proxy is not None
        visit = self._visit = Visit(scope)
        self._proxy.reset()
        self._proxy.allow(scope.hosts)
        self._context.clear_cookies()
        try:
            self._opening = True
            try:
                page = self._context.new_page()
            finally:
                self._opening = False
            self._pages.add(page)
            self._visit_page = page
            self._visit_cdp = self._context.new_cdp_session(page)
            # Chromium's own messages only (Log domain), not the page's console: a page can
            # print millions of lines, each of which would come here.
            self._visit_cdp.on("Log.entryAdded", self._on_browser_log)
            self._visit_cdp.send("Log.enable")
            page.on("download", self._on_download)
            page.on("dialog", self._on_dialog)
            self._guard_navigations(page, visit)
            try:
                page.goto(url, wait_until="commit", timeout=self.policy.timeout * 1000)
            except PlaywrightError as exc:
                if visit.refused_navigations:
                    return stopped(url, visit, page, self.policy.timeout)
                raise self._load_failure(url, exc) from exc
            try:
                page.wait_for_load_state("domcontentloaded", timeout=self.policy.timeout * 1000)
            except PlaywrightError:
                # A document that never ends (a server that keeps sending): read what has arrived.
                visit.note(f"the page was still loading after {self.policy.timeout:g} s: what had arrived was read")
            if not scope.allows(page.url):
                return stopped(url, visit, page, self.policy.timeout)
            with contextlib.suppress(PlaywrightError):
                page.wait_for_load_state("load", timeout=3000)  # images are aborted: quick
            capped = scroll(
                page,
                max_scrolls,
                step=VIEWPORT["height"],
                wait=self.scroll_wait,
                stable_rounds=self.stable_rounds,
                timeout=self.policy.timeout,
            )
            # What the page shows is read with its scripts stopped: a page that keeps changing
            # (or floods the browser) can then neither slow the reading down nor change it.
            self._stop_scripts("")
            dom = read_dom(page, self.policy.timeout)
            if not scope.allows(page.url):  # a refused navigation left an error page meanwhile
                return stopped(url, visit, page, self.policy.timeout)
            # The page first loaded is the one the outcome speaks of, and where its images were.
            return page_harvest(dom, visit.landed if visit.went_on else page.url, visit, capped)
        except PlaywrightError as exc:  # the page or the browser went away mid-visit
            raise NetworkError(f"could not read {url}: {first_line(exc)}", "try the scan again.") from exc
        finally:
            self._visit = self._visit_page = self._visit_cdp = None
            self._proxy.reset()
            for open_page in list(self._pages):
                with contextlib.suppress(PlaywrightError):
                    open_page.close()
            self._pages.clear()

    def _load_failure(self, url: str, exc: Exception) -> NetworkError:
        """Why the page did not load, in the words crawl/net.py uses for the same cause
        (crawl/failures.py), not Chromium's `net::ERR_…`. Chromium reaches every host through
        the policy proxy, so a connection the proxy could not make shows in Chromium only as a
        failed tunnel (https) or the proxy's error answer (http): the proxy's log says what happened."""
        host = urlsplit(url).hostname or url
        text = first_line(exc)
        if "ERR_TUNNEL_CONNECTION_FAILED" in text or "ERR_HTTP_RESPONSE_CODE_FAILURE" in text:
            text = self._proxy_failure(host) or text
        cause, detail = classify(text)
        if cause is Cause.OTHER:  # a refusal by the policy is already a sentence; else Chromium's words
            return NetworkError(f"could not load {url}: {without_errno(text)}", "check the URL, or try again later.")
        if cause is Cause.TIMEOUT:
            detail = seconds(self.policy.timeout)
        sentence, hint = explain(cause, host, detail)
        return NetworkError(f"could not load {url}: {sentence}", hint)

    def _proxy_failure(self, host: str) -> str:
        """Why the proxy's latest connection to `host` was not made ("" if it was, or none was
        tried). The log spans the session's visits: an older failure says nothing about this one."""
        log = list(self._proxy.log) if self._proxy is not None else []
        for target, outcome in reversed(log):
            if target.rpartition(":")[0] == host:
                return "" if outcome == "ok" else outcome
        return ""

    def _guard_navigations(self, page: Page, visit: Visit) -> None:
        """Cancel the page's own out-of-scope navigations in the page, so its document stays.

        route() refuses them too, but a refused navigation replaces the document with an error
        page; a login redirect after a few seconds would then hide what the page had shown.
        """

        def refused(url: str) -> None:
            if isinstance(url, str) and not visit.scope.allows(url):
                visit.refuse(url[:2000], True)

        def tried(what: str, target: str) -> None:
            if isinstance(what, str) and what in _TRIED and isinstance(target, str):
                visit.note(f"{_TRIED[what]}{': ' + target[:200] if target else ''}")
                if target and what in ("popup", "download", "service-worker"):
                    visit.refuse(target[:2000], False)  # an address the page tried: never requested

        page.expose_function("__faceauditRefused", refused)
        page.expose_function("__faceauditTried", tried)
        scope = {"hosts": sorted(visit.scope.hosts), "prefixes": list(visit.scope.path_prefixes)}
        page.add_init_script(script=f"({_GUARD_JS})({json.dumps(scope)})")
        page.add_init_script(script=_REFUSE_JS)

    # --- what the network layer sees -------------------------------------------------------

    def _on_route(self, route: Route) -> None:
        from playwright.sync_api import Error as PlaywrightError

        with contextlib.suppress(PlaywrightError):  # the page may have closed meanwhile
            self._decide(route)

    def _decide(self, route: Route) -> None:
        request = route.request
        visit = self._visit
        url = request.url
        kind = request.resource_type
        navigation = kind == "document"
        main_frame = navigation and _is_main_frame(request)
        if visit is None:
            route.abort("blockedbyclient")
        elif not url.startswith(("http://", "https://")):
            visit.refuse(url[:200], main_frame)
            visit.note(f"refused to open a {urlsplit(url).scheme or 'schemeless'}: address: {url[:200]}")
            route.abort("blockedbyclient")
        elif kind in HARVESTED_TYPES and visit.scripts_stopped:
            # A flood (or the reading has begun): left paused, never sent, dropped when the page
            # closes. Answering each one would cost a round trip to the browser, and a page that
            # adds thousands of images a second would keep us answering for minutes.
            return
        elif kind in HARVESTED_TYPES:
            if kind == "image":
                visit.network_image(url)
                if len(visit.network_images) >= MAX_IMAGES:
                    self._stop_scripts(f"the page kept adding images: its scripts were stopped after {MAX_IMAGES}")
            route.abort("blockedbyclient")
        elif navigation and not self._in_visit_page(request):
            visit.refuse(url, False)  # a popup's page (closed as it opened): never loaded
            route.abort("blockedbyclient")
        elif (navigation and not visit.scope.allows(url)) or self._refusal(url):
            visit.refuse(url, main_frame)
            route.abort("blockedbyclient")
        elif (urlsplit(url).hostname or "").lower() not in visit.scope.hosts:
            visit.outside_request(url, kind)  # a script, style, fetch, beacon... to another host
            route.abort("blockedbyclient")
        elif kind not in PASSED_TYPES:
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def _on_request(self, request: Request) -> None:
        """Redirect hops never reach route(): the proxy refuses them; this records them."""
        visit = self._visit
        if visit is None or request.redirected_from is None or self._proxy is None:
            return
        url = request.url
        navigation = request.resource_type == "document"
        main_frame = navigation and _is_main_frame(request)
        host = (urlsplit(url).hostname or "").lower()
        if (
            self._refusal(url)
            or not self._proxy.allows(host)
            or (navigation and not visit.scope.allows(url))
        ):
            visit.refuse(url, main_frame)

    def _on_response(self, response: Response) -> None:
        request = response.request
        if self._visit is not None and request.resource_type == "document" and _is_main_frame(request):
            self._visit.main_response(response.url, response.status, response.headers.get("x-robots-tag", ""))

    def _on_web_socket(self, socket_route: WebSocketRoute) -> None:
        """WebSockets bypass route(): never connect them (no images come that way)."""
        if self._visit is not None:
            self._visit.refuse(socket_route.url, False)
        socket_route.close()

    def _on_page(self, page: Page) -> None:
        """A page we did not open is a popup (window.open, target=_blank): closed at once."""
        from playwright.sync_api import Error as PlaywrightError

        self._pages.add(page)
        if self._opening:
            return
        if self._visit is not None:
            self._visit.note(f"closed a popup window the page opened{': ' + page.url[:200] if page.url != 'about:blank' else ''}")
        with contextlib.suppress(PlaywrightError):
            page.close()

    def _stop_scripts(self, reason: str) -> None:
        """Stop the visited page's own JavaScript (DevTools' "disable JavaScript"); harvest.js
        still runs, as DevTools' console does. Once per visit; `reason` is noted if given."""
        from playwright.sync_api import Error as PlaywrightError

        if self._visit_cdp is None or self._visit is None or self._visit.scripts_stopped:
            return
        self._visit.scripts_stopped = True
        if reason:
            self._visit.note(reason)
        with contextlib.suppress(PlaywrightError):
            self._visit_cdp.send("Emulation.setScriptExecutionDisabled", {"value": True})

    def _in_visit_page(self, request: Request) -> bool:
        from playwright.sync_api import Error as PlaywrightError

        try:
            return self._visit_page is not None and request.frame.page == self._visit_page
        except PlaywrightError:
            return False

    def _on_download(self, download: Download) -> None:
        """accept_downloads=False cancels it; recorded, because a page that pushes a file at a
        visitor is worth telling its owner about."""
        from playwright.sync_api import Error as PlaywrightError

        if self._visit is not None:
            self._visit.note(f"refused a download: {download.url[:200]}")
        with contextlib.suppress(PlaywrightError):
            download.cancel()

    def _on_browser_log(self, event: dict[str, Any]) -> None:
        """Chromium refuses file:, chrome: and top-level data: navigations itself, before any
        event we could see; its log message is the only trace, so it is recorded from there."""
        visit = self._visit
        if visit is None or len(visit.refusals) >= MAX_REFUSALS:
            return
        found = _CHROMIUM_REFUSAL.search(str(event.get("entry", {}).get("text", "")))
        if found:
            url = found[1][:200]
            visit.refuse(url, False)
            visit.note(f"refused to open a {urlsplit(url).scheme or 'schemeless'}: address: {url}")

    def _on_dialog(self, dialog: Dialog) -> None:
        """alert(), confirm(), prompt(), beforeunload: dismissed, or the page would wait for ever."""
        from playwright.sync_api import Error as PlaywrightError

        if self._visit is not None:
            self._visit.note(f"dismissed a {dialog.type} dialog")
        with contextlib.suppress(PlaywrightError):
            dialog.dismiss()

    def _refusal(self, url: str) -> str:
        """Why the policy refuses this URL ("" if it does not), cached per origin."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._origin_checks:
            try:
                self.policy.check_url(origin + "/")
                self._origin_checks[origin] = ""
            except OutOfScope as exc:
                self._origin_checks[origin] = exc.message
        return self._origin_checks[origin]


def _is_main_frame(request: Request) -> bool:
    from playwright.sync_api import Error as PlaywrightError

    try:
        return request.frame.parent_frame is None
    except PlaywrightError:
        return False  # a service worker's request: there are none (blocked), but be safe


# Runs before the page's scripts: cancels its own navigations that would leave the account.
_GUARD_JS = r"""(scope) => {
  const report = window.__faceauditRefused, seen = new Set();
  try { delete window.__faceauditRefused; } catch (e) {}  // out of the page's reach, as in _REFUSE_JS
  if (window !== window.top || !window.navigation) return;
  const allowed = (href) => {
    let u; try { u = new URL(href) } catch (e) { return false }
    if (!scope.hosts.includes(u.hostname.toLowerCase())) return false;
    const path = u.pathname || "/";
    return scope.prefixes.some((p) => path === p.replace(/\/+$/, "") || path.startsWith(p));
  };
  navigation.addEventListener("navigate", (event) => {
    if (event.destination.sameDocument || allowed(event.destination.url) || !event.cancelable) return;
    event.preventDefault();
    const url = event.destination.url;
    if (report && !seen.has(url) && seen.size < 50) { seen.add(url); report(url); }
  });
}"""


_CHROMIUM_REFUSAL = re.compile(r"Not allowed to (?:load local resource|navigate top frame to data URL): (\S+)")

# What the page may try that _REFUSE_JS refuses, as the visit notes it.
_TRIED = {
    "popup": "refused a popup window",
    "download": "refused a download",
    "service-worker": "refused to register a service worker",
    "geolocation": "denied a request for the visitor's location",
    "notifications": "denied a request to show notifications",
    "camera": "denied a request for the camera or microphone",
    "screen": "denied a request to capture the screen",
}

# Runs before the page's scripts, in every frame: what a logged-out visit never grants, refused
# at the call so nothing is requested or prompted, and reported (the browser refuses too:
# no popups survive _on_page, downloads are cancelled, service workers blocked, prompts denied).
_REFUSE_JS = r"""(() => {
  // The report channel is taken out of the page's reach, and reports are capped and de-duplicated:
  // every call is a round trip to faceaudit, and a page could otherwise call it in a loop.
  const report = window.__faceauditTried, seen = new Set();
  try { delete window.__faceauditTried; } catch (e) {}
  const tried = (what, target) => {
    const key = what + " " + String(target || "");
    if (!report || seen.has(key) || seen.size >= 50) return;
    seen.add(key);
    try { report(what, String(target || "")); } catch (e) {}
  };
  const deny = (name) => Promise.reject(new DOMException("refused by faceaudit", name));
  const absolute = (url) => { try { return url ? new URL(url, location.href).href : "" } catch (e) { return String(url) } };
  window.open = function (url) { tried("popup", absolute(url)); return null; };
  document.addEventListener("click", (event) => {
    const link = event.target && event.target.closest && event.target.closest("a[href]");
    if (!link) return;
    if (link.hasAttribute("download")) { event.preventDefault(); tried("download", link.href); }
    else if ((link.target || "").toLowerCase() === "_blank") { event.preventDefault(); tried("popup", link.href); }
  }, true);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.register = (url) => {
      tried("service-worker", absolute(url));
      return deny("SecurityError");
    };
  }
  if (navigator.geolocation) {
    const refuse = (ok, fail) => {
      tried("geolocation", "");
      if (typeof fail === "function") setTimeout(() => fail({code: 1, message: "denied", PERMISSION_DENIED: 1}), 0);
      return 0;
    };
    navigator.geolocation.getCurrentPosition = refuse;
    navigator.geolocation.watchPosition = refuse;
  }
  if (window.Notification) {
    Notification.requestPermission = (callback) => {
      tried("notifications", "");
      if (typeof callback === "function") setTimeout(() => callback("denied"), 0);
      return Promise.resolve("denied");
    };
  }
  if (navigator.mediaDevices) {
    navigator.mediaDevices.getUserMedia = () => { tried("camera", ""); return deny("NotAllowedError"); };
    navigator.mediaDevices.getDisplayMedia = () => { tried("screen", ""); return deny("NotAllowedError"); };
  }
})()"""


def main(argv: list[str] | None = None) -> int:
    """`python -m faceaudit.crawl.browser --find`: print the Chromium path, or why there is none."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["--find"]:
        print("usage: python -m faceaudit.crawl.browser --find", file=sys.stderr)
        return ExitCode.USAGE
    try:
        info = find_chromium()
    except BrowserUnavailable as exc:
        print(f"faceaudit: {exc.message}\n{exc.hint}", file=sys.stderr)
        return ExitCode.BROWSER
    print(info.path)
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
