"""The one network choke point: scope and address policy, name mapping, timeouts, size caps, retries.

Pages, API calls and images are read into memory (capped); the face-model download streams to a
file through the same requests, redirects and checks (`NetClient.download`).
"""

from __future__ import annotations

import email.utils
import errno
import hashlib
import http.cookiejar
import ipaddress
import json
import logging
import math
import os
import re
import selectors
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import certifi
import httpcore
import httpx
from httpcore._backends.sync import SyncStream  # the stream SyncBackend gives; httpx<1 is pinned

from faceaudit.crawl.failures import Cause, classify, explain, seconds, without_errno
from faceaudit.errors import ExitCode, FaceauditError, NetworkError, OutOfScope, UsageError
from faceaudit.types import CrawlCost, Validators

USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0 Safari/537.36"
)

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], tuple[str, int]]


@dataclass(frozen=True)
class AccountScope:
    """The hosts and path prefixes that belong to one listed account.

    Pages and API calls must stay inside it; embedded images may come from any public host.
    """

    hosts: frozenset[str]
    path_prefixes: tuple[str, ...] = ("/",)

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        if host not in self.hosts:
            return False
        # A server may decode %2e%2e and climb out of `/@me/`: paths with dot segments, plain or
        # encoded, are never in scope (NetClient checks URLs after httpx removed the plain ones).
        path = unquote(parts.path or "/")
        if any(segment in (".", "..") for segment in path.replace("\\", "/").split("/")):
            return False
        return any(path == p.rstrip("/") or path.startswith(p) for p in self.path_prefixes)


@dataclass(frozen=True)
class NetworkPolicy:
    """Where requests may go, and how hostnames become addresses.

    `resolve` maps a hostname (or `*.domain`) to an address and port, like curl's --resolve:
    mapped names are the user's explicit choice and may point at private or loopback addresses.
    With `allow_dns` false, every name that is not mapped fails to resolve (tests, the demo).
    """

    resolve: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    allow_dns: bool = True
    ca_cert: Path | None = None
    timeout: float = 20.0  # connect, and each read
    max_page_bytes: int = 5 * 1024 * 1024
    max_image_bytes: int = 25 * 1024 * 1024
    retries: int = 2
    min_interval: float = 0.5  # seconds between requests to one host
    max_redirects: int = 5
    user_agent: str = USER_AGENT
    total_timeout: float = 120.0  # one whole response, body included
    backoff: float = 1.0  # first retry waits this long, then doubles
    max_rate_wait: float = 60.0  # a 429 asking for a longer wait is returned, not waited out
    # Politeness limits of a scan (None: no limit). `max_requests` counts every exchange made for
    # one account after `NetClient.start_account` (pages, API calls, images, redirect hops and
    # retries); `deadline` is seconds from the NetClient's creation, one scan run.
    max_requests: int | None = None
    deadline: float | None = None

    def mapped(self, host: str) -> tuple[str, int] | None:
        host = host.lower().rstrip(".")
        patterns = {pattern.lower().rstrip("."): target for pattern, target in self.resolve.items()}
        if host in patterns:
            return patterns[host]
        # `*.domain` takes subdomains at any depth, never `domain` itself or `evil-domain`;
        # the longest matching pattern wins.
        for pattern in sorted(patterns, key=len, reverse=True):
            if pattern.startswith("*.") and host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return patterns[pattern]
        return None

    def resolve_target(self, host: str, port: int) -> tuple[str, int]:
        """The address to connect to for host:port, or OutOfScope.

        Addresses that DNS gives must all be public: a page that points at 127.0.0.1, the
        local network or a cloud metadata address is refused, however it gets there.
        """
        host = host.lower().rstrip(".")
        target = self.mapped(host)
        if target is not None:
            return target
        literal = ip_literal(host)
        if literal is not None:
            if not is_public(literal):
                raise OutOfScope(
                    f"refused to connect to the non-public address {host}",
                    "faceaudit only fetches public addresses; use --resolve to map a test host.",
                )
            return str(literal), port
        if looks_numeric(host):
            # Browsers read `0x7f.1`, `2130706433` or `127.1` as IPv4 addresses; we do not guess.
            raise OutOfScope(
                f"refused the ambiguous numeric host {host}",
                "write an IP address as four decimal numbers, e.g. 203.0.113.7.",
            )
        if not self.allow_dns:
            raise OutOfScope(
                f"{host} is not mapped and name lookups are off",
                "add --resolve HOST=ADDR:PORT for it, or allow lookups.",
            )
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise OutOfScope(*explain(Cause.NOT_FOUND, host)) from exc
        addresses = [str(info[4][0]) for info in infos]
        if not addresses:
            raise OutOfScope(f"{host} has no addresses", "check the URL.")
        for address in addresses:
            ip = ip_literal(address)
            if ip is None or not is_public(ip):
                raise OutOfScope(
                    f"{host} resolves to the non-public address {address}",
                    "faceaudit only fetches public addresses.",
                )
        return addresses[0], port

    def check_url(self, url: str, *, resolver: Resolver | None = None) -> tuple[str, int]:
        """Refuse anything that is not plain http(s) to a public (or explicitly mapped) host.

        Returns the address and port a connection would go to. `resolver` replaces
        `resolve_target` (NetClient passes its per-scan cache so DNS is asked once per host).
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise OutOfScope(f"refused a {parts.scheme or 'schemeless'} URL: {url[:120]}", "only http(s) URLs are fetched.")
        if "@" in parts.netloc:
            raise OutOfScope("refused a URL with credentials in it", "faceaudit never logs in.")
        if not parts.hostname:
            raise OutOfScope(f"URL has no host: {url[:120]}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise OutOfScope(f"URL has a bad port: {url[:120]}") from exc
        return (resolver or self.resolve_target)(parts.hostname, port)


def is_public(ip: IPAddress) -> bool:
    """A globally routable address; IPv6 forms that carry an IPv4 address must carry a public one.

    `::ffff:127.0.0.1`, `::127.0.0.1`, `64:ff9b::7f00:1` (NAT64) and `2002:7f00:1::` (6to4)
    all lead to 127.0.0.1 somewhere, and some Python versions call several of them global.
    """
    if not ip.is_global or ip.is_multicast:  # Python calls some multicast ranges global
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return embedded.is_global and not embedded.is_multicast
    return True


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def ip_literal(text: str) -> IPAddress | None:
    """The address `text` is when it is an IP literal (IPv6 with or without brackets), else None."""
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)


def looks_numeric(host: str) -> bool:
    """The WHATWG URL rule: a host whose last label is a number is an IPv4 address to a browser."""
    return bool(_NUMERIC_LABEL.fullmatch(host.rstrip(".").rpartition(".")[2]))


def numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a browser reads in a numeric host (WHATWG URL "IPv4 parser"): `2130706433`,
    `0x7f.1` and `0177.0.0.1` are all 127.0.0.1. None when the host is not such a number.

    Only to say which address a refused host points at: the policy refuses every numeric host
    that is not four decimal numbers (`looks_numeric`), whatever it decodes to."""
    parts = host.rstrip(".").split(".") if host else []
    if not parts or len(parts) > 4:
        return None
    numbers = [_ipv4_number(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    *head, last = [number for number in numbers if number is not None]
    if any(number > 255 for number in head) or last >= 256 ** (5 - len(parts)):
        return None
    value = last + sum(number << (8 * (3 - index)) for index, number in enumerate(head))
    return ipaddress.IPv4Address(value)


def _ipv4_number(part: str) -> int | None:
    """One part of a numeric host: hexadecimal after 0x, octal after a leading 0, else decimal."""
    text, base = part.lower(), 10
    if text.startswith("0x"):
        text, base = text[2:] or "0", 16
    elif len(text) > 1 and text.startswith("0"):
        text, base = text[1:], 8
    try:
        return int(text, base) if text.isalnum() and text.isascii() else None
    except ValueError:
        return None


# Networks for one site's own machines (RFC 1918, RFC 6598 shared address space, RFC 4193).
_PRIVATE_USE = tuple(ipaddress.ip_network(net) for net in
                     ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"))


def address_kind(ip: IPAddress) -> str:
    """What `ip` is, in the words of a refusal: "public" (what `is_public` accepts), "loopback",
    "private", "link-local", "multicast", "unspecified" or "reserved" (documentation, benchmark
    and future ranges). An IPv6 address that carries an IPv4 one is what that one is.

    Multicast is named even where `is_public` lets it through (Python calls 224.0.0.0/4 global):
    no account lives at a multicast address."""
    embedded = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    for address in (ip, embedded):
        if address is None:
            continue
        kinds = (("loopback", address.is_loopback), ("link-local", address.is_link_local),
                 ("multicast", address.is_multicast), ("unspecified", address.is_unspecified),
                 ("private", any(address in net for net in _PRIVATE_USE)))
        found = next((kind for kind, matches in kinds if matches), None)
        if found is not None:
            return found
    return "public" if is_public(ip) else "reserved"


_HOST = re.compile(r"(?:\*\.)?[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*")


def parse_resolve(entries: list[str]) -> dict[str, tuple[str, int]]:
    """Parse repeated `HOST=ADDR:PORT` options (HOST may be `*.domain`; IPv6 as `[::1]:443`)."""
    mapping: dict[str, tuple[str, int]] = {}
    for entry in entries:
        host, sep, target = entry.partition("=")
        addr, colon, port_text = target.rpartition(":")
        host = host.strip().lower().rstrip(".")
        if not sep or not colon or not addr or not re.fullmatch(r"[0-9]{1,5}", port_text):
            raise UsageError(
                f"--resolve {entry!r} is not HOST=ADDR:PORT",
                "for example: --resolve me.example.org=127.0.0.1:8443",
            )
        if not _HOST.fullmatch(host):
            raise UsageError(
                f"--resolve {entry!r}: {host!r} is not a hostname",
                "give a name like me.example.org, or *.example.org for all its subdomains.",
            )
        ip = ip_literal(addr)
        if ip is None or (("[" in addr or "]" in addr) and not (addr.startswith("[") and addr.endswith("]"))):
            raise UsageError(f"--resolve {entry!r}: {addr} is not an IP address")
        port = int(port_text)
        if not 0 < port < 65536:
            raise UsageError(f"--resolve {entry!r}: port {port} is out of range")
        mapping[host] = (str(ip), port)
    return mapping


_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(s|sec|m|min|h)?", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}


def parse_duration(text: str, option: str) -> float | None:
    """`90s`, `30m`, `2h` or a number of seconds as seconds; `none` (no limit) as None."""
    value = text.strip().lower()
    if value in ("none", "off"):
        return None
    found = _DURATION.fullmatch(value)
    if found is None or float(found.group(1)) <= 0:
        raise UsageError(f"{option} {text!r} is not a duration", f"for example: {option} 30m (or 90s, 2h, none)")
    return float(found.group(1)) * _UNIT_SECONDS[(found.group(2) or "").lower()]


# --- the HTTP client -------------------------------------------------------------------------


class RequestCap(FaceauditError):
    """One account used up its requests (`NetworkPolicy.max_requests`): the account's outcome is
    `cap`, and the scan goes on with the next account. Not a NetworkError on purpose: code that
    records a failed fetch and carries on must not swallow it, one failed image after another."""

    exit_code = ExitCode.NETWORK
    ref = "request-cap"


class ScanDeadline(FaceauditError):
    """The scan ran past `NetworkPolicy.deadline`: it stops, and everything done so far is kept
    for `faceaudit scan` to continue from (exit code as for an interrupted scan)."""

    exit_code = ExitCode.INTERRUPTED
    ref = "deadline"


class ScanStopped(FaceauditError):
    """The scan was asked to stop (Ctrl-C in the main thread sets the crawler's stop event): the
    request under way ends within a tick instead of waiting out its timeouts. Not a NetworkError,
    so no adapter records it as one failed fetch and goes on."""

    exit_code = ExitCode.INTERRUPTED
    ref = "interrupted"


# How long one wait on a socket lasts at most: between two, the request's time cap, the scan's
# deadline and its stop event are looked at. A server that sends a byte every few seconds
# satisfies every read timeout; it cannot outlast these.
TICK = 0.25


def describe_seconds(seconds: float) -> str:
    """120 -> "2 min", 5400 -> "1.5 h", 7 -> "7 s": a limit as a person says it."""
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


@dataclass
class NetResponse:
    """A finished response: status, lower-case headers and the (size-capped) body."""

    url: str  # final URL after redirects
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def not_modified(self) -> bool:
        """304: the validators sent still match, so no body came (not an error, not a redirect)."""
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def text(self) -> str:
        match = re.search(r"charset=[\"']?([\w.:-]+)", self.headers.get("content-type", ""), re.I)
        try:
            return self.body.decode(match.group(1) if match else "utf-8", errors="replace")
        except LookupError:  # an unknown charset name
            return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # [[[[… 5000 deep: RecursionError
            raise NetworkError(
                f"{self.url} answered {self.status} with {self.content_type or 'no content type'}, not JSON ({exc})",
                "the server may be down, blocking automated visits, or not the platform expected.",
            ) from exc

    def link(self, rel: str) -> str | None:
        """The absolute URL of the Link header entry with this rel (RFC 8288), e.g. "next"."""
        for target, params in _LINK.findall(self.headers.get("link", "")):
            for name, quoted, bare in _LINK_PARAM.findall(params):
                if name.lower() == "rel" and rel.lower() in (quoted or bare).lower().split():
                    return urljoin(self.url, str(target).strip())
        return None


_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[\w*-]+\s*(?:=\s*(?:\"[^\"]*\"|[^;,\s]*))?)*)")
_LINK_PARAM = re.compile(r";\s*([\w*-]+)\s*(?:=\s*(?:\"([^\"]*)\"|([^;,\s]*)))?")

_REDIRECTS = {301, 302, 303, 307, 308}
_NOT_IMAGES = ("text/", "application/json", "application/xhtml", "application/xml", "application/javascript")
# A download may take as long as its cap at this rate (and never less than the policy's
# total_timeout): a stalled connection is caught by the read timeout, a trickle by this.
MIN_DOWNLOAD_RATE = 64 * 1024  # bytes per second

BodySink = Callable[[bytes, int | None], None]  # one chunk of a 2xx body; the announced length
DownloadProgress = Callable[[int, int | None], None]  # bytes so far; the announced length


@dataclass(frozen=True)
class _Fetch:
    """How one GET is made and read, at every redirect hop and retry."""

    accept: str
    cap: int  # body bytes, whatever Content-Length says
    scope: AccountScope | None = None  # None: any public host (images, downloads)
    headers: Mapping[str, str] = field(default_factory=dict)
    total_timeout: float | None = None  # None: the policy's
    https_only: bool = False
    sink: BodySink | None = None  # a 2xx body goes here, chunk by chunk, instead of into memory


class _RefuseAllCookies(http.cookiejar.DefaultCookiePolicy):
    """Logged out means no cookies: none are stored, so none can be sent back."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


TimeLeft = Callable[[], float]  # seconds the current request may still wait; raises once it may not


def _shorter(timeout: float | None, left: float) -> float | None:
    """The smaller of a timeout and the time left (None: no limit, as sockets say it)."""
    shortest = min(math.inf if timeout is None else timeout, left)
    return None if shortest == math.inf else shortest


class _BoundedStream(httpcore.NetworkStream):
    """A connection whose waits are cut into ticks, so that a request ends at its cut-offs (time
    cap, scan deadline, stop) even while a server trickles its headers or body byte by byte.

    httpcore's read timeout applies to each read: a byte every few seconds resets it for ever."""

    def __init__(self, inner: httpcore.NetworkStream, time_left: TimeLeft) -> None:
        self._inner = inner
        self._time_left = time_left

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        ends = math.inf if timeout is None else time.monotonic() + timeout
        while True:
            wait = min(TICK, ends - time.monotonic(), self._time_left())
            if wait <= 0:
                raise httpcore.ReadTimeout("timed out")
            try:
                return self._inner.read(max_bytes, wait)
            except httpcore.ReadTimeout:
                if time.monotonic() >= ends:
                    raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # A request is a few hundred bytes: written in one go, within the time left.
        self._inner.write(buffer, _shorter(timeout, self._time_left()))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        secure = self._inner.start_tls(ssl_context, server_hostname, _shorter(timeout, self._time_left()))
        return _BoundedStream(secure, self._time_left)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


_CONNECTING = frozenset({errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, getattr(errno, "WSAEWOULDBLOCK", 0)}) - {0}


class _PolicyBackend(httpcore.NetworkBackend):
    """Connects to the address the policy chose; TLS SNI and Host keep the original name.

    Every wait on the connection is bounded by `time_left` (see _BoundedStream)."""

    def __init__(self, resolver: Resolver, time_left: TimeLeft) -> None:
        self._resolver = resolver
        self._time_left = time_left
        self._inner = httpcore.SyncBackend()  # for sleep()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        address, real_port = self._resolver(host, port)
        sock = self._connect(address, real_port, timeout, local_address)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as httpcore's own backend
        except OSError as exc:
            sock.close()
            raise httpcore.ConnectError(str(exc)) from exc
        return _BoundedStream(SyncStream(sock), self._time_left)

    def _connect(self, address: str, port: int, timeout: float | None, local_address: str | None) -> socket.socket:
        """socket.create_connection to an address, waiting in ticks: a host that drops packets
        would otherwise hold a connection attempt (and Ctrl-C) for the whole connect timeout.
        Errors as httpcore's backend raises them, so crawl/failures.py reads them alike."""
        ends = math.inf if timeout is None else time.monotonic() + timeout
        sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM)
        try:
            if local_address is not None:
                sock.bind((local_address, 0))
            sock.setblocking(False)
            try:
                sock.connect((address, port))  # connect(), not connect_ex(): tests that forbid it see it
                code = 0
            except BlockingIOError as exc:
                code = exc.errno or errno.EINPROGRESS
            with selectors.DefaultSelector() as selector:
                selector.register(sock, selectors.EVENT_WRITE)
                while code in _CONNECTING:
                    wait = min(TICK, ends - time.monotonic(), self._time_left())
                    if wait <= 0:
                        raise httpcore.ConnectTimeout("timed out")
                    if selector.select(wait):
                        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise OSError(code, os.strerror(code))  # ConnectionRefusedError for ECONNREFUSED, etc.
            sock.setblocking(True)
            return sock
        except OSError as exc:
            sock.close()
            raise httpcore.ConnectError(str(exc)) from exc
        except BaseException:
            sock.close()
            raise

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise OutOfScope("refused a unix socket connection")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _PolicyTransport(httpx.HTTPTransport):
    def __init__(self, ssl_context: ssl.SSLContext, resolver: Resolver, time_left: TimeLeft) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx has no public hook for the network backend (pinned httpx<1 in pyproject).
        assert hasattr(self, "_pool"), "httpx internals changed: HTTPTransport._pool is gone"
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=10,
            max_keepalive_connections=5,
            network_backend=_PolicyBackend(resolver, time_left),
        )


def trust_context(policy: NetworkPolicy) -> ssl.SSLContext:
    """The TLS trust of `policy`: the usual roots, plus its --ca-cert. A file that is not a
    certificate is a usage error, raised here: `scan` calls this before it starts, so the
    mistake is said before any progress is shown."""
    context = ssl.create_default_context(cafile=certifi.where())
    if policy.ca_cert is not None:
        try:
            context.load_verify_locations(cafile=str(policy.ca_cert))
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(
                f"--ca-cert {policy.ca_cert}: cannot load it ({without_errno(str(exc)) or type(exc).__name__})",
                "give a PEM file holding the certificate to trust.",
            ) from exc
    return context


class NetClient:
    """One per scan: fresh, logged out, no cookies; every request passes the policy.

    Non-2xx responses are returned so adapters can tell 401, 404 and 429 apart; transport
    failures (after retries), refusals and oversized bodies raise NetworkError / OutOfScope.

    `stop`: the scan's stop event. Once it is set, the request under way and any wait between
    requests end within a tick with ScanStopped (the crawler runs in a thread that Ctrl-C does
    not reach). `sleep` replaces the waits between requests (tests).
    """

    def __init__(
        self,
        policy: NetworkPolicy,
        *,
        sleep: Callable[[float], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.policy = policy
        self._sleep = sleep if sleep is not None else self._pause
        self._stop = stop
        self._request = threading.local()  # `cutoff` of the request this thread is making
        self._targets: dict[tuple[str, int], tuple[str, int]] = {}
        self._last_request: dict[str, float] = {}
        self._deadline = None if policy.deadline is None else time.monotonic() + policy.deadline
        self._account_requests: int | None = None  # None: no account started, nothing counted
        self._account_bytes = 0  # received for the current account: bodies and (roughly) headers
        self._account_not_modified = 0  # 304 answers for the current account
        self._budget_lock = threading.Lock()  # the scan may fetch an account's images in threads
        self._client = httpx.Client(
            transport=_PolicyTransport(self._ssl_context(), self._target, self._time_left),
            cookies=http.cookiejar.CookieJar(policy=_RefuseAllCookies()),
            follow_redirects=False,
            trust_env=False,  # no proxies, no .netrc credentials, no SSL_CERT_FILE from the environment
            timeout=httpx.Timeout(policy.timeout),
            headers={"User-Agent": policy.user_agent, "Accept-Language": "en"},
        )

    def __enter__(self) -> NetClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def start_account(self) -> None:
        """Count requests afresh for the next account (`max_requests`); ScanDeadline if the scan
        is already past its deadline, so no account is begun that cannot be finished."""
        self._check_deadline()
        with self._budget_lock:
            self._account_requests = 0
            self._account_bytes = 0
            self._account_not_modified = 0

    def account_cost(self) -> CrawlCost:
        """What the account begun by `start_account` has cost so far (requests, bytes, 304s)."""
        with self._budget_lock:
            return CrawlCost(self._account_requests or 0, self._account_bytes, self._account_not_modified)

    def _check_deadline(self) -> None:
        if self._deadline is not None and time.monotonic() > self._deadline:
            assert self.policy.deadline is not None
            raise ScanDeadline(
                f"the scan reached its deadline of {describe_seconds(self.policy.deadline)} (--deadline)",
                "what was checked is saved: `faceaudit report` shows it, and `faceaudit scan` "
                "continues where this one stopped (with a longer --deadline if you like).",
            )

    def _check_stop(self) -> None:
        if self._stop is not None and self._stop.is_set():
            raise ScanStopped("the scan was stopped", "`faceaudit scan` continues where it stopped.")

    def _time_left(self) -> float:
        """Seconds the request this thread is making may still wait on the network: until its
        time cap (`total_timeout`) or the scan's deadline. Raises instead once either is past,
        or once the scan was stopped."""
        self._check_stop()
        self._check_deadline()
        now = time.monotonic()
        left = math.inf if self._deadline is None else max(self._deadline - now, 1e-3)
        cutoff: tuple[float, NetworkError] | None = getattr(self._request, "cutoff", None)
        if cutoff is not None:
            ends, too_slow = cutoff
            if now >= ends:
                raise too_slow
            left = min(left, ends - now)
        return left

    def _pause(self, seconds: float) -> None:
        """The wait between requests (pacing, back-off, a 429's Retry-After): cut short by the
        stop event, and never past the scan's deadline (the next request then says so)."""
        if self._deadline is not None:
            seconds = min(seconds, max(0.0, self._deadline - time.monotonic()))
        if self._stop is None:
            time.sleep(seconds)
        elif self._stop.wait(seconds):
            self._check_stop()

    def _spend_request(self, url: httpx.URL) -> None:
        """Each exchange passes here first: the scan's stop and deadline, then the account's request cap."""
        self._check_stop()
        self._check_deadline()
        cap = self.policy.max_requests
        with self._budget_lock:
            if self._account_requests is None:
                return
            if cap is not None and self._account_requests >= cap:
                raise RequestCap(
                    f"stopped after {cap} requests for this account (--max-requests {cap}); "
                    f"the next would have been {str(url)[:120]}",
                    "raise --max-requests to see more of a large account.",
                )
            self._account_requests += 1

    def get_json(
        self, url: str, *, scope: AccountScope, params: dict[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> NetResponse:
        """`headers`: what a platform's own web client sends with the call (an app id, say);
        never credentials or cookies."""
        fetch = _Fetch("application/json", self.policy.max_page_bytes, scope, headers or {})
        return self._get(url, params, fetch)

    def get_page(self, url: str, *, scope: AccountScope, headers: Mapping[str, str] | None = None) -> NetResponse:
        accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        return self._get(url, None, _Fetch(accept, self.policy.max_page_bytes, scope, headers or {}))

    def get_image(self, url: str, *, validators: Validators | None = None) -> NetResponse:
        """An image from any public host (CDNs); refuses bodies that are clearly not images.

        `validators` from an earlier fetch make it a conditional request: a server that still
        has the same bytes answers 304 with no body (`NetResponse.not_modified`)."""
        accept = "image/avif,image/webp,image/png,image/jpeg,image/*;q=0.8,*/*;q=0.5"
        fetch = _Fetch(accept, self.policy.max_image_bytes, headers=_conditional_headers(validators))
        response = self._get(url, None, fetch)
        if response.ok and response.content_type.startswith(_NOT_IMAGES):
            raise NetworkError(
                f"{response.url} is not an image ({response.content_type})",
                "the image address may now lead to a login or error page.",
            )
        return response

    def download(self, url: str, dest: Path, *, max_bytes: int,
                 progress: DownloadProgress | None = None) -> str:
        """Stream a file from a public https address to `dest`; returns its SHA-256 (hex).

        Every hop passes the same policy as any request (GitHub release files redirect to
        another host), and must be https. The body is hashed as it arrives into a temporary file
        beside `dest`, capped at `max_bytes` whatever Content-Length says; `dest` appears only
        once the file is complete, and the partial file is removed on any failure or Ctrl-C.
        A failure after the first byte is not retried: the caller decides whether to start over.
        """
        digest = hashlib.sha256()
        received = 0
        handle, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        partial = Path(name)
        try:
            with os.fdopen(handle, "wb") as file:

                def write(chunk: bytes, announced: int | None) -> None:
                    nonlocal received
                    file.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    if progress is not None:
                        progress(received, announced)

                fetch = _Fetch(
                    "application/octet-stream,*/*;q=0.5", max_bytes,
                    headers={"Accept-Encoding": "identity"},  # the file's own bytes, not a re-encoding
                    total_timeout=max(self.policy.total_timeout, max_bytes / MIN_DOWNLOAD_RATE),
                    https_only=True, sink=write,
                )
                response = self._get(url, None, fetch)
                if not response.ok:
                    raise NetworkError(
                        f"{response.url[:160]} answered {response.status}",
                        "the file may have moved or the server may be down; try again later.",
                    )
                file.flush()
                os.fsync(file.fileno())
            partial.replace(dest)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        log.debug("downloaded %s to %s (%d bytes)", url, dest, received)
        return digest.hexdigest()

    # -- internals ------------------------------------------------------------------------------

    def _ssl_context(self) -> ssl.SSLContext:
        return trust_context(self.policy)

    def _target(self, host: str, port: int) -> tuple[str, int]:
        """The policy's address for host:port, asked once per scan: no DNS-rebinding window."""
        key = (host.lower().rstrip("."), port)
        if key not in self._targets:
            self._targets[key] = self.policy.resolve_target(*key)
        return self._targets[key]

    def _checked(self, url: str, fetch: _Fetch) -> httpx.URL:
        try:
            parsed = httpx.URL(url).copy_with(fragment=None)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise OutOfScope(f"refused a malformed URL: {url[:120]} ({exc})") from exc
        canonical = str(parsed)  # check exactly what httpx will send
        if fetch.https_only and parsed.scheme != "https":
            raise OutOfScope(f"refused {canonical[:160]}: downloads are fetched over https only", url=canonical)
        # The account scope first: a URL outside it is refused without even resolving its host,
        # and an adapter learns where it was sent (a login page is a login wall, not an error).
        scope = fetch.scope
        if scope is not None and not scope.allows(canonical):
            raise OutOfScope(
                f"refused {canonical[:160]}: it is outside the listed account",
                "faceaudit only visits the pages of the accounts you listed.",
                url=canonical,
            )
        self.policy.check_url(canonical, resolver=self._target)
        return parsed

    def _get(self, url: str, params: dict[str, str] | None, fetch: _Fetch) -> NetResponse:
        extra = _safe_headers(fetch.headers)
        target = self._checked(url, fetch)
        if params:
            target = self._checked(str(target.copy_merge_params(params)), fetch)
        for _hop in range(self.policy.max_redirects + 1):
            response = self._with_retries(target, fetch, extra)
            location = response.headers.get("location")
            if response.status not in _REDIRECTS or not location:
                return response
            target = self._checked(urljoin(response.url, location.strip()), fetch)
        raise NetworkError(*explain(Cause.REDIRECTS, url[:160], str(self.policy.max_redirects)))

    def _with_retries(self, url: httpx.URL, fetch: _Fetch, extra: dict[str, str]) -> NetResponse:
        attempt = 0
        while True:
            try:
                response = self._exchange(url, fetch, extra)
            except httpx.TransportError as exc:
                if attempt >= self.policy.retries or _is_certificate_error(exc):
                    raise _transport_error(url, exc, attempt + 1, self.policy.timeout) from exc
                self._sleep(self.policy.backoff * 2**attempt)
                attempt += 1
                continue
            if response.status == 429:
                wait = _rate_limit_wait(response.headers, time.time())
                if wait is None:
                    wait = self.policy.backoff * 2**attempt
                if attempt >= self.policy.retries or wait > self.policy.max_rate_wait:
                    return response  # the adapter reports "rate limited"
                self._sleep(wait)
                attempt += 1
                continue
            if response.status >= 500 and attempt < self.policy.retries:
                self._sleep(self.policy.backoff * 2**attempt)
                attempt += 1
                continue
            return response

    def _pace(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None and self.policy.min_interval > 0:
            wait = last + self.policy.min_interval - time.monotonic()
            if wait > 0:
                self._sleep(wait)
        self._last_request[host] = time.monotonic()

    def _exchange(self, url: httpx.URL, fetch: _Fetch, extra: dict[str, str]) -> NetResponse:
        self._spend_request(url)
        self._pace(url.host)
        total_timeout = fetch.total_timeout or self.policy.total_timeout
        # The whole exchange, headers included, ends at the time cap: the connection checks it
        # between ticks (_BoundedStream), whatever the server sends or withholds.
        too_slow = NetworkError(*explain(Cause.TOO_SLOW, str(url), seconds(total_timeout)))
        self._request.cutoff = (time.monotonic() + total_timeout, too_slow)
        try:
            return self._read_response(url, fetch, extra)
        finally:
            self._request.cutoff = None

    def _count_received(self, size: int, not_modified: bool) -> None:
        with self._budget_lock:
            if self._account_requests is not None:
                self._account_bytes += size
                self._account_not_modified += int(not_modified)

    def _read_response(self, url: httpx.URL, fetch: _Fetch, extra: dict[str, str]) -> NetResponse:
        request = self._client.build_request("GET", url, headers={**extra, "Accept": fetch.accept})
        response = self._client.send(request, stream=True)
        try:
            cap, sink = fetch.cap, fetch.sink
            if sink is not None and not response.is_success:
                # A download's redirects and error pages are read like pages, not like the file.
                cap, sink = min(cap, self.policy.max_page_bytes), None
            length = response.headers.get("content-length", "")
            announced = int(length) if length.isdigit() else None
            if announced is not None and announced > cap:
                raise _too_large(url, cap)
            chunks: list[bytes] = []
            size = 0
            try:
                for chunk in response.iter_bytes():  # decoded: a gzip bomb is capped too
                    size += len(chunk)
                    if size > cap:
                        raise _too_large(url, cap)
                    if sink is not None:
                        sink(chunk, announced)
                    else:
                        chunks.append(chunk)
            except httpx.TransportError as exc:
                if sink is not None and size:  # part of the file is written: not retried here
                    raise _transport_error(url, exc, 1, self.policy.timeout) from exc
                raise
        finally:
            response.close()
            self._client.cookies.clear()
        log.debug("GET %s -> %s (%d bytes)", url, response.status_code, size)
        headers = {name.lower(): value for name, value in response.headers.items()}
        self._count_received(size + _header_bytes(headers), response.status_code == 304)
        return NetResponse(str(url), response.status_code, headers, b"".join(chunks))


_FORBIDDEN_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization", "host"})


def _safe_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Extra request headers an adapter asked for; anything that could log in is refused."""
    extra = dict(headers or {})
    refused = sorted(name for name in extra if name.lower() in _FORBIDDEN_HEADERS)
    if refused:
        raise OutOfScope(f"refused to send {', '.join(refused)}: faceaudit never logs in")
    return extra


def _conditional_headers(validators: Validators | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since for what a server said of the bytes last time."""
    headers: dict[str, str] = {}
    if validators is not None and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators is not None and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _header_bytes(headers: Mapping[str, str]) -> int:
    """Roughly what a response's status line and headers took on the wire (HTTP/1.1)."""
    return 17 + sum(len(name) + len(value) + 4 for name, value in headers.items())


def _too_large(url: httpx.URL, cap: int) -> NetworkError:
    return NetworkError(*explain(Cause.TOO_LARGE, str(url), f"{cap // 1024} KiB"))


def _is_certificate_error(exc: BaseException) -> bool:
    """A certificate we do not trust is not retried: it will not change in a second."""
    return classify(exc)[0] is Cause.CERTIFICATE


def _transport_error(url: httpx.URL, exc: httpx.TransportError, attempts: int, timeout: float) -> NetworkError:
    """The failure in the words of crawl/failures.py (the browser uses the same), never the
    socket's `[Errno …]`; how often it was tried when it was tried more than once."""
    cause, detail = classify(exc)
    if cause is Cause.TIMEOUT:
        detail = seconds(timeout)
    message, hint = explain(cause, url.host, detail)
    tries = f" ({attempts} attempts)" if attempts > 1 else ""
    return NetworkError(message + tries, hint)


def _delay(number: float, now: float) -> float:
    """A reset value as seconds to wait: large numbers are epoch times, small ones delays."""
    return max(0.0, number - now) if number > 1e9 else number


def _rate_limit_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds a 429 asks us to wait: Retry-After, else RateLimit-Reset, else X-RateLimit-Reset."""
    value = headers.get("retry-after", "").strip()
    if re.fullmatch(r"[0-9]+", value):
        return float(value)
    if value:
        try:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError, IndexError):
            pass
    value = headers.get("ratelimit-reset", "").strip()  # IETF draft: seconds from now
    if re.fullmatch(r"[0-9]+", value):
        return _delay(float(value), now)  # ... but Bluesky sends epoch seconds
    value = headers.get("x-ratelimit-reset", "").strip()
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", value):
        return _delay(float(value), now)  # epoch seconds (GitHub) or seconds from now
    if value:  # Mastodon: an ISO 8601 time
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return max(0.0, when.timestamp() - now)
    return None
