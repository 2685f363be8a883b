"""Without a usable Chromium, a scan still checks the accounts that need none and says why
the others were not seen."""

from __future__ import annotations

from faceaudit.demo.fixture import build_demo_fixture
from faceaudit.demo.server import FixtureServer
from faceaudit.workspace import Workspace, load_report
from tests.support import faceaudit


def test_a_missing_browser_stops_only_the_website_account(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEAUDIT_CHROMIUM", str(tmp_path / "no-such-chromium"))
    fixture = build_demo_fixture()
    refs = []
    for name, data in fixture.reference_photos:
        (tmp_path / name).write_bytes(data)
        refs.append(str(tmp_path / name))
    home = tmp_path / "ws"
    with FixtureServer(fixture.sites) as server:
        assert server.certificate is not None
        net = [a for r in server.resolve_args() for a in ("--resolve", r)]
        net += ["--ca-cert", str(server.certificate.cert_pem), "--no-dns"]
        faceaudit(home, "consent", "--accept")
        assert faceaudit(home, "enroll", "--engine", "dlib", *refs).code == 0
        for url in fixture.account_urls:
            faceaudit(home, "accounts", "add", url)
        result = faceaudit(home, "scan", *net)
    assert result.code == 0, result.err
    with Workspace.open(home) as ws:
        report = load_report(ws)
    website, mastodon = report.accounts
    assert website.stop == "error" and "FACEAUDIT_CHROMIUM" in website.stop_detail
    assert website.images_seen == 0
    assert mastodon.stop == "end" and mastodon.photos_with_you == 5
