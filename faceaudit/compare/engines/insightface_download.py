"""Getting an insightface model pack: downloaded through the network choke point, checked, unpacked safely.

The zip streams through `NetClient.download` (the network policy at every redirect hop, a byte
cap, SHA-256 computed on the way) into a temporary folder beside the pack folder. It is checked
against the SHA-256 pinned in `faceaudit/data/model_packs.json`, or, for a pack with none pinned,
trusted on first use with its hash shown. Then only its `.onnx` files are unpacked (no absolute
or `..` names, a size cap), the models are checked, and the finished folder is renamed into place,
with `faceaudit-pack.json` recording where it came from and each model's SHA-256 so that later
loads can tell when a model has changed. Any failure, Ctrl-C included, leaves no partial pack.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from faceaudit.errors import EngineUnavailable, NetworkError

if TYPE_CHECKING:
    from faceaudit.crawl.net import DownloadProgress, NetClient

MANIFEST = "faceaudit-pack.json"
OFFLINE_HINT = (
    "give an unpacked pack folder with --model-dir PATH, "
    "or use the offline engine with --engine sface"
)
DOWNLOAD_SLACK = 1.1  # the cap over the recorded size: a changed file fails on its checksum instead
UNPACK_RATIO = 2  # ONNX weights barely compress: buffalo_l is a 289 MB zip and 326 MB unpacked
MAX_MEMBERS = 64  # the buffalo zips hold five files

# (label, expected size in bytes) -> a context that shows progress while the download runs
ProgressDisplay = Callable[[str, int], AbstractContextManager["DownloadProgress"]]


@dataclass(frozen=True)
class ModelPack:
    """One downloadable pack: its zip's address, exact size and, when pinned, SHA-256."""

    name: str
    url: str
    size: int
    sha256: str | None

    @property
    def max_download(self) -> int:
        return int(self.size * DOWNLOAD_SLACK)

    @property
    def max_unpacked(self) -> int:
        return self.size * UNPACK_RATIO


def load_packs() -> dict[str, ModelPack]:
    data = json.loads(resources.files("faceaudit.data").joinpath("model_packs.json").read_text())
    return {name: ModelPack(name, entry["url"], int(entry["size"]), entry.get("sha256") or None)
            for name, entry in data["packs"].items()}


MODEL_PACKS = load_packs()


@dataclass(frozen=True)
class PackDownload:
    """What a pack download needs from its caller: the user's agreement, a network client that
    applies the caller's policy (the CLI builds one; tests point one at a local server), and
    where to show progress and the zip's hash.

    Calling it asks for the agreement: (pack, size in bytes) -> go ahead?
    """

    confirm: Callable[[str, int | None], bool]
    network: Callable[[], NetClient]
    progress: ProgressDisplay | None = None
    note: Callable[[str], None] | None = None

    def __call__(self, pack: str, size: int | None) -> bool:
        return self.confirm(pack, size)


def install_pack(pack: ModelPack, folder: Path, download: PackDownload,
                 missing: Callable[[Path], str]) -> None:
    """Download `pack` and make `folder` that pack, or raise EngineUnavailable with `folder` as
    it was. `missing(staged_folder)` says what the unpacked pack lacks ("" when complete)."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f".{pack.name}-download-", dir=folder.parent) as work:
            archive = Path(work) / f"{pack.name}.zip"
            digest = _fetch(pack, archive, download)
            checked = _check_digest(pack, digest)
            staged = Path(work) / pack.name
            models = unpack(archive, staged, max_bytes=pack.max_unpacked)
            archive.unlink()
            problem = missing(staged)
            if problem:
                raise EngineUnavailable(f"the downloaded insightface pack {pack.name} {problem}",
                                        OFFLINE_HINT)
            _write_manifest(staged, pack, digest, checked, models)
            _move_into_place(staged, folder, Path(work))
    except OSError as error:
        raise EngineUnavailable(
            f"could not write insightface pack {pack.name} in {folder.parent}: {error}",
            f"check the free space and permissions there; or {OFFLINE_HINT}",
        ) from error
    if download.note is not None:
        if checked == "pinned":
            download.note(f"{pack.name}.zip SHA-256 {digest}: matches the published value")
        else:
            download.note(
                f"{pack.name}.zip SHA-256 {digest}: no published value is pinned for this pack, so "
                f"compare it with one you trust; it is recorded in {folder / MANIFEST} and the "
                "models are checked against it on every load")


def unpack(archive: Path, folder: Path, *, max_bytes: int) -> dict[str, str]:
    """The `.onnx` files of a pack zip, flat, into the new folder `folder`: {name: SHA-256}.

    The whole zip is refused when any member name is absolute, climbs with `..`, or uses
    backslashes or a drive letter (even members that would not be taken), when it has too many
    members or two models with one name, or when more than `max_bytes` would be unpacked.
    """
    refuse = f"the downloaded {archive.name} was refused"
    folder.mkdir()
    models: dict[str, str] = {}
    unpacked = 0
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            if len(members) > MAX_MEMBERS:
                raise EngineUnavailable(f"{refuse}: {len(members)} files, a pack has a handful",
                                        OFFLINE_HINT)
            for info in members:
                if _unsafe_name(info.filename):
                    raise EngineUnavailable(f"{refuse}: it holds the unsafe path {info.filename!r}",
                                            OFFLINE_HINT)
            for info in members:
                name = PurePosixPath(info.filename).name
                if info.is_dir() or not name.endswith(".onnx") or name.startswith("."):
                    continue  # also macOS's ._ resource forks
                if name in models:
                    raise EngineUnavailable(f"{refuse}: it holds two files named {name}", OFFLINE_HINT)
                digest = hashlib.sha256()
                with zipped.open(info) as source, (folder / name).open("xb") as target:
                    while chunk := source.read(1 << 20):
                        unpacked += len(chunk)
                        if unpacked > max_bytes:
                            raise EngineUnavailable(
                                f"{refuse}: it unpacks to more than {max_bytes // 1_000_000} MB",
                                OFFLINE_HINT)
                        digest.update(chunk)
                        target.write(chunk)
                models[name] = digest.hexdigest()
    except (zipfile.BadZipFile, NotImplementedError, EOFError) as error:
        raise EngineUnavailable(f"the downloaded {archive.name} is not a readable zip: {error}",
                                f"try again later; or {OFFLINE_HINT}") from error
    return models


def verify_pack(folder: Path) -> str:
    """What changed in a downloaded pack since faceaudit recorded it ("" when nothing did).

    A folder without a record (unpacked by hand, or by insightface itself) is not checked.
    """
    record = folder / MANIFEST
    if not record.is_file():
        return ""
    try:
        recorded = json.loads(record.read_text())["files"]
        if not isinstance(recorded, dict):
            raise TypeError("files is not a table")
    except (OSError, ValueError, KeyError, TypeError) as error:
        return f"its record {MANIFEST} is unreadable ({error})"
    present = {path.name for path in folder.glob("*.onnx")}
    problems = [f"{name} was added" for name in sorted(present - set(recorded))]
    for name, expected in sorted(recorded.items()):
        if name not in present:
            problems.append(f"{name} is missing")
        elif _file_sha256(folder / name) != expected:
            problems.append(f"{name} has changed")
    return ", ".join(problems)


# -- steps ------------------------------------------------------------------------------------


def _fetch(pack: ModelPack, archive: Path, download: PackDownload) -> str:
    try:
        with download.network() as net, _progress(download, pack) as progress:
            return net.download(pack.url, archive, max_bytes=pack.max_download, progress=progress)
    except NetworkError as error:
        raise EngineUnavailable(
            f"downloading insightface pack {pack.name} failed: {error.message}",
            f"{error.hint.rstrip('.')}; or {OFFLINE_HINT}" if error.hint else OFFLINE_HINT,
        ) from error


@contextmanager
def _progress(download: PackDownload, pack: ModelPack) -> Iterator[DownloadProgress | None]:
    if download.progress is None:
        yield None
        return
    with download.progress(f"{pack.name}.zip", pack.size) as show:
        yield show


def _check_digest(pack: ModelPack, digest: str) -> str:
    if pack.sha256 is None:
        return "first use"
    if digest != pack.sha256:
        raise EngineUnavailable(
            f"the downloaded {pack.name}.zip is not the published file: "
            f"SHA-256 {digest}, expected {pack.sha256}",
            "nothing was kept; try again later (a changed upstream file or an intercepting "
            f"proxy can cause this); or {OFFLINE_HINT}",
        )
    return "pinned"


def _write_manifest(folder: Path, pack: ModelPack, digest: str, checked: str,
                    models: dict[str, str]) -> None:
    record = {
        "pack": pack.name,
        "url": pack.url,
        "zip_sha256": digest,
        "zip_checked": checked,  # "pinned": against model_packs.json; "first use": recorded only
        "downloaded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "files": models,
    }
    with (folder / MANIFEST).open("w", encoding="utf-8") as file:
        json.dump(record, file, indent=2)
        file.flush()
        os.fsync(file.fileno())


def _move_into_place(staged: Path, folder: Path, work: Path) -> None:
    """Rename the finished pack onto `folder`; a folder already there (an incomplete pack) is
    moved aside first and put back if the rename fails, then removed with `work`."""
    old = work / "replaced"
    if folder.exists():
        folder.rename(old)
    try:
        staged.rename(folder)
    except OSError:
        if old.exists():
            old.rename(folder)
        raise


def _unsafe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (not name or name.startswith("/") or "\\" in name or ":" in name or "\x00" in name
            or ".." in path.parts)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
