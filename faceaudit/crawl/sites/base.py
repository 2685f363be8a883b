"""What every platform adapter is: declarative attributes plus one hook that yields image candidates.

An adapter subclasses `Site`, sets the class attributes, and implements `scope` and `crawl`.
`candidates` (called by the scan) wraps `crawl`: it owns the per-account image cap, and a refusal
by the network policy becomes a login-wall (a redirect to a login page) or error outcome, a
network failure an error outcome, never an exception.

The helpers below are the crawl stage's one vocabulary; adapters (and harvest.py) use these and
keep no copies of their own (tests/test_crawl_vocabulary.py looks for copies):

- login walls: `is_login_url`;
- indexability: `robots_directives`, `allows_indexing` (meta robots and X-Robots-Tag);
- pages: `page_head` (`<meta>` tags and `<script id=…>` data), `jsonld_images`; for a page read
  in the browser, `page_outcome` and `page_indexable`;
- answers: `outcome_for` and `json_body` turn an HTTP answer that is not a success into the
  outcome a person reads, `Pager` stops pagination on our cap and on a cursor the platform repeats;
- small JSON helpers: `json_or_none`, `parse_json`, `as_dict`, `as_list`, `iso_utc`, `is_http`, `plain`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from faceaudit.crawl.net import AccountScope, RequestCap
from faceaudit.errors import NetworkError, OutOfScope
from faceaudit.types import CrawlResult, ImageCandidate, StopReason

if TYPE_CHECKING:
    from faceaudit.crawl.browser import BrowserSession
    from faceaudit.crawl.harvest import PageHarvest
    from faceaudit.crawl.net import NetClient, NetResponse

# Where platforms send a logged-out visitor they will not serve.
LOGIN_PATH = re.compile(
    r"/(?:accounts/login|login|log-in|signin|sign-in|sign_in|authwall|challenge|checkpoint|i/flow/login|servicelogin)(?:[/.?]|$)",
    re.IGNORECASE,
)


def is_login_url(url: str) -> bool:
    """Is `url` a login, authwall or challenge page? A platform that sends a logged-out visitor
    there (a redirect, a refused navigation) is a login wall, not an error."""
    return bool(LOGIN_PATH.search(urlsplit(url).path or "/"))


# Robots directives (<meta name="robots">, X-Robots-Tag) that keep a page or its images out of a
# search engine's index; `none` means noindex and nofollow.
NOINDEX = frozenset({"noindex", "noimageindex", "none"})
# Directives that carry a value after a colon ("max-image-preview: none"): there the colon does
# not name a bot, and the directive applies to every engine.
VALUED_DIRECTIVES = frozenset({"max-snippet", "max-image-preview", "max-video-preview", "unavailable_after"})


def robots_directives(text: str) -> set[str]:
    """Robots directives, lower-case, that apply to every search engine.

    `googlebot: noindex` still leaves the others free to index, so bot-specific ones do not
    count: the report must not tell the user a page is hidden when it is not.
    """
    found: set[str] = set()
    for part in text.lower().replace("\n", ",").split(","):
        name, colon, _ = part.strip().partition(":")
        if colon and name.strip() not in VALUED_DIRECTIVES:
            continue  # "somebot: noindex"
        found.add(name.strip())
    return found - {""}


def allows_indexing(*robots: str) -> bool:
    """False when any of the `robots` texts (the contents of meta robots tags, X-Robots-Tag
    headers) tells every search engine not to index the page or its images."""
    return not any(robots_directives(text) & NOINDEX for text in robots)


@dataclass
class CrawlContext:
    """What an adapter may use. Adapters never import httpx or Playwright themselves."""

    net: NetClient
    browser: Callable[[], BrowserSession]  # started on first call, one per scan
    max_images: int = 500
    max_pages: int = 20  # API pages or scrolled pages per account
    max_scrolls: int = 15


class Site:
    """One platform. Subclasses set the class attributes and implement `scope` and `crawl`.

    Where the owner changes what logged-out visitors see is advice, not crawling: it lives in
    the platform's advice file (report/advice/<name>.json, `settings_url`), which reports read.
    """

    name: ClassVar[str]  # short, lower-case: "mastodon", "web"
    pattern: ClassVar[re.Pattern[str]]  # matches the account URLs this adapter takes
    example: ClassVar[str]  # an account URL that `pattern` matches (meta-tested)
    # URLs that belong to this platform but are not an account (a post, a search, a help page):
    # `accounts add` refuses them with `example` instead of handing them to the web adapter.
    refuse: ClassVar[re.Pattern[str] | None] = None
    # True for the adapter that takes any URL no platform claims (web): the registry tries it last.
    catch_all: ClassVar[bool] = False

    def __init__(self, url: str, match: re.Match[str]) -> None:
        self.url = url
        self.match = match

    def scope(self) -> AccountScope:
        """Hosts and paths that belong to this account; pages outside it are never visited."""
        raise NotImplementedError

    def canonical(self, url: str) -> str:
        """The URL of the largest size the platform serves of the picture at `url`: the scan
        fetches that, and size variants of one picture (an avatar at 48 px on one page, at
        400 px on another) become one image, analysed once. The default leaves `url` as it is;
        a platform with documented size variants overrides it (when the rewritten URL fails,
        the scan fetches `url` itself)."""
        return url

    def crawl(self, ctx: CrawlContext, result: CrawlResult) -> Iterator[ImageCandidate]:
        """Yield every image the account shows logged out; set `result.stop` and `detail`."""
        raise NotImplementedError

    def candidates(self, ctx: CrawlContext, result: CrawlResult) -> Iterator[ImageCandidate]:
        """`crawl`, capped at `ctx.max_images`, with refusals, network failures and the account's
        request cap turned into the account's outcome. A scan's deadline (ScanDeadline) passes
        through: it ends the scan, not the account.

        This is the one place the image cap is applied (the scan relies on it). When the crawl
        had already recorded why the account ended short (a login wall, a 404 page that still
        shows pictures), that outcome is kept and the cap becomes a note.
        """
        count = 0
        try:
            for candidate in self.crawl(ctx, result):
                if count >= ctx.max_images:
                    if result.stop is StopReason.END:
                        result.stop, result.detail = StopReason.CAP, f"stopped at {count} images (--max-images)"
                    else:
                        result.notes.append(f"only the first {count} images were checked (--max-images)")
                    return
                count += 1
                yield candidate
        except RequestCap as exc:  # --max-requests: our own limit, like --max-images
            result.stop, result.detail = StopReason.CAP, exc.message
        except OutOfScope as exc:
            if exc.url and is_login_url(exc.url):
                result.stop = StopReason.LOGIN_WALL
                result.detail = f"sent to a login page ({exc.url[:120]}) after {result.pages_visited} pages"
            else:  # the platform pointed outside the account (or at a private address): not followed
                result.stop, result.detail = StopReason.ERROR, exc.message
        except NetworkError as exc:
            result.stop, result.detail = StopReason.ERROR, exc.message


def outcome_for(response: NetResponse, result: CrawlResult, who: str, said: str = "") -> None:
    """Record why a response that is not a success ends the crawl. `who`: "@alex on example.social".

    `said`: the platform's own words for the failure (an API's `error` field), quoted after the
    status, because "401: This API requires an authenticated user" tells the user more than 401.
    """
    status = response.status
    head = f"{status}: {said[:160]} — " if said else f"{status}: "
    if status in (401, 403, 999):
        result.stop = StopReason.BLOCKED
        result.detail = f"{head}the platform refused a logged-out visitor for {who}"
    elif status == 429:
        reset = (response.headers.get("retry-after") or response.headers.get("x-ratelimit-reset")
                 or response.headers.get("ratelimit-reset") or "")
        result.stop = StopReason.RATE_LIMITED
        result.detail = f"{head}rate limited{f' (reset {reset[:40]})' if reset else ''}; try again later"
    elif status in (404, 410):
        result.stop, result.detail = StopReason.NOT_FOUND, f"{head}no account {who}"
    elif 300 <= status < 400 and is_login_url(response.headers.get("location", "")):
        result.stop = StopReason.LOGIN_WALL
        result.detail = f"a login wall after {result.pages_visited} pages"
    elif response.ok:
        result.stop, result.detail = StopReason.ERROR, f"unexpected answer from {response.url[:160]}"
    else:
        code = f"{status}: {said[:160]}" if said else str(status)
        result.stop, result.detail = StopReason.ERROR, f"{code} from {response.url[:160]}"


def page_outcome(page: PageHarvest) -> tuple[StopReason, str]:
    """The outcome of one logged-out visit to a page in the browser, so that a login redirect or a
    404 reads the same on a personal site and on every page-based platform."""
    if page.login_wall:
        return StopReason.LOGIN_WALL, f"a login wall at {page.redirected_to or page.final_url}"
    if page.redirected_to:
        return StopReason.BLOCKED, f"the page sent visitors to {page.redirected_to}, outside the account"
    if page.status in (404, 410):
        return StopReason.NOT_FOUND, f"{page.status}: the page does not exist"
    if page.status == 429:
        return StopReason.RATE_LIMITED, "429: too many requests"
    if page.status in (401, 403, 999):
        return StopReason.BLOCKED, f"{page.status}: the site refused a logged-out visitor"
    if page.status >= 400:
        return StopReason.ERROR, f"{page.status}: the site answered with an error"
    if page.scroll_capped:
        return StopReason.CAP, "the scroll limit was reached before the end of the page"
    return StopReason.END, ""


def page_indexable(page: PageHarvest) -> bool | None:
    """May search engines index the page that was read (its meta robots, its X-Robots-Tag)?
    None when no page of the account was read (a redirect away, an error page)."""
    if page.redirected_to or page.status >= 400:
        return None
    return allows_indexing(page.robots_meta, page.x_robots_tag)


def json_body(response: NetResponse, shape: type, result: CrawlResult, who: str) -> Any:
    """The JSON body if the call worked and has `shape` (dict or list); otherwise the outcome is
    recorded and None returned. HTML where JSON was expected (a login or challenge page) is an
    outcome too, not a crash."""
    if not response.ok:
        outcome_for(response, result, who)
        return None
    body = json_or_none(response)
    if isinstance(body, shape):
        return body
    if "html" in response.content_type:
        result.stop = StopReason.LOGIN_WALL if is_login_url(response.url) else StopReason.BLOCKED
        result.detail = f"a web page where the data of {who} was expected: the platform wants a login or a check"
    else:
        result.stop, result.detail = StopReason.ERROR, f"unexpected answer from {response.url[:160]}"
    return None


def json_or_none(response: NetResponse) -> Any:
    """The response's JSON body whatever its status, or None when it is not JSON: an API's error
    answer often says why in JSON, a proxy's or a login page's does not."""
    try:
        return response.json()
    except NetworkError:
        return None


def parse_json(text: str) -> Any:
    """JSON, or None when it is not JSON."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


@dataclass
class Pager:
    """Pagination guard: `allow(cursor)` before fetching each page (the first with any cursor).

    Stops at `ctx.max_pages` (outcome `cap`) and when the platform hands back a cursor it gave
    before (the end of what it serves: outcome `end`, said in the detail).
    """

    ctx: CrawlContext
    result: CrawlResult
    noun: str = "pages of posts"
    pages: int = 0
    seen: set[str] = field(default_factory=set)

    def allow(self, cursor: str | None) -> bool:
        if cursor is not None and cursor in self.seen:
            self.result.stop = StopReason.END
            self.result.detail = f"all {self.pages} {self.noun} (the platform repeated a cursor)"
            return False
        if self.pages >= self.ctx.max_pages:
            self.result.stop = StopReason.CAP
            self.result.detail = f"stopped after {self.pages} {self.noun} (--max-pages)"
            return False
        if cursor is not None:
            self.seen.add(cursor)
        self.pages += 1
        self.result.pages_visited += 1
        return True

    def finished(self) -> None:
        self.result.stop, self.result.detail = StopReason.END, f"all {self.pages} {self.noun}"


def as_list(value: Any) -> list[Any]:
    """A JSON field that should be an array: itself, or [] when the platform sent something else
    (a garbled answer must end in an outcome, never a TypeError in the middle of a scan)."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    """A JSON field that should be an object: itself, or {} (see `as_list`), so that
    `as_dict(as_dict(data).get("user")).get("id")` reads a nested field without a TypeError."""
    return value if isinstance(value, dict) else {}


def iso_utc(timestamp: Any) -> str:
    """Seconds since 1970 (a JSON number) as an ISO 8601 UTC time, "2024-05-01T12:00:00Z";
    "" for anything else, a true/false or a time no calendar holds (a garbled field must not
    end the scan)."""
    if not isinstance(timestamp, (int, float)) or isinstance(timestamp, bool) or timestamp <= 0:
        return ""
    try:
        return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return ""


def is_http(url: Any) -> bool:
    """Is `url` an absolute http(s) address (and a string at all: it may come from any JSON)?"""
    return isinstance(url, str) and url.startswith(("https://", "http://"))


def plain(content: Any, limit: int = 300) -> str:
    """Text of an HTML fragment (a caption), whitespace collapsed, cut at `limit` characters."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", str(content or "")))
    return " ".join(text.split())[:limit]


class PageHead(HTMLParser):
    """What a page says about itself in markup: `<meta>` contents by property or name (lower-case,
    the first one wins), and the text of `<script id=…>` elements (where platforms put the data
    their own JavaScript renders). Fed the whole page; see `page_head`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.scripts: dict[str, str] = {}
        self._script: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name.lower(): value or "" for name, value in attrs}
        if tag == "meta":
            key = (attributes.get("property") or attributes.get("name") or "").lower()
            if key:
                self.meta.setdefault(key, attributes.get("content", "").strip())
        elif tag == "script" and attributes.get("id"):
            self._script = attributes["id"]
            self.scripts.setdefault(self._script, "")

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.scripts[self._script] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None


def page_head(page: str) -> PageHead:
    """The `<meta>` tags and `<script id=…>` texts of an HTML page (see `PageHead`)."""
    head = PageHead()
    head.feed(page)
    return head


def jsonld_images(node: Any) -> list[str]:
    """Image URLs in parsed JSON-LD: every `image` (URL, ImageObject, list) and ImageObject, at any
    depth. They may be relative: the caller resolves them against the page."""
    urls: list[str] = []
    if isinstance(node, list):
        for item in node:
            urls.extend(jsonld_images(item))
    elif isinstance(node, dict):
        if _is_image_object(node):
            urls.extend(_image_object_url(node))
        for key, value in node.items():
            if key == "image":
                urls.extend(_image_refs(value))
            elif isinstance(value, (dict, list)):
                urls.extend(jsonld_images(value))
    return urls


def _image_refs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [url for item in value for url in _image_refs(item)]
    if isinstance(value, dict):  # an untyped {"url": …} under "image" is an image too
        own = [] if _is_image_object(value) else _image_object_url(value)
        return own + jsonld_images(value)
    return []


def _is_image_object(node: dict[str, Any]) -> bool:
    types = node.get("@type", [])
    return "ImageObject" in (types if isinstance(types, list) else [types])


def _image_object_url(node: dict[str, Any]) -> list[str]:
    for key in ("contentUrl", "url"):
        if isinstance(node.get(key), str):
            return [node[key]]
    return []
