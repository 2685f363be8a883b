"""The demo's fictional person, Alex Vega: a personal website and a Mastodon account, with labels.

`person_images` lists the image URLs a logged-out scraper collects from these accounts that
show Alex; the demo's report must find exactly those. Deliberately left out: the smaller
`srcset` candidate on the website (the same picture as the larger one a scraper takes) and
the photo in a boosted post on Mastodon (someone else's post: never fetched).
"""

from __future__ import annotations

from dataclasses import dataclass

from faceaudit.demo import photos as demo_photos
from faceaudit.demo.mastodon_api import (
    FixtureAccount,
    FixtureMedia,
    FixtureStatus,
    mastodon_handler,
)
from faceaudit.demo.server import Handler
from faceaudit.demo.website import HOST as WEBSITE_HOST
from faceaudit.demo.website import website_handler

MASTODON_HOST = "social.example"

# What each Mastodon post shows, newest first: (status id, [file names]).
MASTODON_POSTS = [
    ("1100", ["mirror.jpg"]),
    ("1090", ["group.jpg"]),
    ("1080", ["lowq.jpg", "pattern.png"]),
    ("1070", ["friend-1.jpg"]),
    ("1060", ["portrait.webp"]),
    ("1050", ["holiday.jpg"]),
    ("1040", ["coffee.jpg"]),
]
BOOSTED = "friend-2.jpg"  # in a boost of @someone_else's post: not Alex's to report
# Website slots a scraper takes (the smaller srcset candidate is not one of them).
WEBSITE_SLOTS = ["og", "twitter", "jsonld", "srcset_big", "picture", "picture_fallback",
                 "lazy", "friends", "coffee", "background", "late"]


@dataclass
class DemoFixture:
    sites: dict[str, Handler]
    account_urls: list[str]
    reference_photos: list[tuple[str, bytes]]
    person_images: list[str]
    other_images: list[str]
    noface_images: list[str]


def build_demo_fixture() -> DemoFixture:
    photos = {p.name: p for p in demo_photos.public_photos()}

    def media(name: str, description: str = "") -> FixtureMedia:
        return FixtureMedia(name, photos[name].data, photos[name].content_type, description)

    alex = FixtureAccount(
        username="alex",
        display_name="Alex Vega",
        avatar=media("avatar.jpg"),
        header=media("rocket.jpg"),
        statuses=[FixtureStatus(sid, [media(n, photos[n].note) for n in names], text="new photo")
                  for sid, names in MASTODON_POSTS]
        + [FixtureStatus("1030", [media(BOOSTED)], reblog_of="someone_else")],
        discoverable=True,
    )
    website, slots = website_handler(photos)
    exposed: list[tuple[str, str]] = [
        (f"https://{WEBSITE_HOST}/images/{slots[s]}", slots[s]) for s in WEBSITE_SLOTS
    ]
    files = f"https://{MASTODON_HOST}/system"
    exposed += [(f"{files}/accounts/avatars/avatar.jpg", "avatar.jpg"),
                (f"{files}/accounts/headers/rocket.jpg", "rocket.jpg")]
    exposed += [(f"{files}/media_attachments/files/{n}", n) for _, names in MASTODON_POSTS for n in names]
    urls = dict(exposed)  # de-duplicates URLs used in two slots

    def where(test: object) -> list[str]:
        return sorted(url for url, name in urls.items() if test(photos[name]))  # type: ignore[operator]

    return DemoFixture(
        sites={WEBSITE_HOST: website, MASTODON_HOST: mastodon_handler(MASTODON_HOST, [alex])},
        account_urls=[f"https://{WEBSITE_HOST}/", f"https://{MASTODON_HOST}/@alex"],
        reference_photos=demo_photos.reference_photos(),
        person_images=where(lambda p: p.shows_person),
        other_images=where(lambda p: not p.shows_person and p.other_people),
        noface_images=where(lambda p: not p.shows_person and not p.other_people),
    )
