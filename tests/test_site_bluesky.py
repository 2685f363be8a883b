"""The Bluesky adapter against an imitation of the public AppView and its CDNs, over real TLS."""

from __future__ import annotations

import io
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from faceaudit.crawl import sites
from faceaudit.crawl.net import AccountScope, NetClient
from faceaudit.crawl.sites.bluesky import Bluesky
from faceaudit.demo.platforms.bluesky import (
    API_HOST,
    FRIEND,
    Blob,
    FixtureAccount,
    FixturePost,
    bluesky_sites,
    did_of,
    image_url,
    video_still,
)
from faceaudit.demo.server import FixtureServer, Handler, Reply, Request
from faceaudit.errors import UsageError
from faceaudit.report.advice import load
from faceaudit.types import ImageKind, StopReason
from tests.support import Crawl, crawl_adapter, fixture_policy, module_server

HANDLE = "alex.bsky.social"
DID = did_of(HANDLE)
PROFILE = f"https://bsky.app/profile/{HANDLE}"


def png(number: int) -> bytes:
    """A tiny picture of its own: every photo has its own bytes, so its own CID and URL."""
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (number % 256, number // 256 % 256, 90)).save(out, "PNG")
    return out.getvalue()


def photo(number: int, alt: str = "") -> Blob:
    return Blob(png(number), "image/png", alt)


AVATAR, BANNER = photo(60_000), photo(60_001)
PAIR = [photo(50_000, "left"), photo(50_001)]
CLIP = photo(50_002, "a clip")
GALLERY = [photo(50_010 + i, f"gallery {i}") for i in range(3)]
QUOTE_OWN, QUOTE_FRIENDS = photo(50_020), photo(50_021)
LINK_THUMB = photo(50_030)
BOBS = [photo(50_040 + i) for i in range(3)]


def alex(photo_posts: int = 150, **fields: Any) -> FixtureAccount:
    """alex: avatar, banner, `photo_posts` one-photo posts, then a two-photo post, a video, a
    gallery, a quote of a friend's photo with a photo of alex's own, a text post, a link card,
    and three reposts of bob's photos."""
    posts = [FixturePost([photo(i, f"alt {i}")], text=f"post {i}") for i in range(photo_posts)]
    posts += [
        FixturePost(list(PAIR), text="two"),
        FixturePost([CLIP], "video", text="clip"),
        FixturePost(list(GALLERY), "gallery", text="gallery"),
        FixturePost([QUOTE_OWN], "quote", text="quote", quoting=[QUOTE_FRIENDS]),
        FixturePost([], "text", text="words"),
        FixturePost([LINK_THUMB], "external", text="read this"),
        *(FixturePost([bob], reposted_from="bob.example.com") for bob in BOBS),
    ]
    return FixtureAccount(HANDLE, **{"avatar": AVATAR, "banner": BANNER, "posts": posts, **fields})


def expected_posts(photo_posts: int = 150) -> set[str]:
    own = [photo(i) for i in range(photo_posts)] + PAIR + GALLERY + [QUOTE_OWN]
    return {image_url(DID, blob) for blob in own}


def calls(run: Crawl, method: str) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(path).query) for path in run.requests(f"/xrpc/{method}")]


server = module_server(lambda: bluesky_sites([]))


@pytest.fixture
def crawl(server: FixtureServer) -> Any:
    """crawl(handlers, url=…, max_pages=…, max_images=…) -> Crawl: one adapter run, fresh client."""

    def run(handlers: dict[str, Handler], url: str = PROFILE, **limits: int) -> Crawl:
        # bsky.app resolves as it would with DNS (a redirect there must be refused by scope, not by
        # a failed lookup); the log below shows it is never asked anything.
        done = crawl_adapter(server, url, handlers=handlers, extra_resolve=["bsky.app"], **limits)
        assert isinstance(done.site, Bluesky)
        # Whatever happened, the adapter only called the two API methods: no image, no other page.
        assert all(host == API_HOST for host, _path in done.log), done.log
        return done

    return run


def test_finds_avatar_banner_video_still_and_every_own_photo_across_pages(crawl: Any) -> None:
    run = crawl(bluesky_sites([alex(150)]))
    assert run.result.stop is StopReason.END, run.result.detail
    assert run.result.detail == "all 3 pages of posts"
    assert run.urls(ImageKind.AVATAR) == {image_url(DID, AVATAR, "avatar")}
    assert run.urls(ImageKind.BANNER) == {image_url(DID, BANNER, "banner")}
    assert run.urls(ImageKind.POST) == expected_posts(150)
    assert run.urls(ImageKind.VIDEO_THUMBNAIL) == {video_still(DID, CLIP)}
    assert len(run.candidates) == 2 + 150 + 2 + 3 + 1 + 1  # each once; the link card is not a media post
    # 154 media posts: 100, 54, then the empty page after the last cursor.
    feed = calls(run, "app.bsky.feed.getAuthorFeed")
    assert len(feed) == 3 and run.result.pages_visited == 4
    assert all((q["actor"], q["filter"], q["limit"]) == ([DID], ["posts_with_media"], ["100"]) for q in feed)
    assert [q.get("cursor") is None for q in feed] == [True, False, False]
    assert calls(run, "app.bsky.actor.getProfile") == [{"actor": [HANDLE]}]


def test_each_photo_carries_its_post_alt_text_caption_and_time(crawl: Any) -> None:
    run = crawl(bluesky_sites([alex(5)]))
    first = run.by_url(image_url(DID, photo(0)))
    assert (first.alt, first.caption, first.posted_at, first.found_by) == (
        "alt 0", "post 0", "2026-06-01T12:00:00.000Z", "bluesky:image")
    assert first.page_url.startswith(f"{PROFILE}/post/") and len(first.page_url) == len(PROFILE) + 6 + 13
    clip = run.by_url(video_still(DID, CLIP))
    assert (clip.alt, clip.caption, clip.found_by) == ("a clip", "clip", "bluesky:video")
    assert run.by_url(image_url(DID, GALLERY[2])).alt == "gallery 2"
    avatar = run.by_url(image_url(DID, AVATAR, "avatar"))
    assert (avatar.page_url, avatar.found_by, avatar.posted_at) == (PROFILE, "bluesky:avatar", "")


def test_the_photos_it_finds_are_really_served(crawl: Any, server: FixtureServer) -> None:
    run = crawl(bluesky_sites([alex(2)]))
    policy = fixture_policy(server, min_interval=0)
    served = {blob.cid: blob.data for blob in [AVATAR, BANNER, CLIP, QUOTE_OWN, *PAIR, *GALLERY, photo(0), photo(1)]}
    with NetClient(policy) as net:
        for url in run.urls():
            response = net.get_image(url)
            assert response.status == 200, url
            assert response.body == next(data for cid, data in served.items() if cid in url), url


def test_reposts_and_quoted_photos_of_other_accounts_are_never_taken(crawl: Any) -> None:
    run = crawl(bluesky_sites([alex(3)], serve_reposts=True))
    assert run.result.stop is StopReason.END
    assert run.urls(ImageKind.POST) == expected_posts(3)
    others = {did_of("bob.example.com"), did_of(FRIEND)}
    assert not [url for url in run.urls() if any(did in url for did in others)]


def test_the_whole_feed_yields_link_previews_but_no_reposts(crawl: Any) -> None:
    # Some AppViews ignore the filter: text posts, link cards and reposts all come back.
    run = crawl(bluesky_sites([alex(3)], ignore_filter=True))
    assert run.result.stop is StopReason.END
    assert run.urls(ImageKind.POST) == expected_posts(3)
    assert run.urls(ImageKind.SHARE_IMAGE) == {image_url(DID, LINK_THUMB, "feed_thumbnail")}
    card = run.by_url(image_url(DID, LINK_THUMB, "feed_thumbnail"))
    assert (card.found_by, card.caption) == (
        "bluesky:link-preview", "read this (link preview of https://news.example.org/interview)")
    assert not any(did_of("bob.example.com") in url for url in run.urls())


def test_a_post_by_someone_else_is_skipped_even_without_a_repost_reason(crawl: Any) -> None:
    honest = bluesky_sites([alex(3)], serve_reposts=True)

    def reasonless(request: Request) -> Reply:
        reply = honest[API_HOST](request)
        body = json.loads(reply.body)
        for item in body.get("feed", []):
            if item.get("reason"):  # the repost loses its reason; the own first post is pinned
                del item["reason"]
        if body.get("feed") and "cursor" not in parse_qs(urlsplit(request.path).query):
            body["feed"][0]["reason"] = {"$type": "app.bsky.feed.defs#reasonPin"}
        return Reply(reply.status, json.dumps(body).encode(), reply.content_type, reply.headers)

    run = crawl({**honest, API_HOST: reasonless})
    assert run.result.stop is StopReason.END
    assert run.urls(ImageKind.POST) == expected_posts(3)  # the pinned own post included


def test_max_pages_stops_with_cap(crawl: Any) -> None:
    run = crawl(bluesky_sites([alex(150)]), max_pages=1)
    assert run.result.stop is StopReason.CAP
    assert run.result.detail == "stopped after 1 pages of posts (--max-pages)"
    assert len(calls(run, "app.bsky.feed.getAuthorFeed")) == 1
    assert run.urls(ImageKind.POST) == {image_url(DID, photo(i)) for i in range(100)}  # newest first


def test_max_images_stops_with_cap(crawl: Any) -> None:
    run = crawl(bluesky_sites([alex(150)]), max_images=10)
    assert run.result.stop is StopReason.CAP
    assert len(run.candidates) == 10
    assert len(calls(run, "app.bsky.feed.getAuthorFeed")) == 1


def test_a_repeated_cursor_ends_the_crawl(crawl: Any) -> None:
    run = crawl(bluesky_sites([alex(150)], repeat_cursor=True))
    assert run.result.stop is StopReason.END
    assert run.result.detail == "all 2 pages of posts (the platform repeated a cursor)"
    assert len(calls(run, "app.bsky.feed.getAuthorFeed")) == 2
    assert run.urls(ImageKind.POST) == expected_posts(150)


def test_rate_limited_after_the_first_page(crawl: Any) -> None:
    run = crawl(bluesky_sites([alex(150)], rate_limit_after=2))
    assert run.result.stop is StopReason.RATE_LIMITED
    assert re.fullmatch(r"429: rate limited until \d{4}-\d\d-\d\d \d\d:\d\d UTC; try again after that",
                        run.result.detail), run.result.detail
    assert len(run.urls(ImageKind.POST)) == 100  # the first page still counts
    assert run.sleeps == []  # a five-minute reset is reported, not waited out
    assert len(calls(run, "app.bsky.feed.getAuthorFeed")) == 2  # the limited page was asked once


def test_an_api_closed_to_guests_is_blocked(crawl: Any) -> None:
    run = crawl(bluesky_sites([alex(3)], guest_api=False))
    assert run.result.stop is StopReason.BLOCKED
    assert run.result.detail == f"401: the platform refused a logged-out visitor for {HANDLE} on Bluesky"
    assert run.candidates == []


def test_a_redirect_to_the_sign_in_page_is_a_login_wall(crawl: Any) -> None:
    run = crawl(bluesky_sites([alex(3)], login_redirect=True))
    assert run.result.stop is StopReason.LOGIN_WALL
    assert "https://bsky.app/login" in run.result.detail
    assert run.candidates == []
    assert [host for host, _path in run.log] == [API_HOST]  # bsky.app itself is never visited


def test_a_web_page_instead_of_json_is_blocked(crawl: Any) -> None:
    run = crawl(bluesky_sites([alex(3)], html=True))
    assert run.result.stop is StopReason.BLOCKED
    assert "a web page where the data of" in run.result.detail
    assert run.candidates == []


def test_an_unknown_handle_is_not_found(crawl: Any) -> None:
    run = crawl(bluesky_sites([alex(3)]), url="https://bsky.app/profile/nobody.bsky.social")
    assert run.result.stop is StopReason.NOT_FOUND
    assert run.result.detail == "400 InvalidRequest: Profile not found — no account nobody.bsky.social on Bluesky"
    assert run.candidates == []
    assert len(run.log) == 1


@pytest.mark.parametrize(("status", "said"), [("AccountTakedown", "suspended by Bluesky"),
                                              ("AccountDeactivated", "deactivated by its owner")])
def test_a_suspended_or_deactivated_account_is_not_found_and_says_why(crawl: Any, status: str, said: str) -> None:
    run = crawl(bluesky_sites([alex(3, status=status)]))
    assert run.result.stop is StopReason.NOT_FOUND
    assert run.result.detail == f"400 {status}: {HANDLE} on Bluesky is {said}"
    assert run.result.facts == {"account_status": status}
    assert run.candidates == []


def test_any_other_xrpc_error_is_an_error_with_its_message(crawl: Any) -> None:
    def invalid(request: Request) -> Reply:
        body = {"error": "InvalidRequest", "message": "Error: actor must be a valid did or a handle"}
        return Reply(400, json.dumps(body).encode(), "application/json")

    run = crawl({API_HOST: invalid})
    assert run.result.stop is StopReason.ERROR
    assert run.result.detail == "400 InvalidRequest: Error: actor must be a valid did or a handle"


def test_an_empty_account_ends_and_says_there_is_nothing(crawl: Any) -> None:
    run = crawl(bluesky_sites([FixtureAccount(HANDLE)]))
    assert run.result.stop is StopReason.END
    assert run.result.detail == "no posts with photos or videos: the profile pictures are all it shows"
    assert run.candidates == []
    assert run.result.facts == {"no_unauthenticated": False}
    assert run.result.notes == [] and run.result.indexable is None


def test_the_no_unauthenticated_label_is_recorded_but_the_posts_are_still_served(crawl: Any) -> None:
    run = crawl(bluesky_sites([alex(3, no_unauthenticated=True)]))
    assert run.result.stop is StopReason.END
    assert run.result.facts == {"no_unauthenticated": True}
    assert run.result.indexable is False
    assert run.result.notes == [
        "!no-unauthenticated: the profile asks apps not to show it to logged-out visitors, yet Bluesky's "
        "public API serves its profile and posts without a login"]
    assert run.urls(ImageKind.POST) == expected_posts(3)  # what the label does not stop
    capped = crawl(bluesky_sites([alex(3, no_unauthenticated=True)]), max_images=1)
    assert capped.result.stop is StopReason.CAP and capped.result.notes == run.result.notes


def test_a_profile_given_by_did_is_crawled_and_linked_by_handle(crawl: Any) -> None:
    run = crawl(bluesky_sites([alex(3)]), url=f"https://bsky.app/profile/{DID}")
    assert run.result.stop is StopReason.END
    assert run.urls(ImageKind.POST) == expected_posts(3)
    assert calls(run, "app.bsky.actor.getProfile") == [{"actor": [DID]}]
    assert all(c.page_url.startswith(PROFILE) for c in run.candidates)


def test_the_imitation_refuses_a_limit_above_100() -> None:
    api = bluesky_sites([alex(3)])[API_HOST]
    reply = api(Request(API_HOST, "/xrpc/app.bsky.feed.getAuthorFeed", {"actor": [DID], "limit": ["101"]}, {}))
    assert reply.status == 400 and json.loads(reply.body)["error"] == "InvalidRequest"


# --- which URLs are Bluesky accounts ------------------------------------------------------------


@pytest.mark.parametrize(("url", "actor"), [
    ("https://bsky.app/profile/alex.bsky.social", "alex.bsky.social"),
    ("https://bsky.app/profile/Alex.Example.ORG/", "alex.example.org"),
    ("https://bsky.app/profile/@alex.bsky.social", "alex.bsky.social"),
    ("https://www.bsky.app/profile/alex.bsky.social?ref=x", "alex.bsky.social"),
    (f"https://bsky.app/profile/{DID}", DID),
    ("https://bsky.app/profile/did:web:alex.example.org", "did:web:alex.example.org"),
])
def test_account_urls_are_taken(url: str, actor: str) -> None:
    site = sites.find(url)
    assert isinstance(site, Bluesky) and site.actor == actor
    assert "https://bsky.app/settings/privacy-and-security" in {entry.settings_link(site.url) for entry in load("bluesky").entries}


@pytest.mark.parametrize("url", [
    "https://bsky.app/profile/alex.bsky.social/post/3kq2a4xyzab2c",
    "https://bsky.app/profile/alex.bsky.social/feed/aaah5ig",
    "https://bsky.app/profile/alex.bsky.social/lists/3kq2a4xyzab2c",
    "https://bsky.app/profile/alex.bsky.social/followers",
    "https://bsky.app/search?q=alex",
    "https://bsky.app/hashtag/selfie",
    "https://bsky.app/settings/privacy-and-security",
    "https://bsky.app/profile/alex",
    "https://bsky.app/",
    "http://bsky.app/profile/alex.bsky.social",
])
def test_other_bluesky_pages_are_refused_with_the_example(url: str) -> None:
    with pytest.raises(UsageError) as refused:
        sites.find(url)
    assert "is a Bluesky page" in refused.value.message and Bluesky.example in refused.value.hint


def test_scope_is_the_two_api_methods() -> None:
    site = sites.find(Bluesky.example)
    assert site.scope() == AccountScope(frozenset({API_HOST}), (
        "/xrpc/app.bsky.actor.getProfile", "/xrpc/app.bsky.feed.getAuthorFeed"))
    assert site.scope().allows(f"https://{API_HOST}/xrpc/app.bsky.feed.getAuthorFeed?actor=x")
    assert not site.scope().allows(f"https://{API_HOST}/xrpc/app.bsky.feed.searchPosts?q=alex")
    assert not site.scope().allows(f"https://{API_HOST}/xrpc/app.bsky.graph.getFollowers?actor=x")
    assert not site.scope().allows("https://bsky.app/profile/alex.bsky.social")
