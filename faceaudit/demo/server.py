"""A local HTTPS server that answers for several hostnames: fixtures for the demo and the tests.

Each hostname gets a handler function; a self-signed certificate made at start covers them all,
so clients that trust exactly that certificate (`--ca-cert`) talk real TLS to 127.0.0.1.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Request:
    host: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]

    def arg(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    # Sent instead of `body`, chunk by chunk (chunked encoding, no Content-Length): bodies too
    # large to build in memory, or that never end. Sending stops when the client goes away.
    stream: Iterable[bytes] | None = None


Handler = Callable[[Request], Reply]


@dataclass(frozen=True)
class Certificate:
    cert_pem: Path
    key_pem: Path
    spki_sha256_b64: str  # what Chromium's --ignore-certificate-errors-spki-list wants


def make_certificate(hostnames: list[str], folder: Path) -> Certificate:
    """A self-signed certificate for `hostnames`, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "faceaudit fixture")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hostnames]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True,
                          crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_pem = folder / "fixture-cert.pem"
    key_pem = folder / "fixture-key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Certificate(cert_pem, key_pem, base64.b64encode(hashlib.sha256(spki).digest()).decode())


class FixtureServer:
    """HTTPS on 127.0.0.1:<free port>; requests dispatched by Host header to `sites`.

    Use as a context manager. `log` records (host, path) of every request, for tests that
    check what was (and was not) visited.
    """

    def __init__(self, sites: Mapping[str, Handler], *, tls: bool = True) -> None:
        self.sites = dict(sites)
        self.tls = tls
        self.log: list[tuple[str, str]] = []
        self._tmp = tempfile.TemporaryDirectory(prefix="faceaudit-fixture-")
        self.certificate: Certificate | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def resolve_args(self) -> list[str]:
        """`--resolve` values pointing every fixture hostname here."""
        return [f"{host}=127.0.0.1:{self.port}" for host in self.sites]

    def __enter__(self) -> FixtureServer:
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                host = (self.headers.get("Host") or "").split(":")[0].lower()
                parts = urlsplit(self.path)
                owner.log.append((host, self.path))
                handler = owner.sites.get(host)
                if handler is None:
                    reply = Reply(421, b"misdirected request", "text/plain")
                else:
                    request = Request(host, parts.path, parse_qs(parts.query), dict(self.headers))
                    try:
                        reply = handler(request)
                    except Exception as exc:  # noqa: BLE001 - a fixture bug must show as a 500, not hang
                        reply = Reply(500, repr(exc).encode(), "text/plain")
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                if reply.stream is None:
                    self.send_header("Content-Length", str(len(reply.body)))
                else:
                    self.send_header("Transfer-Encoding", "chunked")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if reply.stream is None:
                    self.wfile.write(reply.body)
                    return
                try:
                    for chunk in reply.stream:
                        if chunk:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                            self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:  # the client stopped reading (a size cap, a timeout): stop sending
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        if self.tls:
            self.certificate = make_certificate(sorted(self.sites), Path(self._tmp.name))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.certificate.cert_pem, self.certificate.key_pem)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fixture-server", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._tmp.cleanup()


def with_validators(handler: Handler, *, etag: bool = True, last_modified: bool = True) -> Handler:
    """`handler`, with its images served as a CDN does: with an ETag (a hash of the bytes) and a
    Last-Modified (when this path last served other bytes), and 304 Not Modified with no body
    when a request's If-None-Match (first, as RFC 9110 says) or If-Modified-Since still holds."""
    changed_at: dict[tuple[str, str], tuple[str, str]] = {}  # (host, path) -> (ETag, Last-Modified)
    lock = threading.Lock()

    def answer(request: Request) -> Reply:
        reply = handler(request)
        if reply.status != 200 or not reply.content_type.startswith("image/") or reply.stream is not None:
            return reply
        tag = '"' + hashlib.sha256(reply.body).hexdigest()[:32] + '"'
        with lock:
            known = changed_at.get((request.host, request.path))
            if known is None or known[0] != tag:
                known = (tag, email.utils.formatdate(usegmt=True))
                changed_at[(request.host, request.path)] = known
        headers = {**reply.headers, **({"ETag": tag} if etag else {}),
                   **({"Last-Modified": known[1]} if last_modified else {})}
        asked = {name.lower(): value for name, value in request.headers.items()}
        if etag and "if-none-match" in asked:
            unchanged = tag in (t.strip() for t in asked["if-none-match"].split(","))
        else:
            unchanged = last_modified and asked.get("if-modified-since") == known[1]
        if unchanged:
            return Reply(304, b"", reply.content_type, headers)
        return Reply(200, reply.body, reply.content_type, headers)

    return answer
