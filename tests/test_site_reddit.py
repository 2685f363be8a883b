"""The Reddit adapter against an imitation of Reddit's public JSON, over real TLS."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from faceaudit.crawl import sites
from faceaudit.crawl.net import AccountScope, NetClient
from faceaudit.crawl.sites.reddit import Reddit
from faceaudit.demo.server import FixtureServer, Handler, Request
from faceaudit.errors import UsageError
from faceaudit.report.advice import load
from faceaudit.types import ImageKind, StopReason
from tests.platforms.reddit import (
    DEFAULT_AVATAR,
    Picture,
    RedditAccount,
    RedditPost,
    _about,
    _preview,
    reddit_sites,
)
from tests.support import Crawl, crawl_adapter, fixture_policy, module_server

WWW = "www.reddit.com"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 120, 90)).save(out, "JPEG")
    return out.getvalue()


PHOTO = jpeg()


def pic(name: str) -> Picture:
    return Picture(name, PHOTO)


def alex(image_posts: int = 0, **fields: Any) -> RedditAccount:
    """alex: an icon, a banner, one post of each kind, and `image_posts` more i.redd.it posts (older)."""
    posts = [
        RedditPost("b6", "image", [pic("direct.jpg")], "Me & my bike", created=1_714_600_000),
        RedditPost("b5", "gallery", [pic("g-one.jpg"), pic("g-two.png"), pic("g-three.jpg")], "Trip",
                   ["first", "", "third"], created=1_714_500_000),
        RedditPost("b4", "video", [pic("still.jpg")], "A video", created=1_714_400_000),
        RedditPost("b3", "link", [pic("link.jpg")], "An article", created=1_714_300_000),
        RedditPost("b2", "crosspost", [pic("theirs.jpg")], "Someone else's photo", created=1_714_200_000),
        RedditPost("b1", "text", [], "Words only", created=1_714_100_000),
    ]
    posts += [RedditPost(f"a{i:03d}", "image", [pic(f"old-{i}.jpg")], f"old {i}", created=1_700_000_000 - i)
              for i in range(image_posts)]
    return RedditAccount("alex_e", fields.pop("icon", pic("icon.jpg")), fields.pop("banner", pic("banner.jpg")),
                         posts=posts, **fields)


def profile_urls(account: RedditAccount) -> tuple[str, str]:
    data = _about(account)["data"]
    return data["icon_img"], data["subreddit"]["banner_img"]


EXPECTED_POSTS = {"https://i.redd.it/direct.jpg", _preview(pic("g-one.jpg")), _preview(pic("g-two.png")),
                  _preview(pic("g-three.jpg")), _preview(pic("link.jpg"), "external-preview.redd.it")}
STILL = _preview(pic("still.jpg"), "external-preview.redd.it")


server = module_server(lambda: reddit_sites([]))


@pytest.fixture
def crawl(server: FixtureServer) -> Any:
    """crawl(sites, url=…, max_pages=…) -> Crawl: one adapter run with a fresh client."""

    def run(handlers: dict[str, Handler], url: str = "https://www.reddit.com/user/alex_e", **limits: int) -> Crawl:
        done = crawl_adapter(server, url, handlers=handlers, **limits)
        assert isinstance(done.site, Reddit)
        return done

    return run


def test_finds_avatar_banner_and_the_images_of_every_own_post(crawl: Any) -> None:
    account = alex()
    run = crawl(reddit_sites([account]))
    assert run.result.stop is StopReason.END, run.result.detail
    icon, banner = profile_urls(account)
    assert run.urls(ImageKind.AVATAR) == {icon} and run.urls(ImageKind.BANNER) == {banner}
    assert run.urls(ImageKind.POST) == EXPECTED_POSTS
    assert run.urls(ImageKind.VIDEO_THUMBNAIL) == {STILL}
    assert len(run.candidates) == 8
    assert not any("theirs" in url for url in run.urls())  # the crosspost is someone else's post
    assert [c.alt for c in run.candidates if c.found_by == "reddit:gallery"] == ["first", "", "third"]
    assert [c.url for c in run.candidates if c.found_by == "reddit:gallery"] == [
        _preview(pic("g-one.jpg")), _preview(pic("g-two.png")), _preview(pic("g-three.jpg"))]  # gallery order
    direct = next(c for c in run.candidates if c.url == "https://i.redd.it/direct.jpg")
    assert (direct.page_url, direct.caption, direct.posted_at, direct.found_by) == (
        "https://www.reddit.com/r/pics/comments/b6/me_&_my_bike/", "Me & my bike", "2024-05-01T21:46:40Z",
        "reddit:image")
    assert run.result.detail == "all 1 pages of posts" and run.result.pages_visited == 2
    assert run.result.facts == {"noindex": False, "posts_visible": 5}
    assert run.result.indexable is True
    assert all("raw_json=1" in path for _host, path in run.log if path.startswith("/user/"))
    assert "limit=100" in run.requests("/submitted.json")[0] and "sort=new" in run.requests("/submitted.json")[0]


def test_urls_are_unescaped_even_if_reddit_ignores_raw_json(crawl: Any) -> None:
    honest = reddit_sites([alex()])

    def legacy(request: Request) -> Any:
        return honest[WWW](Request(request.host, request.path,
                                   {k: v for k, v in request.query.items() if k != "raw_json"}, request.headers))

    run = crawl({**honest, WWW: legacy})
    assert run.result.stop is StopReason.END
    assert run.urls(ImageKind.POST) == EXPECTED_POSTS
    assert not any("&amp;" in url for url in run.urls())


def test_default_avatars_are_skipped_and_a_snoovatar_is_taken(crawl: Any) -> None:
    run = crawl(reddit_sites([alex(icon=None, banner=None, snoovatar=pic("snoo.png"))]))
    assert run.urls(ImageKind.AVATAR) == {"https://i.redd.it/snoovatar/avatars/snoo.png"}
    assert DEFAULT_AVATAR not in run.urls() and run.urls(ImageKind.BANNER) == set()


def test_pages_follow_after_until_the_end(crawl: Any) -> None:
    run = crawl(reddit_sites([alex(240)], page_size=100))
    assert run.result.stop is StopReason.END
    assert len(run.requests("/submitted.json")) == 3
    assert "after=t3_" in run.requests("/submitted.json")[1]
    assert run.urls(ImageKind.POST) == EXPECTED_POSTS | {f"https://i.redd.it/old-{i}.jpg" for i in range(240)}


def test_max_pages_stops_with_cap(crawl: Any) -> None:
    run = crawl(reddit_sites([alex(240)], page_size=100), max_pages=2)
    assert run.result.stop is StopReason.CAP
    assert "2 pages" in run.result.detail
    assert len(run.requests("/submitted.json")) == 2
    assert len(run.urls(ImageKind.POST)) == 5 + 194  # 200 posts: the six of each kind (5 post images), 194 old


def test_a_repeated_cursor_ends_the_listing(crawl: Any) -> None:
    run = crawl(reddit_sites([alex(240)], page_size=100, repeat_cursor=True))
    assert run.result.stop is StopReason.END
    assert "repeated a cursor" in run.result.detail
    assert len(run.requests("/submitted.json")) == 2


def test_a_suspended_account_is_reported(crawl: Any) -> None:
    run = crawl(reddit_sites([alex(suspended=True)]))
    assert run.result.stop is StopReason.NOT_FOUND
    assert "suspended" in run.result.detail and run.result.facts == {"is_suspended": True}
    assert run.candidates == [] and run.requests("/submitted.json") == []


def test_an_unknown_user_is_not_found(crawl: Any) -> None:
    run = crawl(reddit_sites([alex()]), url="https://www.reddit.com/u/nobody_here")
    assert run.result.stop is StopReason.NOT_FOUND
    assert "u/nobody_here" in run.result.detail
    assert run.candidates == []


def test_an_account_without_posts_says_so(crawl: Any) -> None:
    account = alex()
    account.posts = []
    run = crawl(reddit_sites([account]))
    assert run.result.stop is StopReason.END
    assert "no posts visible" in run.result.detail
    assert run.urls() == set(profile_urls(account))


def test_nsfw_profile_and_hidden_from_search_are_recorded(crawl: Any) -> None:
    run = crawl(reddit_sites([alex(over_18=True, hide_from_robots=True)]))
    assert run.result.facts["nsfw_profile"] is True and run.result.facts["noindex"] is True
    assert run.result.indexable is False


@pytest.mark.parametrize(("failure", "stop", "said"), [
    ("rate_limited", StopReason.RATE_LIMITED, "reset 420"),
    ("blocked", StopReason.BLOCKED, "403"),
    ("unauthorized", StopReason.BLOCKED, "401"),
    ("html", StopReason.BLOCKED, "a web page where the data of u/alex_e was expected"),
    ("login", StopReason.LOGIN_WALL, "login page"),
])
def test_reddit_turning_a_guest_away_is_an_outcome(crawl: Any, failure: str, stop: StopReason, said: str) -> None:
    run = crawl(reddit_sites([alex()], failure=failure, failing="about"))
    assert run.result.stop is stop
    assert said in run.result.detail
    assert run.candidates == []
    assert run.sleeps == []  # a seven-minute reset is reported, not waited out
    assert not any("/login" in path for _host, path in run.log)


def test_rate_limited_after_the_first_page_keeps_what_was_found(crawl: Any) -> None:
    account = alex(150)
    run = crawl(reddit_sites([account], page_size=100, failure="rate_limited", failing="next"))
    assert run.result.stop is StopReason.RATE_LIMITED
    assert len(run.requests("/submitted.json")) == 2
    assert len(run.urls(ImageKind.POST)) == 5 + 94  # the first 100 posts: six of each kind and 94 old ones


def test_the_images_it_finds_are_really_served(crawl: Any, server: FixtureServer) -> None:
    run = crawl(reddit_sites([alex()]))
    with NetClient(fixture_policy(server, min_interval=0)) as net:
        for url in run.urls():
            response = net.get_image(url)
            assert (response.status, response.body) == (200, PHOTO), url


# --- which URLs are Reddit accounts ------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "https://www.reddit.com/user/alex_e", "https://www.reddit.com/user/alex_e/", "https://reddit.com/u/alex_e",
    "https://old.reddit.com/user/alex_e/submitted/", "https://www.reddit.com/user/alex_e/?sort=top",
])
def test_account_urls_are_taken(url: str) -> None:
    site = sites.find(url)
    assert isinstance(site, Reddit) and site.user == "alex_e"
    assert "https://www.reddit.com/settings/profile" in {entry.settings_link(url) for entry in load("reddit").entries}


@pytest.mark.parametrize("url", [
    "https://www.reddit.com/r/pics/", "https://www.reddit.com/r/pics/comments/b6/me_my_bike/",
    "https://www.reddit.com/user/alex_e/comments/b6/x/", "https://www.reddit.com/user/alex_e/saved",
    "https://www.reddit.com/search/?q=alex", "https://redd.it/b6", "https://www.reddit.com/",
    "https://www.reddit.com/user/al",
])
def test_other_reddit_pages_are_refused(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        sites.find(url)
    assert Reddit.example in caught.value.hint


def test_scope_is_the_two_json_documents_of_the_account() -> None:
    site = sites.find("https://old.reddit.com/u/alex_e")
    assert site.scope() == AccountScope(frozenset({WWW}), ("/user/alex_e/about.json", "/user/alex_e/submitted.json"))
    assert not site.scope().allows("https://www.reddit.com/user/alex_e2/about.json")
    assert not site.scope().allows("https://www.reddit.com/r/pics/new.json")
