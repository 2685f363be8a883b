"""LinkedIn: a public profile (/in/…) as a logged-out visitor sees it, read in the browser."""

from __future__ import annotations

import re

from faceaudit.crawl.net import AccountScope
from faceaudit.crawl.sites.rendered import Looks, Notice, RenderedProfile
from faceaudit.types import ImageKind, StopReason

LICDN = r"^https://media\.licdn\.com/"


class LinkedIn(RenderedProfile):
    name = "linkedin"
    label = "LinkedIn"
    pattern = re.compile(
        r"https?://(?:(?:www|[a-z]{2})\.)?linkedin\.com/in/(?P<user>[\w%-]{3,100})/?(?:[?#].*)?$",
        re.IGNORECASE,
    )
    # Everything else on LinkedIn: companies, posts, the feed, jobs, searches, profile sub-pages.
    refuse = re.compile(r"https?://(?:[a-z0-9-]+\.)?linkedin\.com(?:[/?#]|$)", re.IGNORECASE)
    example = "https://www.linkedin.com/in/alex-example/"

    looks = (
        # "People also viewed", other members' posts in the activity list: not this account's.
        Looks(None, context=r"\bhref=https://[^/\s]*linkedin\.com/in/(?!{user}(?:[/?\s]|$))"),
        Looks(None, context=r"\bhref=https://[^/\s]*linkedin\.com/posts/(?!{user}_)"),
        Looks(ImageKind.AVATAR, url=LICDN + r"\S*/profile-displayphoto-"),
        Looks(ImageKind.COVER, url=LICDN + r"\S*/profile-displaybackgroundimage-"),
        Looks(ImageKind.AVATAR, url=LICDN, context=r"\bclass=\S*top-card__profile-image\b"),
        Looks(ImageKind.COVER, url=LICDN, context=r"\bclass=\S*cover-img__image\b"),
        Looks(ImageKind.POST, url=LICDN, context=r"\bhref=\S*linkedin\.com/posts/{user}_"),
        Looks(ImageKind.SHARE_IMAGE, found_by=r"^og:image$"),
        Looks(ImageKind.PAGE_IMAGE, url=LICDN),  # not the interface's own (static.licdn.com) images
    )
    # Image URLs are signed (expiring `e=` and `t=` parameters): no size can be rewritten, but
    # of the sizes a page shows (og:image 800, <img> 200 …) only the largest is kept.
    variant = re.compile(r"/dms/image/(?:v2/)?(?P<picture>[^/]+)/[a-z-]+-shrink_(?P<size>\d+)_\d+/")
    notices = (
        Notice(StopReason.BLOCKED, "LinkedIn refused a logged-out visitor (HTTP 999)", status=999),
        Notice(StopReason.NOT_FOUND, "LinkedIn says this profile is not available",
               text=r"this profile is not available|profile not found|this page doesn.t exist"),
    )

    def __init__(self, url: str, match: re.Match[str]) -> None:
        super().__init__(url, match)
        self.user = match["user"]
        self.profile_url = f"https://www.linkedin.com/in/{self.user}/"

    def account_url(self) -> str:
        # Country hosts (uk.linkedin.com) show the same profile; LinkedIn ignores a public
        # profile address's case.
        return f"https://www.linkedin.com/in/{self.user.lower()}/"

    def scope(self) -> AccountScope:
        return AccountScope(frozenset({"www.linkedin.com", "linkedin.com"}), (f"/in/{self.user}/",))


SITE = LinkedIn
