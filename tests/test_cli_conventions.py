"""The conventions people expect of a command line (issue 17): `--version`, shell completion,
help that reads (metavars, examples), `--json` wherever there is data, `-q`/`-v`, NO_COLOR; and
the messages a new user met, each said plainly."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from faceaudit import __version__
from faceaudit.cli import command, run
from faceaudit.demo.photos import reference_photos
from faceaudit.errors import ExitCode
from tests.support import Result, environment, faceaudit, run_ok


def _run(*args: str, terminal: bool = False) -> Result:
    env = environment(terminal=terminal)
    code = run(list(args), env)
    assert isinstance(env.stdout.file, io.StringIO) and isinstance(env.stderr.file, io.StringIO)
    return Result(code, env.stdout.file.getvalue(), env.stderr.file.getvalue())


@pytest.fixture(scope="module")
def enrolled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """(A workspace with consent, a dlib template and one account, the reference photos.)"""
    folder = tmp_path_factory.mktemp("enrolled")
    home = folder / "ws"
    refs = []
    for name, data in reference_photos():
        (folder / name).write_bytes(data)
        refs.append(str(folder / name))
    run_ok(home)("consent", "--accept")
    run_ok(home)("enroll", "--engine", "dlib", *refs)
    run_ok(home)("accounts", "add", "https://mastodon.social/@alex")
    return home, refs


# -- --version and completion ------------------------------------------------------------------
@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_prints_the_name_and_version(tmp_path, flag):
    result = faceaudit(tmp_path, flag)
    assert (result.code, result.out, result.err) == (0, f"faceaudit {__version__}\n", "")
    assert not (tmp_path / "faceaudit.db").exists()  # answered before any command runs


def test_help_lists_the_completion_and_version_options():
    result = _run("--help")
    for option in ("--install-completion", "--show-completion", "--version", "--quiet", "--verbose"):
        assert option in result.out, option


def test_show_completion_prints_a_bash_script(monkeypatch):
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")  # the shell is named, not detected
    result = _run("--show-completion", "bash")
    assert result.code == 0, result.err
    assert "_faceaudit_completion()" in result.out and "_FACEAUDIT_COMPLETE=complete_bash" in result.out


def test_completion_completes_commands_and_options(monkeypatch):
    """What the shell's script asks, answered through `run` (Click's standalone mode is off)."""
    monkeypatch.setenv("_FACEAUDIT_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "faceaudit sc")
    monkeypatch.setenv("COMP_CWORD", "1")
    result = _run()
    assert (result.code, result.out.split()) == (0, ["scan"])
    monkeypatch.setenv("COMP_WORDS", "faceaudit scan --max")
    monkeypatch.setenv("COMP_CWORD", "2")
    assert _run().out.split() == ["--max-images", "--max-pages", "--max-requests"]


# -- help ----------------------------------------------------------------------------------------
def _command_paths() -> list[list[str]]:
    """Every command and subcommand, walked from the Click tree (the root is [])."""
    paths: list[list[str]] = []

    def walk(cmd, path: list[str]) -> None:
        if getattr(cmd, "hidden", False):
            return
        paths.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    walk(command(), [])
    return paths


def test_the_walk_finds_every_command():
    paths = {" ".join(p) for p in _command_paths()}
    assert {"", "consent", "enroll", "scan", "report", "check", "forget", "doctor", "demo", "accounts",
            "accounts add", "accounts list", "accounts remove"} <= paths


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "faceaudit")
def test_every_help_reads_plainly_with_an_example(path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = _run(*path, "--help")
    assert result.code == 0, result.err
    text = result.out
    assert max(len(line) for line in text.splitlines()) <= 80
    for type_name in ("<bool>", "<list", "{", "<int", "[1<=", "<str>", "<path>", "[x>="):
        assert type_name not in text, (type_name, text)
    assert "Example" in text and f"faceaudit {' '.join(path)}".strip() in text.split("Example", 1)[1], text
    assert "Enrol " not in text and "enrol " not in text  # the command is `enroll`: one spelling


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "faceaudit")
def test_every_option_and_argument_has_help_text(path):
    cmd = command()
    for name in path:
        cmd = cmd.commands[name]
    for param in cmd.params:
        assert (getattr(param, "help", None) or "").strip(), f"{' '.join(path)}: {param.name} has no help"


def test_arguments_and_values_are_shown_by_their_metavars(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    assert "Usage: faceaudit enroll [OPTIONS] PHOTO..." in _run("enroll", "--help").out
    assert "Usage: faceaudit accounts add [OPTIONS] URL..." in _run("accounts", "add", "--help").out
    scan = _run("scan", "--help").out
    assert "HOST=ADDR:PORT" in scan and "DURATION" in scan and "--max-images" in scan
    assert "DAYS" in _run("consent", "--help").out


def test_a_range_is_still_checked_though_not_shown(tmp_path):
    result = faceaudit(tmp_path, "scan", "--max-images", "0")
    assert result.code == ExitCode.USAGE and "--max-images" in result.err


# -- --json everywhere there is data ------------------------------------------------------------
def test_consent_accept_json_is_the_record(tmp_path):
    result = faceaudit(tmp_path, "consent", "--accept", "--json", "--retention-days", "30")
    assert result.code == 0, result.err
    record = json.loads(result.out)
    assert record["retention_days"] == 30 and record["method"] == "--accept" and len(record["text_sha256"]) == 64
    refused = faceaudit(tmp_path, "consent", "--json")  # would need to show the text and ask
    assert refused.code == ExitCode.USAGE and refused.out == ""


def test_accounts_add_and_remove_json(tmp_path):
    added = faceaudit(tmp_path, "accounts", "add", "--json", "https://Alex.Example.org", "https://alex.example.org/",
                      "https://www.instagram.com/p/abc123/")
    assert added.code == ExitCode.USAGE  # one was refused
    outcomes = json.loads(added.out)
    assert [o["outcome"] for o in outcomes] == ["added", "already listed", "refused"]
    assert outcomes[0]["url"] == "https://alex.example.org/" and outcomes[0]["site"] == "web"
    assert "an Instagram page" in outcomes[2]["message"] and outcomes[2]["hint"]
    removed = faceaudit(tmp_path, "accounts", "remove", "--json", "alex.example.org")
    assert removed.code == 0 and json.loads(removed.out) == [{"url": "https://alex.example.org/", "site": "web"}]


def test_enroll_json(tmp_path):
    photo = tmp_path / "me.jpg"
    photo.write_bytes(reference_photos()[0][1])
    home = tmp_path / "ws"
    run_ok(home)("consent", "--accept")
    result = faceaudit(home, "enroll", "--json", "--engine", "dlib", str(photo))
    assert result.code == 0, result.err
    done = json.loads(result.out)
    assert done["engine"] == "dlib" and done["new_faces"] == done["total_faces"] == 1
    assert done["replaced"] is None and isinstance(done["warnings"], list)


def test_scan_json_is_the_report_json(enrolled):
    home, _ = enrolled
    scan = faceaudit(home, "scan", "--json", "--no-dns")
    assert scan.code == ExitCode.NOTHING_SEEN  # offline: nothing seen, and the JSON says so
    data = json.loads(scan.out)
    assert data["coverage"]["not_seen"] == 1
    report = json.loads(faceaudit(home, "report", "--json").out)
    assert data.keys() == report.keys() and data["scan"] == report["scan"]


def test_forget_json_and_a_second_forget(tmp_path):
    home = tmp_path / "ws"
    run_ok(home)("consent", "--accept")
    asked = faceaudit(home, "forget", "--json", typed="y\n")  # its question would spoil the JSON
    assert asked.code == ExitCode.USAGE and asked.out == "" and (home / "faceaudit.db").exists()
    first = faceaudit(home, "forget", "--yes", "--json")
    assert first.code == 0, first.err
    assert json.loads(first.out)["deleted"] is True
    again = faceaudit(home, "forget", "--yes", "--json")
    assert json.loads(again.out)["deleted"] is False


def test_a_second_forget_says_there_was_nothing_to_delete(tmp_path):
    home = tmp_path / "ws"
    run_ok(home)("consent", "--accept")
    assert "Deleted everything" in faceaudit(home, "forget", "--yes").out
    home.mkdir()  # the folder is there again (made by hand, or a sync tool), empty
    second = faceaudit(home, "forget", "--yes")
    assert second.code == 0, second.err
    assert "Deleted" not in second.out and f"Nothing to delete: {home} holds nothing" in second.out
    assert list(home.iterdir()) == []  # and no workspace was made there to be deleted


# -- -q and -v -------------------------------------------------------------------------------------
def test_quiet_scan_shows_no_progress_or_notes_but_the_error(enrolled):
    home, _ = enrolled
    loud = faceaudit(home, "scan", "--no-dns", terminal=True)
    assert "crawl" in loud.err  # the progress bar, at a terminal
    quiet = faceaudit(home, "-q", "scan", "--no-dns", terminal=True)
    assert quiet.code == loud.code == ExitCode.NOTHING_SEEN
    assert "crawl" not in quiet.err and "finished in" not in quiet.err
    assert quiet.err.splitlines()[0].endswith("[nothing-seen]: none of your 1 listed accounts could be seen: "
                                              "nothing was checked")


def test_quiet_demo_has_no_banner_or_bar_and_all_shows_more():
    """(The demo takes seconds: one test for -q and --all.)"""
    quiet = _run("-q", "demo", terminal=True)
    assert quiet.code == 0 and quiet.err == ""
    everything = _run("-q", "demo", "--all")
    assert everything.code == 0
    assert len(everything.out.splitlines()) > len(quiet.out.splitlines())


def test_verbose_scan_says_how_each_account_ended_in_plain_words(enrolled):
    home, _ = enrolled
    plain = faceaudit(home, "scan", "--no-dns")
    assert "https://mastodon.social/@alex:" not in plain.err
    verbose = faceaudit(home, "-v", "scan", "--no-dns")
    line = next(line for line in verbose.err.splitlines() if line.startswith("https://mastodon.social/@alex:"))
    assert line.split(": ", 1)[1].split(":")[0] in {"error", "blocked", "not found"}, line


def test_the_engine_choice_is_one_short_line_unless_verbose(enrolled):
    home, refs = enrolled
    plain = faceaudit(home, "enroll", "--add", refs[0])
    (engine,) = [line for line in plain.err.splitlines() if line.startswith("engine:")]
    assert engine == "engine: dlib (-v says why)"
    verbose = faceaudit(home, "-v", "enroll", "--add", refs[0])
    assert "engine: dlib (the template's engine)" in verbose.err


def test_quiet_and_verbose_together_are_refused(tmp_path):
    assert faceaudit(tmp_path, "-q", "-v", "accounts", "list").code == ExitCode.USAGE


def test_the_scan_bar_ends_with_its_total(enrolled):
    home, _ = enrolled
    result = faceaudit(home, "scan", "--no-dns", terminal=True)
    assert "crawled 1 account" in result.err and "0/0" in result.err and "/?" not in result.err.rsplit("crawled", 1)[1]


# -- NO_COLOR ----------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [["--help"], ["scan", "--help"], ["report"], ["doctor"], ["accounts", "add", "localhost"]])
def test_no_color_means_no_escape_at_all(tmp_path, monkeypatch, capsys, args):
    from faceaudit.environment import Environment

    monkeypatch.setenv("FORCE_COLOR", "1")  # a terminal, as far as rich can tell
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("FACEAUDIT_HOME", str(tmp_path / "ws"))
    env = Environment.standard()
    assert env.stdout.is_terminal
    run(args, env)
    out, err = capsys.readouterr()
    assert out + err and "\x1b[" not in out + err, (out, err)


def test_without_no_color_the_same_terminal_has_styles(tmp_path, monkeypatch, capsys):
    """The check above can fail: the same set-up without NO_COLOR shows escapes."""
    from faceaudit.environment import Environment

    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FACEAUDIT_HOME", str(tmp_path / "ws"))
    run(["accounts", "add", "localhost"], Environment.standard())
    assert "\x1b[" in capsys.readouterr().err


# -- messages ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("url", "words"), [("https://www.instagram.com/p/abc123/", "is an Instagram page"),
                                             ("https://x.com/search?q=alex", "is an X page")])
def test_a_platform_page_is_named_as_people_write_it(tmp_path, url, words):
    result = faceaudit(tmp_path, "accounts", "add", url)
    assert result.code == ExitCode.USAGE and words in result.err, result.err


def test_report_on_a_scan_that_is_not_there_lists_those_that_are(enrolled):
    home, _ = enrolled
    faceaudit(home, "scan", "--no-dns")
    result = faceaudit(home, "report", "--scan", "99")
    assert result.code == ExitCode.USAGE
    assert "there is no scan 99; the latest scans are: scan " in result.err and "faceaudit report" in result.err
    assert "no scan to report on yet" not in result.err


def test_html_into_a_missing_folder_is_a_usage_error(tmp_path):
    target = tmp_path / "nope" / "report.html"
    result = faceaudit(tmp_path, "report", "--html", str(target))
    assert result.code == ExitCode.USAGE
    said = " ".join(result.err.split())  # as one line, however wide the console
    assert f"cannot write {target}: the folder {target.parent} does not exist" in said


def test_check_names_a_bad_file_once_and_a_missing_one_is_a_usage_error(enrolled, tmp_path):
    home, _ = enrolled
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    result = faceaudit(home, "check", str(broken))
    assert result.code == ExitCode.IMAGE
    assert result.out.count(str(broken)) == 1, result.out
    missing = str(tmp_path / "missing.jpg")
    for cmd in (["check"], ["enroll", "--add"]):
        refused = faceaudit(home, *cmd, missing)
        assert refused.code == ExitCode.USAGE and f"{missing}: no such file" in refused.err, cmd
    both = faceaudit(home, "check", missing, str(tmp_path))
    assert both.code == ExitCode.USAGE
    assert f"  - {missing}: no such file" in both.err and f"  - {tmp_path}: is a folder" in both.err
    assert "neither of the 2 paths is a photo file" in both.err
    some = faceaudit(home, "check", missing, str(broken))
    assert "1 of the 2 paths" not in some.err  # one bad path is named on its own line, not counted
    assert f"{missing}: no such file" in some.err and some.code == ExitCode.USAGE


def test_doctor_says_insightface_once_and_the_licence_is_information(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # no insightface pack here
    text = faceaudit(tmp_path / "ws", "doctor").out
    said = " ".join(text.split())  # as one line, however wide the console
    assert said.count("--engine insightface") == 1 and said.count("not downloaded") == 0, text
    assert "\ninfo    insightface licence: " in text and "ok      insightface" not in text
    items = json.loads(faceaudit(tmp_path / "ws", "doctor", "--json").out)
    (licence,) = [item for item in items if "licence" in item["name"]]
    assert licence["ok"] is None


def test_scan_takes_all():
    assert "--all" in _run("scan", "--help").out
