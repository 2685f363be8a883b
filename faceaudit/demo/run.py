"""`faceaudit demo`: enrol a fictional person, scan their fixture accounts offline, report."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from faceaudit import consent
from faceaudit.compare.engines import engine_class
from faceaudit.compare.engines.base import FaceEngine
from faceaudit.compare.matcher import Matcher
from faceaudit.compare.reference import ReferencePhoto, build_template
from faceaudit.crawl import sites
from faceaudit.crawl.net import NetworkPolicy
from faceaudit.demo.fixture import build_demo_fixture
from faceaudit.demo.server import FixtureServer, Handler
from faceaudit.scan import ScanOptions, ScanProgress, run_scan
from faceaudit.workspace import Workspace, load_report


def run_demo(progress: ScanProgress | None = None) -> tuple[Any, dict[str, Any]]:
    """(ReportData, demo section). Always a throw-away workspace: the demo never touches the
    user's own template or findings."""
    fixture = build_demo_fixture()
    report, log = scan_fixture_accounts(fixture.sites, fixture.account_urls, fixture.reference_photos, progress)
    extra = {
        "demo": {
            "accounts": fixture.account_urls,
            "reference_photos": [name for name, _ in fixture.reference_photos],
            "person_images": sorted(fixture.person_images),
            "other_images": sorted(fixture.other_images),
            "noface_images": sorted(fixture.noface_images),
            "hosts_visited": sorted({host for host, _ in log}),
        }
    }
    return report, extra


def demo_engine() -> FaceEngine:
    """The demo runs on sface, the default engine, whose models come with the installed
    packages; dlib only where sface's model wheel is missing (`doctor` says why)."""
    sface = engine_class("sface")
    return sface() if sface.availability().ok else engine_class("dlib")()


def scan_fixture_accounts(
    sites_by_host: dict[str, Handler],
    account_urls: list[str],
    reference_photos: list[tuple[str, bytes]],
    progress: ScanProgress | None = None,
) -> tuple[Any, list[tuple[str, str]]]:
    """Enrol `reference_photos` (sface) in a throw-away workspace, scan `account_urls` served by
    a FixtureServer for `sites_by_host`, and return (ReportData, the server's request log)."""
    with tempfile.TemporaryDirectory(prefix="faceaudit-demo-") as tmp, FixtureServer(sites_by_host) as server:
        assert server.certificate is not None
        policy = NetworkPolicy(
            resolve={host: ("127.0.0.1", server.port) for host in sites_by_host},
            allow_dns=False,  # nothing but the fixture hosts can be reached
            ca_cert=server.certificate.cert_pem,
            min_interval=0.0,
        )
        with Workspace.open(Path(tmp) / "workspace") as ws:
            consent.accept(ws, "demo")
            engine = demo_engine()
            faces = build_template(engine, [ReferencePhoto(name, data) for name, data in reference_photos]).faces
            ws.save_template(engine.name, engine.describe(), faces)
            for url in account_urls:
                ws.add_account(url, sites.find(url).name)
            matcher = Matcher([f.embedding for f in faces], engine.thresholds)
            scan_id = run_scan(ws, engine, matcher, ScanOptions(policy=policy, fresh=True), progress)
            report = load_report(ws, scan_id)
            ws.forget()  # the throw-away workspace's template key lives outside it: destroy it too
        return report, list(server.log)
