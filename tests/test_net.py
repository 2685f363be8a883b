"""The network choke point: real TLS to a local fixture server, hostile redirects, caps, retries, policy."""

from __future__ import annotations

import gzip
import ipaddress
import json
import posixpath
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import unquote, urlsplit

import httpx
import pytest
import trustme
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from faceaudit.crawl.net import (
    AccountScope,
    NetClient,
    NetResponse,
    NetworkPolicy,
    RequestCap,
    ScanDeadline,
    parse_duration,
    parse_resolve,
)
from faceaudit.demo.server import FixtureServer, Handler, Reply, Request
from faceaudit.errors import NetworkError, OutOfScope, UsageError
from faceaudit.types import CrawlCost, Validators
from tests.support import trickling_server

ALEX = AccountScope(frozenset({"social.example"}), ("/@alex/",))
property_settings = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)


@pytest.fixture(autouse=True)
def no_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Any name lookup fails the test: mapped names must never reach DNS."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            ipaddress.ip_address(str(host).strip("[]"))
        except ValueError:
            asked.append(str(host))
            raise AssertionError(f"DNS lookup for {host!r}") from None
        return real(host, *args, **kwargs)  # numeric: the socket layer, not DNS

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    yield asked
    assert asked == []


class Sleeps(list[float]):
    """A stand-in for time.sleep that remembers how long it was asked to wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def routes(table: dict[str, Reply | Handler]) -> Handler:
    def handle(request: Request) -> Reply:
        answer = table.get(request.path, Reply(404, b"not here", "text/plain"))
        return answer(request) if callable(answer) else answer

    return handle


HOSTS = ("social.example", "cdn.example")


@pytest.fixture(scope="module")
def fixture_server() -> Iterator[FixtureServer]:
    """One TLS server for the module (starting and stopping one costs half a second)."""
    with FixtureServer(dict.fromkeys(HOSTS, routes({}))) as server:
        yield server


Serve = Callable[..., AbstractContextManager[tuple[FixtureServer, NetClient, Sleeps]]]


@pytest.fixture
def serve(fixture_server: FixtureServer) -> Serve:
    """`with serve({host: handler}, **policy) as (server, net, sleeps)`: fresh routes, log and client."""

    @contextmanager
    def serving(sites: dict[str, Handler], **policy: Any) -> Iterator[tuple[FixtureServer, NetClient, Sleeps]]:
        server = fixture_server
        assert server.certificate is not None and set(sites) <= set(HOSTS)
        server.sites.update({host: sites.get(host, routes({})) for host in HOSTS})
        server.log.clear()
        options: dict[str, Any] = {
            "resolve": parse_resolve(server.resolve_args()),
            "allow_dns": False,
            "ca_cert": server.certificate.cert_pem,
            "min_interval": 0.0,
            "backoff": 0.01,
            **policy,
        }
        sleeps = Sleeps()
        with NetClient(NetworkPolicy(**options), sleep=sleeps) as net:
            yield server, net, sleeps

    return serving


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, b"", "text/plain", {"Location": location})


def paths(server: FixtureServer) -> list[str]:
    return [path for _host, path in server.log]


# --- TLS, name mapping, no DNS ------------------------------------------------------------------


@contextmanager
def sni_server(tmp_path: Path) -> Iterator[tuple[int, Path, list[str | None]]]:
    """An HTTPS server (trustme CA) that records the SNI name of each handshake and echoes Host."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("social.example").configure_cert(context)
    names: list[str | None] = []
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment,misc]

    class Echo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"host": self.headers.get("Host")}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    try:
        yield int(server.server_address[1]), ca_file, names
    finally:
        server.shutdown()
        server.server_close()


def test_mapped_host_is_reached_over_tls_with_its_own_name_as_sni_and_host(tmp_path: Path) -> None:
    with sni_server(tmp_path) as (port, ca_file, names):
        policy = NetworkPolicy(resolve={"social.example": ("127.0.0.1", port)}, allow_dns=False,
                               ca_cert=ca_file, min_interval=0)
        with NetClient(policy) as net:
            response = net.get_json("https://social.example/@alex/", scope=ALEX)
    assert response.status == 200
    assert response.json() == {"host": "social.example"}
    assert names == ["social.example"]


def test_a_certificate_for_another_name_is_not_trusted(tmp_path: Path) -> None:
    with sni_server(tmp_path) as (port, ca_file, _names):
        policy = NetworkPolicy(resolve={"other.example": ("127.0.0.1", port)}, allow_dns=False,
                               ca_cert=ca_file, min_interval=0, retries=0)
        with NetClient(policy) as net, pytest.raises(NetworkError, match="not trusted"):
            net.get_image("https://other.example/a.jpg")


def test_without_ca_cert_the_fixture_certificate_is_refused_and_the_hint_says_so(serve: Serve) -> None:
    with serve({"social.example": routes({"/@alex/": Reply(200, b"hi")})}, ca_cert=None) as (_s, net, sleeps):
        with pytest.raises(NetworkError) as caught:
            net.get_page("https://social.example/@alex/", scope=ALEX)
    assert "--ca-cert" in caught.value.hint
    assert sleeps == []  # a certificate problem is not retried


def test_an_unmapped_host_is_refused_without_a_name_lookup(serve: Serve, no_dns: list[str]) -> None:
    scope = AccountScope(frozenset({"unmapped.example"}))
    with serve({"social.example": routes({})}) as (server, net, _sleeps):
        with pytest.raises(OutOfScope, match="not mapped"):
            net.get_page("https://unmapped.example/", scope=scope)
        with pytest.raises(OutOfScope, match="not mapped"):
            net.get_image("https://cdn.unmapped.example/a.jpg")
    assert server.log == []
    assert no_dns == []


def test_dns_is_asked_once_per_host_and_the_checked_address_is_the_one_connected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A rebinding name (public first, 127.0.0.1 next) cannot slip between check and connect."""
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])
    asked: list[str] = []
    connected: list[tuple[str, int]] = []

    def rebinding(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    def connect(self: Any, address: tuple[str, int]) -> Any:
        connected.append(address)
        raise OSError("no network in tests")

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(socket.socket, "connect", connect)  # the lowest layer: no connection is made
    sleeps = Sleeps()
    with NetClient(NetworkPolicy(min_interval=0, retries=1, backoff=0), sleep=sleeps) as net:
        with pytest.raises(NetworkError, match=r"could not connect to cdn.example: no network in tests \(2 attempts\)"):
            net.get_image("https://cdn.example/a.jpg")
    assert asked == ["cdn.example"]
    assert connected == [("93.184.216.34", 443), ("93.184.216.34", 443)]


def test_a_name_that_resolves_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
    ])
    with NetClient(NetworkPolicy(min_interval=0)) as net, pytest.raises(OutOfScope, match="10.0.0.5"):
        net.get_image("https://intranet.example/a.jpg")


# --- redirects and refused URLs --------------------------------------------------------------------


HOSTILE = {
    "/@alex/to-loopback": redirect("http://127.0.0.1/"),
    "/@alex/to-mapped-loopback-v6": redirect("http://[::ffff:127.0.0.1]/"),
    "/@alex/to-private": redirect("http://10.0.0.7/admin"),
    "/@alex/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
    "/@alex/to-unmapped": redirect("https://elsewhere.example/@alex/"),
    "/@alex/to-other-account": redirect("/@bob/"),
    "/@alex/to-other-account-by-dots": redirect("/@alex/../@bob/"),
    "/@alex/to-cdn": redirect("https://cdn.example/p.jpg"),
    "/@alex/to-file": redirect("file:///etc/passwd"),
    "/@alex/to-credentials": redirect("https://user:secret@social.example/@alex/"),
    "/@alex/loop": redirect("/@alex/loop", 301),
}


def test_a_redirect_to_a_login_host_outside_the_account_is_refused_before_any_lookup(
    serve: Serve, no_dns: list[str]
) -> None:
    sites = {"social.example": lambda r: Reply(302, headers={"Location": "https://accounts.example.net/login?next=/"})}
    with serve(sites) as (_server, net, _sleeps), pytest.raises(OutOfScope) as refused:
        net.get_page("https://social.example/@alex/", scope=ALEX)
    assert refused.value.url == "https://accounts.example.net/login?next=/"
    assert "outside the listed account" in refused.value.message
    assert no_dns == []


@pytest.mark.parametrize("path", [p for p in HOSTILE if p not in ("/@alex/loop", "/@alex/to-cdn")])
def test_a_redirect_out_of_the_policy_or_the_account_is_refused_and_not_followed(serve: Serve, path: str) -> None:
    sites = {"social.example": routes({**HOSTILE, "/@bob/": Reply(200, b"bob")}),
             "cdn.example": routes({"/p.jpg": Reply(200, b"jpeg", "image/jpeg")})}
    with serve(sites) as (server, net, _sleeps), pytest.raises(OutOfScope):
        net.get_page(f"https://social.example{path}", scope=ALEX)
    assert paths(server) == [path]


def test_redirects_inside_the_account_are_followed_and_images_may_move_to_a_cdn(serve: Serve) -> None:
    sites = {"social.example": routes({**HOSTILE, "/@alex/old": redirect("/@alex/new", 301),
                                        "/@alex/new": Reply(200, b"<p>new</p>")}),
             "cdn.example": routes({"/p.jpg": Reply(200, b"jpeg", "image/jpeg")})}
    with serve(sites) as (server, net, _sleeps):
        page = net.get_page("https://social.example/@alex/old", scope=ALEX)
        image = net.get_image("https://social.example/@alex/to-cdn")
        with pytest.raises(OutOfScope, match="outside the listed account"):
            net.get_page("https://social.example/@alex/to-cdn", scope=ALEX)
    assert (page.status, page.url, page.text()) == (200, "https://social.example/@alex/new", "<p>new</p>")
    assert (image.status, image.url, image.body) == (200, "https://cdn.example/p.jpg", b"jpeg")
    assert ("cdn.example", "/p.jpg") in server.log


def test_a_redirect_loop_stops_at_max_redirects(serve: Serve) -> None:
    with serve({"social.example": routes(HOSTILE)}, max_redirects=3) as (server, net, _sleeps):
        with pytest.raises(NetworkError, match="redirected more than 3 times"):
            net.get_page("https://social.example/@alex/loop", scope=ALEX)
    assert len(server.log) == 4


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "data:image/png;base64,iVBORw0KGgo=",
    "ftp://social.example/@alex/",
    "https://alex:hunter2@social.example/@alex/",
    "https://token@social.example/@alex/",
    "https://social.example\\@evil.example/@alex/",
    "//social.example/@alex/",
    "https:///@alex/",
])
def test_urls_that_are_not_plain_public_http_are_refused(serve: Serve, url: str) -> None:
    with serve({"social.example": routes({"/@alex/": Reply(200, b"x")})}) as (server, net, _sleeps):
        with pytest.raises(OutOfScope):
            net.get_page(url, scope=ALEX)
        with pytest.raises(OutOfScope):
            net.get_image(url)
    assert server.log == []


def test_query_parameters_cannot_carry_a_request_out_of_scope(serve: Serve) -> None:
    scope = AccountScope(frozenset({"social.example"}), ("/api/v1/accounts/1/",))
    with serve({"social.example": routes({})}) as (server, net, _sleeps):
        with pytest.raises(OutOfScope):
            net.get_json("https://social.example/api/v1/accounts/2/statuses", scope=scope, params={"a": "b"})
    assert server.log == []


# --- caps, content checks -------------------------------------------------------------------------


def test_a_body_over_the_cap_is_refused(serve: Serve) -> None:
    sites = {"social.example": routes({"/@alex/big": Reply(200, b"x" * 5000),
                                       "/@alex/small": Reply(200, b"x" * 900)}),
             "cdn.example": routes({"/big.jpg": Reply(200, b"\xff" * 5000, "image/jpeg")})}
    with serve(sites, max_page_bytes=1000, max_image_bytes=2000) as (_server, net, _sleeps):
        assert len(net.get_page("https://social.example/@alex/small", scope=ALEX).body) == 900
        with pytest.raises(NetworkError, match="too large"):
            net.get_page("https://social.example/@alex/big", scope=ALEX)
        with pytest.raises(NetworkError, match="too large"):
            net.get_image("https://cdn.example/big.jpg")


def test_a_compressed_body_is_capped_by_its_decoded_size_while_streaming(serve: Serve) -> None:
    bomb = gzip.compress(b"\0" * 2_000_000)
    assert len(bomb) < 100_000  # the Content-Length alone would pass
    sites = {"social.example": routes({"/@alex/bomb": Reply(200, bomb, "text/html", {"Content-Encoding": "gzip"})})}
    with serve(sites, max_page_bytes=100_000) as (_server, net, _sleeps):
        with pytest.raises(NetworkError, match="too large"):
            net.get_page("https://social.example/@alex/bomb", scope=ALEX)


def raw_http_server(answer: bytes, drip: bytes = b"") -> AbstractContextManager[int]:
    """Plain HTTP on 127.0.0.1 that sends `answer`, then `drip` every 20 ms until the client leaves."""
    return trickling_server(head=answer, drip=drip)


def test_a_declared_length_over_the_cap_is_refused_before_reading_the_body() -> None:
    lie = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 1000000000\r\n\r\n"
    with raw_http_server(lie) as port:  # then silence: reading would wait for the read timeout
        policy = NetworkPolicy(resolve={"big.example": ("127.0.0.1", port)}, allow_dns=False,
                               min_interval=0, retries=0, timeout=3)
        with NetClient(policy) as net, pytest.raises(NetworkError, match="too large"):
            net.get_image("http://big.example/a.jpg")


def test_a_body_that_trickles_in_stops_at_the_total_timeout() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n"
    with raw_http_server(head, drip=b"1\r\nx\r\n") as port:  # each read is quick, the whole is endless
        policy = NetworkPolicy(resolve={"slow.example": ("127.0.0.1", port)}, allow_dns=False,
                               min_interval=0, retries=0, timeout=2, total_timeout=0.3)
        with NetClient(policy) as net, pytest.raises(NetworkError, match="took longer than 0.3 s"):
            net.get_image("http://slow.example/a.jpg")


def test_an_image_url_that_answers_with_a_web_page_is_not_an_image(serve: Serve) -> None:
    sites = {"cdn.example": routes({"/login.jpg": Reply(200, b"<html>log in</html>", "text/html"),
                                    "/gone.jpg": Reply(404, b"<html>gone</html>", "text/html"),
                                    "/raw": Reply(200, b"\x89PNG", "application/octet-stream")})}
    with serve(sites) as (_server, net, _sleeps):
        with pytest.raises(NetworkError, match="not an image"):
            net.get_image("https://cdn.example/login.jpg")
        assert net.get_image("https://cdn.example/gone.jpg").status == 404
        assert net.get_image("https://cdn.example/raw").body == b"\x89PNG"


def test_json_that_is_not_json_raises_a_readable_error(serve: Serve) -> None:
    sites = {"social.example": routes({"/@alex/": Reply(503, b"<h1>Maintenance</h1>", "text/html")})}
    with serve(sites, retries=0) as (_server, net, _sleeps):
        response = net.get_json("https://social.example/@alex/", scope=ALEX)
        with pytest.raises(NetworkError, match="answered 503 with text/html, not JSON"):
            response.json()


# --- retries, 429, pacing ------------------------------------------------------------------------


def sequence(*replies: Reply) -> Handler:
    """Answers with each reply in turn, then repeats the last."""
    queue = list(replies)
    return lambda request: queue.pop(0) if len(queue) > 1 else queue[0]


OK = Reply(200, b'{"ok": true}', "application/json")


@pytest.mark.parametrize(("headers", "expected_wait"), [
    ({"Retry-After": "3"}, 3.0),
    ({"RateLimit-Reset": "2"}, 2.0),
    ({"RateLimit-Reset": "1500000000"}, 0.0),  # Bluesky: epoch seconds (here long past): go now
    ({"X-RateLimit-Reset": "4"}, 4.0),
    ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # a date in the past: go now
])
def test_429_waits_as_asked_then_succeeds(serve: Serve, headers: dict[str, str], expected_wait: float) -> None:
    sites = {"social.example": sequence(Reply(429, b'{"error": true}', "application/json", headers), OK)}
    with serve(sites) as (server, net, sleeps):
        response = net.get_json("https://social.example/@alex/", scope=ALEX)
    assert response.status == 200
    assert sleeps == [expected_wait]
    assert len(server.log) == 2


def test_429_asking_for_a_long_wait_is_returned_to_the_adapter_at_once(serve: Serve) -> None:
    later = "2999-01-01T00:00:00.000000Z"  # Mastodon's X-RateLimit-Reset is an ISO time
    sites = {"social.example": sequence(Reply(429, b'{"error": true}', "application/json",
                                              {"X-RateLimit-Reset": later}), OK)}
    with serve(sites) as (server, net, sleeps):
        response = net.get_json("https://social.example/@alex/", scope=ALEX)
    assert response.status == 429
    assert sleeps == []
    assert len(server.log) == 1


def test_429_that_never_ends_is_returned_after_the_retries(serve: Serve) -> None:
    sites = {"social.example": sequence(Reply(429, b"", "text/plain", {"Retry-After": "1"}))}
    with serve(sites, retries=2) as (server, net, sleeps):
        assert net.get_page("https://social.example/@alex/", scope=ALEX).status == 429
    assert sleeps == [1.0, 1.0]
    assert len(server.log) == 3


def test_5xx_is_retried_with_backoff(serve: Serve) -> None:
    unavailable = Reply(503, b"busy", "text/plain")
    with serve({"social.example": sequence(unavailable, unavailable, OK)}, retries=2) as (server, net, sleeps):
        assert net.get_json("https://social.example/@alex/", scope=ALEX).status == 200
    assert sleeps == [0.01, 0.02]
    assert len(server.log) == 3
    with serve({"social.example": sequence(unavailable, unavailable, OK)}, retries=1) as (server, net, sleeps):
        assert net.get_json("https://social.example/@alex/", scope=ALEX).status == 503
    assert len(server.log) == 2


def test_connection_failures_are_retried_then_reported_with_a_hint() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    policy = NetworkPolicy(resolve={"down.example": ("127.0.0.1", port)}, allow_dns=False,
                           min_interval=0, retries=2, backoff=0.01)
    sleeps = Sleeps()
    with NetClient(policy, sleep=sleeps) as net, pytest.raises(NetworkError) as caught:
        net.get_image("https://down.example/a.jpg")
    assert caught.value.message == "down.example refused the connection (3 attempts)"
    assert caught.value.hint
    assert sleeps == [0.01, 0.02]


def test_requests_to_one_host_are_spaced_by_min_interval(serve: Serve) -> None:
    sites = {"social.example": routes({"/@alex/": OK}), "cdn.example": routes({"/a.jpg": Reply(200, b"j", "image/jpeg")})}
    with serve(sites, min_interval=5.0) as (_server, net, sleeps):
        net.get_page("https://social.example/@alex/", scope=ALEX)
        net.get_image("https://cdn.example/a.jpg")  # another host: no wait
        assert sleeps == []
        net.get_page("https://social.example/@alex/", scope=ALEX)
    assert len(sleeps) == 1 and 4.0 < sleeps[0] <= 5.0


# --- politeness limits: requests per account, a deadline per scan ----------------------------------


def test_an_account_may_make_max_requests_and_redirect_hops_and_retries_count(serve: Serve) -> None:
    sites = {
        "social.example": routes({"/@alex/": OK, "/@alex/moved": redirect("/@alex/"),
                                  "/@alex/flaky": sequence(Reply(503), OK)}),
        "cdn.example": routes({"/a.jpg": Reply(200, b"j", "image/jpeg")}),
    }
    with serve(sites, max_requests=5) as (server, net, _sleeps):
        for _ in range(10):  # before an account is started nothing is counted (e.g. a model download)
            net.get_image("https://cdn.example/a.jpg")
        net.start_account()
        net.get_page("https://social.example/@alex/moved", scope=ALEX)  # 2: the hop and the page
        net.get_page("https://social.example/@alex/flaky", scope=ALEX)  # 2: the 503 and its retry
        net.get_image("https://cdn.example/a.jpg")  # 5
        server.log.clear()
        with pytest.raises(RequestCap) as caught:
            net.get_image("https://cdn.example/a.jpg")
        assert server.log == []  # refused before it was sent
        assert "stopped after 5 requests for this account (--max-requests 5)" in caught.value.message
        assert not isinstance(caught.value, NetworkError)  # "a failed image" handlers must not swallow it
        net.start_account()  # the next account starts afresh
        net.get_image("https://cdn.example/a.jpg")


def test_past_the_deadline_no_request_is_sent_and_no_account_begins(serve: Serve) -> None:
    sites = {"cdn.example": routes({"/a.jpg": Reply(200, b"j", "image/jpeg")})}
    clock = [1000.0]
    with mock.patch("faceaudit.crawl.net.time.monotonic", lambda: clock[0]):
        with serve(sites, deadline=90.0) as (server, net, _sleeps):
            net.start_account()
            net.get_image("https://cdn.example/a.jpg")
            clock[0] += 91
            server.log.clear()
            with pytest.raises(ScanDeadline) as caught:
                net.get_image("https://cdn.example/a.jpg")
            with pytest.raises(ScanDeadline):
                net.start_account()
    assert server.log == []
    assert caught.value.message == "the scan reached its deadline of 1.5 min (--deadline)"
    assert "faceaudit scan" in caught.value.hint and "faceaudit report" in caught.value.hint
    assert caught.value.exit_code == 130  # as for an interrupted scan: resumable


def test_a_request_cap_ends_the_account_as_cap_through_any_adapter(serve: Serve) -> None:
    from faceaudit.crawl.sites.base import CrawlContext, Site
    from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason

    class Paged(Site):
        def crawl(self, ctx: CrawlContext, result: CrawlResult) -> Iterator[ImageCandidate]:
            for n in range(100):
                ctx.net.get_page("https://social.example/@alex/", scope=ALEX)
                result.pages_visited += 1
                yield ImageCandidate(f"https://cdn.example/{n}.jpg", "https://social.example/@alex/", ImageKind.POST, "t")

    sites = {"social.example": routes({"/@alex/": OK})}
    with serve(sites, max_requests=3) as (_server, net, _sleeps):
        net.start_account()
        ctx = CrawlContext(net=net, browser=lambda: None)  # type: ignore[arg-type, return-value]
        result = CrawlResult()
        found = list(Paged("https://social.example/@alex", None).candidates(ctx, result))  # type: ignore[arg-type]
    assert len(found) == 3
    assert result.stop is StopReason.CAP
    assert "(--max-requests 3)" in result.detail


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("2h", 7200), ("1.5h", 5400),
                                               ("45", 45), ("10 min", 600), ("none", None), ("OFF", None)])
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text, "--deadline") == seconds


@pytest.mark.parametrize("text", ["", "0", "-5m", "2d", "soon", "1h30m"])
def test_parse_duration_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(UsageError, match="--deadline"):
        parse_duration(text, "--deadline")


# --- logged out: no cookies, no credentials --------------------------------------------------------


def test_cookies_are_never_sent_back_and_no_credentials_are_sent(serve: Serve) -> None:
    seen: list[dict[str, str]] = []

    def record(request: Request) -> Reply:
        seen.append({k.lower(): v for k, v in request.headers.items()})
        return Reply(200, b"ok", "text/plain", {"Set-Cookie": "session=abc123; Path=/; Secure"})

    with serve({"social.example": record}, user_agent="faceaudit-test/1") as (_server, net, _sleeps):
        for _ in range(3):
            net.get_page("https://social.example/@alex/", scope=ALEX)
    assert len(seen) == 3
    for headers in seen:
        assert "cookie" not in headers
        assert "authorization" not in headers
        assert headers["user-agent"] == "faceaudit-test/1"


def test_an_adapter_may_add_a_platform_header_but_never_credentials(serve: Serve) -> None:
    seen: list[dict[str, str]] = []

    def record(request: Request) -> Reply:
        seen.append({k.lower(): v for k, v in request.headers.items()})
        return Reply(200, b"{}", "application/json")

    with serve({"social.example": record}) as (_server, net, _sleeps):
        net.get_json("https://social.example/@alex/", scope=ALEX, headers={"X-IG-App-ID": "936619743392459"})
        for name in ("Cookie", "authorization", "Host"):
            with pytest.raises(OutOfScope, match="never logs in"):
                net.get_page("https://social.example/@alex/", scope=ALEX, headers={name: "x"})
    assert len(seen) == 1 and seen[0]["x-ig-app-id"] == "936619743392459"


# --- Link header ------------------------------------------------------------------------------------


def response_with_link(link: str) -> NetResponse:
    return NetResponse("https://social.example/api/v1/accounts/1/statuses?limit=40", 200, {"link": link}, b"")


@pytest.mark.parametrize(("link", "rel", "expected"), [
    ('<https://social.example/api/v1/accounts/1/statuses?max_id=9>; rel="next", '
     '<https://social.example/api/v1/accounts/1/statuses?min_id=20>; rel="prev"',
     "next", "https://social.example/api/v1/accounts/1/statuses?max_id=9"),
    ('<https://s.example/a?max_id=9>; rel="next", <https://s.example/a?min_id=20>; rel="prev"',
     "prev", "https://s.example/a?min_id=20"),
    ("<https://s.example/a?x=1,2>; rel=next", "next", "https://s.example/a?x=1,2"),
    ('</api/v1/accounts/1/statuses?max_id=5>; rel="next"', "next",
     "https://social.example/api/v1/accounts/1/statuses?max_id=5"),
    ('<https://s.example/p2>; title="a; b, c"; rel="last next"', "next", "https://s.example/p2"),
    ('<https://s.example/p2>; REL="Next"', "next", "https://s.example/p2"),
    ('<https://s.example/p1>; rel="prev"', "next", None),
    ('<https://s.example/p1>; rel="nextpage"', "next", None),
    ("", "next", None),
    ("garbage without brackets", "next", None),
])
def test_link_header_parsing(link: str, rel: str, expected: str | None) -> None:
    assert response_with_link(link).link(rel) == expected


def test_response_text_uses_the_declared_charset() -> None:
    response = NetResponse("https://x.example/", 200, {"content-type": "text/html; charset=ISO-8859-1"}, "é".encode("latin-1"))
    assert response.text() == "é"
    assert NetResponse("https://x.example/", 200, {"content-type": "text/html; charset=nope"}, b"ok").text() == "ok"


# --- the policy, as properties ---------------------------------------------------------------------


NO_DNS = NetworkPolicy(allow_dns=False)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPATIBLE = ipaddress.ip_network("::/96")


def expected_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """The rule: global and not multicast, and an IPv6 address that carries an IPv4 address must
    carry such a one."""
    if isinstance(ip, ipaddress.IPv4Address):
        return ip.is_global and not ip.is_multicast
    carried = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
    if carried is None and (ip in _NAT64 or ip in _COMPATIBLE):
        carried = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.is_global and not ip.is_multicast and (
        carried is None or (carried.is_global and not carried.is_multicast))


def allowed(policy: NetworkPolicy, url: str) -> bool:
    try:
        policy.check_url(url)
    except OutOfScope:
        return False
    return True


@property_settings
@given(st.ip_addresses(v=4))
@example(ipaddress.IPv4Address("127.0.0.1"))
@example(ipaddress.IPv4Address("169.254.169.254"))
@example(ipaddress.IPv4Address("100.64.0.1"))
@example(ipaddress.IPv4Address("0.0.0.0"))
@example(ipaddress.IPv4Address("8.8.8.8"))
@example(ipaddress.IPv4Address("224.0.0.251"))  # multicast: Python calls parts of it global
def test_ipv4_literals_are_allowed_exactly_when_global(ip: ipaddress.IPv4Address) -> None:
    for url in (f"http://{ip}/", f"https://{ip}:8443/x?y=1"):
        assert allowed(NO_DNS, url) == expected_public(ip), url


SPECIAL_V6 = [ipaddress.ip_network(n) for n in (
    "::ffff:0:0/96", "::/96", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32", "fe80::/10",
    "fc00::/7", "::1/128", "2001:db8::/32", "ff00::/8", "2606:4700::/32", "2a00:1450::/32",
)]


@st.composite
def ipv6_addresses(draw: st.DrawFn) -> ipaddress.IPv6Address:
    if draw(st.booleans()):
        return ipaddress.IPv6Address(draw(st.integers(0, 2**128 - 1)))
    network = draw(st.sampled_from(SPECIAL_V6))
    host = draw(st.integers(0, network.num_addresses - 1))
    # Often carry a well-known IPv4 address in the low bits, where the embeddings put it.
    if draw(st.booleans()):
        v4 = draw(st.sampled_from(["127.0.0.1", "10.1.2.3", "169.254.169.254", "8.8.8.8", "1.1.1.1"]))
        host = (host & ~0xFFFFFFFF) | int(ipaddress.IPv4Address(v4))
        if network == ipaddress.ip_network("2002::/16"):  # 6to4 keeps it in bits 80..111
            host = int(ipaddress.IPv4Address(v4)) << 80
    return ipaddress.IPv6Address(int(network.network_address) + host % network.num_addresses)


@property_settings
@given(ipv6_addresses())
@example(ipaddress.IPv6Address("::ffff:127.0.0.1"))
@example(ipaddress.IPv6Address("::ffff:8.8.8.8"))
@example(ipaddress.IPv6Address("::127.0.0.1"))
@example(ipaddress.IPv6Address("64:ff9b::7f00:1"))
@example(ipaddress.IPv6Address("2002:7f00:1::"))
@example(ipaddress.IPv6Address("2002:808:808::"))
@example(ipaddress.IPv6Address("::1"))
def test_ipv6_literals_are_allowed_exactly_when_public(ip: ipaddress.IPv6Address) -> None:
    assert allowed(NO_DNS, f"http://[{ip}]/") == expected_public(ip)
    assert allowed(NO_DNS, f"https://[{ip.exploded}]:443/") == expected_public(ip)


def test_the_tricky_literals_are_decided() -> None:
    for url in ("http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[::127.0.0.1]/",
                "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:a00:1::]/", "http://[fe80::1%25eth0]/"):
        assert not allowed(NO_DNS, url), url
    assert allowed(NO_DNS, "http://[2606:4700:4700::1111]/")
    assert allowed(NO_DNS, "http://[::ffff:8.8.8.8]/")


def ipv4_spellings(n: int) -> list[str]:
    """Ways browsers and inet_aton read as the IPv4 address n, other than the canonical one."""
    a, b, c, d = (n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255
    return [
        str(n), hex(n), "0" + oct(n)[2:], f"{a}.{n & 0xFFFFFF}", f"{a}.{b}.{n & 0xFFFF}",
        f"{hex(a)}.{hex(b)}.{hex(c)}.{hex(d)}", f"0{a}.{b}.{c}.{d}", f"{a}.{b}.{c}.0{d}", f"{a}.{b}.{c}.{d}.",
    ]


@property_settings
@given(st.integers(0, 2**32 - 1))
@example(0x7F000001)
@example(0xE0000000)  # 224.0.0.0: multicast, which Python calls global
def test_non_canonical_ipv4_spellings_are_refused_without_any_lookup(n: int) -> None:
    dns = mock.Mock(side_effect=AssertionError("looked up"))
    with mock.patch.object(socket, "getaddrinfo", dns):
        for spelling in ipv4_spellings(n):
            if spelling == f"{ipaddress.IPv4Address(n)}.":  # a trailing dot is the canonical address
                assert allowed(NetworkPolicy(), f"http://{spelling}/") == expected_public(ipaddress.IPv4Address(n))
                continue
            with pytest.raises(OutOfScope):
                NetworkPolicy(allow_dns=True).check_url(f"http://{spelling}/")
    dns.assert_not_called()


def test_0x7f_1_is_refused_as_an_ambiguous_numeric_host() -> None:
    with pytest.raises(OutOfScope, match="ambiguous numeric host"):
        NetworkPolicy().check_url("http://0x7f.1/")


LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
HOSTNAME = st.lists(LABEL, min_size=1, max_size=4).map(".".join)


@given(
    host=st.one_of(HOSTNAME, HOSTNAME.map(lambda h: f"*.{h}")),
    ip=st.ip_addresses(),
    port=st.integers(1, 65535),
    bracket=st.booleans(),
    shout=st.booleans(),
)
def test_parse_resolve_round_trips(host: str, ip: Any, port: int, bracket: bool, shout: bool) -> None:
    addr = f"[{ip}]" if ip.version == 6 and bracket else str(ip)
    written = host.upper() + "." if shout else host
    assert parse_resolve([f"{written}={addr}:{port}"]) == {host: (str(ip), port)}


@pytest.mark.parametrize("entry", [
    "social.example", "social.example=127.0.0.1", "=127.0.0.1:443", "social.example=:443",
    "social.example=127.0.0.1:", "social.example=127.0.0.1:0", "social.example=127.0.0.1:70000",
    "social.example=127.0.0.1:４４３", "social.example=localhost:443", "social.example=127.0.0.1:44x",
    "*=127.0.0.1:443", "a.*.example=127.0.0.1:443", "bad host=127.0.0.1:443", "a/b=127.0.0.1:443",
    "social.example=[127.0.0.1:443", "social.example=::1]:443", "social.example=999.0.0.1:443",
])
def test_parse_resolve_rejects_malformed_entries(entry: str) -> None:
    with pytest.raises(UsageError):
        parse_resolve([entry])


@given(st.text(max_size=40))
def test_parse_resolve_only_ever_raises_usage_errors(entry: str) -> None:
    try:
        mapping = parse_resolve([entry])
    except UsageError:
        return
    ((host, (addr, port)),) = mapping.items()
    assert host == host.lower() and host and " " not in host
    ipaddress.ip_address(addr)
    assert 0 < port < 65536


@given(domain=HOSTNAME, sub=HOSTNAME)
def test_wildcard_mapping_takes_subdomains_only(domain: str, sub: str) -> None:
    policy = NetworkPolicy(resolve={f"*.{domain}": ("127.0.0.1", 8443)}, allow_dns=False)
    assert policy.mapped(f"{sub}.{domain}") == ("127.0.0.1", 8443)
    assert policy.mapped(f"{sub}.{domain}.".upper()) == ("127.0.0.1", 8443)
    assert policy.mapped(domain) is None
    assert policy.mapped(f"evil-{domain}") is None
    assert policy.mapped(f"evil{domain}") is None
    assert policy.mapped(f"{sub}.{domain}.attacker.test") is None
    assert allowed(policy, f"https://{sub}.{domain}/")
    assert not allowed(policy, f"https://evil-{domain}/")


def test_an_exact_mapping_beats_a_wildcard() -> None:
    policy = NetworkPolicy(resolve={"*.example": ("127.0.0.1", 1), "cdn.example": ("127.0.0.1", 2)})
    assert policy.mapped("cdn.example") == ("127.0.0.1", 2)
    assert policy.mapped("a.cdn.example") == ("127.0.0.1", 1)


SEGMENTS = st.lists(st.sampled_from(["@alex", "@bob", "api", "..", ".", "%2e%2e", "%2E.", "x", ""]), max_size=6)


@given(SEGMENTS)
def test_scope_judges_the_path_the_server_will_see(segments: list[str]) -> None:
    url = "https://social.example/" + "/".join(segments)
    sent = "https://social.example" + httpx.URL(url).raw_path.decode()  # what NetClient would check
    for candidate in (url, sent):
        if ALEX.allows(candidate):
            # However a server reads the path (decoding %2e or not), it stays inside /@alex/.
            path = unquote(urlsplit(candidate).path)
            assert ".." not in path.split("/") and "." not in path.split("/"), candidate
            for seen in (posixpath.normpath(path), posixpath.normpath(urlsplit(candidate).path)):
                assert seen == "/@alex" or seen.startswith("/@alex/"), (candidate, seen)


def test_scope_matches_the_host_and_path_prefixes() -> None:
    assert ALEX.allows("https://social.example/@alex")
    assert ALEX.allows("https://SOCIAL.example./@alex/media")
    assert not ALEX.allows("https://social.example/@alexander")
    assert not ALEX.allows("https://social.example/@alex/../@bob/")
    assert not ALEX.allows("https://social.example/@alex/%2e%2e/@bob/")
    assert not ALEX.allows("https://other.example/@alex/")
    assert replace(NO_DNS, allow_dns=True).allow_dns  # the policy stays a plain frozen dataclass


# --- conditional requests and what an account's crawl cost ---------------------------------------


def test_an_image_asked_with_validators_sends_them_and_a_304_is_neither_an_error_nor_a_redirect(
        serve: Serve) -> None:
    seen: list[dict[str, str]] = []

    def cdn(request: Request) -> Reply:
        seen.append({name.lower(): value for name, value in request.headers.items()})
        return Reply(304, b"", "image/jpeg", {"ETag": '"v1"', "Location": "https://cdn.example/elsewhere.jpg"})

    with serve({"cdn.example": routes({"/a.jpg": cdn})}) as (server, net, sleeps):
        net.start_account()
        response = net.get_image("https://cdn.example/a.jpg",
                                 validators=Validators("ab" * 32, '"v1"', "Tue, 01 Dec 2026 10:00:00 GMT"))
        plain = net.get_image("https://cdn.example/a.jpg")
        cost = net.account_cost()
    assert seen[0]["if-none-match"] == '"v1"'
    assert seen[0]["if-modified-since"] == "Tue, 01 Dec 2026 10:00:00 GMT"
    assert "if-none-match" not in seen[1] and "if-modified-since" not in seen[1]
    assert (response.status, response.not_modified, response.ok, response.body) == (304, True, False, b"")
    assert response.headers["etag"] == '"v1"'
    assert paths(server) == ["/a.jpg", "/a.jpg"]  # the 304's Location was not followed, nothing retried
    assert sleeps == [] and plain.not_modified
    assert (cost.requests, cost.not_modified) == (2, 2)


def test_validators_without_values_send_no_conditional_headers(serve: Serve) -> None:
    seen: list[dict[str, str]] = []

    def cdn(request: Request) -> Reply:
        seen.append({name.lower(): value for name, value in request.headers.items()})
        return Reply(200, b"jpeg", "image/jpeg")

    with serve({"cdn.example": routes({"/a.jpg": cdn})}) as (_server, net, _sleeps):
        assert net.get_image("https://cdn.example/a.jpg", validators=Validators("ab" * 32)).body == b"jpeg"
    assert not {"if-none-match", "if-modified-since"} & set(seen[0])


def test_each_account_is_charged_its_requests_bytes_and_304s(serve: Serve) -> None:
    sites = {
        "social.example": routes({"/@alex/": OK, "/@alex/moved": redirect("/@alex/"),
                                  "/@alex/flaky": sequence(Reply(503), OK)}),
        "cdn.example": routes({"/a.jpg": Reply(200, b"j" * 5000, "image/jpeg"),
                               "/same.jpg": Reply(304, b"", "image/jpeg")}),
    }
    with serve(sites) as (_server, net, _sleeps):
        net.get_image("https://cdn.example/a.jpg")  # before any account: nobody's cost
        net.start_account()
        assert net.account_cost() == CrawlCost(0, 0, 0)
        net.get_page("https://social.example/@alex/moved", scope=ALEX)  # 2: the hop and the page
        net.get_page("https://social.example/@alex/flaky", scope=ALEX)  # 2: the 503 and its retry
        net.get_image("https://cdn.example/a.jpg")
        net.get_image("https://cdn.example/same.jpg", validators=Validators("ab" * 32, '"x"'))
        first = net.account_cost()
        net.start_account()  # the next account starts afresh
        net.get_image("https://cdn.example/same.jpg", validators=Validators("ab" * 32, '"x"'))
        second = net.account_cost()
    assert (first.requests, first.not_modified) == (6, 1)
    # Bodies as received (5000 image bytes, two small JSON pages, a 503 page) and a header estimate.
    assert 5000 + 2 * len(OK.body) < first.bytes_received < 5000 + 2 * len(OK.body) + 6 * 400
    assert (second.requests, second.not_modified) == (1, 1) and 0 < second.bytes_received < 400
