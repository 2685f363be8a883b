"""The command line: thin Typer commands that parse, call one library function, and render."""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from typer.exceptions import TyperException

from faceaudit import __version__, consent
from faceaudit.errors import ConsentRequired, ExitCode, FaceauditError, NotEnrolled, UsageError
from faceaudit.workspace import Account, Workspace, default_home

SCAN_INTERRUPTED = "interrupted: what was done is saved; `faceaudit scan` resumes an interrupted scan"

app = typer.Typer(
    name="faceaudit",
    help="A personal privacy checkup: which public photos of your own accounts show your face.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
accounts_app = typer.Typer(help="The accounts that are yours: the only places faceaudit visits.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")

out = Console()
err = Console(stderr=True)
_state: dict[str, Any] = {"home": None, "debug": False}

HomeOption = Annotated[Path | None, typer.Option("--home", help="Workspace folder (default: $FACEAUDIT_HOME or your user data folder).")]


def _workspace() -> Workspace:
    return Workspace.open(_state["home"])


@app.callback()
def _main(
    home: HomeOption = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _state["home"] = home
    _state["debug"] = debug


# -- consent ---------------------------------------------------------------------------------
@app.command("consent")
def consent_command(
    accept: Annotated[bool, typer.Option("--accept", help="Accept without a prompt (for scripts; still recorded).")] = False,
    retention_days: Annotated[int | None, typer.Option(
        "--retention-days", min=1, max=consent.MAX_RETENTION_DAYS,
        help="Keep your face template this many days from consent or enrolment (default: as before, else 90).")] = None,
) -> None:
    """Show the consent text and record your agreement (needed before enrol or scan)."""
    out.print(consent.text())
    with _workspace() as ws:
        if not accept:
            if not sys.stdin.isatty():
                raise UsageError("consent needs a typed yes, and there is no terminal to ask in",
                                 "run `faceaudit consent` in a terminal, or `faceaudit consent --accept` in scripts")
            answer = typer.prompt("Type yes to agree")
            if answer.strip().lower() != "yes":
                raise ConsentRequired("consent not given: nothing was recorded", "run `faceaudit consent` again when ready")
        record = consent.accept(ws, "--accept" if accept else "interactive", retention_days)
    out.print(f"Consent recorded: version {record.version}, {record.accepted_at}, text sha256 {record.text_sha256[:16]}…")
    out.print(f"Your face template is kept for {record.retention_days} days; then faceaudit asks again.")


# -- enrol -----------------------------------------------------------------------------------
@app.command("enroll")
def enroll_command(
    photos: Annotated[list[Path], typer.Argument(help="1-20 photos of your own face, one face each.")],
    engine: Annotated[str, typer.Option("--engine", help="auto | sface | dlib | insightface")] = "auto",
    model_dir: Annotated[Path | None, typer.Option("--model-dir", help="An unpacked insightface model pack folder.")] = None,
    add: Annotated[bool, typer.Option("--add", help="Add these photos to the existing template.")] = False,
) -> None:
    """Enrol your face from reference photos; refuses group photos, no-face photos and other people."""
    from faceaudit.compare.engines import make_engine, resolve_engine_name
    from faceaudit.compare.reference import build_template, read_photos

    with _workspace() as ws:
        consent.require(ws)
        existing = ws.template() if add else None
        if add and existing is None:
            raise NotEnrolled("--add needs an existing template", "enrol first without --add")
        if existing is not None:
            name, why = existing.engine, "the template's engine"
        else:
            name, why = resolve_engine_name(engine, model_dir)
        err.print(f"engine: {name} ({why})")
        replaced = None if add else ws.template()
        face_engine = make_engine(name, model_dir, engine_info=existing.engine_info if existing else None,
                                  download=_pack_download())
        face_engine.load()  # before the spinner: a pack download shows its own progress bar
        with err.status(f"finding faces in {len(photos)} photo(s)…"):
            enrolment = build_template(face_engine, read_photos(photos), existing.faces if existing else ())
        ws.save_template(face_engine.name, face_engine.describe(), enrolment.faces, add=add)
        total = len(enrolment.faces) + (len(existing.faces) if existing else 0)
    out.print(f"Enrolled {len(enrolment.faces)} reference face(s) with the {name} engine ({total} in the template).")
    if replaced is not None:
        err.print(f"note: this replaced the previous template ({len(replaced.faces)} face(s), "
                  f"{replaced.created_at[:10]}); use --add to extend a template instead")
    for warning in enrolment.warnings:
        err.print(f"[yellow]note[/yellow]: {escape(warning)}")


def _confirm_download(pack: str, size: int | None) -> bool:
    size_text = f"about {size / 1e6:.0f} MB" if size else "of unknown size"
    err.print(f"The insightface model pack {pack!r} is not here; the download is {size_text}, "
              "from insightface's releases on github.com, and its SHA-256 is checked.")
    err.print("Its pretrained weights are licensed for non-commercial research use only.")
    if not sys.stdin.isatty():
        return False
    return typer.confirm("Download it now?", default=False)


def _pack_download() -> Any:
    """What a model pack download needs: the question above, a network client with the default
    policy (public addresses only, timeouts, caps), and a progress bar on stderr."""
    from faceaudit.compare.engines.insightface_download import PackDownload
    from faceaudit.crawl.net import NetClient, NetworkPolicy

    return PackDownload(confirm=_confirm_download, network=lambda: NetClient(NetworkPolicy()),
                        progress=_DownloadBar, note=lambda text: err.print(escape(text)))


class _DownloadBar:
    """A download's progress on stderr: bytes, speed, time left. Called with (bytes so far, total)."""

    def __init__(self, label: str, expected: int) -> None:
        from rich.progress import DownloadColumn, TimeRemainingColumn, TransferSpeedColumn

        self.expected = expected
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                 TransferSpeedColumn(), TimeRemainingColumn(), console=err)
        self.task = self.progress.add_task(f"downloading {escape(label)}", total=expected)

    def __enter__(self) -> _DownloadBar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, done: int, total: int | None) -> None:
        self.progress.update(self.task, completed=done, total=total or self.expected)


# -- accounts --------------------------------------------------------------------------------
@accounts_app.command("add")
def accounts_add(url: Annotated[str, typer.Argument(help="The full address of one of YOUR profiles or sites.")]) -> None:
    """List an account of yours; faceaudit visits only listed accounts."""
    from faceaudit.crawl import sites

    site = sites.find(url)
    with _workspace() as ws:
        account = ws.add_account(site.url, site.name)
    out.print(f"Added {escape(account.url)} ({account.site}).")


@accounts_app.command("list")
def accounts_list() -> None:
    """Show the listed accounts."""
    with _workspace() as ws:
        accounts = ws.accounts()
    if not accounts:
        out.print("No accounts listed yet: faceaudit accounts add URL")
    for account in accounts:
        out.print(f"{escape(account.url)}  [dim]({account.site}, added {account.added_at[:10]})[/dim]")


@accounts_app.command("remove")
def accounts_remove(url: str) -> None:
    """Stop checking an account (its past findings are deleted with it)."""
    with _workspace() as ws:
        if not ws.remove_account(url.strip()):
            raise UsageError(f"{url} is not a listed account", "see them with: faceaudit accounts list")
    out.print(f"Removed {escape(url)}.")


# -- scan ------------------------------------------------------------------------------------
@app.command("scan")
def scan_command(
    resolve: Annotated[list[str] | None, typer.Option("--resolve", help="HOST=ADDR:PORT: connect to ADDR:PORT for HOST (repeatable; *.domain allowed).")] = None,
    ca_cert: Annotated[Path | None, typer.Option("--ca-cert", help="Trust this certificate for TLS (browser and HTTP).")] = None,
    no_dns: Annotated[bool, typer.Option("--no-dns", help="Fail every hostname not given with --resolve.")] = False,
    max_images: Annotated[int, typer.Option(help="At most this many images per account.")] = 500,
    max_pages: Annotated[int, typer.Option("--max-pages", min=1, help="At most this many pages (or API pages) per account.")] = 20,
    max_requests: Annotated[int, typer.Option("--max-requests", min=1, help="At most this many requests per account: pages, API calls, images, redirects and retries. The account's outcome then says `cap`.")] = 2000,
    deadline: Annotated[str, typer.Option("--deadline", help="Stop the scan after this long (e.g. 90s, 30m, 2h, or none); what was checked is kept and `faceaudit scan` continues.")] = "2h",
    fresh: Annotated[bool, typer.Option("--fresh", help="Start a new scan instead of resuming an interrupted one.")] = False,
    model_dir: Annotated[Path | None, typer.Option("--model-dir", help="insightface model pack folder.")] = None,
) -> None:
    """Visit your listed accounts logged out and find the photos that show your face."""
    from faceaudit.crawl.net import NetworkPolicy, parse_duration, parse_resolve
    from faceaudit.scan import ScanOptions

    if ca_cert is not None and not ca_cert.is_file():
        raise UsageError(f"--ca-cert {ca_cert}: no such file")
    policy = NetworkPolicy(resolve=parse_resolve(resolve or []), allow_dns=not no_dns, ca_cert=ca_cert,
                           max_requests=max_requests, deadline=parse_duration(deadline, "--deadline"))
    with _workspace() as ws:
        try:
            scan_id = _scan(ws, ScanOptions(policy=policy, max_images=max_images, max_pages=max_pages, fresh=fresh),
                            model_dir)
        except KeyboardInterrupt:
            # Typer turns Ctrl-C into a silent exit 130 before run() sees it: say it here.
            err.print(SCAN_INTERRUPTED)
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        report = _load_report(ws, scan_id)
    from faceaudit.report import terminal

    terminal.render(report, out)


def _scan(ws: Workspace, options: Any, model_dir: Path | None) -> int:
    from faceaudit.compare.engines import make_engine
    from faceaudit.compare.matcher import Matcher
    from faceaudit.scan import run_scan

    consent.require(ws)
    template = ws.template()
    if template is None:
        raise NotEnrolled("no reference photos enrolled yet", "faceaudit enroll me1.jpg me2.jpg")
    if not ws.accounts():
        raise UsageError("no accounts listed", "faceaudit accounts add https://your.site/")
    engine = make_engine(template.engine, model_dir, engine_info=template.engine_info)
    matcher = Matcher([f.embedding for f in template.faces], engine.thresholds)
    started = time.monotonic()
    with _ScanBar(err) as bar:
        scan_id = run_scan(ws, engine, matcher, options, bar)
    err.print(f"scan {scan_id} finished in {time.monotonic() - started:.1f} s")
    return scan_id


class _ScanBar:
    """Progress for a scan: images found while crawling, and images analysed."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=False)
        self.found = 0
        self.crawl = self.progress.add_task("crawling", total=None)
        self.analyse = self.progress.add_task("analysing", total=0)

    def __enter__(self) -> _ScanBar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def account_started(self, account: Account) -> None:
        self.progress.update(self.crawl, description=f"crawling {escape(account.url)}")

    def image_found(self, account: Account, candidate: Any) -> None:
        self.found += 1
        self.progress.update(self.crawl, advance=1)
        self.progress.update(self.analyse, total=self.found)

    def image_analysed(self, account: Account, url: str, status: str, yours: int) -> None:
        self.progress.update(self.analyse, advance=1)

    def account_finished(self, account: Account, result: Any) -> None:
        detail = f": {result.detail}" if result.detail else ""
        self.progress.console.print(f"{escape(account.url)}: {result.stop.value}{escape(detail)}")


# -- report ----------------------------------------------------------------------------------
@app.command("report")
def report_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON (docs/report-json.md).")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="Also write a self-contained HTML report to FILE.")] = None,
    scan_id: Annotated[int | None, typer.Option("--scan", help="Report on this scan (default: the latest).")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every action, photo, source and change since the last scan, not just the first screen.")] = False,
) -> None:
    """How exposed you are and what to change first, ranked; then each account's photos and advice."""
    with _workspace() as ws:
        report = _load_report(ws, scan_id)
        period = consent.retention(ws)
    extra = None
    if period is not None and period.expired(consent.clock()):
        # A report warning, so the terminal, HTML and JSON reports all say it.
        extra = {"retention": period.as_dict(consent.clock())}
        report.warnings.append(f"{consent.past_retention_message(period)}: consent again "
                               "(`faceaudit consent --accept`) or delete it (`faceaudit forget`)")
    _render(report, as_json=as_json, html=html, extra=extra, everything=everything)


def _load_report(ws: Workspace, scan_id: int | None) -> Any:
    from faceaudit.workspace import load_report

    report = load_report(ws, scan_id)
    if report is None:
        raise UsageError("no scan to report on yet", "run: faceaudit scan")
    return report


def _render(report: Any, *, as_json: bool, html: Path | None, extra: dict[str, Any] | None = None,
            everything: bool = False) -> None:
    from faceaudit.report import html as html_report
    from faceaudit.report import jsonreport, terminal

    if html is not None:
        from faceaudit.workspace import write_private

        write_private(html, html_report.render(report).encode("utf-8"))
        err.print(f"HTML report written to {escape(str(html))}")
    if as_json:
        data = jsonreport.to_dict(report)
        if extra:
            data.update(extra)
        print(json.dumps(data, indent=2))
    else:
        terminal.render(report, out, everything=everything)


# -- check -----------------------------------------------------------------------------------
@app.command("check")
def check_command(
    photos: Annotated[list[Path], typer.Argument(help="Photos to check for your face.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per photo.")] = False,
    model_dir: Annotated[Path | None, typer.Option("--model-dir")] = None,
) -> None:
    """Is my face in these photos? Compares against your template; stores nothing."""
    from faceaudit.check import check_photos

    with _workspace() as ws:
        consent.require(ws)
        template = ws.template()
    if template is None:
        raise NotEnrolled("no reference photos enrolled yet", "faceaudit enroll me1.jpg me2.jpg")
    # A bar only for a person watching a check of several photos: never in --json or a pipe.
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err, transient=True, disable=as_json or not err.is_terminal or len(photos) < 2)
    checking = bar.add_task("checking photos", total=len(photos))
    try:
        with bar:
            results = check_photos(template, photos, model_dir,
                                   progress=lambda done, total: bar.update(checking, completed=done, total=total))
    except KeyboardInterrupt:
        # Typer turns Ctrl-C into a silent exit 130 before run() sees it: say it here.
        err.print("interrupted: nothing was stored")
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    if as_json:
        print(json.dumps(results, indent=2))
    else:
        for result in results:
            if result.get("error"):
                out.print(f"{escape(result['path'])}: [red]could not read[/red] — {escape(result['error'])}")
                continue
            faces = result["faces"]
            verdicts = ", ".join(f"{f['verdict']} ({f['similarity']:.2f})" for f in faces) or "no face found"
            out.print(f"{escape(result['path'])}: {verdicts}")
    if any(r.get("error") for r in results):
        raise typer.Exit(ExitCode.IMAGE)


# -- forget ----------------------------------------------------------------------------------
@app.command("forget")
def forget_command(
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask (for scripts).")] = False,
) -> None:
    """Withdraw consent and delete everything: template, accounts, findings, thumbnails."""
    home = _state["home"] or default_home()
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("forget asks before deleting, and there is no terminal to ask in",
                             "run it in a terminal, or pass --yes")
        if not typer.confirm(f"Delete everything faceaudit keeps in {home}?", default=False):
            raise typer.Exit(ExitCode.OK)
    if not Path(home).exists():
        out.print(f"Nothing to delete: {escape(str(home))} does not exist.")
        return
    ws = _workspace()
    keys = ws.forget()
    out.print(f"Deleted everything in {escape(str(home))}: consent withdrawn.")
    for store in keys:
        out.print(f"Destroyed the face template key in {escape(store.describe())}.")


# -- doctor ----------------------------------------------------------------------------------
@app.command("doctor")
def doctor_command(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    model_dir: Annotated[Path | None, typer.Option("--model-dir")] = None,
) -> None:
    """What is installed (browser, engines, model packs) and what is not, and why."""
    from faceaudit.doctor import checks

    results = checks(model_dir, home=_state["home"])
    if as_json:
        print(json.dumps(results, indent=2))
        return
    for item in results:
        mark = "[green]ok[/green]  " if item["ok"] else "[yellow]missing[/yellow]"
        out.print(f"{mark} {item['name']}: {escape(str(item['detail']))}")


# -- demo ------------------------------------------------------------------------------------
@app.command("demo")
def demo_command(
    as_json: Annotated[bool, typer.Option("--json", help="Report JSON plus a `demo` section listing the fixture photos.")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="Also write the HTML report to FILE.")] = None,
) -> None:
    """The whole checkup, offline, on a fictional person's built-in fixture accounts."""
    from faceaudit.demo.run import run_demo

    if not as_json:
        err.print("faceaudit demo: a fictional person's website and accounts on Mastodon, Bluesky, Instagram, "
                  "GitHub and Gravatar, imitated on this machine.")
    with _ScanBar(err) as bar:
        report, extra = run_demo(bar)
    _render(report, as_json=as_json, html=html, extra=extra)


@app.command("version", hidden=True)
def version_command() -> None:
    """Print faceaudit's version."""
    out.print(__version__)


def run(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code. Errors become one line plus a hint."""
    _state.update(home=None, debug=False)
    try:
        result = app(args=argv, standalone_mode=False)
        return int(result) if isinstance(result, int) else 0
    except FaceauditError as exc:
        if _state["debug"]:
            traceback.print_exc()
        err.print(f"[bold red]error[/bold red] {escape(f'[{exc.ref}]')}: {escape(exc.message)}", highlight=False)
        if exc.hint:
            err.print(f"  hint: {escape(exc.hint)}", highlight=False)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        err.print(SCAN_INTERRUPTED)
        return int(ExitCode.INTERRUPTED)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (typer.Abort, EOFError):
        err.print("aborted")
        return int(ExitCode.INTERRUPTED)
    except TyperException as exc:  # usage errors: bad option, missing argument
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"error: {exc.format_message()}")
        return int(ExitCode.USAGE)
    except Exception:  # noqa: BLE001 - the last line of defence: a bug, shown as one
        traceback.print_exc()
        err.print("[bold red]this is a bug in faceaudit[/bold red]: please report it with the traceback above")
        return int(ExitCode.ERROR)


def main() -> None:
    sys.exit(run(sys.argv[1:]))
