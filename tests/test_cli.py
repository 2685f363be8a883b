"""The CLI edge: every command documented, errors as one line with a hint and a stable exit code."""

from __future__ import annotations

from pathlib import Path

from faceaudit.cli import app
from faceaudit.errors import ExitCode
from tests.support import faceaudit

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _commands() -> list[str]:
    names = [c.name or c.callback.__name__ for c in app.registered_commands if not c.hidden]
    names += [f"accounts {c.name}" for g in app.registered_groups for c in g.typer_instance.registered_commands]
    return names


def test_every_command_has_help_and_is_in_the_readme():
    commands = _commands()
    assert {"consent", "enroll", "scan", "report", "check", "forget", "doctor", "demo", "accounts add"} <= set(commands)
    for command in commands:
        assert f"faceaudit {command}" in README, command
    for info in app.registered_commands:
        assert info.callback is not None and (info.callback.__doc__ or "").strip(), info.name


def test_help_lists_the_commands(tmp_path):
    result = faceaudit(tmp_path, "--help")
    assert result.code == 0
    for name in ("consent", "enroll", "scan", "report", "check", "forget", "doctor", "demo", "accounts"):
        assert name in result.out


def test_an_unknown_option_is_a_usage_error(tmp_path):
    result = faceaudit(tmp_path, "scan", "--no-such-option")
    assert result.code == ExitCode.USAGE
    assert "No such option" in result.err


def test_a_bad_resolve_value_says_what_shape_it_wants(tmp_path):
    faceaudit(tmp_path, "consent", "--accept")
    result = faceaudit(tmp_path, "scan", "--resolve", "me.example.org")
    assert result.code == ExitCode.USAGE
    assert "HOST=ADDR:PORT" in result.err and "hint" in result.err


def test_report_before_any_scan_says_to_scan_first(tmp_path):
    result = faceaudit(tmp_path, "report")
    assert result.code == ExitCode.USAGE
    assert "faceaudit scan" in result.err


def test_scan_without_a_template_says_to_enrol_first(tmp_path):
    faceaudit(tmp_path, "consent", "--accept")
    result = faceaudit(tmp_path, "scan")
    assert result.code == ExitCode.ENROLMENT
    assert "faceaudit enroll" in result.err


def test_doctor_reports_browser_and_engines_as_json(tmp_path):
    import json

    result = faceaudit(tmp_path, "doctor", "--json")
    assert result.code == 0
    names = {item["name"] for item in json.loads(result.out)}
    assert {"browser", "engine dlib", "engine insightface", "engine auto"} <= names


def test_forget_at_a_terminal_asks_first(tmp_path):
    home = tmp_path / "ws"
    assert faceaudit(home, "consent", "--accept").code == 0
    kept = faceaudit(home, "forget", typed="n\n")
    assert kept.code == 0 and f"Delete everything faceaudit keeps in {home}? [y/N]: " in kept.out
    assert (home / "faceaudit.db").exists()
    ended = faceaudit(home, "forget", typed="")  # a terminal, then end of input (Ctrl-D)
    assert ended.code == ExitCode.INTERRUPTED and "aborted" in ended.err
    assert (home / "faceaudit.db").exists()
    deleted = faceaudit(home, "forget", typed="y\n")
    assert deleted.code == 0 and "Deleted everything" in deleted.out
    assert not (home / "faceaudit.db").exists()


def test_the_environment_gives_the_home_and_receives_all_output(tmp_path, capsys):
    import sys

    from faceaudit.cli import run
    from tests.support import environment

    env = environment()
    env.home = tmp_path / "ws"
    stdout = sys.stdout
    assert run(["accounts", "add", "https://alex.example.org/"], env) == 0
    assert run(["--home", str(tmp_path / "other"), "accounts", "list"], env) == 0  # --home wins, for that command
    assert run(["accounts", "list"], env) == 0
    assert env.home == tmp_path / "ws"  # the caller's Environment is left as it was
    assert sys.stdout is stdout and capsys.readouterr() == ("", "")
    printed = env.stdout.file.getvalue()
    added, other, listed = printed.splitlines()
    assert added == "Added https://alex.example.org/ (web)."
    assert other.startswith("No accounts listed yet") and listed.startswith("https://alex.example.org/  (web")
