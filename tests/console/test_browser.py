"""End to end in a real headless Chromium (Debian's, driven by playwright): the console served
by waitress on a free 127.0.0.1 port over a store holding the whole return story.

Screenshots of each page go to $GATEWAY_SCREENSHOTS (else the test's temporary folder) so a
person can look at them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from gateway.console.app import create_app
from gateway.console.server import RunningConsole, serve_in_thread
from tests.console.browser import (
    chromium,
    chromium_missing_reason,
    new_page,
    screenshot_folder,
    shoot,
    sign_in,
)
from tests.console.conftest import TOKENS
from tests.console.story import PASSWORD, Story, add_people, build_story

if (missing := chromium_missing_reason()) is not None:
    if os.environ.get("CI"):
        pytest.fail(f"{missing}; CI must install it (.ci/run does)", pytrace=False)
    pytest.skip(missing, allow_module_level=True)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Story, RunningConsole]]:
    story = build_story(tmp_path / "story")
    add_people(story.store)
    running = serve_in_thread(create_app(story.store, story.config, TOKENS,
                                         clock=lambda: story.now))
    try:
        yield story, running
    finally:
        running.stop()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return screenshot_folder(tmp_path / "screenshots")


def watched(page: Page) -> list[str]:
    """Console errors the page reports: a CSP violation (an inline style or script that
    slipped in) shows up here. The 401 of a wrong token on purpose is not one."""
    errors: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error" and "status of 401" not in message.text:
            errors.append(message.text)
    page.on("console", keep)
    return errors


def test_a_reader_follows_the_return_story(served: tuple[Story, RunningConsole],
                                           browser: Browser, shots: Path) -> None:
    story, console = served
    page = new_page(browser)
    errors = watched(page)
    page.goto(console.url + "/files")  # not signed in: the login page, then back here
    expect(page.locator("h1")).to_have_text("Sign in")
    shoot(page, shots, "01-login")
    page.fill("#name", "vera")
    page.fill("#password", "not her password")
    page.click("button[type=submit]")
    expect(page.locator(".flash-bad")).to_have_text(
        "That name and password do not sign anybody in.")
    expect(page.locator("#name")).to_have_value("vera")  # kept; the password is not
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/files$"))

    page.click("nav.nav >> text=Partners")
    expect(page.locator("tbody tr")).to_have_count(4)
    expect(page.locator("tr", has_text="Northwind Home Stores").locator(".badge").first
           ).to_have_text("attention")
    shoot(page, shots, "02-partners")

    page.fill("#q", "RMA7734021")
    page.press("#q", "Enter")
    timeline = page.locator(".timeline .tl-what .badge")
    expect(timeline.first).to_be_visible()
    for state in ("requested", "authorized", "in-transit", "delivered"):
        assert state in timeline.all_inner_texts()
    expect(page.locator(".case-state")).to_contain_text("on recall hold")
    shoot(page, shots, "03-case")

    page.click("nav.nav >> text=Files")
    page.select_option("select[name=state]", "rejected")
    page.click("form.filters button")
    page.click(f"a[href='/files/{story.rejected_file}']")
    expect(page.locator(".finding .where")).to_have_text(
        "line 14, segment 12 (AT7), element AT701")
    expect(page.locator(".raw .line-marked")).to_have_text("AT7*ZZ*NS***20260120*1405*ET~")
    expect(page.locator(".replay")).to_contain_text("Replaying needs an admin")
    shoot(page, shots, "04-rejected-file")

    page.click("nav.nav >> text=Acknowledgements")
    expect(page.locator("tr.row-overdue")).to_have_count(2)
    shoot(page, shots, "05-acknowledgements")

    page.click("nav.nav >> text=Recalls")
    shoot(page, shots, "06-recalls")
    page.click("a[href='/recalls/26-031']")
    chart = page.locator("svg.chart")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.chart-bar")).to_have_count(6)
    shoot(page, shots, "07-recall")
    assert errors == []


def test_an_admin_replays_a_failed_file(served: tuple[Story, RunningConsole],
                                        browser: Browser, shots: Path) -> None:
    story, console = served
    page = new_page(browser)
    errors = watched(page)
    sign_in(page, console.url, "ada")
    expect(page.locator(".role")).to_have_text("admin")
    expect(page.locator(".person")).to_have_text("ada")
    page.goto(f"{console.url}/files/{story.rejected_file}")
    page.click(f"text=Replay file #{story.rejected_file}")
    expect(page.locator(".flash")).to_have_text(
        f"Replayed file #{story.rejected_file}: rejected → rejected, 0 documents.")
    shoot(page, shots, "08-replayed")
    page.click("text=Sign out")
    expect(page.locator("h1")).to_have_text("Sign in")
    assert errors == []
