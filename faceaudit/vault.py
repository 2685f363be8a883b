"""The face template's key and its encryption: the one module that touches keys or does crypto.

The reference embeddings and the thumbnails of the user's face are sealed with AES-256-GCM: a
random 96-bit nonce per value, and associated data naming the workspace, what the value is and
the row it belongs to, so a sealed value moved to another row, column or workspace does not
open. The key never enters the workspace folder. It lives in the OS keyring when there is a
real one (macOS Keychain, Windows Credential Locker, Secret Service); otherwise in a 0600 key
file in a 0700 folder: `$FACEAUDIT_KEY_DIR` when set (then the keyring is not used), else
`<user config folder>/faceaudit/keys`. Destroying the key leaves anything that might survive
on disk unreadable.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import platformdirs

from faceaudit.errors import WorkspaceError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_DIR_ENV = "FACEAUDIT_KEY_DIR"
KEYRING_SERVICE = "faceaudit"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12
FORMAT = b"\x01"  # first byte of every sealed value: the layout below, version 1
_AAD_PREFIX = b"faceaudit sealed v1"
_WORKSPACE_ID = re.compile(r"[0-9a-f]{32}")

# What a sealed value is; part of its associated data.
EMBEDDING = "reference_faces.embedding"
THUMBNAIL = "findings.thumbnail"

FORGET_HINT = "run `faceaudit forget` and enrol again"


@dataclass(frozen=True)
class KeyStore:
    """Where a workspace's key is kept, or would be: the OS keyring, or a key file."""

    kind: Literal["keyring", "file"]
    where: str  # the keyring backend's name, or the key file's path

    def describe(self) -> str:
        if self.kind == "keyring":
            return f"the OS keyring ({self.where}), entry {KEYRING_SERVICE!r}"
        return f"the key file {self.where}"


class Vault:
    """Seals and unseals one workspace's values with its key."""

    def __init__(self, workspace_id: str, key: bytes, store: KeyStore) -> None:
        self.workspace_id = workspace_id
        self.store = store
        self._key = key
        self._cipher: AESGCM | None = None

    @property
    def _aead(self) -> AESGCM:
        """The cipher, made on first use: importing cryptography costs start-up time that
        commands which open a workspace but never seal or unseal (`report`, `accounts`) need not pay."""
        if self._cipher is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._cipher = AESGCM(self._key)
        return self._cipher

    def seal(self, plaintext: bytes, purpose: str, row: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return FORMAT + nonce + self._aead.encrypt(nonce, plaintext, self._aad(purpose, row))

    def unseal(self, sealed: bytes, purpose: str, row: str) -> bytes:
        if sealed[:1] != FORMAT or len(sealed) < 1 + NONCE_BYTES + 16:
            raise self._unreadable(purpose)
        nonce, body = sealed[1:1 + NONCE_BYTES], sealed[1 + NONCE_BYTES:]
        from cryptography.exceptions import InvalidTag

        try:
            return self._aead.decrypt(nonce, body, self._aad(purpose, row))
        except InvalidTag as exc:
            raise self._unreadable(purpose) from exc

    def _aad(self, purpose: str, row: str) -> bytes:
        return b"\x00".join(part.encode() if isinstance(part, str) else part
                            for part in (_AAD_PREFIX, self.workspace_id, purpose, row))

    def _unreadable(self, purpose: str) -> WorkspaceError:
        what = "face template" if purpose == EMBEDDING else "face thumbnails"
        return WorkspaceError(
            f"this workspace's {what} cannot be decrypted with the key in {self.store.describe()}: "
            "the key is not this workspace's, or the data is damaged",
            FORGET_HINT,
        )


# -- where keys live --------------------------------------------------------------------------
def key_dir() -> Path:
    env = os.environ.get(KEY_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir("faceaudit", appauthor=False)) / "keys"


def key_file(workspace_id: str) -> Path:
    return key_dir() / f"{_checked(workspace_id)}.key"


def usable_keyring() -> tuple[Any | None, str]:
    """(backend, its name) when the OS keyring can hold the key; (None, why not) otherwise."""
    if os.environ.get(KEY_DIR_ENV):
        return None, f"${KEY_DIR_ENV} is set: the key is kept in a file there"
    try:
        import keyring
        from keyring.backends import chainer, fail, null
        from keyring.errors import KeyringError
    except ImportError:
        return None, "the keyring package is not installed"
    try:
        backend = keyring.get_keyring()
        priority = float(backend.priority)
    except (KeyringError, RuntimeError) as exc:
        return None, f"the OS keyring cannot be used: {exc}"
    name = str(getattr(backend, "name", type(backend).__name__))
    if isinstance(backend, (fail.Keyring, null.Keyring)) or (
        isinstance(backend, chainer.ChainerBackend) and not backend.backends
    ):
        return None, f"no OS keyring is available (keyring backend: {name})"
    if priority < 1:  # e.g. keyrings.alt's plain files: no safer than our own 0600 key file
        return None, f"the keyring backend {name} is not an OS keyring"
    return backend, name


def locate(workspace_id: str) -> KeyStore | None:
    """Where this workspace's key is, or None when no key is stored."""
    found = _find(workspace_id)
    return None if found is None else found[1]


def default_store(workspace_id: str | None = None) -> KeyStore:
    """Where a new key would go."""
    backend, name = usable_keyring()
    if backend is not None:
        return KeyStore("keyring", name)
    return KeyStore("file", str(key_file(workspace_id) if workspace_id else key_dir() / "<workspace-id>.key"))


def places_looked(workspace_id: str) -> str:
    backend, name = usable_keyring()
    places = [f"the OS keyring ({name})"] if backend is not None else []
    return " and ".join([*places, str(key_file(workspace_id))])


def load(workspace_id: str) -> Vault | None:
    """This workspace's vault, or None when its key is stored nowhere."""
    found = _find(workspace_id)
    return None if found is None else Vault(workspace_id, *found)


def create(workspace_id: str, workspace_home: Path) -> Vault:
    """A new random key, stored in the keyring or else a key file outside `workspace_home`."""
    key = secrets.token_bytes(KEY_BYTES)
    backend, name = usable_keyring()
    if backend is not None and _keyring_set(backend, workspace_id, key):
        return Vault(workspace_id, key, KeyStore("keyring", name))
    path = key_file(workspace_id)
    if _inside(path, workspace_home):
        raise WorkspaceError(
            f"the key folder {path.parent} is inside the workspace folder {workspace_home}",
            f"set {KEY_DIR_ENV} to a folder outside the workspace, or unset it",
        )
    _write_key_file(path, key)
    return Vault(workspace_id, key, KeyStore("file", str(path)))


def missing_key(workspace_id: str) -> WorkspaceError:
    return WorkspaceError(
        f"the key for this workspace's face template is missing (looked in {places_looked(workspace_id)})",
        FORGET_HINT,
    )


def destroy(workspace_id: str) -> list[KeyStore]:
    """Delete the key wherever it is: the keyring entry, and the key file (overwritten first)."""
    destroyed = []
    backend, name = usable_keyring()
    if backend is not None:
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            if backend.get_password(KEYRING_SERVICE, _checked(workspace_id)) is not None:
                backend.delete_password(KEYRING_SERVICE, workspace_id)
                destroyed.append(KeyStore("keyring", name))
        except PasswordDeleteError:
            pass  # not there: nothing to delete
        except KeyringError as exc:
            raise WorkspaceError(f"could not delete the key from the OS keyring ({name}): {exc}",
                                 "unlock the keyring and run `faceaudit forget` again") from exc
    path = key_file(workspace_id)
    if path.exists():
        try:
            size = path.stat().st_size
            with path.open("r+b") as handle:
                handle.write(secrets.token_bytes(max(size, 64)))
                handle.flush()
                os.fsync(handle.fileno())
            path.unlink()
            _fsync_dir(path.parent)
        except OSError as exc:
            raise WorkspaceError(f"could not delete the key file {path}: {exc.strerror}",
                                 "delete it yourself, then run `faceaudit forget` again") from exc
        destroyed.append(KeyStore("file", str(path)))
    return destroyed


# -- the two stores ---------------------------------------------------------------------------
def _find(workspace_id: str) -> tuple[bytes, KeyStore] | None:
    backend, name = usable_keyring()
    if backend is not None:
        from keyring.errors import KeyringError

        try:
            text = backend.get_password(KEYRING_SERVICE, _checked(workspace_id))
        except KeyringError as exc:
            raise WorkspaceError(f"the OS keyring ({name}) holding the face template key cannot be read: {exc}",
                                 "unlock the keyring (log in to your desktop session) and try again") from exc
        if text is not None:
            return _decode(text, f"the OS keyring ({name})"), KeyStore("keyring", name)
    path = key_file(workspace_id)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"cannot read the key file {path}: {exc}",
                             "make it readable by you, or run `faceaudit forget` and enrol again") from exc
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # the key is for the user's eyes only
    return _decode(text, str(path)), KeyStore("file", str(path))


def _keyring_set(backend: Any, workspace_id: str, key: bytes) -> bool:
    """Store the key and read it back; False (use a key file) when the keyring refuses."""
    from keyring.errors import KeyringError

    text = base64.b64encode(key).decode("ascii")
    try:
        backend.set_password(KEYRING_SERVICE, _checked(workspace_id), text)
        return bool(backend.get_password(KEYRING_SERVICE, workspace_id) == text)
    except KeyringError:
        return False


def _write_key_file(path: Path, key: bytes) -> None:
    """0600 in a 0700 folder; written next to its target, fsynced, renamed."""
    tmp = path.with_name(f".{path.name}.tmp")
    old_umask = os.umask(0o077)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(base64.b64encode(key) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
        _fsync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)  # no half-written key left behind
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise WorkspaceError(f"cannot write the face template key to {path}: the disk is full",
                                 f"free some disk space (or set {KEY_DIR_ENV} to a folder on a disk with room) "
                                 "and try again: nothing was changed") from exc
        raise WorkspaceError(f"cannot write the face template key to {path}: {exc.strerror}",
                             f"set {KEY_DIR_ENV} to a folder you can write to, outside the workspace") from exc
    finally:
        os.umask(old_umask)


def _decode(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise WorkspaceError(f"the face template key in {where} is damaged", FORGET_HINT)
    return key


def _checked(workspace_id: str) -> str:
    if not _WORKSPACE_ID.fullmatch(workspace_id):
        raise WorkspaceError(f"the workspace id {workspace_id!r} is damaged", FORGET_HINT)
    return workspace_id


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
