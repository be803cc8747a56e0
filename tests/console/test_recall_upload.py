"""A recall coordinator sends a notice from the console (issue 15, part 3): a broken one is
shown with its located errors and nothing is stored; a good one is confirmed, goes through the
SFTP intake as its issuer, and its recipients are notified and listed as CSV."""

from __future__ import annotations

import csv
import io
import re

from flask import Flask
from flask.testing import FlaskClient

from gateway.app.access import AuditOutcome
from tests.console.conftest import csrf_of, signed_in
from tests.console.story import NOTICE, Story

RECALLS = NOTICE.parent


def _check(client: FlaskClient, data: bytes, name: str = "notice.xml",
           partner: str = "recalls-hub") -> str:
    page = client.get("/recalls/upload").text
    response = client.post("/recalls/upload", data={
        "csrf_token": csrf_of(page), "partner": partner,
        "notice": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    assert response.status_code == 200, response.text
    return response.text


def _files(story: Story) -> int:
    return len(story.store.recent_files(limit=10_000))


def test_a_broken_notice_shows_located_errors_and_stores_nothing(
        app: Flask, story: Story) -> None:
    coordinator = signed_in(app, "rosa")
    before = _files(story)
    page = _check(coordinator, (RECALLS / "invalid-schema-several-errors.xml").read_bytes())
    assert "Nothing was stored" in page and "Send notice" not in page
    assert re.search(r'class="where nowrap">line 6', page)
    assert _files(story) == before


def test_a_good_notice_is_confirmed_sent_and_its_recipients_notified(
        app: Flask, story: Story) -> None:
    coordinator = signed_in(app, "rosa")
    data = NOTICE.read_text().replace("26-031", "26-900").encode()
    page = _check(coordinator, data)
    assert "ready to send" in page and "Send notice 26-900" in page
    token = page.split('name="token" value="')[1].split('"')[0]
    sent = coordinator.post("/recalls/upload/confirm",
                            data={"csrf_token": csrf_of(page), "token": token})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/recalls/26-900")
    recall = coordinator.get("/recalls/26-900").text
    assert "northwind" in recall
    rows = list(csv.DictReader(io.StringIO(
        coordinator.get("/recalls/26-900/recipients.csv").text)))
    assert [r["partner"] for r in rows] == ["northwind"] and rows[0]["notification_id"]
    [entry] = [r.entry for r in story.store.audit_log().entries()
               if r.entry.action == "recall.upload"]
    assert (entry.actor, entry.outcome, entry.target) == (
        "console:rosa", AuditOutcome.DONE, "recalls-hub/notice.xml")
    again = coordinator.post("/recalls/upload/confirm",
                             data={"csrf_token": csrf_of(page), "token": token},
                             follow_redirects=True)
    assert "no longer held" in again.text  # a token confirms once


def test_only_who_checked_a_notice_may_confirm_it(app: Flask, story: Story) -> None:
    page = _check(signed_in(app, "rosa"), NOTICE.read_text().replace(
        "26-031", "26-901").encode())
    token = page.split('name="token" value="')[1].split('"')[0]
    admin = signed_in(app, "ada")
    stolen = admin.post("/recalls/upload/confirm", data={
        "csrf_token": csrf_of(admin.get("/recalls").text), "token": token},
        follow_redirects=True)
    assert "no longer held" in stolen.text
    assert story.store.recall_recipients_of("26-901") == []


def test_a_viewer_may_not_upload_and_a_forged_post_is_audited(app: Flask,
                                                              story: Story) -> None:
    viewer = signed_in(app, "vera")
    assert "Send a notice" not in viewer.get("/recalls").text
    assert viewer.get("/recalls/upload").status_code == 403
    forged = viewer.post("/recalls/upload", data={
        "csrf_token": csrf_of(viewer.get("/recalls").text), "partner": "recalls-hub",
        "notice": (io.BytesIO(NOTICE.read_bytes()), "n.xml")},
        content_type="multipart/form-data")
    assert forged.status_code == 403
    [entry] = [r.entry for r in story.store.audit_log().entries()
               if r.entry.action == "recall.check"]
    assert (entry.actor, entry.outcome) == ("console:vera", AuditOutcome.REFUSED)


def test_only_a_partner_allowed_to_issue_notices_may_be_named(app: Flask) -> None:
    coordinator = signed_in(app, "rosa")
    page = coordinator.get("/recalls/upload").text
    assert '<option value="recalls-hub"' in page and '<option value="northwind"' not in page
    refused = coordinator.post("/recalls/upload", data={
        "csrf_token": csrf_of(page), "partner": "northwind",
        "notice": (io.BytesIO(NOTICE.read_bytes()), "n.xml")},
        content_type="multipart/form-data")
    assert refused.status_code == 400 and "Choose the issuing partner" in refused.text
