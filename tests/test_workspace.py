"""The workspace: private files, migrations, consent gate, forget."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import numpy as np
import pytest

from faceaudit import consent
from faceaudit.errors import ConsentRequired, ExitCode
from faceaudit.types import ReferenceFace
from faceaudit.workspace import MIGRATIONS, Workspace
from tests.support import faceaudit


def _mode(path: os.PathLike[str]) -> int:
    return stat.S_IMODE(Path(path).stat().st_mode)


def test_workspace_folder_is_0700_and_every_file_0600(tmp_path):
    home = tmp_path / "ws"
    with Workspace.open(home) as ws:
        consent.accept(ws, "--accept")
        files = [p for p in home.iterdir() if p.is_file()]
        assert _mode(home) == 0o700
        assert files, "the database should exist"
        for path in files:
            assert _mode(path) == 0o600, path


def test_migrations_run_once_and_are_recorded(tmp_path):
    with Workspace.open(tmp_path) as ws:
        names = [r[0] for r in ws.db.execute("SELECT name FROM schema_migrations ORDER BY name")]
    assert names == [name for name, _ in MIGRATIONS]
    with Workspace.open(tmp_path) as ws:  # opening again applies nothing twice
        again = [r[0] for r in ws.db.execute("SELECT name FROM schema_migrations")]
    assert again == names


def test_a_damaged_database_is_a_clear_workspace_error(tmp_path):
    (tmp_path / "faceaudit.db").write_bytes(b"this is not a database" * 100)
    result = faceaudit(tmp_path, "accounts", "list")
    assert result.code == ExitCode.WORKSPACE
    assert "cannot be opened" in result.err and "hint" in result.err
    # The hint's way out must work: forget cannot open a damaged database either.
    assert "forget" not in result.err
    assert faceaudit(tmp_path, "forget", "--yes").code == ExitCode.WORKSPACE


def test_consent_accept_records_version_hash_time_purpose_and_attestation(tmp_path):
    result = faceaudit(tmp_path, "consent", "--accept")
    assert result.code == 0, result.err
    assert f"faceaudit consent (version {consent.VERSION})" in result.out
    with Workspace.open(tmp_path) as ws:
        record = ws.consent()
    assert record is not None
    assert record.version == consent.VERSION
    assert record.text_sha256 == consent.text_sha256()
    assert record.accepted_at.startswith("20")
    assert "own public photos" in record.purpose
    assert "reference photos show the operator" in record.attestation
    assert record.method == "--accept"


def test_consent_without_a_terminal_or_accept_flag_records_nothing(tmp_path):
    result = faceaudit(tmp_path, "consent")
    assert result.code == ExitCode.USAGE
    with Workspace.open(tmp_path) as ws:
        assert ws.consent() is None


@pytest.mark.parametrize("command", [["enroll", "me.jpg"], ["scan"], ["check", "me.jpg"]])
def test_enrol_scan_and_check_refuse_without_consent(tmp_path, command):
    (tmp_path / "me.jpg").write_bytes(b"")
    result = faceaudit(tmp_path / "ws", *[str(tmp_path / a) if a.endswith(".jpg") else a for a in command])
    assert result.code == ExitCode.CONSENT
    assert "no consent recorded" in result.err
    assert "faceaudit consent" in result.err


def test_a_changed_consent_text_asks_again(tmp_path, monkeypatch):
    assert faceaudit(tmp_path, "consent", "--accept").code == 0
    monkeypatch.setattr(consent, "text", lambda: "a different text")
    with Workspace.open(tmp_path) as ws, pytest.raises(ConsentRequired, match="changed since you accepted"):
        consent.require(ws)
    result = faceaudit(tmp_path, "scan")
    assert result.code == ExitCode.CONSENT


def test_forget_deletes_everything_and_leaves_no_residue(tmp_path):
    home = tmp_path / "ws"
    marker = np.full(128, 0.0883883, dtype=np.float32)  # a recognisable byte pattern
    with Workspace.open(home) as ws:
        consent.accept(ws, "--accept")
        ws.save_template("dlib", {"engine": "dlib"}, [ReferenceFace("me.jpg", "ab" * 32, marker, 1.0, 200)])
        ws.add_account("https://me.example.org/", "web")
    assert faceaudit(home, "forget").code == ExitCode.USAGE  # no terminal to confirm in: nothing deleted
    with Workspace.open(home) as ws:
        assert ws.template() is not None
    result = faceaudit(home, "forget", "--yes")
    assert result.code == 0, result.err
    leftovers = [p for p in home.rglob("*") if p.is_file()]
    assert leftovers == []
    with Workspace.open(home) as ws:
        assert ws.template() is None and ws.consent() is None and ws.accounts() == []
    for path in home.iterdir():
        assert marker.tobytes() not in path.read_bytes()


def test_secure_delete_overwrites_deleted_rows_in_the_database_file(tmp_path):
    marker = np.full(128, 0.0883883, dtype=np.float32)
    with Workspace.open(tmp_path) as ws:
        ws.save_template("dlib", {}, [ReferenceFace("me.jpg", "ab" * 32, marker, 1.0, 200)])
        ws.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (stored,) = ws.db.execute("SELECT embedding FROM reference_faces").fetchone()
        assert stored in (tmp_path / "faceaudit.db").read_bytes()  # sealed, but on disk
        ws.save_template("dlib", {}, [])  # replaces the template: old rows deleted
        ws.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        secure = ws.db.execute("PRAGMA secure_delete").fetchone()[0]
    assert secure == 1
    assert stored[:16] not in (tmp_path / "faceaudit.db").read_bytes()


def test_accounts_add_list_remove(tmp_path):
    assert faceaudit(tmp_path, "accounts", "add", "https://me.example.org/").code == 0
    listed = faceaudit(tmp_path, "accounts", "list")
    assert "https://me.example.org/" in listed.out and "web" in listed.out
    assert faceaudit(tmp_path, "accounts", "remove", "https://me.example.org/").code == 0
    assert faceaudit(tmp_path, "accounts", "remove", "https://me.example.org/").code == ExitCode.USAGE
    bad = faceaudit(tmp_path, "accounts", "add", "ftp://me.example.org/")
    assert bad.code == ExitCode.USAGE and "hint" in bad.err


def test_schema_has_no_place_for_other_peoples_embeddings(tmp_path):
    """Only reference_faces holds embeddings; findings and images have no embedding column."""
    with Workspace.open(tmp_path) as ws:
        columns = {
            (table, row[1])
            for (table,) in ws.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            for row in ws.db.execute(f"PRAGMA table_info({table})")
        }
    blob_like = {c for c in columns if "embedding" in c[1]}
    assert blob_like == {("reference_faces", "embedding")}
    assert isinstance(sqlite3.sqlite_version, str)


def test_interactive_consent_records_a_typed_yes(tmp_path):
    result = faceaudit(tmp_path, "consent", typed="yes\n")
    assert result.code == 0, result.err
    with Workspace.open(tmp_path) as ws:
        record = ws.consent()
    assert record is not None and record.method == "interactive"


def test_interactive_consent_anything_but_yes_records_nothing(tmp_path):
    result = faceaudit(tmp_path, "consent", typed="sure\n")
    assert result.code == ExitCode.CONSENT
    assert "consent not given" in result.err
    with Workspace.open(tmp_path) as ws:
        assert ws.consent() is None
