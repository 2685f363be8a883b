"""Chromium's only way out: its launch flags and the local proxy that applies the network policy."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import select
import socket
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from faceaudit.crawl.net import NetworkPolicy
from faceaudit.errors import NetworkError, OutOfScope

PROXY_NAME = "proxy.faceaudit.invalid"  # mapped to the local proxy by --host-resolver-rules


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
        "--deny-permission-prompts",  # location, notifications, camera...: denied, never asked
        f"--proxy-server=http://{PROXY_NAME}:{proxy_port}",
        "--proxy-bypass-list=<-loopback>",  # loopback goes through the proxy too
        f"--host-resolver-rules={resolver_rules(policy, proxy_port)}",
    ]
    if policy.ca_cert is not None:
        # Trust exactly this key (a fixture or the user's own CA), never "ignore all errors".
        args.append("--ignore-certificate-errors-spki-list=" + ",".join(spki_hashes(policy.ca_cert)))
    if running_as_root():
        args.append("--no-sandbox")  # Chromium refuses to start its sandbox as root
    return args


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


class PolicyProxy:
    """A local HTTP proxy: the only way out for Chromium, with the policy applied per connection.

    It connects only to hosts in `allowed` (the account's own hosts during a visit: the only
    hosts the route handler lets the browser ask anything), to the address
    `policy.resolve_target` gives. Outside a visit `allowed` is empty, so the browser's own
    background traffic goes nowhere.
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
