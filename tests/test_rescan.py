"""A re-scan of an unchanged account analyses nothing again: it copies the earlier analysis of the
same image bytes, as long as the engine, its settings and the template are the same."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from PIL import Image

from faceaudit import consent
from faceaudit.compare.engines.dlib_engine import DlibEngine
from faceaudit.compare.engines.sface_engine import SFaceEngine
from faceaudit.compare.matcher import Matcher
from faceaudit.compare.reference import ReferencePhoto, build_template
from faceaudit.crawl import sites
from faceaudit.crawl.net import NetClient, NetworkPolicy
from faceaudit.demo.photos import reference_photos
from faceaudit.demo.server import FixtureServer, Reply, Request, with_validators
from faceaudit.report.load import load_report
from faceaudit.scan import ScanOptions, run_scan
from faceaudit.workspace import Workspace
from tests.platforms import build


class CountingDlib(DlibEngine):
    """dlib, counting every HOG pass: each detection, in any step of find_faces, is one."""

    def __init__(self) -> None:
        super().__init__()
        self.passes = 0

    def _hog(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.passes += 1
        return super()._hog(*args, **kwargs)


@pytest.fixture(scope="module")
def mastodon():
    if not DlibEngine.availability().ok:
        pytest.skip("needs the dlib engine")
    fixture = build("mastodon")
    with FixtureServer(fixture.sites) as server:
        yield fixture, server


def _workspace(tmp_path, fixture, engine, references):
    ws = Workspace.open(tmp_path / "ws")
    consent.accept(ws, "--accept")
    faces = build_template(engine, [ReferencePhoto(n, d) for n, d in references]).faces
    ws.save_template(engine.name, engine.describe(), faces)
    ws.add_account(fixture.account_url, sites.find(fixture.account_url).name)
    return ws, Matcher([f.embedding for f in faces], engine.thresholds)


def _options(server) -> ScanOptions:
    policy = NetworkPolicy(resolve={h: ("127.0.0.1", server.port) for h in server.sites}, allow_dns=False,
                           ca_cert=server.certificate.cert_pem, min_interval=0.0)
    return ScanOptions(policy=policy, workers=1)


def _yours(report) -> dict[str, tuple[str, float, int]]:
    """(verdict, similarity, recognisability) per image URL, of a report or of one account."""
    accounts = getattr(report, "accounts", [report])
    return {f.image_url: (f.verdict, f.similarity, f.recognisability) for a in accounts for f in a.findings}


def test_a_rescan_of_an_unchanged_account_runs_no_face_detection(tmp_path, mastodon):
    fixture, server = mastodon
    engine = CountingDlib()
    ws, matcher = _workspace(tmp_path, fixture, engine, reference_photos())
    with ws:
        first = run_scan(ws, engine, matcher, _options(server))
        passes_first = engine.passes
        thumbnails_first = len(ws.thumbnails())
        second = run_scan(ws, engine, matcher, _options(server))

        assert second != first
        assert passes_first > 0
        assert engine.passes == passes_first  # the second scan detected nothing
        one, two = load_report(ws, first), load_report(ws, second)
        assert _yours(two) == _yours(one)
        assert set(_yours(two)) == set(fixture.person_images)
        assert [(a.images_seen, a.other_faces) for a in two.accounts] == [
            (a.images_seen, a.other_faces) for a in one.accounts]
        # The copied findings carry their own sealed thumbnails, readable with the new rows' ids.
        assert len(ws.thumbnails()) == 2 * thumbnails_first
        assert all(f.thumbnail_jpeg for a in two.accounts for f in a.findings if f.verdict == "you")


def test_a_new_template_means_a_new_analysis(tmp_path, mastodon):
    fixture, server = mastodon
    engine = CountingDlib()
    references = reference_photos()
    ws, matcher = _workspace(tmp_path, fixture, engine, references)
    with ws:
        engine.passes = 0  # enrolment's own detections are not the scan's
        run_scan(ws, engine, matcher, _options(server))
        passes_first = engine.passes
        # Enrolled again with one photo fewer: the template differs, so earlier verdicts do not hold.
        faces = build_template(engine, [ReferencePhoto(n, d) for n, d in references[:2]]).faces
        ws.save_template(engine.name, engine.describe(), faces)
        matcher = Matcher([f.embedding for f in faces], engine.thresholds)
        before_rescan = engine.passes
        run_scan(ws, engine, matcher, _options(server))
    assert engine.passes - before_rescan == passes_first  # every image analysed again


def test_the_same_bytes_on_two_accounts_are_analysed_once(tmp_path, mastodon):
    fixture, server = mastodon
    engine = CountingDlib()
    ws, matcher = _workspace(tmp_path / "one", fixture, engine, reference_photos())
    with ws:
        engine.passes = 0
        run_scan(ws, engine, matcher, _options(server))
    passes_alone = engine.passes
    ws, matcher = _workspace(tmp_path / "two", fixture, engine, reference_photos())
    with ws:
        # The same account under a second URL form: every image is served to two accounts.
        twin = fixture.account_url + "/"
        ws.add_account(twin, sites.find(twin).name)
        engine.passes = 0
        report = load_report(ws, run_scan(ws, engine, matcher, _options(server)))
    assert engine.passes == passes_alone
    first, second = report.accounts
    assert _yours(first) == _yours(second) and set(_yours(first)) == set(fixture.person_images)
    assert (first.images_seen, first.other_faces) == (second.images_seen, second.other_faces)


class CountingSFace(SFaceEngine):
    """sface, counting every YuNet pass."""

    def __init__(self) -> None:
        super().__init__()
        self.passes = 0

    def _yunet(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.passes += 1
        return super()._yunet(*args, **kwargs)


def test_a_template_on_another_engine_never_reuses_the_first_engines_analysis(tmp_path, mastodon):
    """A workspace scanned with dlib, then enrolled again on sface: every image is analysed
    again by sface, and the findings are sface's own."""
    if not SFaceEngine.availability().ok:
        pytest.skip("needs the sface engine")
    fixture, server = mastodon
    dlib = CountingDlib()
    ws, matcher = _workspace(tmp_path, fixture, dlib, reference_photos())
    with ws:
        first = run_scan(ws, dlib, matcher, _options(server))
        sface = CountingSFace()
        faces = build_template(sface, [ReferencePhoto(n, d) for n, d in reference_photos()]).faces
        ws.save_template(sface.name, sface.describe(), faces)
        sface.passes = 0
        second = run_scan(ws, sface, Matcher([f.embedding for f in faces], sface.thresholds), _options(server))
        one, two = load_report(ws, first), load_report(ws, second)
    assert sface.passes >= len(fixture.person_images)  # nothing copied from dlib's scan
    assert set(_yours(two)) == set(_yours(one)) == set(fixture.person_images)
    assert all(_yours(two)[url][1] != _yours(one)[url][1] for url in _yours(two))
    assert (two.engine, one.engine) == ("sface", "dlib")


# --- conditional requests: a re-scan asks only for images that changed ----------------------------


class Served:
    """The mastodon imitation served as a CDN would (ETag, Last-Modified, 304), with the request
    headers each image path was asked with, and bytes a test may swap in for a path."""

    def __init__(self, fixture, **validators) -> None:  # type: ignore[no-untyped-def]
        self.asked: list[tuple[str, dict[str, str]]] = []
        self.swapped: dict[str, bytes] = {}
        self.sites = {host: with_validators(self._logged(handler), **validators)
                      for host, handler in fixture.sites.items()}

    def _logged(self, handler):  # type: ignore[no-untyped-def]
        def answer(request: Request) -> Reply:
            self.asked.append((request.path, {k.lower(): v for k, v in request.headers.items()}))
            if request.path in self.swapped:
                return Reply(200, self.swapped[request.path], "image/jpeg")
            return handler(request)
        return answer

    def conditional(self) -> list[str]:
        """Paths asked with If-None-Match or If-Modified-Since."""
        return [p for p, h in self.asked if "if-none-match" in h or "if-modified-since" in h]


@pytest.fixture
def cdn(mastodon):  # type: ignore[no-untyped-def]
    fixture, _server = mastodon
    served = Served(fixture)
    with FixtureServer(served.sites) as server:
        yield fixture, server, served


def _reencoded(data: bytes) -> bytes:
    """The same picture, other bytes: what a platform serves after re-processing an upload."""
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").save(out, "JPEG", quality=61)
    return out.getvalue()


def test_a_rescan_asks_if_images_changed_and_a_304_carries_the_finding_over_unanalysed(tmp_path, cdn):
    fixture, server, served = cdn
    engine = CountingDlib()
    ws, matcher = _workspace(tmp_path, fixture, engine, reference_photos())
    with ws:
        first = run_scan(ws, engine, matcher, _options(server))
        assert served.conditional() == []  # nothing known yet: plain GETs
        passes_first, served.asked = engine.passes, []
        second = run_scan(ws, engine, matcher, _options(server))
        one, two = load_report(ws, first), load_report(ws, second)
    images = {urlsplit(url).path for url in (*fixture.person_images, *fixture.other_images)}
    assert images <= set(served.conditional())  # every image asked "changed since?"
    assert engine.passes == passes_first  # and none analysed
    assert _yours(two) == _yours(one) and set(_yours(two)) == set(fixture.person_images)
    assert all(f.thumbnail_jpeg for a in two.accounts for f in a.findings if f.verdict == "you")
    cost_one, cost_two = one.accounts[0].cost, two.accounts[0].cost
    assert cost_one is not None and cost_two is not None
    assert cost_one.not_modified == 0 and cost_two.not_modified >= len(images)
    assert cost_two.requests == cost_one.requests  # as polite as before: one request per image
    assert cost_two.bytes_received < cost_one.bytes_received / 5  # the images' bytes did not cross again
    assert [(a.images_seen, a.other_faces) for a in two.accounts] == [
        (a.images_seen, a.other_faces) for a in one.accounts]


def test_a_changed_image_is_fetched_and_analysed_again(tmp_path, cdn, mastodon):
    fixture, server, served = cdn
    engine = CountingDlib()
    ws, matcher = _workspace(tmp_path, fixture, engine, reference_photos())
    changed = next(iter(fixture.person_images))
    with ws:
        run_scan(ws, engine, matcher, _options(server))
        original = _served_bytes(mastodon[1], changed)
        served.swapped[urlsplit(changed).path] = _reencoded(original)
        passes_first, served.asked = engine.passes, []
        report = load_report(ws, run_scan(ws, engine, matcher, _options(server)))
    assert engine.passes > passes_first  # the new bytes were analysed
    assert changed in _yours(report)  # and the face is still found in them
    cost = report.accounts[0].cost
    # Asked "changed since?" like every other image, it alone was not answered 304.
    assert urlsplit(changed).path in served.conditional()
    assert cost is not None and cost.not_modified == len(served.conditional()) - 1


def test_a_server_without_validators_is_asked_plainly_every_time(tmp_path, mastodon):
    fixture, _server = mastodon
    served = Served(fixture, etag=False, last_modified=False)
    engine = CountingDlib()
    ws, matcher = _workspace(tmp_path, fixture, engine, reference_photos())
    with FixtureServer(served.sites) as server, ws:
        run_scan(ws, engine, matcher, _options(server))
        passes_first = engine.passes
        report = load_report(ws, run_scan(ws, engine, matcher, _options(server)))
    assert served.conditional() == []
    assert engine.passes == passes_first  # the bytes are still known by their hash
    assert set(_yours(report)) == set(fixture.person_images)
    assert report.accounts[0].cost is not None and report.accounts[0].cost.not_modified == 0


def test_only_last_modified_is_enough(tmp_path, mastodon):
    fixture, _server = mastodon
    served = Served(fixture, etag=False)
    engine = CountingDlib()
    ws, matcher = _workspace(tmp_path, fixture, engine, reference_photos())
    with FixtureServer(served.sites) as server, ws:
        run_scan(ws, engine, matcher, _options(server))
        served.asked = []
        report = load_report(ws, run_scan(ws, engine, matcher, _options(server)))
    assert served.conditional() and all("if-none-match" not in h for _p, h in served.asked)
    assert set(_yours(report)) == set(fixture.person_images)
    assert report.accounts[0].cost is not None and report.accounts[0].cost.not_modified > 0


def test_images_never_analysed_with_this_template_are_fetched_whole(tmp_path, cdn):
    """Validators are kept only for bytes analysed with the same engine, settings and template: after
    a new enrolment, a 304 could not be answered from an earlier analysis, so none is asked for."""
    fixture, server, served = cdn
    engine = CountingDlib()
    references = reference_photos()
    ws, matcher = _workspace(tmp_path, fixture, engine, references)
    with ws:
        run_scan(ws, engine, matcher, _options(server))
        faces = build_template(engine, [ReferencePhoto(n, d) for n, d in references[:2]]).faces
        ws.save_template(engine.name, engine.describe(), faces)
        matcher = Matcher([f.embedding for f in faces], engine.thresholds)
        served.asked = []
        report = load_report(ws, run_scan(ws, engine, matcher, _options(server)))
    assert served.conditional() == []
    assert report.accounts[0].cost is not None and report.accounts[0].cost.not_modified == 0
    assert set(_yours(report)) == set(fixture.person_images)


def test_a_304_without_a_known_analysis_is_recorded_as_failed_not_as_unchanged(tmp_path, cdn, monkeypatch):
    """The crawler only gets validators of analysed bytes; if the analysis vanished all the same,
    the image says so instead of passing for an image without faces."""
    fixture, server, _served = cdn
    engine = CountingDlib()
    ws, matcher = _workspace(tmp_path, fixture, engine, reference_photos())
    with ws:
        run_scan(ws, engine, matcher, _options(server))
        monkeypatch.setattr(Workspace, "reusable_analysis", lambda self, key, sha: None)
        scan_id = run_scan(ws, engine, matcher, _options(server))
        rows = ws.db.execute("SELECT status, error FROM images WHERE scan_id = ?", (scan_id,)).fetchall()
    assert rows and all(r["status"] in ("failed", "duplicate") for r in rows)
    assert any("unchanged since the last scan" in (r["error"] or "") for r in rows)


def _served_bytes(server: FixtureServer, url: str) -> bytes:
    """The bytes `server` serves at `url`, through the same client a scan uses."""
    with NetClient(_options(server).policy) as net:
        return net.get_image(url).body
