"""A Mastodon account on social.example: avatar, header, media posts over two API pages, a boost."""

from __future__ import annotations

from faceaudit.demo.mastodon_api import (
    FixtureAccount,
    FixtureMedia,
    FixtureStatus,
    mastodon_handler,
)
from faceaudit.demo.photos import Photo
from faceaudit.demo.platforms import PlatformFixture

HOST = "social.example"
FILES = f"https://{HOST}/system"


def build(photos: dict[str, Photo]) -> PlatformFixture:
    def media(name: str) -> FixtureMedia:
        return FixtureMedia(name, photos[name].data, photos[name].content_type, photos[name].note)

    posts = ["portrait.jpg", "coffee.jpg", "group.jpg", "with-friends.jpg"] + [f"filler-{i}.png" for i in range(40)]
    fillers = {f"filler-{i}.png": FixtureMedia(f"filler-{i}.png", photos["pattern.png"].data, "image/png")
               for i in range(40)}
    statuses = [FixtureStatus(str(2000 - i), [fillers.get(name) or media(name)]) for i, name in enumerate(posts)]
    statuses.append(FixtureStatus("900", [media("mirror.jpg")], reblog_of="someone@else.example"))
    account = FixtureAccount("sam", "Sam", avatar=media("avatar.jpg"), header=media("rocket.jpg"), statuses=statuses)
    return PlatformFixture(
        platform="mastodon",
        sites={HOST: mastodon_handler(HOST, [account])},
        account_url=f"https://{HOST}/@sam",
        person_images={
            f"{FILES}/accounts/avatars/avatar.jpg": "avatar",
            f"{FILES}/media_attachments/files/portrait.jpg": "post",
            f"{FILES}/media_attachments/files/with-friends.jpg": "post",
        },
        other_images=[f"{FILES}/accounts/headers/rocket.jpg", f"{FILES}/media_attachments/files/coffee.jpg",
                      f"{FILES}/media_attachments/files/group.jpg"],
    )
