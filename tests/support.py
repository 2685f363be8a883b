"""Helpers for tests that read like the README: run a faceaudit command, see what it printed."""

from __future__ import annotations

import contextlib
import io
import ssl
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from rich.console import Console

    from faceaudit.crawl.browser import BrowserInfo, BrowserSession
    from faceaudit.crawl.net import NetworkPolicy
    from faceaudit.crawl.sites.base import Site
    from faceaudit.demo.server import FixtureServer, Handler
    from faceaudit.environment import Environment
    from faceaudit.types import CrawlResult, ImageCandidate, ImageKind

FACES = Path(__file__).resolve().parents[1].parent / "shared" / "faces"
needs_faces = pytest.mark.skipif(
    not (FACES / "labels.csv").is_file(), reason=f"real face photos not found at {FACES}"
)


@dataclass
class Result:
    code: int
    out: str
    err: str


def environment(*, typed: str | None = None, terminal: bool = False) -> Environment:
    """An Environment for a command run in this process: consoles that write to memory, 200
    columns wide. `typed`: what the user types, at a terminal (without it, stdin is no
    terminal and holds nothing). `terminal`: stderr is a terminal, so progress bars show."""
    from rich.console import Console

    from faceaudit.environment import Environment

    return Environment(
        stdout=Console(file=io.StringIO(), width=200),
        stderr=Console(file=io.StringIO(), width=200, force_terminal=terminal or None),
        stdin=io.StringIO(typed or ""),
        stdin_isatty=typed is not None,
    )


def faceaudit(home: Path, *args: str, typed: str | None = None, terminal: bool = False) -> Result:
    """Run `faceaudit --home HOME ARGS…` in this process (`typed` and `terminal`: as `environment`)."""
    from faceaudit.cli import run

    env = environment(typed=typed, terminal=terminal)
    code = run(["--home", str(home), *args], env)
    return Result(code, _written(env.stdout), _written(env.stderr))


def _written(console: Console) -> str:
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


def scan_network_args(server) -> list[str]:
    """`scan` options that point every fixture hostname at `server` and nothing else anywhere."""
    assert server.certificate is not None
    args = [a for mapping in server.resolve_args() for a in ("--resolve", mapping)]
    return [*args, "--ca-cert", str(server.certificate.cert_pem), "--no-dns"]


def set_up_demo_person(run, fixture, folder: Path) -> None:
    """consent, enroll the demo person's reference photos, add their accounts — as a user would.

    `run(*args)` runs one faceaudit command and fails the test if it does not succeed."""
    set_up_person(run, fixture.reference_photos, folder, fixture.account_urls)


def set_up_person(run, photos: Iterable[tuple[str, bytes]], folder: Path, accounts: Iterable[str]) -> None:
    """consent, enroll `photos` (written into `folder`) with dlib, add `accounts`."""
    refs = []
    for name, data in photos:
        (folder / name).write_bytes(data)
        refs.append(str(folder / name))
    run("consent", "--accept")
    run("enroll", "--engine", "dlib", *refs)
    for url in accounts:
        run("accounts", "add", url)


def enrolled_home(folder: Path, accounts: Iterable[str]) -> Path:
    """`folder`/ws: a workspace with consent, a dlib template of the demo person and `accounts`."""
    from faceaudit.demo.photos import reference_photos

    home = folder / "ws"
    set_up_person(run_ok(home), reference_photos(), folder, accounts)
    return home


def run_ok(home: Path):
    """A `run` for set_up_demo_person: in-process, asserting exit code 0."""

    def run(*args: str) -> Result:
        result = faceaudit(home, *args)
        assert result.code == 0, (args, result.err)
        return result

    return run


# --- a FixtureServer per test module --------------------------------------------------------------


def module_server(make_handlers: Callable[[], Mapping[str, Handler]]) -> Any:
    """A module-scoped pytest fixture (assign it to `server`): a FixtureServer serving `make_handlers()`."""

    @pytest.fixture(scope="module")
    def server() -> Iterator[FixtureServer]:
        from faceaudit.demo.server import FixtureServer

        with FixtureServer(make_handlers()) as running:
            yield running

    return server


# --- one site adapter against a FixtureServer ----------------------------------------------------


def fixture_policy(server: FixtureServer, extra_resolve: Iterable[str] = (), **options: Any) -> NetworkPolicy:
    """A NetworkPolicy that reaches `server` (its own hostnames, and `extra_resolve` mapped to it
    too) over its TLS certificate, with name lookups off: nothing else anywhere."""
    from faceaudit.crawl.net import NetworkPolicy, parse_resolve

    assert server.certificate is not None
    names = [*server.resolve_args(), *(f"{host}=127.0.0.1:{server.port}" for host in extra_resolve)]
    return NetworkPolicy(resolve=parse_resolve(names), allow_dns=False, ca_cert=server.certificate.cert_pem,
                         **options)


@dataclass
class Crawl:
    """What one adapter run found, and what it asked the fixture server for."""

    site: Site
    candidates: list[ImageCandidate]
    result: CrawlResult
    log: list[tuple[str, str]]  # (host, path with query), in order
    sleeps: list[float] = field(default_factory=list)

    def urls(self, kind: ImageKind | None = None) -> set[str]:
        return {c.url for c in self.candidates if kind is None or c.kind is kind}

    def found(self) -> dict[str, ImageKind]:
        return {c.url: c.kind for c in self.candidates}

    def by_url(self, url: str) -> ImageCandidate:
        return next(c for c in self.candidates if c.url == url)

    def paths(self, host: str | None = None, *, query: bool = True) -> list[str]:
        """The paths asked for (of `host` only, if given), with or without their query."""
        return [path if query else path.split("?")[0] for h, path in self.log if host is None or h == host]

    def requests(self, part: str) -> list[str]:
        """The paths asked for (with query) that contain `part`."""
        return [path for _host, path in self.log if part in path]


def crawl_adapter(server: FixtureServer, url: str, *, handlers: Mapping[str, Handler] | None = None,
                  extra_resolve: Iterable[str] = (), check_scope: bool = True, no_browser: str = "",
                  **limits: int) -> Crawl:
    """Run the adapter for `url` once, with a fresh client, against `server` (its sites updated
    with `handlers` first). The browser is never to be started: that fails the test, saying
    `no_browser`. Unless `check_scope` is off, every request must be inside the account's scope."""
    from faceaudit.crawl import sites
    from faceaudit.crawl.net import NetClient
    from faceaudit.crawl.sites.base import CrawlContext
    from faceaudit.types import CrawlResult

    if handlers is not None:
        server.sites.update(handlers)
    server.log.clear()
    site = sites.find(url)

    def browser() -> Any:
        pytest.fail(no_browser or f"the {type(site).__name__} adapter must not need the browser")

    sleeps: list[float] = []
    policy = fixture_policy(server, extra_resolve, min_interval=0, backoff=0.01)
    with NetClient(policy, sleep=sleeps.append) as net:
        result = CrawlResult()
        found = list(site.candidates(CrawlContext(net=net, browser=browser, **limits), result))
    log = list(server.log)
    if check_scope:  # whatever happened, nothing outside the account was asked for
        scope = site.scope()
        assert all(scope.allows(f"https://{host}{path}") for host, path in log), log
    return Crawl(site, found, result, log, sleeps)


# --- one browser adapter against a FixtureServer, in real Chromium --------------------------------


@contextlib.contextmanager
def browser_session(server: FixtureServer, chromium: BrowserInfo, *, timeout: float = 15,
                    scroll_wait: float = 0.1) -> Iterator[BrowserSession]:
    """A BrowserSession that reaches `server` and nothing else."""
    from faceaudit.crawl.browser import BrowserSession

    with BrowserSession(fixture_policy(server, timeout=timeout), browser=chromium, scroll_wait=scroll_wait) as browser:
        yield browser


def module_browser_session() -> Any:
    """A module-scoped pytest fixture (assign it to `session`): `browser_session` on the module's
    `server`, in the `chromium` the browser tests use."""

    @pytest.fixture(scope="module")
    def session(chromium: BrowserInfo, server: FixtureServer) -> Iterator[BrowserSession]:
        with browser_session(server, chromium) as browser:
            yield browser

    return session


def crawl_rendered(url: str, session: BrowserSession, server: FixtureServer, handlers: Mapping[str, Handler],
                   max_scrolls: int = 1, **limits: int) -> tuple[list[ImageCandidate], CrawlResult]:
    """Run the browser adapter for `url` once in `session`, `server` serving `handlers`."""
    from faceaudit.crawl import sites
    from faceaudit.crawl.sites.base import CrawlContext
    from faceaudit.types import CrawlResult

    server.sites.update(handlers)
    server.log.clear()
    ctx = CrawlContext(net=None, browser=lambda: session, max_scrolls=max_scrolls, **limits)  # type: ignore[arg-type]
    result = CrawlResult()
    return list(sites.find(url).candidates(ctx, result)), result


# -- worker processes (Linux /proc), for the tests that kill a scan or a check --------------------
def proc_status(pid: int, field: str) -> str:
    """One field of /proc/PID/status ("PPid", "State", "SigIgn"), or "" when the process is gone."""
    try:
        with Path(f"/proc/{pid}/status").open() as handle:
            for line in handle:
                if line.startswith(f"{field}:"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def spawned_workers(parent: int) -> list[int]:
    """The multiprocessing workers `parent` has spawned and that are still there."""
    def cmdline(pid: int) -> str:
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return ""

    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
            and proc_status(int(p.name), "PPid") == str(parent) and "spawn_main" in cmdline(int(p.name))]


def alive(pid: int) -> bool:
    state = proc_status(pid, "State")
    return state != "" and not state.startswith("Z")


# --- a raw socket server that answers slowly -------------------------------------------------------


@contextlib.contextmanager
def trickling_server(*, head: bytes, drip: bytes = b"", gap: float = 0.02, give_up: float = 5.0,
                     tls: ssl.SSLContext | None = None) -> Iterator[int]:
    """One connection on 127.0.0.1 (TLS with `tls`, a server-side context): it reads the
    request, sends `head`, then `drip` every `gap` seconds (nothing when `drip` is empty) until
    the client hangs up or `give_up` seconds have passed. The port is yielded."""
    import socket
    import threading
    import time

    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve_one() -> None:
        try:
            raw, _ = listener.accept()
        except OSError:
            return
        conn = tls.wrap_socket(raw, server_side=True) if tls is not None else raw
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(head)
                ends = time.monotonic() + give_up
                while not done.wait(gap) and time.monotonic() < ends:
                    if drip:
                        conn.sendall(drip)
            except OSError:
                pass  # the client hung up: what the test wanted

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        done.set()
        listener.close()
        thread.join(2)
