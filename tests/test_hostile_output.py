"""What a hostile page can do to what faceaudit prints and writes: nothing.

A page's alt text, title, URLs, notes or an image's EXIF reach the terminal with their control
characters shown as escapes (no cleared screen, no window title, no hidden link, no forged
line); JSON escapes them by itself; `report --html` writes only to a regular file or a new name
and never replaces a device, FIFO, socket or folder; `scan --max-images` takes 1 or more.
"""

from __future__ import annotations

import io
import json
import os
import re
import socket
import stat
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from faceaudit import checkup
from faceaudit.errors import UsageError
from faceaudit.report import terminal
from faceaudit.report.model import ChangedPhoto, Comparison, ReportData
from faceaudit.text import printable, printable_fields
from faceaudit.types import CrawlResult, ImageKind, ImageMetadata, StopReason, Verdict
from faceaudit.workspace import Account, Workspace, write_private
from tests.support import faceaudit
from tests.test_report import mastodon_account, report, website_account

CLEAR = "\x1b[2J"
TITLE = "\x1b]0;title\x07"
LINK = "\x1b]8;;https://evil\x1b\\link\x1b]8;;\x1b\\"
CR = "\rPhoto: https://forged.example/"
CSI_C1 = "\x9b2J"
RLO = "\u202etxt.exe"
NEWLINE = "\nPhoto: https://forged.example/line"
HOSTILE = f"a{CLEAR}b{TITLE}c{LINK}d{CR}e{CSI_C1}f{RLO}g{NEWLINE}"
# What none of the output may hold: each sequence whole, and each dangerous character alone.
FORBIDDEN = [CLEAR, TITLE, "\x1b]8;;", "\x1b\\", "\x07", "\r", "\x9b", "\u202e", "\x1b]"]
SGR = re.compile(r"\x1b\[[0-9;]*m")  # rich's own colours and styles, the only escapes allowed


def hostile_report() -> ReportData:
    """A report in which every string a page, platform or photo file supplies is hostile."""
    account = mastodon_account()
    account.url = f"https://mastodon.social/@alex{HOSTILE}"
    account.stop = StopReason.LOGIN_WALL
    account.stop_detail = f"sent to a login page {HOSTILE}"
    account.notes = [f"page title: {HOSTILE}"]
    first = account.findings[0]
    first.alt = f"Me at the harbour {HOSTILE}"
    first.image_url = f"https://files.mastodon.social/a.jpg?{HOSTILE}"
    first.page_url = f"https://mastodon.social/@alex/1?{HOSTILE}"
    first.metadata = ImageMetadata(gps=(52.37, 4.89), taken_at=f"2024{HOSTILE}", camera=f"Canon{HOSTILE}",
                                   camera_serial=f"S{HOSTILE}")
    account.findings[1].page_url = f"https://mastodon.social/@alex/2?{HOSTILE}"
    data = report([account, website_account()])
    gone = ChangedPhoto(account_url=account.url, site="mastodon", image_url=f"https://x.example/old.jpg{HOSTILE}",
                        page_url=f"https://x.example/{HOSTILE}", kind=ImageKind.POST, verdict=Verdict.YOU)
    data.history = Comparison(previous_scan_id=6, previous_scan_started="2026-11-01T10:00:00Z",
                              new=[], still=[], resolved=[gone], unconfirmed=[gone])
    data.warnings = [f"a warning quoting {HOSTILE}"]
    return data


def rendered(data: ReportData, *, terminal_output: bool, everything: bool = True) -> str:
    """What `report` prints to a terminal (`terminal_output`, colours on) or to a pipe."""
    out = io.StringIO()
    console = Console(file=out, width=400, force_terminal=terminal_output,
                      color_system="truecolor" if terminal_output else None)
    terminal.render(data, console, everything=everything)
    return out.getvalue()


def assert_inert(text: str) -> None:
    """No byte a page supplied acts on the terminal: the only escapes are rich's own colours."""
    for sequence in FORBIDDEN:
        assert sequence not in text, f"{sequence!r} reached the output"
    without_colours = SGR.sub("", text)
    assert "\x1b" not in without_colours
    controls = [c for c in without_colours if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F]
    assert not controls, controls
    assert not any(line.startswith("Photo: https://forged") for line in without_colours.splitlines())


# --- printable ---------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "shown"), [
    (CLEAR, "\\x1b[2J"),
    (TITLE, "\\x1b]0;title\\x07"),
    ("a\rb\nc\td\x08e\x00", "a\\rb\\nc\\td\\x08e\\x00"),
    ("\x7f\x9b\x85", "\\x7f\\x9b\\x85"),
    ("\u202eabc\u2066\u2069\u2028", "\\u202eabc\\u2066\\u2069\\u2028"),
])
def test_printable_shows_control_characters_as_escapes(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_printable_keeps_ordinary_text_as_it_is() -> None:
    text = "Zoë at the café — 東京, שלום, 🙂 [bold]not markup[/bold] \\x1b already escaped"
    assert printable(text) is text


def test_printable_fields_copies_every_string_and_keeps_enums() -> None:
    data = hostile_report()
    clean = printable_fields(data)

    assert clean.accounts[0].findings[0].alt == printable(data.accounts[0].findings[0].alt)
    assert clean.accounts[0].findings[0].metadata.camera == printable(f"Canon{HOSTILE}")
    assert clean.accounts[0].stop is StopReason.LOGIN_WALL and clean.accounts[0].findings[0].kind is ImageKind.AVATAR
    assert clean.accounts[0].findings[0].thumbnail_jpeg == data.accounts[0].findings[0].thumbnail_jpeg
    assert data.accounts[0].findings[0].alt.endswith(NEWLINE)  # the original is left alone
    assert clean.exposure == data.exposure


# --- the terminal report -----------------------------------------------------------------

@pytest.mark.parametrize("terminal_output", [True, False], ids=["terminal", "pipe"])
@pytest.mark.parametrize("everything", [True, False], ids=["all", "first-screen"])
def test_the_terminal_report_gets_no_control_bytes_from_a_page(terminal_output: bool, everything: bool) -> None:
    text = rendered(hostile_report(), terminal_output=terminal_output, everything=everything)

    assert_inert(text)
    plain = SGR.sub("", text)
    assert "\\x1b[2J" in plain and "\\x1b]0;title\\x07" in plain  # shown, so the user sees what the page holds
    assert "\\u202etxt.exe" in plain and "\\rPhoto: https://forged.example/" in plain


def test_an_alt_text_cannot_forge_a_report_line() -> None:
    account = mastodon_account()
    account.findings[0].alt = "harbour\nImage: https://forged.example/not-this-one.jpg"
    text = rendered(report([account]), terminal_output=False)

    assert not any(line.lstrip(" 0123456789.").startswith("Image: https://forged") for line in text.splitlines())
    assert "harbour\\nImage: https://forged.example/not-this-one.jpg" in text


def test_ordinary_reports_are_left_as_they_are() -> None:
    """Making text printable changes nothing in a report without control characters."""
    data = report()
    assert printable_fields(data) == data
    assert rendered(data, terminal_output=False).count("\\") == 0  # no escape was added anywhere


# --- the command line --------------------------------------------------------------------

@pytest.fixture
def hostile_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace whose `report` is the hostile report (the CLI is what is tested here)."""
    home = tmp_path / "home"
    with Workspace.open(home):
        pass
    monkeypatch.setattr(checkup, "report", lambda ws, scan_id=None: (hostile_report(), {}))
    return home


def test_report_prints_no_control_bytes_even_to_a_pipe(hostile_workspace: Path) -> None:
    result = faceaudit(hostile_workspace, "report", "--all")

    assert result.code == 0, result.err
    assert_inert(result.out)
    assert "\\x1b[2J" in result.out


def test_report_json_escapes_every_control_character_and_keeps_the_text(hostile_workspace: Path) -> None:
    result = faceaudit(hostile_workspace, "report", "--json")

    assert result.code == 0, result.err
    assert_inert(result.out)
    assert "\x1b" not in result.out and "\\u001b[2J" in result.out
    data = json.loads(result.out)
    assert data["accounts"][0]["findings"][0]["alt"] == f"Me at the harbour {HOSTILE}"  # nothing lost


def test_accounts_list_shows_a_stored_url_with_its_controls_escaped(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Workspace.open(home) as ws:
        ws.add_account(f"https://alex.example.org/{HOSTILE}", "web")
    result = faceaudit(home, "accounts", "list")

    assert result.code == 0, result.err
    assert_inert(result.out)
    assert "https://alex.example.org/a\\x1b[2Jb" in result.out


@pytest.mark.parametrize("terminal_output", [True, False], ids=["terminal", "pipe"])
def test_scan_progress_prints_a_stop_detail_with_its_controls_escaped(terminal_output: bool) -> None:
    from faceaudit.cli import _ScanBar
    from faceaudit.environment import Environment

    out = io.StringIO()
    console = Console(file=out, width=400, force_terminal=terminal_output)
    # -v: the line saying how the account's crawl ended is shown
    bar = _ScanBar(Environment(stdout=console, stderr=console, stdin=io.StringIO(), stdin_isatty=False, verbosity=1))
    account = Account(1, f"https://alex.example.org/{HOSTILE}", "web", "2026-12-01T00:00:00Z")
    bar.account_started(account)
    bar.account_finished(account, CrawlResult(stop=StopReason.ERROR, detail=f"title {HOSTILE}"))

    assert_inert(out.getvalue())
    assert "title a\\x1b[2Jb" in SGR.sub("", out.getvalue())


def test_check_prints_names_and_errors_with_their_controls_escaped(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    results: list[dict[str, Any]] = [
        {"path": f"photo{HOSTILE}.jpg", "faces": [], "error": f"not an image {HOSTILE}"},
        {"path": f"other{HOSTILE}.jpg", "faces": []},
    ]
    monkeypatch.setattr(checkup, "check", lambda ws, photos, **kwargs: results)
    for name in ("photo.jpg", "other.jpg"):  # there (a missing file is refused before the check)
        (tmp_path / name).write_bytes(b"")
    result = faceaudit(tmp_path / "home", "check", str(tmp_path / "photo.jpg"), str(tmp_path / "other.jpg"))

    assert result.code == 5
    assert_inert(result.out)
    flat = " ".join(result.out.split())  # the console wraps long lines at spaces
    assert "photoa\\x1b[2Jb" in flat and "not an image a\\x1b[2Jb" in flat


def test_an_error_message_quoting_input_is_one_inert_line(hostile_workspace: Path, tmp_path: Path) -> None:
    result = faceaudit(hostile_workspace, "report", "--html", str(tmp_path / f"x{CLEAR}{TITLE}\rforged" / "r.html"))

    assert result.code == 2
    assert_inert(result.err)
    assert "x\\x1b[2J\\x1b]0;title\\x07\\rforged" in result.err


# --- report --html targets ---------------------------------------------------------------

def special_files(folder: Path) -> dict[str, Path]:
    """A symlink to /dev/null, a FIFO, a Unix socket, a folder and a symlink to the folder."""
    folder.mkdir()
    (folder / "null").symlink_to("/dev/null")
    os.mkfifo(folder / "fifo")
    (folder / "dir").mkdir()
    (folder / "dirlink").symlink_to(folder / "dir")
    return {name: folder / name for name in ("null", "fifo", "dir", "dirlink")}


@pytest.mark.parametrize("name", ["null", "fifo", "dir", "dirlink"])
def test_report_html_refuses_what_is_not_a_regular_file(hostile_workspace: Path, tmp_path: Path, name: str) -> None:
    target = special_files(tmp_path / "t")[name]
    before = target.stat().st_mode
    result = faceaudit(hostile_workspace, "report", "--html", str(target))

    assert result.code == 2, result.err
    assert "not a file a report can be written to" in result.err and "hint:" in result.err
    assert target.stat().st_mode == before  # still the device, FIFO or folder it was
    assert stat.S_ISCHR((tmp_path / "t" / "null").stat().st_mode)
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["dir", "dirlink", "fifo", "null"]


def test_report_html_refuses_a_socket(hostile_workspace: Path, tmp_path: Path) -> None:
    path = tmp_path / "s"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        result = faceaudit(hostile_workspace, "report", "--html", str(path))
    finally:
        server.close()

    assert result.code == 2
    assert "is a socket" in result.err
    assert stat.S_ISSOCK(path.stat().st_mode)


@pytest.mark.parametrize("given", ["", " ", ".", "..", "{tmp}/", "{tmp}/new.html/", "{tmp}/."])
def test_report_html_refuses_a_name_that_is_no_file(hostile_workspace: Path, tmp_path: Path, given: str) -> None:
    result = faceaudit(hostile_workspace, "report", "--html", given.format(tmp=tmp_path))

    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    assert "no file name given" in result.err or "names a folder, not a file" in result.err
    assert not (tmp_path / "new.html").exists()


def test_report_html_into_a_missing_folder_is_a_usage_error(hostile_workspace: Path, tmp_path: Path) -> None:
    result = faceaudit(hostile_workspace, "report", "--html", str(tmp_path / "nope" / "r.html"))

    assert result.code == 2
    assert f"the folder {tmp_path / 'nope'} does not exist" in result.err
    assert not (tmp_path / "nope").exists()


def test_report_html_writes_a_new_file_or_replaces_a_regular_one(hostile_workspace: Path, tmp_path: Path) -> None:
    new, old = tmp_path / "new.html", tmp_path / "old.html"
    old.write_text("yesterday's report")
    (tmp_path / "link.html").symlink_to(old)
    for target in (new, old, tmp_path / "link.html"):
        result = faceaudit(hostile_workspace, "report", "--html", str(target))
        assert result.code == 0, result.err
        assert target.read_text().startswith("<!DOCTYPE html>")
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_demo_refuses_a_bad_html_target_before_it_runs(tmp_path: Path) -> None:
    target = special_files(tmp_path / "t")["null"]
    result = faceaudit(tmp_path / "home", "demo", "--html", str(target))

    assert result.code == 2
    assert "a character device" in result.err
    assert "faceaudit demo:" not in result.err  # refused before the demo started
    assert stat.S_ISCHR(target.stat().st_mode)


@pytest.mark.parametrize("name", ["null", "fifo", "dir", "dirlink"])
def test_write_private_never_replaces_a_special_file(tmp_path: Path, name: str) -> None:
    target = special_files(tmp_path / "t")[name]
    before = target.stat().st_mode

    with pytest.raises(UsageError):
        write_private(target, b"report")
    assert target.stat().st_mode == before


# --- scan --max-images -------------------------------------------------------------------

@pytest.mark.parametrize("value", ["0", "-5"])
def test_scan_max_images_must_be_at_least_one(tmp_path: Path, value: str) -> None:
    result = faceaudit(tmp_path / "home", "scan", "--max-images", value)

    assert result.code == 2
    assert "--max-images" in result.err


def test_scan_max_images_one_is_accepted(tmp_path: Path) -> None:
    result = faceaudit(tmp_path / "home", "scan", "--max-images", "1")

    assert result.code != 2, result.err  # parsed; the scan then stops at the missing consent


def test_the_html_report_shows_controls_and_bidi_overrides_instead_of_obeying_them() -> None:
    from faceaudit.report import html

    page = html.render(hostile_report())
    for raw in ("\x1b", "\u202e", "\x9b", "\x07"):
        assert raw not in page
    assert "\\u202e" in page or "\\x1b" in page
