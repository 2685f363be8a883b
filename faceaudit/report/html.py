"""The report as one self-contained HTML page that works on a phone, a desktop and paper.

A Content-Security-Policy meta tag forbids every resource that is not inline, and every script
but one: the checklist's few lines (`SCRIPT`), allowed by the SHA-256 of their exact text, which
keep the ticks in the browser's local storage. Everything from the web is escaped, so even a
mistake there could not make the page load or run anything. The only images are the thumbnails
of the user's own face, inline as data: URLs; other people are never shown.

The page follows the terminal's first screen: how exposed (with what was checked), the actions
(what to change first, each beside thumbnails of the photos it is about), one line per account;
then the details (every photo, what changed since the last scan, general facts), folded in
<details> elements that print open. On a narrow screen the accounts table becomes one card per
account and long links wrap; a print stylesheet drops the navigation and prints link targets.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from urllib.parse import urlsplit

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
    STATUS_LABELS,
    UNKNOWN,
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
    exposure_label,
    exposure_lines,
    exposure_summary,
    finding_summary,
    headline,
    history_line,
    match_text,
    metadata_leaks,
    nothing_found_line,
    others_summary,
    report_warnings,
    scan_line,
    seen_label,
    thresholds_line,
)
from faceaudit.text import printable_fields

FIRST_ACTIONS = 5  # actions shown open, as on the terminal's first screen; the rest fold
ACTION_THUMBNAILS = 3  # thumbnails of your face beside each action

# The only script the page may run: restores and keeps the checklist's ticks. Its SHA-256 is in
# the CSP, so a page whose script differs by one character runs nothing.
SCRIPT = (
    "(function(){var s;try{s=window.localStorage;s.length}catch(e){return}"
    'document.querySelectorAll("input[data-key]").forEach(function(b){'
    'if(s.getItem(b.dataset.key)==="1")b.checked=true;'
    'b.addEventListener("change",function(){try{if(b.checked)s.setItem(b.dataset.key,"1");'
    "else s.removeItem(b.dataset.key)}catch(e){}})})})();"
)
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    f"script-src '{SCRIPT_HASH}'; form-action 'none'; base-uri 'none'"
)
STYLE = """
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,sans-serif;max-width:62rem;margin:0 auto;padding:0 1rem 2rem;color:#222;
background:#fff;overflow-wrap:anywhere}
a{color:#0645ad}img{max-width:100%}
.skip{position:absolute;left:-999rem;top:0;background:#fff;padding:.5rem 1rem;border:2px solid #0645ad;z-index:1}
.skip:focus{left:.5rem}
header{border-bottom:1px solid #ddd;margin-bottom:1rem}h1{font-size:1.5rem;margin:1rem 0 .3rem}
nav ul{list-style:none;padding:0;margin:.5rem 0;display:flex;flex-wrap:wrap;gap:.3rem 1rem}
h2{font-size:1.25rem;margin:1.6rem 0 .5rem}h3{font-size:1.1rem;margin:1.2rem 0 .4rem}h4{font-size:1rem;margin:.8rem 0 .3rem}
footer{border-top:1px solid #ddd;margin-top:2rem;padding-top:.5rem}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.n{text-align:right}table.accounts{table-layout:fixed}
.accounts th:nth-child(1){width:15%}.accounts th:nth-child(2){width:33%}.accounts th:nth-child(3){width:10%}
.accounts th:nth-child(4){width:11%}.warn{background:#fff4d6;border:1px solid #e0b100;padding:.5rem 1rem}
.ok{color:#17622a;font-weight:bold}.unknown{color:#8a5a00;font-weight:bold}.high{color:#b00020;font-weight:bold}
.medium{color:#8a5a00}.low{color:#225}.leak{color:#b00020}.small{color:#555;font-size:.9em}
.headline{font-size:1.3em;margin:.3rem 0}.resolved{color:#17622a}.new{color:#b00020}
ol.actions{list-style:none;padding:0;margin:0}
li.action{border:1px solid #ccc;border-radius:.4rem;padding:.6rem .8rem;margin:.6rem 0}
li.action .head{display:flex;gap:.5rem;align-items:flex-start}
li.action input{width:1.3rem;height:1.3rem;margin:.15rem 0 0;flex:none}
li.action label{font-weight:bold}.risk{color:#555;font-weight:normal;font-size:.85em}
.thumbs{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:.4rem 0 .2rem 1.8rem}
.thumbs img{width:56px;height:56px;object-fit:cover;border-radius:.3rem}
.do{margin:.2rem 0 .2rem 1.8rem}
li.action details,details.more{margin:.3rem 0 0 1.8rem}
details{margin:.4rem 0}summary{cursor:pointer;color:#0645ad}summary h3,summary h4{display:inline}
.finding{display:flex;gap:1rem;border-top:1px solid #ddd;padding:.5rem 0}
.finding img{width:96px;height:96px;object-fit:cover;flex:none}.finding p{margin:.2rem 0}
@media (max-width:40rem){
body{padding:0 .6rem 1rem}
table.accounts,table.accounts tbody,table.accounts tr,table.accounts td{display:block;width:auto}
table.accounts tr.cols{display:none}
table.accounts tr{border:1px solid #ccc;border-radius:.4rem;margin:.5rem 0;padding:.3rem .6rem}
table.accounts td{border:0;padding:.1rem 0;text-align:left}
table.accounts td::before{content:attr(data-label) ": ";color:#555}
table.accounts td:nth-child(-n+2)::before{content:none}table.accounts td:first-child{font-weight:bold}
table.accounts td:nth-child(3),table.accounts td:nth-child(4){display:inline-block;margin-right:1rem}
.finding{flex-direction:column;gap:.2rem}
.thumbs,.do,li.action details,details.more{margin-left:0}
}
@media print{
body{color:#000;background:#fff;max-width:none;margin:0;padding:0;font-size:11pt}
.skip,nav,.screen-only{display:none}
a,summary{color:#000}summary{list-style:none;font-weight:bold}summary::-webkit-details-marker{display:none}
details::details-content{content-visibility:visible;display:block;block-size:auto}
a.ref::after{content:" (" attr(href) ")";font-size:.85em}
.warn{background:#fff;border:1px solid #000}
.high,.medium,.low,.unknown,.ok,.leak,.new,.resolved,.risk,.small{color:#000}
li.action,.finding,tr,.card{break-inside:avoid}h2,h3,h4,summary{break-after:avoid}
li.action{border-color:#000}
}
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
        '<a class="skip" href="#actions">Skip to the actions</a>' if len(actions)
        else '<a class="skip" href="#main">Skip to the report</a>',
        _header(report, actions),
        '<main id="main">',
    ]
    parts += [f'<p class="warn">{escape(w)}</p>' for w in report_warnings(report)]
    parts.append(_exposure(report))
    parts.append(_checklist(report, actions))
    parts.append(_summary_table(report))
    parts.append('<section id="details" aria-labelledby="details-title">'
                 '<h2 id="details-title">Details, account by account</h2>')
    parts += [_account(number, account, actions) for number, account in enumerate(report.accounts, start=1)]
    parts.append("</section>")
    if report.history is not None:
        parts.append(_history(report))
    parts.append(_facts())
    parts.append("</main>")
    parts.append(_footer(report))
    if len(actions):
        parts.append(f"<script>{SCRIPT}</script>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _header(report: ReportData, actions: ActionPlan) -> str:
    contents = [("exposure", "How exposed"), ("actions", "What to change"), ("accounts", "Your accounts"),
                ("details", "Details")]
    if not len(actions):
        contents.remove(("actions", "What to change"))
    if report.history is not None:
        contents.append(("history", "Since last time"))
    contents.append(("facts", "Good to know"))
    links = "".join(f'<li><a href="#{anchor}">{text}</a></li>' for anchor, text in contents)
    return ("<header><h1>faceaudit report</h1>"
            f'<p class="small">{escape(scan_line(report))}</p>'
            f'<nav aria-label="Contents"><ul>{links}</ul></nav></header>')


def _footer(report: ReportData) -> str:
    return (f"<footer>{_heading(report)}<p class=\"small\">Made by faceaudit on this computer. This page "
            "loads nothing from the network; the photos of your face in it are small copies kept in the "
            "page itself.</p></footer>")


def _exposure(report: ReportData) -> str:
    shown, meaning = headline(report)
    complete = report.coverage.complete
    parts = [
        '<section id="exposure" aria-labelledby="exposure-title">',
        '<h2 id="exposure-title">How exposed are you?</h2>',
        f'<p class="headline"><span class="{escape(report.exposure)}">{escape(shown)}</span> — '
        f"{escape(meaning)}</p>",
        f'<p class="{"coverage" if complete else "coverage warn"}">{escape(coverage_line(report))}</p>',
    ]
    nothing = nothing_found_line(report)
    if nothing:  # green only when every account was seen to the end
        parts.append(f'<p class="{"ok" if complete else ""}">{escape(nothing)}</p>')
    summary = exposure_summary(report)
    if summary:
        parts.append(f"<p>{escape(summary)}</p>")
    lines = [escape(line) for line in exposure_lines(report)]
    others, consider = others_summary(report), other_people_advice()
    if others and consider is not None:
        lines.append(f"{escape(others)} {escape(consider.do)}. "
                     f'<span class="small">Source: {_link(consider.source)} (checked {escape(consider.checked)})</span>')
    if lines:
        parts.append("<details><summary>What this is based on</summary><ul>"
                     + "".join(f"<li>{line}</li>" for line in lines) + "</ul></details>")
    since = FIRST_SCAN_SHORT if report.history is None else history_line(report)
    parts.append(f"<p><strong>Since last time:</strong> {escape(since)}</p></section>")
    return "\n".join(parts)


def _checklist(report: ReportData, actions: ActionPlan) -> str:
    if not len(actions):
        return ""
    counts = ", ".join(f"{n} on {escape(name)}" for name, n in actions.counts().items())
    first, rest = actions.actions[:FIRST_ACTIONS], actions.actions[FIRST_ACTIONS:]
    parts = [
        '<section id="actions" aria-labelledby="actions-title">',
        f'<h2 id="actions-title">What to change, most important first ({len(actions)})</h2>',
        f'<p class="small">{counts}. Tick each change when it is done: the ticks are kept in this browser, '
        "not in the file. Without JavaScript the boxes still work, but the ticks are not kept.</p>",
        f'<details><summary>What “risk” means</summary><p class="small">{escape(RISK_MEANING)}</p>'
        "</details>",
        f'<ol class="actions">{"".join(_action(report, a) for a in first)}</ol>',
    ]
    if rest:
        parts.append(f'<details class="more"><summary>{len(rest)} more '
                     f'{"change" if len(rest) == 1 else "changes"}</summary>'
                     f'<ol class="actions" start="{FIRST_ACTIONS + 1}">'
                     f'{"".join(_action(report, a) for a in rest)}</ol></details>')
    parts.append("</section>")
    return "\n".join(parts)


def checklist_key(report: ReportData, action: Action) -> str:
    """Where an action's tick is kept: the same scan and action give the same key, on every render."""
    text = f"{report.scan_id}\0{report.scan_started}\0{action.key}"
    return "faceaudit:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _action(report: ReportData, action: Action) -> str:
    box = f"done-{action.number}"
    prefix = "" if action.platform in action.problem else f"{action.platform}: "
    where = escape(action.advice.where) + (f" · {_link(action.settings_url)}" if action.settings_url else "")
    lines = [
        f'<div class="head"><input type="checkbox" id="{box}" autocomplete="off" '
        f'data-key="{checklist_key(report, action)}"><label for="{box}">{action.number}. '
        f'{escape(prefix + action.problem)} <span class="risk">risk {action.risk}</span></label></div>',
        _thumbnails(action),
        f'<p class="do">→ <strong>{escape(action.advice.do)}</strong><br><span class="small">Where: {where}</span></p>',
    ]
    more = [f"<p>{escape(action.advice.advice)}</p>"]
    for extra in action.also:
        link = extra.settings_link(action.account_url)
        more.append(f"<p>Also: {escape(extra.do)} — {escape(extra.where)}"
                    + (f" · {_link(link)}" if link else "") + "</p>")
    if len(action.photos) > 1 or action.category != "reach":
        photos = " ".join(_link(url, f"photo {n}") for n, url in enumerate(action.image_urls, start=1))
        more.append(f'<p class="small">Photos: {photos}</p>')
    sources = "; ".join(f"{_link(s.source)} (checked {escape(s.checked)})" for s in (action.advice, *action.also))
    more.append(f'<p class="small">Source: {sources}</p>')
    lines.append(f"<details><summary>Why, and the source</summary>{''.join(more)}</details>")
    return f'<li class="action" id="action-{action.number}">{"".join(lines)}</li>'


def _thumbnails(action: Action) -> str:
    """Up to ACTION_THUMBNAILS small pictures of the user's own face from the photos the action is about."""
    seen: set[str] = set()
    shown: list[str] = []
    for photo in action.photos:
        if photo.image_url in seen or not photo.thumbnail_jpeg:
            continue
        seen.add(photo.image_url)
        if len(shown) < ACTION_THUMBNAILS:
            label = f"your face in a {KIND_LABELS[photo.kind]} on {action.platform}"
            shown.append(_img(photo.thumbnail_jpeg, label))
    if not shown:
        return ""
    extra = len(seen) - len(shown)
    more = f'<span class="small">and {extra} more</span>' if extra else ""
    return f'<div class="thumbs">{"".join(shown)}{more}</div>'


def _img(jpeg: bytes, alt: str) -> str:
    data = base64.b64encode(jpeg).decode("ascii")
    return f'<img alt="{escape(alt, quote=True)}" src="data:image/jpeg;base64,{data}">'


def _history(report: ReportData) -> str:
    history = report.history
    assert history is not None
    parts = [f'<section id="history" aria-labelledby="history-title">'
             f'<h2 id="history-title">Since scan {history.previous_scan_id}</h2>',
             f"<p>{escape(history_line(report))}</p>"]
    for title, css, photos in (("Resolved", "resolved", history.resolved), ("New", "new", history.new),
                               ("Not seen this time on an account this scan could not see in full", "",
                                history.unconfirmed),
                               ("Still there", "", history.still)):
        if photos:
            parts.append(f'<details><summary><h3 class="{css}">{escape(title)} ({len(photos)})</h3></summary><ul>')
            parts += [f"<li>{_changed(photo)}</li>" for photo in photos]
            parts.append("</ul></details>")
    parts.append("</section>")
    return "\n".join(parts)


def _changed(photo: ChangedPhoto) -> str:
    kind = KIND_LABELS[photo.kind]
    return f"{escape(platform_name(photo.site))} {escape(kind)}: {_link(photo.image_url)}"


def _heading(report: ReportData) -> str:
    finished = f"finished {report.scan_finished}" if report.scan_finished else "not finished"
    status = STATUS_LABELS.get(report.scan_status, report.scan_status)
    return (
        f'<p class="small">Scan {report.scan_id} started {escape(report.scan_started)}, {escape(finished)} '
        f"({escape(status)}); face engine {escape(report.engine)}; report made {escape(report.generated_at)}. "
        f"{escape(thresholds_line(report))}</p>"
    )


def _summary_table(report: ReportData) -> str:
    """One row per account; on a narrow screen each row is a card (see STYLE)."""
    columns = ("Site", "Account", "Photos of you", "Exposure", "Seen")
    head = "".join(f'<th scope="col">{h}</th>' for h in columns)
    rows = []
    for number, a in enumerate(report.accounts, start=1):
        with_you = f"{a.photos_with_you}" + (f" (+{a.photos_maybe_you} maybe)" if a.photos_maybe_you else "")
        cells = (
            escape(platform_name(a.site)),
            f'{_link(a.url)} <a class="small screen-only" href="#account-{number}">details</a>',
            with_you,
            f'<span class="{escape(a.exposure)}">{escape(exposure_label(a))}</span>',
            escape(seen_label(a)),
        )
        numeric = ("", "", ' class="n"', "", "")
        rows.append("<tr>" + "".join(f'<td data-label="{label}"{css}>{cell}</td>'
                                     for label, css, cell in zip(columns, numeric, cells, strict=True)) + "</tr>")
    return (f'<section id="accounts" aria-labelledby="accounts-title"><h2 id="accounts-title">Your accounts</h2>'
            f'<table class="accounts"><thead><tr class="cols">{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></section>")


def _account(number: int, account: AccountReport, actions: ActionPlan) -> str:
    name = escape(platform_name(account.site))
    parts = [
        f'<section class="account" id="account-{number}" aria-labelledby="account-{number}-title">',
        f'<h3 id="account-{number}-title">{name} — {escape(account.url)}</h3>',
        _account_exposure(account),
    ]
    if not account.findings:
        quiet = "ok" if account.seen is Seen.WHOLE else "warn"
        parts.append(f'<p class="{quiet}">{escape(account_nothing_line(account))}</p>')
    mine = actions.for_account(account.url)
    if mine:
        parts.append(f"<h4>What to change on {name}</h4><ul>")
        parts += [f'<li><a href="#action-{a.number}">#{a.number}</a> {escape(a.advice.do)} — '
                  f"{escape(a.advice.where)}</li>" for a in mine]
        parts.append("</ul>")
    advice = load(account.site) if account.findings else None
    if account.findings and advice is None:
        parts.append(f"<p><em>faceaudit has no settings advice for {escape(account.site)} yet.</em></p>")
    if account.findings:
        parts.append(f"<details><summary><h4>Photos of you ({len(account.findings)})</h4></summary>")
        parts += [_finding(n, f) for n, f in enumerate(account.findings, start=1)]
        parts.append("</details>")
    more = []
    if account.findings:
        best = "" if account.best_similarity is None else f" · best {match_text(account.best_similarity)}"
        more.append(
            f"<p>Photos of you: {account.photos_with_you}"
            + (f" (+{account.photos_maybe_you} maybe)" if account.photos_maybe_you else "")
            + f" · in always-public slots: {account.slots_with_you}"
            f" · best recognisability: {account.best_recognisability}/100{best}"
            f" · biggest face: {account.biggest_face_px} px · other people's faces: {account.other_faces}"
            f" · search engines may index it: {escape(describe_indexable(account.indexable))}"
            f" · with GPS: {account.photos_with_gps} · with capture time or camera: {account.photos_with_metadata}</p>"
        )
    more.append(f"<p>{escape(crawl_summary(account))}</p>")
    more += [f"<p>Note: {escape(note)}</p>" for note in account.notes]
    if advice is not None:
        more.append(f"<p>Public whatever the settings: {escape(advice.always_public)}</p>")
    parts.append(f"<details><summary>How faceaudit checked it{', and what stays public' if advice else ''}"
                 f"</summary>{''.join(more)}</details></section>")
    return "\n".join(parts)


def _account_exposure(account: AccountReport) -> str:
    level = f'<span class="{escape(account.exposure)}">'
    if account.exposure in ("none", UNKNOWN):  # the meaning says it: "no photo of your face found"
        return f"<p>Exposure: {level}{escape(account_meaning(account))}</span></p>"
    return (f"<p>Exposure: {level}{escape(exposure_label(account))}</span> "
            f"({escape(account_meaning(account))})</p>")


def _finding(number: int, finding: FindingReport) -> str:
    thumb = _img(finding.thumbnail_jpeg, f"your face in photo {number}") if finding.thumbnail_jpeg else ""
    verdict = escape(VERDICT_LABELS[finding.verdict].upper())
    lines = [f"<p><strong>{number}. {verdict}</strong> · {escape(finding_summary(finding))}</p>"]
    leaks = metadata_leaks(finding)
    if leaks:
        lines.append(f'<p class="leak">The file gives away: {escape(" · ".join(leaks))}</p>')
    lines.append(f"<p>Image: {_link(finding.image_url)}</p>")
    if finding.page_url and finding.page_url != finding.image_url:
        lines.append(f"<p>On page: {_link(finding.page_url)}</p>")
    if finding.alt:
        lines.append(f"<p>Alt text: {escape(finding.alt)}</p>")
    return f'<div class="finding">{thumb}<div>{"".join(lines)}</div></div>'


def _facts() -> str:
    facts = general_facts()
    items = "".join(f"<li>{_advice(item)}</li>" for item in facts)
    return ('<section id="facts" aria-labelledby="facts-title"><h2 id="facts-title">Good to know</h2>'
            f"<details><summary>{len(facts)} general facts about photos of you online, with their sources"
            f"</summary><ul>{items}</ul></details></section>")


def _advice(item: AdviceItem) -> str:
    parts = [f'{escape(item.advice)}<br><span class="small">Where: {escape(item.where)}</span>']
    if item.always_public:
        stays = item.always_public if isinstance(item.always_public, str) else "yes"
        parts.append(
            f'<br><span class="small">Public whatever the settings: {escape(stays)}</span>'
        )
    note = f" — {escape(item.source_note)}" if item.source_note else ""
    parts.append(
        f'<br><span class="small">Source: {_link(item.source)} (checked {escape(item.checked)}){note}</span>'
    )
    return "".join(parts)


def _link(url: str, text: str = "") -> str:
    """A link for http(s) URLs; anything else (javascript:, data:...) is shown as text only.
    A link whose text is not its URL prints its URL after it (class "ref", see STYLE)."""
    if urlsplit(url).scheme.lower() in ("http", "https"):
        ref = ' class="ref"' if text and text != url else ""
        return f'<a{ref} href="{escape(url, quote=True)}" rel="noreferrer">{escape(text or url)}</a>'
    return escape(url)
