"""Partner health at a glance (issue 15, part 6): the daemon's last poll and the next one,
files and rejects today, and an admin's connection test with the steps of `gateway partners
test`."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from gateway.app.access import AuditOutcome
from gateway.app.ports import PollRecord
from tests.console.conftest import csrf_of, signed_in
from tests.console.story import Story


def _row(page: str, partner: str) -> str:
    start = page.index(f'<div class="muted small mono">{partner} ')
    return page[start:page.index("</tr>", start)]


def test_polls_files_and_rejects_today_per_partner(app: Flask, story: Story) -> None:
    viewer = signed_in(app, "vera")
    page = viewer.get("/partners").text
    assert "not polled by gateway run" in _row(page, "odfl")
    assert "rejected" in _row(page, "odfl")  # the AT701 file and the one that is not X12
    story.store.record_poll(PollRecord("odfl", story.now - timedelta(minutes=2), True, None,
                                       story.now + timedelta(minutes=3)))
    story.store.record_poll(PollRecord("northwind", story.now, False,
                                       "connect: the host key is not in known_hosts", None))
    page = viewer.get("/partners").text
    assert "next 2026-11-25 18:03" in _row(page, "odfl")
    assert "the last poll failed: connect: the host key is not in known_hosts" in \
        _row(page, "northwind")
    assert "Test connection" not in page  # admins only


def test_an_admin_tests_a_connection_and_it_is_audited(app: Flask, story: Story) -> None:
    admin = signed_in(app, "ada")
    page = admin.get("/partners").text
    assert "Test connection" in page
    result = admin.post("/partners/odfl/test", data={"csrf_token": csrf_of(page)})
    assert result.status_code == 200
    assert "Connection test" in result.text and "partner file" in result.text
    [entry] = [r.entry for r in story.store.audit_log().entries()
               if r.entry.action == "partner.test"]
    assert entry.actor == "console:ada" and entry.target == "odfl"
    assert entry.outcome in (AuditOutcome.DONE, AuditOutcome.FAILED)
    assert admin.post("/partners/nobody/test",
                      data={"csrf_token": csrf_of(page)}).status_code == 404


def test_others_may_not_test_connections(app: Flask, story: Story) -> None:
    operator = signed_in(app, "otto")
    refused = operator.post("/partners/odfl/test",
                            data={"csrf_token": csrf_of(operator.get("/partners").text)})
    assert refused.status_code == 403
    [entry] = [r.entry for r in story.store.audit_log().entries()
               if r.entry.action == "partner.test"]
    assert (entry.actor, entry.outcome) == ("console:otto", AuditOutcome.REFUSED)
