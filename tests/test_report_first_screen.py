"""`faceaudit report` prints one screen: how exposed you are, what to do first, one line per
account; `faceaudit report --all` still prints everything, laid out as before."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from rich.console import Console

from faceaudit.report import terminal
from faceaudit.report.actions import GPS, METADATA, REACH, RISK_MEANING, WEIGHT, plan
from faceaudit.report.model import ReportData
from faceaudit.types import StopReason
from tests.test_report import finding, flat, full_report, report
from tests.test_report_actions import account

FIRST_SCREEN_LINES = 45  # the issue asks for ~40 at 80 columns (its "done when": 60); the demo prints 40
SGR = re.compile(r"\x1b\[[0-9;]*m")


def posts(count: int, **changes: object) -> list:
    return [finding(image_url=f"https://files.example/{n}.jpg", page_url=f"https://social.example/@alex/{n}",
                    other_faces=0, **{"recognisability": 70, **changes}) for n in range(count)]


def demo_like() -> ReportData:
    """Six accounts as the demo has them: a website with link previews and GPS, four platforms
    with posts and profile pictures, and an account seen only in part."""
    gps = {"gps": [52.37, 4.89], "taken_at": "2026-06-01T14:03:00", "camera": "Demophone", "camera_serial": None}
    site = [*posts(6, kind="page_image", recognisability=95),
            finding(image_url="https://alex.example.org/p.jpg", kind="share_image", recognisability=100),
            finding(image_url="https://alex.example.org/h.jpg", kind="page_image", metadata=gps)]
    return report([
        account("web", "https://alex.example.org/", site),
        account("mastodon", "https://social.example/@alex", [finding(kind="avatar", recognisability=90), *posts(4)],
                facts={"indexable": True, "discoverable": True}),
        account("bluesky", "https://bsky.app/profile/alex.bsky.social",
                [*posts(3), finding(image_url="https://cdn.example/v.jpg", kind="video_thumbnail")]),
        account("instagram", "https://www.instagram.com/alex.example/", [finding(kind="avatar"), *posts(3)]),
        account("github", "https://github.com/alex-example", [finding(kind="avatar", recognisability=88)]),
        dataclasses.replace(
            account("x", "https://x.com/alex_example", [finding(kind="avatar", verdict="maybe")]),
            stop=StopReason.LOGIN_WALL, stop_detail="redirected to /login"),
    ])


def lines_of(data: ReportData, *, everything: bool = False, width: int = 80, colour: bool = False) -> list[str]:
    if colour:
        console = Console(file=io.StringIO(), record=True, width=width, force_terminal=True,
                          color_system="truecolor")
        terminal.render(data, console, everything=everything)
        return SGR.sub("", console.export_text(styles=True)).splitlines()
    console = Console(file=io.StringIO(), record=True, width=width, color_system=None)
    terminal.render(data, console, everything=everything)
    return console.export_text().splitlines()


def test_the_first_screen_fits_about_forty_lines_at_80_columns() -> None:
    data = demo_like()
    first = lines_of(data)

    assert len(first) <= FIRST_SCREEN_LINES, "\n".join(first)
    assert len(lines_of(data, everything=True)) > 3 * len(first)  # the rest is behind --all
    for width in (60, 80, 120):
        assert all(len(line) <= width for line in lines_of(data, width=width))
        table = [line for line in lines_of(data, everything=True, width=width)
                 if line.startswith(("┏", "│", "└"))]
        assert table and all(line.rstrip().endswith(("┓", "│", "┘")) for line in table)  # no column cut off


def test_the_first_screen_answers_how_exposed_and_what_first() -> None:
    data = demo_like()
    lines = lines_of(data, width=120)
    text = flat("\n".join(lines))
    actions = plan(data)

    assert lines[0].startswith("faceaudit report · Scan 7 · 22 Nov 2026 09:50 UTC") and "insightface" in lines[0]
    assert lines[1].startswith("Warning: ")  # the heading is one line: no timestamps, thresholds or "generated"
    assert "How exposed are you? AT LEAST HIGH" in text and "Checked 5 of 6 accounts to the end; 1 in part." in text
    assert "22 photos of your face (and 1 that may be you) are public on 6 accounts" in text
    assert f"What to change, most important first (the top 3 of {len(actions)})" in text
    for action in actions.actions[:3]:
        assert f"{action.number}. " in text and action.problem in text and f"(risk {action.risk})" in text
        assert f"→ {action.advice.do}" in text and f"Where: {action.advice.where}" in text
    assert "4. " not in text and f"… and {len(actions) - 3} more: faceaudit report --all" in text
    assert text.count(RISK_MEANING) == 1
    assert lines[-2].endswith(": faceaudit report --all") and lines[-1].endswith(": faceaudit report --html FILE")
    for hidden in ("Photo: ", "Source: ", "Image: ", "Good to know", "Crawl cost", "Report generated"):
        assert hidden not in text


def test_each_account_is_one_line_in_plain_words() -> None:
    lines = lines_of(demo_like(), width=100)
    rows = {line.split("  ")[0]: line for line in lines if re.match(r"(Personal website|Mastodon|Bluesky|"
                                                                       r"Instagram|GitHub|X \(Twitter\)) ", line)}

    assert re.search(r"Your accounts\s+Photos of you\s+Exposure\s+Seen", "\n".join(lines))
    assert re.fullmatch(r"Personal website\s+alex\.example\.org\s+8\s+high\s+to the end\s*", rows["Personal website"])
    assert re.fullmatch(r"Mastodon\s+social\.example/@alex\s+5\s+high\s+to the end\s*", rows["Mastodon"])
    assert re.fullmatch(r"X \(Twitter\)\s+x\.com/alex_example\s+0 \(\+1 maybe\)\s+low\s+in part \(login wall\)\s*",
                        rows["X (Twitter)"])
    assert len(rows) == 6


def test_everything_is_still_behind_all() -> None:
    data = full_report()
    text = flat("\n".join(lines_of(data, everything=True, width=120)))
    first = flat("\n".join(lines_of(data, width=120)))

    for found in (f for a in data.accounts for f in a.findings):
        assert f"Image: {found.image_url}" in text
    assert "Image: " not in first and "Since scan 6" in first  # the photos are behind --all, the summary is not
    for action in plan(data).actions:
        assert f"{action.number}. " in text and action.problem in text
        assert f"Source: {action.advice.source} (checked {action.advice.checked})" in text
    assert "Since scan 6" in text and "Resolved (1):" in text and "Good to know" in text
    assert "Crawl cost: 17 requests" in text and "Scan started 2026-11-22T09:50:00Z" in text
    assert "A face counts as you from a match of 0.40, as maybe you from 0.28" in text
    assert text.count(RISK_MEANING) == 1


def test_the_risk_sentence_says_what_the_ranking_computes() -> None:
    # actions.risk is R (0-100, a maybe half) × D (1, +0.5 indexable, +0.5 slot) × C (1 + log2 n) × M
    assert "(0–100, a maybe counts half)" in RISK_MEANING and "×1 to ×2" in RISK_MEANING
    assert "1 + log₂ of the count" in RISK_MEANING
    assert f"×{WEIGHT[GPS]:g} your face with a GPS place" in RISK_MEANING
    assert WEIGHT[METADATA] == WEIGHT[REACH] and f"×{WEIGHT[METADATA]:g} file details or search settings" in RISK_MEANING


def test_the_demo_points_to_its_own_command() -> None:
    console = Console(file=io.StringIO(), record=True, width=80, color_system=None)
    terminal.render(demo_like(), console, command="faceaudit demo")
    text = console.export_text()

    assert "more: faceaudit demo --all" in text and "faceaudit demo --html FILE" in text
    assert "faceaudit report --" not in text


@pytest.mark.parametrize("everything", [False, True], ids=["first-screen", "all"])
def test_the_report_reads_the_same_without_colour(everything: bool) -> None:
    data = demo_like()
    plain = lines_of(data, everything=everything, width=120)

    assert lines_of(data, everything=everything, width=120, colour=True) == plain
    text = flat("\n".join(plain))  # what colour marks is said in words too
    assert "AT LEAST HIGH" in text and "in part (login wall)" in text


@pytest.mark.browser
def test_the_demo_first_screen_at_80_columns(chromium) -> None:
    from faceaudit.demo.run import run_demo

    data, _ = run_demo()
    first = lines_of(data)
    everything = "\n".join(lines_of(data, everything=True, width=400))  # long URLs on one line

    assert len(first) <= FIRST_SCREEN_LINES, "\n".join(first)
    assert all(f"Image: {f.image_url}" in everything for a in data.accounts for f in a.findings)
