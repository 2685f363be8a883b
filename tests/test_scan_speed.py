"""The scan's analysis on every core gives the same answers as one core, keeps nothing about other
people on the way, and skips what cannot hold a face. (Speed itself: benchmarks/.)"""

from __future__ import annotations

import dataclasses
import io
import pickle

import numpy as np
import pytest
from PIL import Image

from faceaudit import consent
from faceaudit.compare import analysis, imageio
from faceaudit.compare.engines.dlib_engine import DlibEngine
from faceaudit.compare.matcher import Matcher
from faceaudit.compare.reference import ReferencePhoto, build_template
from faceaudit.crawl import sites
from faceaudit.crawl.net import NetworkPolicy
from faceaudit.demo.photos import public_photos, reference_photos
from faceaudit.demo.server import FixtureServer
from faceaudit.report.load import load_report
from faceaudit.scan import ScanOptions, run_scan
from faceaudit.workspace import Workspace
from tests.platforms import build
from tests.support import alive, spawned_workers


@pytest.fixture(scope="module")
def engine() -> DlibEngine:
    if not DlibEngine.availability().ok:
        pytest.skip("needs the dlib engine")
    return DlibEngine()


@pytest.fixture(scope="module")
def template(engine):
    return build_template(engine, [ReferencePhoto(n, d) for n, d in reference_photos()]).faces


def _scan(tmp_path, engine, faces, fixture, server, workers: int):
    policy = NetworkPolicy(resolve={h: ("127.0.0.1", server.port) for h in fixture.sites}, allow_dns=False,
                           ca_cert=server.certificate.cert_pem, min_interval=0.0)
    with Workspace.open(tmp_path / f"ws{workers}") as ws:
        consent.accept(ws, "--accept")
        ws.save_template(engine.name, engine.describe(), faces)
        ws.add_account(fixture.account_url, sites.find(fixture.account_url).name)
        matcher = Matcher([f.embedding for f in faces], engine.thresholds)
        report = load_report(ws, run_scan(ws, engine, matcher, ScanOptions(policy=policy, workers=workers)))
    (account,) = report.accounts
    return ({f.image_url: (f.verdict, f.similarity, f.box, f.recognisability) for f in account.findings},
            account.images_seen, account.other_faces, account.stop)


def test_worker_processes_find_what_one_thread_finds(tmp_path, engine, template):
    fixture = build("mastodon")
    with FixtureServer(fixture.sites) as server:
        one = _scan(tmp_path, engine, template, fixture, server, workers=1)
        two = _scan(tmp_path, engine, template, fixture, server, workers=2)
    assert two == one
    findings, seen, others, stop = two
    assert stop == "end" and seen > 0 and others > 0
    assert {url for url, (verdict, *_) in findings.items() if verdict == "you"} == set(fixture.person_images)


def test_an_analysis_carries_only_the_users_faces(engine, template):
    """What a worker hands back (pickled, across a process boundary) holds counts of other
    people, never their embeddings or pixels."""
    matcher = Matcher([f.embedding for f in template], engine.thresholds)
    photos = {p.name: p for p in public_photos()}
    group = analysis.analyse(engine, matcher, photos["group.jpg"].data, source="group.jpg")
    assert (group.status, group.faces, group.other_faces, group.findings) == ("analysed", 4, 4, [])
    beside = analysis.analyse(engine, matcher, photos["with-friends.jpg"].data, source="with-friends.jpg")
    assert (beside.faces, beside.other_faces, len(beside.findings)) == (3, 2, 1)
    (finding,) = beside.findings
    assert {f.name for f in dataclasses.fields(finding)} == {
        "verdict", "similarity", "box", "face_px", "det_score", "recognisability", "thumbnail"}
    payload = pickle.dumps(beside)
    for face in engine.detect(imageio.decode(photos["with-friends.jpg"].data, source="x").rgb):
        assert np.asarray(face.embedding, np.float32).tobytes()[:64] not in payload


def test_images_too_small_for_a_face_are_not_decoded(engine, template, monkeypatch):
    matcher = Matcher([f.embedding for f in template], engine.thresholds)
    buffer = io.BytesIO()
    Image.new("RGB", (300, analysis.MIN_IMAGE_SIDE - 1), (200, 180, 160)).save(buffer, "PNG")

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded an image too small to hold a face")

    monkeypatch.setattr(imageio, "decode", no_decoding)
    result = analysis.analyse(engine, matcher, buffer.getvalue(), source="spacer.png")
    assert (result.status, result.faces, result.findings) == ("analysed", 0, [])
    broken = analysis.analyse(engine, matcher, b"\x89PNG\r\n\x1a\n broken", source="broken.png")
    assert broken.status == "failed" and "broken.png" in (broken.error or "")


def test_an_engine_travels_to_a_worker_without_its_models(engine):
    engine.load()
    copy = pickle.loads(pickle.dumps(engine))
    assert copy._detector is None and not copy._loaded
    assert (copy.upsample, copy.small_faces, copy.thresholds) == (engine.upsample, engine.small_faces, engine.thresholds)
    copy.load()
    assert copy._detector is not None


# Size variants of one picture collapse to the largest URL the platform serves (Site.canonical).
CANONICAL = [
    ("https://github.com/sam", "https://avatars.githubusercontent.com/u/583231?v=4&s=40",
     "https://avatars.githubusercontent.com/u/583231?v=4&s=460"),
    ("https://github.com/sam", "https://example.org/u/583231?s=40", "https://example.org/u/583231?s=40"),
    ("mailto:sam@example.org", "https://gravatar.com/avatar/abc?s=80&d=404", "https://gravatar.com/avatar/abc?s=2048&d=404"),
    ("mailto:sam@example.org", "https://secure.gravatar.com/avatar/abc?d=404&size=64",
     "https://secure.gravatar.com/avatar/abc?d=404&s=2048"),
    ("https://www.youtube.com/@sam", "https://i.ytimg.com/vi/abc-_1/mqdefault.jpg", "https://i.ytimg.com/vi/abc-_1/hqdefault.jpg"),
    ("https://www.youtube.com/@sam", "https://i3.ytimg.com/vi_webp/abc/default.webp", "https://i3.ytimg.com/vi_webp/abc/hqdefault.webp"),
    ("https://x.com/sam", "https://pbs.twimg.com/profile_images/1/abc_normal.jpg", "https://pbs.twimg.com/profile_images/1/abc.jpg"),
    ("https://x.com/sam", "https://pbs.twimg.com/media/XYZ?format=jpg&name=small", "https://pbs.twimg.com/media/XYZ?format=jpg&name=large"),
    # Mastodon's API gives a picture's original itself; the only small/ URL taken is a video's
    # still, whose original/ is the video: left alone.
    ("https://social.example/@sam", "https://files.example/media_attachments/files/110/2/small/a.png",
     "https://files.example/media_attachments/files/110/2/small/a.png"),
    # Reddit's preview URLs are signed (`s=`): a rewritten size would be refused, so none is made;
    # the adapter takes the preview's `source`, its largest, itself.
    ("https://www.reddit.com/user/sam", "https://preview.redd.it/a.jpg?width=108&s=sig", "https://preview.redd.it/a.jpg?width=108&s=sig"),
]


@pytest.mark.parametrize(("account", "url", "largest"), CANONICAL)
def test_size_variants_collapse_to_the_largest(account, url, largest):
    site = sites.find(account)
    assert site.canonical(url) == largest
    assert site.canonical(largest) == largest  # already the largest: left alone


def test_the_scan_fetches_the_largest_variant_once_and_falls_back_to_the_page_url(monkeypatch):
    """Two posts show one picture (small/ and original/): one fetch, of original/. Where the
    largest variant is missing, the URL the page gave is fetched instead."""
    import threading
    from types import SimpleNamespace

    from faceaudit import scan
    from faceaudit.types import ImageCandidate, ImageKind
    from faceaudit.workspace import Account

    root = "https://files.example/media_attachments/files/1"
    listed = [f"{root}/small/a.jpg", f"{root}/original/a.jpg", f"{root}/small/b.jpg"]
    files = {f"{root}/original/a.jpg": b"A", f"{root}/small/b.jpg": b"b"}  # no original of b
    fetched: list[str] = []

    class Site:
        def candidates(self, ctx, result):
            for url in listed:
                yield ImageCandidate(url, "https://social.example/@sam/1", ImageKind.POST, "test")

        @staticmethod
        def canonical(url: str) -> str:  # a platform whose small/ pictures have an original/
            return url.replace("/small/", "/original/")

    def get_image(url):
        fetched.append(url)
        body = files.get(url)
        return SimpleNamespace(status=200 if body else 404, body=body or b"", headers={}, url=url)

    monkeypatch.setattr(scan.sites, "find", lambda url: Site())
    handed: list = []
    ctx = SimpleNamespace(net=SimpleNamespace(get_image=get_image), max_images=10)
    account = Account(1, "https://social.example/@sam", "mastodon", "")
    scan._crawl_account(account, ctx, set(), handed.append, threading.Event(), scan._Quiet())
    assert fetched == [f"{root}/original/a.jpg", f"{root}/original/b.jpg", f"{root}/small/b.jpg"]
    assert [(h.candidate.url, h.image.data) for h in handed] == [
        (f"{root}/original/a.jpg", b"A"), (f"{root}/small/b.jpg", b"b")]


def test_workers_end_when_the_scan_process_is_killed(tmp_path):
    """kill -9 of a scan leaves no analysis worker behind, waiting for work forever."""
    import os
    import signal
    import subprocess
    import sys
    import time

    if not DlibEngine.availability().ok:
        pytest.skip("needs the dlib engine")
    script = tmp_path / "pool.py"
    script.write_text(
        "import sys, time\n"
        "import numpy as np\n"
        "from faceaudit.compare.analysis import AnalysisPool\n"
        "from faceaudit.compare.engines.dlib_engine import DlibEngine\n"
        "from faceaudit.compare.matcher import Matcher\n"
        "if __name__ == '__main__':\n"
        "    engine = DlibEngine()\n"
        "    v = np.ones(128, np.float32) / np.sqrt(128)\n"
        "    pool = AnalysisPool(engine, Matcher([v], engine.thresholds), [v], lambda *a: None, workers=2)\n"
        "    print('ready', flush=True)\n"
        "    time.sleep(60)\n")
    scan = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert scan.stdout is not None and scan.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 30
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 2:
        workers = spawned_workers(scan.pid)
        time.sleep(0.1)
    assert len(workers) == 2
    os.kill(scan.pid, signal.SIGKILL)
    scan.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(p) for p in workers):
        time.sleep(0.1)
    assert not any(alive(p) for p in workers)
