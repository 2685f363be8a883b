"""The TikTok adapter against an imitation of TikTok's logged-out profile page, over real TLS."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from faceaudit.crawl import sites
from faceaudit.crawl.net import AccountScope, NetClient
from faceaudit.crawl.sites.tiktok import TikTok
from faceaudit.demo.server import FixtureServer, Request
from faceaudit.errors import UsageError
from faceaudit.report.advice import load
from faceaudit.types import ImageKind, StopReason
from tests.platforms.tiktok import (
    HOST,
    TtAccount,
    TtMedia,
    TtPost,
    avatar_url,
    cover_url,
    photo_url,
    small_avatar_url,
    tiktok_sites,
)
from tests.support import Crawl, crawl_adapter, fixture_policy, module_server


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (90, 120, 200)).save(out, "JPEG")
    return out.getvalue()


PHOTO = jpeg()
AVATAR = TtMedia("alex-avatar", PHOTO)


def media(name: str) -> TtMedia:
    return TtMedia(name, PHOTO)


def alex(videos: int = 3, **account: Any) -> TtAccount:
    """alex: `videos` videos, one photo post of two images, and a repost of bob's video."""
    posts = [TtPost(f"73600000000000{i:05d}", cover=media(f"cover-{i}"), desc=f"video {i}",
                    created=1714564800 - i * 86400) for i in range(videos)]
    posts.insert(1, TtPost("7359999999999999999", photos=[media("photo-a"), media("photo-b")], desc="two photos",
                           created=1714500000))
    posts.append(TtPost("7350000000000000001", cover=media("bob-cover"), author="bob"))
    return TtAccount("alex", "Alex Example", account.pop("avatar", AVATAR), posts, **account)


def expected(videos: int = 3) -> dict[str, ImageKind]:
    found = {avatar_url(AVATAR): ImageKind.AVATAR}
    found |= {cover_url(media(f"cover-{i}")): ImageKind.VIDEO_THUMBNAIL for i in range(videos)}
    return found | {photo_url(media(n)): ImageKind.POST for n in ("photo-a", "photo-b")}


server = module_server(lambda: tiktok_sites([]))


@pytest.fixture
def crawl(server: FixtureServer) -> Any:
    """crawl(accounts, url=…, max_images=…, **switches) -> Crawl: one adapter run, fresh client."""

    def run(accounts: list[TtAccount], url: str = f"https://{HOST}/@alex", max_images: int = 500,
            **switches: Any) -> Crawl:
        done = crawl_adapter(server, url, handlers=tiktok_sites(accounts, **switches), max_images=max_images,
                             no_browser="the TikTok adapter reads the page over plain HTTP")
        assert done.result.detail, "every outcome says what happened"
        return done

    return run


def test_finds_the_avatar_video_covers_and_photo_post_images(crawl: Any) -> None:
    run = crawl([alex(3)])
    assert (run.result.stop, run.result.detail) == (StopReason.END, "all 4 videos")
    assert run.found() == expected(3)
    assert len(run.candidates) == len(expected(3))
    assert run.log == [(HOST, "/@alex")]
    assert run.result.pages_visited == 1
    cover = next(c for c in run.candidates if c.url == cover_url(media("cover-2")))
    assert (cover.page_url, cover.caption, cover.posted_at, cover.found_by) == (
        f"https://{HOST}/@alex/video/7360000000000000002", "video 2", "2024-04-29T12:00:00Z", "tiktok:cover")
    photo = next(c for c in run.candidates if c.url == photo_url(media("photo-b")))
    assert (photo.page_url, photo.caption, photo.posted_at) == (
        f"https://{HOST}/@alex/photo/7359999999999999999", "two photos", "2024-04-30T18:00:00Z")
    assert run.result.facts == {"is_private": False, "videos_total": 4}
    assert run.result.indexable is True


def test_a_repost_of_someone_elses_video_is_skipped(crawl: Any) -> None:
    run = crawl([alex(3)])
    assert cover_url(media("bob-cover")) not in run.found()


def test_the_images_it_finds_are_really_served(crawl: Any, server: FixtureServer) -> None:
    run = crawl([alex(2)])
    with NetClient(fixture_policy(server, min_interval=0)) as net:
        for url in run.found():
            response = net.get_image(url)
            assert (response.status, response.body) == (200, PHOTO), url


def test_videos_missing_from_the_page_data_are_said_not_reached(crawl: Any) -> None:
    run = crawl([alex(3)], item_list=False)
    assert run.result.stop is StopReason.BLOCKED
    assert run.result.detail == "0 of 4 videos were in the page; the rest load with JavaScript, not reached"
    assert run.result.notes == ["TikTok loads the videos of a profile with JavaScript: 4 of 4 need a browser "
                                "and were not checked."]
    assert run.found() == {avatar_url(AVATAR): ImageKind.AVATAR}


def test_an_account_without_videos_ends_saying_so(crawl: Any) -> None:
    run = crawl([TtAccount("alex", "Alex", AVATAR, [])], item_list=False)
    assert (run.result.stop, run.result.detail) == (StopReason.END, "the account has no videos")
    assert run.found() == {avatar_url(AVATAR): ImageKind.AVATAR}


def test_a_private_account_shows_only_its_avatar(crawl: Any) -> None:
    run = crawl([alex(3, private=True)])
    assert run.result.stop is StopReason.PRIVATE
    assert run.result.detail == "account is private; only the profile picture is visible to logged-out visitors"
    assert run.found() == {avatar_url(AVATAR): ImageKind.AVATAR}
    assert run.result.facts["is_private"] is True


def test_an_unknown_user_is_not_found(crawl: Any) -> None:
    run = crawl([alex(3)], url=f"https://{HOST}/@nobody")
    assert run.result.stop is StopReason.NOT_FOUND
    assert run.result.detail == "no account @nobody on TikTok (TikTok status 10221: no such user)"
    assert run.candidates == []


def test_the_javascript_bot_check_is_blocked(crawl: Any) -> None:
    run = crawl([alex(3)], challenge=True)
    assert run.result.stop is StopReason.BLOCKED
    assert run.result.detail == "TikTok answered with its JavaScript bot check instead of the profile"
    assert run.candidates == []


def test_a_page_without_the_data_falls_back_to_og_image(crawl: Any) -> None:
    run = crawl([alex(3)], no_data=True)
    assert run.result.stop is StopReason.BLOCKED
    assert "carried no account data" in run.result.detail
    assert [(c.url, c.kind, c.found_by) for c in run.candidates] == [
        (small_avatar_url(AVATAR), ImageKind.AVATAR, "og:image")]


def test_a_login_redirect_is_a_login_wall(crawl: Any) -> None:
    run = crawl([alex(3)], login_redirect=True)
    assert run.result.stop is StopReason.LOGIN_WALL
    assert "sent to a login page (https://www.tiktok.com/login?" in run.result.detail
    assert run.log == [(HOST, "/@alex")]  # the login page itself is not visited
    assert run.candidates == []


def test_429_is_rate_limited_and_not_waited_out(crawl: Any) -> None:
    run = crawl([alex(3)], rate_limited=True)
    assert run.result.stop is StopReason.RATE_LIMITED
    assert run.result.detail.startswith("429: rate limited (reset 120)")
    assert run.sleeps == []
    assert run.candidates == []


def test_an_account_without_a_profile_picture_gives_no_avatar(crawl: Any) -> None:
    run = crawl([alex(1, avatar=None)])
    assert run.found() == {k: v for k, v in expected(1).items() if v is not ImageKind.AVATAR}
    assert run.result.stop is StopReason.END


def test_max_images_stops_with_cap(crawl: Any) -> None:
    run = crawl([alex(8)], max_images=3)
    assert run.result.stop is StopReason.CAP
    assert len(run.candidates) == 3


def test_the_page_data_is_written_the_way_tiktok_writes_it(server: FixtureServer) -> None:
    page = tiktok_sites([alex(1)])[HOST](Request(HOST, "/@alex", {}, {})).body.decode()
    assert '<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">' in page
    assert "https:\\u002F\\u002Fp16-sign-va.tiktokcdn.com" in page and "https://p16-sign-va" not in page.split(
        "REHYDRATION__")[1].split("</script>")[0]


# --- which URLs are TikTok accounts --------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "https://www.tiktok.com/@alex", "https://www.tiktok.com/@alex/", "https://tiktok.com/@Alex?lang=en",
    "https://m.tiktok.com/@alex", "http://www.tiktok.com/@alex",
])
def test_account_urls_are_taken(url: str) -> None:
    site = sites.find(url)
    assert isinstance(site, TikTok)
    assert (site.user, site.profile) == ("alex", "https://www.tiktok.com/@alex")


def test_usernames_with_dots_and_underscores() -> None:
    site = sites.find("https://www.tiktok.com/@sam.example_1")
    assert isinstance(site, TikTok) and site.user == "sam.example_1"


@pytest.mark.parametrize("url", [
    "https://www.tiktok.com/@alex/video/7360000000000000001", "https://www.tiktok.com/@alex/photo/7360000000000000001",
    "https://www.tiktok.com/tag/selfie", "https://www.tiktok.com/search?q=alex", "https://www.tiktok.com/discover/alex",
    "https://www.tiktok.com/", "https://vm.tiktok.com/ZMabc123/", "https://www.tiktok.com/login",
])
def test_other_tiktok_pages_are_refused(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        sites.find(url)
    assert "is a TikTok page, but not the address of an account" in caught.value.message
    assert TikTok.example in caught.value.hint


def test_scope_is_the_profile_page_only() -> None:
    site = sites.find(TikTok.example)
    assert site.scope() == AccountScope(frozenset({"www.tiktok.com", "tiktok.com", "m.tiktok.com"}), ("/@alex/",))
    assert site.scope().allows("https://www.tiktok.com/@alex")
    assert not site.scope().allows("https://www.tiktok.com/@alexa")
    assert not site.scope().allows("https://www.tiktok.com/login?redirect_url=x")
    assert not site.scope().allows("https://www.tiktok.com/api/post/item_list/?secUid=x")
    assert "https://www.tiktok.com/setting" in {entry.settings_link(site.url) for entry in load("tiktok").entries}
