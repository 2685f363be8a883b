"""The workspace folder against hostile or careless surroundings: `forget` deletes exactly the
files faceaudit made; opening never chmods another file or follows a link; a shared or foreign
folder, and an empty, damaged or foreign database, are refused instead of taken over; `forget`
waits for no running scan but refuses; a full disk is one line and a hint, with nothing
half-written."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from faceaudit import consent, vault
from faceaudit.errors import ExitCode, WorkspaceError
from faceaudit.types import ReferenceFace
from faceaudit.workspace import DB_NAME, LOCK_NAME, OWN_FILES, Workspace
from tests.support import Result, environment, faceaudit

MARKER = np.full(128, 0.0883883, dtype=np.float32)


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own key folder, outside its workspace."""
    folder = tmp_path / "keys"
    monkeypatch.setenv(vault.KEY_DIR_ENV, str(folder))
    return folder


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _enrolled(home: Path) -> None:
    """A workspace with consent, a (sealed) template and an account, as a user leaves it."""
    with Workspace.open(home) as ws:
        consent.accept(ws, "--accept")
        ws.save_template("dlib", {"engine": "dlib"}, [ReferenceFace("me.jpg", "ab" * 32, MARKER, 1.0, 200)])
        ws.add_account("https://me.example.org/", "web")


def _has_template(home: Path) -> bool:
    with Workspace.open(home) as ws:
        return ws.template() is not None


def _tree(folder: Path) -> dict[str, bytes | str]:
    """Every entry under `folder`: a file's bytes, a link's target, a folder as "<dir>"."""
    tree: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            tree[name] = f"-> {path.readlink()}"
        elif path.is_dir():
            tree[name] = "<dir>"
        else:
            tree[name] = path.read_bytes()
    return tree


# -- forget deletes exactly what faceaudit made ---------------------------------------------------
def test_every_file_faceaudit_makes_in_the_workspace_is_one_forget_deletes(tmp_path: Path, keys: Path) -> None:
    """The proof both ways: whatever the commands leave in the folder is in OWN_FILES (nothing
    faceaudit makes escapes `forget`), and `forget` leaves nothing of it, nor the emptied folder."""
    home = tmp_path / "ws"
    for command in (["consent", "--accept"], ["accounts", "add", "https://me.example.org/"], ["accounts", "list"],
                    ["doctor", "--json"], ["report"]):
        faceaudit(home, *command)
    _enrolled(home)
    with Workspace.open(home) as ws, ws.scan_lock():
        consent.accept(ws, "--accept")
        keeper = sqlite3.connect(home / DB_NAME)  # a second reader keeps the -wal and -shm in place
        keeper.execute("SELECT COUNT(*) FROM consent").fetchone()
        made = {p.name for p in home.iterdir()}
    keeper.close()
    assert {DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", LOCK_NAME} <= made
    assert made <= set(OWN_FILES), made - set(OWN_FILES)
    assert not [p for p in made if (home / p).is_dir()]

    result = faceaudit(home, "forget", "--yes")
    assert result.code == 0, result.err
    assert not home.exists()  # the folder was faceaudit's too, and nothing else was in it
    assert "Left " not in result.out


def test_forget_deletes_faceaudits_files_and_nothing_else(tmp_path: Path, keys: Path) -> None:
    """The red-team reproduction: files the user put in the workspace folder survive `forget`,
    and so does what a link there points at."""
    home, outside = tmp_path / "ws", tmp_path / "outside.txt"
    outside.write_text("not faceaudit's")
    _enrolled(home)
    (home / "precious.txt").write_text("x\n")
    (home / "notes").mkdir()
    (home / "notes" / "todo.md").write_text("keep me")
    (home / "link.txt").symlink_to(outside)
    (home / ".hidden").write_bytes(b"\x00")
    (home / "faceaudit.db.bak").write_text("a name like faceaudit's is still not faceaudit's")
    users = _tree(home)
    users = {name: content for name, content in users.items() if name not in OWN_FILES}

    result = faceaudit(home, "forget", "--yes")
    assert result.code == 0, result.err
    assert _tree(home) == users  # exactly the user's entries are left, unchanged
    assert outside.read_text() == "not faceaudit's"
    assert f"Left {home} in place: it holds files faceaudit did not make." in result.out
    assert list(keys.iterdir()) == []  # the key went all the same


# -- opening restricts only its own files -------------------------------------------------------
def test_opening_chmods_only_faceaudits_files_and_never_through_a_link(tmp_path: Path, keys: Path) -> None:
    home, outside = tmp_path / "ws", tmp_path / "outside.txt"
    outside.write_text("someone's")
    outside.chmod(0o644)
    _enrolled(home)
    (home / "precious.txt").write_text("x")
    (home / "precious.txt").chmod(0o644)
    (home / "link.txt").symlink_to(outside)
    (home / DB_NAME).chmod(0o644)  # faceaudit's own file, loosened: made private again

    with Workspace.open(home):
        pass
    assert _mode(home / DB_NAME) == 0o600
    assert _mode(home / "precious.txt") == 0o644
    assert _mode(outside) == 0o644  # the link's target, outside the workspace, is untouched
    assert (home / "link.txt").is_symlink()


@pytest.mark.parametrize("name", [DB_NAME, f"{DB_NAME}-wal", LOCK_NAME])
def test_a_link_in_place_of_a_workspace_file_is_refused(tmp_path: Path, keys: Path, name: str) -> None:
    home, elsewhere = tmp_path / "ws", tmp_path / "elsewhere"
    _enrolled(home)
    target = elsewhere / name
    elsewhere.mkdir()
    if name == DB_NAME:
        (home / DB_NAME).rename(target)
    else:
        target.write_text("someone's file")
    target.chmod(0o644)
    (home / name).unlink(missing_ok=True)
    (home / name).symlink_to(target)
    before = target.read_bytes()

    result = faceaudit(home, "accounts", "list")
    assert result.code == ExitCode.WORKSPACE
    assert f"{home / name} is a symbolic link: faceaudit does not follow links in its workspace" in result.err
    assert "hint: put the file itself there instead of the link" in result.err
    assert target.read_bytes() == before and _mode(target) == 0o644
    assert faceaudit(home, "forget", "--yes").code == ExitCode.WORKSPACE
    assert target.exists() and (home / name).is_symlink()


def test_a_fifo_in_place_of_a_workspace_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    home.mkdir()
    os.mkfifo(home / LOCK_NAME)
    result = faceaudit(home, "consent", "--accept")
    assert result.code == ExitCode.WORKSPACE
    assert f"{home / LOCK_NAME} is not a regular file" in result.err


# -- a folder that is not faceaudit's to take -----------------------------------------------------
@pytest.mark.parametrize("mode", [0o1777, 0o777, 0o1755])
def test_a_shared_folder_is_refused_and_left_as_it_was(tmp_path: Path, mode: int) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)  # like /tmp: world-writable and sticky
    result = faceaudit(shared, "consent", "--accept")
    assert result.code == ExitCode.WORKSPACE
    assert f"the folder {shared} is shared (anyone may write to it, like /tmp)" in result.err
    assert "hint: set FACEAUDIT_HOME (or --home) to a new or empty folder of your own" in result.err
    assert _mode(shared) == mode
    assert list(shared.iterdir()) == []


def test_faceaudit_home_at_a_shared_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same through $FACEAUDIT_HOME, as the red team set it (`FACEAUDIT_HOME=/tmp`)."""
    from faceaudit.cli import run

    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    (shared / "someone-elses.sock").write_text("")
    monkeypatch.setenv("FACEAUDIT_HOME", str(shared))
    env = environment()
    assert run(["consent", "--accept"], env) == ExitCode.WORKSPACE
    assert _mode(shared) == 0o1777
    assert run(["forget", "--yes"], environment()) == ExitCode.WORKSPACE
    assert (shared / "someone-elses.sock").exists()


def test_a_folder_of_another_user_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o755)
    if os.getuid() == 0:
        os.chown(theirs, 65534, 65534)  # nobody
    else:
        real = os.getuid()
        monkeypatch.setattr(os, "getuid", lambda: real + 1)  # as if the folder were someone else's
    result = faceaudit(theirs, "consent", "--accept")
    assert result.code == ExitCode.WORKSPACE
    assert f"the folder {theirs} belongs to another user" in result.err
    assert _mode(theirs) == 0o755 and list(theirs.iterdir()) == []


def test_a_folder_holding_other_files_is_refused_untouched(tmp_path: Path) -> None:
    """`echo x > h/precious.txt`, then `FACEAUDIT_HOME=h faceaudit consent`: refused, not taken."""
    home = tmp_path / "h"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    (home / "precious.txt").write_text("x\n")
    (home / "more.txt").write_text("y\n")
    result = faceaudit(home, "consent", "--accept")
    assert result.code == ExitCode.WORKSPACE
    assert f"the folder {home} holds files that are not faceaudit's ('more.txt' and 1 more)" in result.err
    assert "it is not a faceaudit workspace" in result.err
    assert _tree(home) == {"more.txt": b"y\n", "precious.txt": b"x\n"}
    assert _mode(home) == 0o755
    forgot = faceaudit(home, "forget", "--yes")
    assert forgot.code == ExitCode.WORKSPACE
    assert _tree(home) == {"more.txt": b"y\n", "precious.txt": b"x\n"}


@pytest.mark.parametrize("before", ["nothing", "an empty folder", "a workspace with the user's file beside it"])
def test_a_new_or_empty_folder_or_an_existing_workspace_is_fine(tmp_path: Path, keys: Path, before: str) -> None:
    home = tmp_path / "ws"
    if before == "an empty folder":
        home.mkdir(mode=0o755)
        home.chmod(0o755)  # e.g. made with a umask of 022
    elif before != "nothing":
        _enrolled(home)
        (home / "mine.txt").write_text("mine")
    result = faceaudit(home, "consent", "--accept")
    assert result.code == 0, result.err
    assert _mode(home) == 0o700


# -- a database that is not a workspace ----------------------------------------------------------
def test_an_emptied_database_is_refused_and_never_becomes_a_new_workspace(tmp_path: Path, keys: Path) -> None:
    """A 0-byte faceaudit.db once became a new workspace with a new id: the old template's key
    was orphaned. Now it is refused, and stays 0 bytes; the key is still there."""
    home = tmp_path / "ws"
    _enrolled(home)
    (home / DB_NAME).write_bytes(b"")
    for name in OWN_FILES[1:]:
        (home / name).unlink(missing_ok=True)
    (key,) = keys.iterdir()

    for command in (["consent", "--accept"], ["accounts", "list"], ["forget", "--yes"]):
        result = faceaudit(home, *command)
        assert result.code == ExitCode.WORKSPACE, (command, result.err)
        assert f"the workspace database {home / DB_NAME} is empty (0 bytes)" in result.err
        assert "hint: move it aside (or delete it) to start a new workspace there" in result.err
    assert (home / DB_NAME).stat().st_size == 0
    assert key.exists()


def test_another_programs_database_is_refused_unchanged(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    home.mkdir()
    other = sqlite3.connect(home / DB_NAME)
    other.execute("CREATE TABLE notes (body TEXT)")
    other.execute("INSERT INTO notes VALUES ('mine')")
    other.commit()
    other.close()
    before = (home / DB_NAME).read_bytes()
    result = faceaudit(home, "consent", "--accept")
    assert result.code == ExitCode.WORKSPACE
    assert f"{home / DB_NAME} is an SQLite database, but not a faceaudit workspace" in result.err
    assert (home / DB_NAME).read_bytes() == before  # not migrated, not even switched to WAL
    assert sorted(p.name for p in home.iterdir()) == [DB_NAME]


def _doctor_workspace(home: Path) -> dict[str, Any]:
    result = faceaudit(home, "doctor", "--json")
    assert result.code == 0, result.err
    (item,) = [i for i in json.loads(result.out) if i["name"] == "workspace"]
    return dict(item)


def _garbage(home: Path) -> None:
    home.mkdir()
    (home / DB_NAME).write_bytes(b"this is not a database" * 100)


def _empty(home: Path) -> None:
    home.mkdir()
    (home / DB_NAME).write_bytes(b"")


def _foreign(home: Path) -> None:
    home.mkdir()
    (home / "precious.txt").write_text("x")


@pytest.mark.parametrize(("make", "says"), [
    (_garbage, "cannot be opened: file is not a database"),
    (_empty, "is empty (0 bytes)"),
    (_foreign, "holds files that are not faceaudit's"),
])
def test_doctor_says_a_damaged_or_foreign_workspace_is_not_ok(
    tmp_path: Path, make: Callable[[Path], None], says: str,
) -> None:
    home = tmp_path / "ws"
    make(home)
    before = _tree(home)
    item = _doctor_workspace(home)
    assert item["ok"] is False
    assert says in item["detail"] and "; " in item["detail"]  # the reason, then the hint
    assert _tree(home) == before  # doctor changes nothing
    assert "missing workspace: " in faceaudit(home, "doctor").out


def test_doctor_says_a_new_or_working_workspace_is_ok(tmp_path: Path, keys: Path) -> None:
    home = tmp_path / "ws"
    assert _doctor_workspace(home) == {"name": "workspace", "ok": True, "detail": str(home)}
    assert not home.exists()
    _enrolled(home)
    before = sorted(p.name for p in home.iterdir())
    assert _doctor_workspace(home)["ok"] is True
    assert sorted(p.name for p in home.iterdir()) == before  # no -wal or -shm left by looking


# -- forget while a scan runs ------------------------------------------------------------------
def test_forget_refuses_while_a_scan_holds_the_lock(tmp_path: Path, keys: Path) -> None:
    home = tmp_path / "ws"
    _enrolled(home)
    with Workspace.open(home) as scanning, scanning.scan_lock():
        result = faceaudit(home, "forget", "--yes")
    assert result.code == ExitCode.WORKSPACE
    assert "a faceaudit scan is running on this workspace: nothing was deleted" in result.err
    assert "hint: stop the scan (Ctrl-C) or let it finish, then run `faceaudit forget` again" in result.err
    assert _has_template(home) and len(list(keys.iterdir())) == 1
    assert faceaudit(home, "forget", "--yes").code == 0  # the scan over, forget goes ahead
    assert not home.exists()


def test_forget_refuses_while_another_process_scans(tmp_path: Path, keys: Path) -> None:
    """The lock held by a second process, as `faceaudit scan` holds it (fcntl on scan.lock)."""
    home = tmp_path / "ws"
    _enrolled(home)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, sys, time; f = open(sys.argv[1], 'w'); fcntl.flock(f, fcntl.LOCK_EX);"
         " print('held', flush=True); time.sleep(60)", str(home / LOCK_NAME)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        result = faceaudit(home, "forget", "--yes")
    finally:
        holder.kill()
        holder.wait()
    assert result.code == ExitCode.WORKSPACE, result.err
    assert "a faceaudit scan is running on this workspace" in result.err
    assert _has_template(home)


# -- a full disk -------------------------------------------------------------------------------
class _FullDisk(sqlite3.Connection):
    """A connection whose disk fills up at the first statement starting with `full_at`."""

    full_at: ClassVar[str] = ""

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        if self.full_at and sql.lstrip().upper().startswith(self.full_at):
            raise sqlite3.OperationalError("database or disk is full")
        return super().execute(sql, *args)


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Call with a statement's first word(s): from then on, that statement finds the disk full."""
    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        return real(*args, **kwargs, factory=_FullDisk)

    monkeypatch.setattr(sqlite3, "connect", connect)

    def fill(statement: str) -> None:
        monkeypatch.setattr(_FullDisk, "full_at", statement)

    return fill


def _photos(folder: Path) -> list[str]:
    from faceaudit.demo.photos import reference_photos

    folder.mkdir()
    for name, data in reference_photos():
        (folder / name).write_bytes(data)
    return sorted(str(p) for p in folder.iterdir())


def _says_disk_full(result: Result, home: Path) -> None:
    assert result.code == ExitCode.WORKSPACE, result.err
    assert f"error [workspace]: could not write to the workspace database {home / DB_NAME}: the disk is full" \
        in result.err
    assert "hint: free some disk space (or set FACEAUDIT_HOME to a folder on a disk with room) and try again: " \
        "nothing was changed" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("full_at", ["INSERT INTO REFERENCE_FACES", "COMMIT"])
def test_a_full_disk_during_enrol_is_exit_9_and_nothing_is_half_written(
    tmp_path: Path, keys: Path, full_disk: Callable[[str], None], full_at: str,
) -> None:
    home = tmp_path / "ws"
    photos = _photos(tmp_path / "photos")
    assert faceaudit(home, "consent", "--accept").code == 0
    full_disk(full_at)
    _says_disk_full(faceaudit(home, "enroll", "--engine", "dlib", *photos), home)
    full_disk("")
    with Workspace.open(home) as ws:
        assert ws.template() is None
        assert ws.db.execute("SELECT COUNT(*) FROM reference_faces").fetchone()[0] == 0
        assert not ws.db.in_transaction
    enrolled = faceaudit(home, "enroll", "--engine", "dlib", *photos)  # space again: it just works
    assert enrolled.code == 0, enrolled.err


def test_a_full_disk_while_the_key_is_written_is_exit_9_and_leaves_no_key(
    tmp_path: Path, keys: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = tmp_path / "ws"
    assert faceaudit(home, "consent", "--accept").code == 0

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    with Workspace.open(home) as ws, pytest.raises(WorkspaceError) as refused:
        ws.save_template("dlib", {}, [ReferenceFace("me.jpg", "ab" * 32, MARKER, 1.0, 200)])
    assert refused.value.exit_code == ExitCode.WORKSPACE
    assert "cannot write the face template key to" in refused.value.message
    assert refused.value.message.endswith("the disk is full")
    assert refused.value.hint.startswith("free some disk space")
    assert list(keys.iterdir()) == []  # no key, and no half-written .tmp of one
    with Workspace.open(home) as ws:
        assert ws.template() is None


@pytest.mark.parametrize("command", [["consent", "--accept"], ["accounts", "add", "https://me.example.org/"]])
def test_a_full_disk_during_consent_or_accounts_add_is_exit_9(
    tmp_path: Path, full_disk: Callable[[str], None], command: list[str],
) -> None:
    home = tmp_path / "ws"
    with Workspace.open(home):
        pass  # the workspace exists; then the disk fills
    full_disk("INSERT")
    _says_disk_full(faceaudit(home, *command), home)
    full_disk("")
    with Workspace.open(home) as ws:
        assert ws.consent() is None and ws.accounts() == []


def test_a_bug_in_sql_is_still_a_bug_not_a_full_disk(tmp_path: Path) -> None:
    """Only failures to write become workspace errors: a broken constraint stays an error to fix."""
    with Workspace.open(tmp_path / "ws") as ws, pytest.raises(sqlite3.IntegrityError):
        with ws.transaction() as db:
            db.execute("INSERT INTO template VALUES (1, 'dlib', '{}', 'now')")
            db.execute("INSERT INTO template VALUES (1, 'dlib', '{}', 'now')")
