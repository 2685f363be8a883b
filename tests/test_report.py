"""The report a user reads: terminal summary, JSON for scripts, and the self-contained HTML page."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from faceaudit.report import html, jsonreport, terminal
from faceaudit.report.advice import load
from faceaudit.report.model import (
    AccountReport,
    ChangedPhoto,
    Comparison,
    FindingReport,
    ReportData,
)
from faceaudit.types import Box, CrawlCost, ImageKind, ImageMetadata, StopReason, Verdict

DOC = Path(__file__).resolve().parents[1] / "docs" / "report-json.md"
THUMBNAIL = b"\xff\xd8\xff\xe0JFIF-the-user's-own-face\xff\xd9"
MASTODON_URL = "https://mastodon.social/@alex"
WEBSITE_URL = "https://alex.example.org/"
NO_METADATA = {"gps": None, "taken_at": None, "camera": None, "camera_serial": None}


def typed(changes: dict[str, Any]) -> dict[str, Any]:
    """Test shorthand to records: kind="avatar", verdict="you", box=[...], metadata={...}, stop="end"."""
    convert = {"kind": ImageKind, "verdict": Verdict, "stop": StopReason, "box": lambda b: Box(*b),
               "metadata": lambda m: m if isinstance(m, ImageMetadata) else ImageMetadata.from_dict(m)}
    return {key: convert[key](value) if key in convert else value for key, value in changes.items()}


def finding(**changes: Any) -> FindingReport:
    base = FindingReport(
        image_url="https://files.mastodon.social/media/post-1.jpg",
        page_url="https://mastodon.social/@alex/111",
        kind=ImageKind.POST,
        verdict=Verdict.YOU,
        similarity=0.55,
        box=Box(40, 30, 120, 130),
        face_px=100,
        det_score=0.97,
        recognisability=45,
        other_faces=3,
        metadata=ImageMetadata(),
    )
    return dataclasses.replace(base, **typed(changes))


def mastodon_account() -> AccountReport:
    avatar = finding(
        image_url="https://files.mastodon.social/accounts/avatars/alex.jpg",
        page_url=MASTODON_URL,
        kind="avatar",
        similarity=0.71,
        box=[10, 20, 110, 150],
        face_px=130,
        recognisability=82,
        other_faces=0,
        metadata={
            "gps": [52.370216, 4.895168],
            "taken_at": "2024-05-01T10:00:00",
            "camera": "Canon EOS R6",
            "camera_serial": None,
        },
        alt="Me at the harbour",
        thumbnail_jpeg=THUMBNAIL,
    )
    return AccountReport(
        url=MASTODON_URL,
        site="mastodon",
        stop=StopReason.END,
        stop_detail="",
        pages_visited=3,
        indexable=True,
        images_seen=12,
        images_failed=1,
        other_faces=3,
        findings=[avatar, finding()],
    )


def website_account() -> AccountReport:
    return AccountReport(
        url=WEBSITE_URL,
        site="web",
        stop=StopReason.END,
        stop_detail="",
        pages_visited=4,
        indexable=False,
        images_seen=5,
        images_failed=0,
        other_faces=0,
        findings=[],
    )


def report(accounts: list[AccountReport] | None = None, status: str = "complete") -> ReportData:
    return ReportData(
        generated_at="2026-11-22T10:00:00Z",
        scan_id=7,
        scan_started="2026-11-22T09:50:00Z",
        scan_finished=None if status != "complete" else "2026-11-22T09:59:00Z",
        scan_status=status,
        engine="insightface",
        thresholds={"you": 0.40, "maybe": 0.28},
        accounts=[mastodon_account(), website_account()] if accounts is None else accounts,
    )


def terminal_text(data: ReportData, everything: bool = True) -> str:
    """What `faceaudit report --all` prints (`everything=False`: plain `faceaudit report`)."""
    console = Console(record=True, width=120, color_system=None)
    terminal.render(data, console, everything=everything)
    return console.export_text()


def flat(text: str) -> str:
    """The text with line wrapping undone, so a phrase can be found wherever the console broke it."""
    return " ".join(text.split())


def table_row(text: str, first_cell: str) -> list[str]:
    """The cells of the summary-table row whose first cell starts with `first_cell`."""
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells and cells[0].startswith(first_cell):
            return cells
    raise AssertionError(f"no table row for {first_cell!r} in:\n{text}")


# --- terminal ---------------------------------------------------------------------------


def test_terminal_summary_names_each_account_with_its_counts() -> None:
    text = terminal_text(report())

    assert MASTODON_URL in text and WEBSITE_URL in text
    #                  photos seen, with you, best match, biggest, others, exposure, seen
    assert table_row(text, "Mastodon")[1:] == [
        "12",
        "2",
        "0.71",
        "130 px",
        "3",
        "high",
        "to the end",
    ]
    assert table_row(text, "Personal website")[1:] == [
        "5",
        "0",
        "—",
        "—",
        "0",
        "nothing found",
        "to the end",
    ]


def test_terminal_shows_each_finding_and_the_gps_leak() -> None:
    text = flat(terminal_text(report()))

    assert "YOU · profile picture · match 0.71 of 1.00 · recognisability 82/100 · face 130 px tall" in text
    assert "YOU · post · match 0.55 of 1.00" in text and "3 other people in this photo" in text
    assert "GPS location 52.37022, 4.89517" in text
    assert "https://files.mastodon.social/accounts/avatars/alex.jpg" in text
    assert "Alt text: Me at the harbour" in text


def test_terminal_gives_the_mastodon_advice_with_its_sources() -> None:
    text = flat(terminal_text(report()))
    mastodon = load("mastodon")
    assert mastodon is not None

    assert "What to change on Mastodon" in text
    assert "The only fix is a different picture" in text
    assert "Where: Preferences › Public profile" in text
    for item in mastodon.entries:  # avatar, posts and indexable: all three answer this account
        assert f"Source: {item.source} (checked {item.checked})" in text
    assert "exiftool" in text  # the GPS finding brings the strip-metadata advice
    assert "Fawkes" in text and "pimeyes.com" in text  # general facts, once
    assert text.count("Fawkes") == 1


def test_terminal_website_without_findings_gets_no_advice() -> None:
    text = flat(terminal_text(report()))
    website = text[text.index("Account: " + WEBSITE_URL) : text.index("Good to know")]

    assert "No photo of your face found here." in website
    assert "What to change" not in website
    assert "asks search engines not to index it" in website
    assert "No public photo of your face was found" not in text


def test_terminal_says_plainly_when_nothing_was_found() -> None:
    text = flat(terminal_text(report([website_account()])))

    assert "No public photo of your face was found on these accounts." in text
    assert "What to change" not in text
    assert "was interrupted" not in text


def test_terminal_says_when_the_scan_was_interrupted() -> None:
    text = flat(terminal_text(report(status="interrupted")))

    assert "This scan was interrupted" in text
    assert "Run `faceaudit scan` again" in text
    assert "not finished" in text
    assert "This scan was interrupted" not in terminal_text(report())


def test_terminal_nothing_found_in_an_interrupted_scan_is_qualified() -> None:
    blocked = dataclasses.replace(
        website_account(), stop=StopReason.LOGIN_WALL, stop_detail="redirected to /login"
    )
    text = flat(terminal_text(report([blocked], status="interrupted")))

    assert "No public photo of your face was found on these accounts." not in text
    assert "How exposed are you? UNKNOWN" in text and "NONE" not in text
    assert "No photo of your face was found in what faceaudit could see." in text
    assert "covers only what was checked before the scan stopped" in text
    assert "Checked 0 of 1 account to the end; 1 in part." in text
    assert "login wall: redirected to /login" in text


# --- coverage: a verdict says what was checked ------------------------------------------------


def unseen(account: AccountReport, stop: StopReason = StopReason.ERROR, detail: str = "could not find it") -> AccountReport:
    """`account` as a scan that could not reach it records it: no photo seen, no finding."""
    return dataclasses.replace(account, stop=stop, stop_detail=detail, images_seen=0, images_failed=0,
                               pages_visited=0, findings=[])


@pytest.mark.parametrize(("stop", "images", "seen"), [
    (StopReason.END, 0, "whole"), (StopReason.PRIVATE, 0, "whole"), (StopReason.NOT_FOUND, 0, "whole"),
    (StopReason.CAP, 0, "part"), (StopReason.LOGIN_WALL, 12, "part"), (StopReason.RATE_LIMITED, 3, "part"),
    (StopReason.ERROR, 2, "part"),
    (StopReason.LOGIN_WALL, 0, "none"), (StopReason.BLOCKED, 0, "none"), (StopReason.ERROR, 0, "none"),
    (StopReason.NOT_SCANNED, 0, "none"),
])
def test_each_account_is_seen_whole_in_part_or_not(stop: StopReason, images: int, seen: str) -> None:
    account = dataclasses.replace(website_account(), stop=stop, images_seen=images)
    assert account.seen.value == seen


def test_nothing_seen_is_never_none_in_any_format() -> None:
    data = report([unseen(website_account()), unseen(mastodon_account(), StopReason.BLOCKED, "403")])
    text = flat(terminal_text(data))
    page = html.render(data)
    doc = jsonreport.to_dict(data)

    assert data.exposure == "unknown" and data.coverage.nothing_seen
    assert "How exposed are you? UNKNOWN" in text and "NONE" not in text
    assert "Checked 0 of 2 accounts to the end; 2 not seen." in text
    assert "No listed account could be seen, so nothing was checked" in text
    assert "No public photo of your face was found" not in text
    assert 'class="ok"' not in page and "NONE" not in page and "UNKNOWN" in page
    assert doc["exposure"]["level"] == "unknown" and doc["exposure"]["at_least"] is False
    assert doc["coverage"] == {"accounts": 2, "seen_whole": 0, "seen_in_part": 0, "not_seen": 2,
                               "complete": False, "text": "Checked 0 of 2 accounts to the end; 2 not seen."}
    assert doc["warnings"] and "No listed account could be seen" in doc["warnings"][0]
    assert [a["seen"] for a in doc["accounts"]] == ["none", "none"]


def test_a_level_found_with_accounts_unseen_is_at_least_that_level() -> None:
    data = report([dataclasses.replace(mastodon_account()), unseen(website_account())])
    text = flat(terminal_text(data))
    doc = jsonreport.to_dict(data)

    assert "How exposed are you? AT LEAST HIGH" in text
    assert "Checked 1 of 2 accounts to the end; 1 not seen." in text
    assert (doc["exposure"]["level"], doc["exposure"]["at_least"]) == ("high", True)
    assert any(WEBSITE_URL in w and "could not find it" in w for w in doc["warnings"])


def test_none_needs_every_account_seen_to_the_end() -> None:
    whole = report([website_account()])
    assert (whole.exposure, whole.coverage.complete) == ("none", True)
    assert "Checked the 1 account to the end." in flat(terminal_text(whole))
    assert jsonreport.to_dict(whole)["warnings"] == []
    capped = report([dataclasses.replace(website_account(), stop=StopReason.CAP, stop_detail="20 pages")])
    assert capped.exposure == "unknown" and jsonreport.to_dict(capped)["warnings"]


def test_terminal_prints_web_text_literally_not_as_markup() -> None:
    account = mastodon_account()
    account.findings[0].alt = "[bold red]me[/bold red] [link=https://evil.example]x[/link]"
    account.notes = ["[blink]12 photos, then a login wall[/blink]"]
    text = flat(terminal_text(report([account])))

    assert "[bold red]me[/bold red] [link=https://evil.example]x[/link]" in text
    assert "[blink]12 photos, then a login wall[/blink]" in text


# --- JSON -------------------------------------------------------------------------------


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every field path in `value`, with list items written as `[]`: `accounts[].url`."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, child in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= key_paths(child, path)
    elif isinstance(value, list):
        for child in value:
            if isinstance(child, dict):
                paths |= key_paths(child, prefix + "[]")
    return paths


def documented_types() -> dict[str, str]:
    """Field path -> the Type column of docs/report-json.md."""
    rows = re.findall(r"^\| `([a-z0-9_\[\].]+)` \| ([^|]+) \|", DOC.read_text(encoding="utf-8"), flags=re.M)
    return {path: kind.strip() for path, kind in rows}


# Top-level blocks the CLI adds only in some situations (jsonreport.py does not make them).
CLI_ONLY = ("retention",)


def documented_paths() -> set[str]:
    return {p for p in documented_types() if p.split(".")[0].split("[")[0] not in CLI_ONLY}


def type_matches(value: Any, documented: str) -> bool:
    """Whether `value` has the type the doc's Type column says ("string or null", "array of 4 integers"...)."""
    for kind in (k.strip() for k in documented.split(" or ")):
        if kind == "null" and value is None:
            return True
        if kind == "`false`" and value is False:
            return True
        if kind == "string" and isinstance(value, str):
            return True
        if kind == "boolean" and isinstance(value, bool):
            return True
        if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
            return True
        if kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if kind == "object" and isinstance(value, dict):
            return True
        if kind.startswith("array") and isinstance(value, list):
            counted = re.fullmatch(r"array of (\d+) (integer|number)s", kind)
            if counted:
                return len(value) == int(counted[1]) and all(type_matches(v, counted[2]) for v in value)
            if kind == "array of strings":
                return all(isinstance(v, str) for v in value)
            return kind == "array"
    return False


def values_at(data: Any, path: str) -> list[Any]:
    """Every value at a documented path: `accounts[].findings[].kind` -> each finding's kind."""
    values = [data]
    for part in path.split("."):
        name, many = part.removesuffix("[]"), part.endswith("[]")
        values = [v[name] for v in values if isinstance(v, dict) and name in v]
        if many:
            values = [item for v in values if isinstance(v, list) for item in v]
    return values


def validate(data: dict[str, Any]) -> list[str]:
    """What in `data` breaks the documented schema: undocumented or missing fields, wrong types."""
    documented = documented_types()
    problems = [f"undocumented field {p}" for p in sorted(key_paths(data) - set(documented))]
    for path, kind in documented.items():
        container, _, name = path.rpartition(".")
        if path.split(".")[0].split("[")[0] not in CLI_ONLY:
            holders = values_at(data, container) if container else [data]
            key = name.removesuffix("[]")
            problems += [f"{path} missing" for h in holders if isinstance(h, dict) and key not in h]
        holder_path = path.removesuffix("[]")
        for value in values_at(data, holder_path):
            if not type_matches(value, kind):
                problems.append(f"{path}: {value!r} is not {kind}")
    return problems


def full_report() -> ReportData:
    """The test report with every optional block filled: history, a warning, an action with "also"."""
    facebook = dataclasses.replace(
        website_account(), url="https://www.facebook.com/alex", site="facebook", indexable=None,
        findings=[finding(image_url="https://scontent.xx.fbcdn.net/p.jpg", page_url="https://www.facebook.com/alex")],
    )
    mastodon = dataclasses.replace(mastodon_account(), cost=CrawlCost(17, 2_104_330, 12))
    data = report([mastodon, website_account(), facebook])
    moved = ChangedPhoto(MASTODON_URL, "mastodon", "https://files.mastodon.social/media/old.jpg",
                         "https://mastodon.social/@alex/100", ImageKind.POST, Verdict.YOU)
    data.history = Comparison(6, "2026-11-20T09:00:00Z", [moved], [moved], [moved], [moved])
    data.warnings = ["your face template is past its retention period"]
    return data


def test_json_round_trips_with_the_documented_shape() -> None:
    data = json.loads(json.dumps(jsonreport.to_dict(report())))

    assert data["format"] == "faceaudit-report/1" and data["schema_version"] == "1.3"
    assert data["scan"] == {
        "id": 7,
        "started": "2026-11-22T09:50:00Z",
        "finished": "2026-11-22T09:59:00Z",
        "status": "complete",
    }
    assert data["summary"]["photos_with_you"] == 2 and data["summary"]["other_faces"] == 3
    mastodon, website = data["accounts"]
    assert (mastodon["url"], mastodon["site"], mastodon["exposure"]) == (
        MASTODON_URL,
        "mastodon",
        "high",
    )
    assert mastodon["findings"][0]["metadata"]["gps"] == [52.370216, 4.895168]
    assert (website["indexable"], website["findings"], website["advice"]) == (False, [], [])
    assert data["history"] is None and data["warnings"] == []
    # Every field is documented, every documented field is there, with its documented type.
    full = json.loads(json.dumps(jsonreport.to_dict(full_report())))
    assert key_paths(full) == documented_paths()
    assert validate(full) == []
    assert validate(data) == []


@pytest.mark.parametrize(
    ("breakage", "problem"),
    [
        (lambda d: d.update(extra=1), "undocumented field extra"),
        (lambda d: d["exposure"].pop("level"), "exposure.level missing"),
        (lambda d: d["actions"][0].update(risk="high"), "actions[].risk: 'high' is not integer"),
        (lambda d: d["accounts"][0]["findings"][0].update(box=[1, 2]), "accounts[].findings[].box"),
        (lambda d: d["history"].update(previous_scan_id=None), "history.previous_scan_id: None"),
        (lambda d: d["actions"][0].update(image_urls=[1]), "actions[].image_urls"),
    ],
)
def test_the_schema_check_catches_a_broken_report(breakage: Any, problem: str) -> None:
    data = json.loads(json.dumps(jsonreport.to_dict(full_report())))
    breakage(data)

    assert any(p.startswith(problem) for p in validate(data)), validate(data)


def test_json_advice_per_account_comes_from_the_advice_data() -> None:
    data = jsonreport.to_dict(report())
    mastodon = load("mastodon")
    assert mastodon is not None

    advice = {item["id"]: item for item in data["accounts"][0]["advice"]}
    for entry in mastodon.entries:
        assert advice[entry.id]["text"] == entry.advice
        assert advice[entry.id]["where"] == entry.where
        assert advice[entry.id]["source"] == entry.source
        assert advice[entry.id]["checked"] == entry.checked
    assert "general-strip-metadata" in advice  # the GPS leak
    assert "general-cloaking" not in advice  # general facts are listed once, at the top level
    assert {item["id"] for item in data["general_advice"]} >= {
        "general-cloaking",
        "general-pimeyes-opt-out",
    }


def test_json_holds_no_thumbnail_bytes() -> None:
    text = json.dumps(jsonreport.to_dict(report()))

    assert base64.b64encode(THUMBNAIL).decode() not in text
    assert "the-user's-own-face" not in text
    assert "thumbnail_jpeg" not in text
    assert json.loads(text)["accounts"][0]["findings"][0]["has_thumbnail"] is True


def test_json_holds_other_people_only_as_counts() -> None:
    account = mastodon_account()
    # Whatever else a stored metadata dict might carry never becomes part of the record.
    stored = {"camera": "X", "faces_of_others": [{"name": "Bob Example", "box": [1, 2, 3, 4]}]}
    account.findings[1] = finding(metadata=stored)
    data = jsonreport.to_dict(report([account]))

    assert "Bob Example" not in json.dumps(data)
    about_others = sorted(p for p in key_paths(data) if "other" in p and not p.startswith("others.advice."))
    assert about_others == [
        "accounts[].findings[].other_faces",
        "accounts[].other_faces",
        "accounts[].photos_with_others",
        "others",
        "others.advice",
        "others.faces",
        "others.photos",
        "others.text",
        "summary.other_faces",
    ]
    assert (data["others"]["photos"], data["others"]["faces"]) == (1, 3)
    assert data["others"]["text"] == "1 of your 2 public photos also shows other people's faces (3 faces)."
    assert all(isinstance(f["other_faces"], int) for f in data["accounts"][0]["findings"])
    assert set(data["accounts"][0]["findings"][1]["metadata"]) == {
        "gps",
        "taken_at",
        "camera",
        "camera_serial",
    }


def test_json_of_an_interrupted_scan() -> None:
    data = jsonreport.to_dict(report(status="interrupted"))

    assert data["scan"]["status"] == "interrupted" and data["scan"]["finished"] is None


# --- HTML -------------------------------------------------------------------------------

HOSTILE_ALT = '"><script>alert("alt")</script><img src=x onerror=alert(1)>'
HOSTILE_URL = 'https://evil.example/a.jpg?"onmouseover="alert(1)'


def hostile_report() -> ReportData:
    account = mastodon_account()
    account.findings[0].alt = HOSTILE_ALT
    account.findings[1].image_url = HOSTILE_URL
    account.findings[1].page_url = "javascript:alert(document.cookie)"
    account.notes = ["<b>note</b> & 'quotes'"]
    return report([account, website_account()])


def test_html_escapes_hostile_text_in_alt_and_urls() -> None:
    page = html.render(hostile_report())

    # The only script is the checklist's own (allowed by its hash in the CSP): none from the report.
    assert "<script" not in page.replace(f"<script>{html.SCRIPT}</script>", "", 1).lower()
    assert "&lt;script&gt;alert(&quot;alt&quot;)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert '"onmouseover="' not in page
    assert "?&quot;onmouseover=&quot;alert(1)" in page
    assert 'href="javascript:' not in page.lower()
    assert "javascript:alert(document.cookie)" in page  # shown as text, not linked
    assert "&lt;b&gt;note&lt;/b&gt; &amp; &#x27;quotes&#x27;" in page


def test_html_is_self_contained_and_shows_the_thumbnail_only_inline() -> None:
    page = html.render(report())
    encoded = base64.b64encode(THUMBNAIL).decode()

    # Beside its action and in the account's photos: each time as an inline image, nowhere else.
    assert page.count(f'src="data:image/jpeg;base64,{encoded}"') == page.count(encoded) >= 2
    sources = re.findall(r"""\ssrc=["']?([^"'\s>]*)""", page)
    assert sources and all(src.startswith("data:image/jpeg;base64,") for src in sources)
    without_checklist = page.replace(f"<script>{html.SCRIPT}</script>", "", 1)
    for external in ("<link", "<script", "@import", "url(", "<iframe", "<object"):
        assert external not in without_checklist.lower()
    assert "Content-Security-Policy" in page and "default-src &#x27;none&#x27;" in page


def test_html_has_each_account_findings_and_advice() -> None:
    page = html.render(report())

    assert MASTODON_URL in page and WEBSITE_URL in page
    assert "GPS location 52.37022, 4.89517" in page
    assert "What to change on Mastodon" in page
    assert 'href="https://docs.joinmastodon.org/user/preferences/"' in page
    assert "No photo of your face found here." in page
    assert "No public photo of your face was found" not in page


def test_html_says_nothing_was_found_and_when_interrupted() -> None:
    empty = html.render(report([website_account()]))
    interrupted = html.render(report(status="interrupted"))

    assert "No public photo of your face was found on these accounts." in empty
    assert "This scan was interrupted" in interrupted
    assert "This scan was interrupted" not in empty


# --- exposure rule ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        ([], "none"),
        ([finding(verdict="you", recognisability=60)], "high"),
        (
            [
                finding(
                    verdict="you", recognisability=20, metadata={**NO_METADATA, "gps": [1.0, 2.0]}
                )
            ],
            "high",
        ),
        ([finding(verdict="you", recognisability=59)], "medium"),
        ([finding(verdict="maybe", recognisability=60)], "medium"),
        (
            [
                finding(
                    verdict="maybe", recognisability=59, metadata={**NO_METADATA, "gps": [1.0, 2.0]}
                )
            ],
            "low",
        ),
        (
            [
                finding(verdict="maybe", recognisability=10),
                finding(verdict="you", recognisability=90),
            ],
            "high",
        ),
    ],
)
def test_exposure_rule(findings: list[FindingReport], expected: str) -> None:
    account = dataclasses.replace(website_account(), findings=findings)

    assert account.exposure == expected


def test_account_figures_without_findings_are_empty_not_zero() -> None:
    account = website_account()

    assert (account.photos_with_you, account.best_similarity, account.biggest_face_px) == (
        0,
        None,
        None,
    )


@pytest.mark.parametrize("width", [80, 120])
def test_the_summary_fits_the_terminal_and_keeps_every_account_readable(width):
    console = Console(record=True, width=width, color_system=None)
    terminal.render(report(), console, everything=True)
    text = console.export_text()
    assert all(len(line) <= width for line in text.splitlines())
    table = text.split("Your accounts", 1)[1].split("\n\n", 1)[0]
    assert "Mastodon" in table and "Personal website" in table
    assert ("Best" in table) == (width >= 100)


def test_each_account_says_what_its_crawl_cost_when_that_was_counted() -> None:
    rescanned = dataclasses.replace(mastodon_account(), cost=CrawlCost(17, 2_104_330, 12))
    first = dataclasses.replace(website_account(), cost=CrawlCost(1, 812, 0))
    older = dataclasses.replace(website_account(), url="https://older.example.org/")
    text = flat(terminal_text(report([rescanned, first, older])))

    assert "Crawl cost: 17 requests, 2.1 MB (12 images unchanged since last scan)" in text
    assert "Crawl cost: 1 request, 812 B" in text and "812 B (" not in text
    assert text.count("Crawl cost:") == 2  # a scan from before costs were counted says nothing
    data = jsonreport.to_dict(report([rescanned, website_account()]))
    assert [a["cost"] for a in data["accounts"]] == [
        {"requests": 17, "bytes": 2_104_330, "not_modified": 12}, None]
