"""Each exit code, produced as a user meets it, through `faceaudit.cli.run`; and the README's
table lists exactly the codes there are."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from faceaudit import checkup
from faceaudit.demo.photos import reference_photos
from faceaudit.errors import BrowserUnavailable, ExitCode, NetworkError
from tests.support import enrolled_home, faceaudit

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def enrolled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with consent, a dlib template of the demo person and one account."""
    return enrolled_home(tmp_path_factory.mktemp("enrolled"), ["https://mastodon.social/@alex"])


def test_0_ok(tmp_path):
    result = faceaudit(tmp_path, "--version")
    assert result.code == ExitCode.OK == 0 and result.out.startswith("faceaudit ")


def test_1_a_bug_says_so_with_its_traceback(tmp_path, monkeypatch):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("an unexpected failure")

    monkeypatch.setattr(checkup, "add_accounts", broken)
    result = faceaudit(tmp_path, "accounts", "add", "https://alex.example.org/")
    assert result.code == ExitCode.ERROR == 1
    assert "RuntimeError: an unexpected failure" in result.err and "this is a bug in faceaudit" in result.err


def test_2_usage(tmp_path):
    result = faceaudit(tmp_path, "check", str(tmp_path / "missing.jpg"))
    assert result.code == ExitCode.USAGE == 2 and "no such file" in result.err


def test_3_consent(tmp_path):
    result = faceaudit(tmp_path, "scan")
    assert result.code == ExitCode.CONSENT == 3 and "faceaudit consent" in result.err


def test_4_enrolment(tmp_path):
    assert faceaudit(tmp_path, "consent", "--accept").code == 0
    result = faceaudit(tmp_path, "scan")
    assert result.code == ExitCode.ENROLMENT == 4 and "faceaudit enroll" in result.err


def test_5_image(enrolled, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    result = faceaudit(enrolled, "check", str(broken))
    assert result.code == ExitCode.IMAGE == 5, result.err
    assert "could not read" in result.out


@pytest.mark.parametrize(("error", "code", "ref"), [
    (NetworkError("mastodon.social: connection refused", "check your connection"), 6, "[network]"),
    (BrowserUnavailable("no Chromium found", "install chromium"), 8, "[browser-unavailable]"),
])
def test_6_network_and_8_browser_as_the_cli_maps_them(enrolled, monkeypatch, error, code, ref):
    """No command ends on a NetworkError or BrowserUnavailable today: a scan reports each
    account's own failure (not seen), a pack download that fails is an engine error (7), and 8
    is met through `python -m faceaudit.crawl.browser --find` (below). This checks the CLI's
    mapping of the two errors, should one reach it."""

    def failing(*args: object, **kwargs: object) -> int:
        raise error

    monkeypatch.setattr(checkup, "scan", failing)
    result = faceaudit(enrolled, "scan")
    assert result.code == code and ref in result.err


def test_7_engine(tmp_path):
    photo = tmp_path / "me.jpg"
    photo.write_bytes(reference_photos()[0][1])
    assert faceaudit(tmp_path / "ws", "consent", "--accept").code == 0
    result = faceaudit(tmp_path / "ws", "enroll", "--engine", "insightface", "--model-dir", str(tmp_path / "nowhere"),
                       str(photo))
    assert result.code == ExitCode.ENGINE == 7, result.err


def test_8_browser_as_the_set_up_meets_it(tmp_path, monkeypatch, capsys):
    """`python -m faceaudit.crawl.browser --find` (run by the set-up) with no usable Chromium."""
    from faceaudit.crawl import browser

    monkeypatch.setenv("FACEAUDIT_CHROMIUM", str(tmp_path / "no-such-chromium"))
    assert browser.main(["--find"]) == ExitCode.BROWSER == 8
    assert "not an executable file" in capsys.readouterr().err


def test_9_workspace(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("mine")
    result = faceaudit(not_a_folder, "accounts", "list")
    assert result.code == ExitCode.WORKSPACE == 9, result.err


def test_10_nothing_seen(enrolled):
    result = faceaudit(enrolled, "scan", "--no-dns")  # no name resolves: as if offline
    assert result.code == ExitCode.NOTHING_SEEN == 10, result.err


def test_130_interrupted(tmp_path):
    assert faceaudit(tmp_path / "ws", "consent", "--accept").code == 0
    result = faceaudit(tmp_path / "ws", "forget", typed="")  # asked, then end of input (Ctrl-D)
    assert result.code == ExitCode.INTERRUPTED == 130 and "aborted" in result.err


def test_130_interrupted_by_ctrl_c(enrolled, monkeypatch):
    def ctrl_c(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(checkup, "scan", ctrl_c)
    result = faceaudit(enrolled, "scan")
    assert result.code == ExitCode.INTERRUPTED and "`faceaudit scan` resumes" in result.err


def readme_exit_codes() -> list[int]:
    """The codes in the first column of the table under the README's "Exit codes" heading."""
    text = README.read_text(encoding="utf-8")
    heading = re.search(r"^#+ .*Exit codes.*$", text, re.MULTILINE | re.IGNORECASE)
    assert heading, "README.md has no heading about exit codes"
    codes: list[int] = []
    for line in text[heading.end():].lstrip("\n").splitlines():
        if line.startswith("#"):
            break
        row = re.match(r"\|\s*(\d+)\s*\|", line)
        if row:
            codes.append(int(row[1]))
    return codes


def test_the_readme_table_lists_every_exit_code_and_no_other():
    assert readme_exit_codes() == sorted(int(code) for code in ExitCode)


def test_a_bad_certificate_is_refused_before_any_progress(enrolled, tmp_path):
    """`scan --ca-cert` with a file that is not a certificate: a usage error, said before the
    scan starts, so no half-drawn progress bar sits above it."""
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    result = faceaudit(enrolled, "scan", "--ca-cert", str(bad), "--no-dns")
    assert result.code == ExitCode.USAGE, result.err
    assert "cannot load it" in result.err
    assert "crawled" not in result.err and "analysing" not in result.err
