"""The LinkedIn adapter against an imitation www.linkedin.com (TLS fixture) in real Chromium."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from faceaudit.crawl import sites
from faceaudit.crawl.browser import BrowserSession
from faceaudit.crawl.sites.linkedin import LinkedIn
from faceaudit.demo.photos import Photo
from faceaudit.demo.server import FixtureServer
from faceaudit.errors import UsageError
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason
from tests.platforms.linkedin import HOST, LiMember, image_url, linkedin_sites
from tests.support import crawl_rendered, module_browser_session, module_server


def photo(name: str) -> Photo:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (90, 200, 120)).save(out, "JPEG")
    return Photo(name, out.getvalue(), "image/jpeg", False, 0, "")


ME, COVER, POST, LIKED, OTHER = photo("me.jpg"), photo("cover.jpg"), photo("post.jpg"), photo("liked.jpg"), photo("bob.jpg")
ALEX = LiMember("alex-example", "Alex Example", photo=ME, cover=COVER,
                posts=[("alex-example", POST), ("bob-other", LIKED)], also_viewed=[("bob-other", OTHER)])
BARE = LiMember("bare-alex", "Bare Alex")
MEMBERS = [ALEX, BARE]


server = module_server(lambda: linkedin_sites(MEMBERS))


session = module_browser_session()


def crawl(url: str, session: BrowserSession, server: FixtureServer, mode: str = "page",
          **limits: int) -> tuple[list[ImageCandidate], CrawlResult]:
    return crawl_rendered(url, session, server, linkedin_sites(MEMBERS, mode), **limits)


@pytest.mark.parametrize("url", [
    "https://www.linkedin.com/in/alex-example/", "https://linkedin.com/in/alex-example",
    "https://de.linkedin.com/in/alex-example/?originalSubdomain=de", "http://www.linkedin.com/in/alex-example",
])
def test_account_urls_are_taken_and_visited_on_www(url: str) -> None:
    site = sites.find(url)
    assert isinstance(site, LinkedIn)
    assert site.profile_url == "https://www.linkedin.com/in/alex-example/"


@pytest.mark.parametrize("url", [
    "https://www.linkedin.com/company/example-corp/", "https://www.linkedin.com/posts/alex-example_hello-activity-7100-AbCd",
    "https://www.linkedin.com/feed/", "https://www.linkedin.com/jobs/view/123", "https://www.linkedin.com/search/results/all/?keywords=alex",
    "https://www.linkedin.com/in/alex-example/details/experience/", "https://www.linkedin.com/",
])
def test_other_linkedin_pages_are_refused(url: str) -> None:
    with pytest.raises(UsageError) as refused:
        sites.find(url)
    assert LinkedIn.example in refused.value.hint


@pytest.mark.browser
def test_the_profile_yields_photo_cover_and_own_posts(session: BrowserSession, server: FixtureServer) -> None:
    found, result = crawl("https://www.linkedin.com/in/alex-example/", session, server)
    assert [(c.url, c.kind) for c in found] == [
        # og:image at 800 px; the page's 200 px <img> is the same photo, so only the largest is kept
        (image_url(ME, "profile-displayphoto-shrink_800_800"), ImageKind.AVATAR),
        (image_url(COVER, "profile-displaybackgroundimage-shrink_350_1400"), ImageKind.COVER),
        (image_url(POST, "feedshare-shrink_800"), ImageKind.POST),
    ]
    assert all("&t=" in c.url and "e=" in c.url for c in found)  # the expiring signature is kept
    assert (result.stop, result.pages_visited) == (StopReason.END, 1)
    assert server.log == [(HOST, "/in/alex-example/")]  # bob-other's profile and post never visited


@pytest.mark.browser
def test_a_profile_without_pictures_ends_and_says_so(session: BrowserSession, server: FixtureServer) -> None:
    found, result = crawl("https://www.linkedin.com/in/bare-alex/", session, server)
    assert (found, result.stop) == ([], StopReason.END)
    assert any("no picture" in note for note in result.notes)


@pytest.mark.browser
def test_a_visible_sign_in_modal_is_a_login_wall(session: BrowserSession, server: FixtureServer) -> None:
    found, result = crawl("https://www.linkedin.com/in/alex-example/", session, server, "login_prompt")
    assert len(found) == 3
    assert result.stop is StopReason.LOGIN_WALL


@pytest.mark.browser
@pytest.mark.parametrize(("mode", "stop", "said"), [
    ("status_999", StopReason.BLOCKED, "LinkedIn refused a logged-out visitor (HTTP 999)"),
    ("authwall", StopReason.LOGIN_WALL, "/authwall"),
    ("rate_limited", StopReason.RATE_LIMITED, "429"),
])
def test_each_refusal_is_its_outcome(mode: str, stop: StopReason, said: str, session: BrowserSession,
                                     server: FixtureServer) -> None:
    found, result = crawl("https://www.linkedin.com/in/alex-example/", session, server, mode)
    assert (found, result.stop) == ([], stop)
    assert said in result.detail


@pytest.mark.browser
def test_an_unknown_member_is_not_found(session: BrowserSession, server: FixtureServer) -> None:
    found, result = crawl("https://www.linkedin.com/in/nobody-here/", session, server)
    assert (found, result.stop) == ([], StopReason.NOT_FOUND)
