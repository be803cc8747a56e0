"""Partner text on the console's work pages renders inert (issue 15, security): a script in
a 180 line's description on the decision queue, in a recall notice's title on the upload
check, and in a name tried at sign-in on the audit page."""

from __future__ import annotations

import io
from datetime import timedelta

from flask import Flask

from gateway.demo import documents as demo
from tests.console.conftest import csrf_of, signed_in
from tests.console.story import NOTICE, Story
from tests.store.test_outbound import Gateway

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_a_script_in_a_line_description_is_text_on_the_queue(app: Flask,
                                                              story: Story) -> None:
    day = story.now - timedelta(days=1)
    # X12 puts '>' to use as the component separator: a tag left open is what fits in PID05.
    tag = "<svg onload=alert(1)//"
    data = demo.second_request(day).decode().replace("Electric kettle", tag).encode()
    gateway = Gateway(str(story.store.engine.url), story.config.paths["archive"].parent)
    assert gateway.take("northwind", data, "rma-hostile.x12", at=story.now).state == "accepted"
    page = signed_in(app, "otto").get("/queue").text
    assert tag not in page and "&lt;svg onload=alert(1)//" in page


def test_a_script_in_a_notice_title_is_text_on_the_upload_check(app: Flask) -> None:
    coordinator = signed_in(app, "rosa")
    form = coordinator.get("/recalls/upload").text
    text = NOTICE.read_text()
    start, end = text.index("<Title>") + len("<Title>"), text.index("</Title>")
    hostile = text[:start] + "&lt;script&gt;alert(1)&lt;/script&gt;" + text[end:]
    page = coordinator.post("/recalls/upload", data={
        "csrf_token": csrf_of(form), "partner": "recalls-hub",
        "notice": (io.BytesIO(hostile.encode()), "t.xml")},
        content_type="multipart/form-data").text
    assert "ready to send" in page and SCRIPT not in page and ESCAPED in page


def test_a_script_tried_as_a_name_is_text_on_the_audit_page(app: Flask) -> None:
    stranger = app.test_client()
    stranger.post("/login", data={"name": SCRIPT, "password": "x" * 12,
                                  "csrf_token": csrf_of(stranger.get("/login").text)})
    page = signed_in(app, "ada").get("/audit").text
    assert SCRIPT not in page and ESCAPED in page


def test_a_script_in_a_file_name_is_text_on_the_lists(app: Flask, story: Story) -> None:
    gateway = Gateway(str(story.store.engine.url), story.config.paths["archive"].parent)
    gateway.take("odfl", b"not x12 at all", f"{SCRIPT}.x12", at=story.now)
    viewer = signed_in(app, "vera")
    for path in ("/files", "/files?sort=name", "/partners", "/search?what=documents&partner=odfl"):
        page = viewer.get(path).text
        assert SCRIPT not in page, path
    assert ESCAPED in viewer.get("/files").text
