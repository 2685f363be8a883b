"""The crawl stage's one vocabulary: how a page, a header or a JSON answer is read, whoever reads
it (an adapter in crawl/sites/, or the browser's page harvest). Adapters and harvest.py use these
and keep no copies of their own (tests/test_crawl_vocabulary.py looks for copies). It knows
nothing of adapters, the network client or the browser, so both sides can import it.

- login walls: `is_login_url`;
- indexability: `robots_directives`, `allows_indexing` (meta robots and X-Robots-Tag);
- pages: `page_head` (`<meta>` tags and `<script id=…>` data), `jsonld_images`;
- small JSON helpers: `parse_json`, `as_dict`, `as_list`, `iso_utc`, `is_http`, `plain`.
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

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


def parse_json(text: str) -> Any:
    """JSON, or None when it is not JSON."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


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
