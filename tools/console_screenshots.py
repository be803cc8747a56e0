"""Full-page screenshots of every console page, for a person to look at.

    .venv/bin/python tools/console_screenshots.py /tmp/console-shots

Builds a store holding a whole return story (the console tests' own, tests/console/story.py),
serves the console on a free 127.0.0.1 port, signs in to Debian's chromium (headless, through
playwright: no browser download) and saves one PNG per page into the folder given. Empty
states are shot too, over a second, empty store.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the story lives with the tests

from gateway.console.app import create_app  # noqa: E402
from gateway.console.server import serve_in_thread  # noqa: E402
from tests.console.browser import (  # noqa: E402
    chromium,
    chromium_missing_reason,
    new_page,
    shoot,
    sign_in,
)
from tests.console.story import add_people, build_story, empty_store  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="where the PNG files go (created)")
    args = parser.parse_args()
    if (missing := chromium_missing_reason()) is not None:
        print(missing, file=sys.stderr)
        return 2
    args.folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        story = build_story(Path(work) / "story")
        add_people(story.store)
        pages = [("partners", "/partners"), ("files", "/files"),
                 ("files-rejected", "/files?state=rejected"),
                 ("file-rejected", f"/files/{story.rejected_file}"),
                 ("file-not-x12", f"/files/{story.not_x12_file}"), ("file-accepted", "/files/1"),
                 ("case", "/cases?q=RMA7734021"), ("case-unknown", "/cases?q=NOPE-1"),
                 ("acks", "/acks"), ("acks-overdue", "/acks?show=overdue"),
                 ("acks-held", "/acks?show=held"), ("recalls", "/recalls"),
                 ("recall", "/recalls/26-031"), ("audit", "/audit"), ("queue", "/queue"),
                 ("search", "/search?gtin=614141000364"),
                 ("search-documents", "/search?what=documents&rma=RMA7734021"),
                 ("recall-upload", "/recalls/upload"),
                 ("not-found", "/files/9999")]
        app = create_app(story.store, story.config,
                         clock=lambda: story.now)
        (Path(work) / "empty").mkdir()
        store, config = empty_store(Path(work) / "empty")
        add_people(store)
        empty = create_app(store, config)
        _shoot_all(app, empty, pages, args.folder)
    for path in sorted(args.folder.glob("*.png")):
        print(path)
    return 0


def _shoot_all(app: object, empty: object, pages: list[tuple[str, str]],
               folder: Path) -> None:
    running, running_empty = serve_in_thread(app), serve_in_thread(empty)  # type: ignore[arg-type]
    try:
        with chromium() as browser:
            page = new_page(browser)
            page.goto(f"{running.url}/login")
            shoot(page, folder, "login")
            sign_in(page, running.url, "ada")
            for name, path in pages:
                page.goto(running.url + path)
                shoot(page, folder, name)
            page.goto(f"{running.url}/files/{pages[3][1].rsplit('/', 1)[1]}")
            page.click("text=Replay file")
            shoot(page, folder, "file-replayed")
            reader = new_page(browser)
            sign_in(reader, running_empty.url, "vera")
            for name in ("partners", "files", "acks", "recalls", "cases", "queue", "search"):
                reader.goto(f"{running_empty.url}/{name}")
                shoot(reader, folder, f"empty-{name}")
    finally:
        running.stop()
        running_empty.stop()


if __name__ == "__main__":
    sys.exit(main())
