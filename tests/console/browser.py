"""Driving the console in Debian's chromium (playwright, no browser download): shared by the
end-to-end test and tools/console_screenshots.py."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from tests.console.story import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1366, "height": 860}  # a laptop screen


def chromium_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None. Under CI a missing chromium is a
    failure, not a skip: .ci/run installs it."""
    if CHROMIUM.exists() and shutil.which(str(CHROMIUM)):
        return None
    return f"{CHROMIUM} is missing: apt-get install chromium to run the browser tests"


def screenshot_folder(default: Path) -> Path:
    folder = Path(os.environ.get("GATEWAY_SCREENSHOTS") or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Browser) -> Page:
    page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
    page.set_default_timeout(15_000)
    return page


def sign_in(page: Page, base_url: str, name: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/partners")


def shoot(page: Page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
