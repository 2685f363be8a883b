"""The YouTube adapter against an imitation channel page and feed on www.youtube.com, over real TLS."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from faceaudit.crawl import sites
from faceaudit.crawl.net import AccountScope, NetClient
from faceaudit.crawl.sites.youtube import YouTube
from faceaudit.demo.server import FixtureServer
from faceaudit.errors import UsageError
from faceaudit.report.advice import load
from faceaudit.types import ImageKind, StopReason
from tests.platforms.youtube import (
    FixtureChannel,
    FixtureVideo,
    avatar_url,
    banner_url,
    thumbnail_url,
    youtube_handlers,
)
from tests.support import Crawl, crawl_adapter, fixture_policy, module_server

PHOTO = b"\xff\xd8\xff\xe0 a picture"
CHANNEL_ID = "UCalexExample0123456789"[:24].ljust(24, "x")
VIDEOS = [FixtureVideo(f"vid{i:08d}", f"Video {i}", PHOTO, f"2024-05-{20 - i:02d}T12:00:00+00:00") for i in range(4)]
ALEX = FixtureChannel("@alex", CHANNEL_ID, PHOTO, PHOTO, VIDEOS)
# Pages YouTube may send a visitor to: mapped so a redirect meets the account scope, never fetched.
ELSEWHERE = ("consent.youtube.com", "accounts.google.com", "www.google.com")


server = module_server(lambda: youtube_handlers(ALEX))


@pytest.fixture
def crawl(server: FixtureServer) -> Any:
    def run(channel: FixtureChannel = ALEX, failure: str = "", url: str = "https://www.youtube.com/@alex",
            **limits: int) -> Crawl:
        done = crawl_adapter(server, url, handlers=youtube_handlers(channel, failure), extra_resolve=ELSEWHERE,
                             **limits)
        assert isinstance(done.site, YouTube)
        assert not any(host in ELSEWHERE for host, _path in done.log)
        return done

    return run


def expected_thumbnails(videos: list[FixtureVideo] = VIDEOS) -> set[str]:
    return {thumbnail_url(i, video) for i, video in enumerate(videos)}


def test_finds_avatar_largest_banner_and_every_video_thumbnail(crawl: Any, server: FixtureServer) -> None:
    run = crawl()
    assert run.result.stop is StopReason.END, run.result.detail
    assert run.result.detail == "avatar, banner and the 4 newest videos in the feed"
    assert run.urls(ImageKind.AVATAR) == {avatar_url(ALEX)}
    assert run.urls(ImageKind.BANNER) == {banner_url(ALEX, 2560)}
    assert run.urls(ImageKind.VIDEO_THUMBNAIL) == expected_thumbnails()
    assert len(run.candidates) == 6
    assert run.log == [("www.youtube.com", "/@alex"), ("www.youtube.com", f"/feeds/videos.xml?channel_id={CHANNEL_ID}")]
    video = next(c for c in run.candidates if c.url == thumbnail_url(1, VIDEOS[1]))
    assert (video.page_url, video.caption, video.posted_at, video.found_by) == (
        "https://www.youtube.com/watch?v=vid00000001", "Video 1", "2024-05-19T12:00:00+00:00", "youtube:feed")
    assert run.result.indexable is True
    assert run.result.facts == {"feed_videos": 4}
    assert run.result.pages_visited == 2
    # everything it lists is really served
    with NetClient(fixture_policy(server, ELSEWHERE, min_interval=0, backoff=0.01)) as net:
        assert all(net.get_image(url).body == PHOTO for url in run.urls())


def test_a_channel_url_by_id_and_the_older_page_header(crawl: Any) -> None:
    run = crawl(replace(ALEX, old_header=True), url=f"https://m.youtube.com/channel/{CHANNEL_ID}/videos")
    assert run.result.stop is StopReason.END
    assert run.urls(ImageKind.BANNER) == {banner_url(ALEX, 2560)}
    assert run.urls(ImageKind.VIDEO_THUMBNAIL) == expected_thumbnails()
    assert run.log[0] == ("www.youtube.com", f"/channel/{CHANNEL_ID}")


def test_the_feed_shows_only_the_newest_fifteen_and_says_so(crawl: Any) -> None:
    videos = [FixtureVideo(f"many{i:07d}", f"Clip {i}", PHOTO) for i in range(20)]
    run = crawl(replace(ALEX, videos=videos))
    assert run.result.stop is StopReason.END
    assert run.urls(ImageKind.VIDEO_THUMBNAIL) == expected_thumbnails(videos[:15])
    assert any("only the newest 15 videos" in note for note in run.result.notes)


def test_an_empty_channel_ends_with_avatar_and_banner(crawl: Any) -> None:
    run = crawl(replace(ALEX, videos=[], banner=None))
    assert (run.result.stop, run.result.detail) == (StopReason.END, "avatar and banner; the feed lists no public videos")
    assert run.urls() == {avatar_url(ALEX)}
    assert run.result.notes == []


def test_a_stray_video_of_another_channel_in_the_feed_is_not_kept(crawl: Any) -> None:
    stray = FixtureVideo("someoneElse", "Not mine", PHOTO, channel_id="UCsomeoneElse0123456789x")
    run = crawl(replace(ALEX, videos=[*VIDEOS, stray]))
    assert run.urls(ImageKind.VIDEO_THUMBNAIL) == expected_thumbnails()


def test_noindex_is_recorded(crawl: Any) -> None:
    assert crawl(replace(ALEX, noindex=True)).result.indexable is False


def test_max_images_stops_with_cap(crawl: Any) -> None:
    run = crawl(max_images=3)
    assert run.result.stop is StopReason.CAP
    assert len(run.candidates) == 3


@pytest.mark.parametrize(("failure", "stop", "words"), [
    ("consent", StopReason.BLOCKED, "cookie-consent page"),
    ("inline_consent", StopReason.BLOCKED, "cookie-consent page"),
    ("login_redirect", StopReason.LOGIN_WALL, "sent to a login page (https://accounts.google.com/ServiceLogin"),
    ("sorry", StopReason.RATE_LIMITED, "unusual traffic"),
    ("too_many", StopReason.RATE_LIMITED, "429: rate limited (reset 3600)"),
    ("unauthorized", StopReason.BLOCKED, "401: the platform refused a logged-out visitor for youtube.com/@alex"),
])
def test_a_channel_page_youtube_will_not_show_is_an_outcome(crawl: Any, failure: str, stop: StopReason, words: str) -> None:
    run = crawl(failure=failure)
    assert run.result.stop is stop
    assert words in run.result.detail
    assert run.candidates == []
    assert [path for _host, path in run.log] == ["/@alex"]  # no channel id, so no feed


def test_behind_a_consent_wall_a_channel_id_url_still_reads_the_feed(crawl: Any) -> None:
    run = crawl(failure="consent", url=f"https://www.youtube.com/channel/{CHANNEL_ID}")
    assert run.result.stop is StopReason.BLOCKED
    assert "cookie-consent page" in run.result.detail and "only the video feed was read (4 videos)" in run.result.detail
    assert run.urls() == expected_thumbnails()


@pytest.mark.parametrize("failure", ["too_many", "unauthorized", "login_redirect"])
def test_a_channel_id_url_turned_away_for_another_reason_stops_there(crawl: Any, failure: str) -> None:
    run = crawl(failure=failure, url=f"https://www.youtube.com/channel/{CHANNEL_ID}")
    assert run.result.stop in (StopReason.RATE_LIMITED, StopReason.BLOCKED, StopReason.LOGIN_WALL)
    assert "consent" not in run.result.detail
    assert run.candidates == [] and [path for _host, path in run.log] == [f"/channel/{CHANNEL_ID}"]


@pytest.mark.parametrize(("failure", "stop", "words"), [
    ("feed_404", StopReason.ERROR, "the video feed answered 404 (YouTube's feed has outages); the avatar and banner"),
    ("feed_html", StopReason.BLOCKED, "a web page where the video feed of youtube.com/@alex was expected"),
    ("feed_doctype", StopReason.ERROR, "is not readable Atom"),
])
def test_a_feed_that_fails_keeps_avatar_and_banner_and_says_so(crawl: Any, failure: str, stop: StopReason, words: str) -> None:
    run = crawl(failure=failure)
    assert run.result.stop is stop
    assert words in run.result.detail
    assert run.urls() == {avatar_url(ALEX), banner_url(ALEX, 2560)}


def test_an_unknown_channel_is_not_found(crawl: Any) -> None:
    run = crawl(url="https://www.youtube.com/@nobody")
    assert run.result.stop is StopReason.NOT_FOUND
    assert "youtube.com/@nobody" in run.result.detail
    assert run.candidates == [] and len(run.log) == 1


# --- which URLs are YouTube channels -------------------------------------------------------------------


@pytest.mark.parametrize(("url", "path"), [
    ("https://www.youtube.com/@alex", "/@alex"), ("https://youtube.com/@Alex.Example-1/", "/@Alex.Example-1"),
    ("https://m.youtube.com/@alex/videos", "/@alex"), ("https://WWW.YouTube.com/@alex", "/@alex"), ("https://www.youtube.com/@alex?si=abc", "/@alex"),
    (f"https://www.youtube.com/channel/{CHANNEL_ID}", f"/channel/{CHANNEL_ID}"),
])
def test_channel_urls_are_youtube_accounts(url: str, path: str) -> None:
    site = sites.find(url)
    assert isinstance(site, YouTube) and site.path == path
    assert "https://studio.youtube.com/" in {entry.settings_link(url) for entry in load("youtube").entries}


@pytest.mark.parametrize("url", [
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube.com/results?search_query=alex",
    "https://www.youtube.com/shorts/dQw4w9WgXcQ", "https://www.youtube.com/playlist?list=PL123",
    "https://youtu.be/dQw4w9WgXcQ", "https://m.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube.com/",
    "https://www.youtube.com/channel/UCtooShort", "https://www.youtube.com/feeds/videos.xml?channel_id=UC1",
    "https://www.youtube.com/@alex/shorts/dQw4w9WgXcQ", "http://www.youtube.com/@alex",
])
def test_other_youtube_pages_are_refused(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        sites.find(url)
    assert "is a YouTube page" in caught.value.message
    assert "https://www.youtube.com/@alex" in caught.value.hint


def test_scope_is_the_channel_page_and_the_feed() -> None:
    site = sites.find("https://www.youtube.com/@alex")
    assert site.scope() == AccountScope(frozenset({"www.youtube.com"}), ("/@alex/", "/feeds/videos.xml/"))
    assert site.scope().allows("https://www.youtube.com/@alex")
    assert site.scope().allows(f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL_ID}")
    assert not site.scope().allows("https://www.youtube.com/@alexa")
    assert not site.scope().allows("https://www.youtube.com/watch?v=vid00000001")
