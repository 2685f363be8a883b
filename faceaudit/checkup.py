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
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faceaudit import consent
from faceaudit.errors import NotEnrolled, TemplateExists, UsageError
from faceaudit.types import Template
from faceaudit.workspace import Account, Workspace

if TYPE_CHECKING:
    from faceaudit.check import Progress as CheckProgress
    from faceaudit.compare.engines.insightface_download import PackDownload
    from faceaudit.compare.reference import ReferencePhoto
    from faceaudit.report.model import ReportData
    from faceaudit.scan import ScanOptions, ScanProgress
    from faceaudit.vault import KeyStore

Note = Callable[[str], None]  # one line for the user: what was decided, or what to know
Busy = Callable[[str], AbstractContextManager[object]]  # shown while a slow step runs (a spinner)
ConfirmReplace = Callable[[Template], bool]  # may this template be replaced? (asks the user)

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
          model_dir: Path | None = None, add: bool = False, replace: bool = False,
          confirm_replace: ConfirmReplace | None = None, download: PackDownload | None = None,
          note: Note = _silent, busy: Busy = _unseen) -> Enrolled:
    """Enrol the user's face from `photos` (files, or photos already read): the first template,
    or with `add` more faces for it (with its own engine), or with `replace` a new one in its
    place. A workspace's template is never replaced without `replace`, and `confirm_replace`
    (when given) is asked first: photos of someone else must not quietly take the user's place.
    `engine` is a name or "auto" (which says why it chose what it chose, through `note`);
    `download` lets insightface fetch a missing pack."""
    from faceaudit.compare.engines import make_engine, resolve_engine_name
    from faceaudit.compare.reference import build_template

    if add and replace:
        raise UsageError("--add and --replace cannot be used together",
                         "--add extends the template, --replace starts a new one")
    require_photo_files([photo for photo in photos if isinstance(photo, Path)])
    consent.require(ws)
    current = ws.template()
    if add and current is None:
        raise NotEnrolled("--add needs an existing template", "enrol first without --add")
    if current is not None and not add:
        _may_replace(current, replace, confirm_replace)
    existing = current if add else None
    # Every file is read before the engine loads: a missing one is a usage error that costs
    # nothing. What is wrong with the photos themselves is found next, for all of them at once.
    references = _read(photos)
    if existing is not None:
        name, why = existing.engine, "the template's engine"
    else:
        name, why = resolve_engine_name(engine, model_dir)
    note(f"engine: {name} ({why})")
    face_engine = make_engine(name, model_dir, engine_info=existing.engine_info if existing else None,
                              download=download)
    face_engine.load()  # before `busy`: a pack download shows its own progress
    with busy(f"finding faces in {len(photos)} photo(s)…"):
        enrolment = build_template(face_engine, references, existing.faces if existing else ())
    ws.save_template(face_engine.name, face_engine.describe(), enrolment.faces, add=add)
    total = len(enrolment.faces) + (len(existing.faces) if existing else 0)
    return Enrolled(name, len(enrolment.faces), total, None if add else current, list(enrolment.warnings))


def describe_template(template: Template) -> str:
    """The template in a few words, as the user knows it: how many faces, when, which engine."""
    return f"{len(template.faces)} reference face(s), {template.created_at[:10]}, {template.engine} engine"


def _may_replace(current: Template, replace: bool, confirm: ConfirmReplace | None) -> None:
    """Refuse to replace `current` unless told to (`replace`) and, when there is someone to ask,
    they agree. Checked before any photo is read: a refusal costs nothing and changes nothing."""
    if not replace:
        raise TemplateExists(f"this workspace already has a template ({describe_template(current)}): "
                             "use --add to extend it or --replace to start over")
    if confirm is not None and not confirm(current):
        raise TemplateExists("the template was kept: nothing was replaced",
                             "to start over, run `faceaudit enroll --replace` again and type yes")


def _read(photos: Sequence[Path | ReferencePhoto]) -> list[ReferencePhoto]:
    """The photos' bytes, read in order. A missing or unreadable file (a folder, a FIFO) stops
    the enrolment as a usage error, and a file over the size limit as a refused image, before
    any face is looked for."""
    from faceaudit.compare.reference import read_photos

    return [read_photos([photo])[0] if isinstance(photo, Path) else photo for photo in photos]


def require_photo_files(paths: Sequence[Path]) -> None:
    """A path that is not there, or not a regular file (a folder, a FIFO, a device), is a
    mistake in the command (UsageError, in `enrol` and `check` alike), said for every such path
    at once before any work; a file that is there but cannot be decoded is the image's problem."""
    from faceaudit.compare.imageio import path_problem

    wrong = [f"{path}: {problem}" for path in paths if (problem := path_problem(path)) is not None]
    if len(wrong) == 1:
        raise UsageError(wrong[0], "check the path and try again")
    if wrong:
        which = (f"{len(wrong)} of the {len(paths)} paths are not photo files" if len(wrong) < len(paths)
                 else f"{'neither' if len(paths) == 2 else 'none'} of the {len(paths)} paths is a photo file")
        raise UsageError(which, "check the paths and try again", details=tuple(wrong))


# -- accounts --------------------------------------------------------------------------------
class Listing(Enum):
    """What became of one address given to `add_accounts`."""

    ADDED = "added"
    ALREADY_LISTED = "already listed"
    REFUSED = "refused"


@dataclass(frozen=True)
class AccountAdded:
    """One address given to `add_accounts`: its outcome, the listed account (added now, or listed
    before in some spelling), or why it was refused (the platform's example in the hint)."""

    outcome: Listing
    account: Account | None = None
    refusal: UsageError | None = None


def add_accounts(ws: Workspace, urls: Sequence[str]) -> list[AccountAdded]:
    """List each of `urls` as the user's own account, in its one canonical spelling
    (crawl/sites `account`); one result per address, in order. An account already listed, in
    any spelling, is not listed twice; a refused address does not stop the others."""
    from faceaudit.crawl import sites

    results: list[AccountAdded] = []
    for url in urls:
        try:
            site = sites.account(url)
        except UsageError as refused:
            results.append(AccountAdded(Listing.REFUSED, refusal=refused))
            continue
        listed = _listed_as(ws, site.url)
        if listed:
            results.append(AccountAdded(Listing.ALREADY_LISTED, listed[0]))
        else:
            results.append(AccountAdded(Listing.ADDED, ws.add_account(site.url, site.name)))
    return results


def remove_account(ws: Workspace, url: str) -> list[Account]:
    """Stop checking the account at `url`, given in any spelling `accounts add` takes; the
    accounts removed. Every listed spelling of it goes (a workspace from before addresses were
    made canonical may list one account twice); an address that is no longer accepted (listed
    before it was refused) is removed when given exactly as listed."""
    from faceaudit.crawl.sites.address import shown

    gone = _listed_as(ws, _canonical_or_none(url)) or [a for a in ws.accounts() if a.url == url.strip()]
    if not gone:
        raise UsageError(f"{shown(url.strip())} is not a listed account", "see them with: faceaudit accounts list")
    for account in gone:
        ws.remove_account(account.url)
    return gone


def _listed_as(ws: Workspace, canonical: str | None) -> list[Account]:
    """The listed accounts whose address, made canonical, is `canonical`."""
    if canonical is None:
        return []
    return [a for a in ws.accounts() if a.url == canonical or _canonical_or_none(a.url) == canonical]


def _canonical_or_none(url: str) -> str | None:
    from faceaudit.crawl import sites

    try:
        return sites.canonical(url)
    except UsageError:
        return None


# -- scan ------------------------------------------------------------------------------------
def scan(ws: Workspace, options: ScanOptions, *, model_dir: Path | None = None,
         progress: AbstractContextManager[ScanProgress] | None = None, note: Note = _silent) -> int:
    """Scan the listed accounts with the template's engine; the scan's id. `progress` is entered
    around the scan itself, after consent, template and accounts have been checked."""
    from faceaudit.compare.engines import make_engine
    from faceaudit.compare.matcher import Matcher
    from faceaudit.crawl.net import trust_context
    from faceaudit.scan import run_scan

    trust_context(options.policy)  # a --ca-cert that is not a certificate: said before anything starts
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
    if report is None and scan_id is not None:
        latest = [f"scan {row['id']}, {row['started_at'][:16].replace('T', ' ')}, {row['status']}"
                  for row in ws.recent_scans(5)]
        if latest:
            raise UsageError(f"there is no scan {scan_id}; the latest scans are: {'; '.join(latest)}",
                             "`faceaudit report` reports on the latest, `faceaudit report --scan N` on scan N")
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

    require_photo_files(photos)
    consent.require(ws)
    template = ws.template()
    if template is None:
        raise NotEnrolled(*NOT_ENROLLED)
    with progress if progress is not None else nullcontext() as shown:
        return check_photos(template, photos, model_dir, progress=shown)


# -- forget ----------------------------------------------------------------------------------
def forget(home: Path) -> list[KeyStore] | None:
    """Delete the workspace at `home` and destroy its keys (the key stores destroyed); None when
    there is nothing at `home` to delete. Only faceaudit's own files go (workspace.OWN_FILES);
    refused (WorkspaceError) while a scan runs there, or when `home` is not a workspace."""
    if not home.exists():
        return None
    with Workspace.open(home) as ws:
        return ws.forget()
