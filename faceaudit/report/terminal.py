"""The report in the terminal: a summary table, then each account's photos of you and what to change.

Everything that came from the web (URLs, alt text, notes) is printed as plain `Text`, never
parsed as rich markup, and the layout reads the same without colour.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from faceaudit.report.advice import AdviceItem, advice_for, general_facts, load, platform_name
from faceaudit.report.model import (
    EXPOSURE_MEANING,
    NOTHING_FOUND,
    NOTHING_HERE,
    PARTLY_SEEN,
    STOP_LABELS,
    VERDICT_LABELS,
    AccountReport,
    FindingReport,
    ReportData,
    crawl_summary,
    finding_summary,
    metadata_leaks,
    status_warning,
)

EXPOSURE_STYLES = {"high": "bold red", "medium": "yellow", "low": "cyan", "none": "green"}


def render(report: ReportData, console: Console) -> None:
    console.print(_heading(report))
    if status_warning(report):
        console.print(Text(status_warning(report), style="bold yellow"))
    console.print(_summary_table(report, console.width))
    if report.nothing_found:
        nothing = Text(NOTHING_FOUND, style="bold green")
        if report.incomplete_note:
            nothing.append(f" {report.incomplete_note}", style="")
        console.print(nothing)
        if report.partly_seen:
            console.print(Text(PARTLY_SEEN))
    for account in report.accounts:
        console.print()
        _render_account(account, console)
    console.print()
    console.print(Rule(Text("Good to know", style="bold"), align="left"))
    for item in general_facts():
        console.print(_advice_block(item))


def _heading(report: ReportData) -> Text:
    finished = f"finished {report.scan_finished}" if report.scan_finished else "not finished"
    text = Text(f"faceaudit report — scan {report.scan_id}", style="bold")
    text.append(f"\nScan started {report.scan_started}, {finished}, status: {report.scan_status}")
    thresholds = ", ".join(f"{name} ≥ {value:.2f}" for name, value in report.thresholds.items())
    text.append(f"\nFace engine {report.engine}")
    if thresholds:
        text.append(f" (similarity thresholds: {thresholds})")
    text.append(f"\nReport generated {report.generated_at}")
    return text


def _summary_table(report: ReportData, width: int) -> Table:
    # Under 100 columns the similarity and face-size columns are left to each account's
    # section below, so the account URL keeps room to be read.
    wide = width >= 100
    table = Table(title="Your accounts", title_justify="left")
    table.add_column("Account", overflow="fold", min_width=18, ratio=1)
    table.add_column("Photos\nseen", justify="right", no_wrap=True)
    table.add_column("With\nyour face", justify="right", no_wrap=True)
    if wide:
        table.add_column("Best\nsimilarity", justify="right", no_wrap=True)
        table.add_column("Biggest\nface", justify="right", no_wrap=True)
    table.add_column("Other\nfaces", justify="right", no_wrap=True)
    table.add_column("Exposure", no_wrap=True)
    table.add_column("Crawl\nstopped", overflow="fold", min_width=8)
    for account in report.accounts:
        site = Text(platform_name(account.site), style="bold")
        site.append("\n")
        site.append(account.url, style="")
        size = [] if not wide else [
            "—" if account.best_similarity is None else f"{account.best_similarity:.2f}",
            "—" if account.biggest_face_px is None else f"{account.biggest_face_px} px",
        ]
        table.add_row(
            site,
            str(account.images_seen),
            _with_you(account),
            *size,
            str(account.other_faces),
            Text(account.exposure, style=EXPOSURE_STYLES.get(account.exposure, "")),
            Text(STOP_LABELS.get(account.stop, account.stop)),
        )
    return table


def _with_you(account: AccountReport) -> str:
    text = str(account.photos_with_you)
    if account.photos_maybe_you:
        text += f" (+{account.photos_maybe_you} maybe)"
    return text


def _render_account(account: AccountReport, console: Console) -> None:
    console.print(Rule(Text(platform_name(account.site), style="bold"), align="left"))
    console.print(Text(f"Account: {account.url}", overflow="fold"))
    exposure = Text("Exposure: ")
    exposure.append(account.exposure, style=EXPOSURE_STYLES.get(account.exposure, ""))
    exposure.append(f" ({EXPOSURE_MEANING.get(account.exposure, '')})")
    console.print(exposure)
    console.print(Text(crawl_summary(account)))
    for note in account.notes:
        console.print(Padding(Text(f"Note: {note}"), (0, 0, 0, 2)))
    if not account.findings:
        console.print(Text(NOTHING_HERE, style="green"))
        return
    console.print(Text(f"Photos of you ({len(account.findings)}):", style="bold"))
    for number, finding in enumerate(account.findings, start=1):
        console.print(_finding_block(number, finding))
    advice = [
        item
        for item in advice_for(account.site, account.findings, account.indexable)
        if not item.is_general_fact
    ]
    if load(account.site) is None:
        console.print(
            Text(f"faceaudit has no settings advice for {account.site!r} yet.", style="italic")
        )
    if advice:
        console.print(Text(f"What to change on {platform_name(account.site)}:", style="bold"))
        for item in advice:
            console.print(_advice_block(item))


def _finding_block(number: int, finding: FindingReport) -> RenderableType:
    verdict = VERDICT_LABELS.get(finding.verdict, finding.verdict)
    head = Text()
    head.append(verdict.upper(), style="bold red" if finding.verdict == "you" else "yellow")
    head.append(f" · {finding_summary(finding)}")
    lines: list[RenderableType] = [head]
    leaks = metadata_leaks(finding)
    if leaks:
        leak = Text("The file gives away: ", style="bold")
        leak.append(" · ".join(leaks), style="red" if finding.has_gps else "")
        lines.append(leak)
    lines.append(Text(f"Image: {finding.image_url}", overflow="fold"))
    if finding.page_url and finding.page_url != finding.image_url:
        lines.append(Text(f"On page: {finding.page_url}", overflow="fold"))
    if finding.alt:
        lines.append(Text(f"Alt text: {finding.alt}"))
    return _hanging(f"{number}.", Group(*lines))


def _advice_block(item: AdviceItem) -> RenderableType:
    lines: list[RenderableType] = [Text(item.advice)]
    lines.append(Text(f"Where: {item.where}"))
    if item.always_public:
        stays = item.always_public if isinstance(item.always_public, str) else "yes"
        lines.append(Text(f"Public whatever the settings: {stays}"))
    source = Text(f"Source: {item.source} (checked {item.checked})", overflow="fold")
    if item.source_note:
        source.append(f" — {item.source_note}", style="dim")
    lines.append(source)
    return _hanging("•", Group(*lines))


def _hanging(marker: str, body: RenderableType) -> RenderableType:
    """`marker` in a narrow column, `body` beside it, so wrapped lines keep their indent."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row(Text(marker), body)
    return Padding(grid, (0, 0, 0, 2))
