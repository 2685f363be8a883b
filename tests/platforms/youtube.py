"""An imitation of a YouTube channel for a logged-out visitor: the channel page and its Atom feed.

The page carries what platforms.md documents: `og:image` (the avatar), the feed's
`<link rel="alternate" type="application/rss+xml">`, and `ytInitialData` with the banner's sizes
in `header.pageHeaderRenderer…imageBannerViewModel.image.sources` (or the older
`c4TabbedHeaderRenderer.banner.thumbnails`). The feed lists the newest 15 videos, each with
one `media:thumbnail` (hqdefault, 480x360) on i1/i2.ytimg.com.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

from faceaudit.demo.photos import Photo
from faceaudit.demo.platforms import PlatformFixture
from faceaudit.demo.server import Handler, Reply, Request

WWW, PICTURES, THUMBS = "www.youtube.com", "yt3.googleusercontent.com", ("i1.ytimg.com", "i2.ytimg.com")
FEED_SIZE = 15
FAILURES = ("consent", "inline_consent", "login_redirect", "sorry", "too_many", "unauthorized",
            "feed_html", "feed_404", "feed_doctype")
BANNER_SIZES = (1060, 1707, 2560)


@dataclass
class FixtureVideo:
    id: str  # 11 characters, like YouTube's
    title: str
    thumbnail: bytes
    published: str = "2024-05-01T12:00:00+00:00"
    channel_id: str = ""  # default: the channel's own (set another to imitate a stray entry)


@dataclass
class FixtureChannel:
    handle: str  # "@sam"
    id: str  # "UC" + 22 characters
    avatar: bytes
    banner: bytes | None
    videos: list[FixtureVideo] = field(default_factory=list)  # newest first
    noindex: bool = False
    old_header: bool = False  # the banner in c4TabbedHeaderRenderer, as before 2024


def youtube_handlers(channel: FixtureChannel, failure: str = "") -> dict[str, Handler]:
    """Handlers for www.youtube.com, yt3.googleusercontent.com and i1/i2.ytimg.com.

    `failure`: "consent" redirects the channel page to consent.youtube.com (EU visitors without
    cookies); "inline_consent" serves the consent form in its place; "login_redirect" sends it to
    accounts.google.com; "sorry" to Google's unusual-traffic check; "too_many" is a 429 with
    Retry-After; "unauthorized" a 401; "feed_html" a web page where the feed was expected;
    "feed_404" the feed's outages; "feed_doctype" a feed with an entity-expanding DTD.
    """
    assert failure in ("", *FAILURES), failure
    thumbs = {video.id: video.thumbnail for video in channel.videos}

    def www(request: Request) -> Reply:
        if request.path == "/feeds/videos.xml":
            return _feed(channel, request.arg("channel_id"), failure)
        paths = (f"/{channel.handle}", f"/{channel.handle}/", f"/channel/{channel.id}", f"/channel/{channel.id}/")
        if request.path.lower() not in {p.lower() for p in paths}:
            return Reply(404, b"<!DOCTYPE html><title>404 Not Found</title><p>This page isn't available.")
        continue_to = f"https%3A%2F%2Fwww.youtube.com{request.path.replace('@', '%40')}"
        if failure == "consent":
            return Reply(302, b"", headers={"Location": f"https://consent.youtube.com/m?continue={continue_to}&gl=DE&m=0&pc=yt&hl=en&src=1"})
        if failure == "inline_consent":
            return Reply(200, b'<!DOCTYPE html><title>Before you continue to YouTube</title>'
                              b'<form action="https://consent.youtube.com/save" method="POST"><button>Accept all</button></form>')
        if failure == "login_redirect":
            return Reply(302, b"", headers={"Location": f"https://accounts.google.com/ServiceLogin?service=youtube&continue={continue_to}"})
        if failure == "sorry":
            return Reply(302, b"", headers={"Location": f"https://www.google.com/sorry/index?continue={continue_to}"})
        if failure == "too_many":
            return Reply(429, b"<html>Too Many Requests</html>", headers={"Retry-After": "3600"})
        if failure == "unauthorized":
            return Reply(401, b"<html>Unauthorized</html>")
        return Reply(200, _page(channel).encode())

    def pictures(request: Request) -> Reply:
        if request.path.startswith("/avatar-"):
            return Reply(200, channel.avatar, "image/jpeg")
        if request.path.startswith("/banner-") and channel.banner is not None:
            return Reply(200, channel.banner, "image/jpeg")
        return Reply(404, b"", "text/plain")

    def thumbnails(request: Request) -> Reply:
        parts = request.path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "vi" and parts[2] == "hqdefault.jpg" and parts[1] in thumbs:
            return Reply(200, thumbs[parts[1]], "image/jpeg")
        return Reply(404, b"", "text/plain")

    return {WWW: www, PICTURES: pictures, **{host: thumbnails for host in THUMBS}}


def avatar_url(channel: FixtureChannel) -> str:
    return f"https://{PICTURES}/avatar-{channel.id[2:8]}=s900-c-k-c0x00ffffff-no-rj"


def banner_url(channel: FixtureChannel, width: int = BANNER_SIZES[-1]) -> str:
    return f"https://{PICTURES}/banner-{channel.id[2:8]}=w{width}-fcrop64=1,00005a57ffffa5a8-k-c0xffffffff-no-nd-rj"


def thumbnail_url(index: int, video: FixtureVideo) -> str:
    return f"https://{THUMBS[index % len(THUMBS)]}/vi/{video.id}/hqdefault.jpg"


def _page(channel: FixtureChannel) -> str:
    sources = [{"url": banner_url(channel, w), "width": w, "height": round(w * 424 / 2560)} for w in BANNER_SIZES]
    if channel.banner is None:
        header: dict[str, Any] = {"pageHeaderRenderer": {"content": {"pageHeaderViewModel": {"title": {}}}}}
    elif channel.old_header:
        header = {"c4TabbedHeaderRenderer": {"channelId": channel.id, "banner": {"thumbnails": sources}}}
    else:
        banner = {"imageBannerViewModel": {"image": {"sources": sources}}}
        header = {"pageHeaderRenderer": {"content": {"pageHeaderViewModel": {"banner": banner}}}}
    data = {"responseContext": {}, "header": header,
            "metadata": {"channelMetadataRenderer": {"externalId": channel.id, "title": "Sam Example"}}}
    robots = '<meta name="robots" content="noindex">' if channel.noindex else ""
    return f"""<!DOCTYPE html><html lang="en" system-icons typography><head>
<meta name="theme-color" content="rgba(255, 255, 255, 0.98)"><title>Sam Example - YouTube</title>
{robots}<link rel="canonical" href="https://www.youtube.com/channel/{channel.id}">
<link rel="alternate" type="application/rss+xml" title="RSS" href="https://www.youtube.com/feeds/videos.xml?channel_id={channel.id}">
<meta property="og:title" content="Sam Example"><link rel="image_src" href="{html.escape(avatar_url(channel))}">
<meta property="og:image" content="{html.escape(avatar_url(channel))}">
<meta property="og:url" content="https://www.youtube.com/channel/{channel.id}">
</head><body><ytd-app></ytd-app>
<script nonce="x">var ytInitialData = {json.dumps(data)};</script>
</body></html>"""


def _feed(channel: FixtureChannel, channel_id: str, failure: str) -> Reply:
    if failure == "feed_404" or channel_id != channel.id:
        return Reply(404, b"<!DOCTYPE html><title>Error 404 (Not Found)!!1</title>")
    if failure == "feed_html":
        return Reply(200, b"<!DOCTYPE html><title>Before you continue to YouTube</title>")
    doctype = ('<!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
               if failure == "feed_doctype" else "")
    entries = "".join(_entry(channel, i, v) for i, v in enumerate(channel.videos[:FEED_SIZE]))
    body = f"""<?xml version="1.0" encoding="UTF-8"?>{doctype}
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id={channel.id}"/>
 <id>yt:channel:{channel.id[2:]}</id>
 <yt:channelId>{channel.id[2:]}</yt:channelId>
 <title>Sam Example{"&b;" if doctype else ""}</title>
 <link rel="alternate" href="https://www.youtube.com/channel/{channel.id}"/>
 <author><name>Sam Example</name><uri>https://www.youtube.com/channel/{channel.id}</uri></author>
 <published>2019-04-02T08:00:00+00:00</published>{entries}
</feed>"""
    return Reply(200, body.encode(), "text/xml; charset=UTF-8")


def _entry(channel: FixtureChannel, index: int, video: FixtureVideo) -> str:
    title = html.escape(video.title)
    return f"""
 <entry>
  <id>yt:video:{video.id}</id>
  <yt:videoId>{video.id}</yt:videoId>
  <yt:channelId>{video.channel_id or channel.id}</yt:channelId>
  <title>{title}</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v={video.id}"/>
  <author><name>Sam Example</name><uri>https://www.youtube.com/channel/{video.channel_id or channel.id}</uri></author>
  <published>{video.published}</published>
  <updated>{video.published}</updated>
  <media:group>
   <media:title>{title}</media:title>
   <media:content url="https://www.youtube.com/v/{video.id}?version=3" type="application/x-shockwave-flash" width="640" height="390"/>
   <media:thumbnail url="{thumbnail_url(index, video)}" width="480" height="360"/>
   <media:description>{title}, filmed last summer.</media:description>
   <media:community><media:starRating count="3" average="5.00" min="1" max="5"/><media:statistics views="42"/></media:community>
  </media:group>
 </entry>"""


def build(photos: dict[str, Photo]) -> PlatformFixture:
    videos = [FixtureVideo("hOl1dAyVid0", "Holiday vlog", photos["holiday.jpg"].data, "2024-07-20T09:30:00+00:00"),
              FixtureVideo("c0ffeeVideo", "Latte art", photos["coffee.jpg"].data, "2024-06-02T10:00:00+00:00"),
              FixtureVideo("gr0upVideo1", "Meetup", photos["group.jpg"].data, "2024-05-11T18:00:00+00:00"),
              FixtureVideo("l0wQVideo01", "Old webcam test", photos["lowq.jpg"].data, "2019-04-02T08:00:00+00:00")]
    channel = FixtureChannel("@samexample", "UCsamExample0123456789ab", photos["avatar.jpg"].data,
                             photos["rocket.jpg"].data, videos)
    return PlatformFixture(
        platform="youtube",
        sites=youtube_handlers(channel),
        account_url=f"https://www.youtube.com/{channel.handle}",
        person_images={avatar_url(channel): "avatar", thumbnail_url(0, videos[0]): "video_thumbnail",
                       thumbnail_url(3, videos[3]): "video_thumbnail"},
        other_images=[banner_url(channel), thumbnail_url(1, videos[1]), thumbnail_url(2, videos[2])],
    )
