"""A re-scan of an unchanged account analyses nothing again: it copies the earlier analysis of the
same image bytes, as long as the engine, its settings and the template are the same."""

from __future__ import annotations

import pytest

from faceaudit import consent
from faceaudit.compare.engines.dlib_engine import DlibEngine
from faceaudit.compare.engines.sface_engine import SFaceEngine
from faceaudit.compare.matcher import Matcher
from faceaudit.compare.reference import ReferencePhoto, build_template
from faceaudit.crawl import sites
from faceaudit.crawl.net import NetworkPolicy
from faceaudit.demo.photos import reference_photos
from faceaudit.demo.server import FixtureServer
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
