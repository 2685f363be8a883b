"""The Mastodon adapter against an imitation Mastodon server at social.example, over real TLS."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from PIL import Image

from faceaudit.crawl import sites
from faceaudit.crawl.net import AccountScope, NetClient
from faceaudit.crawl.sites.mastodon import Mastodon
from faceaudit.demo.mastodon_api import (
    FixtureAccount,
    FixtureMedia,
    FixtureStatus,
    mastodon_handler,
)
from faceaudit.demo.server import FixtureServer, Handler, Reply, Request
from faceaudit.errors import UsageError
from faceaudit.report.advice import load
from faceaudit.types import ImageKind, StopReason
from tests.support import Crawl, crawl_adapter, fixture_policy, module_server

HOST = "social.example"
FILES = f"https://{HOST}/system/media_attachments/files"


def jpeg(width: int = 4, height: int = 3) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 90)).save(out, "JPEG")
    return out.getvalue()


PHOTO = jpeg()


def photo(name: str, alt: str = "") -> FixtureMedia:
    return FixtureMedia(name, PHOTO, "image/jpeg", alt)


def alex(media_posts: int = 95, **account: Any) -> FixtureAccount:
    """alex: avatar, header, `media_posts` own posts with photos, text posts, and boosts of bob's photos."""
    statuses = [FixtureStatus(str(10_000 + i), [photo(f"post-{i}.jpg", f"alt {i}")], f"post {i}")
                for i in range(media_posts)]
    if media_posts >= 3:  # one post with two photos, one with a video (its still is the preview)
        statuses[1].media.append(photo("post-1b.jpg"))
        statuses[2].media = [FixtureMedia("clip-2.mp4", b"\0\0\0 ftypisom", "video/mp4", preview=PHOTO)]
    statuses += [FixtureStatus(str(20_000 + i), [], f"just words {i}") for i in range(10)]
    statuses += [FixtureStatus(str(30_000 + i), [photo(f"bob-{i}.jpg")], reblog_of="bob@other.example")
                 for i in range(5)]
    fields: dict[str, Any] = {"avatar": photo("alex-avatar.jpg"), "header": photo("alex-header.jpg"), **account}
    return FixtureAccount("alex", "Alex Example", statuses=statuses, **fields)


def expected_posts(media_posts: int = 95) -> set[str]:
    urls = {f"{FILES}/post-{i}.jpg" for i in range(media_posts)}
    if media_posts >= 3:
        urls = (urls - {f"{FILES}/post-2.jpg"}) | {f"{FILES}/post-1b.jpg", f"{FILES}/small/clip-2.mp4"}
    return urls


server = module_server(lambda: {HOST: mastodon_handler(HOST, [])})


@pytest.fixture
def crawl(server: FixtureServer) -> Any:
    """crawl(handler, url=…, max_pages=…, max_images=…) -> Crawl: one adapter run, fresh client."""

    def run(handler: Handler, url: str = f"https://{HOST}/@alex", **limits: int) -> Crawl:
        return crawl_adapter(server, url, handlers={HOST: handler}, **limits)

    return run


def test_finds_avatar_header_and_every_post_photo_across_three_pages(crawl: Any) -> None:
    run = crawl(mastodon_handler(HOST, [alex(95)]))
    assert run.result.stop is StopReason.END, run.result.detail
    assert run.urls(ImageKind.AVATAR) == {f"https://{HOST}/system/accounts/avatars/alex-avatar.jpg"}
    assert run.urls(ImageKind.BANNER) == {f"https://{HOST}/system/accounts/headers/alex-header.jpg"}
    assert run.urls(ImageKind.POST) == expected_posts(95)
    assert len(run.candidates) == 2 + 96  # no photo twice
    assert len(run.requests("/statuses")) == 3  # 40 + 40 + 15
    assert all("only_media=true" in p and "exclude_reblogs=true" in p and "limit=40" in p
               for p in run.requests("/statuses"))
    assert run.result.pages_visited == 4  # the lookup and three pages
    post = next(c for c in run.candidates if c.url == f"{FILES}/post-7.jpg")
    assert (post.alt, post.caption, post.page_url, post.found_by) == (
        "alt 7", "post 7", f"https://{HOST}/@alex/10007", "mastodon:media")


def test_the_photos_it_finds_are_really_served(crawl: Any, server: FixtureServer) -> None:
    run = crawl(mastodon_handler(HOST, [alex(3)]))
    with NetClient(fixture_policy(server, min_interval=0)) as net:
        for url in run.urls():
            response = net.get_image(url)
            assert response.status == 200 and response.body == PHOTO, url


def test_a_full_last_page_means_one_more_empty_page_then_the_end(crawl: Any) -> None:
    run = crawl(mastodon_handler(HOST, [alex(80)]))
    assert run.result.stop is StopReason.END
    assert len(run.requests("/statuses")) == 3
    assert run.urls(ImageKind.POST) == expected_posts(80)


def test_boosts_are_skipped_even_when_the_server_sends_them(crawl: Any, server: FixtureServer) -> None:
    handler = mastodon_handler(HOST, [alex(95)], honour_exclude_reblogs=False)
    run = crawl(handler)
    assert run.result.stop is StopReason.END
    assert run.urls(ImageKind.POST) == expected_posts(95)
    assert not any("bob-" in url for url in run.urls())
    # The server did send them: the boosts are the newest posts, on the first page.
    first_page = json.loads(handler(Request(HOST, run.requests("/statuses")[0].split("?")[0],
                                            {"only_media": ["true"], "exclude_reblogs": ["true"], "limit": ["40"]},
                                            {})).body)
    assert sum(1 for status in first_page if status["reblog"]) == 5


def test_max_pages_stops_with_cap(crawl: Any) -> None:
    run = crawl(mastodon_handler(HOST, [alex(95)]), max_pages=2)
    assert run.result.stop is StopReason.CAP
    assert "2 pages" in run.result.detail
    assert len(run.requests("/statuses")) == 2
    assert run.urls(ImageKind.POST) == {f"{FILES}/post-{i}.jpg" for i in range(15, 95)}  # newest first


def test_max_images_stops_with_cap(crawl: Any) -> None:
    run = crawl(mastodon_handler(HOST, [alex(95)]), max_images=10)
    assert run.result.stop is StopReason.CAP
    assert len(run.candidates) == 10
    assert len(run.requests("/statuses")) == 1


def test_a_server_closed_to_guests_is_blocked_with_its_own_message(crawl: Any) -> None:
    run = crawl(mastodon_handler(HOST, [alex(5)], guest_api=False))
    assert run.result.stop is StopReason.BLOCKED
    assert "401: This API requires an authenticated user" in run.result.detail
    assert run.candidates == []


def test_rate_limited_after_the_first_page(crawl: Any) -> None:
    run = crawl(mastodon_handler(HOST, [alex(95)], rate_limit_after=2))
    assert run.result.stop is StopReason.RATE_LIMITED
    assert run.result.detail.startswith("429")
    assert len(run.urls(ImageKind.POST)) == 40  # the first page still counts
    assert run.sleeps == []  # a five-minute reset is reported, not waited out
    assert len(run.requests("/statuses")) == 2


def test_unknown_user_is_not_found(crawl: Any) -> None:
    run = crawl(mastodon_handler(HOST, [alex(5)]), url=f"https://{HOST}/@nobody")
    assert run.result.stop is StopReason.NOT_FOUND
    assert "@nobody" in run.result.detail
    assert run.candidates == []
    assert [path.split("?")[0] for _host, path in run.log] == ["/api/v1/accounts/lookup", "/api/v1/accounts/search"]


def test_a_server_without_lookup_is_searched_instead(crawl: Any) -> None:
    run = crawl(mastodon_handler(HOST, [alex(5)], lookup_api=False))
    assert run.result.stop is StopReason.END
    assert run.urls(ImageKind.POST) == expected_posts(5)


def test_noindex_and_discoverable_are_recorded(crawl: Any) -> None:
    run = crawl(mastodon_handler(HOST, [alex(3, noindex=True, discoverable=True)]))
    assert run.result.indexable is False
    assert any(note.startswith("discoverable: true") for note in run.result.notes)
    plain = crawl(mastodon_handler(HOST, [alex(3)]))
    assert plain.result.indexable is True
    assert plain.result.notes == []


def test_missing_avatar_and_header_are_not_photos(crawl: Any) -> None:
    run = crawl(mastodon_handler(HOST, [alex(3, avatar=None, header=None)]))
    assert run.urls(ImageKind.AVATAR) == set() and run.urls(ImageKind.BANNER) == set()
    assert not any(url.endswith("missing.png") for url in run.urls())
    assert run.urls(ImageKind.POST) == expected_posts(3)


def test_a_next_link_to_another_account_is_not_followed(crawl: Any) -> None:
    honest = mastodon_handler(HOST, [alex(95)])

    def hostile(request: Request) -> Reply:
        reply = honest(request)
        if "Link" in reply.headers:
            reply.headers["Link"] = f'<https://{HOST}/api/v1/accounts/999/statuses?max_id=1>; rel="next"'
        return reply

    run = crawl(hostile)
    assert run.result.stop is StopReason.ERROR
    assert "outside the listed account" in run.result.detail
    assert not any("/999/" in path for _host, path in run.log)
    assert len(run.urls(ImageKind.POST)) == 40


def test_the_profile_page_is_a_javascript_shell(server: FixtureServer) -> None:
    handler = mastodon_handler(HOST, [alex(1, noindex=True)])
    page = handler(Request(HOST, "/@alex", {}, {})).body.decode()
    assert "enable JavaScript" in page and '<meta content="noindex, noarchive" name="robots">' in page
    assert handler(Request(HOST, "/@nobody", {}, {})).status == 404


# --- which URLs are Mastodon accounts --------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "https://social.example/@alex", "https://social.example/@alex/", "https://mastodon.social/@Alex_1",
    "https://social.example/@alex@social.example", "https://social.example/web/@alex",
])
def test_account_urls_match(url: str) -> None:
    match = Mastodon.pattern.match(url)
    assert match
    site = Mastodon(url, match)
    assert site.user.lower() == "alex_1" if "Alex_1" in url else site.user == "alex"
    assert f"https://{site.host}/settings/privacy" in {entry.settings_link(site.url) for entry in load("mastodon").entries}


@pytest.mark.parametrize("url", [
    "https://www.youtube.com/@alex", "https://www.tiktok.com/@alex", "https://medium.com/@alex",
    "https://www.threads.net/@alex", "http://social.example/@alex", "https://social.example/alex",
    "https://social.example/@alex/123456", "https://social.example/@",
])
def test_other_urls_do_not_match(url: str) -> None:
    assert Mastodon.pattern.match(url) is None


def test_a_remote_account_seen_through_another_server_is_refused_with_its_home_address() -> None:
    url = "https://mastodon.social/@bob@other.example"
    match = Mastodon.pattern.match(url)
    assert match
    with pytest.raises(UsageError) as caught:
        Mastodon(url, match)
    assert "https://other.example/@bob" in caught.value.hint


def test_scope_is_the_server_and_the_account_paths() -> None:
    site = Mastodon(Mastodon.example, Mastodon.pattern.match(Mastodon.example))  # type: ignore[arg-type]
    assert site.scope() == AccountScope(frozenset({"mastodon.social"}), ("/api/v1/accounts/", "/@alex/"))
    assert site.scope().allows("https://mastodon.social/@alex")
    assert not site.scope().allows("https://mastodon.social/@alexa")
    assert not site.scope().allows("https://mastodon.social/api/v2/search?q=alex")


def test_the_registry_picks_mastodon_for_a_mastodon_profile() -> None:
    site = sites.find("https://social.example/@alex")
    assert isinstance(site, Mastodon)
    assert site.name == "mastodon" and site.host == "social.example"
