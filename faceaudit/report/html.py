"""The report as one self-contained HTML page: no scripts, no external resources, everything escaped.

A Content-Security-Policy meta tag forbids scripts and any non-inline resource, so even a
mistake in escaping could not make the page load or run anything.
"""

from __future__ import annotations

import base64
from html import escape
from urllib.parse import urlsplit

from faceaudit.report.advice import AdviceItem, advice_for, general_facts, load, platform_name
from faceaudit.report.model import (
    EXPOSURE_MEANING,
    NOTHING_FOUND,
    NOTHING_HERE,
    PARTLY_SEEN,
    VERDICT_LABELS,
    AccountReport,
    FindingReport,
    ReportData,
    crawl_summary,
    describe_stop,
    finding_summary,
    metadata_leaks,
    status_warning,
)

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'"
STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.n{text-align:right}.warn{background:#fff4d6;border:1px solid #e0b100;padding:.5rem 1rem}
.ok{color:#17622a;font-weight:bold}.high{color:#b00020;font-weight:bold}.medium{color:#8a5a00}.low{color:#225}
.finding{display:flex;gap:1rem;border-top:1px solid #ddd;padding:.5rem 0}.finding img{width:96px;height:96px;object-fit:cover}
.url{word-break:break-all}.leak{color:#b00020}.small{color:#555;font-size:.9em}
"""


def render(report: ReportData) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{escape(CSP)}">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>faceaudit report — scan {report.scan_id}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>faceaudit report — scan {report.scan_id}</h1>",
        _heading(report),
    ]
    if status_warning(report):
        parts.append(f'<p class="warn">{escape(status_warning(report))}</p>')
    parts.append(_summary_table(report))
    if report.nothing_found:
        partial = f" {report.incomplete_note}" if report.incomplete_note else ""
        parts.append(f'<p class="ok">{escape(NOTHING_FOUND)}{escape(partial)}</p>')
        if report.partly_seen:
            parts.append(f"<p>{escape(PARTLY_SEEN)}</p>")
    parts += [_account(account) for account in report.accounts]
    parts.append("<h2>Good to know</h2><ul>")
    parts += [f"<li>{_advice(item)}</li>" for item in general_facts()]
    parts.append("</ul></body></html>\n")
    return "\n".join(parts)


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


def _account(account: AccountReport) -> str:
    name = escape(platform_name(account.site))
    parts = [
        f'<section><h2>{name} — <span class="url">{escape(account.url)}</span></h2>',
        f'<p>Exposure: <span class="{escape(account.exposure)}">{escape(account.exposure)}</span> '
        f"({escape(EXPOSURE_MEANING.get(account.exposure, ''))})</p>",
        f"<p>{escape(crawl_summary(account))}</p>",
    ]
    parts += [f"<p>Note: {escape(note)}</p>" for note in account.notes]
    if not account.findings:
        parts.append(f'<p class="ok">{escape(NOTHING_HERE)}</p></section>')
        return "\n".join(parts)
    parts.append(f"<h3>Photos of you ({len(account.findings)})</h3>")
    parts += [_finding(number, f) for number, f in enumerate(account.findings, start=1)]
    if load(account.site) is None:
        parts.append(
            f"<p><em>faceaudit has no settings advice for {escape(account.site)} yet.</em></p>"
        )
    advice = [
        i
        for i in advice_for(account.site, account.findings, account.indexable)
        if not i.is_general_fact
    ]
    if advice:
        parts.append(f"<h3>What to change on {name}</h3><ul>")
        parts += [f"<li>{_advice(item)}</li>" for item in advice]
        parts.append("</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def _finding(number: int, finding: FindingReport) -> str:
    thumb = ""
    if finding.thumbnail_jpeg:
        data = base64.b64encode(finding.thumbnail_jpeg).decode("ascii")
        thumb = f'<img alt="your face in photo {number}" src="data:image/jpeg;base64,{data}">'
    verdict = escape(VERDICT_LABELS.get(finding.verdict, finding.verdict).upper())
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


def _link(url: str) -> str:
    """A link for http(s) URLs; anything else (javascript:, data:...) is shown as text only."""
    if urlsplit(url).scheme.lower() in ("http", "https"):
        return f'<a href="{escape(url, quote=True)}" rel="noreferrer">{escape(url)}</a>'
    return escape(url)
