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
    from pathlib import Path
    from typing import TYPE_CHECKING, Annotated, Any

    import typer
    from rich.console import Console
    from rich.markup import escape
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

    from faceaudit import checkup
    from faceaudit.compare.engines.insightface_download import PackDownload
    from faceaudit.report.model import ReportData
    from faceaudit.types import CrawlResult, ImageCandidate, Template
    from faceaudit.workspace import Account, Workspace

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

HomeOption = Annotated[Path | None, typer.Option("--home", help="Workspace folder (default: $FACEAUDIT_HOME or your user data folder).")]


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
    """Where the checkup's messages go: one line each on stderr."""
    return lambda text: env.stderr.print(escape(printable(text)))


@app.callback()
def _main(
    ctx: typer.Context,
    home: HomeOption = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    env = _env(ctx)
    if home is not None:
        env.home = home
    env.debug = env.debug or debug


# -- consent ---------------------------------------------------------------------------------
@app.command("consent")
def consent_command(
    ctx: typer.Context,
    accept: Annotated[bool, typer.Option("--accept", help="Accept without a prompt (for scripts; still recorded).")] = False,
    retention_days: Annotated[int | None, typer.Option(
        "--retention-days", min=1, max=consent.MAX_RETENTION_DAYS,
        help="Keep your face template this many days from consent or enrolment (default: as before, else 90).")] = None,
) -> None:
    """Show the consent text and record your agreement (needed before enrol or scan)."""
    env = _env(ctx)
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
    env.stdout.print(f"Consent recorded: version {record.version}, {record.accepted_at}, text sha256 {record.text_sha256[:16]}…")
    env.stdout.print(f"Your face template is kept for {record.retention_days} days; then faceaudit asks again.")


# -- enrol -----------------------------------------------------------------------------------
@app.command("enroll")
def enroll_command(
    ctx: typer.Context,
    photos: Annotated[list[Path], typer.Argument(help="1-20 photos of your own face, one face each.")],
    engine: Annotated[str, typer.Option("--engine", help="auto | sface | dlib | insightface")] = "auto",
    model_dir: Annotated[Path | None, typer.Option("--model-dir", help="An unpacked insightface model pack folder.")] = None,
    add: Annotated[bool, typer.Option("--add", help="Add these photos to the existing template.")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Delete the existing template and start over (asks first).")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="With --replace: do not ask (for scripts).")] = False,
) -> None:
    """Enrol your face from reference photos; refuses group photos, no-face photos and other people."""
    from faceaudit import checkup

    env = _env(ctx)
    with _workspace(env) as ws:
        done = checkup.enrol(ws, photos, engine=engine, model_dir=model_dir, add=add, replace=replace,
                             confirm_replace=None if yes else _confirm_replace(env),
                             download=_pack_download(env), note=_note(env), busy=env.stderr.status)
    env.stdout.print(f"Enrolled {done.new_faces} reference face(s) with the {done.engine} engine "
                     f"({done.total_faces} in the template).")
    if done.replaced is not None:
        env.stderr.print(f"note: this replaced the previous template ({len(done.replaced.faces)} face(s), "
                         f"{done.replaced.created_at[:10]}); its reference faces are deleted")
    for warning in done.warnings:
        env.stderr.print(f"[yellow]note[/yellow]: {escape(warning)}")


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
                        progress=lambda label, expected: _DownloadBar(env.stderr, label, expected),
                        note=lambda text: env.stderr.print(escape(text)))


class _DownloadBar:
    """A download's progress on stderr: bytes, speed, time left. Called with (bytes so far, total)."""

    def __init__(self, console: Console, label: str, expected: int) -> None:
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
                                 TransferSpeedColumn(), TimeRemainingColumn(), console=console)
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
        help="The addresses of YOUR profiles or sites (or @you@server, mailto:you@example.org).",
        show_default=False)],
) -> None:
    """List accounts of yours; faceaudit visits only listed accounts.

    Each account is stored in one spelling (https, lower-case host, the user name lower-case where the platform ignores case, twitter.com as x.com), so one already listed says so. Addresses with a password, local or private hosts, bad ports or wildcards are refused: exit code 2 if any was, after listing the others.
    """
    from faceaudit import checkup

    env = _env(ctx)
    with _workspace(env) as ws:
        results = checkup.add_accounts(ws, urls)
    refused = [result.refusal for result in results if result.refusal is not None]
    if len(urls) == 1 and refused:
        raise refused[0]
    for result in results:
        account = result.account
        if result.refusal is not None:
            env.stderr.print(f"Refused: {escape(result.refusal.message)}", highlight=False)
            env.stderr.print(f"  hint: {escape(result.refusal.hint)}", highlight=False)
        elif account is not None and result.outcome is checkup.Listing.ADDED:
            env.stdout.print(f"Added {escape(account.url)} ({account.site}).")
        elif account is not None:
            env.stdout.print(f"{escape(account.url)} is already listed ({account.site}).")
    if refused:
        raise UsageError(f"{len(refused)} of {len(urls)} addresses were refused; the others are listed",
                         "correct the refused ones (see above) and add them again")


@accounts_app.command("list")
def accounts_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array of {url, site, added_at}.")] = False,
) -> None:
    """Show the listed accounts."""
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
    url: Annotated[str, typer.Argument(help="The account's address, in any spelling `accounts add` takes.")],
) -> None:
    """Stop checking an account (its past findings are deleted with it)."""
    from faceaudit import checkup

    env = _env(ctx)
    with _workspace(env) as ws:
        removed = checkup.remove_account(ws, url)
    for account in removed:
        env.stdout.print(f"Removed {escape(account.url)}.")


# -- scan ------------------------------------------------------------------------------------
@app.command("scan")
def scan_command(
    ctx: typer.Context,
    resolve: Annotated[list[str] | None, typer.Option("--resolve", help="HOST=ADDR:PORT: connect to ADDR:PORT for HOST (repeatable; *.domain allowed).")] = None,
    ca_cert: Annotated[Path | None, typer.Option("--ca-cert", help="Trust this certificate for TLS (browser and HTTP).")] = None,
    no_dns: Annotated[bool, typer.Option("--no-dns", help="Fail every hostname not given with --resolve.")] = False,
    max_images: Annotated[int, typer.Option("--max-images", min=1, help="At most this many images per account.")] = 500,
    max_pages: Annotated[int, typer.Option("--max-pages", min=1, help="At most this many pages (or API pages) per account.")] = 20,
    max_requests: Annotated[int, typer.Option("--max-requests", min=1, help="At most this many requests per account: pages, API calls, images, redirects and retries. The account's outcome then says `cap`.")] = 2000,
    deadline: Annotated[str, typer.Option("--deadline", help="Stop the scan after this long (e.g. 90s, 30m, 2h, or none); what was checked is kept and `faceaudit scan` continues.")] = "2h",
    fresh: Annotated[bool, typer.Option("--fresh", help="Start a new scan instead of resuming an interrupted one.")] = False,
    model_dir: Annotated[Path | None, typer.Option("--model-dir", help="insightface model pack folder.")] = None,
) -> None:
    """Visit your listed accounts logged out and find the photos that show your face."""
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
            scan_id = checkup.scan(ws, options, model_dir=model_dir, progress=_ScanBar(env.stderr),
                                   note=_note(env))
        except KeyboardInterrupt:
            # Typer turns Ctrl-C into a silent exit 130 before run() sees it: say it here.
            env.stderr.print(SCAN_INTERRUPTED)
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        report = checkup.load(ws, scan_id)
    from faceaudit.report import terminal

    terminal.render(report, env.stdout)
    if report.coverage.nothing_seen:  # the report says why, account by account; the exit code too
        raise NothingSeen(f"none of your {len(report.accounts)} listed accounts could be seen: nothing was checked",
                          "see each account's 'Crawl stopped' above, fix it (network, login wall, block) "
                          "and run `faceaudit scan` again")


def _bar(console: Console, *, transient: bool, disable: bool = False) -> Progress:
    """A progress bar with a count and the time so far; rich.progress is imported only when one
    is shown (it costs start-up time every other command would pay)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=transient, disable=disable)


class _ScanBar:
    """Progress for a scan: images found while crawling, and images analysed."""

    def __init__(self, console: Console) -> None:
        self.progress = _bar(console, transient=False)
        self.found = 0
        self.crawl = self.progress.add_task("crawling", total=None)
        self.analyse = self.progress.add_task("analysing", total=0)

    def __enter__(self) -> _ScanBar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
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
        # The detail can quote a page (a title, a redirect address): printable, like the report.
        detail = f": {result.detail}" if result.detail else ""
        self.progress.console.print(f"{escape(printable(account.url))}: {result.stop.value}{escape(printable(detail))}")


# -- report ----------------------------------------------------------------------------------
@app.command("report")
def report_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON (docs/report-json.md).")] = False,
    html: Annotated[str | None, typer.Option("--html", metavar="FILE", help="Also write a self-contained HTML report to FILE.")] = None,
    scan_id: Annotated[int | None, typer.Option("--scan", help="Report on this scan (default: the latest).")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every action, photo, source and change since the last scan, not just the first screen.")] = False,
) -> None:
    """How exposed you are and what to change first, ranked; then each account's photos and advice."""
    from faceaudit import checkup
    from faceaudit.workspace import report_target

    env = _env(ctx)
    if html is not None:  # a bad target is refused before any work, not after it
        report_target(html)
    with _workspace(env) as ws:
        report, extra = checkup.report(ws, scan_id)
    _render(env, report, as_json=as_json, html=html, extra=extra, everything=everything)


def _render(env: Environment, report: ReportData, *, as_json: bool, html: str | None,
            extra: dict[str, Any] | None = None, everything: bool = False) -> None:
    # Each renderer is imported only when asked for: `report --json` starts without the terminal
    # and HTML layouts (rich.table and friends).
    if html is not None:
        from faceaudit.report import html as html_report
        from faceaudit.workspace import write_private

        write_private(html, html_report.render(report).encode("utf-8"))
        env.stderr.print(f"HTML report written to {escape(printable(html))}")
    if as_json:
        from faceaudit.report import jsonreport

        data = jsonreport.to_dict(report)
        if extra:
            data.update(extra)
        env.write(json.dumps(data, indent=2))
    else:
        from faceaudit.report import terminal

        terminal.render(report, env.stdout, everything=everything)


# -- check -----------------------------------------------------------------------------------
@app.command("check")
def check_command(
    ctx: typer.Context,
    photos: Annotated[list[Path], typer.Argument(help="Photos to check for your face.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per photo.")] = False,
    model_dir: Annotated[Path | None, typer.Option("--model-dir")] = None,
) -> None:
    """Is my face in these photos? Compares against your template; stores nothing."""
    from faceaudit import checkup

    env = _env(ctx)
    # A bar only for a person watching a check of several photos: never in --json or a pipe.
    bar = _CheckBar(env.stderr, len(photos), shown=not as_json and env.stderr.is_terminal and len(photos) >= 2)
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
            if result.get("error"):
                env.stdout.print(f"{escape(printable(result['path']))}: [red]could not read[/red] — "
                                 f"{escape(printable(result['error']))}")
                continue
            faces = result["faces"]
            verdicts = ", ".join(f"{f['verdict']} ({f['similarity']:.2f})" for f in faces) or "no face found"
            env.stdout.print(f"{escape(printable(result['path']))}: {verdicts}")
    if any(r.get("error") for r in results):
        raise typer.Exit(ExitCode.IMAGE)


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
) -> None:
    """Withdraw consent and delete everything: template, accounts, findings, thumbnails."""
    from faceaudit import checkup
    from faceaudit.workspace import default_home

    env = _env(ctx)
    home = Path(env.home or default_home())
    if not yes:
        if not env.stdin_isatty:
            raise UsageError("forget asks before deleting, and there is no terminal to ask in",
                             "run it in a terminal, or pass --yes")
        if not env.confirm(f"Delete everything faceaudit keeps in {home}?", default=False):
            raise typer.Exit(ExitCode.OK)
    keys = checkup.forget(home)
    if keys is None:
        env.stdout.print(f"Nothing to delete: {escape(str(home))} does not exist.")
        return
    env.stdout.print(f"Deleted everything in {escape(str(home))}: consent withdrawn.")
    if home.exists():  # faceaudit deletes only its own files: the user's stay, and so does their folder
        env.stdout.print(f"Left {escape(str(home))} in place: it holds files faceaudit did not make.")
    for store in keys:
        env.stdout.print(f"Destroyed the face template key in {escape(store.describe())}.")


# -- doctor ----------------------------------------------------------------------------------
@app.command("doctor")
def doctor_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    model_dir: Annotated[Path | None, typer.Option("--model-dir")] = None,
) -> None:
    """What is installed (browser, engines, model packs) and what is not, and why."""
    from faceaudit.doctor import checks

    env = _env(ctx)
    results = checks(model_dir, home=env.home)
    if as_json:
        env.write(json.dumps(results, indent=2))
        return
    for item in results:
        mark = "[green]ok[/green]  " if item["ok"] else "[yellow]missing[/yellow]"
        env.stdout.print(f"{mark} {item['name']}: {escape(str(item['detail']))}")


# -- demo ------------------------------------------------------------------------------------
@app.command("demo")
def demo_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Report JSON plus a `demo` section listing the fixture photos.")] = False,
    html: Annotated[str | None, typer.Option("--html", metavar="FILE", help="Also write the HTML report to FILE.")] = None,
) -> None:
    """The whole checkup, offline, on a fictional person's built-in fixture accounts."""
    from faceaudit.demo.fixture import demo_platform_names
    from faceaudit.demo.run import run_demo
    from faceaudit.workspace import report_target

    env = _env(ctx)
    if html is not None:  # a bad target is refused before the demo runs, not after
        report_target(html)
    if not as_json:
        env.stderr.print(f"faceaudit demo: a fictional person's website and accounts on {demo_platform_names()}, "
                         "imitated on this machine.")
    report, extra = run_demo(_ScanBar(env.stderr))
    _render(env, report, as_json=as_json, html=html, extra=extra)


@app.command("version", hidden=True)
def version_command(ctx: typer.Context) -> None:
    """Print faceaudit's version."""
    _env(ctx).stdout.print(__version__)


def run(argv: list[str] | None = None, env: Environment | None = None) -> int:
    """Run one command in `env` (default: this process's terminal and stdin); returns its exit
    code. Errors become one line plus a hint.

    What Click and Typer print on their own (help, usage errors) cannot be given a stream, so
    sys.stdout and sys.stderr point at the Environment's consoles while the command runs."""
    env = dataclasses.replace(env) if env is not None else Environment.standard()
    with contextlib.redirect_stdout(env.stdout.file), contextlib.redirect_stderr(env.stderr.file):
        return _run(argv, env)


def _run(argv: list[str] | None, env: Environment) -> int:
    err = env.stderr
    try:
        result = app(args=argv, standalone_mode=False, obj=env)
        return int(result) if isinstance(result, int) else 0
    except FaceauditError as exc:
        if env.debug:
            traceback.print_exc(file=err.file)
        # A message can quote what a page or a user typed: printable, so it stays one line.
        err.print(f"[bold red]error[/bold red] {escape(f'[{exc.ref}]')}: {escape(printable(exc.message))}",
                  highlight=False)
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
