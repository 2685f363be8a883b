"""What every platform adapter is: declarative attributes plus one hook that yields image candidates.

An adapter subclasses `Site`, sets the class attributes, and implements `scope` and `crawl`.
`candidates` (called by the scan) wraps `crawl`: a refusal by the network policy becomes a
login-wall (a redirect to a login page) or error outcome, a network failure an error outcome, never an exception. The
helpers below are the shared vocabulary: `outcome_for` turns an HTTP answer that is not a
success into the outcome a person reads, `Pager` stops pagination on our cap and on a cursor
the platform repeats.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from faceaudit.crawl.net import AccountScope, RequestCap
from faceaudit.errors import NetworkError, OutOfScope
from faceaudit.types import CrawlResult, ImageCandidate, StopReason

if TYPE_CHECKING:
    from faceaudit.crawl.browser import BrowserSession
    from faceaudit.crawl.net import NetClient, NetResponse

# Where platforms send a logged-out visitor they will not serve.
LOGIN_PATH = re.compile(
    r"/(?:accounts/login|login|log-in|signin|sign-in|sign_in|authwall|challenge|checkpoint|i/flow/login|servicelogin)(?:[/.?]|$)",
    re.IGNORECASE,
)


def is_login_url(url: str) -> bool:
    return bool(LOGIN_PATH.search(urlsplit(url).path or "/"))


@dataclass
class CrawlContext:
    """What an adapter may use. Adapters never import httpx or Playwright themselves."""

    net: NetClient
    browser: Callable[[], BrowserSession]  # started on first call, one per scan
    max_images: int = 500
    max_pages: int = 20  # API pages or scrolled pages per account
    max_scrolls: int = 15


class Site:
    """One platform. Subclasses set the class attributes and implement `scope` and `crawl`."""

    name: ClassVar[str]  # short, lower-case: "mastodon", "web"
    pattern: ClassVar[re.Pattern[str]]  # matches the account URLs this adapter takes
    example: ClassVar[str]  # an account URL that `pattern` matches (meta-tested)
    settings_url: ClassVar[str]  # where the owner changes what logged-out visitors see; may use {host}
    # URLs that belong to this platform but are not an account (a post, a search, a help page):
    # `accounts add` refuses them with `example` instead of handing them to the web adapter.
    refuse: ClassVar[re.Pattern[str] | None] = None

    def __init__(self, url: str, match: re.Match[str]) -> None:
        self.url = url
        self.match = match

    def settings_page(self) -> str:
        host = (urlsplit(self.url).hostname or "").lower()
        return self.settings_url.format(host=host) if self.settings_url else ""

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
        through: it ends the scan, not the account."""
        count = 0
        try:
            for candidate in self.crawl(ctx, result):
                if count >= ctx.max_images:
                    result.stop, result.detail = StopReason.CAP, f"stopped at {count} images (--max-images)"
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


def outcome_for(response: NetResponse, result: CrawlResult, who: str) -> None:
    """Record why a response that is not a success ends the crawl. `who`: "@alex on example.social"."""
    status = response.status
    if status in (401, 403, 999):
        result.stop = StopReason.BLOCKED
        result.detail = f"{status}: the platform refused a logged-out visitor for {who}"
    elif status == 429:
        reset = (response.headers.get("retry-after") or response.headers.get("x-ratelimit-reset")
                 or response.headers.get("ratelimit-reset") or "")
        result.stop = StopReason.RATE_LIMITED
        result.detail = f"429: rate limited{f' (reset {reset[:40]})' if reset else ''}; try again later"
    elif status in (404, 410):
        result.stop, result.detail = StopReason.NOT_FOUND, f"{status}: no account {who}"
    elif 300 <= status < 400 and is_login_url(response.headers.get("location", "")):
        result.stop = StopReason.LOGIN_WALL
        result.detail = f"a login wall after {result.pages_visited} pages"
    elif response.ok:
        result.stop, result.detail = StopReason.ERROR, f"unexpected answer from {response.url[:160]}"
    else:
        result.stop, result.detail = StopReason.ERROR, f"{status} from {response.url[:160]}"


def json_body(response: NetResponse, shape: type, result: CrawlResult, who: str) -> Any:
    """The JSON body if the call worked and has `shape` (dict or list); otherwise the outcome is
    recorded and None returned. HTML where JSON was expected (a login or challenge page) is an
    outcome too, not a crash."""
    if not response.ok:
        outcome_for(response, result, who)
        return None
    try:
        body = response.json()
    except NetworkError:
        body = None
    if isinstance(body, shape):
        return body
    if "html" in response.content_type:
        result.stop = StopReason.LOGIN_WALL if is_login_url(response.url) else StopReason.BLOCKED
        result.detail = f"a web page where the data of {who} was expected: the platform wants a login or a check"
    else:
        result.stop, result.detail = StopReason.ERROR, f"unexpected answer from {response.url[:160]}"
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


def is_http(url: Any) -> bool:
    return isinstance(url, str) and url.startswith(("https://", "http://"))


def plain(content: Any, limit: int = 300) -> str:
    """Text of an HTML fragment (a caption), whitespace collapsed, cut at `limit` characters."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", str(content or "")))
    return " ".join(text.split())[:limit]
