"""The report in the terminal. By default one screen answers "how exposed am I and what do I do
first": a one-line heading, the exposure with what was checked, the top three actions (what,
what to do, where) with what their risk means, and one line per account. `everything=True`
(`report --all`) adds every action with its photos and sources, the accounts table, each
account's photos, what changed photo by photo, and the general facts.

Everything that came from the web (URLs, alt text, notes, EXIF) is printed as plain `Text`,
never parsed as rich markup, with its control characters shown as escapes (`render` makes the
whole report `printable` first: a page cannot clear the screen or forge a line), and the layout
reads the same without colour.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from faceaudit.report.actions import RISK_MEANING, Action, ActionPlan, plan
from faceaudit.report.advice import (
    AdviceItem,
    general_facts,
    load,
    other_people_advice,
    platform_name,
)
from faceaudit.report.model import (
    FIRST_SCAN_SHORT,
    KIND_LABELS,
    UNKNOWN,
    VERDICT_LABELS,
    AccountReport,
    FindingReport,
    ReportData,
    Seen,
    account_meaning,
    account_nothing_line,
    coverage_line,
    crawl_summary,
    describe_indexable,
    exposure_label,
    exposure_lines,
    exposure_summary,
    finding_summary,
    headline,
    history_line,
    metadata_leaks,
    nothing_found_line,
    others_summary,
    report_warnings,
    scan_line,
    seen_label,
    thresholds_line,
)
from faceaudit.text import printable_fields
from faceaudit.types import CrawlCost, Verdict

EXPOSURE_STYLES = {"high": "bold red", "medium": "yellow", "low": "cyan", "none": "green", UNKNOWN: "bold yellow"}
FIRST_ACTIONS = 3  # actions on the first screen; `--all` shows every one


def render(report: ReportData, console: Console, *, everything: bool = False,
           command: str = "faceaudit report") -> None:
    """The first screen; with `everything`, then every action, account, photo, source and change.
    `command` is what the user runs again to see more (`faceaudit demo` for the demo's report)."""
    report = printable_fields(report)  # every string from a page or platform, once, before any is shown
    actions = plan(report)
    console.print(_heading(report, everything))
    for warning in report_warnings(report):
        console.print(Text(f"Warning: {warning}", style="bold yellow"))
    _exposure(report, console, everything)
    _actions(actions, console, everything, command)
    console.print()
    if not everything:
        console.print(_account_lines(report))
        console.print()
        console.print(Text(f"Everything (every action, photo, source, change): {command} --all"))
        console.print(Text(f"As a web page to tick off: {command} --html FILE"))
        return
    console.print(_summary_table(report, console.width))
    for account in report.accounts:
        console.print()
        _render_account(account, actions, console)
    if report.history is not None:
        _render_history(report, console)
    console.print()
    console.print(Rule(Text("Good to know", style="bold"), align="left"))
    for item in general_facts():
        console.print(_advice_block(item))


def _exposure(report: ReportData, console: Console, everything: bool) -> None:
    console.print()
    level_shown, meaning = headline(report)
    head = Text("How exposed are you? ", style="bold")
    head.append(level_shown, style=EXPOSURE_STYLES[report.exposure])
    head.append(f" — {meaning}")
    console.print(head)
    console.print(Text(coverage_line(report), style="" if report.coverage.complete else "bold yellow"))
    nothing = nothing_found_line(report)
    if nothing:
        console.print(Text(nothing, style="bold green" if report.coverage.complete else ""))
    if everything:
        for line in exposure_lines(report):
            console.print(_hanging("·", Text(line)))
        others = others_summary(report)
        consider = other_people_advice()
        if others and consider is not None:
            console.print(_hanging("·", Text(f"{others} → {consider.do}")))
    elif not nothing:
        console.print(Text(exposure_summary(report)))
    short = report.history is None and not everything
    console.print(Text(FIRST_SCAN_SHORT if short else history_line(report)))


def _actions(actions: ActionPlan, console: Console, everything: bool, command: str) -> None:
    if not len(actions):
        return
    shown = actions.actions if everything else actions.actions[:FIRST_ACTIONS]
    console.print()
    if everything:
        counts = ", ".join(f"{n} on {name}" for name, n in actions.counts().items())
        title = f"What to change, most important first ({len(actions)} in all: {counts})"
    elif len(shown) < len(actions):
        title = f"What to change, most important first (the top {len(shown)} of {len(actions)})"
    else:
        title = "What to change, most important first"
    console.print(Text(title, style="bold"))
    console.print(Text(RISK_MEANING, style="dim"))
    for action in shown:
        console.print(_action_block(action, everything))
    if len(shown) < len(actions):
        console.print(Text(f"  … and {len(actions) - len(shown)} more: {command} --all", style="dim"))


def _action_block(action: Action, everything: bool) -> RenderableType:
    head = Text("" if action.platform in action.problem else f"{action.platform}: ", style="bold")
    head.append(action.problem, style="bold")
    head.append(f" (risk {action.risk})")
    lines: list[RenderableType] = [head, Text(f"→ {action.advice.do}")]
    if everything:
        lines.append(Text(action.advice.advice, style="dim"))
    where = Text(f"Where: {action.advice.where}", overflow="fold")
    if action.settings_url:
        where.append(f" · {action.settings_url}")
    lines.append(where)
    if not everything:  # the first screen: what, what to do, where; the rest under --all
        return _hanging(f"{action.number}.", Group(*lines))
    for extra in action.also:
        also = Text(f"Also: {extra.do} — {extra.where}")
        link = extra.settings_link(action.account_url)
        if link:
            also.append(f" · {link}")
        lines.append(also)
    if action.category != "gps":  # a GPS action names its photo already
        lines += [Text(f"Photo: {url}", overflow="fold") for url in action.image_urls]
    sources = [action.advice, *action.also]
    lines.append(Text("Source: " + "; ".join(f"{s.source} (checked {s.checked})" for s in sources),
                      style="dim", overflow="fold"))
    return _hanging(f"{action.number}.", Group(*lines))


def _heading(report: ReportData, everything: bool) -> Text:
    text = Text("faceaudit report", style="bold")
    text.append(f" · {scan_line(report)}")
    if everything:
        finished = f"finished {report.scan_finished}" if report.scan_finished else "not finished"
        text.append(f"\nScan started {report.scan_started}, {finished}; report made {report.generated_at}")
        thresholds = thresholds_line(report)
        if thresholds:
            text.append(f"\n{thresholds}")
    return text


def _account_lines(report: ReportData) -> RenderableType:
    """One line per account: platform, where, photos of you, exposure, how much was seen."""
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), show_edge=False, header_style="bold")
    table.add_column("Your accounts", min_width=8)
    table.add_column("", overflow="ellipsis", min_width=12)
    table.add_column("Photos of you", no_wrap=True, justify="right")
    table.add_column("Exposure", no_wrap=True)
    table.add_column("Seen", overflow="fold", min_width=10)
    for account in report.accounts:
        table.add_row(
            Text(platform_name(account.site)),
            Text(_short_url(account.url)),
            Text(_with_you(account)),
            Text(exposure_label(account), style=EXPOSURE_STYLES.get(account.exposure, "")),
            Text(seen_label(account), style="" if account.seen is Seen.WHOLE else "yellow"),
        )
    return table


def _short_url(url: str) -> str:
    """ "https://www.instagram.com/sam/" as "instagram.com/sam": the account, in few columns."""
    short = url.split("://", 1)[1] if "://" in url else url.removeprefix("mailto:")
    return short.removeprefix("www.").rstrip("/")


def _summary_table(report: ReportData, width: int) -> Table:
    # Under 100 columns the similarity and face-size columns are left to each account's
    # section below, so the account URL keeps room to be read.
    wide = width >= 100
    table = Table(title="Your accounts", title_justify="left")
    table.add_column("Account", overflow="fold", ratio=1)
    table.add_column("Photos\nseen", justify="right", no_wrap=True)
    table.add_column("With\nyour face", justify="right", no_wrap=True)
    if wide:
        table.add_column("Best\nmatch", justify="right", no_wrap=True)
        table.add_column("Biggest\nface", justify="right", no_wrap=True)
    table.add_column("Other\nfaces", justify="right", no_wrap=True)
    table.add_column("Exposure", overflow="fold")
    table.add_column("Seen", overflow="fold")
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
            _with_you(account).replace(" (", "\n("),  # the count, and the maybes below it
            *size,
            str(account.other_faces),
            Text(exposure_label(account), style=EXPOSURE_STYLES.get(account.exposure, "")),
            Text(seen_label(account)),
        )
    return table


def _with_you(account: AccountReport) -> str:
    text = str(account.photos_with_you)
    if account.photos_maybe_you:
        text += f" (+{account.photos_maybe_you} maybe)"
    return text


def _render_account(account: AccountReport, actions: ActionPlan, console: Console) -> None:
    console.print(Rule(Text(platform_name(account.site), style="bold"), align="left"))
    console.print(Text(f"Account: {account.url}", overflow="fold"))
    exposure = Text("Exposure: ")
    if account.exposure in ("none", UNKNOWN):  # the meaning says it: "no photo of your face found"
        exposure.append(account_meaning(account), style=EXPOSURE_STYLES.get(account.exposure, ""))
    else:
        exposure.append(exposure_label(account), style=EXPOSURE_STYLES.get(account.exposure, ""))
        exposure.append(f" ({account_meaning(account)})")
    console.print(exposure)
    if account.findings:
        console.print(Text(_factors(account)))
    console.print(Text(crawl_summary(account)))
    if account.cost is not None:
        console.print(Text(_cost_line(account.cost), style="dim"))
    for note in account.notes:
        console.print(Padding(Text(f"Note: {note}"), (0, 0, 0, 2)))
    advice = load(account.site)
    if advice is not None and account.findings:
        console.print(Text(f"Public whatever the settings: {advice.always_public}"))
    if not account.findings:
        console.print(Text(account_nothing_line(account), style="green" if account.seen is Seen.WHOLE else "yellow"))
        return
    console.print(Text(f"Photos of you ({len(account.findings)}):", style="bold"))
    for number, finding in enumerate(account.findings, start=1):
        console.print(_finding_block(number, finding))
    if advice is None:
        console.print(
            Text(f"faceaudit has no settings advice for {platform_name(account.site)} yet.", style="italic")
        )
    mine = actions.for_account(account.url)
    if mine:
        console.print(Text(f"What to change on {platform_name(account.site)} (numbers as in the list above):",
                           style="bold"))
        for action in mine:
            console.print(_hanging(f"#{action.number}", Text(f"{action.advice.do} — {action.advice.where}")))


def _cost_line(cost: CrawlCost) -> str:
    """What the crawl cost the platform: a re-scan of an unchanged account should cost little."""
    line = f"Crawl cost: {cost.requests} request{'' if cost.requests == 1 else 's'}, {_size(cost.bytes_received)}"
    if cost.not_modified:
        line += f" ({cost.not_modified} image{'' if cost.not_modified == 1 else 's'} unchanged since last scan)"
    return line


def _size(count: int) -> str:
    """Bytes as a person reads them: 812 B, 41 kB, 4.1 MB."""
    if count < 1000:
        return f"{count} B"
    if count < 1_000_000:
        return f"{count / 1000:.0f} kB"
    return f"{count / 1_000_000:.1f} MB"


def _factors(account: AccountReport) -> str:
    parts = [f"Photos of you {account.photos_with_you}"
             + (f" (+{account.photos_maybe_you} maybe)" if account.photos_maybe_you else ""),
             f"in always-public slots {account.slots_with_you}",
             f"best recognisability {account.best_recognisability}/100",
             f"search engines may index it: {describe_indexable(account.indexable)}"]
    if account.photos_with_gps:
        parts.append(f"with GPS {account.photos_with_gps}")
    if account.photos_with_metadata:
        parts.append(f"with capture time or camera {account.photos_with_metadata}")
    return " · ".join(parts)


def _render_history(report: ReportData, console: Console) -> None:
    history = report.history
    assert history is not None
    console.print()
    console.print(Rule(Text(f"Since scan {history.previous_scan_id}", style="bold"), align="left"))
    for title, photos in (("Resolved", history.resolved), ("New", history.new),
                          ("Not seen this time, account not fully seen", history.unconfirmed),
                          ("Still there", history.still)):
        if not photos:
            continue
        console.print(Text(f"{title} ({len(photos)}):", style="bold"))
        for photo in photos:
            line = Text(f"{platform_name(photo.site)} {KIND_LABELS[photo.kind]}: {photo.image_url}",
                        overflow="fold")
            console.print(_hanging("·", line))


def _finding_block(number: int, finding: FindingReport) -> RenderableType:
    verdict = VERDICT_LABELS[finding.verdict]
    head = Text()
    head.append(verdict.upper(), style="bold red" if finding.verdict is Verdict.YOU else "yellow")
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
