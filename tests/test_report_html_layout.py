"""The HTML report on a phone, a desktop and paper, in headless Chromium (offline): no sideways
scrolling at 390 px even with a 2,000-character URL, landmarks and a skip link as the first Tab
stop, the first screen's order with thumbnails of your face beside each action, a print
stylesheet that prints folded details, and checklist ticks kept by the one script the CSP allows."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import itertools
import re
from pathlib import Path
from typing import Any

import pytest

from faceaudit.report import html
from faceaudit.report.actions import plan
from faceaudit.report.model import ReportData
from tests.test_report import full_report, hostile_report
from tests.test_report_html_browser import jpeg, screenshot_script, with_real_thumbnails

pytestmark = pytest.mark.browser

LONG = "https://evil.example/" + "a" * 2000  # one 2,000-character "word": it must wrap, not widen the page


def long_report() -> ReportData:
    """The full test report, hostile, with real thumbnails and 2,000-character URLs everywhere a URL is shown."""
    data = with_real_thumbnails(hostile_report())
    data.history, data.warnings = full_report().history, [f"a warning about {LONG}"]
    account = data.accounts[0]
    account.findings[0] = dataclasses.replace(account.findings[0], image_url=LONG + ".jpg", page_url=LONG + "/page")
    account.notes.append(f"a note with {LONG}")
    data.accounts.append(dataclasses.replace(data.accounts[1], url=LONG + "/site"))
    return data


def write(tmp_path: Path, data: ReportData | str, name: str = "report.html") -> Path:
    page = tmp_path / name
    page.write_text(data if isinstance(data, str) else html.render(data), encoding="utf-8")
    return page


def test_the_page_fits_a_phone_and_a_desktop_even_with_a_very_long_url(tmp_path, chromium):
    check = screenshot_script().open_offline(write(tmp_path, long_report()), chromium.path)

    assert check.requests == [] and check.console_errors == []
    assert check.sizes[390][0] <= 400, check.sizes
    assert check.sizes[1100][0] <= 1100, check.sizes


def test_the_accounts_table_is_a_table_on_a_desktop_and_cards_on_a_phone(tmp_path, chromium):
    shot = screenshot_script()
    check = shot.PageCheck()
    with shot.offline_page(write(tmp_path, long_report()), chromium.path, check) as page:
        row = "document.querySelector('table.accounts tbody tr')"
        wide = page.evaluate(f"getComputedStyle({row}).display")
        columns_shown = page.evaluate("document.querySelector('table.accounts tr.cols').checkVisibility()")
        page.set_viewport_size(shot.PHONE)
        narrow = page.evaluate(f"getComputedStyle({row}).display")
        columns_hidden = not page.evaluate("document.querySelector('table.accounts tr.cols').checkVisibility()")
        label = page.evaluate(f"getComputedStyle({row}.children[2], '::before').content")
        row_width = page.evaluate(f"{row}.getBoundingClientRect().width")

    assert (wide, columns_shown) == ("table-row", True)
    assert (narrow, columns_hidden) == ("block", True)  # one card per account, each value labelled
    assert label == '"Photos of you: "'
    assert row_width <= 390
    assert check.console_errors == []


def test_landmarks_headings_and_a_skip_link_as_the_first_tab_stop(tmp_path, chromium):
    shot = screenshot_script()
    check = shot.PageCheck()
    with shot.offline_page(write(tmp_path, long_report()), chromium.path, check) as page:
        landmarks = page.evaluate("['header', 'nav', 'main#main', 'footer'].map("
                                  "s => document.querySelectorAll(s).length)")
        levels = page.evaluate("[...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])")
        contents = page.evaluate("[...document.querySelectorAll('nav a')].map(a => a.getAttribute('href'))")
        targets = page.evaluate("[...document.querySelectorAll('nav a')].every("
                                "a => document.getElementById(a.getAttribute('href').slice(1)))")
        page.keyboard.press("Tab")
        first = page.evaluate("[document.activeElement.textContent, document.activeElement.getAttribute('href'),"
                              " document.activeElement.getBoundingClientRect().left >= 0]")
        page.keyboard.press("Enter")
        moved = page.evaluate("location.hash")

    assert landmarks == [1, 1, 1, 1]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels  # no level skipped
    assert contents[:3] == ["#exposure", "#actions", "#accounts"] and targets
    assert first == ["Skip to the actions", "#actions", True]  # the skip link, shown when focused
    assert moved == "#actions"


def test_without_actions_the_skip_link_goes_to_the_report(tmp_path):
    data = hostile_report()
    data.accounts = [data.accounts[1]]  # the website without findings: no action, no checklist
    page = html.render(data)

    assert '<a class="skip" href="#main">Skip to the report</a>' in page
    assert "<script" not in page.lower() and 'href="#actions"' not in page


def test_the_page_reads_like_the_first_screen_and_folds_the_details(tmp_path, chromium):
    data = long_report()
    shot = screenshot_script()
    check = shot.PageCheck()
    with shot.offline_page(write(tmp_path, data), chromium.path, check) as page:
        order = page.evaluate("[...document.querySelectorAll('main > section')].map(s => s.id)")
        folded = page.evaluate("[...document.querySelectorAll('.finding')].every("
                               "f => f.closest('details') && !f.checkVisibility())")
        facts_folded = page.evaluate("!!document.querySelector('#facts details li') "
                                     "&& !document.querySelector('#facts details li').checkVisibility()")
        thumbs = page.evaluate("[...document.querySelectorAll('li.action')].map(li => [li.id, "
                               "[...li.querySelectorAll('.thumbs img')].map(i => [i.getAttribute('src'), i.alt, "
                               "i.checkVisibility()])])")

    assert order == ["exposure", "actions", "accounts", "details", "history", "facts"]
    assert folded and facts_folded
    actions = plan(data)
    assert len(thumbs) == len(actions)
    for action, (anchor, images) in zip(actions.actions, thumbs, strict=True):
        assert anchor == f"action-{action.number}"
        # Thumbnails of the user's own face from the photos the action is about, at most three, shown.
        own = [f"data:image/jpeg;base64,{base64.b64encode(f.thumbnail_jpeg).decode()}"
               for f in action.photos if f.thumbnail_jpeg]
        assert images and len(images) <= html.ACTION_THUMBNAILS
        assert all(src in own and alt.startswith("your face in a ") and shown for src, alt, shown in images)
    assert check.console_errors == []


def test_an_action_shows_no_more_than_three_thumbnails_and_counts_the_rest():
    data = with_real_thumbnails(hostile_report())
    account = data.accounts[0]
    post = account.findings[-1]
    account.findings += [dataclasses.replace(post, image_url=f"https://files.mastodon.social/media/more-{n}.jpg",
                                             thumbnail_jpeg=jpeg(60 + n)) for n in range(4)]
    page = html.render(data)
    biggest = max(plan(data).actions, key=lambda a: len(a.image_urls))

    item = re.search(rf'<li class="action" id="action-{biggest.number}">(.*?)</li>', page, re.S)
    assert item is not None
    shown = item.group(1).count("<img ")
    assert shown == html.ACTION_THUMBNAILS
    assert f"and {len(biggest.image_urls) - shown} more" in item.group(1)


def test_print_shows_the_folded_details_and_link_targets_without_the_navigation(tmp_path, chromium):
    shot = screenshot_script()
    check = shot.PageCheck()
    with shot.offline_page(write(tmp_path, long_report()), chromium.path, check,
                           viewport={"width": 800, "height": 1100}) as page:
        page.emulate_media(media="print")
        details = page.evaluate("[...document.querySelectorAll('details')].map(d => "
                                "[...d.children].filter(c => c.tagName != 'SUMMARY').every(c => c.checkVisibility()))")
        finding = page.evaluate("document.querySelector('.finding').getBoundingClientRect().height")
        hidden = page.evaluate("['nav', '.skip'].map(s => document.querySelector(s).checkVisibility())")
        after = page.evaluate("getComputedStyle(document.querySelector('a.ref'), '::after').content")
        colours = page.evaluate("[getComputedStyle(document.body).color, getComputedStyle(document.body).backgroundColor,"
                                " getComputedStyle(document.querySelector('.high')).color]")
        unsplit = page.evaluate("getComputedStyle(document.querySelector('li.action')).breakInside")
        width = page.evaluate("document.documentElement.scrollWidth")
        pdf = page.pdf(format="A4")

    assert details and all(details)  # every folded part prints
    assert finding > 0
    assert hidden == [False, False]
    assert after.startswith('" (https://') and after.endswith(')"')
    assert colours == ["rgb(0, 0, 0)", "rgb(255, 255, 255)", "rgb(0, 0, 0)"]
    assert unsplit == "avoid"
    assert width <= 800
    assert pdf.startswith(b"%PDF")
    assert check.console_errors == []


def test_the_csp_allows_exactly_the_checklist_script_and_nothing_else():
    page = html.render(full_report())
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert csp is not None
    policy = csp.group(1).replace("&#x27;", "'")
    digest = base64.b64encode(hashlib.sha256(html.SCRIPT.encode()).digest()).decode()

    assert f"script-src 'sha256-{digest}';" in policy
    assert "default-src 'none'; img-src data:;" in policy and "base-uri 'none'" in policy
    assert "unsafe-inline'; script" in policy and policy.count("unsafe") == 1  # styles only
    assert re.findall(r"<script>(.*?)</script>", page, re.S) == [html.SCRIPT]
    # Without JavaScript the boxes still work, and the page says the ticks are then not kept.
    assert page.count('type="checkbox"') == len(plan(full_report()))
    assert "Without JavaScript the boxes still work, but the ticks are not kept." in page


def test_each_tick_has_a_key_of_its_scan_and_action():
    data = full_report()
    actions = plan(data).actions
    keys = [html.checklist_key(data, a) for a in actions]
    later = dataclasses.replace(data, scan_id=data.scan_id + 1)

    assert len(set(keys)) == len(keys)
    assert keys == [html.checklist_key(full_report(), a) for a in plan(full_report()).actions]
    assert all(html.checklist_key(later, a) not in keys for a in actions)
    assert all(f'data-key="{key}"' in html.render(data) for key in keys)


def ticked_after_reopening(page: Any, url: str) -> tuple[bool, bool, bool]:
    """Tick the first box; (still ticked after a reload, ticked in a new tab, second box ticked)."""
    page.check("#done-1")
    page.reload()
    reloaded = page.is_checked("#done-1")
    other = page.context.new_page()
    other.goto(url)
    return reloaded, other.is_checked("#done-1"), other.is_checked("#done-2")


def test_ticks_are_kept_across_reloads(tmp_path, chromium):
    report = write(tmp_path, long_report())
    check = screenshot_script().PageCheck()
    with screenshot_script().offline_page(report, chromium.path, check) as page:
        kept = ticked_after_reopening(page, report.resolve().as_uri())
        page.uncheck("#done-1")
        page.reload()
        unticked = page.is_checked("#done-1")

    assert kept == (True, True, False)
    assert unticked is False
    assert check.console_errors == [] and check.requests == []


def test_a_changed_script_is_refused_by_the_csp(tmp_path, chromium):
    tampered = html.render(long_report()).replace(html.SCRIPT, html.SCRIPT.replace("b.checked=true", "b.checked=!0"))
    assert html.SCRIPT not in tampered
    report = write(tmp_path, tampered)
    check = screenshot_script().PageCheck()
    with screenshot_script().offline_page(report, chromium.path, check) as page:
        kept = ticked_after_reopening(page, report.resolve().as_uri())

    assert kept[1] is False  # the script did not run: nothing kept the tick
    assert any("Content Security Policy" in error for error in check.console_errors), check.console_errors
