"""The demo's fixture accounts: Alex Example's website and Mastodon account, and the labels the demo
is judged by (which served image shows Alex, which shows only others, which shows no face)."""

from __future__ import annotations

import hashlib
import io
import json
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from PIL import Image

from benchmarks.demo_photos_check import PERSON_MIN, STRANGER_MAX, DlibFaces, template
from faceaudit.compare.imageio import decode
from faceaudit.demo.fixture import DemoFixture, build_demo_fixture
from faceaudit.demo.photos import public_photos
from faceaudit.demo.server import Reply, Request
from faceaudit.demo.website import HOST as WEBSITE_HOST

FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def get(fixture: DemoFixture, url: str) -> Reply:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return fixture.sites[host](Request(host, parts.path, parse_qs(parts.query), {}))


def labelled(fixture: DemoFixture) -> list[str]:
    return fixture.person_images + fixture.other_images + fixture.noface_images


@pytest.fixture(scope="module")
def fixture() -> DemoFixture:
    return build_demo_fixture()


@pytest.fixture(scope="module")
def dlib_faces() -> DlibFaces:
    return DlibFaces()


def test_the_fixture_is_the_same_bytes_every_time(fixture):
    again = build_demo_fixture()
    assert again.account_urls == fixture.account_urls
    assert again.reference_photos == fixture.reference_photos
    for urls in ("person_images", "other_images", "noface_images", "boosted_images"):
        assert getattr(again, urls) == getattr(fixture, urls)
    for url in labelled(fixture) + fixture.boosted_images + [f"https://{WEBSITE_HOST}/"]:
        assert hashlib.sha256(get(again, url).body).digest() == hashlib.sha256(get(fixture, url).body).digest(), url


def test_every_labelled_image_is_served_once_as_what_it_says_it_is(fixture):
    person, others, noface = map(set, (fixture.person_images, fixture.other_images, fixture.noface_images))
    assert len(person) == len(fixture.person_images) and person.isdisjoint(others | noface)
    assert others.isdisjoint(noface)
    assert len(person) >= 10 and len(others) >= 3 and len(noface) >= 3
    for url in labelled(fixture) + fixture.boosted_images:
        reply = get(fixture, url)
        assert reply.status == 200, url
        assert Image.open(io.BytesIO(reply.body)).format == FORMATS[reply.content_type], url
    assert {FORMATS[get(fixture, u).content_type] for u in fixture.person_images} == {"JPEG", "PNG", "WEBP"}
    assert get(fixture, f"https://{WEBSITE_HOST}/images/no-such.jpg").status == 404


def test_the_website_and_mastodon_carry_photos_of_the_person_and_of_others(fixture):
    hosts = {WEBSITE_HOST, "social.example"}
    assert hosts <= {urlsplit(u).hostname for u in fixture.account_urls}
    for host in hosts:
        for urls in (fixture.person_images, fixture.other_images, fixture.noface_images):
            assert any(urlsplit(u).hostname == host for u in urls), (host, urls)
        page = get(fixture, f"https://{host}/" if host == WEBSITE_HOST else f"https://{host}/@alex")
        assert page.status == 200 and page.content_type.startswith("text/html"), host


def test_the_demo_covers_at_least_five_platforms_each_showing_the_person(fixture):
    from faceaudit.crawl import sites

    platforms = {sites.find(url).name for url in fixture.account_urls}
    assert len(platforms) >= 5 and len(platforms) == len(fixture.account_urls)
    for url in fixture.account_urls:
        scope = sites.find(url).scope()
        assert scope.hosts & set(fixture.sites), url


def test_the_boost_is_someone_elses_post_and_not_the_persons(fixture):
    account = json.loads(get(fixture, "https://social.example/api/v1/accounts/lookup?acct=alex").body)
    statuses = json.loads(get(fixture, f"https://social.example/api/v1/accounts/{account['id']}/statuses?limit=40").body)
    assert len(statuses) >= 8
    boosts = [s for s in statuses if s["reblog"]]
    assert [s["reblog"]["account"]["acct"] for s in boosts] == ["someone_else"]
    boosted = [m["url"] for s in boosts for m in s["reblog"]["media_attachments"]]
    assert boosted == fixture.boosted_images
    assert set(boosted).isdisjoint(labelled(fixture))
    own = {m["url"] for s in statuses if not s["reblog"] for m in s["media_attachments"]}
    assert own <= set(labelled(fixture))
    assert account["avatar"] in fixture.person_images and account["header"] in fixture.noface_images


class _Page(HTMLParser):
    """What a scraper would read from the website's page, by the way each image is given."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, list[str]] = {}
        self.links: list[str] = []
        self._script: str | None = None
        self._texts: list[str] = []

    def add(self, kind: str, url: str | None) -> None:
        if url:
            self.found.setdefault(kind, []).append(url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta":
            self.add(a.get("property") or a.get("name") or "", a.get("content"))
        elif tag == "img":
            src = a.get("src") if not (a.get("src") or "").startswith("data:") else None
            self.add("img", src)
            self.add("data-src", a.get("data-src"))
            for candidate in (a.get("srcset") or "").split(","):
                self.add("srcset", candidate.split()[0] if candidate.strip() else None)
            self.add("alt", (src or a.get("data-src")) if a.get("alt") else None)
        elif tag == "source":
            self.add("picture", a.get("srcset"))
        elif tag == "a":
            self.links.append(a.get("href") or "")
        elif tag in ("script", "style"):
            self._script = a.get("type") or tag

    def handle_data(self, data: str) -> None:
        if self._script == "application/ld+json":
            self.add("json-ld", json.loads(data).get("image"))
        elif self._script == "style":
            for piece in data.split('url("')[1:]:
                self.add("css:background", piece.split('"')[0])
        elif self._script is not None:
            for piece in data.split(".src = \"")[1:]:
                self.add("script", piece.split('"')[0])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._script = None


def test_the_website_page_uses_every_way_a_site_shows_an_image(fixture):
    page = _Page()
    page.feed(get(fixture, f"https://{WEBSITE_HOST}/").body.decode())
    assert "/about/" in page.links  # the about page, read too: its portrait is on no other page
    page.feed(get(fixture, f"https://{WEBSITE_HOST}/about/").body.decode())
    kinds = {"og:image", "twitter:image", "json-ld", "img", "srcset", "picture", "data-src",
             "css:background", "alt", "script"}
    assert kinds <= set(page.found), kinds - set(page.found)
    for kind in ("og:image", "twitter:image", "json-ld"):
        assert set(page.found[kind]) <= set(fixture.person_images), kind
    assert set(page.found["script"]) <= set(fixture.person_images)  # appears only after scrolling
    everything = {url for urls in page.found.values() for url in urls}
    small = {page.found["srcset"][0]}  # the 1x candidate: a scraper takes the 2x one
    site_images = {u for u in labelled(fixture) if urlsplit(u).hostname == WEBSITE_HOST}
    assert everything - small == site_images
    assert all(get(fixture, url).status == 200 for url in everything)
    assert "https://social.example/@someone_else" in page.links  # there to be ignored


def test_one_photo_of_the_person_leaks_where_and_when_it_was_taken(fixture):
    leaks = {}
    for url in labelled(fixture):
        metadata = decode(fixture.served(url), source=url).metadata
        if metadata.gps is not None:
            leaks[url] = metadata
    assert {fixture.photo_names[url] for url in leaks} == {"holiday.jpg"}
    leak = next(iter(leaks.values()))
    assert leak.gps is not None and leak.gps[0] == pytest.approx(52.3701, abs=1e-3)
    assert leak.taken_at == "2026-06-01T14:03:00" and leak.camera == "Demophone DP-1"


def test_each_reference_photo_shows_exactly_one_face_and_all_agree(fixture, dlib_faces):
    assert 2 <= len(fixture.reference_photos) <= 3
    vectors = []
    for name, data in fixture.reference_photos:
        faces = dlib_faces.embeddings(data)
        assert len(faces) == 1, name
        vectors.append(faces[0])
    mean = template(dlib_faces, fixture.reference_photos)
    assert min(float(v @ mean) for v in vectors) >= PERSON_MIN


def test_dlib_finds_the_person_in_every_person_image_and_in_no_other(fixture, dlib_faces):
    mean = template(dlib_faces, fixture.reference_photos)
    labels = {name: p for p in public_photos() for name in [p.name]}
    seen: dict[bytes, list[float]] = {}
    for url in labelled(fixture) + fixture.boosted_images:
        data = fixture.served(url)
        key = hashlib.sha256(data).digest()
        if key not in seen:
            seen[key] = sorted((float(v @ mean) for v in dlib_faces.embeddings(data)), reverse=True)
        similarities = seen[key]
        label = labels[fixture.photo_names.get(url) or urlsplit(url).path.rsplit("/", 1)[1]]
        assert len(similarities) == int(label.shows_person) + label.other_faces, url
        if url in fixture.person_images:
            assert similarities[0] >= PERSON_MIN, url
            similarities = similarities[1:]
        assert np.all(np.array(similarities) < STRANGER_MAX), url
        if url in fixture.other_images:
            assert similarities, f"{url} should show someone"
        if url in fixture.noface_images:
            assert similarities == [], url


def test_sface_the_demos_engine_finds_the_person_in_every_person_image_and_in_no_other(fixture):
    """The demo runs on sface: each served image shows the faces its label says, the person's
    face well above `you` and everyone else's well below `maybe` (measured: person >= 0.86,
    others <= 0.14 against 0.43 / 0.36), so the demo reads the same on every machine."""
    from faceaudit.compare.engines import engine_class, make_engine
    from faceaudit.compare.faces import find_faces

    if not engine_class("sface").availability().ok:
        pytest.skip("needs the sface engine's model wheel")
    engine = make_engine("sface")
    template = np.stack([find_faces(engine, data, source=name).faces[0].embedding
                         for name, data in fixture.reference_photos])
    you, maybe = engine.thresholds.you, engine.thresholds.maybe
    labels = {p.name: p for p in public_photos()}
    seen: dict[bytes, list[float]] = {}
    for url in labelled(fixture) + fixture.boosted_images:
        data = fixture.served(url)
        key = hashlib.sha256(data).digest()
        if key not in seen:
            faces = find_faces(engine, data, source=url).faces
            seen[key] = sorted((float((template @ f.embedding).max()) for f in faces), reverse=True)
        similarities = seen[key]
        label = labels[fixture.photo_names.get(url) or urlsplit(url).path.rsplit("/", 1)[1]]
        assert len(similarities) == int(label.shows_person) + label.other_faces, url
        if url in fixture.person_images:
            assert similarities[0] >= you + 0.3, url
            similarities = similarities[1:]
        assert all(s < maybe - 0.15 for s in similarities), url


def test_the_demo_names_exactly_the_platforms_it_scans(fixture):
    """`faceaudit demo` opens by naming the platforms it imitates: the names come from the list
    the fixture is built from, so the sentence cannot drift from what the demo scans."""
    from faceaudit.crawl import sites
    from faceaudit.demo.fixture import DEMO_PLATFORMS, demo_banner

    assert [sites.find(url).name for url in fixture.account_urls] == ["web", *DEMO_PLATFORMS]
    assert "a personal website, Mastodon, Bluesky, Instagram, GitHub and Gravatar" in demo_banner()
