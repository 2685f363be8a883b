"""The report as one self-contained HTML page: no scripts, no external resources, everything escaped.

A Content-Security-Policy meta tag forbids scripts and any non-inline resource, so even a
mistake in escaping could not make the page load or run anything. The only images are the
thumbnails of the user's own face, inline as data: URLs; other people are never shown.
The page reads top-down like the terminal report: how exposed, what changed since the last
scan, the ranked checklist of actions, then each account with its photos.
"""

from __future__ import annotations

import base64
from html import escape
from urllib.parse import urlsplit

from faceaudit.report.actions import Action, ActionPlan, plan
from faceaudit.report.advice import (
    AdviceItem,
    general_facts,
    load,
    other_people_advice,
    platform_name,
)
from faceaudit.report.model import (
    KIND_LABELS,
    VERDICT_LABELS,
    AccountReport,
    ChangedPhoto,
    FindingReport,
    ReportData,
    Seen,
    account_meaning,
    account_nothing_line,
    coverage_line,
    crawl_summary,
    describe_indexable,
    describe_stop,
    exposure_lines,
    finding_summary,
    headline,
    history_line,
    metadata_leaks,
    nothing_found_line,
    others_summary,
    report_warnings,
)
from faceaudit.text import printable_fields

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'"
STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.n{text-align:right}.warn{background:#fff4d6;border:1px solid #e0b100;padding:.5rem 1rem}
.ok{color:#17622a;font-weight:bold}.unknown{color:#8a5a00;font-weight:bold}.high{color:#b00020;font-weight:bold}.medium{color:#8a5a00}.low{color:#225}
.finding{display:flex;gap:1rem;border-top:1px solid #ddd;padding:.5rem 0}.finding img{width:96px;height:96px;object-fit:cover}
.url{word-break:break-all}.leak{color:#b00020}.small{color:#555;font-size:.9em}
.headline{font-size:1.3em}ol.actions{padding-left:1.5rem}ol.actions li{margin:.6rem 0}
ol.actions label{font-weight:bold}.risk{color:#555;font-weight:normal;font-size:.85em}
.do{margin:.1rem 0 .1rem 1.6rem}.resolved{color:#17622a}.new{color:#b00020}
"""


def render(report: ReportData) -> str:
    report = printable_fields(report)  # controls and bidi overrides from a page shown, not obeyed
    actions = plan(report)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{escape(CSP)}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>faceaudit report — scan {report.scan_id}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>faceaudit report — scan {report.scan_id}</h1>",
        _heading(report),
    ]
    parts += [f'<p class="warn">{escape(w)}</p>' for w in report_warnings(report)]
    parts.append(_exposure(report))
    parts.append(_checklist(actions))
    parts.append(_summary_table(report))
    parts += [_account(account, actions) for account in report.accounts]
    if report.history is not None:
        parts.append(_history(report))
    parts.append("<h2>Good to know</h2><ul>")
    parts += [f"<li>{_advice(item)}</li>" for item in general_facts()]
    parts.append("</ul></body></html>\n")
    return "\n".join(parts)


def _exposure(report: ReportData) -> str:
    shown, meaning = headline(report)
    complete = report.coverage.complete
    parts = [
        '<h2 id="exposure">How exposed are you?</h2>',
        f'<p class="headline"><span class="{escape(report.exposure)}">{escape(shown)}</span> — '
        f"{escape(meaning)}</p>",
        f'<p class="{"coverage" if complete else "coverage warn"}">{escape(coverage_line(report))}</p>',
    ]
    nothing = nothing_found_line(report)
    if nothing:  # green only when every account was seen to the end
        parts.append(f'<p class="{"ok" if complete else ""}">{escape(nothing)}</p>')
    lines = [escape(line) for line in exposure_lines(report)]
    others, consider = others_summary(report), other_people_advice()
    if others and consider is not None:
        lines.append(f"{escape(others)} {escape(consider.do)}. "
                     f'<span class="small">Source: {_link(consider.source)} (checked {escape(consider.checked)})</span>')
    if lines:
        parts.append("<ul>" + "".join(f"<li>{line}</li>" for line in lines) + "</ul>")
    parts.append(f"<p><strong>Since last time:</strong> {escape(history_line(report))}</p>")
    return "\n".join(parts)


def _checklist(actions: ActionPlan) -> str:
    if not len(actions):
        return ""
    counts = ", ".join(f"{n} on {escape(name)}" for name, n in actions.counts().items())
    items = "".join(_action(action) for action in actions.actions)
    return (f'<h2 id="actions">What to change, most important first ({len(actions)}: {counts})</h2>'
            f'<ol class="actions">{items}</ol>')


def _action(action: Action) -> str:
    box = f"action-{action.number}"
    prefix = "" if action.platform in action.problem else f"{action.platform}: "
    lines = [
        f'<input type="checkbox" id="{box}"> <label for="{box}">{escape(prefix + action.problem)}'
        f' <span class="risk">risk {action.risk}</span></label>',
        f'<p class="do">→ {escape(action.advice.do)}<br><span class="small">{escape(action.advice.advice)}</span>'
        f"<br>Where: {escape(action.advice.where)}"
        + (f" · {_link(action.settings_url)}" if action.settings_url else "") + "</p>",
    ]
    for extra in action.also:
        link = extra.settings_link(action.account_url)
        lines.append(f'<p class="do">Also: {escape(extra.do)} — {escape(extra.where)}'
                     + (f" · {_link(link)}" if link else "") + "</p>")
    if len(action.photos) > 1 or action.category != "reach":
        photos = " ".join(_link(url, f"photo {n}") for n, url in enumerate(action.image_urls, start=1))
        lines.append(f'<p class="do small url">Photos: {photos}</p>')
    sources = "; ".join(f"{_link(s.source)} (checked {escape(s.checked)})" for s in (action.advice, *action.also))
    lines.append(f'<p class="do small url">Source: {sources}</p>')
    return f"<li>{''.join(lines)}</li>"


def _history(report: ReportData) -> str:
    history = report.history
    assert history is not None
    parts = [f'<h2 id="history">Since scan {history.previous_scan_id}</h2>']
    for title, css, photos in (("Resolved", "resolved", history.resolved), ("New", "new", history.new),
                               ("Not seen this time on an account this scan could not see in full", "",
                                history.unconfirmed),
                               ("Still there", "", history.still)):
        if photos:
            parts.append(f'<h3 class="{css}">{escape(title)} ({len(photos)})</h3><ul>')
            parts += [f'<li class="url">{_changed(photo)}</li>' for photo in photos]
            parts.append("</ul>")
    return "\n".join(parts)


def _changed(photo: ChangedPhoto) -> str:
    kind = KIND_LABELS[photo.kind]
    return f"{escape(platform_name(photo.site))} {escape(kind)}: {_link(photo.image_url)}"


def _heading(report: ReportData) -> str:
    thresholds = ", ".join(f"{escape(k)} ≥ {v:.2f}" for k, v in report.thresholds.items())
    finished = f"finished {report.scan_finished}" if report.scan_finished else "not finished"
    return (
        f'<p class="small">Scan started {escape(report.scan_started)}, '
        f"{escape(finished)}, status: {escape(report.scan_status)}. "
        f"Face engine {escape(report.engine)}{f' (similarity thresholds: {thresholds})' if thresholds else ''}. "
        f"Report generated {escape(report.generated_at)}.</p>"
    )


def _summary_table(report: ReportData) -> str:
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "Site",
            "Account",
            "Photos seen",
            "With your face",
            "Best similarity",
            "Biggest face",
            "Other faces",
            "Exposure",
            "Crawl stopped",
        )
    )
    rows = []
    for a in report.accounts:
        best = "—" if a.best_similarity is None else f"{a.best_similarity:.2f}"
        biggest = "—" if a.biggest_face_px is None else f"{a.biggest_face_px} px"
        with_you = f"{a.photos_with_you}" + (
            f" (+{a.photos_maybe_you} maybe)" if a.photos_maybe_you else ""
        )
        rows.append(
            f'<tr><td>{escape(platform_name(a.site))}</td><td class="url">{_link(a.url)}</td>'
            f'<td class="n">{a.images_seen}</td><td class="n">{with_you}</td><td class="n">{best}</td>'
            f'<td class="n">{biggest}</td><td class="n">{a.other_faces}</td>'
            f'<td class="{escape(a.exposure)}">{escape(a.exposure)}</td><td>{escape(describe_stop(a))}</td></tr>'
        )
    return f"<h2>Your accounts</h2><table><tr>{head}</tr>{''.join(rows)}</table>"


def _account(account: AccountReport, actions: ActionPlan) -> str:
    name = escape(platform_name(account.site))
    parts = [
        f'<section><h2>{name} — <span class="url">{escape(account.url)}</span></h2>',
        f'<p>Exposure: <span class="{escape(account.exposure)}">{escape(account.exposure)}</span> '
        f"({escape(account_meaning(account))})</p>",
    ]
    if account.findings:
        parts.append(
            f"<p>Photos of you: {account.photos_with_you}"
            + (f" (+{account.photos_maybe_you} maybe)" if account.photos_maybe_you else "")
            + f" · in always-public slots: {account.slots_with_you}"
            f" · best recognisability: {account.best_recognisability}/100"
            f" · search engines may index it: {escape(describe_indexable(account.indexable))}"
            f" · with GPS: {account.photos_with_gps} · with capture time or camera: {account.photos_with_metadata}</p>"
        )
    parts.append(f"<p>{escape(crawl_summary(account))}</p>")
    parts += [f"<p>Note: {escape(note)}</p>" for note in account.notes]
    if not account.findings:
        quiet = "ok" if account.seen is Seen.WHOLE else "warn"
        parts.append(f'<p class="{quiet}">{escape(account_nothing_line(account))}</p></section>')
        return "\n".join(parts)
    advice = load(account.site)
    if advice is not None:
        parts.append(f"<p>Public whatever the settings: {escape(advice.always_public)}</p>")
    parts.append(f"<h3>Photos of you ({len(account.findings)})</h3>")
    parts += [_finding(number, f) for number, f in enumerate(account.findings, start=1)]
    if advice is None:
        parts.append(
            f"<p><em>faceaudit has no settings advice for {escape(account.site)} yet.</em></p>"
        )
    mine = actions.for_account(account.url)
    if mine:
        parts.append(f"<h3>What to change on {name}</h3><ul>")
        parts += [f'<li><a href="#action-{a.number}">#{a.number}</a> {escape(a.advice.do)} — '
                  f"{escape(a.advice.where)}</li>" for a in mine]
        parts.append("</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def _finding(number: int, finding: FindingReport) -> str:
    thumb = ""
    if finding.thumbnail_jpeg:
        data = base64.b64encode(finding.thumbnail_jpeg).decode("ascii")
        thumb = f'<img alt="your face in photo {number}" src="data:image/jpeg;base64,{data}">'
    verdict = escape(VERDICT_LABELS[finding.verdict].upper())
    lines = [f"<p><strong>{number}. {verdict}</strong> · {escape(finding_summary(finding))}</p>"]
    leaks = metadata_leaks(finding)
    if leaks:
        lines.append(f'<p class="leak">The file gives away: {escape(" · ".join(leaks))}</p>')
    lines.append(f'<p class="url">Image: {_link(finding.image_url)}</p>')
    if finding.page_url and finding.page_url != finding.image_url:
        lines.append(f'<p class="url">On page: {_link(finding.page_url)}</p>')
    if finding.alt:
        lines.append(f"<p>Alt text: {escape(finding.alt)}</p>")
    return f'<div class="finding">{thumb}<div>{"".join(lines)}</div></div>'


def _advice(item: AdviceItem) -> str:
    parts = [f'{escape(item.advice)}<br><span class="small">Where: {escape(item.where)}</span>']
    if item.always_public:
        stays = item.always_public if isinstance(item.always_public, str) else "yes"
        parts.append(
            f'<br><span class="small">Public whatever the settings: {escape(stays)}</span>'
        )
    note = f" — {escape(item.source_note)}" if item.source_note else ""
    parts.append(
        f'<br><span class="small url">Source: {_link(item.source)} (checked {escape(item.checked)}){note}</span>'
    )
    return "".join(parts)


def _link(url: str, text: str = "") -> str:
    """A link for http(s) URLs; anything else (javascript:, data:...) is shown as text only."""
    if urlsplit(url).scheme.lower() in ("http", "https"):
        return f'<a href="{escape(url, quote=True)}" rel="noreferrer">{escape(text or url)}</a>'
    return escape(url)
