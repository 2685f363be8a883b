"""The Instagram adapter against an imitation of Instagram's logged-out web, over real TLS."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from PIL import Image

from faceaudit.crawl import sites
from faceaudit.crawl.net import AccountScope, NetClient
from faceaudit.crawl.sites.instagram import Instagram
from faceaudit.demo.platforms.instagram import (
    CDN,
    HOST,
    IgAccount,
    IgMedia,
    IgPost,
    image_url,
    instagram_sites,
)
from faceaudit.demo.server import FixtureServer, Request
from faceaudit.errors import UsageError
from faceaudit.report.advice import load
from faceaudit.types import ImageKind, StopReason
from tests.support import Crawl, crawl_adapter, fixture_policy, module_server

API = "/api/v1/users/web_profile_info/?username=alex"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 120, 90)).save(out, "JPEG")
    return out.getvalue()


PHOTO = jpeg()
PICTURE = IgMedia("pic-alex_n.jpg", PHOTO)


def media(name: str, alt: str = "", video: bool = False) -> IgMedia:
    return IgMedia(name, PHOTO, "image/jpeg", alt, video)


def alex(posts: int = 5, **account: Any) -> IgAccount:
    """alex: a carousel, a video, `posts - 2` single photos, and bob's collaboration post."""
    own = [IgPost("Ccarousel01", [media("c-1.jpg", "May be an image of 1 person"), media("c-2.jpg"),
                                  media("c-3.jpg", video=True)], "three at once", 1714564800),
           IgPost("Cvideo00001", [media("v-1.jpg", video=True)], "a clip", 1714478400)]
    own += [IgPost(f"Cphoto{i:05d}", [media(f"p-{i}.jpg", f"alt {i}")], f"photo {i}", 1714392000 - i * 86400)
            for i in range(posts - 2)]
    own.insert(1, IgPost("Ccollab0001", [media("bob-1.jpg")], "with bob", 1714500000, owner=("5170000077", "bob")))
    return IgAccount("alex", "Alex Example", account.pop("picture", PICTURE), own, **account)


def expected_posts(posts: int = 5) -> dict[str, ImageKind]:
    urls = {image_url(media(n)): ImageKind.POST for n in ("c-1.jpg", "c-2.jpg")}
    urls |= {image_url(media(n)): ImageKind.VIDEO_THUMBNAIL for n in ("c-3.jpg", "v-1.jpg")}
    return urls | {image_url(media(f"p-{i}.jpg")): ImageKind.POST for i in range(posts - 2)}


AVATAR = image_url(PICTURE, "s320x320")
OG_IMAGE = image_url(PICTURE, "s150x150")


server = module_server(lambda: instagram_sites([]))


@pytest.fixture
def crawl(server: FixtureServer) -> Any:
    """crawl(accounts, url=…, max_images=…, **switches) -> Crawl: one adapter run, fresh client."""

    def run(accounts: list[IgAccount], url: str = f"https://{HOST}/alex/", max_images: int = 500,
            **switches: Any) -> Crawl:
        # Whatever happened, only the account's own pages were asked for (no image is fetched here).
        done = crawl_adapter(server, url, handlers=instagram_sites(accounts, **switches), max_images=max_images)
        assert done.result.detail, "every outcome says what happened"
        return done

    return run


def test_finds_the_profile_picture_and_every_image_of_the_visible_posts(crawl: Any) -> None:
    run = crawl([alex(5)])
    assert (run.result.stop, run.result.detail) == (StopReason.END, "all 6 posts")
    assert run.urls(ImageKind.AVATAR) == {AVATAR}  # the largest, not og:image's 150 px one
    found = {c.url: c.kind for c in run.candidates if c.kind is not ImageKind.AVATAR}
    assert found == expected_posts(5)
    assert len(run.candidates) == 1 + 7
    assert run.paths(HOST) == ["/alex/", API]
    assert run.result.pages_visited == 2
    carousel = [c for c in run.candidates if c.page_url == f"https://{HOST}/p/Ccarousel01/"]
    assert [(c.alt, c.caption, c.posted_at, c.found_by) for c in carousel] == [
        ("May be an image of 1 person", "three at once", "2024-05-01T12:00:00Z", "instagram:display_url"),
        ("", "three at once", "2024-05-01T12:00:00Z", "instagram:display_url"),
        ("", "three at once", "2024-05-01T12:00:00Z", "instagram:display_url"),
    ]
    assert run.result.facts == {"is_private": False, "is_professional": False, "is_business": False,
                                "posts_total": 6, "posts_shown_logged_out": 6}
    assert run.result.indexable is True


def test_another_accounts_post_on_the_profile_is_not_taken(crawl: Any) -> None:
    run = crawl([alex(5)])
    assert not any("bob-" in url for url in run.urls())
    assert run.result.notes == ["Post Ccollab0001 belongs to another account and was not checked."]


def test_the_images_it_finds_are_really_served(crawl: Any, server: FixtureServer) -> None:
    run = crawl([alex(3)])
    with NetClient(fixture_policy(server, min_interval=0)) as net:
        for url in run.urls():
            response = net.get_image(url)
            assert (response.status, response.body) == (200, PHOTO), url


def test_after_twelve_posts_comes_the_login_wall(crawl: Any) -> None:
    run = crawl([alex(30)])
    assert (run.result.stop, run.result.detail) == (StopReason.LOGIN_WALL, "login wall after 12 posts")
    assert run.result.facts["posts_total"] == 31 and run.result.facts["posts_shown_logged_out"] == 12
    assert "only the first 12 of 31 posts" in run.result.notes[-1]
    # The 12: the carousel, bob's collaboration (skipped), the video and nine photos.
    assert run.urls(ImageKind.POST) == {image_url(media(n)) for n in ("c-1.jpg", "c-2.jpg")} | {
        image_url(media(f"p-{i}.jpg")) for i in range(9)}
    assert run.paths(HOST) == ["/alex/", API]  # no paging through login-only endpoints


def test_a_private_account_shows_only_its_profile_picture(crawl: Any) -> None:
    run = crawl([alex(5, is_private=True)])
    assert run.result.stop is StopReason.PRIVATE
    assert run.result.detail == "account is private; only the profile picture is visible to logged-out visitors"
    assert run.urls() == {AVATAR}
    assert run.result.facts["is_private"] is True


def test_an_account_without_posts_ends_saying_so(crawl: Any) -> None:
    run = crawl([IgAccount("alex", "Alex", PICTURE, [])])
    assert (run.result.stop, run.result.detail) == (StopReason.END, "the account has no posts")
    assert run.urls() == {AVATAR}


def test_a_professional_account_is_recorded(crawl: Any) -> None:
    run = crawl([alex(3, professional=True)])
    assert run.result.facts["is_professional"] is True


def test_an_unknown_username_is_not_found(crawl: Any) -> None:
    run = crawl([alex(3)], url=f"https://{HOST}/nobody/")
    assert run.result.stop is StopReason.NOT_FOUND
    assert run.result.detail == "no account @nobody on Instagram"
    assert run.candidates == []


def test_please_wait_a_few_minutes_is_a_rate_limit_and_og_image_still_gives_the_picture(crawl: Any) -> None:
    run = crawl([alex(5)], rate_limit="401", rate_limit_after=1)
    assert run.result.stop is StopReason.RATE_LIMITED
    assert "Please wait a few minutes" in run.result.detail and "try again later" in run.result.detail
    assert [(c.url, c.kind, c.found_by) for c in run.candidates] == [(OG_IMAGE, ImageKind.AVATAR, "og:image")]


def test_429_on_the_profile_call_is_reported_not_waited_out(crawl: Any) -> None:
    run = crawl([alex(5)], rate_limit="429", rate_limit_after=1)
    assert run.result.stop is StopReason.RATE_LIMITED
    assert run.result.detail.startswith("429: rate limited (reset 300)")
    assert run.urls() == {OG_IMAGE}
    assert run.sleeps == []  # five minutes is longer than faceaudit waits


def test_429_on_the_profile_page_stops_before_the_profile_call(crawl: Any) -> None:
    run = crawl([alex(5)], rate_limit="429")
    assert run.result.stop is StopReason.RATE_LIMITED
    assert run.paths(HOST) == ["/alex/"]
    assert run.candidates == []


@pytest.mark.parametrize(("where", "said"), [("login", "its login page"), ("challenge", "a security check")])
def test_a_redirect_to_login_or_a_check_is_a_login_wall(crawl: Any, where: str, said: str) -> None:
    run = crawl([alex(5)], api_redirect=where)
    assert run.result.stop is StopReason.LOGIN_WALL
    assert run.result.detail == f"login wall: Instagram sent a logged-out visitor to {said} instead of the profile"
    assert run.urls() == {OG_IMAGE}
    assert not any(path.startswith(("/accounts/", "/challenge/")) for path in run.paths(HOST))


def test_a_profile_page_behind_the_login_still_leaves_the_profile_call(crawl: Any) -> None:
    run = crawl([alex(5)], page_login=True)
    assert run.result.stop is StopReason.END
    assert run.result.notes[0] == "The profile page sent a logged-out visitor to the login page."
    assert run.urls(ImageKind.AVATAR) == {AVATAR}
    assert len(run.urls()) == 1 + 7
    assert run.result.indexable is None  # the page was not seen
    assert run.paths(HOST) == ["/alex/", API]


def test_a_login_page_where_json_was_expected_is_blocked(crawl: Any) -> None:
    run = crawl([alex(5)], api_html=True)
    assert run.result.stop is StopReason.BLOCKED
    assert "a web page where the data of @alex on Instagram was expected" in run.result.detail
    assert run.urls() == {OG_IMAGE}


def test_the_web_clients_app_id_is_what_opens_the_profile_call(server: FixtureServer) -> None:
    handler = instagram_sites([alex(3)])[HOST]
    bare = handler(Request(HOST, "/api/v1/users/web_profile_info/", {"username": ["alex"]}, {}))
    assert (bare.status, json.loads(bare.body)["message"]) == (400, "useragent mismatch")
    sent = handler(Request(HOST, "/api/v1/users/web_profile_info/", {"username": ["alex"]},
                           {"X-IG-App-ID": "936619743392459"}))
    assert json.loads(sent.body)["data"]["user"]["username"] == "alex"


def test_max_images_stops_with_cap(crawl: Any) -> None:
    run = crawl([alex(10)], max_images=4)
    assert run.result.stop is StopReason.CAP
    assert len(run.candidates) == 4


def test_the_cdn_refuses_unsigned_image_urls(server: FixtureServer) -> None:
    cdn = instagram_sites([alex(3)])[CDN]
    assert cdn(Request(CDN, "/v/t51.2885-15/p-0.jpg", {}, {})).status == 403
    assert cdn(Request(CDN, "/v/t51.2885-15/p-0.jpg", {"oh": ["00_x"]}, {})).status == 200


# --- which URLs are Instagram accounts -----------------------------------------------------------


@pytest.mark.parametrize("url", [
    "https://www.instagram.com/alex/", "https://www.instagram.com/alex", "https://instagram.com/alex/",
    "https://www.instagram.com/Alex/?hl=en", "http://www.instagram.com/alex/", "https://www.instagram.com/alex#top",
])
def test_account_urls_are_taken(url: str) -> None:
    site = sites.find(url)
    assert isinstance(site, Instagram)
    assert (site.user, site.profile) == ("alex", "https://www.instagram.com/alex/")


def test_usernames_with_dots_and_underscores() -> None:
    site = sites.find("https://www.instagram.com/sam.example_1/")
    assert isinstance(site, Instagram) and site.user == "sam.example_1"


@pytest.mark.parametrize("url", [
    "https://www.instagram.com/p/C6sAmp1e001/", "https://www.instagram.com/reel/C6sAmp1e001/",
    "https://www.instagram.com/explore/", "https://www.instagram.com/explore/tags/selfie/",
    "https://www.instagram.com/stories/alex/3300000000000000000/", "https://www.instagram.com/accounts/login/",
    "https://www.instagram.com/alex/p/C6sAmp1e001/", "https://www.instagram.com/alex/tagged/",
    "https://www.instagram.com/", "https://instagram.com/direct/inbox/",
])
def test_other_instagram_pages_are_refused(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        sites.find(url)
    assert "is an Instagram page, but not the address of an account" in caught.value.message
    assert Instagram.example in caught.value.hint


def test_scope_is_the_profile_and_the_profile_call() -> None:
    site = sites.find(Instagram.example)
    assert site.scope() == AccountScope(frozenset({"www.instagram.com", "instagram.com"}),
                                        ("/alex/", "/api/v1/users/web_profile_info/"))
    assert site.scope().allows("https://www.instagram.com/alex/")
    assert not site.scope().allows("https://www.instagram.com/alexa/")
    assert not site.scope().allows("https://www.instagram.com/accounts/login/")
    assert not site.scope().allows("https://www.instagram.com/graphql/query/")
    assert "https://www.instagram.com/accounts/who_can_see_your_content/" in {entry.settings_link(site.url) for entry in load("instagram").entries}
