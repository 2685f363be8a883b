"""No internal value reaches the words a user reads: every enum value that can reach a report
(image kinds, stop reasons, verdicts, how much of an account was seen, exposure levels) is said
in plain words in the terminal report, `--all`, and the HTML page.

A value with "_" (``share_image``, ``login_wall``) must appear nowhere; a one-word value that is
not plain English where a report would put it (``cap``, a bare ``none``) must not appear as a
word of its own. The platforms' advice (data files quoting each platform's own menus: Mastodon
calls its profile picture an "avatar") and URLs are left out of the check: they are not ours to word.
"""

from __future__ import annotations

import dataclasses
import html as html_lib
import inspect
import io
import re
from enum import Enum
from importlib import resources

import pytest
from rich.console import Console

from faceaudit import types
from faceaudit.report import html, model, terminal
from faceaudit.report.actions import GPS, METADATA, PHOTO, REACH
from faceaudit.report.advice import load
from faceaudit.report.model import EXPOSURE_LEVELS, UNKNOWN, ReportData, Seen
from faceaudit.types import ImageKind, StopReason, TextEnum
from tests.test_report import finding, full_report, website_account

# One-word values that are plain English wherever a report shows them, and why.
PLAIN = {
    "post": "a post is a post; also the kind's own label",
    "cover": "the kind's label is 'cover photo'",
    "private": "the stop's label is 'private account'",
    "blocked": "the stop's label is 'blocked'",
    "error": "the stop's label is 'error'",
    "you": "the verdict's label is 'you'",
    "maybe": "the verdict's label is 'maybe you'; '(+1 maybe)' counts them",
    "other": "never a finding: other people are only counted",
    "analysed": "an image's status: never in a report",
    "failed": "an image's status: never in a report",
    "duplicate": "an image's status: never in a report",
    "high": "an exposure level, said as 'high' under 'Exposure'",
    "medium": "an exposure level, said as 'medium' under 'Exposure'",
    "low": "an exposure level, said as 'low' under 'Exposure'",
    "photo": "an action's category: never shown; 'photo' is a plain word",
    "reach": "an action's category: never shown; Mastodon's menu says 'Privacy and reach'",
    "metadata": "an action's category: never shown; 'metadata' is used in advice",
}
# One-word values that are not plain English where a report would put them: the pattern of
# their bare use, and why.
BARE = {
    "avatar": (r"\bavatar\b", "the kind is said as 'profile picture'"),
    "banner": (r"\bbanner\b", "the kind is said as 'header image'"),
    "end": (r"(?<!the )\bend\b", "a stop reason: 'saw everything', 'to the end'"),
    "cap": (r"\bcap\b", "a stop reason: 'faceaudit's own limit'"),
    "whole": (r"\bwhole\b", "how much was seen: 'to the end'"),
    "part": (r"(?<!in )(?<!the )\bpart\b", "how much was seen: 'in part'"),
    "none": (r"\bnone\b", "a level or 'seen' shown bare: 'nothing found', 'not at all'"),
    "unknown": (r"\bunknown\b", "a level or 'indexable' shown bare: 'cannot say', 'could not tell'"),
    "gps": (r"\bgps\b", "an action's category: the report says 'GPS'"),
}
# Words that are internal whatever their case.
JARGON = {"similarity": "say 'match 0.71 of 1.00'"}
URL = re.compile(r"(?:https?|mailto):\S+")


def enum_values() -> set[str]:
    """Every value of every enum in faceaudit.types, model's Seen, exposure levels, action categories."""
    enums = [member for _, member in inspect.getmembers(types, inspect.isclass)
             if issubclass(member, Enum) and member not in (Enum, TextEnum)]
    enums += [member for _, member in inspect.getmembers(model, inspect.isclass)
              if issubclass(member, Enum) and member not in (Enum, TextEnum)]
    assert {ImageKind, StopReason, Seen} <= set(enums)
    values = {str(item.value) for enum in enums for item in enum}
    return values | set(EXPOSURE_LEVELS) | {UNKNOWN} | {PHOTO, REACH, GPS, METADATA}


def advice_texts() -> list[str]:
    """Every sentence the advice files hold, whitespace-normalised, longest first."""
    folder = resources.files("faceaudit.report.advice")
    texts: set[str] = set()
    for entry in folder.iterdir():
        if not entry.name.endswith(".json"):
            continue
        advice = load(entry.name.removesuffix(".json"))
        assert advice is not None
        texts.add(advice.always_public)
        for item in advice.entries:
            texts |= {item.advice, item.do, item.where, item.source_note}
            if isinstance(item.always_public, str):
                texts.add(item.always_public)
    return sorted((" ".join(t.split()) for t in texts if t), key=len, reverse=True)


def ours(text: str) -> str:
    """The report's own words: no URLs, no advice quoted from the data files."""
    text = " ".join(text.split())
    for quoted in advice_texts():
        text = text.replace(quoted, " ")
    return URL.sub(" ", text)


def leaks(text: str) -> list[str]:
    """Each internal value found in `text`, with the rule it broke."""
    words = ours(text)
    found = [f"{value!r} (has '_')" for value in enum_values() if "_" in value and value in words]
    found += [f"{value!r} bare: {why}" for value, (pattern, why) in BARE.items() if re.search(pattern, words)]
    found += [f"{word!r}: {why}" for word, why in JARGON.items() if word in words.lower()]
    return found


def glossary_report() -> ReportData:
    """full_report() with a finding of every image kind and an account stopped for every reason."""
    data = full_report()
    kinds = [finding(image_url=f"https://files.example/{kind.value.replace('_', '-')}.jpg", kind=kind)
             for kind in ImageKind]
    data.accounts[0] = dataclasses.replace(data.accounts[0], findings=[*data.accounts[0].findings, *kinds])
    for n, stop in enumerate(StopReason):
        images = 3 if n % 2 else 0  # in part, or not seen at all, where the reason allows
        data.accounts.append(dataclasses.replace(
            website_account(), url=f"https://site{n}.example.org/", stop=stop, images_seen=images,
            indexable=None if n % 3 else True, stop_detail="" if n % 2 else "why it stopped"))
    return data


def rendered(data: ReportData) -> dict[str, str]:
    """The report as the user reads it: terminal, terminal --all, and the HTML page's text."""
    texts = {}
    for everything in (False, True):
        console = Console(file=io.StringIO(), record=True, width=200, color_system=None)
        terminal.render(data, console, everything=everything)
        texts["terminal --all" if everything else "terminal"] = console.export_text()
    page = html.render(data)
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.DOTALL)
    texts["html"] = html_lib.unescape(re.sub(r"<[^>]+>", " ", page))
    return texts


def test_every_value_that_can_reach_a_report_is_judged() -> None:
    judged = set(PLAIN) | set(BARE)
    single = {value for value in enum_values() if "_" not in value}

    assert single - judged == set(), "say whether each new value is plain English in a report"
    assert {"share_image", "page_image", "login_wall", "not_scanned"} <= enum_values()


@pytest.mark.parametrize("where", ["terminal", "terminal --all", "html"])
def test_no_internal_value_reaches_the_report(where: str) -> None:
    data = glossary_report()
    text = rendered(data)[where]

    assert "profile picture" in text and "link-preview picture" in text  # every kind was shown
    assert leaks(text) == []


@pytest.mark.parametrize(("label", "value"), [
    (model.KIND_LABELS, ImageKind.SHARE_IMAGE),
    (model.KIND_LABELS, ImageKind.AVATAR),
    (model.STOP_LABELS, StopReason.CAP),
    (model.ACCOUNT_EXPOSURE_LABELS, "none"),
])
def test_a_label_that_is_its_own_value_is_caught(monkeypatch: pytest.MonkeyPatch, label: dict, value: str) -> None:
    before = {where: set(leaks(text)) for where, text in rendered(glossary_report()).items()}
    monkeypatch.setitem(label, value, str(value))
    after = {where: set(leaks(text)) for where, text in rendered(glossary_report()).items()}

    new = {where: after[where] - before[where] for where in after}
    assert new["terminal --all"] and all(repr(str(value)) in leak for leak in new["terminal --all"])


def test_similarity_is_said_as_a_match() -> None:
    assert model.finding_summary(finding(similarity=0.71)).startswith("post · match 0.71 of 1.00 · ")
    assert leaks("YOU · avatar · similarity 0.71") and not leaks("YOU · profile picture · match 0.71 of 1.00")
