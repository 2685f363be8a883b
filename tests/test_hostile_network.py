"""Hostile servers and pages, round two: a server that trickles its headers cannot hold a request
past its time cap or the scan's deadline, Ctrl-C ends a request under way at once, and a personal
site's page sends nothing but page requests to its own hosts (browser tests at the end)."""

from __future__ import annotations

import signal
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import numpy as np
import pytest
import trustme

from faceaudit.crawl import sites
from faceaudit.crawl.browser import BrowserInfo, BrowserSession
from faceaudit.crawl.net import (
    AccountScope,
    NetClient,
    NetworkPolicy,
    ScanDeadline,
    ScanStopped,
    parse_resolve,
)
from faceaudit.crawl.sites.base import CrawlContext, page_outcome
from faceaudit.demo.server import FixtureServer, Reply, Request
from faceaudit.errors import ExitCode, NetworkError
from faceaudit.types import CrawlResult, StopReason
from tests.support import trickling_server as support_trickling_server

SLOW = "slow.example"
GAP = 0.2  # seconds between two trickled bytes: far inside every read timeout used here
GIVE_UP = 12.0  # the server stops trickling after this long: a client without a cap fails late


def trickling_server(*, head: bytes, drip: bytes, tls: trustme.CA | None = None) -> AbstractContextManager[int]:
    """tests/support.py's trickling server at this file's pace (GAP, GIVE_UP), with a
    certificate for SLOW when `tls` is given."""
    context: ssl.SSLContext | None = None
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.issue_cert(SLOW).configure_cert(context)
    return support_trickling_server(head=head, drip=drip, gap=GAP, give_up=GIVE_UP, tls=context)


HEADERS_TRICKLE = (b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a")  # a header line that never ends
BODY_TRICKLE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n", b"1\r\nx\r\n")
SILENCE = (b"", b"")  # the request is read, and nothing ever answers


def slow_client(port: int, tmp_path: Path, tls: trustme.CA | None = None, **policy: object) -> NetClient:
    ca_file = None
    if tls is not None:
        ca_file = tmp_path / "ca.pem"
        tls.cert_pem.write_to_path(str(ca_file))
    options: dict[str, object] = {"resolve": {SLOW: ("127.0.0.1", port)}, "allow_dns": False,
                                  "ca_cert": ca_file, "min_interval": 0.0, "retries": 0, "timeout": 5.0}
    options.update(policy)
    return NetClient(NetworkPolicy(**options))  # type: ignore[arg-type]


def url(tls: trustme.CA | None) -> str:
    return f"{'https' if tls else 'http'}://{SLOW}/a.jpg"


@pytest.fixture(params=["http", "https"])
def tls(request: pytest.FixtureRequest) -> trustme.CA | None:
    """Plain HTTP and TLS: the time cap holds on both kinds of connection."""
    return trustme.CA() if request.param == "https" else None


# --- bug 3: the time cap and the deadline hold while headers trickle in -------------------------


def test_headers_that_trickle_in_stop_at_the_request_time_cap(tmp_path: Path, tls: trustme.CA | None) -> None:
    head, drip = HEADERS_TRICKLE
    with trickling_server(head=head, drip=drip, tls=tls) as port, \
            slow_client(port, tmp_path, tls, total_timeout=1.0) as net:
        started = time.monotonic()
        with pytest.raises(NetworkError) as caught:
            net.get_image(url(tls))
        elapsed = time.monotonic() - started
    assert elapsed < 5  # the cap is 1 s; without it the request lasts until the server gives up
    assert caught.value.message == f"{url(tls)} took longer than 1 s"
    assert caught.value.hint == "the server is very slow; try again later."


def test_a_trickling_answer_is_not_tried_again(tmp_path: Path) -> None:
    """Each try would take the whole time cap again: a trickle is reported after one."""
    head, drip = HEADERS_TRICKLE
    with trickling_server(head=head, drip=drip) as port, \
            slow_client(port, tmp_path, total_timeout=0.5, retries=2, backoff=0.01) as net:
        started = time.monotonic()
        with pytest.raises(NetworkError, match="took longer than 0.5 s"):
            net.get_page(f"http://{SLOW}/", scope=AccountScope(frozenset({SLOW})))
        assert time.monotonic() - started < 3


def test_headers_that_trickle_in_stop_at_the_scan_deadline(tmp_path: Path, tls: trustme.CA | None) -> None:
    head, drip = HEADERS_TRICKLE
    with trickling_server(head=head, drip=drip, tls=tls) as port, \
            slow_client(port, tmp_path, tls, deadline=1.0) as net:  # the 120 s time cap is no help
        started = time.monotonic()
        with pytest.raises(ScanDeadline) as caught:
            net.get_image(url(tls))
        elapsed = time.monotonic() - started
    assert elapsed < 5
    assert caught.value.message == "the scan reached its deadline of 1 s (--deadline)"
    assert caught.value.exit_code == ExitCode.INTERRUPTED  # resumable, as for any deadline


def test_a_body_that_trickles_in_stops_at_the_scan_deadline(tmp_path: Path) -> None:
    head, drip = BODY_TRICKLE
    with trickling_server(head=head, drip=drip) as port, slow_client(port, tmp_path, deadline=1.0) as net:
        started = time.monotonic()
        with pytest.raises(ScanDeadline):
            net.get_image(url(None))
        assert time.monotonic() - started < 5


def test_a_long_retry_after_is_not_waited_past_the_scan_deadline(tmp_path: Path) -> None:
    """A 429 may ask for up to a minute (max_rate_wait): the deadline comes first."""
    head = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Length: 0\r\n\r\n"
    with trickling_server(head=head, drip=b"") as port, \
            slow_client(port, tmp_path, deadline=1.0, retries=2) as net:
        started = time.monotonic()
        with pytest.raises(ScanDeadline):
            net.get_image(url(None))
        assert time.monotonic() - started < 5


@contextmanager
def unanswered_connections() -> Iterator[int]:
    """A port whose connections are never accepted and whose queue is full: a new connection
    attempt waits, as one to a host that drops packets does (Linux drops the SYN)."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = int(listener.getsockname()[1])
    queued = [socket.create_connection(("127.0.0.1", port), timeout=1)]
    try:
        yield port
    finally:
        for sock in queued:
            sock.close()
        listener.close()


def connection_hangs(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.3)
        try:
            probe.connect(("127.0.0.1", port))
        except TimeoutError:
            return True
        return False


def test_a_connection_that_is_never_accepted_stops_at_the_request_time_cap(tmp_path: Path) -> None:
    with unanswered_connections() as port:
        if not connection_hangs(port):
            pytest.skip("this system answers connections to a full queue at once")
        with slow_client(port, tmp_path, timeout=20.0, total_timeout=1.0) as net:
            started = time.monotonic()
            with pytest.raises(NetworkError, match="took longer than 1 s"):
                net.get_image(url(None))
            assert time.monotonic() - started < 5


# --- bug 3: Ctrl-C ends a request under way within about a second ---------------------------------


CONNECT = (b"-", b"")  # not an answer: the connection itself is never accepted (unanswered_connections)


@pytest.mark.parametrize("answer", [HEADERS_TRICKLE, BODY_TRICKLE, SILENCE, CONNECT],
                         ids=["headers", "body", "silence", "connect"])
def test_the_scan_stop_event_ends_a_request_under_way_within_a_second(answer: tuple[bytes, bytes]) -> None:
    """The crawler runs in a thread: Ctrl-C reaches the main thread, which sets the stop event.
    A read that waits out its timeout (20 s here) would keep the scan from ending for as long."""
    head, drip = answer
    stop = threading.Event()
    set_at: list[float] = []

    def press_ctrl_c() -> None:
        set_at.append(time.monotonic())
        stop.set()

    server = unanswered_connections() if answer is CONNECT else trickling_server(head=head, drip=drip)
    with server as port:
        if answer is CONNECT and not connection_hangs(port):
            pytest.skip("this system answers connections to a full queue at once")
        policy = NetworkPolicy(resolve={SLOW: ("127.0.0.1", port)}, allow_dns=False, min_interval=0.0,
                               retries=0, timeout=20.0)
        with NetClient(policy, stop=stop) as net:
            threading.Timer(0.5, press_ctrl_c).start()
            with pytest.raises(ScanStopped) as caught:
                net.get_image(url(None))
            ended = time.monotonic()
    assert ended - set_at[0] < 1.0
    assert caught.value.exit_code == ExitCode.INTERRUPTED
    assert "faceaudit scan" in caught.value.hint


def test_the_stop_event_cuts_a_wait_between_requests_short(tmp_path: Path) -> None:
    """A 429's Retry-After of 30 s (within max_rate_wait) is waited out, unless the scan stops."""
    head = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Length: 0\r\n\r\n"
    stop = threading.Event()
    with trickling_server(head=head, drip=b"") as port:
        policy = NetworkPolicy(resolve={SLOW: ("127.0.0.1", port)}, allow_dns=False, min_interval=0.0,
                               retries=2)
        with NetClient(policy, stop=stop) as net:
            threading.Timer(0.5, stop.set).start()
            started = time.monotonic()
            with pytest.raises(ScanStopped):
                net.get_image(url(None))
            assert time.monotonic() - started < 2


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs POSIX signals")
def test_a_signal_ends_a_read_in_the_main_thread_at_once(tmp_path: Path) -> None:
    """A model download reads in the main thread: Ctrl-C (a signal) interrupts a read there, and
    its exception comes out at once, not after the read timeout. The reads in ticks keep it so."""

    class CtrlC(Exception):
        pass

    def handler(_signum: int, _frame: object) -> None:
        raise CtrlC

    head, drip = SILENCE
    previous = signal.signal(signal.SIGUSR1, handler)
    try:
        with trickling_server(head=head, drip=drip) as port, slow_client(port, tmp_path, timeout=20.0) as net:
            main = threading.get_ident()
            timer = threading.Timer(0.5, lambda: signal.pthread_kill(main, signal.SIGUSR1))
            timer.start()
            started = time.monotonic()
            with pytest.raises(CtrlC):
                net.get_image(url(None))
            assert time.monotonic() - started < 2
            timer.join()
    finally:
        signal.signal(signal.SIGUSR1, previous)



def test_ctrl_c_during_a_scan_ends_it_within_seconds_while_a_server_trickles(tmp_path: Path) -> None:
    """The whole path: Ctrl-C reaches the scan's main thread while the crawler thread waits on a
    trickling server; the scan ends (interrupted, resumable) without waiting for that request."""
    from faceaudit import consent
    from faceaudit.compare.engines.dlib_engine import DlibEngine
    from faceaudit.compare.matcher import Matcher
    from faceaudit.scan import ScanOptions, run_scan
    from faceaudit.workspace import Workspace

    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    head, drip = HEADERS_TRICKLE
    armed, pressed = threading.Event(), []

    def ctrl_c(_signum: int, _frame: object) -> None:
        if armed.is_set():  # only while the scan runs: never into the rest of the test session
            pressed.append(time.monotonic())
            raise KeyboardInterrupt

    def press() -> None:
        signal.pthread_kill(main, signal.SIGINT)

    main = threading.get_ident()
    timer = threading.Timer(1.0, press)
    previous = signal.signal(signal.SIGINT, ctrl_c)
    engine = DlibEngine()
    try:
        with trickling_server(head=head, drip=drip, tls=ca) as port, Workspace.open(tmp_path / "home") as ws:
            consent.accept(ws, "--accept")
            ws.add_account(f"https://{SLOW}/@alex", "mastodon")
            policy = NetworkPolicy(resolve={SLOW: ("127.0.0.1", port)}, allow_dns=False, ca_cert=ca_file,
                                   min_interval=0.0, retries=0, timeout=20.0)
            matcher = Matcher([np.full(128, 128 ** -0.5, dtype=np.float32)], engine.thresholds)  # never used
            armed.set()
            timer.start()
            with pytest.raises(KeyboardInterrupt):
                run_scan(ws, engine, matcher, ScanOptions(policy=policy, workers=1))
            armed.clear()
            ended = time.monotonic()
            timer.join()
            assert ws.latest_scan()["status"] == "interrupted"
    finally:
        armed.clear()
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert pressed and ended - pressed[0] < 3  # it waited for the crawler up to 30 s before


# --- bug 4: a page sends its own hosts what a browser needs, other hosts at most image requests ---

ME = "https://me.example.org"
THIRD = "third.example.net"  # another host the page's code talks to
CDN = "cdn.example.net"  # where the page's photo is
SCOPE = AccountScope(frozenset({"me.example.org"}), ("/ada/",))

# Every kind of request a page can make to another host, besides its photo on the CDN.
TALKATIVE_PAGE = f"""<!doctype html><html><head><title>Ada</title>
<link rel="stylesheet" href="https://{THIRD}/style.css">
<link rel="stylesheet" href="/ada/own.css">
<style>@font-face {{ font-family: F; src: url("https://{THIRD}/font.woff2"); }} body {{ font-family: F; }}</style>
<script src="https://{THIRD}/lib.js"></script>
<script src="/ada/own.js"></script>
</head><body>
<img src="https://{CDN}/ada.jpg" alt="Ada">
<iframe src="https://{THIRD}/frame"></iframe>
<script>
  fetch("https://{THIRD}/api?leak=1").catch(() => {{}});
  fetch("https://{THIRD}/post", {{method: "POST", body: "x", mode: "no-cors"}}).catch(() => {{}});
  const xhr = new XMLHttpRequest(); xhr.open("GET", "https://{THIRD}/xhr"); xhr.send();
  navigator.sendBeacon("https://{THIRD}/beacon", "x");
  try {{ new WebSocket("wss://{THIRD}/socket"); }} catch (e) {{}}
  try {{ new EventSource("https://{THIRD}/events"); }} catch (e) {{}}
  fetch("/ada/own-api").catch(() => {{}});
</script>
</body></html>"""

# A page that, once shown, has its own script go to a page of the account that does not exist.
WANDERING_PAGE = """<!doctype html><title>Ada</title><img src="/img/ada.jpg" alt="Ada">
<script>setTimeout(() => { location.href = "missing"; }, 200);</script>"""


def me_site(request: Request) -> Reply:
    pages = {"/ada/": TALKATIVE_PAGE, "/ada/wanders/": WANDERING_PAGE}
    if request.path in pages:
        return Reply(200, pages[request.path].encode())
    if request.path == "/ada/own.js":
        return Reply(200, b"window.own = true;", "text/javascript")
    if request.path == "/ada/own.css":
        return Reply(200, b"body { margin: 0 }", "text/css")
    if request.path == "/ada/own-api":
        return Reply(200, b"{}", "application/json")
    if request.path.startswith("/img/"):
        return Reply(200, b"\xff\xd8\xff not really a jpeg", "image/jpeg")
    return Reply(404, b"<title>not here</title>")


def anything(request: Request) -> Reply:
    """The other hosts answer everything: a request that reaches them is logged, and succeeds."""
    if request.path.endswith(".jpg"):
        return Reply(200, b"\xff\xd8\xff not really a jpeg", "image/jpeg")
    return Reply(200, b"window.leaked = true;", "text/javascript")


@pytest.fixture(scope="module")
def server() -> Iterator[FixtureServer]:
    with FixtureServer({"me.example.org": me_site, THIRD: anything, CDN: anything}) as fixture:
        yield fixture


@pytest.fixture(scope="module")
def policy(server: FixtureServer) -> NetworkPolicy:
    assert server.certificate is not None
    return NetworkPolicy(resolve=parse_resolve(server.resolve_args()), allow_dns=False,
                         ca_cert=server.certificate.cert_pem, timeout=15, min_interval=0.0)


@pytest.fixture(scope="module")
def session(chromium: BrowserInfo, policy: NetworkPolicy) -> Iterator[BrowserSession]:
    with BrowserSession(policy, browser=chromium, scroll_wait=0.25) as browser:
        yield browser


def reached(server: FixtureServer, host: str) -> list[str]:
    return [path for logged, path in server.log if logged == host]


@pytest.mark.browser
def test_a_page_sends_other_hosts_no_script_style_font_frame_data_or_beacon(
    session: BrowserSession, server: FixtureServer,
) -> None:
    server.log.clear()
    page = session.harvest(f"{ME}/ada/", scope=SCOPE)

    assert reached(server, THIRD) == []
    # Nor any connection at all (a POST, a beacon or a WebSocket would need one): the proxy,
    # the browser's only way out, never opened one to that host.
    assert session._proxy is not None
    assert not [target for target, outcome in session._proxy.log if target.startswith(THIRD) and outcome == "ok"]
    # The page's own host got what the page needed to show itself.
    assert sorted(reached(server, "me.example.org")) == ["/ada/", "/ada/own-api", "/ada/own.css", "/ada/own.js"]
    # The photo on the CDN is found (the browser downloads no image: net.py fetches it later).
    assert f"https://{CDN}/ada.jpg" in [image.url for image in page.images]
    assert reached(server, CDN) == []
    for path in ("lib.js", "style.css", "api?leak=1", "xhr", "frame"):
        assert f"https://{THIRD}/{path}" in page.blocked
    assert any(note.startswith("the page asked other hosts for more than images, and faceaudit sent none of it: "
                               f"{THIRD} (") for note in page.refusals), page.refusals


@pytest.mark.browser
def test_a_website_scan_fetches_the_photo_from_the_cdn_and_nothing_from_the_other_host(
    session: BrowserSession, server: FixtureServer, policy: NetworkPolicy,
) -> None:
    """Through the web adapter, as a scan runs it: the photo arrives, the page's talk does not."""
    server.log.clear()
    site = sites.find(f"{ME}/ada/")
    result = CrawlResult()
    with NetClient(policy) as net:
        ctx = CrawlContext(net=net, browser=lambda: session, max_pages=1, max_scrolls=1)
        candidates = list(site.candidates(ctx, result))
        photo = next(c for c in candidates if c.url == f"https://{CDN}/ada.jpg")
        assert net.get_image(photo.url).status == 200
    assert result.stop is StopReason.END, result.detail
    assert reached(server, CDN) == ["/ada.jpg"]
    assert reached(server, THIRD) == []
    assert any(f"{THIRD} (" in note for note in result.notes)


# --- weak spot: a page whose own script goes to a missing page of the account after it loaded ----


@pytest.mark.browser
def test_a_script_that_goes_on_to_a_missing_page_does_not_make_the_page_not_found(
    session: BrowserSession, server: FixtureServer,
) -> None:
    server.log.clear()
    page = session.harvest(f"{ME}/ada/wanders/", scope=SCOPE)
    assert "/ada/wanders/missing" in reached(server, "me.example.org")  # the script did go there
    # The page first loaded is the one the outcome and its photos speak of.
    assert (page.status, page.final_url) == (200, f"{ME}/ada/wanders/")
    assert f"{ME}/img/ada.jpg" in [image.url for image in page.images]
    assert (f"after {ME}/ada/wanders/ had loaded, the page itself went on to {ME}/ada/wanders/missing (404): "
            "the page first loaded was kept as the outcome") in page.refusals
    assert page_outcome(page) == (StopReason.END, "")


@pytest.mark.browser
def test_a_website_whose_page_wanders_to_a_404_keeps_its_outcome_and_its_photo(
    session: BrowserSession, policy: NetworkPolicy,
) -> None:
    site = sites.find(f"{ME}/ada/wanders/")  # the account is /ada/wanders/: the 404 is inside it
    result = CrawlResult()
    with NetClient(policy) as net:
        ctx = CrawlContext(net=net, browser=lambda: session, max_pages=1, max_scrolls=2)
        candidates = list(site.candidates(ctx, result))
    assert result.stop is StopReason.END, result.detail
    assert [(c.url, c.page_url) for c in candidates] == [(f"{ME}/img/ada.jpg", f"{ME}/ada/wanders/")]
    assert any("went on to" in note and "(404)" in note for note in result.notes)


@pytest.mark.browser
def test_a_page_that_is_missing_from_the_start_is_still_not_found(session: BrowserSession) -> None:
    page = session.harvest(f"{ME}/ada/never-was", scope=SCOPE)
    assert page.status == 404
    assert page_outcome(page)[0] is StopReason.NOT_FOUND
