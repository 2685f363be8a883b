"""The workspace: one private folder with one SQLite database holding everything faceaudit keeps.

It is the one place that writes to disk. The folder is 0700 and every file 0600; the database
runs in WAL mode with secure_delete on, so deleted rows are overwritten, and `forget` wipes,
checkpoints, vacuums and then removes the files. The user's face (reference embeddings and
thumbnails) is stored only sealed by `vault.py`, whose key is kept outside this folder; a
workspace from before that is sealed once, when it is first opened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import sqlite3
import stat
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from faceaudit import vault
from faceaudit.errors import UsageError, WorkspaceError
from faceaudit.thresholds import Thresholds
from faceaudit.types import (
    Analysis,
    Box,
    CrawlCost,
    CrawlResult,
    Finding,
    ImageMetadata,
    ImageRecord,
    ImageStatus,
    ReferenceFace,
    Template,
    Validators,
    Verdict,
)

DB_NAME = "faceaudit.db"
LOCK_NAME = "scan.lock"
# Every file faceaudit makes in the workspace folder: the database, the files SQLite keeps
# beside it, and the scan lock (the key lives elsewhere, vault.py; reports where the user says).
# Opening restricts exactly these to 0600 and `forget` deletes exactly these: never another file.
OWN_FILES = (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal", LOCK_NAME)
FOLDER_HINT = "set FACEAUDIT_HOME (or --home) to a new or empty folder of your own"
MOVE_ASIDE_HINT = "move it aside (or delete it) to start a new workspace there"

# Numbered migrations: append only. Each runs once, in order, recorded in schema_migrations.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "001_initial",
        """
        CREATE TABLE consent (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version TEXT NOT NULL, text_sha256 TEXT NOT NULL, accepted_at TEXT NOT NULL,
            purpose TEXT NOT NULL, attestation TEXT NOT NULL, method TEXT NOT NULL);
        CREATE TABLE template (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            engine TEXT NOT NULL, engine_info TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE TABLE reference_faces (
            id INTEGER PRIMARY KEY, photo_name TEXT NOT NULL, photo_sha256 TEXT NOT NULL,
            embedding BLOB NOT NULL, det_score REAL NOT NULL, face_px INTEGER NOT NULL,
            added_at TEXT NOT NULL);
        CREATE TABLE accounts (
            id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, site TEXT NOT NULL,
            added_at TEXT NOT NULL);
        CREATE TABLE scans (
            id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,
            status TEXT NOT NULL, engine TEXT NOT NULL);
        CREATE TABLE scan_accounts (
            scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
            account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            stop TEXT NOT NULL, stop_detail TEXT NOT NULL, pages_visited INTEGER NOT NULL,
            indexable INTEGER, notes TEXT NOT NULL, done INTEGER NOT NULL,
            PRIMARY KEY (scan_id, account_id));
        CREATE TABLE images (
            id INTEGER PRIMARY KEY,
            scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
            account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            url TEXT NOT NULL, page_url TEXT NOT NULL, kind TEXT NOT NULL, found_by TEXT NOT NULL,
            alt TEXT NOT NULL, sha256 TEXT, status TEXT NOT NULL, error TEXT,
            faces INTEGER NOT NULL, other_faces INTEGER NOT NULL, metadata TEXT NOT NULL,
            UNIQUE (scan_id, account_id, url));
        CREATE TABLE findings (
            id INTEGER PRIMARY KEY,
            image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
            verdict TEXT NOT NULL, similarity REAL NOT NULL, box TEXT NOT NULL,
            face_px INTEGER NOT NULL, det_score REAL NOT NULL, recognisability INTEGER NOT NULL,
            thumbnail BLOB);
        """,
    ),
    (
        "002_reference_pose",
        "ALTER TABLE reference_faces ADD COLUMN frontal REAL NOT NULL DEFAULT 1.0",
    ),
    (
        "003_account_facts",
        """
        ALTER TABLE scan_accounts ADD COLUMN facts TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE images ADD COLUMN posted_at TEXT NOT NULL DEFAULT '';
        """,
    ),
    (
        # The template and thumbnails are sealed (vault.py); rows from before stay plain until
        # `_seal_plain_rows` seals them on open. The workspace id names its key.
        "004_sealed_template",
        """
        CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO settings VALUES ('workspace_id', lower(hex(randomblob(16))));
        ALTER TABLE reference_faces ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE findings ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE consent ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 90;
        """,
    ),
    (
        # A scan records what its analyses depend on (scan.analysis_key): a later scan with the
        # same key copies the analysis of bytes it has seen before instead of analysing again.
        "006_analysis_reuse",
        """
        ALTER TABLE scans ADD COLUMN analysis_key TEXT NOT NULL DEFAULT '';
        CREATE INDEX images_by_sha256 ON images (sha256);
        """,
    ),
    (
        # The thresholds a scan judged faces by, as JSON {"you": .., "maybe": ..}: the report
        # reads them from here ('' for scans from before, which report the engine's current ones).
        "007_scan_thresholds",
        "ALTER TABLE scans ADD COLUMN thresholds TEXT NOT NULL DEFAULT ''",
    ),
    (
        # The pages each account's crawl read, in order (CrawlResult.visited), as a JSON list.
        "008_pages_visited",
        "ALTER TABLE scan_accounts ADD COLUMN pages TEXT NOT NULL DEFAULT '[]'",
    ),
    (
        # What a server said identifies each image's bytes (ETag, Last-Modified): the next scan
        # asks "changed since?" and a 304 costs no download and no analysis. And what each
        # account's crawl cost the platform (CrawlCost); NULL for scans from before it was counted.
        "009_conditional_requests",
        """
        ALTER TABLE images ADD COLUMN etag TEXT NOT NULL DEFAULT '';
        ALTER TABLE images ADD COLUMN last_modified TEXT NOT NULL DEFAULT '';
        ALTER TABLE scan_accounts ADD COLUMN requests INTEGER;
        ALTER TABLE scan_accounts ADD COLUMN bytes_received INTEGER;
        ALTER TABLE scan_accounts ADD COLUMN not_modified INTEGER;
        """,
    ),
]

DEFAULT_RETENTION_DAYS = 90


def default_home() -> Path:
    env = os.environ.get("FACEAUDIT_HOME")
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir("faceaudit", appauthor=False))


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def peek_id(home: Path) -> str | None:
    """The id of the workspace in `home`, read without creating or migrating anything."""
    path = home.expanduser() / DB_NAME
    if not path.is_file():
        return None
    try:
        # immutable: a look leaves no -wal or -shm behind (the id is written once, when the workspace is made)
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            row = db.execute("SELECT value FROM settings WHERE name = 'workspace_id'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None  # not a workspace yet, or one from before its key existed
    return None if row is None else str(row[0])


def problem(home: Path) -> WorkspaceError | None:
    """Why `home` cannot be used as a workspace, or None when it can: the checks `Workspace.open`
    makes before it changes anything, made here without creating or changing a file (`doctor`)."""
    home = home.expanduser()
    path = home / DB_NAME
    try:
        _check_folder(home)
        _check_files(home)
        if not path.exists():
            return None
        # immutable: reading must not leave a -wal or -shm behind (the schema is in the file itself)
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            _check_schema(db, path)
        finally:
            db.close()
    except WorkspaceError as refused:
        return refused
    except sqlite3.DatabaseError as exc:
        return _unopenable(path, exc)
    except OSError as exc:
        return _unusable_folder(home, exc)
    return None


def _check_folder(home: Path) -> None:
    """The folder is new, empty, or already a workspace, and the user's own and unshared: opening
    makes it 0700, which must never happen to /tmp, another user's folder or the user's documents."""
    try:
        info = home.stat()  # a link to a folder is judged by the folder
    except FileNotFoundError:
        return  # `open` makes it
    if not stat.S_ISDIR(info.st_mode):
        raise WorkspaceError(f"the workspace {home} is not a folder", FOLDER_HINT)
    if info.st_uid != os.getuid():
        raise WorkspaceError(f"the folder {home} belongs to another user: faceaudit keeps its workspace "
                             "only in a folder of your own", FOLDER_HINT)
    if info.st_mode & (stat.S_IWOTH | stat.S_ISVTX):
        own = os.path.lexists(home / DB_NAME)  # a workspace whose folder was opened up: say how to close it
        raise WorkspaceError(f"the folder {home} is shared (anyone may write to it, like /tmp): faceaudit "
                             "would make it private to you",
                             f"if it is your workspace, make it private (chmod 700 {home}); else {FOLDER_HINT}"
                             if own else FOLDER_HINT)
    if os.path.lexists(home / DB_NAME):
        return  # an existing workspace: files the user put beside it are theirs, left alone
    foreign = sorted(p.name for p in home.iterdir() if p.name not in OWN_FILES)
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise WorkspaceError(f"the folder {home} holds files that are not faceaudit's ({foreign[0]!r}{more}): "
                             "it is not a faceaudit workspace", FOLDER_HINT)


def _check_files(home: Path) -> None:
    """faceaudit's own files are regular files, and the database is not empty: a link would let
    opening or `forget` reach outside the folder, a FIFO would hang it, and SQLite would silently
    make a new workspace of a 0-byte database, orphaning the key of the template it held."""
    for name in OWN_FILES:
        path = home / name
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode):
            raise WorkspaceError(f"{path} is a symbolic link: faceaudit does not follow links in its workspace",
                                 f"put the file itself there instead of the link, or {MOVE_ASIDE_HINT}")
        if not stat.S_ISREG(info.st_mode):
            raise WorkspaceError(f"{path} is not a regular file", MOVE_ASIDE_HINT)
        if name == DB_NAME and info.st_size == 0:
            raise WorkspaceError(f"the workspace database {path} is empty (0 bytes): it is damaged, or was "
                                 "never a faceaudit workspace", MOVE_ASIDE_HINT)


def _check_schema(db: sqlite3.Connection, path: Path) -> None:
    """An SQLite database with tables but no migrations is another program's: never migrate it.
    (No tables at all is a workspace whose making was interrupted: it is made again.)"""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables and "schema_migrations" not in tables:
        raise WorkspaceError(f"{path} is an SQLite database, but not a faceaudit workspace", MOVE_ASIDE_HINT)


def _unopenable(path: Path, exc: sqlite3.DatabaseError) -> WorkspaceError:
    if _disk_full(exc):
        return _write_failed(path, exc)
    # Not "run `faceaudit forget`": forget opens the database first, and this one cannot be opened.
    return WorkspaceError(f"the workspace database at {path} cannot be opened: {exc}",
                          f"if it is damaged, {MOVE_ASIDE_HINT}")


def _unusable_folder(home: Path, exc: OSError) -> WorkspaceError:
    return WorkspaceError(f"cannot use the workspace folder {home}: {exc.strerror}",
                          "set FACEAUDIT_HOME to a folder you can write to")


def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return "disk is full" in str(exc)  # SQLite's SQLITE_FULL: "database or disk is full"


def _storage_failure(exc: sqlite3.DatabaseError) -> bool:
    """A write SQLite could not make (disk full, I/O error, read-only, locked, damaged file), as
    opposed to a mistake in faceaudit's SQL (constraints, misuse), which stays a bug."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


def _write_failed(path: Path, exc: BaseException, *, undone: bool = True) -> WorkspaceError:
    """A failed write as one line and a hint; `undone`: it was rolled back, so nothing is half-written."""
    full = _disk_full(exc)
    reason = "the disk is full" if full else (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc))
    fix = ("free some disk space (or set FACEAUDIT_HOME to a folder on a disk with room)" if full
           else "check that the disk holding it is writable and healthy")
    then = "and try again: nothing was changed" if undone else "and run the command again"
    return WorkspaceError(f"could not write to the workspace database {path}: {reason}", f"{fix} {then}")


@dataclass(frozen=True)
class ConsentRecord:
    version: str
    text_sha256: str
    accepted_at: str
    purpose: str
    attestation: str
    method: str
    retention_days: int = DEFAULT_RETENTION_DAYS  # how long the template may be kept (consent.py)


@dataclass(frozen=True)
class Account:
    id: int
    url: str
    site: str
    added_at: str


class Workspace:
    """Open with `Workspace.open(path)`; use as a context manager to close it."""

    def __init__(self, home: Path, db: sqlite3.Connection) -> None:
        self.home = home
        self.db = db
        self._vault: vault.Vault | None = None

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, home: Path | None = None) -> Workspace:
        """The workspace in `home`, made there when the folder is new or empty. A folder that is
        shared, another user's, or full of other things, and a database that is a link, empty
        or another program's, are refused (`problem`) before anything is changed."""
        home = (home or default_home()).expanduser()
        try:
            _check_folder(home)
            _check_files(home)
            home.mkdir(mode=0o700, parents=True, exist_ok=True)
            home.chmod(0o700)
            old_umask = os.umask(0o077)
            try:
                db = sqlite3.connect(home / DB_NAME, timeout=10, isolation_level=None)
            finally:
                os.umask(old_umask)
            try:
                workspace = cls._prepare(home, db)
            except BaseException:
                db.close()
                raise
        except sqlite3.DatabaseError as exc:
            raise _unopenable(home / DB_NAME, exc) from exc
        except OSError as exc:
            raise _unusable_folder(home, exc) from exc
        return workspace

    @classmethod
    def _prepare(cls, home: Path, db: sqlite3.Connection) -> Workspace:
        """Check, configure and migrate a newly connected database; its files made 0600."""
        old_umask = os.umask(0o077)
        try:
            _check_schema(db, home / DB_NAME)  # before the first write: another program's database stays as it was
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA secure_delete = ON")
            db.execute("PRAGMA foreign_keys = ON")
            workspace = cls(home, db)
            workspace._migrate()
            workspace._seal_plain_rows()
        finally:
            os.umask(old_umask)
        workspace._restrict_files()
        return workspace

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in self.db.execute("SELECT name FROM schema_migrations")}
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.transaction():
                for statement in sql.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (name, now()))

    # -- the sealed template ------------------------------------------------------------------
    @property
    def id(self) -> str:
        """A random id, made when the workspace was; it names the workspace's key (vault.py)."""
        row = self.db.execute("SELECT value FROM settings WHERE name = 'workspace_id'").fetchone()
        if row is None:
            raise WorkspaceError("this workspace has lost its id", vault.FORGET_HINT)
        return str(row[0])

    def _has_sealed_rows(self) -> bool:
        return self.db.execute(
            "SELECT 1 FROM reference_faces WHERE sealed = 1 UNION ALL SELECT 1 FROM findings WHERE sealed = 1"
            " LIMIT 1").fetchone() is not None

    def _vault_to_read(self) -> vault.Vault:
        if self._vault is None:
            self._vault = vault.load(self.id)
        if self._vault is None:
            raise vault.missing_key(self.id)
        return self._vault

    def _vault_to_write(self) -> vault.Vault:
        """The key, made on first use. Never a new key while data sealed with a lost one is here:
        that would silently replace the user's template."""
        if self._vault is None:
            self._vault = vault.load(self.id)
        if self._vault is None:
            if self._has_sealed_rows():
                raise vault.missing_key(self.id)
            self._vault = vault.create(self.id, self.home)
        return self._vault

    def _seal_plain_rows(self) -> None:
        """Seal what a workspace from before `004_sealed_template` holds in the clear, once, then
        checkpoint and vacuum so the plain bytes leave the database and its WAL."""
        faces = self.db.execute("SELECT id, photo_sha256, embedding FROM reference_faces WHERE sealed = 0").fetchall()
        thumbs = self.db.execute(
            "SELECT id, image_id, thumbnail FROM findings WHERE sealed = 0 AND thumbnail IS NOT NULL").fetchall()
        if not faces and not thumbs:
            return
        box = self._vault_to_write()
        with self.transaction() as db:
            for row in faces:
                db.execute("UPDATE reference_faces SET embedding = ?, sealed = 1 WHERE id = ?",
                           (box.seal(row["embedding"], vault.EMBEDDING, row["photo_sha256"]), row["id"]))
            for row in thumbs:
                db.execute("UPDATE findings SET thumbnail = ?, sealed = 1 WHERE id = ?",
                           (box.seal(row["thumbnail"], vault.THUMBNAIL, str(row["image_id"])), row["id"]))
        self._scrub()

    def _scrub(self) -> None:
        """Fold the WAL into the database, rewrite the file without free pages, empty the WAL."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.execute("VACUUM")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _restrict_files(self) -> None:
        """faceaudit's own files 0600, and only those: another file in the folder is the user's,
        and a link is never followed (its target may be anywhere)."""
        for name in OWN_FILES:
            path = self.home / name
            try:
                info = path.lstat()
            except FileNotFoundError:
                continue
            if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) != 0o600:
                path.chmod(0o600)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write. A write SQLite cannot make (a full disk, an I/O error, a locked or
        read-only file) is rolled back and ends as a WorkspaceError with a hint, never a traceback."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        except sqlite3.DatabaseError as exc:
            if not _storage_failure(exc):
                raise
            raise _write_failed(self.home / DB_NAME, exc) from exc

    def _rollback(self) -> None:
        """Undo the open transaction, unless SQLite already has (it does after some errors, a full
        disk among them, and a second ROLLBACK would hide the first error behind its own)."""
        if self.db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")

    @contextlib.contextmanager
    def scan_lock(self) -> Iterator[None]:
        """One scan at a time per workspace; the lock dies with the process (kill -9 included)."""
        with self._lock(WorkspaceError(
            "another faceaudit scan is running on this workspace",
            "wait for it to finish, or stop it; a stopped scan resumes with `faceaudit scan`",
        )):
            yield

    @contextlib.contextmanager
    def _lock(self, busy: WorkspaceError) -> Iterator[None]:
        """The workspace's lock (fcntl on scan.lock), held while the block runs; `busy` is raised
        at once when another holder (a scan, in this process or another) has it."""
        old_umask = os.umask(0o077)
        try:
            handle = (self.home / LOCK_NAME).open("w")
        except OSError as exc:
            raise _unusable_folder(self.home, exc) from exc
        finally:
            os.umask(old_umask)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.close()
            raise busy from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    # -- consent -----------------------------------------------------------------------------
    def consent(self) -> ConsentRecord | None:
        row = self.db.execute("SELECT * FROM consent WHERE id = 1").fetchone()
        if row is None:
            return None
        return ConsentRecord(row["version"], row["text_sha256"], row["accepted_at"],
                             row["purpose"], row["attestation"], row["method"], row["retention_days"])

    def record_consent(self, record: ConsentRecord) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM consent")
            db.execute(
                "INSERT INTO consent (id, version, text_sha256, accepted_at, purpose, attestation, method,"
                " retention_days) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
                (record.version, record.text_sha256, record.accepted_at, record.purpose,
                 record.attestation, record.method, record.retention_days),
            )

    # -- template ----------------------------------------------------------------------------
    def template(self) -> Template | None:
        """The enrolled template, unsealed; WorkspaceError when its key is missing or wrong."""
        row = self.db.execute("SELECT * FROM template WHERE id = 1").fetchone()
        if row is None:
            return None
        import numpy as np  # here, not at the top: commands that never read the template start faster

        faces = [
            ReferenceFace(r["photo_name"], r["photo_sha256"],
                          np.frombuffer(self._embedding_bytes(r), dtype=np.float32).copy(),
                          r["det_score"], r["face_px"], r["frontal"])
            for r in self.db.execute("SELECT * FROM reference_faces ORDER BY id").fetchall()
        ]
        return Template(row["engine"], json.loads(row["engine_info"]), row["created_at"], faces)

    def enrolled_at(self) -> str | None:
        """When the template was made (not changed by `enroll --add`); None before enrolment."""
        row = self.db.execute("SELECT created_at FROM template WHERE id = 1").fetchone()
        return None if row is None else str(row[0])

    def _embedding_bytes(self, row: sqlite3.Row) -> bytes:
        if not row["sealed"]:
            return bytes(row["embedding"])
        return self._vault_to_read().unseal(row["embedding"], vault.EMBEDDING, row["photo_sha256"])

    def thumbnail(self, row: sqlite3.Row) -> bytes | None:
        """The JPEG of a `findings` row (with its `thumbnail`, `sealed` and `image_id`), unsealed."""
        stored: bytes | None = row["thumbnail"]
        if stored is None or not row["sealed"]:
            return stored
        return self._vault_to_read().unseal(row["thumbnail"], vault.THUMBNAIL, str(row["image_id"]))

    def thumbnails(self) -> list[tuple[int, bytes]]:
        """(finding id, JPEG) of every stored thumbnail of the user's face, unsealed."""
        rows = self.db.execute("SELECT id, image_id, thumbnail, sealed FROM findings"
                               " WHERE thumbnail IS NOT NULL ORDER BY id").fetchall()
        return [(row["id"], self.thumbnail(row) or b"") for row in rows]

    def save_template(self, engine: str, engine_info: dict[str, Any], faces: Sequence[ReferenceFace], *, add: bool = False) -> None:
        """Store the reference faces, sealed; replaces the template unless `add` (same engine only)."""
        import numpy as np  # here, not at the top: commands that never write the template start faster

        box = self._vault_to_write()
        with self.transaction() as db:
            if not add:
                db.execute("DELETE FROM reference_faces")
                db.execute("DELETE FROM template")
                db.execute("INSERT INTO template VALUES (1, ?, ?, ?)", (engine, json.dumps(engine_info), now()))
            for face in faces:
                db.execute(
                    "INSERT INTO reference_faces (photo_name, photo_sha256, embedding, det_score, face_px,"
                    " frontal, added_at, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                    (face.photo_name, face.photo_sha256,
                     box.seal(np.asarray(face.embedding, np.float32).tobytes(), vault.EMBEDDING, face.photo_sha256),
                     face.det_score, face.face_px, face.frontal, now()),
                )

    # -- accounts ----------------------------------------------------------------------------
    def accounts(self) -> list[Account]:
        return [Account(r["id"], r["url"], r["site"], r["added_at"])
                for r in self.db.execute("SELECT * FROM accounts ORDER BY id")]

    def add_account(self, url: str, site: str) -> Account:
        with self.transaction() as db:
            existing = db.execute("SELECT * FROM accounts WHERE url = ?", (url,)).fetchone()
            if existing is None:
                db.execute("INSERT INTO accounts (url, site, added_at) VALUES (?, ?, ?)", (url, site, now()))
        row = self.db.execute("SELECT * FROM accounts WHERE url = ?", (url,)).fetchone()
        return Account(row["id"], row["url"], row["site"], row["added_at"])

    def remove_account(self, url: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM accounts WHERE url = ?", (url,)).rowcount > 0

    # -- scans -------------------------------------------------------------------------------
    def unfinished_scan(self) -> int | None:
        row = self.db.execute(
            "SELECT id FROM scans WHERE status IN ('running', 'interrupted') ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else int(row["id"])

    def start_scan(self, engine: str, thresholds: Thresholds | None = None) -> int:
        """A new running scan by `engine`, judging faces by `thresholds` (recorded for the report)."""
        recorded = "" if thresholds is None else json.dumps({"you": thresholds.you, "maybe": thresholds.maybe})
        with self.transaction() as db:
            cursor = db.execute("INSERT INTO scans (started_at, status, engine, thresholds) VALUES (?, 'running', ?, ?)",
                                (now(), engine, recorded))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish_scan(self, scan_id: int, status: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE scans SET status = ?, finished_at = ? WHERE id = ?", (status, now(), scan_id))

    def latest_scan(self) -> sqlite3.Row | None:
        recent = self.recent_scans(1)
        return recent[0] if recent else None

    def recent_scans(self, count: int) -> list[sqlite3.Row]:
        """The `count` latest scans, newest first."""
        return list(self.db.execute("SELECT * FROM scans ORDER BY id DESC LIMIT ?", (count,)))

    def account_done(self, scan_id: int, account_id: int) -> bool:
        row = self.db.execute("SELECT done FROM scan_accounts WHERE scan_id = ? AND account_id = ?",
                              (scan_id, account_id)).fetchone()
        return bool(row and row["done"])

    def record_account_result(self, scan_id: int, account_id: int, result: CrawlResult, *, done: bool = True) -> None:
        """How the crawl of one account ended; `done` accounts are skipped when a scan resumes."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO scan_accounts (scan_id, account_id, stop, stop_detail, pages_visited,"
                " indexable, notes, done, facts, pages, requests, bytes_received, not_modified)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (scan_id, account_id, result.stop.value, result.detail, result.pages_visited,
                 None if result.indexable is None else int(result.indexable), json.dumps(result.notes), int(done),
                 json.dumps(result.facts, sort_keys=True), json.dumps(result.visited), *_cost_columns(result.cost)),
            )

    def recorded_urls(self, scan_id: int, account_id: int) -> set[str]:
        rows = self.db.execute("SELECT url FROM images WHERE scan_id = ? AND account_id = ?", (scan_id, account_id))
        return {row[0] for row in rows}

    def image_validators(self, key: str) -> dict[str, Validators]:
        """Image URL -> what its server said of its bytes, from the latest scan that recorded it
        with analysis key `key`, for bytes that such a scan analysed: a 304 for one of these URLs
        can reuse that analysis (`reusable_analysis`). Empty when `key` is empty."""
        if not key:
            return {}
        rows = self.db.execute(
            "SELECT i.url, i.sha256, i.etag, i.last_modified FROM images i JOIN scans s ON s.id = i.scan_id"
            " WHERE s.analysis_key = ? AND i.sha256 IS NOT NULL AND (i.etag != '' OR i.last_modified != '')"
            " AND EXISTS (SELECT 1 FROM images a JOIN scans t ON t.id = a.scan_id"
            "  WHERE a.sha256 = i.sha256 AND a.status = 'analysed' AND t.analysis_key = ?)"
            " ORDER BY i.id",
            (key, key))
        return {row["url"]: Validators(row["sha256"], row["etag"], row["last_modified"]) for row in rows}

    def analysed_before(self, scan_id: int, account_id: int, sha256: str) -> bool:
        """Whether the same image bytes were already analysed for this account in this scan."""
        return self.db.execute(
            "SELECT 1 FROM images WHERE scan_id = ? AND account_id = ? AND sha256 = ? AND status = 'analysed'",
            (scan_id, account_id, sha256),
        ).fetchone() is not None

    def analysis_key(self, scan_id: int) -> str:
        row = self.db.execute("SELECT analysis_key FROM scans WHERE id = ?", (scan_id,)).fetchone()
        return "" if row is None else str(row[0])

    def set_analysis_key(self, scan_id: int, key: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE scans SET analysis_key = ? WHERE id = ?", (key, scan_id))

    def reusable_analysis(self, key: str, sha256: str) -> Analysis | None:
        """The stored analysis of these image bytes by any scan with analysis key `key` (same
        engine, model, thresholds and template): the image's face counts and metadata, and the
        user's findings with their thumbnails unsealed. None when there is none (or `key` is empty)."""
        if not key:
            return None
        row = self.db.execute(
            "SELECT i.id, i.faces, i.other_faces, i.metadata FROM images i JOIN scans s ON s.id = i.scan_id"
            " WHERE i.sha256 = ? AND i.status = 'analysed' AND s.analysis_key = ? ORDER BY i.id DESC LIMIT 1",
            (sha256, key)).fetchone()
        if row is None:
            return None
        findings = [finding_from_row(f, self.thumbnail(f))
                    for f in self.db.execute("SELECT * FROM findings WHERE image_id = ? ORDER BY id", (row["id"],))]
        return Analysis(ImageStatus.ANALYSED, None, row["faces"], row["other_faces"],
                        ImageMetadata.from_dict(json.loads(row["metadata"])), findings)

    def record_image(self, scan_id: int, account_id: int, record: ImageRecord) -> None:
        """One analysed (or failed) image and the user's faces in it, in one transaction, so a
        killed scan never leaves an image half-recorded. Thumbnails (the user's face) are sealed."""
        c, result = record.candidate, record.analysis
        box = self._vault_to_write() if any(f.thumbnail is not None for f in result.findings) else None
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO images (scan_id, account_id, url, page_url, kind, found_by, alt, sha256, status,"
                " error, faces, other_faces, metadata, posted_at, etag, last_modified)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (scan_id, account_id, c.url, c.page_url, c.kind.value, c.found_by, c.alt, record.sha256,
                 result.status.value, result.error, result.faces, result.other_faces,
                 json.dumps(result.metadata.as_dict()), c.posted_at, record.etag, record.last_modified),
            )
            for finding in result.findings:
                thumbnail = finding.thumbnail
                if thumbnail is not None and box is not None:
                    thumbnail = box.seal(thumbnail, vault.THUMBNAIL, str(cursor.lastrowid))
                db.execute(
                    "INSERT INTO findings (image_id, verdict, similarity, box, face_px, det_score,"
                    " recognisability, thumbnail, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (cursor.lastrowid, finding.verdict.value, finding.similarity, json.dumps(finding.box.as_list()),
                     finding.face_px, finding.det_score, finding.recognisability,
                     thumbnail, int(thumbnail is not None)),
                )

    # -- forget ------------------------------------------------------------------------------
    def forget(self) -> list[vault.KeyStore]:
        """Delete everything: rows overwritten (secure_delete), WAL truncated, file vacuumed,
        faceaudit's own files removed (OWN_FILES: never another file), the folder too when
        nothing else is left in it, and the template's key destroyed. Returns where the key was.
        Refused while a scan holds the lock: deleting its rows from under it would break it."""
        workspace_id = self.id
        with self._lock(WorkspaceError(
            "a faceaudit scan is running on this workspace: nothing was deleted",
            "stop the scan (Ctrl-C) or let it finish, then run `faceaudit forget` again",
        )):
            with self.transaction() as db:
                for table in ("findings", "images", "scan_accounts", "scans", "reference_faces",
                              "template", "accounts", "consent", "settings"):
                    db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            try:
                self._scrub()
            except sqlite3.DatabaseError as exc:  # the rows are overwritten, but the file is not yet compacted
                raise _write_failed(self.home / DB_NAME, exc, undone=False) from exc
            self.db.close()
            self._remove_own_files()
        with contextlib.suppress(OSError):  # not empty: what is left is not faceaudit's to delete
            self.home.rmdir()
        self._vault = None
        return vault.destroy(workspace_id)

    def _remove_own_files(self) -> None:
        try:
            for name in OWN_FILES:
                (self.home / name).unlink(missing_ok=True)  # a link would go, never its target
        except OSError as exc:
            raise WorkspaceError(f"could not delete {exc.filename}: {exc.strerror}",
                                 "make the workspace folder writable by you, then run `faceaudit forget` again") from exc


def _cost_columns(cost: CrawlCost | None) -> tuple[int | None, int | None, int | None]:
    """A crawl's cost as the scan_accounts columns hold it (NULLs: not measured)."""
    if cost is None:
        return None, None, None
    return cost.requests, cost.bytes_received, cost.not_modified


def finding_from_row(row: sqlite3.Row, thumbnail: bytes | None) -> Finding:
    """A `findings` row as the typed record it was stored from (`thumbnail` already unsealed)."""
    left, top, right, bottom = json.loads(row["box"])
    return Finding(verdict=Verdict(row["verdict"]), similarity=row["similarity"], box=Box(left, top, right, bottom),
                   face_px=row["face_px"], det_score=row["det_score"], recognisability=row["recognisability"],
                   thumbnail=thumbnail)


def report_target(path: str | os.PathLike[str]) -> Path:
    """Where a file the user asked for (`--html FILE`) may go: an existing regular file (replaced)
    or a new name in an existing folder. Anything else is refused before any work is done: the
    rename that writes the report would replace a device node, FIFO or socket with a regular file
    (as root, `--html /dev/null` would destroy /dev/null), and a folder, "" or "." fail half-way.
    A symlink is judged by what it points at. Refusals are usage errors (exit 2)."""
    raw = os.fspath(path)
    hint = "give the name of a new or regular file in an existing folder, e.g. --html report.html"
    if not raw.strip():
        raise UsageError("no file name given for the report", hint)
    if raw.replace(os.sep, "/").rsplit("/", 1)[-1] in ("", ".", ".."):  # "out/", ".", "..", "a/."
        raise UsageError(f"{raw} names a folder, not a file", hint)
    target = Path(raw).expanduser()
    try:
        mode: int | None = target.stat().st_mode  # follows symlinks: a link to /dev/null is /dev/null
    except OSError:
        mode = None  # nothing there (or a dangling link, which the rename replaces)
    if mode is not None and not stat.S_ISREG(mode):
        raise UsageError(f"{target} is {_file_kind(mode)}, not a file a report can be written to", hint)
    folder = target.parent
    if not folder.is_dir():
        where = "is not a folder" if folder.exists() else "does not exist"
        raise UsageError(f"cannot write {target}: the folder {folder} {where}",
                         f"create the folder first ({'mkdir -p ' + str(folder)}), or choose another one")
    return target


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def write_private(path: str | os.PathLike[str], data: bytes) -> None:
    """Write a file the user asked for (a report): 0600, next to its target, fsynced, renamed.
    The target is checked by `report_target` first; the temporary file has a fresh name, so
    nothing already next to the target is opened or truncated."""
    target = report_target(path)
    tmp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        tmp = Path(name)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(target)
    except OSError as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise WorkspaceError(f"cannot write {target}: {exc.strerror}", "choose a folder you can write to") from exc
