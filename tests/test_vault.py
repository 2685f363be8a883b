"""The protected template: sealed at rest, its key outside the workspace, destroyed by forget,
kept only for the retention period the user agreed to."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import stat
from pathlib import Path

import numpy as np
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from faceaudit import consent, vault
from faceaudit.errors import ExitCode, WorkspaceError
from faceaudit.report.load import load_report
from faceaudit.types import (
    Analysis,
    Box,
    Finding,
    ImageCandidate,
    ImageKind,
    ImageRecord,
    ImageStatus,
    ReferenceFace,
    Verdict,
)
from faceaudit.workspace import DB_NAME, MIGRATIONS, Workspace
from tests.support import faceaudit

MARKER = np.full(128, 0.0883883, dtype=np.float32)  # a recognisable byte pattern
JPEG = b"\xff\xd8\xff\xe0" + b"the user's face, as a thumbnail" * 8 + b"\xff\xd9"


@pytest.fixture
def keys(tmp_path, monkeypatch) -> Path:
    """This test's own key folder, outside its workspace."""
    folder = tmp_path / "keys"
    monkeypatch.setenv(vault.KEY_DIR_ENV, str(folder))
    return folder


def _mode(path: Path) -> int:
    return stat.S_IMODE(Path(path).stat().st_mode)


def _windows(data: bytes, size: int = 16) -> set[bytes]:
    return {data[i:i + size] for i in range(len(data) - size + 1)}


def _leaks(folders: list[Path], secrets: set[bytes]) -> list[str]:
    """Every file under `folders` that holds any of the 16-byte `secrets`."""
    found = []
    for folder in folders:
        for path in (p for p in folder.rglob("*") if p.is_file()):
            if _windows(path.read_bytes()) & secrets:
                found.append(str(path))
    return found


def _enrol_marker(home: Path) -> None:
    with Workspace.open(home) as ws:
        consent.accept(ws, "--accept")
        ws.save_template("dlib", {"engine": "dlib"}, [ReferenceFace("me.jpg", "ab" * 32, MARKER, 1.0, 200)])


# -- sealing ---------------------------------------------------------------------------------
def test_a_sealed_value_opens_only_with_its_key_workspace_purpose_and_row():
    workspace_id = "0" * 32
    box = vault.Vault(workspace_id, b"k" * 32, vault.KeyStore("file", "/nowhere"))
    sealed = box.seal(b"embedding bytes", vault.EMBEDDING, "row-1")
    assert b"embedding bytes" not in sealed
    assert box.seal(b"embedding bytes", vault.EMBEDDING, "row-1") != sealed  # a fresh nonce each time
    assert box.unseal(sealed, vault.EMBEDDING, "row-1") == b"embedding bytes"
    others = [
        (vault.Vault(workspace_id, b"x" * 32, box.store), vault.EMBEDDING, "row-1"),  # wrong key
        (vault.Vault("1" * 32, b"k" * 32, box.store), vault.EMBEDDING, "row-1"),  # other workspace
        (box, vault.THUMBNAIL, "row-1"),  # other purpose
        (box, vault.EMBEDDING, "row-2"),  # other row
    ]
    for other, purpose, row in others:
        with pytest.raises(WorkspaceError, match="cannot be decrypted"):
            other.unseal(sealed, purpose, row)
    with pytest.raises(WorkspaceError):
        box.unseal(sealed[:-1] + bytes([sealed[-1] ^ 1]), vault.EMBEDDING, "row-1")  # tampered


def test_the_template_is_stored_sealed_and_reads_back_the_same(tmp_path, keys):
    home = tmp_path / "ws"
    _enrol_marker(home)
    with Workspace.open(home) as ws:
        (stored, sealed) = ws.db.execute("SELECT embedding, sealed FROM reference_faces").fetchone()
        template = ws.template()
        ws.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert sealed == 1 and stored[:1] == vault.FORMAT
    assert len(stored) == 1 + vault.NONCE_BYTES + MARKER.nbytes + 16
    assert template is not None
    np.testing.assert_array_equal(template.faces[0].embedding, MARKER)
    assert _leaks([home], _windows(MARKER.tobytes())) == []


def test_thumbnails_of_the_users_face_are_sealed_too(tmp_path, keys):
    home = tmp_path / "ws"
    with Workspace.open(home) as ws:
        account = ws.add_account("https://me.example.org/", "web")
        scan_id = ws.start_scan("dlib")
        finding = Finding(Verdict.YOU, 0.97, Box(1, 2, 3, 4), face_px=90, det_score=0.99, recognisability=70,
                          thumbnail=JPEG)
        candidate = ImageCandidate("https://me.example.org/me.jpg", "https://me.example.org/", ImageKind.POST, "img")
        ws.record_image(scan_id, account.id,
                        ImageRecord(candidate, None, Analysis(ImageStatus.ANALYSED, faces=1, findings=[finding])))
        ws.finish_scan(scan_id, "complete")
        (stored,) = ws.db.execute("SELECT thumbnail FROM findings").fetchone()
        assert JPEG[:16] not in stored
        assert ws.thumbnails() == [(1, JPEG)]
        report = load_report(ws)
    assert report.accounts[0].findings[0].thumbnail_jpeg == JPEG


# -- where the key lives ---------------------------------------------------------------------
def test_the_key_file_is_0600_in_a_0700_folder_outside_the_workspace(tmp_path, keys):
    home = tmp_path / "ws"
    _enrol_marker(home)
    with Workspace.open(home) as ws:
        store = vault.locate(ws.id)
        workspace_id = ws.id
    assert store == vault.KeyStore("file", str(keys / f"{workspace_id}.key"))
    assert _mode(keys) == 0o700 and _mode(keys / f"{workspace_id}.key") == 0o600
    assert not (keys / f"{workspace_id}.key").resolve().is_relative_to(home.resolve())
    assert not [p for p in home.rglob("*") if p.name.endswith(".key")]


def test_a_key_folder_inside_the_workspace_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(vault.KEY_DIR_ENV, str(tmp_path / "keys"))
    with Workspace.open(tmp_path) as ws, pytest.raises(WorkspaceError, match="inside the workspace folder"):
        ws.save_template("dlib", {}, [ReferenceFace("me.jpg", "ab" * 32, MARKER, 1.0, 200)])


class _FakeKeyring:
    """An OS keyring held in memory (macOS Keychain, Secret Service... in real life)."""

    name = "Fake OS keyring"
    priority = 5

    def __init__(self, refuse: bool = False) -> None:
        self.entries: dict[tuple[str, str], str] = {}
        self.refuse = refuse

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        from keyring.errors import PasswordSetError

        if self.refuse:
            raise PasswordSetError("the keyring is read-only")
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username))


@pytest.fixture
def os_keyring(tmp_path, monkeypatch) -> _FakeKeyring:
    """No $FACEAUDIT_KEY_DIR, an OS keyring, and the user config folder in tmp_path."""
    import keyring

    fake = _FakeKeyring()
    monkeypatch.delenv(vault.KEY_DIR_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(keyring, "get_keyring", lambda: fake)
    return fake


def test_without_a_real_os_keyring_the_key_goes_to_a_file(monkeypatch):
    import keyring
    from keyring.backends import chainer, fail, null

    monkeypatch.delenv(vault.KEY_DIR_ENV)
    for backend in (fail.Keyring(), null.Keyring(), chainer.ChainerBackend()):
        monkeypatch.setattr(keyring, "get_keyring", lambda backend=backend: backend)
        if isinstance(backend, chainer.ChainerBackend) and backend.backends:
            continue  # this machine has a real keyring behind the chainer
        usable, why = vault.usable_keyring()
        assert usable is None and "no OS keyring" in why
    assert vault.default_store().kind == "file"


def test_an_os_keyring_holds_the_key_and_forget_deletes_it(tmp_path, os_keyring):
    home = tmp_path / "ws"
    _enrol_marker(home)
    with Workspace.open(home) as ws:
        workspace_id = ws.id
        assert vault.locate(ws.id) == vault.KeyStore("keyring", "Fake OS keyring")
        assert ws.template() is not None
    assert list(os_keyring.entries) == [(vault.KEYRING_SERVICE, workspace_id)]
    assert not (tmp_path / "config").exists()  # no key file as well
    doctor = json.loads(faceaudit(home, "doctor", "--json").out)
    (key,) = [item for item in doctor if item["name"] == "template key"]
    assert key["store"] == "keyring" and "Fake OS keyring" in key["detail"]
    result = faceaudit(home, "forget", "--yes")
    assert result.code == 0, result.err
    assert "Destroyed the face template key in the OS keyring" in result.out
    assert os_keyring.entries == {}


def test_a_keyring_that_refuses_the_key_falls_back_to_a_file(tmp_path, os_keyring):
    os_keyring.refuse = True
    home = tmp_path / "ws"
    _enrol_marker(home)
    with Workspace.open(home) as ws:
        store = vault.locate(ws.id)
        assert ws.template() is not None
    assert store is not None and store.kind == "file"
    assert Path(store.where).is_relative_to(tmp_path / "config")


def test_doctor_says_where_the_key_is_kept(tmp_path, keys):
    home = tmp_path / "ws"

    def key_item() -> dict:
        result = faceaudit(home, "doctor", "--json")
        assert result.code == 0, result.err
        (item,) = [i for i in json.loads(result.out) if i["name"] == "template key"]
        return item

    before = key_item()
    assert before["store"] is None and "none yet" in before["detail"] and str(keys) in before["detail"]
    assert not home.exists()  # doctor makes no workspace
    _enrol_marker(home)
    with Workspace.open(home) as ws:
        path = keys / f"{ws.id}.key"
    after = key_item()
    assert after["store"] == "file" and after["where"] == str(path)
    assert f"the key file {path}" in faceaudit(home, "doctor").out


# -- a missing key ---------------------------------------------------------------------------
def test_a_missing_key_is_a_clear_workspace_error_never_a_silent_re_enrolment(tmp_path, keys):
    home = tmp_path / "ws"
    _enrol_marker(home)
    (tmp_path / "me.jpg").write_bytes(b"")
    for key in keys.iterdir():
        key.unlink()
    for command in (["check", str(tmp_path / "me.jpg")], ["scan"], ["enroll", str(tmp_path / "me.jpg")]):
        result = faceaudit(home, *command)
        assert result.code == ExitCode.WORKSPACE, (command, result.err)
        assert "the key for this workspace's face template is missing (looked in" in result.err
        assert str(keys) in result.err
        assert "faceaudit forget" in result.err and "enrol again" in result.err
    assert list(keys.iterdir()) == []  # no new key was made behind the user's back
    assert faceaudit(home, "forget", "--yes").code == 0
    assert faceaudit(home, "consent", "--accept").code == 0
    _enrol_marker(home)  # and a fresh start works
    with Workspace.open(home) as ws:
        assert ws.template() is not None


def test_a_wrong_key_is_a_clear_workspace_error(tmp_path, keys):
    home = tmp_path / "ws"
    _enrol_marker(home)
    (key,) = keys.iterdir()
    key.write_text("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=\n")  # 32 bytes, not the key
    (tmp_path / "x.jpg").write_bytes(b"")  # there: a missing photo would be refused first
    result = faceaudit(home, "check", str(tmp_path / "x.jpg"))
    assert result.code == ExitCode.WORKSPACE
    assert "cannot be decrypted" in result.err and "faceaudit forget" in result.err


# -- a workspace from before ----------------------------------------------------------------
def _old_workspace(home: Path) -> None:
    """A workspace as the migrations before 004 left it: embeddings and thumbnails in the clear."""
    home.mkdir()
    db = sqlite3.connect(home / DB_NAME, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, sql in MIGRATIONS:
        if name == "004_sealed_template":
            break
        for statement in sql.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute("INSERT INTO schema_migrations VALUES (?, '2026-01-01T00:00:00+00:00')", (name,))
    db.execute("INSERT INTO template VALUES (1, 'dlib', '{}', '2026-01-01T00:00:00+00:00')")
    db.execute("INSERT INTO reference_faces (photo_name, photo_sha256, embedding, det_score, face_px, added_at)"
               " VALUES ('me.jpg', ?, ?, 1.0, 200, '2026-01-01T00:00:00+00:00')", ("ab" * 32, MARKER.tobytes()))
    db.execute("INSERT INTO accounts VALUES (1, 'https://me.example.org/', 'web', '2026-01-01')")
    db.execute("INSERT INTO scans VALUES (1, '2026-01-01', '2026-01-01', 'complete', 'dlib')")
    db.execute("INSERT INTO images (id, scan_id, account_id, url, page_url, kind, found_by, alt, status, faces,"
               " other_faces, metadata) VALUES (7, 1, 1, 'https://me.example.org/me.jpg', 'https://me.example.org/',"
               " 'post', 'img', '', 'analysed', 1, 0, '{}')")
    db.execute("INSERT INTO findings (image_id, verdict, similarity, box, face_px, det_score, recognisability,"
               " thumbnail) VALUES (7, 'you', 0.97, '[1, 2, 3, 4]', 90, 0.99, 70, ?)", (JPEG,))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    assert MARKER.tobytes() in (home / DB_NAME).read_bytes()


def test_a_workspace_from_before_is_migrated_and_sealed_once_on_open(tmp_path, keys):
    home = tmp_path / "ws"
    _old_workspace(home)
    with Workspace.open(home) as ws:
        migrations = [r[0] for r in ws.db.execute("SELECT name FROM schema_migrations ORDER BY name")]
        rows = ws.db.execute("SELECT embedding, sealed FROM reference_faces UNION ALL"
                             " SELECT thumbnail, sealed FROM findings").fetchall()
        template = ws.template()
        report = load_report(ws)
        consent_record = ws.consent()
    assert migrations == [name for name, _ in MIGRATIONS]
    assert all(sealed == 1 and blob[:1] == vault.FORMAT for blob, sealed in rows)
    assert template is not None
    np.testing.assert_array_equal(template.faces[0].embedding, MARKER)
    assert report.accounts[0].findings[0].thumbnail_jpeg == JPEG
    assert consent_record is None
    assert len(list(keys.iterdir())) == 1
    # the plain bytes left the database and its WAL when they were sealed
    assert _leaks([home], _windows(MARKER.tobytes()) | _windows(JPEG)) == []
    with Workspace.open(home) as ws:  # opening again seals nothing twice
        again = ws.db.execute("SELECT embedding FROM reference_faces").fetchone()[0]
    assert again == rows[0][0]


# -- forget ----------------------------------------------------------------------------------
def test_forget_leaves_no_template_bytes_in_the_workspace_or_the_key_folder(tmp_path, keys):
    """The README's story: enrol (dlib, the demo person), forget, and nothing of the face is left."""
    from faceaudit.compare.engines.dlib_engine import DlibEngine
    from faceaudit.compare.reference import ReferencePhoto, build_template
    from faceaudit.demo.photos import reference_photos

    home, refs = tmp_path / "ws", tmp_path / "refs"
    refs.mkdir()
    for name, data in reference_photos():
        (refs / name).write_bytes(data)
    photos = sorted(str(p) for p in refs.iterdir())
    plain = [np.asarray(f.embedding, np.float32).tobytes() for f in
             build_template(DlibEngine(), [ReferencePhoto(Path(p).name, Path(p).read_bytes()) for p in photos]).faces]

    assert faceaudit(home, "consent", "--accept").code == 0
    # A second connection held open keeps SQLite from folding its WAL away: the WAL is checked too.
    keeper = sqlite3.connect(home / DB_NAME)
    keeper.execute("SELECT COUNT(*) FROM consent").fetchone()
    result = faceaudit(home, "enroll", "--engine", "dlib", *photos)
    assert result.code == 0, result.err
    assert (home / f"{DB_NAME}-wal").stat().st_size > 0
    plain_windows = set().union(*map(_windows, plain))
    assert _leaks([home], plain_windows) == []  # the embeddings never reach the disk in the clear
    keeper.close()

    with Workspace.open(home) as ws:
        workspace_id = ws.id
        stored = ws.db.execute("SELECT photo_sha256, embedding FROM reference_faces ORDER BY id").fetchall()
        template = ws.template()
    assert template is not None
    assert sorted(f.embedding.tobytes() for f in template.faces) == sorted(plain)
    key_path = keys / f"{workspace_id}.key"
    assert key_path.is_file()
    # without the key the stored rows are noise: a wrong key fails, and no key is no template
    for sha, sealed in stored:
        with pytest.raises(InvalidTag):
            AESGCM(os.urandom(32)).decrypt(sealed[1:13], sealed[13:], None)
        with pytest.raises(WorkspaceError, match="cannot be decrypted"):
            vault.Vault(workspace_id, os.urandom(32), vault.KeyStore("file", "?")).unseal(sealed, vault.EMBEDDING, sha)
    sealed_windows = set().union(*(_windows(row[1]) for row in stored))
    assert _leaks([home], sealed_windows) == [str(home / DB_NAME)]

    result = faceaudit(home, "forget", "--yes")
    assert result.code == 0, result.err
    assert f"Destroyed the face template key in the key file {key_path}" in result.out
    assert not key_path.exists()
    assert [p for p in home.rglob("*") if p.is_file()] == []
    assert _leaks([home, keys], plain_windows | sealed_windows) == []


# -- retention -------------------------------------------------------------------------------
def _backdate(home: Path, days: int) -> None:
    stamp = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)).isoformat(timespec="seconds")
    with Workspace.open(home) as ws:
        ws.db.execute("UPDATE consent SET accepted_at = ?", (stamp,))
        ws.db.execute("UPDATE template SET created_at = ?", (stamp,))


def test_past_the_retention_period_scan_and_check_ask_for_consent_again(tmp_path, keys):
    home = tmp_path / "ws"
    _enrol_marker(home)
    (tmp_path / "me.jpg").write_bytes(b"")
    _backdate(home, 89)
    assert faceaudit(home, "scan").code == ExitCode.USAGE  # still in time: on to "no accounts listed"
    _backdate(home, 91)
    for command in (["scan"], ["check", str(tmp_path / "me.jpg")]):
        result = faceaudit(home, *command)
        assert result.code == ExitCode.CONSENT, result.err
        assert "past its retention period" in result.err and "90 days" in result.err
        assert "faceaudit consent --accept" in result.err and "faceaudit forget" in result.err
    assert faceaudit(home, "consent", "--accept").code == 0  # a new period starts
    assert faceaudit(home, "scan").code == ExitCode.USAGE


def test_the_retention_period_counts_from_the_later_of_consent_and_enrolment(tmp_path, keys, monkeypatch):
    home = tmp_path / "ws"
    result = faceaudit(home, "consent", "--accept", "--retention-days", "7")
    assert result.code == 0 and "kept for 7 days" in result.out
    assert faceaudit(home, "consent", "--accept").out.count("kept for 7 days") == 1  # the choice is kept
    with Workspace.open(home) as ws:
        ws.db.execute("UPDATE consent SET accepted_at = '2026-01-01T00:00:00+00:00'")
        ws.save_template("dlib", {}, [ReferenceFace("me.jpg", "ab" * 32, MARKER, 1.0, 200)])
        ws.db.execute("UPDATE template SET created_at = '2026-01-05T00:00:00+00:00'")
        period = consent.retention(ws)
        assert period is not None and period.counted_from == "enrolment"
        assert period.until == dt.datetime(2026, 1, 12, tzinfo=dt.timezone.utc)
        consent.require(ws, at=dt.datetime(2026, 1, 11, 23, tzinfo=dt.timezone.utc))
        with pytest.raises(consent.ConsentRequired, match="7 days from your enrolment on 2026-01-05"):
            consent.require(ws, at=dt.datetime(2026, 1, 12, tzinfo=dt.timezone.utc))
    monkeypatch.setattr(consent, "clock", lambda: dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc))
    assert faceaudit(home, "scan").code == ExitCode.CONSENT
    assert faceaudit(home, "consent", "--accept", "--retention-days", "0").code == ExitCode.USAGE


def test_the_report_says_the_template_is_past_retention(tmp_path, keys):
    home = tmp_path / "ws"
    _enrol_marker(home)
    with Workspace.open(home) as ws:
        ws.finish_scan(ws.start_scan("dlib"), "complete")
    assert "past its retention period" not in faceaudit(home, "report").out
    _backdate(home, 120)
    result = faceaudit(home, "report")
    assert result.code == 0, result.err
    assert "past its retention period" in result.out and "faceaudit consent --accept" in result.out
    data = json.loads(faceaudit(home, "report", "--json").out)
    assert data["retention"]["expired"] is True and data["retention"]["days"] == 90
