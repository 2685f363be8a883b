"""What every platform adapter is: declarative attributes plus one hook that yields image candidates."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from faceaudit.crawl.net import AccountScope
from faceaudit.types import CrawlResult, ImageCandidate

if TYPE_CHECKING:
    from faceaudit.crawl.browser import BrowserSession
    from faceaudit.crawl.net import NetClient


@dataclass
class CrawlContext:
    """What an adapter may use. Adapters never import httpx or Playwright themselves."""

    net: NetClient
    browser: Callable[[], BrowserSession]  # started on first call, one per scan
    max_images: int = 500
    max_pages: int = 20  # API pages or scrolled pages per account
    max_scrolls: int = 15


class Site:
    """One platform. Subclasses set the class attributes and implement `candidates`."""

    name: ClassVar[str]  # short, lower-case: "mastodon", "web"
    pattern: ClassVar[re.Pattern[str]]  # matches the account URLs this adapter takes
    example: ClassVar[str]  # an account URL that `pattern` matches (meta-tested)
    settings_url: ClassVar[str]  # where the owner changes what logged-out visitors see

    def __init__(self, url: str, match: re.Match[str]) -> None:
        self.url = url
        self.match = match

    def scope(self) -> AccountScope:
        """Hosts and paths that belong to this account; pages outside it are never visited."""
        raise NotImplementedError

    def candidates(self, ctx: CrawlContext, result: CrawlResult) -> Iterator[ImageCandidate]:
        """Yield every image the account shows logged out; set `result.stop` and `detail`."""
        raise NotImplementedError
