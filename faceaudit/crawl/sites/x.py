"""X (Twitter): a profile page as a logged-out visitor sees it, read in the browser."""

from __future__ import annotations

import re

from faceaudit.crawl.net import AccountScope
from faceaudit.crawl.sites.rendered import Looks, Notice, RenderedProfile
from faceaudit.types import ImageKind, StopReason

# First path words that are X's own pages, not usernames.
RESERVED = (
    r"i|home|explore|search|notifications|messages|settings|login|logout|signup|compose|tos|privacy|"
    r"hashtag|intent|share|account|jobs|premium|about|download|lists|communities|who_to_follow"
)
PBS = r"^https://pbs\.twimg\.com/"


class X(RenderedProfile):
    name = "x"
    label = "X"
    pattern = re.compile(
        r"https?://(?:(?:www|mobile)\.)?(?:x|twitter)\.com/"
        rf"(?!(?:{RESERVED})(?:[/?#]|$))(?P<user>[a-z0-9_]{{1,15}})/?(?:[?#].*)?$",
        re.IGNORECASE,
    )
    # Everything else on X: single posts (/<user>/status/<id>), searches, /i/… pages, sub-pages.
    refuse = re.compile(r"https?://(?:[a-z0-9-]+\.)?(?:x|twitter)\.com(?:[/?#]|$)", re.IGNORECASE)
    example = "https://x.com/alex_example"

    looks = (
        # In a link to another account or its post: a repost, a quoted post, a reply's author.
        Looks(None, context=r"\bhref=https://(?:[a-z]+\.)?(?:x|twitter)\.com/(?!{user}(?:[/?\s]|$))"),
        Looks(ImageKind.AVATAR, url=PBS + r"profile_images/"),
        Looks(ImageKind.BANNER, url=PBS + r"profile_banners/"),
        Looks(ImageKind.POST, url=PBS + r"media/", context=r"\bhref=\S*/{user}/status/\d+"),
        Looks(ImageKind.POST, url=PBS + r"media/", context=r"\btestid=tweetPhoto\b"),
        Looks(ImageKind.VIDEO_THUMBNAIL, url=PBS + r"(?:ext_tw_video_thumb|amplify_video_thumb|tweet_video_thumb)/"),
        Looks(ImageKind.SHARE_IMAGE, found_by=r"^(?:og|twitter):image$"),
        Looks(ImageKind.PAGE_IMAGE, url=PBS),  # link-card images and whatever else the page shows
    )
    sizes = (
        # Profile images: "omit the underscore and variant" for the original (developer.x.com,
        # user-profile-images-and-banners); _400x400 and _200x200 are the web app's variants.
        (r"(" + PBS + r"profile_images/[^?#]+)_(?:normal|bigger|mini|\d+x\d+)(\.[a-z]+)(?=$|[?#])", r"\1\2"),
        # Banners: the last path element picks the size; 1500x500 is the largest documented.
        (r"(" + PBS + r"profile_banners/\d+/\d+)(?:/[^/?#]*)?$", r"\1/1500x500"),
        # Post photos: `name=` picks the size; `large` (within 2048x2048) is the largest documented.
        (r"(" + PBS + r"media/[^?#]+\?(?:[^#]*&)?name=)[^&#]+", r"\1large"),
    )
    notices = (
        Notice(StopReason.NOT_FOUND, "X says this account doesn't exist", text=r"this account doesn.t exist"),
        Notice(StopReason.NOT_FOUND, "X suspended this account: it shows nothing", text=r"account suspended"),
        Notice(StopReason.PRIVATE, "the account's posts are protected: only the profile picture and header "
               "are visible to logged-out visitors", text=r"these posts are protected", fact="is_private"),
    )
    notes = (
        "X shows timelines only to logged-in visitors since mid-2023: a logged-out visitor (or a scraper) sees "
        "the profile picture, the header and at most the posts the profile page itself shows",
    )

    def __init__(self, url: str, match: re.Match[str]) -> None:
        super().__init__(url, match)
        self.user = match["user"]
        self.profile_url = f"https://x.com/{self.user}"

    def account_url(self) -> str:
        # twitter.com is x.com now, and X ignores a user name's case.
        return f"https://x.com/{self.user.lower()}"

    def scope(self) -> AccountScope:
        return AccountScope(frozenset({"x.com", "twitter.com"}), (f"/{self.user}/",))


SITE = X
