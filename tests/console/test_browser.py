"""End to end in a real headless Chromium (Debian's, driven by playwright): the console served
by waitress on a free 127.0.0.1 port over a store holding the whole return story.

Screenshots of each page go to $GATEWAY_SCREENSHOTS (else the test's temporary folder) so a
person can look at them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from gateway.console.app import create_app
from gateway.console.server import RunningConsole, serve_in_thread
from gateway.demo import documents as demo
from tests.console.browser import (
    chromium,
    chromium_missing_reason,
    new_page,
    screenshot_folder,
    shoot,
    sign_in,
)
from tests.console.story import NOTICE, PASSWORD, Story, add_people, build_story
from tests.store.test_outbound import Gateway

if (missing := chromium_missing_reason()) is not None:
    if os.environ.get("CI"):
        pytest.fail(f"{missing}; CI must install it (.ci/run does)", pytrace=False)
    pytest.skip(missing, allow_module_level=True)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Story, RunningConsole]]:
    story = build_story(tmp_path / "story")
    add_people(story.store)
    running = serve_in_thread(create_app(story.store, story.config,
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


@pytest.fixture
def with_pending(served: tuple[Story, RunningConsole]) -> tuple[Story, RunningConsole, str]:
    """The story plus Northwind's kettle 'not as expected', which its policy leaves pending."""
    story, console = served
    day = story.now - timedelta(days=1)
    gateway = Gateway(str(story.store.engine.url), story.config.paths["archive"].parent)
    gateway.take("northwind", demo.second_request(day), "rma-kettle.x12", at=story.now)
    return story, console, demo.request_id(day, 2)


def test_each_role_does_its_work_and_the_audit_log_names_them(
        with_pending: tuple[Story, RunningConsole, str], browser: Browser,
        shots: Path) -> None:
    story, console, request = with_pending
    url = console.url

    # A viewer sees the queue without buttons; a forged POST is refused and audited.
    viewer = new_page(browser)
    sign_in(viewer, url, "vera")
    viewer.goto(f"{url}/queue")
    expect(viewer.locator("section.decision")).to_have_count(1)
    expect(viewer.locator("button[name=verdict]")).to_have_count(0)
    csrf = viewer.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    forged = viewer.request.post(f"{url}/queue/decide", form={
        "csrf_token": csrf, "request": request, "verdict": "deny"})
    assert forged.status == 403

    # An operator authorizes the pending line: the 180 answer is queued once.
    operator = new_page(browser)
    errors = watched(operator)
    sign_in(operator, url, "otto")
    operator.goto(f"{url}/queue")
    shoot(operator, shots, "09-queue")
    operator.click("section.decision button[value=authorize]")
    expect(operator.locator(".flash")).to_contain_text(
        f"Request {request} (northwind): authorize every line; now authorized")
    answers = [r for r in story.store.outbound(purposes=["rma-answer"]) if r.subject == request]
    assert len(answers) == 1
    expect(operator.locator("section.decision")).to_have_count(0)
    shoot(operator, shots, "10-queue-decided")

    # A recall coordinator checks a broken notice (nothing stored), then sends a good one.
    coordinator = new_page(browser)
    sign_in(coordinator, url, "rosa")
    coordinator.goto(f"{url}/recalls/upload")
    files_before = len(story.store.recent_files(limit=10_000))
    coordinator.set_input_files("#notice", str(NOTICE.parent /
                                                "invalid-schema-several-errors.xml"))
    coordinator.click("button:has-text('Check')")
    expect(coordinator.locator("text=Nothing was stored")).to_be_visible()
    expect(coordinator.locator("td.where").first).to_contain_text("line 6")
    shoot(coordinator, shots, "11-recall-upload-broken")
    assert len(story.store.recent_files(limit=10_000)) == files_before
    good = story.config.paths["archive"].parent / "notice-26-902.xml"
    good.write_text(NOTICE.read_text().replace("26-031", "26-902"))
    coordinator.set_input_files("#notice", str(good))
    coordinator.click("button:has-text('Check')")
    expect(coordinator.locator("text=ready to send")).to_be_visible()
    coordinator.click("button:has-text('Send notice 26-902')")
    expect(coordinator).to_have_url(re.compile(r"/recalls/26-902$"))
    expect(coordinator.locator(".flash")).to_contain_text("recall 26-902: notified northwind")
    shoot(coordinator, shots, "12-recall-sent")

    # An admin replays a file, then reads who did what.
    admin = new_page(browser)
    sign_in(admin, url, "ada")
    admin.goto(f"{url}/files/{story.rejected_file}")
    admin.click(f"text=Replay file #{story.rejected_file}")
    admin.goto(f"{url}/audit")
    shoot(admin, shots, "13-audit")
    table = admin.locator("table").inner_text()
    for actor, action in (("console:vera", "decision.deny"), ("console:otto",
                          "decision.authorize"), ("console:rosa", "recall.upload"),
                          ("console:ada", "file.replay")):
        assert re.search(rf"{actor}.*\n?.*{action}", table), (actor, action)
    assert errors == []
