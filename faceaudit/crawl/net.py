"""The one network choke point: scope and address policy, name mapping, timeouts, size caps, retries."""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from faceaudit.errors import OutOfScope, UsageError

USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0 Safari/537.36"
)


@dataclass(frozen=True)
class AccountScope:
    """The hosts and path prefixes that belong to one listed account.

    Pages and API calls must stay inside it; embedded images may come from any public host.
    """

    hosts: frozenset[str]
    path_prefixes: tuple[str, ...] = ("/",)

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host not in self.hosts:
            return False
        path = parts.path or "/"
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
    timeout: float = 20.0
    max_page_bytes: int = 5 * 1024 * 1024
    max_image_bytes: int = 25 * 1024 * 1024
    retries: int = 2
    min_interval: float = 0.5  # seconds between requests to one host
    max_redirects: int = 5
    user_agent: str = USER_AGENT

    def mapped(self, host: str) -> tuple[str, int] | None:
        host = host.lower().rstrip(".")
        if host in self.resolve:
            return self.resolve[host]
        for pattern, target in self.resolve.items():
            if pattern.startswith("*.") and fnmatch.fnmatchcase(host, pattern):
                return target
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
        literal = _ip_or_none(host)
        if literal is not None:
            if not literal.is_global:
                raise OutOfScope(
                    f"refused to connect to the non-public address {host}",
                    "faceaudit only fetches public addresses; use --resolve to map a test host.",
                )
            return host, port
        if not self.allow_dns:
            raise OutOfScope(
                f"{host} is not mapped and name lookups are off",
                "add --resolve HOST=ADDR:PORT for it, or allow lookups.",
            )
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise OutOfScope(f"could not resolve {host}: {exc}", "check the URL and your connection.") from exc
        addresses = [info[4][0] for info in infos]
        for address in addresses:
            ip = _ip_or_none(address)
            if ip is None or not ip.is_global:
                raise OutOfScope(
                    f"{host} resolves to the non-public address {address}",
                    "faceaudit only fetches public addresses.",
                )
        return addresses[0], port

    def check_url(self, url: str) -> None:
        """Refuse anything that is not plain http(s) to a public (or explicitly mapped) host."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise OutOfScope(f"refused a {parts.scheme or 'schemeless'} URL: {url[:120]}", "only http(s) URLs are fetched.")
        if not parts.hostname:
            raise OutOfScope(f"URL has no host: {url[:120]}")
        if parts.username or parts.password:
            raise OutOfScope("refused a URL with credentials in it", "faceaudit never logs in.")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        self.resolve_target(parts.hostname, port)


def _ip_or_none(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def parse_resolve(entries: list[str]) -> dict[str, tuple[str, int]]:
    """Parse repeated `HOST=ADDR:PORT` options (HOST may be `*.domain`)."""
    mapping: dict[str, tuple[str, int]] = {}
    for entry in entries:
        host, sep, target = entry.partition("=")
        addr, colon, port_text = target.rpartition(":")
        if not sep or not colon or not host or not addr or not port_text.isdigit():
            raise UsageError(
                f"--resolve {entry!r} is not HOST=ADDR:PORT",
                "for example: --resolve me.example.org=127.0.0.1:8443",
            )
        if _ip_or_none(addr) is None:
            raise UsageError(f"--resolve {entry!r}: {addr} is not an IP address")
        mapping[host.lower().rstrip(".")] = (addr.strip("[]"), int(port_text))
    return mapping
