"""The browser choke point: real Chromium, TLS fixture servers, every unmapped name refused."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from faceaudit.crawl import browser as browser_module
from faceaudit.crawl.browser import (
    BrowserInfo,
    BrowserSession,
    PageHarvest,
    find_chromium,
    resolver_rules,
)
from faceaudit.crawl.net import AccountScope, NetworkPolicy
from faceaudit.demo.server import FixtureServer, Reply, Request
from faceaudit.errors import BrowserUnavailable, NetworkError, OutOfScope

ME = "https://me.example.org"
SCOPE = AccountScope(frozenset({"me.example.org"}), ("/ada/",))

# One page with every place a scraper finds an image. The og:image lives on a CDN host.
RICH_PAGE = """<!doctype html><html><head><title>Ada Example</title>
<meta property="og:image" content="https://cdn.example.net/og-ada.jpg">
<meta name="twitter:image" content="/img/twitter.jpg">
<link rel="image_src" href="/img/image-src.jpg">
<script type="application/ld+json">
 {"@context": "https://schema.org", "@type": "Person", "name": "Ada", "image": "/img/person.jpg"}
</script>
<script type="application/ld+json">
 {"@context": "https://schema.org", "@graph": [{"@type": "WebPage", "name": "home"},
   {"@type": "ImageObject", "contentUrl": "https://me.example.org/img/graph.jpg"}]}
</script>
<script type="application/ld+json">{ this is not json </script>
<script src="https://cdn.example.net/lib.js"></script>
<style>.hero { background-image: url("/img/hero.jpg"); height: 120px; }</style>
</head><body>
<div class="hero"></div>
<img src="/img/plain.jpg" alt="Ada at the lake">
<img src="/img/small.jpg" srcset="/img/small.jpg 320w, /img/large.jpg 1600w, /img/medium.jpg 800w"
     sizes="200px" alt="portrait">
<picture>
  <source media="(min-width: 3000px)" srcset="/img/wide.jpg">
  <img src="/img/narrow.jpg" alt="crop">
</picture>
<img class="lazy" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="/img/lazy.jpg" alt="lazy">
<div style="height: 3000px">tall</div>
<div id="feed"></div>
<script>
  new Image().src = "/img/preloaded.jpg";  // requested, never in the DOM
  addEventListener("scroll", () => {
    const nearBottom = scrollY + innerHeight > document.documentElement.scrollHeight - 300;
    if (nearBottom && !document.getElementById("late")) {
      const img = document.createElement("img");
      img.id = "late"; img.src = "/img/after-scroll.jpg"; img.alt = "more";
      document.getElementById("feed").append(img);
    }
  });
</script>
</body></html>"""

EXPECTED = {
    "https://cdn.example.net/og-ada.jpg": "og:image",
    f"{ME}/img/twitter.jpg": "twitter:image",
    f"{ME}/img/image-src.jpg": "link:image_src",
    f"{ME}/img/person.jpg": "json-ld",
    f"{ME}/img/graph.jpg": "json-ld",
    f"{ME}/img/plain.jpg": "img",
    f"{ME}/img/large.jpg": "img:srcset",
    f"{ME}/img/narrow.jpg": "img",
    f"{ME}/img/wide.jpg": "picture:source",
    f"{ME}/img/lazy.jpg": "img:data-src",
    f"{ME}/img/hero.jpg": "css:background",
    f"{ME}/img/after-scroll.jpg": "img",
    f"{ME}/img/preloaded.jpg": "network",
}


def me_site(port: int) -> Callable[[Request], Reply]:
    """The account's site, on the fixture server at `port`."""

    def handle(request: Request) -> Reply:
        path = request.path
        if path == "/ada/":
            return Reply(200, RICH_PAGE.encode(), headers={"X-Robots-Tag": "noimageindex"})
        if path == "/ada/noindex":
            body = b'<title>n</title><meta name="robots" content="noindex, noimageindex"><img src="/img/n.jpg">'
            return Reply(200, body)
        if path == "/ada/go-local":
            return Reply(302, headers={"Location": f"https://127.0.0.1:{port}/secret"})
        if path == "/ada/go-unmapped":
            return Reply(302, headers={"Location": "https://unmapped.example.com/ada/"})
        if path == "/ada/go-login":
            return Reply(302, headers={"Location": "/accounts/login/?next=/ada/"})
        if path == "/ada/leaves":
            body = b'<title>l</title><img src="/img/kept.jpg"><script>location.href = "/other-profile"</script>'
            return Reply(200, body)
        if path == "/ada/escape":
            return Reply(200, ESCAPE_PAGE.replace("PORT", str(port)).encode())
        if path == "/ada/locked":
            return Reply(200, b'<title>Log in</title><form><input name="u"><input type="password" name="p"></form>')
        if path == "/ada/hidden-password":
            return Reply(200, b'<title>h</title><input type="password" style="display:none"><img src="/i.jpg">')
        if path in HOSTILE_PAGES:
            return Reply(200, HOSTILE_PAGES[path].encode())
        if path == "/ada/attachment":
            return Reply(200, b"MZ" + bytes(4096), "application/octet-stream",
                         {"Content-Disposition": 'attachment; filename="setup.exe"'})
        if path == "/ada/sw.js":
            return Reply(200, b"self.addEventListener('fetch', () => {});", "text/javascript")
        if path == "/ada/never-ends":
            return Reply(200, stream=never_ending_page())
        if path.startswith("/img/"):
            return Reply(200, b"\xff\xd8\xff not really a jpeg", "image/jpeg")
        return Reply(404, b"not here")

    return handle


# A page that tries every way out of the account it can: all must fail without a request.
ESCAPE_PAGE = """<title>escape</title><img src="/img/escape.jpg">
<iframe src="/other-profile/embed"></iframe>
<script>
  window.open("/other-profile/popup");
  fetch("https://127.0.0.1:PORT/fetched").catch(() => {});
  fetch("/ada/api-in-scope").catch(() => {});
  navigator.sendBeacon("https://unmapped.example.com/beacon", "x");
  try { new WebSocket("wss://me.example.org/socket"); } catch (e) {}
</script>"""


# Pages that try what a logged-out visit never allows. Each shows one image, which the harvest
# must still return, and each attempt must leave a reason in `PageHarvest.refusals`.
HOSTILE_PAGES = {
    "/ada/downloads": """<title>downloads</title><img src="/img/d.jpg">
<a id="dl" href="/ada/file.zip" download="photos.zip">all my photos</a>
<script>
  document.getElementById("dl").click();
  setTimeout(() => { location.href = "/ada/attachment"; }, 50);  // Content-Disposition: attachment
</script>""",
    "/ada/worker": """<title>worker</title><img src="/img/w.jpg">
<script>navigator.serviceWorker.register("/ada/sw.js").then(
  () => { document.title = "registered"; }, () => { document.title = "refused"; });</script>""",
    "/ada/popups": """<title>popups</title><img src="/img/p.jpg">
<a id="blank" href="/ada/blank-target" target="_blank">open</a>
<form id="form" action="/ada/form-target" target="_blank"></form>
<script>
  window.open("/ada/popup-page");
  window.open("/ada/noopener-page", "_blank", "noopener");
  document.getElementById("blank").click();
  document.getElementById("form").submit();  // a popup no script wrapper sees
  alert("stay here");
</script>""",
    "/ada/permissions": """<title>permissions</title><img src="/img/perm.jpg">
<script>
  const seen = [];
  const show = (what) => { seen.push(what); document.title = seen.sort().join(" "); };
  navigator.geolocation.getCurrentPosition(() => show("geo-granted"), (e) => show("geo-" + e.code));
  Notification.requestPermission().then((p) => show("notify-" + p));
  navigator.mediaDevices.getUserMedia({video: true, audio: true}).then(
    () => show("camera-granted"), (e) => show("camera-" + e.name));
</script>""",
    "/ada/schemes": """<title>schemes</title><img src="/img/s.jpg">
<iframe src="file:///etc/passwd"></iframe>
<script>
  const away = ["file:///etc/passwd", "data:text/html,<h1>elsewhere</h1>", "chrome://settings/",
                "javascript:void(document.body.dataset.ran = 'yes')"];  // the page's own script: no new reach
  away.forEach((url, i) => setTimeout(() => { location.href = url; }, 40 * i));
</script>""",
    "/ada/infinite-scroll": """<title>scroll</title><div id="feed"></div><div style="height: 2000px"></div>
<script>
  let n = 0;
  const more = (count) => {
    for (let i = 0; i < count; i++) {
      const post = document.createElement("div");
      post.style.height = "300px";
      post.innerHTML = '<img src="/img/scroll-' + (n++) + '.jpg">';
      document.getElementById("feed").append(post);
    }
  };
  more(5);
  addEventListener("scroll", () => more(20));  // each scroll makes the page longer
</script>""",
    "/ada/floods": """<title>floods</title><img src="/img/f.jpg">
<script>
  document.title = [typeof window.__faceauditTried, typeof window.__faceauditRefused].join(" ");
  for (let i = 0; i < 100000; i++) window.open("/ada/popup-" + i);  // each would be a report
  for (let i = 0; i < 100000; i++) console.error("Not allowed to load local resource: file:///fake" + i);
</script>""",
    "/ada/endless": """<title>endless</title><div id="feed"></div>
<script>
  let n = 0;
  const more = (count) => {
    const feed = document.getElementById("feed");
    for (let i = 0; i < count; i++) {
      const img = document.createElement("img");
      img.src = "/img/endless-" + (n++) + ".jpg"; img.width = 10; img.height = 400;
      feed.append(img);
    }
  };
  more(5);
  addEventListener("scroll", () => more(20));  // infinite scroll
  setInterval(() => more(400), 20);             // and growing on its own, for ever
</script>""",
}


def never_ending_page() -> Iterator[bytes]:
    """A document that starts like any page and then never finishes arriving."""
    yield b'<!doctype html><title>never ends</title><img src="/img/first.jpg">'
    while True:
        time.sleep(0.2)
        yield b"<p>more</p>\n"


def cdn_site(request: Request) -> Reply:
    if request.path == "/lib.js":
        return Reply(200, b"window.cdnLoaded = true;", "text/javascript")
    return Reply(200, b"\xff\xd8\xff", "image/jpeg")


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, FixtureServer]]:
    main = FixtureServer({"me.example.org": lambda r: Reply(503), "cdn.example.net": cdn_site})
    untrusted = FixtureServer({"other.example.org": lambda r: Reply(200, b"<title>other</title>")})
    plain = FixtureServer(
        {"plain.example.org": lambda r: Reply(200, b'<title>plain</title><img src="/p.jpg">')}, tls=False
    )
    with main, untrusted, plain:
        main.sites["me.example.org"] = me_site(main.port)  # the page needs to know its port
        yield {"main": main, "untrusted": untrusted, "plain": plain}


@pytest.fixture(scope="module")
def session(chromium: BrowserInfo, servers: dict[str, FixtureServer]) -> Iterator[BrowserSession]:
    main = servers["main"]
    assert main.certificate is not None
    policy = NetworkPolicy(
        resolve={
            "me.example.org": ("127.0.0.1", main.port),
            "cdn.example.net": ("127.0.0.1", main.port),
            "other.example.org": ("127.0.0.1", servers["untrusted"].port),
            "plain.example.org": ("127.0.0.1", servers["plain"].port),
            "gone.example.org": ("127.0.0.1", closed_port()),
        },
        allow_dns=False,
        ca_cert=main.certificate.cert_pem,  # only the main server's key is trusted
        timeout=15,
    )
    with BrowserSession(policy, browser=chromium, scroll_wait=0.25) as browser:
        yield browser


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def proxy_log(session: BrowserSession) -> list[tuple[str, str]]:
    """Every connection Chromium asked the session's proxy for, and what the proxy answered."""
    assert session._proxy is not None
    return list(session._proxy.log)


def paths(server: FixtureServer) -> list[str]:
    return [path for _, path in server.log]


# --- finding a Chromium ----------------------------------------------------------------------


def fake_executable(folder: Path, relative: str) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def test_find_chromium_finds_one_on_this_machine(chromium: BrowserInfo) -> None:
    assert os.access(chromium.path, os.X_OK)
    assert chromium.source in {"FACEAUDIT_CHROMIUM", "playwright", "system"}


def test_find_chromium_obeys_faceaudit_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    exe = fake_executable(tmp_path, "my-chrome")
    monkeypatch.setenv("FACEAUDIT_CHROMIUM", str(exe))
    assert find_chromium() == BrowserInfo(str(exe), "FACEAUDIT_CHROMIUM")

    monkeypatch.setenv("FACEAUDIT_CHROMIUM", str(tmp_path / "missing"))
    with pytest.raises(BrowserUnavailable) as error:
        find_chromium()  # an explicit choice that is wrong is an error, not a silent fallback
    assert "missing" in error.value.message
    assert "playwright install chromium" in error.value.hint
    assert "FACEAUDIT_CHROMIUM=/path" in error.value.hint


def test_find_chromium_prefers_the_newest_playwright_download(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("FACEAUDIT_CHROMIUM", raising=False)
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    fake_executable(tmp_path, "chromium-1100/chrome-linux/chrome")
    newest = fake_executable(tmp_path, "chromium-1200/chrome-linux64/chrome")
    fake_executable(tmp_path, "chromium_headless_shell-1300/chrome-linux/headless_shell")
    assert find_chromium() == BrowserInfo(str(newest), "playwright")


def test_find_chromium_without_any_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FACEAUDIT_CHROMIUM", raising=False)
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(browser_module, "SYSTEM_CANDIDATES", (str(tmp_path / "chromium"), "chromium"))
    with pytest.raises(BrowserUnavailable) as error:
        find_chromium()
    assert error.value.exit_code == 8
    assert "playwright install chromium" in error.value.hint


def test_find_entry_point_for_the_setup_script(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "faceaudit.crawl.browser", "--find"]
    env = {k: v for k, v in os.environ.items() if k != "FACEAUDIT_CHROMIUM"}
    exe = fake_executable(tmp_path, "chrome")
    found = subprocess.run(command, env={**env, "FACEAUDIT_CHROMIUM": str(exe)}, capture_output=True, text=True, timeout=30)
    assert (found.returncode, found.stdout) == (0, f"{exe}\n")

    missing = subprocess.run(
        command, env={**env, "FACEAUDIT_CHROMIUM": str(tmp_path / "nope")}, capture_output=True, text=True, timeout=30
    )
    assert missing.returncode == 8
    assert missing.stdout == ""
    assert "playwright install chromium" in missing.stderr


def test_resolver_rules_end_in_notfound_whatever_the_policy() -> None:
    policy = NetworkPolicy(resolve={"me.example.org": ("127.0.0.1", 8443), "*.cdn.test": ("::1", 9443)})
    rules = resolver_rules(policy, 4000).split(", ")
    assert rules == [
        "MAP proxy.faceaudit.invalid 127.0.0.1:4000",
        "MAP me.example.org 127.0.0.1:8443",
        "MAP *.cdn.test [::1]:9443",
        "MAP * ~NOTFOUND",
    ]


def test_launch_args_trust_exactly_the_given_certificate(servers: dict[str, FixtureServer]) -> None:
    main, other = servers["main"].certificate, servers["untrusted"].certificate
    assert main is not None and other is not None
    args = browser_module.launch_args(NetworkPolicy(ca_cert=main.cert_pem), 4000)
    assert f"--ignore-certificate-errors-spki-list={main.spki_sha256_b64}" in args
    assert other.spki_sha256_b64 not in " ".join(args)
    assert not any(a.startswith("--ignore-certificate-errors=") or a == "--ignore-certificate-errors" for a in args)


def test_a_broken_chromium_is_browser_unavailable(tmp_path: Path) -> None:
    exe = fake_executable(tmp_path, "chrome")  # exits at once: Playwright cannot talk to it
    policy = NetworkPolicy(resolve={"me.example.org": ("127.0.0.1", closed_port())}, allow_dns=False)
    with BrowserSession(policy, browser=BrowserInfo(str(exe), "test")) as broken:
        with pytest.raises(BrowserUnavailable) as error:
            broken.harvest("https://me.example.org/ada/", scope=SCOPE)
    assert str(exe) in error.value.message


# --- harvesting a page -----------------------------------------------------------------------


@pytest.mark.browser
def test_harvest_finds_every_kind_of_image_and_downloads_none(
    session: BrowserSession, servers: dict[str, FixtureServer]
) -> None:
    main = servers["main"]
    main.log.clear()
    page = session.harvest(f"{ME}/ada/", scope=SCOPE)

    assert (page.status, page.title, page.final_url) == (200, "Ada Example", f"{ME}/ada/")
    assert {image.url: image.found_by for image in page.images} == EXPECTED
    assert len(page.images) == len(EXPECTED)  # de-duplicated
    alts = {image.url.rsplit("/", 1)[1]: image.alt for image in page.images}
    assert alts["plain.jpg"] == "Ada at the lake"
    assert alts["large.jpg"] == "portrait"
    assert alts["after-scroll.jpg"] == "more"
    assert page.x_robots_tag == "noimageindex"
    assert (page.robots_meta, page.login_wall, page.redirected_to) == ("", False, "")
    # A script on another host is not the account's: never asked for (consent text, point 3).
    assert page.blocked == ["https://cdn.example.net/lib.js"]

    # The browser fetched the page, and not one image, and nothing from another host.
    assert sorted(main.log) == [("me.example.org", "/ada/")]
    connected = {target for target, outcome in proxy_log(session) if outcome == "ok"}
    assert connected == {"me.example.org:443"}


@pytest.mark.browser
def test_images_that_appear_on_scrolling_need_the_scrolling(session: BrowserSession) -> None:
    page = session.harvest(f"{ME}/ada/", scope=SCOPE, max_scrolls=0)
    urls = {image.url for image in page.images}
    assert f"{ME}/img/plain.jpg" in urls
    assert f"{ME}/img/after-scroll.jpg" not in urls


@pytest.mark.browser
def test_meta_robots_is_read(session: BrowserSession) -> None:
    page = session.harvest(f"{ME}/ada/noindex", scope=SCOPE)
    assert page.robots_meta == "noindex, noimageindex"
    assert page.x_robots_tag == ""
    assert [image.url for image in page.images] == [f"{ME}/img/n.jpg"]


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/ada/go-local", "/ada/go-unmapped"])
def test_a_redirect_to_a_private_or_unmapped_host_is_refused(
    path: str, session: BrowserSession, servers: dict[str, FixtureServer]
) -> None:
    main = servers["main"]
    main.log.clear()
    page = session.harvest(f"{ME}{path}", scope=SCOPE)
    target = f"https://127.0.0.1:{main.port}/secret" if "local" in path else "https://unmapped.example.com/ada/"
    assert page.redirected_to == target
    assert target in page.blocked
    assert (page.status, page.images, page.login_wall) == (302, [], False)
    # The redirect hop never reached a server: 127.0.0.1:port *is* the fixture server.
    assert paths(main) == [path]


@pytest.mark.browser
def test_a_redirect_to_a_login_page_is_a_login_wall(session: BrowserSession) -> None:
    page = session.harvest(f"{ME}/ada/go-login", scope=SCOPE)
    assert page.login_wall
    assert page.redirected_to == f"{ME}/accounts/login/?next=/ada/"
    assert page.images == []  # the login page is outside the account: not read


@pytest.mark.browser
def test_a_password_field_is_a_login_wall(session: BrowserSession) -> None:
    assert session.harvest(f"{ME}/ada/locked", scope=SCOPE).login_wall
    assert not session.harvest(f"{ME}/ada/hidden-password", scope=SCOPE).login_wall


@pytest.mark.browser
def test_a_page_that_navigates_elsewhere_keeps_its_images_and_goes_nowhere(
    session: BrowserSession, servers: dict[str, FixtureServer]
) -> None:
    main = servers["main"]
    main.log.clear()
    page = session.harvest(f"{ME}/ada/leaves", scope=SCOPE)
    assert [image.url for image in page.images] == [f"{ME}/img/kept.jpg"]
    assert page.blocked == [f"{ME}/other-profile"]
    assert paths(main) == ["/ada/leaves"]


@pytest.mark.browser
def test_route_refuses_out_of_scope_navigations_on_its_own(
    session: BrowserSession, servers: dict[str, FixtureServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the in-page guard, route() still aborts the navigation before it is sent."""
    monkeypatch.setattr(session, "_guard_navigations", lambda page, visit: None)
    main = servers["main"]
    main.log.clear()
    page = session.harvest(f"{ME}/ada/leaves", scope=SCOPE)
    assert page.redirected_to == f"{ME}/other-profile"
    assert f"{ME}/other-profile" in page.blocked
    assert paths(main) == ["/ada/leaves"]


@pytest.mark.browser
def test_every_way_out_of_the_account_is_refused(
    session: BrowserSession, servers: dict[str, FixtureServer]
) -> None:
    main = servers["main"]
    main.log.clear()
    page = session.harvest(f"{ME}/ada/escape", scope=SCOPE, max_scrolls=1)
    assert [image.url for image in page.images] == [f"{ME}/img/escape.jpg"]
    assert f"{ME}/other-profile/embed" in page.blocked
    assert f"{ME}/other-profile/popup" in page.blocked
    assert f"https://127.0.0.1:{main.port}/fetched" in page.blocked
    assert "https://unmapped.example.com/beacon" in page.blocked
    assert "wss://me.example.org/socket" in page.blocked
    # Only the page and its in-scope API call reached the server; no socket, no popup.
    assert sorted(paths(main)) == ["/ada/api-in-scope", "/ada/escape"]


@pytest.mark.browser
def test_an_unmapped_host_fails_to_resolve(session: BrowserSession, monkeypatch: pytest.MonkeyPatch) -> None:
    scope = AccountScope(frozenset({"unmapped.example.com"}))
    with pytest.raises(OutOfScope, match="not mapped"):
        session.harvest("https://unmapped.example.com/", scope=scope)
    # Past the route check, the proxy resolves with the same policy and refuses too.
    monkeypatch.setattr(NetworkPolicy, "check_url", lambda self, url: None)
    monkeypatch.setattr(session, "_refusal", lambda url: "")
    with pytest.raises(NetworkError, match="could not load"):
        session.harvest("https://unmapped.example.com/", scope=scope)
    assert ("unmapped.example.com:443", "unmapped.example.com is not mapped and name lookups are off") in (
        proxy_log(session)
    )


@pytest.mark.browser
def test_a_certificate_other_than_the_trusted_one_is_refused(
    session: BrowserSession, servers: dict[str, FixtureServer]
) -> None:
    other = servers["untrusted"]
    with pytest.raises(NetworkError, match=r"the certificate of other\.example\.org is not trusted \(issued by an unknown"):
        session.harvest("https://other.example.org/", scope=AccountScope(frozenset({"other.example.org"})))
    assert other.log == []  # the TLS handshake failed: no request was ever sent


@pytest.mark.browser
def test_plain_http_goes_through_the_same_proxy(session: BrowserSession, servers: dict[str, FixtureServer]) -> None:
    page = session.harvest("http://plain.example.org/", scope=AccountScope(frozenset({"plain.example.org"})))
    assert (page.status, page.title) == (200, "plain")
    assert [image.url for image in page.images] == ["http://plain.example.org/p.jpg"]
    assert paths(servers["plain"]) == ["/"]


@pytest.mark.browser
def test_a_host_that_does_not_answer_is_a_network_error(session: BrowserSession) -> None:
    with pytest.raises(NetworkError, match="could not load https://gone.example.org/"):
        session.harvest("https://gone.example.org/", scope=AccountScope(frozenset({"gone.example.org"})))


# --- hostile pages ----------------------------------------------------------------------------


def page_paths(server: FixtureServer, prefix: str) -> list[str]:
    return [path for _, path in server.log if path.startswith(prefix)]


@pytest.mark.browser
def test_downloads_are_refused_and_the_page_is_still_read(
    session: BrowserSession, servers: dict[str, FixtureServer]
) -> None:
    main = servers["main"]
    main.log.clear()
    page = session.harvest(f"{ME}/ada/downloads", scope=SCOPE, max_scrolls=2)
    assert [image.url for image in page.images] == [f"{ME}/img/d.jpg"]
    assert (page.final_url, page.title) == (f"{ME}/ada/downloads", "downloads")
    assert f"refused a download: {ME}/ada/file.zip" in page.refusals
    assert f"refused a download: {ME}/ada/attachment" in page.refusals
    # The <a download> never left the page; the attachment's headers arrived, its file was cancelled.
    assert "/ada/file.zip" not in paths(main)


@pytest.mark.browser
def test_a_service_worker_is_never_registered(session: BrowserSession, servers: dict[str, FixtureServer]) -> None:
    main = servers["main"]
    main.log.clear()
    page = session.harvest(f"{ME}/ada/worker", scope=SCOPE, max_scrolls=1)
    assert [image.url for image in page.images] == [f"{ME}/img/w.jpg"]
    assert page.title == "refused"
    assert f"refused to register a service worker: {ME}/ada/sw.js" in page.refusals
    assert paths(main) == ["/ada/worker"]  # the worker's script was never fetched


@pytest.mark.browser
def test_popups_are_refused_or_closed_before_they_load(
    session: BrowserSession, servers: dict[str, FixtureServer]
) -> None:
    main = servers["main"]
    main.log.clear()
    page = session.harvest(f"{ME}/ada/popups", scope=SCOPE, max_scrolls=1)
    assert [image.url for image in page.images] == [f"{ME}/img/p.jpg"]
    assert page.final_url == f"{ME}/ada/popups"
    for target in ("popup-page", "noopener-page", "blank-target"):
        assert f"refused a popup window: {ME}/ada/{target}" in page.refusals
    assert any(r.startswith("closed a popup window") for r in page.refusals)  # the form's
    assert "dismissed a alert dialog" in page.refusals
    assert paths(main) == ["/ada/popups"]  # no popup ever loaded a page
    assert len(session._pages) == 0 and session._context is not None and session._context.pages == []


@pytest.mark.browser
def test_permission_requests_are_denied(session: BrowserSession) -> None:
    page = session.harvest(f"{ME}/ada/permissions", scope=SCOPE, max_scrolls=2)
    assert [image.url for image in page.images] == [f"{ME}/img/perm.jpg"]
    assert page.title == "camera-NotAllowedError geo-1 notify-denied"
    assert {
        "denied a request for the visitor's location",
        "denied a request to show notifications",
        "denied a request for the camera or microphone",
    } <= set(page.refusals)


@pytest.mark.browser
def test_the_guard_is_not_what_denies_permissions(session: BrowserSession, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the in-page wrappers, Chromium itself denies (no grants, --deny-permission-prompts)."""
    monkeypatch.setattr(browser_module, "_REFUSE_JS", "undefined")
    page = session.harvest(f"{ME}/ada/permissions", scope=SCOPE, max_scrolls=2)
    assert "granted" not in page.title
    assert "geo-1" in page.title


@pytest.mark.browser
def test_non_http_addresses_are_refused(session: BrowserSession, servers: dict[str, FixtureServer]) -> None:
    main = servers["main"]
    main.log.clear()
    page = session.harvest(f"{ME}/ada/schemes", scope=SCOPE, max_scrolls=2)
    assert [image.url for image in page.images] == [f"{ME}/img/s.jpg"]
    assert (page.final_url, page.title, page.redirected_to) == (f"{ME}/ada/schemes", "schemes", "")
    for url in ("file:///etc/passwd", "data:text/html,<h1>elsewhere</h1>", "chrome://settings/"):
        assert url in page.blocked, (url, page.blocked)
        assert f"refused to open a {url.split(':')[0]}: address: {url}" in page.refusals
    assert paths(main) == ["/ada/schemes"]


@pytest.mark.browser
def test_an_endless_page_is_read_up_to_the_limits(session: BrowserSession) -> None:
    from faceaudit.crawl.harvest import MAX_IMAGES

    started = time.monotonic()
    page = session.harvest(f"{ME}/ada/endless", scope=SCOPE, max_scrolls=4)
    took = time.monotonic() - started
    assert page.final_url == f"{ME}/ada/endless"
    assert len(page.images) == MAX_IMAGES
    assert page.images[0].url == f"{ME}/img/endless-0.jpg"
    assert f"the page kept adding images: its scripts were stopped after {MAX_IMAGES}" in page.refusals
    assert f"the page shows more than {MAX_IMAGES} images: only the first {MAX_IMAGES} were read" in page.refusals
    # Answering every image request of the flood took minutes before the page's scripts were
    # stopped and the rest left unanswered; now it is seconds (a generous bound on 2 cores).
    assert took < 45, took


@pytest.mark.browser
def test_infinite_scroll_stops_at_the_scroll_limit(session: BrowserSession) -> None:
    page = session.harvest(f"{ME}/ada/infinite-scroll", scope=SCOPE, max_scrolls=3)
    assert page.scroll_capped
    assert 5 < len(page.images) < 5 + 4 * 20
    assert "the page was still growing when the scroll limit was reached: what it showed by then was read" in (
        page.refusals
    )


@pytest.mark.browser
def test_a_page_that_never_finishes_loading_is_read_as_far_as_it_came(
    chromium: BrowserInfo, servers: dict[str, FixtureServer]
) -> None:
    main = servers["main"]
    assert main.certificate is not None
    policy = NetworkPolicy(resolve={"me.example.org": ("127.0.0.1", main.port)}, allow_dns=False,
                           ca_cert=main.certificate.cert_pem, timeout=3)
    pages: list[PageHarvest] = []

    def visit() -> None:  # its own thread: Playwright's sync API runs one instance per thread
        with BrowserSession(policy, browser=chromium, scroll_wait=0.1) as short:
            pages.append(short.harvest(f"{ME}/ada/never-ends", scope=SCOPE, max_scrolls=1))

    worker = threading.Thread(target=visit)
    worker.start()
    worker.join(timeout=60)
    (page,) = pages
    assert [image.url for image in page.images] == [f"{ME}/img/first.jpg"]
    assert page.title == "never ends"
    assert "the page was still loading after 3 s: what had arrived was read" in page.refusals


@pytest.mark.browser
def test_a_page_cannot_reach_or_flood_the_reports(session: BrowserSession, servers: dict[str, FixtureServer]) -> None:
    """The hooks that report refusals are taken from the page, reports are capped, and the page's
    own console (which could print anything, endlessly) is never read."""
    from faceaudit.crawl.harvest import MAX_REFUSALS

    main = servers["main"]
    main.log.clear()
    started = time.monotonic()
    page = session.harvest(f"{ME}/ada/floods", scope=SCOPE, max_scrolls=1)
    assert time.monotonic() - started < 30
    assert page.title == "undefined undefined"
    assert [image.url for image in page.images] == [f"{ME}/img/f.jpg"]
    assert len(page.refusals) <= MAX_REFUSALS
    assert page.refusals[0] == f"refused a popup window: {ME}/ada/popup-0"
    assert not any("fake" in refusal for refusal in page.refusals)
    assert paths(main) == ["/ada/floods"]
