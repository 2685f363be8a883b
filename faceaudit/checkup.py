"""The checkup as a library: enrol, scan, report, check and forget, with no command line.

The CLI parses its arguments, calls one function here and renders what comes back; the demo
calls the same functions on its throw-away workspace; tests call them directly. So the order
of the checks and every error (its type, message, hint and exit code) lives in one place.
Nothing here prints: messages go to a `note` callback, and progress to the objects passed in,
which are entered only once the checks have passed (an error shows no half-started bar).

Engines, the crawler and the report code are imported inside the functions that need them:
`faceaudit report` must start without loading a face engine or a browser.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faceaudit import consent
from faceaudit.errors import NotEnrolled, UsageError
from faceaudit.types import Template
from faceaudit.workspace import Workspace

if TYPE_CHECKING:
    from faceaudit.check import Progress as CheckProgress
    from faceaudit.compare.engines.insightface_download import PackDownload
    from faceaudit.compare.reference import ReferencePhoto
    from faceaudit.report.model import ReportData
    from faceaudit.scan import ScanOptions, ScanProgress
    from faceaudit.vault import KeyStore

Note = Callable[[str], None]  # one line for the user: what was decided, or what to know
Busy = Callable[[str], AbstractContextManager[object]]  # shown while a slow step runs (a spinner)

NOT_ENROLLED = ("no reference photos enrolled yet", "faceaudit enroll me1.jpg me2.jpg")


def _silent(text: str) -> None:
    """The default `note`: a caller that passes none wants no messages."""


def _unseen(text: str) -> AbstractContextManager[object]:
    """The default `busy`: nothing to show."""
    return nullcontext()


# -- enrol -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Enrolled:
    """What an enrolment did."""

    engine: str  # the engine the template is for
    new_faces: int  # reference faces added by this enrolment
    total_faces: int  # reference faces in the template now
    replaced: Template | None  # the template this one replaced (None with `add`, or the first time)
    warnings: list[str]  # accepted, but the template could be better: how


def enrol(ws: Workspace, photos: Sequence[Path | ReferencePhoto], *, engine: str = "auto",
          model_dir: Path | None = None, add: bool = False, download: PackDownload | None = None,
          note: Note = _silent, busy: Busy = _unseen) -> Enrolled:
    """Enrol the user's face from `photos` (files, or photos already read): replaces the template,
    or with `add` extends it with its own engine. `engine` is a name or "auto" (which says why
    it chose what it chose, through `note`); `download` lets insightface fetch a missing pack."""
    from faceaudit.compare.engines import make_engine, resolve_engine_name
    from faceaudit.compare.reference import build_template

    consent.require(ws)
    existing = ws.template() if add else None
    if add and existing is None:
        raise NotEnrolled("--add needs an existing template", "enrol first without --add")
    if existing is not None:
        name, why = existing.engine, "the template's engine"
    else:
        name, why = resolve_engine_name(engine, model_dir)
    note(f"engine: {name} ({why})")
    replaced = None if add else ws.template()
    face_engine = make_engine(name, model_dir, engine_info=existing.engine_info if existing else None,
                              download=download)
    face_engine.load()  # before `busy`: a pack download shows its own progress
    with busy(f"finding faces in {len(photos)} photo(s)…"):
        enrolment = build_template(face_engine, _read(photos), existing.faces if existing else ())
    ws.save_template(face_engine.name, face_engine.describe(), enrolment.faces, add=add)
    total = len(enrolment.faces) + (len(existing.faces) if existing else 0)
    return Enrolled(name, len(enrolment.faces), total, replaced, list(enrolment.warnings))


def _read(photos: Sequence[Path | ReferencePhoto]) -> list[ReferencePhoto]:
    """The photos' bytes, read in order: a missing or unreadable file stops the enrolment."""
    from faceaudit.compare.reference import read_photos

    return [read_photos([photo])[0] if isinstance(photo, Path) else photo for photo in photos]


# -- scan ------------------------------------------------------------------------------------
def scan(ws: Workspace, options: ScanOptions, *, model_dir: Path | None = None,
         progress: AbstractContextManager[ScanProgress] | None = None, note: Note = _silent) -> int:
    """Scan the listed accounts with the template's engine; the scan's id. `progress` is entered
    around the scan itself, after consent, template and accounts have been checked."""
    from faceaudit.compare.engines import make_engine
    from faceaudit.compare.matcher import Matcher
    from faceaudit.scan import run_scan

    consent.require(ws)
    template = ws.template()
    if template is None:
        raise NotEnrolled(*NOT_ENROLLED)
    if not ws.accounts():
        raise UsageError("no accounts listed", "faceaudit accounts add https://your.site/")
    engine = make_engine(template.engine, model_dir, engine_info=template.engine_info)
    matcher = Matcher([f.embedding for f in template.faces], engine.thresholds)
    started = time.monotonic()
    with progress if progress is not None else nullcontext() as shown:
        scan_id = run_scan(ws, engine, matcher, options, shown)
    note(f"scan {scan_id} finished in {time.monotonic() - started:.1f} s")
    return scan_id


# -- report ----------------------------------------------------------------------------------
def load(ws: Workspace, scan_id: int | None = None) -> ReportData:
    """The report of scan `scan_id` (default: the latest), or UsageError when there is none."""
    from faceaudit.report.load import load_report

    report = load_report(ws, scan_id)
    if report is None:
        raise UsageError("no scan to report on yet", "run: faceaudit scan")
    return report


def report(ws: Workspace, scan_id: int | None = None) -> tuple[ReportData, dict[str, Any]]:
    """(The report, sections to add to its JSON). A template kept past its retention period is a
    report warning, so the terminal, HTML and JSON reports all say it, and the JSON also gets
    a `retention` section."""
    data = load(ws, scan_id)
    period = consent.retention(ws)
    extra: dict[str, Any] = {}
    now = consent.clock()
    if period is not None and period.expired(now):
        extra["retention"] = period.as_dict(now)
        data.warnings.append(f"{consent.past_retention_message(period)}: consent again "
                             "(`faceaudit consent --accept`) or delete it (`faceaudit forget`)")
    return data, extra


# -- check -----------------------------------------------------------------------------------
def check(ws: Workspace, photos: Sequence[Path], *, model_dir: Path | None = None,
          progress: AbstractContextManager[CheckProgress] | None = None) -> list[dict[str, Any]]:
    """Is the user's face in `photos`? One result per photo (check.py); stores nothing.
    `progress` is entered around the check, once consent and the template are there, and its
    value is called with (photos checked, photos in all)."""
    from faceaudit.check import check_photos

    consent.require(ws)
    template = ws.template()
    if template is None:
        raise NotEnrolled(*NOT_ENROLLED)
    with progress if progress is not None else nullcontext() as shown:
        return check_photos(template, photos, model_dir, progress=shown)


# -- forget ----------------------------------------------------------------------------------
def forget(home: Path) -> list[KeyStore] | None:
    """Delete the workspace at `home` and destroy its keys (the key stores destroyed); None when
    there is nothing at `home` to delete."""
    if not home.exists():
        return None
    return Workspace.open(home).forget()
