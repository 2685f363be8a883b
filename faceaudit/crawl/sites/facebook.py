"""Facebook: a profile page as a logged-out visitor sees it, read in the browser."""

from __future__ import annotations

import re

from faceaudit.crawl.net import AccountScope
from faceaudit.crawl.sites.rendered import Looks, Notice, RenderedProfile
from faceaudit.types import ImageKind, StopReason

# First path words that are Facebook's own pages, not usernames (usernames are 5+ letters,
# digits and dots, so shorter words like /me or /tv never match anyway).
RESERVED = (
    r"groups|events|photo|photos|watch|search|pages|marketplace|gaming|login|recover|help|settings|"
    r"privacy|policies|policy|stories|story|reel|reels|share|sharer|hashtag|permalink|notes|people|"
    r"home|friends|messages|notifications|bookmarks|saved|business|legal|about|profile|media|video|"
    r"videos|live|places|fundraisers|ads|latest|public|directory|l\.php"
)
# A link to some other Facebook page (a friend, a commenter, a group): the picture in it is theirs.
ELSEWHERE = (
    r"href=https://[^/\s]*facebook\.com/"
    r"(?!(?:{user}|photo|photos|photo\.php)(?:[/?\s]|$)|profile\.php\?id={user}(?:[&\s]|$))"
)


class Facebook(RenderedProfile):
    name = "facebook"
    label = "Facebook"
    pattern = re.compile(
        r"https?://(?:(?:www|m|web|mbasic)\.)?(?:facebook|fb)\.com/"
        r"(?:profile\.php\?(?:[^#]*&)?id=(?P<id>\d+)(?:[&#].*)?"
        rf"|(?!(?:{RESERVED})(?:\.php)?(?:[/?#]|$))(?P<user>[a-z0-9][a-z0-9.]{{4,49}})/?(?:[?#].*)?)$",
        re.IGNORECASE,
    )
    # Everything else on Facebook: posts, photos, groups, events, videos, searches, sub-pages.
    refuse = re.compile(r"https?://(?:[a-z0-9-]+\.)?(?:facebook|fb)\.com(?:[/?#]|$)", re.IGNORECASE)
    example = "https://www.facebook.com/alex.example"

    looks = (
        Looks(ImageKind.COVER, context=r"\bperf=profileCoverPhoto\b"),
        Looks(None, context=ELSEWHERE),  # a friend's, commenter's or group's picture
        # The profile picture (drawn as <svg><image>; og:image too): its CDN path type ends in -1,
        # photos' and covers' in -6 (unverified: what download tools report). Friends' pictures,
        # also -1, were skipped above by their links.
        Looks(ImageKind.AVATAR, context=r"\blabel=[^\s]*profile_(?:picture|photo)"),
        Looks(ImageKind.AVATAR, url=r"\.fbcdn\.net/v/t[\d.]+-1/"),
        Looks(ImageKind.POST, url=r"\.fbcdn\.net/", context=r"\bhref=\S*facebook\.com/photo(?:\.php)?/?\?"),
        Looks(ImageKind.SHARE_IMAGE, found_by=r"^og:image$"),
        # Tolerance for markup we do not know: any other picture from the content CDN, not the
        # interface's own (static.xx.fbcdn.net) icons.
        Looks(ImageKind.PAGE_IMAGE, url=r"^https://scontent[^/]*\.fbcdn\.net/"),
    )
    # Sizes of one picture differ in the `stp` transform (…_s200x200); the URLs are signed, so
    # none can be rewritten, but only the largest the page shows is kept.
    variant = re.compile(r"(?P<picture>\.fbcdn\.net/v/[^?#]+)\?(?:[^#]*&)?stp=[^&#]*?_s(?P<size>\d+)x\d+")
    notices = (
        Notice(StopReason.NOT_FOUND, "Facebook says \"This content isn't available\": no such profile, or it is "
               "hidden from logged-out visitors", text=r"this content isn.t available"),
        Notice(StopReason.NOT_FOUND, "Facebook says this page isn't available: no such profile",
               text=r"this page isn.t available"),
        Notice(StopReason.PRIVATE, "the profile is locked: only the profile picture and cover photo are visible "
               "to logged-out visitors", text=r"locked (?:their|his|her) profile", fact="is_private"),
        Notice(StopReason.LOGIN_WALL, "Facebook asked a logged-out visitor to log in before showing the profile",
               text=r"you must log in to continue"),
    )

    def __init__(self, url: str, match: re.Match[str]) -> None:
        super().__init__(url, match)
        if match["id"]:
            self.user = match["id"]
            self.profile_url = f"https://www.facebook.com/profile.php?id={self.user}"
            # A scope cannot tell ?id=1 from ?id=2: profile.php pages are the listed account's
            # only because we visit exactly one, by its id, and follow no link.
            self.prefix = "/profile.php"
        else:
            self.user = match["user"]
            self.profile_url = f"https://www.facebook.com/{self.user}"
            self.prefix = f"/{self.user}/"

    def account_url(self) -> str:
        # fb.com and the mobile hosts show the same profile; Facebook ignores a user name's case.
        return self.profile_url if self.prefix == "/profile.php" else f"https://www.facebook.com/{self.user.lower()}"

    def scope(self) -> AccountScope:
        hosts = frozenset({"www.facebook.com", "facebook.com", "web.facebook.com", "m.facebook.com"})
        return AccountScope(hosts, (self.prefix,))


SITE = Facebook
