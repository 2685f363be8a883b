"""The crawl stage's one vocabulary (crawl/vocabulary.py, and the outcomes in crawl/sites/base.py):
login walls, robots directives, page markup, small JSON helpers. Tested once here; a meta-test
fails when a second copy appears."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from faceaudit.crawl import harvest, vocabulary
from faceaudit.crawl.harvest import PageHarvest
from faceaudit.crawl.net import NetResponse
from faceaudit.crawl.sites import base
from faceaudit.crawl.sites.base import json_body, outcome_for, page_indexable
from faceaudit.crawl.vocabulary import (
    allows_indexing,
    as_dict,
    iso_utc,
    jsonld_images,
    page_head,
    robots_directives,
)
from faceaudit.types import CrawlResult, StopReason

CRAWL = Path(harvest.__file__).resolve().parent
HOMES = {Path(base.__file__).resolve(), Path(vocabulary.__file__).resolve()}


# Robots directives --------------------------------------------------------------------------

def test_only_directives_for_every_search_engine_count() -> None:
    assert robots_directives("noindex, nofollow") == {"noindex", "nofollow"}
    assert robots_directives("NoImageIndex") == {"noimageindex"}
    assert robots_directives("googlebot: noindex") == set()  # other engines may still index
    assert robots_directives("max-image-preview:none, index") == {"max-image-preview", "index"}


@pytest.mark.parametrize(("robots", "indexable"), [
    (("noindex",), False),
    (("none",), False),  # noindex + nofollow
    (("noimageindex",), False),  # the page may be found, its pictures may not
    (("noindex, nofollow",), False),
    (("NOINDEX",), False),
    (("index, follow", "noindex"), False),  # meta robots says yes, X-Robots-Tag says no
    (("noarchive\nnoindex",), False),  # two X-Robots-Tag headers, joined
    (("googlebot: noindex",), True),  # X-Robots-Tag for one bot: the others may still index
    (("googlebot: noindex, bingbot: none",), True),
    (("max-image-preview: none",), True),  # a smaller preview, not a ban
    (("nofollow, noarchive",), True),
    (("", ""), True),
    ((), True),
])
def test_what_keeps_a_page_out_of_search_engines(robots: tuple[str, ...], indexable: bool) -> None:
    assert allows_indexing(*robots) is indexable


def page(**fields: object) -> PageHarvest:
    return PageHarvest(**{"final_url": "https://me.example.org/", "status": 200, **fields})  # type: ignore[arg-type]


def test_a_page_read_in_the_browser_is_indexable_unless_its_robots_say_no() -> None:
    assert page_indexable(page()) is True
    assert page_indexable(page(robots_meta="none")) is False
    assert page_indexable(page(x_robots_tag="noimageindex")) is False
    assert page_indexable(page(x_robots_tag="googlebot: noindex")) is True
    # No page of the account was read: nothing is known.
    assert page_indexable(page(redirected_to="https://me.example.org/login", robots_meta="noindex")) is None
    assert page_indexable(page(status=404)) is None


# Login walls --------------------------------------------------------------------------------

LOGIN_PAGES = [
    "https://www.instagram.com/accounts/login/?next=/alex/",
    "https://www.example.org/login",
    "https://www.example.org/Login.php",
    "https://www.example.org/log-in/",
    "https://www.example.org/signin?return=/me",
    "https://www.example.org/sign-in",
    "https://www.example.org/users/sign_in",
    "https://www.linkedin.com/authwall?trk=x",
    "https://www.instagram.com/challenge/?next=/alex/",
    "https://www.facebook.com/checkpoint/block/",
    "https://x.com/i/flow/login",
    "https://accounts.google.com/ServiceLogin?continue=x",
]
NOT_LOGIN_PAGES = [
    "https://www.example.org/",
    "https://www.example.org/blog/login-tips",  # a post about logging in
    "https://www.example.org/logins",
    "https://www.example.org/home?next=/login",  # only the path counts
    "https://www.example.org/@alex",
    "",
]


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_a_login_page_is_a_login_wall_for_every_caller(url: str) -> None:
    assert vocabulary.is_login_url(url)
    assert harvest._login_path([url])  # the browser's harvest
    result = CrawlResult()
    outcome_for(NetResponse(url, 302, {"location": url}, b""), result, "@alex")  # an API's redirect
    assert result.stop is StopReason.LOGIN_WALL
    result = CrawlResult()
    json_body(NetResponse(url, 200, {"content-type": "text/html"}, b"<form>"), dict, result, "@alex")
    assert result.stop is StopReason.LOGIN_WALL  # a login page where JSON was expected


@pytest.mark.parametrize("url", NOT_LOGIN_PAGES)
def test_other_pages_are_not_login_walls(url: str) -> None:
    assert not vocabulary.is_login_url(url)
    assert not harvest._login_path([url])


# Answers ------------------------------------------------------------------------------------

def test_an_apis_own_words_are_quoted_in_the_outcome() -> None:
    result = CrawlResult()
    outcome_for(NetResponse("https://social.example/api", 401, {}, b""), result, "@alex", said="This API requires an authenticated user")
    assert result.stop is StopReason.BLOCKED
    assert result.detail.startswith("401: This API requires an authenticated user — ")
    result = CrawlResult()
    outcome_for(NetResponse("https://social.example/api", 404, {}, b""), result, "@nobody on social.example")
    assert (result.stop, result.detail) == (StopReason.NOT_FOUND, "404: no account @nobody on social.example")


# Page markup and JSON -----------------------------------------------------------------------

def test_meta_tags_and_script_data_are_read_from_a_page() -> None:
    head = page_head(
        '<html><head><meta content="NoIndex" name="ROBOTS"><meta property="og:image" content=" https://cdn/a.jpg?x=1&amp;y=2 ">'
        '<meta property="og:image" content="https://cdn/second.jpg">'
        '<script id="DATA" type="application/json">{"a": "<meta name=robots content=index>"}</script></head>'
    )
    assert head.meta == {"robots": "NoIndex", "og:image": "https://cdn/a.jpg?x=1&y=2"}  # the first of each
    assert head.scripts == {"DATA": '{"a": "<meta name=robots content=index>"}'}


def test_jsonld_images_are_found_at_any_depth() -> None:
    data = {"@type": "Person", "image": ["a.jpg", {"@type": "ImageObject", "contentUrl": "b.jpg"}, {"url": "c.jpg"}],
            "subjectOf": {"@type": "ImageObject", "url": "d.jpg"}, "name": "Ada"}
    assert jsonld_images(data) == ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    assert jsonld_images(None) == [] and jsonld_images("image") == []


def test_small_json_helpers_never_raise_on_a_garbled_field() -> None:
    assert as_dict({"a": 1}) == {"a": 1} and as_dict([1]) == {} and as_dict(None) == {}
    assert iso_utc(1_700_000_000) == "2023-11-14T22:13:20Z" and iso_utc(1_700_000_000.0) == "2023-11-14T22:13:20Z"
    for garbled in (True, 0, -5, "1700000000", None, 10**20, float("inf")):
        assert iso_utc(garbled) == ""


# No second copy -----------------------------------------------------------------------------

LOGIN_WORDS = ("authwall", "signin", "sign-in", "sign_in", "log-in", "i/flow/login", "servicelogin", "accounts/login")
ROBOTS_WORDS = ("noimageindex", "max-image-preview", "unavailable_after")
# The shared helpers; a function of the same name (with or without a leading underscore), or one
# of the names the old copies had, is a copy.
SHARED = {name.lstrip("_") for module in (base, vocabulary) for name, value in vars(module).items()
          if callable(value) and getattr(value, "__module__", "") == module.__name__}
OLD_COPIES = {"_dict", "_obj", "_iso", "_meta", "_directives", "_json_or_none", "_jsonld_images", "_stop_reason"}


def copies(source: str, adapter: bool) -> list[str]:
    """What in `source` repeats the shared vocabulary instead of using it. `adapter`: a module of
    crawl/sites/, where every robots text read must go to `allows_indexing`."""
    tree = ast.parse(source)
    found: list[str] = []
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    inside_allows: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "allows_indexing":
            inside_allows.update(id(child) for child in ast.walk(node))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            if node.name.lstrip("_") in SHARED or node.name in OLD_COPIES:
                found.append(f"line {node.lineno}: def {node.name}")
            if isinstance(node, ast.ClassDef) and any(getattr(b, "id", "") == "HTMLParser" for b in node.bases):
                found.append(f"line {node.lineno}: an HTMLParser of its own")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value.lower()
            if any(word in text for word in LOGIN_WORDS):
                found.append(f"line {node.lineno}: login-page words {node.value[:40]!r}")
            if any(word in text for word in ROBOTS_WORDS) or ("noindex" in text and ("robots" in text or "<meta" in text)):
                found.append(f"line {node.lineno}: robots directives {node.value[:40]!r}")
            if adapter and text in ("robots", "x-robots-tag") and id(node) not in inside_allows:
                found.append(f"line {node.lineno}: {node.value!r} read without allows_indexing")
    return found


@pytest.mark.parametrize("copy", [
    # Each a copy this project once had.
    'LOGIN = re.compile(r"/(?:accounts/login|login|signin|authwall)(?:[/.?]|$)")',
    'robots = f"{page.meta.get(\'robots\', \'\')}".lower()\nindexable = "noindex" not in robots',
    'NOINDEX = re.compile(r"<meta[^>]+name=[\\"\']robots[\\"\'][^>]+content=[\\"\'][^\\"\']*noindex")',
    'noindex = "noindex" in page.headers.get("x-robots-tag", "").lower()',
    'NOINDEX = frozenset({"noindex", "noimageindex", "none"})',
    "def _dict(value):\n    return value if isinstance(value, dict) else {}",
    "def _iso(timestamp):\n    return ''",
    "class _MetaTags(HTMLParser):\n    pass",
    "def is_login_url(url):\n    return False",
])
def test_the_copy_finder_finds_a_copy(copy: str) -> None:
    assert copies(copy, adapter=True)


def test_the_copy_finder_accepts_the_shared_vocabulary_in_use() -> None:
    uses = ('result.indexable = allows_indexing(head.meta.get("robots", ""), response.headers.get("x-robots-tag", ""))\n'
            'if "noindex" in account:  # an API field of that name\n    pass\n'
            'def _login_path(urls):\n    """Sent to a login, authwall or challenge page?"""\n'
            '    return any(is_login_url(u) for u in urls)')
    assert copies(uses, adapter=True) == []


def test_the_crawl_package_has_one_copy_of_its_vocabulary() -> None:
    modules = sorted(path for path in CRAWL.rglob("*.py") if path.resolve() not in HOMES)
    assert len(modules) > 10, modules
    found = {
        str(path.relative_to(CRAWL)): where
        for path in modules
        if (where := copies(path.read_text(encoding="utf-8"), adapter=path.parent.name == "sites"))
    }
    assert found == {}, "use crawl/vocabulary.py (or crawl/sites/base.py) instead of a copy"
