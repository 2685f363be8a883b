"""The command line: thin Typer commands that parse, call one checkup function, and render.

The checkup itself (faceaudit/checkup.py) holds what each command does; the Environment
(faceaudit/environment.py) holds where its input comes from and its output goes, and reaches
each command as the Click context's `obj`.
"""

from __future__ import annotations

import sys

from faceaudit.errors import ExitCode

try:  # a Ctrl-C while the command line is still loading is an interruption, not a traceback
    import contextlib
    import dataclasses
    import json
    import traceback
    from collections.abc import Iterator
    from pathlib import Path
    from typing import TYPE_CHECKING, Annotated, Any

    import typer
    from rich.console import Console
    from rich.markup import escape
    from typer.core import TyperArgument, TyperOption
    from typer.exceptions import TyperException

    from faceaudit import __version__, consent
    from faceaudit.environment import Environment
    from faceaudit.errors import ConsentRequired, FaceauditError, NothingSeen, UsageError
    from faceaudit.text import printable
except KeyboardInterrupt:
    raise SystemExit(ExitCode.INTERRUPTED) from None

if TYPE_CHECKING:  # the checkup and the workspace are imported by the commands that use them:
    # `--help` builds every command and runs none, and starts faster without them.
    from rich.progress import Progress
    from typer import _click as click

    from faceaudit import checkup
    from faceaudit.compare.engines.insightface_download import PackDownload
    from faceaudit.report.model import ReportData
    from faceaudit.types import CrawlResult, ImageCandidate, Template
    from faceaudit.workspace import Account, Workspace

SCAN_INTERRUPTED = "interrupted: what was done is saved; `faceaudit scan` resumes an interrupted scan"

app = typer.Typer(
    name="faceaudit",
    help="A personal privacy checkup: which public photos of your own accounts show your face.",
    epilog="Examples:\n\n  faceaudit demo\n  faceaudit consent\n  faceaudit enroll me1.jpg me2.jpg me3.jpg\n"
           "  faceaudit accounts add https://you.example.org/ @you@mastodon.social\n  faceaudit scan\n"
           "  faceaudit report --html report.html",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
accounts_app = typer.Typer(
    help="The accounts that are yours: the only places faceaudit visits.",
    epilog="Examples:\n\n  faceaudit accounts add https://you.example.org/\n  faceaudit accounts list",
    no_args_is_help=True,
)
app.add_typer(accounts_app, name="accounts")

HomeOption = Annotated[Path | None, typer.Option(
    "--home", metavar="DIR", help="Workspace folder (default: $FACEAUDIT_HOME or your user data folder).")]
ModelDirOption = Annotated[Path | None, typer.Option(
    "--model-dir", metavar="DIR",
    help="An unpacked insightface model pack folder (default: the packs downloaded by faceaudit).")]


def _env(ctx: typer.Context) -> Environment:
    """The command's Environment, which `run` hands to Click as the context object (the app
    called some other way gets this process's)."""
    env = ctx.find_object(Environment)
    if env is None:
        env = ctx.find_root().obj = Environment.standard()
    return env


def _workspace(env: Environment) -> Workspace:
    from faceaudit.workspace import Workspace

    return Workspace.open(env.home)


def _note(env: Environment) -> checkup.Note:
    """Where the checkup's messages go: one line each on stderr, none with -q."""

    def note(text: str) -> None:
        if not env.quiet:
            env.stderr.print(escape(printable(text)))

    return note


def _show_version(ctx: typer.Context, value: bool) -> None:
    """`--version`: eager, so it answers before any command (or its absence) is looked at."""
    if value and not ctx.resilient_parsing:
        _env(ctx).write(f"faceaudit {__version__}")
        raise typer.Exit(ExitCode.OK)


@app.callback()
def _main(
    ctx: typer.Context,
    home: HomeOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Results and errors only: no progress bars, notes or banners.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also the details: why this engine, how each account's crawl ended.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[bool, typer.Option("--version", "-V", callback=_show_version, is_eager=True,
                                          help="Print faceaudit's version and exit.")] = False,
) -> None:
    env = _env(ctx)
    if home is not None:
        env.home = home
    if quiet and verbose:
        raise UsageError("-q (quiet) and -v (verbose) cannot be used together", "choose one")
    env.verbosity = -1 if quiet else 1 if verbose else env.verbosity
    env.debug = env.debug or debug


# -- consent ---------------------------------------------------------------------------------
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout (nothing else there).")]


@app.command("consent")
def consent_command(
    ctx: typer.Context,
    accept: Annotated[bool, typer.Option("--accept", help="Accept without a prompt (for scripts; still recorded).")] = False,
    retention_days: Annotated[int | None, typer.Option(
        "--retention-days", min=1, max=consent.MAX_RETENTION_DAYS, metavar="DAYS",
        help=f"Keep your face template DAYS days (1 to {consent.MAX_RETENTION_DAYS}) from consent or enrollment "
             "(default: as before, else 90).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="With --accept: print the consent record as JSON, not the text.")] = False,
) -> None:
    """Show the consent text and record your agreement (needed before enroll or scan).

    Examples:
      faceaudit consent
      faceaudit consent --accept --retention-days 30
    """
    env = _env(ctx)
    if as_json and not accept:
        raise UsageError("--json records consent without showing its text, so it needs --accept",
                         "read the text with `faceaudit consent`, or use `faceaudit consent --accept --json`")
    if not as_json:
        env.stdout.print(consent.text())
    with _workspace(env) as ws:
        if not accept:
            if not env.stdin_isatty:
                raise UsageError("consent needs a typed yes, and there is no terminal to ask in",
                                 "run `faceaudit consent` in a terminal, or `faceaudit consent --accept` in scripts")
            answer = env.ask("Type yes to agree")
            if answer.strip().lower() != "yes":
                raise ConsentRequired("consent not given: nothing was recorded", "run `faceaudit consent` again when ready")
        record = consent.accept(ws, "--accept" if accept else "interactive", retention_days)
    if as_json:
        env.write(json.dumps(dataclasses.asdict(record), indent=2))
        return
    env.stdout.print(f"Consent recorded: version {record.version}, {record.accepted_at}, text sha256 {record.text_sha256[:16]}…")
    env.stdout.print(f"Your face template is kept for {record.retention_days} days; then faceaudit asks again.")


# -- enrol -----------------------------------------------------------------------------------
@app.command("enroll")
def enroll_command(
    ctx: typer.Context,
    photos: Annotated[list[Path], typer.Argument(
        metavar="PHOTO...", help="1-20 photos of your own face, one face each.")],
    engine: Annotated[str, typer.Option("--engine", metavar="ENGINE",
                                        help="auto, sface, dlib or insightface (auto: the best one installed).")] = "auto",
    model_dir: ModelDirOption = None,
    add: Annotated[bool, typer.Option("--add", help="Add these photos to the existing template.")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Delete the existing template and start over (asks first).")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="With --replace: do not ask (for scripts).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was enrolled as JSON: engine, faces, warnings.")] = False,
) -> None:
    """Enroll your face from reference photos; refuses group photos, no-face photos and other people.

    Examples:
      faceaudit enroll me1.jpg me2.jpg me3.jpg
      faceaudit enroll --add me4.jpg
      faceaudit enroll --replace --yes new1.jpg new2.jpg
    """
    from faceaudit import checkup

    env = _env(ctx)
    with _workspace(env) as ws:
        done = checkup.enrol(ws, photos, engine=engine, model_dir=model_dir, add=add, replace=replace,
                             confirm_replace=None if yes else _confirm_replace(env),
                             download=_pack_download(env), note=_engine_note(env),
                             busy=_busy(env))
    if as_json:
        replaced = None if done.replaced is None else {
            "faces": len(done.replaced.faces), "created_at": done.replaced.created_at, "engine": done.replaced.engine}
        env.write(json.dumps({"engine": done.engine, "new_faces": done.new_faces, "total_faces": done.total_faces,
                              "warnings": done.warnings, "replaced": replaced}, indent=2))
        return
    env.stdout.print(f"Enrolled {done.new_faces} reference face(s) with the {done.engine} engine "
                     f"({done.total_faces} in the template).")
    if done.replaced is not None and not env.quiet:
        env.stderr.print(f"note: this replaced the previous template ({len(done.replaced.faces)} face(s), "
                         f"{done.replaced.created_at[:10]}); its reference faces are deleted")
    for warning in [] if env.quiet else done.warnings:
        env.stderr.print(f"[yellow]note[/yellow]: {escape(warning)}")


def _engine_note(env: Environment) -> checkup.Note:
    """The enrolment's notes. Its engine choice ("engine: NAME (why)") is one short line unless
    -v asks for the why: the same explanation on every enrolment is noise."""
    note = _note(env)

    def shown(text: str) -> None:
        if text.startswith("engine: ") and not env.verbose:
            name = text.removeprefix("engine: ").split(" (", 1)[0]
            text = f"engine: {name} (-v says why)" if " (" in text else text
        note(text)

    return shown


def _busy(env: Environment) -> checkup.Busy:
    """A spinner on stderr while a slow step runs; none with -q."""
    return (lambda text: contextlib.nullcontext()) if env.quiet else env.stderr.status


def _confirm_replace(env: Environment) -> checkup.ConfirmReplace:
    """The typed yes `enroll --replace` needs before the template is deleted. With no terminal
    there is no one to ask: scripts say `--replace --yes`."""

    def confirm(template: Template) -> bool:
        from faceaudit import checkup

        if not env.stdin_isatty:
            raise UsageError("--replace deletes the template and asks first, and there is no terminal to ask in",
                             "run it in a terminal, or pass --replace --yes in scripts")
        env.stderr.print(f"This deletes the template ({escape(checkup.describe_template(template))}) "
                         "and enrols these photos in its place.")
        return env.ask("Type yes to replace it").strip().lower() == "yes"

    return confirm


def _pack_download(env: Environment) -> PackDownload:
    """What a model pack download needs: the question below, a network client with the default
    policy (public addresses only, timeouts, caps), and a progress bar on stderr."""
    from faceaudit.compare.engines.insightface_download import PackDownload
    from faceaudit.crawl.net import NetClient, NetworkPolicy

    def confirm(pack: str, size: int | None) -> bool:
        size_text = f"about {size / 1e6:.0f} MB" if size else "of unknown size"
        env.stderr.print(f"The insightface model pack {pack!r} is not here; the download is {size_text}, "
                         "from insightface's releases on github.com, and its SHA-256 is checked.")
        env.stderr.print("Its pretrained weights are licensed for non-commercial research use only.")
        if not env.stdin_isatty:
            return False
        return env.confirm("Download it now?", default=False)

    return PackDownload(confirm=confirm, network=lambda: NetClient(NetworkPolicy()),
                        progress=lambda label, expected: _DownloadBar(env.stderr, label, expected, shown=not env.quiet),
                        note=_note(env))


class _DownloadBar:
    """A download's progress on stderr: bytes, speed, time left. Called with (bytes so far, total)."""

    def __init__(self, console: Console, label: str, expected: int, *, shown: bool = True) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.expected = expected
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                 TransferSpeedColumn(), TimeRemainingColumn(), console=console, disable=not shown)
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
def accounts_add(
    ctx: typer.Context,
    urls: Annotated[list[str], typer.Argument(
        metavar="URL...", help="The addresses of YOUR profiles or sites (or @you@server, mailto:you@example.org).",
        show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print each address's outcome as JSON: added, already listed or refused (and why).")] = False,
) -> None:
    """List accounts of yours; faceaudit visits only listed accounts.

    Each account is stored in one spelling (https, lower-case host, the user name lower-case where the platform ignores case, twitter.com as x.com), so one already listed says so. Addresses with a password, local or private hosts, bad ports or wildcards are refused: exit code 2 if any was, after listing the others.

    Examples:
      faceaudit accounts add https://you.example.org/
      faceaudit accounts add @you@mastodon.social https://www.instagram.com/you/
    """
    from faceaudit import checkup
    from faceaudit.crawl.sites.address import shown

    env = _env(ctx)
    with _workspace(env) as ws:
        results = checkup.add_accounts(ws, urls)
    refused = [result.refusal for result in results if result.refusal is not None]
    if as_json:
        env.write(json.dumps([
            {"address": shown(url.strip()), "outcome": result.outcome.value,
             "url": result.account.url if result.account else None,
             "site": result.account.site if result.account else None,
             **({"message": result.refusal.message, "hint": result.refusal.hint} if result.refusal else {})}
            for url, result in zip(urls, results, strict=True)], indent=2))
    single_refusal = len(urls) == 1 and refused  # then the refusal is the error, said once
    for result in [] if as_json or single_refusal else results:
        account = result.account
        if result.refusal is not None:
            env.stderr.print(f"Refused: {escape(result.refusal.message)}", highlight=False)
            env.stderr.print(f"  hint: {escape(result.refusal.hint)}", highlight=False)
        elif account is not None and result.outcome is checkup.Listing.ADDED:
            env.stdout.print(f"Added {escape(account.url)} ({account.site}).")
        elif account is not None:
            env.stdout.print(f"{escape(account.url)} is already listed ({account.site}).")
    if single_refusal:
        raise refused[0]
    if refused:
        raise UsageError(f"{len(refused)} of {len(urls)} addresses were refused; the others are listed",
                         "correct the refused ones (see above) and add them again")


@accounts_app.command("list")
def accounts_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the accounts as JSON: url, site and added_at of each.")] = False,
) -> None:
    """Show the listed accounts.

    Examples:
      faceaudit accounts list
      faceaudit accounts list --json
    """
    env = _env(ctx)
    with _workspace(env) as ws:
        accounts = ws.accounts()
    if as_json:
        env.write(json.dumps([{"url": a.url, "site": a.site, "added_at": a.added_at} for a in accounts], indent=2))
        return
    if not accounts:
        env.stdout.print("No accounts listed yet: faceaudit accounts add URL")
    for account in accounts:
        env.stdout.print(f"{escape(printable(account.url))}  "
                         f"[dim]({escape(printable(account.site))}, added {escape(printable(account.added_at[:10]))})[/dim]")


@accounts_app.command("remove")
def accounts_remove(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(metavar="URL", help="The account's address, in any spelling `accounts add` takes.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the removed accounts as JSON: url and site of each.")] = False,
) -> None:
    """Stop checking an account (its past findings are deleted with it).

    Examples:
      faceaudit accounts remove https://you.example.org/
    """
    from faceaudit import checkup

    env = _env(ctx)
    with _workspace(env) as ws:
        removed = checkup.remove_account(ws, url)
    if as_json:
        env.write(json.dumps([{"url": a.url, "site": a.site} for a in removed], indent=2))
        return
    for account in removed:
        env.stdout.print(f"Removed {escape(account.url)}.")


# -- scan ------------------------------------------------------------------------------------
@app.command("scan")
def scan_command(
    ctx: typer.Context,
    resolve: Annotated[list[str] | None, typer.Option("--resolve", metavar="HOST=ADDR:PORT", help="Connect to ADDR:PORT for HOST (repeatable; *.domain allowed).")] = None,
    ca_cert: Annotated[Path | None, typer.Option("--ca-cert", metavar="FILE", help="Trust this certificate for TLS (browser and HTTP).")] = None,
    no_dns: Annotated[bool, typer.Option("--no-dns", help="Fail every hostname not given with --resolve.")] = False,
    max_images: Annotated[int, typer.Option("--max-images", min=1, metavar="N", help="At most N images per account (at least 1).")] = 500,
    max_pages: Annotated[int, typer.Option("--max-pages", min=1, metavar="N", help="At most N pages (or API pages) per account (at least 1).")] = 20,
    max_requests: Annotated[int, typer.Option("--max-requests", min=1, metavar="N", help="At most N requests per account: pages, API calls, images, redirects and retries; the account then stops at faceaudit's own limit (at least 1).")] = 2000,
    deadline: Annotated[str, typer.Option("--deadline", metavar="DURATION", help="Stop the scan after this long (e.g. 90s, 30m, 2h, or none); what was checked is kept and `faceaudit scan` continues.")] = "2h",
    fresh: Annotated[bool, typer.Option("--fresh", help="Start a new scan instead of resuming an interrupted one.")] = False,
    model_dir: ModelDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON, as `report --json` does.")] = False,
    everything: Annotated[bool, typer.Option("--all", help="Show the whole report, not just the first screen.")] = False,
) -> None:
    """Visit your listed accounts logged out and find the photos that show your face.

    Examples:
      faceaudit scan
      faceaudit scan --deadline 30m --max-images 200
      faceaudit scan --fresh --json > report.json
    """
    from faceaudit import checkup
    from faceaudit.crawl.net import NetworkPolicy, parse_duration, parse_resolve
    from faceaudit.scan import ScanOptions

    env = _env(ctx)
    if ca_cert is not None and not ca_cert.is_file():
        raise UsageError(f"--ca-cert {ca_cert}: no such file")
    policy = NetworkPolicy(resolve=parse_resolve(resolve or []), allow_dns=not no_dns, ca_cert=ca_cert,
                           max_requests=max_requests, deadline=parse_duration(deadline, "--deadline"))
    options = ScanOptions(policy=policy, max_images=max_images, max_pages=max_pages, fresh=fresh)
    with _workspace(env) as ws:
        try:
            scan_id = checkup.scan(ws, options, model_dir=model_dir, progress=_ScanBar(env), note=_note(env))
        except KeyboardInterrupt:
            # Typer turns Ctrl-C into a silent exit 130 before run() sees it: say it here.
            env.stderr.print(SCAN_INTERRUPTED)
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        report = checkup.load(ws, scan_id)
    _render(env, report, as_json=as_json, html=None, everything=everything)
    if report.coverage.nothing_seen:  # the report says why, account by account; the exit code too
        raise NothingSeen(f"none of your {len(report.accounts)} listed accounts could be seen: nothing was checked",
                          "see each account's 'Crawl stopped' in the report, fix it (network, login wall, block) "
                          "and run `faceaudit scan` again")


def _bar(console: Console, *, transient: bool, disable: bool = False) -> Progress:
    """A progress bar with a count and the time so far; rich.progress is imported only when one
    is shown (it costs start-up time every other command would pay)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=transient, disable=disable)


class _ScanBar:
    """Progress for a scan: images found while crawling, and images analysed. None with -q; how
    each account's crawl ended, one line each, with -v (the report says it anyway)."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.progress = _bar(env.stderr, transient=False, disable=env.quiet)
        self.found = 0
        self.accounts = 0
        self.crawl = self.progress.add_task("crawling", total=None)
        self.analyse = self.progress.add_task("analysing", total=0)

    def __enter__(self) -> _ScanBar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # The crawl's count, whose total was unknown until now, ends as "36/36", not "35/?"
        # beside the last account's name.
        plural = "" if self.accounts == 1 else "s"
        self.progress.update(self.crawl, description=f"crawled {self.accounts} account{plural}",
                             total=self.found, completed=self.found)
        self.progress.stop()

    def account_started(self, account: Account) -> None:
        self.progress.update(self.crawl, description=f"crawling {escape(printable(account.url))}")

    def image_found(self, account: Account, candidate: ImageCandidate) -> None:
        self.found += 1
        self.progress.update(self.crawl, advance=1)
        self.progress.update(self.analyse, total=self.found)

    def image_analysed(self, account: Account, url: str, status: str, yours: int) -> None:
        self.progress.update(self.analyse, advance=1)

    def account_finished(self, account: Account, result: CrawlResult) -> None:
        from faceaudit.report.model import STOP_LABELS

        self.accounts += 1
        if not self.env.verbose:
            return
        # The detail can quote a page (a title, a redirect address): printable, like the report.
        detail = f": {result.detail}" if result.detail else ""
        self.progress.console.print(f"{escape(printable(account.url))}: {STOP_LABELS[result.stop]}{escape(printable(detail))}",
                                    highlight=False)


# -- report ----------------------------------------------------------------------------------
@app.command("report")
def report_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON (docs/report-json.md).")] = False,
    html: Annotated[str | None, typer.Option("--html", metavar="FILE", help="Also write a self-contained HTML report to FILE.")] = None,
    scan_id: Annotated[int | None, typer.Option("--scan", metavar="N", help="Report on scan N (default: the latest).")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every action, photo, source and change since the last scan, not just the first screen.")] = False,
) -> None:
    """How exposed you are and what to change first, ranked; then each account's photos and advice.

    Examples:
      faceaudit report
      faceaudit report --all
      faceaudit report --html report.html
      faceaudit report --scan 3 --json
    """
    from faceaudit import checkup
    from faceaudit.workspace import report_target

    env = _env(ctx)
    if html is not None:  # a bad target is refused before any work, not after it
        report_target(html)
    with _workspace(env) as ws:
        report, extra = checkup.report(ws, scan_id)
    _render(env, report, as_json=as_json, html=html, extra=extra, everything=everything)


def _render(env: Environment, report: ReportData, *, as_json: bool, html: str | None,
            extra: dict[str, Any] | None = None, everything: bool = False,
            command: str = "faceaudit report") -> None:
    """`report` as JSON or on the terminal (and to an HTML file). `command` is what the first
    screen tells the user to run for more: the demo's throw-away workspace is not `report`'s."""
    # Each renderer is imported only when asked for: `report --json` starts without the terminal
    # and HTML layouts (rich.table and friends).
    if html is not None:
        from faceaudit.report import html as html_report
        from faceaudit.workspace import write_private

        write_private(html, html_report.render(report).encode("utf-8"))
        if not env.quiet:
            env.stderr.print(f"HTML report written to {escape(printable(html))}")
    if as_json:
        from faceaudit.report import jsonreport

        data = jsonreport.to_dict(report)
        if extra:
            data.update(extra)
        env.write(json.dumps(data, indent=2))
    else:
        from faceaudit.report import terminal

        terminal.render(report, env.stdout, everything=everything, command=command)


# -- check -----------------------------------------------------------------------------------
@app.command("check")
def check_command(
    ctx: typer.Context,
    photos: Annotated[list[Path], typer.Argument(metavar="PHOTO...", help="Photos to check for your face.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per photo.")] = False,
    model_dir: ModelDirOption = None,
) -> None:
    """Is my face in these photos? Compares against your template; stores nothing.

    Examples:
      faceaudit check holiday.jpg
      faceaudit check --json photos/*.jpg
    """
    from faceaudit import checkup
    from faceaudit.report.model import match_text

    env = _env(ctx)
    # A bar only for a person watching a check of several photos: never in --json, -q or a pipe.
    bar = _CheckBar(env.stderr, len(photos),
                    shown=not as_json and not env.quiet and env.stderr.is_terminal and len(photos) >= 2)
    try:
        with _workspace(env) as ws:
            results = checkup.check(ws, photos, model_dir=model_dir, progress=bar)
    except KeyboardInterrupt:
        # Typer turns Ctrl-C into a silent exit 130 before run() sees it: say it here.
        env.stderr.print("interrupted: nothing was stored")
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    if as_json:
        env.write(json.dumps(results, indent=2))
    else:
        for result in results:
            path = printable(result["path"])
            if result.get("error"):
                # The reader's message may start with the path already: the path is said once.
                error = printable(result["error"]).removeprefix(f"{path}: ")
                env.stdout.print(f"{escape(path)}: [red]could not read[/red] — {escape(error)}")
                continue
            faces = result["faces"]
            verdicts = ", ".join(f"{CHECK_VERDICTS.get(f['verdict'], f['verdict'])} ({match_text(f['similarity'])})"
                                 for f in faces) or "no face found"
            env.stdout.print(f"{escape(path)}: {verdicts}")
    if any(r.get("error") for r in results):
        raise typer.Exit(ExitCode.IMAGE)


# `check`'s verdicts in words: the JSON keeps the values (you, maybe, other).
CHECK_VERDICTS = {"you": "you", "maybe": "maybe you", "other": "someone else"}


class _CheckBar:
    """Progress for a check of photos, on stderr; entering it yields the (done, total) callback."""

    def __init__(self, console: Console, photos: int, *, shown: bool) -> None:
        self.progress = _bar(console, transient=True, disable=not shown)
        self.task = self.progress.add_task("checking photos", total=photos)

    def __enter__(self) -> _CheckBar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, done: int, total: int) -> None:
        self.progress.update(self.task, completed=done, total=total)


# -- forget ----------------------------------------------------------------------------------
@app.command("forget")
def forget_command(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask (for scripts).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --yes: print what was deleted as JSON.")] = False,
) -> None:
    """Withdraw consent and delete everything: template, accounts, findings, thumbnails.

    Examples:
      faceaudit forget
      faceaudit forget --yes
    """
    from faceaudit import checkup
    from faceaudit.workspace import default_home

    env = _env(ctx)
    home = Path(env.home or default_home())
    if as_json and not yes:  # the question would go to stdout, where only the JSON may be
        raise UsageError("forget --json does not ask before deleting, so it needs --yes",
                         "run `faceaudit forget --yes --json`")
    if not yes:
        if not env.stdin_isatty:
            raise UsageError("forget asks before deleting, and there is no terminal to ask in",
                             "run it in a terminal, or pass --yes")
        if not env.confirm(f"Delete everything faceaudit keeps in {home}?", default=False):
            raise typer.Exit(ExitCode.OK)
    # A second `forget` finds nothing left: an empty folder is not opened (which would make a
    # workspace there, only to delete it and say "Deleted everything" again). A folder holding
    # other files is for `checkup.forget` to refuse.
    empty = home.is_dir() and not any(home.iterdir())
    had_files = home.exists() and not empty
    keys = checkup.forget(home) if had_files else []
    if as_json:
        env.write(json.dumps({"home": str(home), "deleted": had_files, "folder_kept": home.exists(),
                              "keys_destroyed": [store.describe() for store in keys or []]}, indent=2))
        return
    if not had_files:
        why = "holds nothing of faceaudit's" if home.exists() else "does not exist"
        env.stdout.print(f"Nothing to delete: {escape(str(home))} {why}.")
        return
    env.stdout.print(f"Deleted everything in {escape(str(home))}: consent withdrawn.")
    if home.exists():  # faceaudit deletes only its own files: the user's stay, and so does their folder
        env.stdout.print(f"Left {escape(str(home))} in place: it holds files faceaudit did not make.")
    for store in keys or []:
        env.stdout.print(f"Destroyed the face template key in {escape(store.describe())}.")


# -- doctor ----------------------------------------------------------------------------------
@app.command("doctor")
def doctor_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON: each with name, ok (true, false, or null for information) and detail.")] = False,
    model_dir: ModelDirOption = None,
) -> None:
    """What is installed (browser, engines, model packs) and what is not, and why.

    Examples:
      faceaudit doctor
      faceaudit doctor --json
    """
    from faceaudit.doctor import checks, marker

    env = _env(ctx)
    results = checks(model_dir, home=env.home)
    if as_json:
        env.write(json.dumps(results, indent=2))
        return
    for item in results:
        env.stdout.print(f"{marker(item['ok'])} {escape(item['name'])}: {escape(str(item['detail']))}", highlight=False)


# -- demo ------------------------------------------------------------------------------------
@app.command("demo")
def demo_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Report JSON plus a `demo` section listing the fixture photos.")] = False,
    html: Annotated[str | None, typer.Option("--html", metavar="FILE", help="Also write the HTML report to FILE.")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Show the whole report, not just the first screen.")] = False,
) -> None:
    """The whole checkup, offline, on a fictional person's built-in fixture accounts.

    Examples:
      faceaudit demo
      faceaudit demo --all
      faceaudit demo --html demo.html
    """
    from faceaudit.demo.fixture import demo_banner
    from faceaudit.demo.run import run_demo
    from faceaudit.workspace import report_target

    env = _env(ctx)
    if html is not None:  # a bad target is refused before the demo runs, not after
        report_target(html)
    if not as_json and not env.quiet:
        env.stderr.print(escape(demo_banner()))
    report, extra = run_demo(_ScanBar(env))
    _render(env, report, as_json=as_json, html=html, extra=extra, everything=everything,
            command="faceaudit demo")


def command() -> click.Command:
    """The Click command tree of `app`, with help that reads as the README does: a value's
    metavar (FILE, N, PHOTO...) and no type names (`<bool>`, `<list[Path]>`, `<int range>`) or
    ranges (`[1<=x<=3650]`: the help text says the range in words)."""
    import typer.main

    root = typer.main.get_command(app)
    _readable(root)
    return root


def _readable(cmd: click.Command) -> None:
    help_option = cmd.get_help_option(typer.Context(cmd))  # made once per command, then kept
    for param in [*cmd.params, help_option]:
        if isinstance(param, TyperArgument):
            param.__class__ = _Argument
        elif isinstance(param, TyperOption):
            param.__class__ = _Option
    for sub in getattr(cmd, "commands", {}).values():
        _readable(sub)


class _Argument(TyperArgument):
    """An argument shown by its metavar alone (`PHOTO...`), in the usage line too."""

    def display_type_rich(self, ctx: click.Context) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.metavar or (self.name or "").upper()
        return name if self.required else f"[{name}]"


class _Option(TyperOption):
    """An option shown with its metavar (a flag with none); its range is said in its help."""

    def display_type_rich(self, ctx: click.Context) -> str | None:
        if self.is_flag:
            return None
        return self.metavar or (self.name or "").upper()

    def _get_number_range_help_str(self) -> str | None:
        return None


def run(argv: list[str] | None = None, env: Environment | None = None) -> int:
    """Run one command in `env` (default: this process's terminal and stdin); returns its exit
    code. Errors become one line plus a hint.

    What Click and Typer print on their own (help, usage errors) cannot be given a stream, so
    sys.stdout and sys.stderr point at the Environment's consoles while the command runs."""
    env = dataclasses.replace(env) if env is not None else Environment.standard()
    with contextlib.redirect_stdout(env.stdout.file), contextlib.redirect_stderr(env.stderr.file), \
            _help_styles(env.colour):
        return _run(argv, env)


@contextlib.contextmanager
def _help_styles(colour: bool) -> Iterator[None]:
    """Typer's help has its own console: under NO_COLOR it gets no styles either (rich's own
    NO_COLOR handling keeps bold and dim)."""
    if colour:
        yield
        return
    from typer import rich_utils

    before = rich_utils.COLOR_SYSTEM
    rich_utils.COLOR_SYSTEM = None
    try:
        yield
    finally:
        rich_utils.COLOR_SYSTEM = before


def _run(argv: list[str] | None, env: Environment) -> int:
    err = env.stderr
    try:
        result = command().main(args=argv, prog_name="faceaudit", standalone_mode=False, obj=env)
        return int(result) if isinstance(result, int) else 0
    except FaceauditError as exc:
        if env.debug:
            traceback.print_exc(file=err.file)
        # A message can quote what a page or a user typed: printable, so it stays one line.
        err.print(f"[bold red]error[/bold red] {escape(f'[{exc.ref}]')}: {escape(printable(exc.message))}",
                  highlight=False)
        for detail in exc.details:
            err.print(f"  - {escape(printable(detail))}", highlight=False)
        if exc.hint:
            err.print(f"  hint: {escape(printable(exc.hint))}", highlight=False)
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
            show(file=err.file)
        else:
            err.print(f"error: {exc.format_message()}")
        return int(ExitCode.USAGE)
    except SystemExit as exc:  # shell completion (`--show-completion`, the shell's own calls) ends so
        return exc.code if isinstance(exc.code, int) else int(ExitCode.OK if exc.code is None else ExitCode.ERROR)
    except Exception:  # noqa: BLE001 - the last line of defence: a bug, shown as one
        traceback.print_exc(file=err.file)
        err.print("[bold red]this is a bug in faceaudit[/bold red]: please report it with the traceback above")
        return int(ExitCode.ERROR)


def main() -> None:
    """The `faceaudit` command. A Ctrl-C before a command is under way exits quietly too."""
    try:
        code = run(sys.argv[1:])
    except KeyboardInterrupt:
        code = int(ExitCode.INTERRUPTED)
    sys.exit(code)
