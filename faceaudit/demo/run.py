"""`faceaudit demo`: enrol a fictional person, scan their fixture accounts offline, report.

The demo runs the same checkup (faceaudit/checkup.py) as the `enroll`, `scan` and `report`
commands, on a throw-away workspace and against fixture servers on this machine.
"""

from __future__ import annotations

import tempfile
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faceaudit import checkup, consent
from faceaudit.compare.engines import engine_class
from faceaudit.compare.reference import ReferencePhoto
from faceaudit.crawl import sites
from faceaudit.crawl.net import NetworkPolicy
from faceaudit.demo.fixture import build_demo_fixture
from faceaudit.demo.server import FixtureServer, Handler
from faceaudit.scan import ScanOptions, ScanProgress
from faceaudit.workspace import Workspace

if TYPE_CHECKING:
    from faceaudit.report.model import ReportData


def run_demo(progress: AbstractContextManager[ScanProgress] | None = None) -> tuple[ReportData, dict[str, Any]]:
    """(ReportData, sections for its JSON: `demo`). Always a throw-away workspace: the demo never
    touches the user's own template or findings. `progress` is entered around the scan."""
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


def demo_engine() -> str:
    """The demo runs on sface, the default engine, whose models come with the installed
    packages; dlib only where sface's model wheel is missing (`doctor` says why)."""
    return "sface" if engine_class("sface").availability().ok else "dlib"


def scan_fixture_accounts(
    sites_by_host: dict[str, Handler],
    account_urls: list[str],
    reference_photos: list[tuple[str, bytes]],
    progress: AbstractContextManager[ScanProgress] | None = None,
) -> tuple[ReportData, list[tuple[str, str]]]:
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
            checkup.enrol(ws, [ReferencePhoto(name, data) for name, data in reference_photos], engine=demo_engine())
            for url in account_urls:
                ws.add_account(url, sites.find(url).name)
            scan_id = checkup.scan(ws, ScanOptions(policy=policy, fresh=True), progress=progress)
            report, _ = checkup.report(ws, scan_id)  # just consented: never past its retention
            ws.forget()  # the throw-away workspace's template key lives outside it: destroy it too
        return report, list(server.log)
