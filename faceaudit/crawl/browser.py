"""The one browser choke point: find Chromium, visit a page logged out, harvest its image URLs.

Three layers keep the browser inside the network policy, because Playwright's `route()` does not
see redirect hops, WebSockets or the browser's own background requests:

1. `context.route("**/*")` sees every request a page starts: it refuses what the policy or the
   account scope forbids, and aborts image/media/font requests after noting image URLs, so the
   browser downloads no image bytes (net.py fetches the images later, under the same policy).
2. Every connection Chromium makes goes through a small local proxy that applies
   `NetworkPolicy.resolve_target` (mapped names, no private addresses) and connects only to hosts
   the route handler approved or the account's own hosts. Redirect hops meet it here.
3. `--host-resolver-rules` maps the proxy's name and the policy's names and ends in
   `MAP * ~NOTFOUND`, so anything that slipped past the proxy still cannot resolve.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import select
import shutil
import socket
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from faceaudit.crawl.net import AccountScope, NetworkPolicy
from faceaudit.errors import BrowserUnavailable, ExitCode, NetworkError, OutOfScope

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        Page,
        Playwright,
        Request,
        Response,
        Route,
        WebSocketRoute,
    )

INSTALL_HINT = (
    "install Chromium: `playwright install chromium`, or your system's chromium package; "
    "or set FACEAUDIT_CHROMIUM=/path"
)
SYSTEM_CANDIDATES = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser", "google-chrome")
PROXY_NAME = "proxy.faceaudit.invalid"  # mapped to the local proxy by --host-resolver-rules
VIEWPORT = {"width": 1280, "height": 900}
PASSED_TYPES = frozenset({"document", "script", "stylesheet", "xhr", "fetch"})
HARVESTED_TYPES = frozenset({"image", "media", "font"})  # aborted; image URLs noted
_LOGIN_PATH = re.compile(
    r"/(?:accounts/login|login|log-in|signin|sign-in|sign_in|authwall|challenge|checkpoint)(?:[/.?]|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class BrowserInfo:
    path: str
    source: str  # "FACEAUDIT_CHROMIUM", "playwright" or "system"


@dataclass(frozen=True)
class HarvestedImage:
    url: str
    found_by: str  # og:image, twitter:image, link:image_src, json-ld, img, img:srcset, ...
    alt: str = ""


@dataclass
class PageHarvest:
    """What one logged-out visit to one page showed."""

    final_url: str  # the page that was read (the URL asked for, when none was)
    status: int  # HTTP status of the last main-frame response; 0 if none arrived
    title: str = ""
    images: list[HarvestedImage] = field(default_factory=list)
    robots_meta: str = ""  # <meta name=robots> contents, joined with ", "
    x_robots_tag: str = ""
    blocked: list[str] = field(default_factory=list)  # URLs refused by the policy or the scope
    login_wall: bool = False
    redirected_to: str = ""  # set when the page sent us outside the account and was not read
    scroll_capped: bool = False  # the page still grew when max_scrolls ran out


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
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _playwright_chromium() -> str | None:
    """The newest Chromium that `playwright install chromium` left in its cache, if any."""
    root_env = os.environ.get("PLAYWRIGHT_BROWSERS_PATH", "")
    if root_env == "0":
        import importlib.util

        spec = importlib.util.find_spec("playwright")
        if spec is None or not spec.submodule_search_locations:
            return None
        root = Path(list(spec.submodule_search_locations)[0]) / "driver" / "package" / ".local-browsers"
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


def spki_hashes(pem_path: Path) -> list[str]:
    """Base64 SHA-256 of each certificate's SubjectPublicKeyInfo, as Chromium's SPKI list wants."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        certs = x509.load_pem_x509_certificates(Path(pem_path).read_bytes())
    except (OSError, ValueError) as exc:
        raise NetworkError(f"cannot read the certificate {pem_path}: {exc}", "give a PEM file.") from exc
    return [
        base64.b64encode(
            hashlib.sha256(
                cert.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            ).digest()
        ).decode()
        for cert in certs
    ]


def resolver_rules(policy: NetworkPolicy, proxy_port: int) -> str:
    """--host-resolver-rules: the proxy's name, the policy's mapped names, then nothing else.

    Every connection goes through the proxy, so Chromium itself never needs DNS: the final
    `MAP * ~NOTFOUND` stays even when the policy allows lookups (the proxy does them).
    """
    rules = [f"MAP {PROXY_NAME} 127.0.0.1:{proxy_port}"]
    for host, (addr, port) in policy.resolve.items():
        target = f"[{addr}]" if ":" in addr else addr
        rules.append(f"MAP {host.lower().rstrip('.')} {target}:{port}")
    rules.append("MAP * ~NOTFOUND")
    return ", ".join(rules)


def launch_args(policy: NetworkPolicy, proxy_port: int) -> list[str]:
    args = [
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--disable-breakpad",
        "--no-first-run",
        "--no-default-browser-check",
        "--no-pings",
        "--disable-quic",
        "--disable-gpu",
        "--dns-prefetch-disable",
        "--mute-audio",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        f"--proxy-server=http://{PROXY_NAME}:{proxy_port}",
        "--proxy-bypass-list=<-loopback>",  # loopback goes through the proxy too
        f"--host-resolver-rules={resolver_rules(policy, proxy_port)}",
    ]
    if policy.ca_cert is not None:
        # Trust exactly this key (a fixture or the user's own CA), never "ignore all errors".
        args.append("--ignore-certificate-errors-spki-list=" + ",".join(spki_hashes(policy.ca_cert)))
    if _is_root():
        args.append("--no-sandbox")  # Chromium refuses to start its sandbox as root
    return args


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


class _PolicyProxy:
    """A local HTTP proxy: the only way out for Chromium, with the policy applied per connection.

    It connects only to hosts in `allowed` (the account's hosts plus what the route handler
    approved during the current visit), to the address `policy.resolve_target` gives. Outside a
    visit `allowed` is empty, so the browser's own background traffic goes nowhere.
    """

    def __init__(self, policy: NetworkPolicy) -> None:
        self.policy = policy
        self.allowed: set[str] = set()
        self.log: list[tuple[str, str]] = []  # (host:port, "ok" or why it was refused)
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._open: set[socket.socket] = set()
        threading.Thread(target=self._serve, name="faceaudit-proxy", daemon=True).start()

    def allow(self, hosts: set[str] | frozenset[str]) -> None:
        with self._lock:
            self.allowed.update(h.lower() for h in hosts)

    def allows(self, host: str) -> bool:
        with self._lock:
            return host.lower() in self.allowed

    def reset(self) -> None:
        with self._lock:
            self.allowed.clear()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() thread
        self._listener.close()
        with self._lock:
            for sock in list(self._open):
                sock.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        with self._lock:
            self._open.add(client)
        upstream: socket.socket | None = None
        try:
            client.settimeout(self.policy.timeout)
            head, rest = _read_head(client)
            method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            if method == "CONNECT":
                host, _, port_text = target.rpartition(":")
                upstream, refusal = self._connect(host.strip("[]"), int(port_text))
                if upstream is None:
                    client.sendall(refusal)
                    return
                client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                _relay(client, upstream, rest, both_ways=True)
                return
            parts = urlsplit(target)
            if parts.scheme != "http" or not parts.hostname or b"transfer-encoding" in head.lower():
                client.sendall(_reply(501))  # plain-http bodies only with Content-Length
                return
            upstream, refusal = self._connect(parts.hostname, parts.port or 80)
            if upstream is None:
                client.sendall(refusal)
                return
            upstream.sendall(_origin_form(head, parts) + rest)
            _relay(client, upstream, b"", both_ways=False)
        except (OSError, ValueError):
            return  # a broken or odd client connection: Chromium sees it fail
        finally:
            client.close()
            if upstream is not None:
                upstream.close()
            with self._lock:
                self._open.discard(client)

    def _connect(self, host: str, port: int) -> tuple[socket.socket | None, bytes]:
        """A connection to host:port where the policy says it lives, or the refusal to send."""
        host = host.lower().rstrip(".")
        target = f"{host}:{port}"
        if not self.allows(host):
            self._note(target, "not part of this visit")
            return None, _reply(403)
        try:
            address = self.policy.resolve_target(host, port)
        except OutOfScope as exc:
            self._note(target, exc.message)
            return None, _reply(403)
        try:
            upstream = socket.create_connection(address, timeout=self.policy.timeout)
        except OSError as exc:
            self._note(target, f"connection failed: {exc}")
            return None, _reply(502)
        self._note(target, "ok")
        return upstream, b""

    def _note(self, target: str, outcome: str) -> None:
        with self._lock:
            self.log.append((target, outcome))


def _reply(status: int) -> bytes:
    return f"HTTP/1.1 {status} faceaudit\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()


def _read_head(sock: socket.socket, limit: int = 64 * 1024) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk or len(data) > limit:
            raise ValueError("incomplete proxy request")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _origin_form(head: bytes, parts: Any) -> bytes:
    """Rewrite an absolute-form proxy request for the origin, one request per connection."""
    lines = head.split(b"\r\n")
    method, _, version = lines[0].split(b" ", 2)
    path = urlunsplit(("", "", parts.path or "/", parts.query, "")).encode("latin-1")
    kept = [
        line
        for line in lines[1:]
        if line.split(b":", 1)[0].strip().lower() not in (b"connection", b"proxy-connection", b"keep-alive")
    ]
    return b"\r\n".join([method + b" " + path + b" " + version, *kept, b"Connection: close", b"", b""])


def _relay(client: socket.socket, upstream: socket.socket, pending: bytes, *, both_ways: bool) -> None:
    if pending:
        upstream.sendall(pending)
    sockets = [client, upstream] if both_ways else [upstream]
    while True:
        readable, _, _ = select.select(sockets, [], [], 60)
        if not readable:
            return
        for sock in readable:
            data = sock.recv(65536)
            if not data:
                return
            (upstream if sock is client else client).sendall(data)


@dataclass
class _Visit:
    """What one harvest saw on the wire."""

    scope: AccountScope
    blocked: list[str] = field(default_factory=list)
    refused_navigations: list[str] = field(default_factory=list)  # main frame only
    network_images: list[str] = field(default_factory=list)
    status: int = 0
    x_robots_tag: str = ""

    def refuse(self, url: str, main_frame_navigation: bool) -> None:
        if len(self.blocked) >= 500:
            return  # a page can make endless attempts; the report needs the first few
        if url not in self.blocked:
            self.blocked.append(url)
        if main_frame_navigation and url not in self.refused_navigations:
            self.refused_navigations.append(url)


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
        self._proxy: _PolicyProxy | None = None
        self._visit: _Visit | None = None
        self._pages: set[Page] = set()
        self._origin_checks: dict[str, str] = {}  # scheme://netloc -> "" or why it is refused

    def __enter__(self) -> BrowserSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def proxy_log(self) -> list[tuple[str, str]]:
        """Every connection Chromium asked for, and what the proxy answered."""
        return list(self._proxy.log) if self._proxy else []

    def start(self) -> None:
        if self._context is not None:
            return
        info = self.browser_info or find_chromium()
        try:
            from playwright.sync_api import Error as PlaywrightError
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            raise BrowserUnavailable("the playwright package is not installed", "pip install playwright") from exc
        self._proxy = _PolicyProxy(self.policy)
        try:
            self._playwright = sync_playwright().start()
            self._browser = self._launch(info, sandbox=not _is_root())
            self._context = self._browser.new_context(
                accept_downloads=False,
                service_workers="block",
                viewport=VIEWPORT,  # type: ignore[arg-type]
                user_agent=self.policy.user_agent,
                locale="en-US",
            )
        except (PlaywrightError, OSError) as exc:
            self.close()
            raise BrowserUnavailable(f"could not start Chromium at {info.path}: {_first_line(exc)}", INSTALL_HINT) from exc
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
        visit = self._visit = _Visit(scope)
        self._proxy.reset()
        self._proxy.allow(scope.hosts)
        self._context.clear_cookies()
        try:
            page = self._context.new_page()
            self._pages.add(page)
            self._guard_navigations(page, visit)
            try:
                page.goto(url, wait_until="domcontentloaded", timeout=self.policy.timeout * 1000)
            except PlaywrightError as exc:
                if visit.refused_navigations:
                    return self._stopped(url, visit, page)
                raise NetworkError(f"could not load {url}: {_first_line(exc)}", "check the URL, or try again later.") from exc
            if not scope.allows(page.url):
                return self._stopped(url, visit, page)
            with contextlib.suppress(PlaywrightError):
                page.wait_for_load_state("load", timeout=3000)  # images are aborted: quick
            capped = self._scroll(page, max_scrolls)
            dom = self._read_dom(page)
            if not scope.allows(page.url):  # a refused navigation left an error page meanwhile
                return self._stopped(url, visit, page)
            return self._harvest_from(dom, page.url, visit, capped)
        except PlaywrightError as exc:  # the page or the browser went away mid-visit
            raise NetworkError(f"could not read {url}: {_first_line(exc)}", "try the scan again.") from exc
        finally:
            self._visit = None
            self._proxy.reset()
            for open_page in list(self._pages):
                with contextlib.suppress(PlaywrightError):
                    open_page.close()
            self._pages.clear()

    def _guard_navigations(self, page: Page, visit: _Visit) -> None:
        """Cancel the page's own out-of-scope navigations in the page, so its document stays.

        route() refuses them too, but a refused navigation replaces the document with an error
        page; a login redirect after a few seconds would then hide what the page had shown.
        """

        def refused(url: str) -> None:
            if isinstance(url, str) and not visit.scope.allows(url):
                visit.refuse(url[:2000], True)

        page.expose_function("__faceauditRefused", refused)
        scope = {"hosts": sorted(visit.scope.hosts), "prefixes": list(visit.scope.path_prefixes)}
        page.add_init_script(script=f"({_GUARD_JS})({json.dumps(scope)})")

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
            route.abort("blockedbyclient")
        elif kind in HARVESTED_TYPES:
            if kind == "image":
                visit.network_images.append(url)
            route.abort("blockedbyclient")
        elif (navigation and not visit.scope.allows(url)) or self._refusal(url):
            visit.refuse(url, main_frame)
            route.abort("blockedbyclient")
        elif kind not in PASSED_TYPES:
            route.abort("blockedbyclient")
        else:
            assert self._proxy is not None
            self._proxy.allow({urlsplit(url).hostname or ""})
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
            self._visit.status = response.status
            if 300 <= response.status < 400:
                return
            self._visit.x_robots_tag = response.headers.get("x-robots-tag", "")

    def _on_web_socket(self, socket_route: WebSocketRoute) -> None:
        """WebSockets bypass route(): never connect them (no images come that way)."""
        if self._visit is not None:
            self._visit.refuse(socket_route.url, False)
        socket_route.close()

    def _on_page(self, page: Page) -> None:
        self._pages.add(page)  # popups: closed with the visit, their navigations routed like any

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

    # --- what the page shows ---------------------------------------------------------------

    def _scroll(self, page: Page, max_scrolls: int) -> bool:
        """Wheel down until the page stops growing at its bottom; True if the cap cut it short."""
        last = self._evaluate(page, "document.documentElement.scrollHeight")
        stable = 0
        for _ in range(max_scrolls):
            page.mouse.wheel(0, VIEWPORT["height"])
            page.wait_for_timeout(self.scroll_wait * 1000)
            height, at_bottom = self._evaluate(
                page,
                "[document.documentElement.scrollHeight,"
                " innerHeight + scrollY >= document.documentElement.scrollHeight - 2]",
            )
            stable = stable + 1 if height == last and at_bottom else 0
            last = height
            if stable >= self.stable_rounds:
                return False
        return max_scrolls > 0 and stable == 0

    def _evaluate(self, page: Page, script: str) -> Any:
        """page.evaluate, retried when an in-scope navigation replaced the document meanwhile."""
        from playwright.sync_api import Error as PlaywrightError

        for attempt in range(3):
            try:
                return page.evaluate(script)
            except PlaywrightError as exc:
                if attempt == 2 or ("context was destroyed" not in str(exc) and "navigat" not in str(exc)):
                    raise NetworkError(f"could not read {page.url}: {_first_line(exc)}") from exc
                page.wait_for_load_state("domcontentloaded", timeout=self.policy.timeout * 1000)
        raise AssertionError("unreachable")

    def _read_dom(self, page: Page) -> dict[str, Any]:
        return dict(self._evaluate(page, _READ_DOM_JS))

    def _harvest_from(self, dom: dict[str, Any], final_url: str, visit: _Visit, capped: bool) -> PageHarvest:
        base = str(dom.get("base") or final_url)
        found = [(str(u), str(by), str(alt)) for u, by, alt in dom["share"]]
        for text in dom["jsonld"]:
            try:
                data = json.loads(text)
            except ValueError:
                continue  # a broken JSON-LD block on the page: it shows no image to anyone either
            found.extend((urljoin(base, u), "json-ld", "") for u in _jsonld_images(data))
        found.extend((str(u), str(by), str(alt)) for u, by, alt in dom["page"])
        known = {_clean(u) for u in dom["known"]} | {_clean(u) for u, _, _ in found}
        found.extend((u, "network", "") for u in visit.network_images if _clean(u) not in known)
        images: dict[str, HarvestedImage] = {}
        for raw, found_by, alt in found:
            url = _clean(raw)
            if not url:
                continue
            if url not in images:
                images[url] = HarvestedImage(url, found_by, alt)
            elif alt and not images[url].alt:
                images[url] = HarvestedImage(url, images[url].found_by, alt)
        return PageHarvest(
            final_url=final_url,
            status=visit.status,
            title=str(dom.get("title") or ""),
            images=list(images.values()),
            robots_meta=str(dom.get("robots") or ""),
            x_robots_tag=visit.x_robots_tag,
            blocked=list(visit.blocked),
            login_wall=bool(dom.get("password")) or _login_path([*visit.refused_navigations, final_url]),
            scroll_capped=capped,
        )

    def _stopped(self, url: str, visit: _Visit, page: Page) -> PageHarvest:
        """The account page sent us elsewhere instead of showing itself: say where, read nothing.

        Either a refused navigation left an error page, or a redirect hop within the account's
        host left its paths (Playwright cannot stop those; the page it reached is not read).
        """
        landed = page.url
        password = False
        if landed.startswith(("http://", "https://")):
            visit.refuse(landed, True)
            with contextlib.suppress(NetworkError):
                password = bool(self._evaluate(page, _PASSWORD_JS))
        target = visit.refused_navigations[0] if visit.refused_navigations else landed
        return PageHarvest(
            final_url=url,
            status=visit.status,
            blocked=list(visit.blocked),
            login_wall=password or _login_path([*visit.refused_navigations, landed]),
            redirected_to=target,
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _is_main_frame(request: Request) -> bool:
    from playwright.sync_api import Error as PlaywrightError

    try:
        return request.frame.parent_frame is None
    except PlaywrightError:
        return False  # a service worker's request: there are none (blocked), but be safe


def _login_path(urls: list[str]) -> bool:
    """Did the visit end up at (or get sent towards) a login, authwall or challenge page?"""
    return any(_LOGIN_PATH.search(urlsplit(u).path or "/") for u in urls)


def _clean(url: str) -> str:
    """Absolute http(s) URL without its fragment, or "" for data:, blob: and the like."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def _jsonld_images(node: Any) -> list[str]:
    """Image URLs in JSON-LD: every `image` (URL, ImageObject, list) and ImageObject, at any depth."""
    urls: list[str] = []
    if isinstance(node, list):
        for item in node:
            urls.extend(_jsonld_images(item))
    elif isinstance(node, dict):
        if _is_image_object(node):
            urls.extend(_image_object_url(node))
        for key, value in node.items():
            if key == "image":
                urls.extend(_image_refs(value))
            elif isinstance(value, (dict, list)):
                urls.extend(_jsonld_images(value))
    return urls


def _image_refs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [url for item in value for url in _image_refs(item)]
    if isinstance(value, dict):  # an untyped {"url": …} under "image" is an image too
        own = [] if _is_image_object(value) else _image_object_url(value)
        return own + _jsonld_images(value)
    return []


def _is_image_object(node: dict[str, Any]) -> bool:
    types = node.get("@type", [])
    return "ImageObject" in (types if isinstance(types, list) else [types])


def _image_object_url(node: dict[str, Any]) -> list[str]:
    for key in ("contentUrl", "url"):
        if isinstance(node.get(key), str):
            return [node[key]]
    return []


# Runs before the page's scripts: cancels its own navigations that would leave the account.
_GUARD_JS = r"""(scope) => {
  if (window !== window.top || !window.navigation) return;
  const allowed = (href) => {
    let u; try { u = new URL(href) } catch (e) { return false }
    if (!scope.hosts.includes(u.hostname.toLowerCase())) return false;
    const path = u.pathname || "/";
    return scope.prefixes.some((p) => path === p.replace(/\/+$/, "") || path.startsWith(p));
  };
  const report = window.__faceauditRefused;
  navigation.addEventListener("navigate", (event) => {
    if (event.destination.sameDocument || allowed(event.destination.url) || !event.cancelable) return;
    event.preventDefault();
    report(event.destination.url);
  });
}"""

_PASSWORD_JS = """() => Array.from(document.querySelectorAll('input[type=password]'))
    .some(e => e.getClientRects().length > 0)"""

# Read in the page: every place a logged-out visitor (or a scraper) finds an image URL.
_READ_DOM_JS = r"""() => {
  const abs = (u) => { try { return new URL(u.trim(), document.baseURI).href } catch (e) { return "" } };
  const share = [], page = [], known = [];
  const note = (u) => { const a = u ? abs(u) : ""; if (a) known.push(a); return a; };
  const add = (list, u, by, alt) => { const a = note(u); if (a) list.push([a, by, alt || ""]); };
  const attr = (sel, name, by) => document.querySelectorAll(sel).forEach(
    (e) => add(share, e.getAttribute(name), by));
  attr('meta[property="og:image"], meta[property="og:image:url"], meta[property="og:image:secure_url"]',
       "content", "og:image");
  attr('meta[name="twitter:image"], meta[name="twitter:image:src"], meta[property="twitter:image"]',
       "content", "twitter:image");
  attr('link[rel~="image_src"]', "href", "link:image_src");

  const parseSrcset = (text) => {  // [[url, size]]; size is the w or x descriptor
    const out = []; let i = 0; const s = text || "";
    while (i < s.length) {
      while (i < s.length && /[\s,]/.test(s[i])) i++;
      let start = i; while (i < s.length && !/\s/.test(s[i])) i++;
      let url = s.slice(start, i), desc = "";
      if (!url) break;
      if (/,$/.test(url)) url = url.replace(/,+$/, "");
      else { start = i; while (i < s.length && s[i] !== ",") i++; desc = s.slice(start, i).trim(); }
      const m = desc.match(/(\d+(?:\.\d+)?)\s*([wx])/i);
      out.push([url, m ? parseFloat(m[1]) : 1]);
    }
    out.forEach(([u]) => note(u));
    return out;
  };
  const largest = (cands) => cands.reduce((best, c) => (!best || c[1] >= best[1] ? c : best), null);

  document.querySelectorAll("img").forEach((img) => {
    const alt = img.getAttribute("alt") || "";
    const srcset = largest(parseSrcset(img.getAttribute("srcset")));
    const dataSrcset = largest(parseSrcset(img.getAttribute("data-srcset")));
    const dataSrc = img.getAttribute("data-src") || img.getAttribute("data-lazy-src") || "";
    note(img.currentSrc); note(img.getAttribute("src")); note(dataSrc);
    const realSrc = (u) => u && !/^data:/i.test(u);
    if (srcset) add(page, srcset[0], "img:srcset", alt);
    else if (dataSrcset) add(page, dataSrcset[0], "img:data-srcset", alt);
    else if (dataSrc) add(page, dataSrc, "img:data-src", alt);
    else if (realSrc(img.currentSrc)) add(page, img.currentSrc, "img", alt);
    else if (realSrc(img.getAttribute("src"))) add(page, img.getAttribute("src"), "img", alt);
  });
  document.querySelectorAll("picture").forEach((pic) => {
    const img = pic.querySelector("img");
    const alt = img ? img.getAttribute("alt") || "" : "";
    const imgShows = img && (img.getAttribute("src") || img.getAttribute("srcset") || img.getAttribute("data-src"));
    pic.querySelectorAll("source").forEach((source) => {
      const best = largest(parseSrcset(source.getAttribute("srcset") || source.getAttribute("data-srcset")));
      // A source with only a `type` is the same picture in another format: skip it when the
      // <img> already gave a URL. A `media` source is another crop (art direction): keep it.
      const formatOnly = source.hasAttribute("type") && !source.hasAttribute("media");
      if (best && (!formatOnly || !imgShows)) add(page, best[0], "picture:source", alt);
    });
  });
  document.querySelectorAll("video[poster]").forEach((v) => add(page, v.getAttribute("poster"), "video:poster"));

  const all = document.querySelectorAll("*");
  for (let n = 0; n < all.length && n < 20000; n++) {
    for (const pseudo of [null, "::before", "::after"]) {
      const bg = getComputedStyle(all[n], pseudo).backgroundImage;
      if (!bg || bg === "none") continue;
      for (const m of bg.matchAll(/url\(\s*(['"]?)(.*?)\1\s*\)/g)) add(page, m[2], "css:background");
    }
  }
  const robots = Array.from(document.querySelectorAll("meta[name]"))
    .filter((m) => m.getAttribute("name").toLowerCase() === "robots")
    .map((m) => m.getAttribute("content") || "").join(", ");
  return {
    share, page, known, robots,
    jsonld: Array.from(document.querySelectorAll('script[type="application/ld+json"]')).map((s) => s.textContent),
    title: document.title, base: document.baseURI,
    password: Array.from(document.querySelectorAll("input[type=password]")).some((e) => e.getClientRects().length > 0),
  };
}"""


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
