"""A network failure reads as a sentence a person understands ("could not find mastodon.social
(no network or DNS)"), never as `[Errno -2] Name or service not known`, and the same cause gives
the same words and the same account outcome whether httpx or Chromium met it."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError

from faceaudit.crawl.browser import BrowserSession
from faceaudit.crawl.failures import Cause, classify, explain
from faceaudit.crawl.net import NetClient, NetworkPolicy
from faceaudit.demo.fixture import build_demo_fixture
from faceaudit.demo.server import FixtureServer
from faceaudit.errors import NetworkError, OutOfScope, UsageError
from faceaudit.report.load import load_report
from faceaudit.workspace import Workspace
from tests.support import faceaudit, run_ok

NAME_NOT_KNOWN = socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def silent_server(*, hang_up: bool) -> Iterator[int]:
    """A port that accepts connections and never answers (`hang_up`: closes each one at once)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        held: list[socket.socket] = []
        stop = threading.Event()

        def serve() -> None:
            listener.settimeout(0.1)
            while not stop.is_set():
                try:
                    client, _ = listener.accept()
                except OSError:
                    continue
                if hang_up:
                    client.close()
                else:
                    held.append(client)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            yield int(listener.getsockname()[1])
        finally:
            stop.set()
            thread.join()
            for client in held:
                client.close()


def httpx_error(url: str, timeout: float = 5.0) -> httpx.TransportError:
    """What httpx itself raises for `url`: the real exception, with the socket's error inside."""
    with pytest.raises(httpx.TransportError) as caught:
        httpx.get(url, timeout=timeout, trust_env=False)
    return caught.value


# -- the classification, with the exceptions httpx and the socket really raise ----------------------
def test_a_name_lookup_failure_inside_httpx_is_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: Any, **kwargs: Any) -> Any:
        raise NAME_NOT_KNOWN

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    error = httpx_error("http://mastodon.social/")
    assert isinstance(error, httpx.ConnectError) and "[Errno" in str(error)  # what the user must not see
    assert classify(error) == (Cause.NOT_FOUND, "")
    assert explain(Cause.NOT_FOUND, "mastodon.social") == (
        "could not find mastodon.social (no network or DNS)", "check the address, and that this computer is online.")


def test_a_closed_port_is_refused() -> None:
    error = httpx_error(f"http://127.0.0.1:{closed_port()}/")
    assert isinstance(error, httpx.ConnectError)
    assert classify(error) == (Cause.REFUSED, "")
    assert explain(Cause.REFUSED, "mastodon.social")[0] == "mastodon.social refused the connection"


def test_a_server_that_never_answers_is_a_timeout() -> None:
    with silent_server(hang_up=False) as port:
        error = httpx_error(f"http://127.0.0.1:{port}/", timeout=0.3)
    assert isinstance(error, httpx.ReadTimeout)
    assert classify(error) == (Cause.TIMEOUT, "")
    assert explain(Cause.TIMEOUT, "mastodon.social", "20 s")[0] == "mastodon.social did not answer within 20 s"


def test_a_server_that_hangs_up_is_a_reset() -> None:
    with silent_server(hang_up=True) as port:
        error = httpx_error(f"http://127.0.0.1:{port}/")
    assert classify(error)[0] is Cause.RESET
    assert explain(Cause.RESET, "h.example")[0] == "h.example closed the connection before answering"


def test_an_unknown_certificate_says_what_is_wrong_with_it() -> None:
    with FixtureServer(build_demo_fixture().sites) as server:
        error = httpx_error(f"https://127.0.0.1:{server.port}/")
    cause, detail = classify(error)
    assert cause is Cause.CERTIFICATE and detail and "Errno" not in detail
    sentence, hint = explain(cause, "me.example.org", detail)
    assert sentence == f"the certificate of me.example.org is not trusted ({detail})"
    assert "--ca-cert" in hint


@pytest.mark.parametrize(("chromium", "cause"), [
    ("net::ERR_NAME_NOT_RESOLVED at https://mastodon.social/", Cause.NOT_FOUND),
    ("net::ERR_CONNECTION_REFUSED at https://mastodon.social/", Cause.REFUSED),
    ("net::ERR_ADDRESS_UNREACHABLE at https://mastodon.social/", Cause.UNREACHABLE),
    ("Timeout 20000ms exceeded.", Cause.TIMEOUT),
    ("net::ERR_TIMED_OUT at https://mastodon.social/", Cause.TIMEOUT),
    ("net::ERR_CERT_AUTHORITY_INVALID at https://mastodon.social/", Cause.CERTIFICATE),
    ("net::ERR_SSL_PROTOCOL_ERROR at https://mastodon.social/", Cause.TLS),
    ("net::ERR_CONNECTION_RESET at https://mastodon.social/", Cause.RESET),
    ("net::ERR_EMPTY_RESPONSE at https://mastodon.social/", Cause.RESET),
    ("net::ERR_TOO_MANY_REDIRECTS at https://mastodon.social/", Cause.REDIRECTS),
    ("connection failed: [Errno 111] Connection refused", Cause.REFUSED),  # the browser proxy's log
    ("connection failed: [WinError 10061] No connection could be made because the target machine actively refused it",
     Cause.REFUSED),
    ("connection failed: timed out", Cause.TIMEOUT),
])
def test_chromium_and_the_proxy_name_the_same_causes(chromium: str, cause: Cause) -> None:
    found, detail = classify(chromium)
    assert found is cause
    sentence, hint = explain(found, "mastodon.social", detail)
    assert "mastodon.social" in sentence and hint
    assert "ERR_" not in sentence and "Errno" not in sentence and "ms exceeded" not in sentence


def test_chromium_names_the_certificate_problem() -> None:
    assert classify("net::ERR_CERT_DATE_INVALID at https://x/") == (Cause.CERTIFICATE, "expired, or not valid yet")
    assert classify("net::ERR_CERT_AUTHORITY_INVALID") == (Cause.CERTIFICATE, "issued by an unknown authority")


def test_an_unknown_failure_keeps_its_words_without_the_errno() -> None:
    cause, detail = classify(OSError(98, "Address already in use"))
    assert (cause, detail) == (Cause.OTHER, "Address already in use")
    assert explain(cause, "h.example", detail)[0] == "the connection to h.example failed: Address already in use"


# -- net.py and browser.py say the same ----------------------------------------------------------
def test_net_says_could_not_find_for_a_failed_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: Any, **kwargs: Any) -> Any:
        raise NAME_NOT_KNOWN

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with NetClient(NetworkPolicy(min_interval=0)) as net, pytest.raises(OutOfScope) as caught:
        net.get_image("https://mastodon.social/avatar.jpg")
    assert caught.value.message == "could not find mastodon.social (no network or DNS)"


def test_net_says_how_long_it_waited() -> None:
    with silent_server(hang_up=False) as port:
        policy = NetworkPolicy(resolve={"slow.example": ("127.0.0.1", port)}, allow_dns=False,
                               min_interval=0, retries=0, timeout=0.3)
        with NetClient(policy) as net, pytest.raises(NetworkError) as caught:
            net.get_image("http://slow.example/a.jpg")
    assert caught.value.message == "slow.example did not answer within 0.3 s"
    assert caught.value.hint == "the server is slow or unreachable; try again later."


def test_the_browser_and_net_use_the_same_sentence_for_the_same_cause() -> None:
    port = closed_port()
    policy = NetworkPolicy(resolve={"gone.example": ("127.0.0.1", port)}, allow_dns=False, min_interval=0,
                           retries=0, timeout=20)
    with NetClient(policy) as net, pytest.raises(NetworkError) as by_net:
        net.get_image(f"http://gone.example:{port}/a.jpg")
    session = BrowserSession(policy)  # never started: only its error wording is under test
    by_chromium = session._load_failure("https://gone.example/", PlaywrightError(
        "net::ERR_CONNECTION_REFUSED at https://gone.example/\n=========================== logs ==="))
    assert by_net.value.message == "gone.example refused the connection"
    assert by_chromium.message == "could not load https://gone.example/: gone.example refused the connection"
    assert by_chromium.hint == by_net.value.hint
    timeout = session._load_failure("https://gone.example/", PlaywrightError("Timeout 20000ms exceeded."))
    assert timeout.message == "could not load https://gone.example/: gone.example did not answer within 20 s"


class LoggingProxy:
    """Stands in for the browser's policy proxy: only its log is read."""

    def __init__(self, *log: tuple[str, str]) -> None:
        self.log = list(log)


def load_failure(proxy: LoggingProxy, url: str, chromium: str) -> NetworkError:
    session = BrowserSession(NetworkPolicy())  # never started: only its error wording is under test
    session._proxy = proxy  # type: ignore[assignment]
    try:
        return session._load_failure(url, PlaywrightError(chromium))
    finally:
        session._proxy = None


def test_a_failed_tunnel_says_what_the_proxy_met() -> None:
    """Chromium sees only a failed tunnel (https) or the proxy's 502 (http); the proxy knows why."""
    proxy = LoggingProxy(("gone.example:443", "connection failed: [Errno 111] Connection refused"),
                         ("other.example:443", "ok"))
    https = load_failure(proxy, "https://gone.example/", "net::ERR_TUNNEL_CONNECTION_FAILED at https://gone.example/")
    assert https.message == "could not load https://gone.example/: gone.example refused the connection"
    plain_http = load_failure(proxy, "http://gone.example/",
                              "Page.goto: net::ERR_HTTP_RESPONSE_CODE_FAILURE at http://gone.example/")
    assert plain_http.message == "could not load http://gone.example/: gone.example refused the connection"


def test_an_older_proxy_failure_is_not_the_reason() -> None:
    proxy = LoggingProxy(("gone.example:443", "connection failed: [Errno 111] Connection refused"),
                         ("gone.example:443", "ok"))  # reached on a later visit
    later = load_failure(proxy, "https://gone.example/", "net::ERR_TUNNEL_CONNECTION_FAILED at https://gone.example/")
    assert later.message == "could not load https://gone.example/: net::ERR_TUNNEL_CONNECTION_FAILED at https://gone.example/"


# -- a scan: the same outcome on a platform read over HTTP and on one read in the browser ---------
UNREACHABLE = ["https://social.unreachable.example/@alex", "https://me.unreachable.example/"]


def scan_unreachable(tmp_path: Path, *options: str) -> tuple[dict[str, tuple[str, str]], str]:
    """Enrol the demo person, list a Mastodon account and a website on hosts that cannot be
    reached, scan with `options`; ({site: (stop, detail)}, the JSON report)."""
    fixture = build_demo_fixture()
    home = tmp_path / "ws"
    run = run_ok(home)
    photo = tmp_path / fixture.reference_photos[0][0]
    photo.write_bytes(fixture.reference_photos[0][1])
    run("consent", "--accept")
    run("enroll", "--engine", "dlib", str(photo))
    for url in UNREACHABLE:
        run("accounts", "add", url)
    result = faceaudit(home, "scan", *options)
    assert result.code in (0, 10), result.err
    with Workspace.open(home) as ws:
        report = load_report(ws)
    assert report is not None
    outcomes = {account.site: (account.stop, account.stop_detail) for account in report.accounts}
    as_json = faceaudit(home, "report", "--json")
    assert as_json.code in (0, 10), as_json.err
    json.loads(as_json.out)
    return outcomes, as_json.out + result.out + result.err


def test_an_unresolvable_host_with_no_dns_ends_the_same_on_two_platforms(tmp_path: Path) -> None:
    outcomes, shown = scan_unreachable(tmp_path, "--no-dns")
    assert outcomes == {
        "mastodon": ("error", "social.unreachable.example is not mapped and name lookups are off"),
        "web": ("error", "me.unreachable.example is not mapped and name lookups are off"),
    }
    assert "[Errno" not in shown and "ERR_" not in shown


def test_a_failed_name_lookup_ends_the_same_on_two_platforms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up: list[str] = []

    def no_dns(host: str, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(host)
        raise NAME_NOT_KNOWN

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    outcomes, shown = scan_unreachable(tmp_path)
    assert outcomes == {
        "mastodon": ("error", "could not find social.unreachable.example (no network or DNS)"),
        "web": ("error", "could not find me.unreachable.example (no network or DNS)"),
    }
    assert {"social.unreachable.example", "me.unreachable.example"} <= set(looked_up)
    assert "[Errno" not in shown and "Name or service not known" not in shown


def test_a_missing_ca_cert_file_is_named_without_the_errno(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        NetClient(NetworkPolicy(ca_cert=tmp_path / "missing.pem"))
    assert caught.value.message == f"--ca-cert {tmp_path / 'missing.pem'}: cannot load it (No such file or directory)"
