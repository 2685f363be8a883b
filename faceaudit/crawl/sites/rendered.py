"""Platforms that only have pages (Facebook, X, LinkedIn): the profile page, read in the browser.

An adapter here is a table. `looks` says what each image on the page is, by its URL, how the
harvest found it and where it sits (`HarvestedImage.context`); the first rule that matches
decides, and a rule of kind None skips the image (someone else's picture, a repost, page
furniture), as does an image no rule recognises. `notices` turn what the platform says instead of
a profile ("This content isn't available", HTTP 999) into an outcome. `sizes` rewrite an image
URL to the largest variant the platform documents; where that cannot be done (signed URLs),
`variant` recognises sizes of one picture, and only the largest one on the page is kept. The
page → outcome logic is the shared one (`page_outcome`, also the generic web adapter's), so a login
redirect or a 404 reads the same on every page-based platform.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from faceaudit.crawl.browser import HarvestedImage, PageHarvest
from faceaudit.crawl.sites.base import CrawlContext, Site, page_indexable, page_outcome
from faceaudit.types import CrawlResult, ImageCandidate, ImageKind, StopReason

POSTED = re.compile(r"(?:^|\s)time=(\S+)")


@dataclass(frozen=True)
class Looks:
    """An image whose URL, `found_by` and context all match is of `kind` (None: skip it).

    Each pattern is a regular expression searched case-insensitively ("" matches anything);
    `{user}` stands for the account's name.
    """

    kind: ImageKind | None
    url: str = ""
    context: str = ""
    found_by: str = ""

    def matches(self, image: HarvestedImage, user: str) -> bool:
        checks = ((self.url, image.url), (self.context, image.context), (self.found_by, image.found_by))
        return all(
            re.search(pattern.replace("{user}", re.escape(user)), value, re.IGNORECASE)
            for pattern, value in checks
            if pattern
        )


@dataclass(frozen=True)
class Notice:
    """What the platform says instead of (or over) the profile: an HTTP status or visible words.

    `fact`, when set, is recorded as true in the account's facts, and `detail` also as a note.
    """

    stop: StopReason
    detail: str
    status: int = 0
    text: str = ""  # searched case-insensitively in the page's visible words
    fact: str = ""

    def applies(self, page: PageHarvest) -> bool:
        if self.status:
            return page.status == self.status
        return bool(page.text) and re.search(self.text, page.text, re.IGNORECASE) is not None


class RenderedProfile(Site):
    """A profile page read once, logged out, in Chromium. Subclasses set the tables below and,
    in `__init__`, `user` and `profile_url` (the page to visit)."""

    label: ClassVar[str]  # the platform's name in sentences: "Facebook"
    looks: ClassVar[tuple[Looks, ...]]
    notices: ClassVar[tuple[Notice, ...]] = ()
    sizes: ClassVar[tuple[tuple[str, str], ...]] = ()  # (pattern, replacement) for re.sub on URLs
    notes: ClassVar[tuple[str, ...]] = ()  # said about every account on the platform
    # Named groups `picture` (the same for every size of one picture) and `size` (a number).
    variant: ClassVar[re.Pattern[str] | None] = None
    user: str
    profile_url: str

    def crawl(self, ctx: CrawlContext, result: CrawlResult) -> Iterator[ImageCandidate]:
        page = ctx.browser().harvest(self.profile_url, scope=self.scope(), max_scrolls=ctx.max_scrolls)
        result.pages_visited = 1
        result.stop, result.detail = self.outcome(page, result)
        result.notes.extend(self.notes)
        result.notes.extend(page.refusals)  # what the page tried and was refused: the user should know
        result.indexable = page_indexable(page)
        kept: dict[str, ImageCandidate] = {}  # picture (or URL) -> its largest size on the page
        for image in page.images:
            kind = self.kind_of(image)
            if kind is None:
                continue
            url = self.largest(image.url)
            found = POSTED.search(image.context) if kind is ImageKind.POST else None
            candidate = ImageCandidate(url, page.final_url, kind, f"{self.name}:{image.found_by}", image.alt,
                                       posted_at=found[1] if found else "")
            key, size = self._picture(url)
            if key not in kept or size > self._picture(kept[key].url)[1]:
                kept[key] = candidate
        if not kept and result.stop is StopReason.END:  # an empty profile, or markup we do not know
            result.notes.append(f"the {self.label} page showed no picture faceaudit recognises as this account's")
        yield from kept.values()

    def outcome(self, page: PageHarvest, result: CrawlResult) -> tuple[StopReason, str]:
        """The generic page outcome, unless the platform said something more precise."""
        stop, detail = page_outcome(page)
        if page.redirected_to:  # nothing of the page was read: the redirect is the whole story
            return stop, detail
        for notice in self.notices:
            if notice.applies(page):
                if notice.fact:
                    result.facts[notice.fact] = True
                    result.notes.append(notice.detail)
                return notice.stop, notice.detail
        if stop is StopReason.END and page.login_prompt:
            return StopReason.LOGIN_WALL, f"{self.label} put a login prompt over the profile after 1 page"
        return stop, detail

    def kind_of(self, image: HarvestedImage) -> ImageKind | None:
        return next((rule.kind for rule in self.looks if rule.matches(image, self.user)), None)

    def _picture(self, url: str) -> tuple[str, int]:
        found = self.variant.search(url) if self.variant else None
        return (found["picture"], int(found["size"])) if found else (url, 0)

    def canonical(self, url: str) -> str:
        return self.largest(url)

    def largest(self, url: str) -> str:
        for pattern, replacement in self.sizes:
            url = re.sub(pattern, replacement, url)
        return url
