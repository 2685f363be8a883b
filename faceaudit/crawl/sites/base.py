"""What every platform adapter is: declarative attributes plus one hook that yields image candidates.

An adapter subclasses `Site`, sets the class attributes, and implements `scope` and `crawl`.
`candidates` (called by the scan) wraps `crawl`: it owns the per-account image cap, and a refusal
by the network policy becomes a login-wall (a redirect to a login page) or error outcome, a
network failure an error outcome, never an exception.

The crawl stage's vocabulary is in two places, and nowhere else (tests/test_crawl_vocabulary.py
looks for copies): how pages and answers are read is crawl/vocabulary.py (shared with the
browser's page harvest); what an answer means for an account is here:

- for a page read in the browser, `page_outcome` and `page_indexable`;
- answers: `outcome_for` and `json_body` turn an HTTP answer that is not a success into the
  outcome a person reads, `failure_outcome` a network failure; `Pager` stops pagination on our
  cap and on a cursor the platform repeats; `json_or_none`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from faceaudit.crawl.net import AccountScope, RequestCap
from faceaudit.crawl.vocabulary import allows_indexing, is_login_url
from faceaudit.errors import NetworkError, OutOfScope
from faceaudit.types import CrawlResult, ImageCandidate, StopReason

if TYPE_CHECKING:
    from faceaudit.crawl.browser import BrowserSession
    from faceaudit.crawl.harvest import PageHarvest
    from faceaudit.crawl.net import NetClient, NetResponse

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

    def account_url(self) -> str:
        """The one address `accounts add` stores for this account, however it was typed, so
        that a duplicate is seen as one (registry `canonical`). The registry has already made
        scheme, host and port regular; a platform overrides this with its own shape: its host,
        the profile's path without tabs, views or query, the name lower-case where the platform
        ignores case. The default keeps the address as it is (a personal site's path is its own)."""
        return self.url

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
        except NetworkError as exc:
            result.stop, result.detail = failure_outcome(exc, result.pages_visited)


def failure_outcome(exc: NetworkError, pages_visited: int = 0) -> tuple[StopReason, str]:
    """The account's outcome when the network failed or the policy refused (`pages_visited`
    before it), the same on every platform: a redirect to a login page is a login wall; anything
    else (a host that cannot be found or does not answer, an address outside the account or not
    public) is an error, in crawl/failures.py's words."""
    if isinstance(exc, OutOfScope) and exc.url and is_login_url(exc.url):
        return StopReason.LOGIN_WALL, f"sent to a login page ({exc.url[:120]}) after {pages_visited} pages"
    return StopReason.ERROR, exc.message


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
