"""The demo person's personal website: a home page using every way a site shows an image, and
an about page linked from it.

The home page has share images (og:image, twitter:image, JSON-LD Person.image), <img> with
srcset, <picture>, a lazy data-src, a CSS background, alt text, and one photo added only once
the visitor scrolls. The about page holds a portrait shown nowhere else on the site: the crawl
finds it only by following the link, as a scraper would. The link to another person's profile
is there to be ignored: no crawl may follow it.
"""

from __future__ import annotations

import html
import json

from faceaudit.demo.person import FIRST_NAME, NAME
from faceaudit.demo.photos import Photo
from faceaudit.demo.server import Handler, Reply, Request

HOST = "alex.example.org"

PAGE = """<!doctype html>
<html lang="en"><head>
<meta charset="utf-8"><title>{name}</title>
<meta property="og:image" content="{root}/images/{og}">
<meta name="twitter:image" content="{root}/images/{twitter}">
<script type="application/ld+json">{jsonld}</script>
<style>
  .hero {{ height: 300px; background-image: url("{root}/images/{background}"); background-size: cover; }}
  .spacer {{ height: 2400px; }}
</style>
</head><body>
<h1>{name}</h1>
<p>Hello! Photos from my travels. My friend is <a href="https://social.example/@someone_else">@someone_else</a>.
More <a href="/about/">about me</a>.</p>
<img src="{root}/images/{small}" srcset="{root}/images/{small} 1x, {root}/images/{srcset_big} 2x" alt="me, small">
<picture><source media="(min-width: 600px)" srcset="{root}/images/{picture}" type="image/webp"><img src="{root}/images/{picture_fallback}" alt="me in WebP"></picture>
<img class="lazy" data-src="{root}/images/{lazy}" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="lazy loaded">
<img src="{root}/images/{friends}" alt="me with two friends">
<img src="{root}/images/{others}" alt="game night at Jo's">
<div class="hero"></div>
<div class="spacer"></div>
<div id="more"></div>
<script>
  // The last photo appears only once the visitor scrolls down, as on many blogs.
  window.addEventListener("scroll", function () {{
    if (document.getElementById("late")) return;
    if (window.scrollY + window.innerHeight > document.body.scrollHeight - 400) {{
      var img = document.createElement("img");
      img.id = "late"; img.src = "{root}/images/{late}"; img.alt = "holiday";
      document.getElementById("more").appendChild(img);
    }}
  }});
</script>
</body></html>
"""


ABOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>About {name}</title></head><body>
<h1>About me</h1>
<img src="{root}/images/{about}" alt="{first_name}, a portrait">
<p>I write about travel and rockets. <a href="/">Home</a></p>
</body></html>
"""


def website_handler(photos: dict[str, Photo]) -> tuple[Handler, dict[str, str]]:
    """(handler, which photo each slot shows). `photos` is keyed by file name."""
    root = f"https://{HOST}"
    slots = {
        "og": "portrait.jpg",
        "twitter": "portrait.jpg",
        "background": "rocket.jpg",
        "small": "lowq.jpg",
        "srcset_big": "big.png",
        "picture": "portrait.webp",
        "picture_fallback": "portrait.jpg",
        "lazy": "crowd-small.jpg",
        "friends": "with-friends.jpg",
        "others": "group.jpg",
        "late": "holiday.jpg",
        "jsonld": "avatar.jpg",
        "about": "mirror.jpg",  # on the about page only
    }
    jsonld = json.dumps({"@context": "https://schema.org", "@type": "Person", "name": NAME,
                         "image": f"{root}/images/{slots['jsonld']}"})
    page = PAGE.format(root=root, name=html.escape(NAME), jsonld=jsonld.replace("</", "<\\/"),  # <script> is raw text: only "</" could end it
                       **{k: v for k, v in slots.items() if k != "jsonld"}).encode()
    about = ABOUT.format(root=root, name=html.escape(NAME), first_name=html.escape(FIRST_NAME),
                         about=slots["about"]).encode()

    def handle(request: Request) -> Reply:
        if request.path == "/":
            return Reply(body=page)
        if request.path == "/about/":
            return Reply(body=about)
        if request.path.startswith("/images/"):
            photo = photos.get(request.path.removeprefix("/images/"))
            if photo is not None:
                return Reply(body=photo.data, content_type=photo.content_type)
        return Reply(404, b"not found", "text/plain")

    return handle, slots
