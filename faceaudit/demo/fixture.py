"""The demo's fictional person, Alex Example (`demo/person.py`): a personal website, a Mastodon
account and accounts on the platforms in `EXTRA_PLATFORMS` (their imitations in
`demo/platforms/`), with labels.

`person_images` lists the image URLs a logged-out scraper collects from these accounts that
show Alex; the demo's report must find exactly those. `other_images` and `noface_images` are
the rest of what it collects. Deliberately in none of the three: the smaller `srcset`
candidate on the website (a scraper takes the larger one of the same picture) and the photo in
the boosted post on Mastodon (someone else's post, which the adapter skips). That boost carries
a photo of another person, not of Alex, so a client that wrongly fetched it would still have
nothing of Alex's to report: the test for skipping boosts is the crawl's, not the demo's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from faceaudit.demo import photos as demo_photos
from faceaudit.demo.mastodon_api import (
    FixtureAccount,
    FixtureMedia,
    FixtureStatus,
    mastodon_handler,
)
from faceaudit.demo.person import NAME
from faceaudit.demo.photos import Photo
from faceaudit.demo.platforms import build as build_platform
from faceaudit.demo.server import Handler, Request
from faceaudit.demo.website import HOST as WEBSITE_HOST
from faceaudit.demo.website import website_handler
from faceaudit.report.advice import platform_name

MASTODON_HOST = "social.example"
USERNAME = "alex"
DISPLAY_NAME = NAME
AVATAR = "avatar.jpg"
HEADER = "rocket.jpg"

# What each of Alex's own Mastodon posts shows, newest first: (status id, [file names]).
MASTODON_POSTS = [
    ("1100", ["mirror.jpg"]),
    ("1090", ["group.jpg"]),
    ("1080", ["lowq.jpg", "pattern.png"]),
    ("1070", ["friend-1.jpg"]),
    ("1060", ["portrait.webp"]),
    ("1050", ["holiday.jpg"]),
    ("1040", ["coffee.jpg"]),
]
BOOST = ("1030", "friend-2.jpg", "someone_else")  # status id, its photo, whose post it is
# The platforms the demo also scans (imitated in `demo/platforms/`): ones read over plain HTTP,
# so the demo stays quick. Their accounts use their own handles, as people's accounts often do.
EXTRA_PLATFORMS = ["bluesky", "instagram", "github", "gravatar"]
# Every platform the demo has an account on besides the website, in the order they are listed.
DEMO_PLATFORMS = ["mastodon", *EXTRA_PLATFORMS]
# Website slots a scraper takes (the smaller srcset candidate is not one of them); "about" is on
# the about page, linked from the home page.
WEBSITE_SLOTS = ["og", "twitter", "jsonld", "srcset_big", "picture", "picture_fallback",
                 "lazy", "friends", "others", "background", "late", "about"]


@dataclass
class DemoFixture:
    sites: dict[str, Handler]  # host -> handler, for FixtureServer
    account_urls: list[str]
    reference_photos: list[tuple[str, bytes]]  # (file name, bytes) for enrolment
    person_images: list[str]  # absolute image URLs, as served, that show the person
    other_images: list[str]  # faces of other people only
    noface_images: list[str]
    boosted_images: list[str] = field(default_factory=list)  # served, not the account's own
    photo_names: dict[str, str] = field(default_factory=dict)  # each labelled URL -> the demo photo it serves
    # platform -> the imitation's account object its handlers answer from (where one is offered),
    # so a test can change an account between two scans as its owner would.
    accounts: dict[str, Any] = field(default_factory=dict)

    def served(self, url: str) -> bytes:
        """The bytes the fixture serves at `url` (query included), following its redirects."""
        return _served(self.sites, url)


def demo_banner() -> str:
    """`faceaudit demo`'s opening line: whose accounts it imitates, how many and where. Derived
    from the accounts the demo lists (the website, then `DEMO_PLATFORMS`), so the line cannot
    drift from what the demo scans."""
    names = ["a personal website", *(platform_name(platform) for platform in DEMO_PLATFORMS)]
    return (f"faceaudit demo: {len(names)} accounts of a fictional person, {NAME} — "
            f"{', '.join(names[:-1])} and {names[-1]} — imitated on this machine.")


def build_demo_fixture() -> DemoFixture:
    photos = {p.name: p for p in demo_photos.public_photos()}

    def media(name: str, description: str = "") -> FixtureMedia:
        return FixtureMedia(name, photos[name].data, photos[name].content_type, description)

    boost_id, boosted, boosted_from = BOOST
    alex = FixtureAccount(
        username=USERNAME,
        display_name=DISPLAY_NAME,
        avatar=media(AVATAR),
        header=media(HEADER),
        statuses=[FixtureStatus(sid, [media(n, photos[n].note) for n in names], text="new photo")
                  for sid, names in MASTODON_POSTS]
        + [FixtureStatus(boost_id, [media(boosted)], text="look at this", reblog_of=boosted_from)],
        discoverable=True,
    )
    website, slots = website_handler(photos)
    files = f"https://{MASTODON_HOST}/system"
    exposed: dict[str, str] = {f"https://{WEBSITE_HOST}/images/{slots[s]}": slots[s] for s in WEBSITE_SLOTS}
    exposed[f"{files}/accounts/avatars/{AVATAR}"] = AVATAR
    exposed[f"{files}/accounts/headers/{HEADER}"] = HEADER
    exposed.update({f"{files}/media_attachments/files/{n}": n for _, names in MASTODON_POSTS for n in names})

    sites = {WEBSITE_HOST: website, MASTODON_HOST: mastodon_handler(MASTODON_HOST, [alex])}
    account_urls = [f"https://{WEBSITE_HOST}/", f"https://{MASTODON_HOST}/@{USERNAME}"]
    by_bytes = {photo.data: name for name, photo in photos.items()}
    accounts: dict[str, Any] = {"mastodon": alex}
    for platform in EXTRA_PLATFORMS:
        extra = build_platform(platform, photos)
        if extra.account is not None:
            accounts[platform] = extra.account
        sites.update(extra.sites)
        account_urls.append(extra.account_url)
        for url in [*extra.person_images, *extra.other_images]:
            exposed[url] = by_bytes[_served(extra.sites, url)]

    def where(wanted: str) -> list[str]:
        return sorted(url for url, name in exposed.items() if _category(photos[name]) == wanted)

    return DemoFixture(
        sites=sites,
        account_urls=account_urls,
        reference_photos=demo_photos.reference_photos(),
        person_images=where("person"),
        other_images=where("others"),
        noface_images=where("no face"),
        boosted_images=[f"{files}/media_attachments/files/{boosted}"],
        photo_names=exposed,
        accounts=accounts,
    )


def _served(sites: dict[str, Handler], url: str) -> bytes:
    """The bytes a fixture serves at `url`, following its redirects (labels are by content)."""
    for _hop in range(5):
        parts = urlsplit(url)
        host = parts.hostname or ""
        reply = sites[host](Request(host, parts.path, parse_qs(parts.query), {}))
        if reply.status in (301, 302, 303, 307, 308):
            url = urljoin(url, reply.headers["Location"])
            continue
        return reply.body
    raise AssertionError(f"{url} redirects too often")


def _category(photo: Photo) -> str:
    if photo.shows_person:
        return "person"
    return "others" if photo.other_faces else "no face"
