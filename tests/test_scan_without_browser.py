"""Without a usable Chromium, a scan still checks the accounts that need none and says why
the others were not seen."""

from __future__ import annotations

from faceaudit.demo.fixture import build_demo_fixture
from faceaudit.demo.server import FixtureServer
from faceaudit.report.load import load_report
from faceaudit.workspace import Workspace
from tests.support import faceaudit, run_ok, scan_network_args, set_up_demo_person


def test_a_missing_browser_stops_only_the_website_account(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEAUDIT_CHROMIUM", str(tmp_path / "no-such-chromium"))
    fixture = build_demo_fixture()
    home = tmp_path / "ws"
    with FixtureServer(fixture.sites) as server:
        net = scan_network_args(server)
        set_up_demo_person(run_ok(home), fixture, tmp_path)
        result = faceaudit(home, "scan", *net)
    assert result.code == 0, result.err
    with Workspace.open(home) as ws:
        report = load_report(ws)
    website, mastodon, *others = report.accounts
    assert website.site == "web" and website.stop == "error" and "FACEAUDIT_CHROMIUM" in website.stop_detail
    assert website.images_seen == 0
    assert mastodon.stop == "end" and mastodon.photos_with_you == 5
    # The demo's other platforms are read over plain HTTP: all seen in full.
    assert others and all(account.stop == "end" and account.photos_with_you for account in others)
