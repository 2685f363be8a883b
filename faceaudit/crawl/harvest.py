"""Reading a loaded account page: scroll it, run harvest.js in it, list the images it shows."""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from faceaudit.crawl.net import AccountScope
from faceaudit.crawl.vocabulary import is_login_url, jsonld_images, parse_json
from faceaudit.errors import NetworkError

if TYPE_CHECKING:
    from playwright.sync_api import Page

# The most images one page visit reports (harvest.js stops there too): a page that grows for
# ever must not grow our memory or the JSON handed back from the page.
MAX_IMAGES = 3000
MAX_REFUSALS = 50
MAX_OUTSIDE_LINKS = 50

# Links to files, not pages: a crawler that follows links to read pages skips them.
NOT_A_PAGE = re.compile(
    r"\.(?:pdf|zip|gz|tgz|bz2|xz|7z|rar|tar|dmg|exe|msi|apk|iso|docx?|xlsx?|pptx?|od[tsp]|epub|"
    r"csv|txt|xml|rss|atom|json|js|css|ics|vcf|jpe?g|png|gif|webp|avif|svg|ico|bmp|tiff?|heic|"
    r"mp3|m4a|ogg|wav|flac|mp4|m4v|mov|webm|avi|mkv)$",
    re.IGNORECASE,
)
# Ending a session, and the site's own admin (WordPress's login and dashboard links in every
# footer), are never pages to read: a logged-out visitor has no session, and no admin page shows
# more than a login form. `is_login_url` covers the other login pages.
SESSION_PATH = re.compile(
    r"/(?:logout|log-out|log_out|signout|sign-out|sign_out|logoff|wp-login\.php|wp-admin)(?:[/.?]|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class HarvestedImage:
    url: str
    found_by: str  # og:image, twitter:image, link:image_src, json-ld, img, img:srcset, svg:image, ...
    alt: str = ""
    # Where the image sits, as short "key=value" words (see harvest.js): data-testid, perf (Facebook's
    # data-imgperflogname), class (the element's and its two parents'), label (nearest aria-label),
    # href (nearest link), time (of the article it is in). Platform adapters classify images by it.
    context: str = ""


@dataclass
class PageHarvest:
    """What one logged-out visit to one page showed."""

    final_url: str  # the page that was read (the URL asked for, when none was)
    # HTTP status of the page first loaded (the last response of its redirects); 0 if none arrived.
    # Where the page itself went next (its script, a refresh) is noted in `refusals`, and changes no outcome.
    status: int
    title: str = ""
    images: list[HarvestedImage] = field(default_factory=list)
    robots_meta: str = ""  # <meta name=robots> contents, joined with ", "
    x_robots_tag: str = ""
    blocked: list[str] = field(default_factory=list)  # URLs refused by the policy or the scope
    login_wall: bool = False
    redirected_to: str = ""  # set when the page sent us outside the account and was not read
    scroll_capped: bool = False  # the page still grew when max_scrolls ran out
    text: str = ""  # the page's visible words (first 4000 characters), for platform notices; never stored
    login_prompt: bool = False  # a visible dialog over the page asks the visitor to log in
    # What the page tried and was refused, as sentences: downloads, popups, permission requests,
    # service workers, non-http(s) navigations, endless growth. The outcome of a hostile page.
    refusals: list[str] = field(default_factory=list)
    # The page's links to other pages of the account (absolute, without fragments, in page order,
    # each once; see `page_links`), and the first MAX_OUTSIDE_LINKS that leave it (never visited).
    links: list[str] = field(default_factory=list)
    outside_links: list[str] = field(default_factory=list)


@dataclass
class Visit:
    """What one harvest saw on the wire."""

    scope: AccountScope
    blocked: list[str] = field(default_factory=list)
    refused_navigations: list[str] = field(default_factory=list)  # main frame only
    network_images: list[str] = field(default_factory=list)
    status: int = 0
    x_robots_tag: str = ""
    refusals: list[str] = field(default_factory=list)
    scripts_stopped: bool = False
    landed: str = ""  # the URL of the page first loaded, once its (final) response arrived
    went_on: bool = False  # the page itself then went to another page of the account, answering otherwise
    # Other hosts the page asked for more than an image (its scripts, styles, data, beacons):
    # never sent. Host -> the kinds of request, in the order they came.
    outside_requests: dict[str, list[str]] = field(default_factory=dict)

    def note(self, refusal: str) -> None:
        """Record what the page tried and was refused, once each; the first MAX_REFUSALS."""
        if len(self.refusals) < MAX_REFUSALS and refusal not in self.refusals:
            self.refusals.append(refusal)

    def network_image(self, url: str) -> None:
        if len(self.network_images) < MAX_IMAGES:  # an endless page requests images endlessly
            self.network_images.append(url)

    def main_response(self, url: str, status: int, x_robots_tag: str) -> None:
        """A response for the main frame's document. The page first loaded (after its redirects)
        decides the status: a page seen whole whose script then goes to a missing page of the
        account was seen, and its images are real. A later page that answers otherwise is noted
        (one that answers alike, or a download, changes nothing a report says)."""
        if not self.landed:
            self.status = status
            if not 300 <= status < 400:
                self.landed, self.x_robots_tag = url, x_robots_tag
            return
        if 300 <= status < 400 or status == self.status:
            return
        self.went_on = True
        self.note(f"after {self.landed[:200]} had loaded, the page itself went on to {url[:200]} ({status}): "
                  "the page first loaded was kept as the outcome")

    def outside_request(self, url: str, kind: str) -> None:
        """A request to a host outside the account, not for an image: refused, and summed up."""
        self.refuse(url, False)
        host = (urlsplit(url).hostname or "?").lower()
        kinds = self.outside_requests.get(host)
        if kinds is None and len(self.outside_requests) < MAX_OUTSIDE_LINKS:
            self.outside_requests[host] = kinds = []
        if kinds is not None and kind not in kinds:
            kinds.append(kind)

    def outside_note(self) -> str:
        """One sentence for all the requests to other hosts that were not sent ("" if none)."""
        if not self.outside_requests:
            return ""
        named = [f"{host} ({', '.join(kinds)})" for host, kinds in list(self.outside_requests.items())[:5]]
        more = len(self.outside_requests) - len(named)
        hosts = ", ".join(named) + (f" and {more} more hosts" if more else "")
        return (f"the page asked other hosts for more than images, and faceaudit sent none of it: {hosts}; "
                "a page that needs them to show its photos may show fewer here")

    def refuse(self, url: str, main_frame_navigation: bool) -> None:
        if len(self.blocked) >= 500:
            return  # a page can make endless attempts; the report needs the first few
        if url not in self.blocked:
            self.blocked.append(url)
        if main_frame_navigation and url not in self.refused_navigations:
            self.refused_navigations.append(url)


def scroll(
    page: Page, max_scrolls: int, *, step: int, wait: float, stable_rounds: int, timeout: float
) -> bool:
    """Wheel down until the page stops growing at its bottom; True if the cap cut it short."""
    last = _evaluate(page, "document.documentElement.scrollHeight", timeout)
    stable = 0
    # However slow a page makes each step, scrolling ends after `timeout` seconds in all.
    ends = time.monotonic() + timeout
    for _ in range(max_scrolls):
        if time.monotonic() > ends:
            return True
        page.mouse.wheel(0, step)
        page.wait_for_timeout(wait * 1000)
        height, at_bottom = _evaluate(
            page,
            "[document.documentElement.scrollHeight,"
            " innerHeight + scrollY >= document.documentElement.scrollHeight - 2]",
            timeout,
        )
        stable = stable + 1 if height == last and at_bottom else 0
        last = height
        if stable >= stable_rounds:
            return False
    return max_scrolls > 0 and stable == 0


def read_dom(page: Page, timeout: float) -> dict[str, Any]:
    """What harvest.js finds in the page: the raw material for page_harvest()."""
    return dict(_evaluate(page, f"({_read_dom_js()})({MAX_IMAGES})", timeout))


def page_harvest(dom: dict[str, Any], final_url: str, visit: Visit, capped: bool) -> PageHarvest:
    """The PageHarvest for what harvest.js read (`dom`) and what the wire showed (`visit`)."""
    base = str(dom.get("base") or final_url)
    found = [(str(u), str(by), str(alt), str(where)) for u, by, alt, where in dom["share"]]
    for text in dom["jsonld"]:
        # A broken JSON-LD block (None) shows no image to anyone either.
        found.extend((urljoin(base, u), "json-ld", "", "") for u in jsonld_images(parse_json(text)))
    found.extend((str(u), str(by), str(alt), str(where)) for u, by, alt, where in dom["page"])
    known = {_clean(u) for u in dom["known"]} | {_clean(u) for u, _, _, _ in found}
    found.extend((u, "network", "", "") for u in visit.network_images if _clean(u) not in known)
    if dom.get("truncated") or len(found) > MAX_IMAGES:
        visit.note(f"the page shows more than {MAX_IMAGES} images: only the first {MAX_IMAGES} were read")
        found = found[:MAX_IMAGES]
    if capped:
        visit.note("the page was still growing when the scroll limit was reached: what it showed by then was read")
    not_sent = visit.outside_note()
    if not_sent:
        visit.note(not_sent)
    images: dict[str, HarvestedImage] = {}
    for raw, found_by, alt, where in found:
        url = _clean(raw)
        if not url:
            continue
        first = images.get(url)
        if first is None:
            images[url] = HarvestedImage(url, found_by, alt, where)
        elif (alt and not first.alt) or (where and not first.context):  # og:image first, <img> later
            images[url] = HarvestedImage(url, first.found_by, first.alt or alt, first.context or where)
    links, outside = page_links([str(u) for u in dom.get("links", [])], final_url, visit.scope)
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
        text=str(dom.get("text") or ""),
        login_prompt=bool(dom.get("login_prompt")),
        refusals=list(visit.refusals),
        links=links,
        outside_links=outside,
    )


def page_links(hrefs: list[str], page_url: str, scope: AccountScope) -> tuple[list[str], list[str]]:
    """(links to other pages of the account, links that leave it) among a page's `hrefs`.

    A link that leaves the account (another host, or another path of the same host) is kept
    only to be reported. Within the account, what is not a page to read is dropped: mailto:,
    javascript: and other schemes, files (.pdf, .zip, images), login, logout and admin addresses, the
    page itself, and the page itself with another query (`?sort=new`, `?replytocom=3`).
    `rel=nofollow` links are kept: nofollow asks search engines not to credit the link, and a
    scraper follows it like any other.
    """
    here = urlsplit(page_url)
    inside: dict[str, None] = {}
    outside: dict[str, None] = {}
    for href in hrefs:
        url = _clean(href)
        if not url:
            continue
        if not scope.allows(url):
            if len(outside) < MAX_OUTSIDE_LINKS:
                outside[url] = None
            continue
        parts = urlsplit(url)
        same_page = _site_host(parts.hostname) == _site_host(here.hostname) and parts.path.rstrip("/") == here.path.rstrip("/")
        if same_page or NOT_A_PAGE.search(parts.path) or is_login_url(url) or SESSION_PATH.search(parts.path):
            continue
        inside[url] = None
    return list(inside), list(outside)


def _site_host(host: str | None) -> str:
    """A host name as one site: lower case, without its `www.` (the twin is the same site)."""
    return (host or "").lower().removeprefix("www.")


def stopped(url: str, visit: Visit, page: Page, timeout: float) -> PageHarvest:
    """The account page sent us elsewhere instead of showing itself: say where, read nothing.

    Either a refused navigation left an error page, or a redirect hop within the account's
    host left its paths (Playwright cannot stop those; the page it reached is not read).
    """
    landed = page.url
    password = False
    if landed.startswith(("http://", "https://")):
        visit.refuse(landed, True)
        with contextlib.suppress(NetworkError):
            password = bool(_evaluate(page, _LOGIN_FIELD_JS, timeout))
    target = visit.refused_navigations[0] if visit.refused_navigations else landed
    return PageHarvest(
        final_url=url,
        status=visit.status,
        blocked=list(visit.blocked),
        login_wall=password or _login_path([*visit.refused_navigations, landed]),
        redirected_to=target,
        refusals=list(visit.refusals),
    )


def _evaluate(page: Page, script: str, timeout: float) -> Any:
    """page.evaluate, retried when an in-scope navigation replaced the document meanwhile."""
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(3):
        try:
            return page.evaluate(script)
        except PlaywrightError as exc:
            if attempt == 2 or ("context was destroyed" not in str(exc) and "navigat" not in str(exc)):
                raise NetworkError(f"could not read {page.url}: {first_line(exc)}") from exc
            page.wait_for_load_state("domcontentloaded", timeout=timeout * 1000)
    raise AssertionError("unreachable")


def first_line(exc: BaseException) -> str:
    """A Playwright error's first line, for a one-line message (the rest is its call log)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _login_path(urls: list[str]) -> bool:
    """Did the visit end up at (or get sent towards) a login, authwall or challenge page?"""
    return any(is_login_url(u) for u in urls)


def _clean(url: str) -> str:
    """Absolute http(s) URL without its fragment, or "" for data:, blob: and the like."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


@cache
def _read_dom_js() -> str:
    # JavaScript reads and lints better in its own file; read once, on the first page read.
    return resources.files("faceaudit.crawl").joinpath("harvest.js").read_text(encoding="utf-8")


_LOGIN_FIELD_JS = """() => Array.from(document.querySelectorAll('input[type=password]'))
    .some(e => e.getClientRects().length > 0)"""
