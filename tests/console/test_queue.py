"""The decision queue (issue 15, part 2): the lines a policy left for a person, decided by an
operator in the console, the 180 answer queued once, and who decided shown on the queue and
the case."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask

from gateway.app.access import AuditOutcome
from gateway.demo import documents as demo
from tests.console.conftest import csrf_of, signed_in
from tests.console.story import Story
from tests.store.test_outbound import Gateway


@pytest.fixture
def pending(story: Story) -> str:
    """Northwind's kettle 'not as expected': its policy leaves the line for a person."""
    day = story.now - timedelta(days=1)
    gateway = Gateway(str(story.store.engine.url), story.config.paths["archive"].parent)
    gateway.take("northwind", demo.second_request(day), "rma-kettle.x12", at=story.now)
    return demo.request_id(day, 2)


def _answers_to(story: Story, request: str) -> list[object]:
    return [row for row in story.store.outbound(purposes=["rma-answer"])
            if row.subject == request]


def test_the_queue_lists_the_pending_line_with_what_a_person_needs(
        app: Flask, pending: str) -> None:
    page = signed_in(app, "vera").get("/queue").text
    assert f"Request <a href=\"/cases?q={pending}\">{pending}</a>" in page
    assert "Electric kettle" in page or "kettle" in page.lower()
    assert "not-as-expected" in page or "NA" in page
    assert "northwind so far:" in page
    assert 'name="verdict"' not in page  # a viewer decides nothing
    assert "RMA7734021" not in page.split("Decided recently")[0]  # answered by policy


def test_an_operator_decides_and_the_answer_is_queued_once(
        app: Flask, story: Story, pending: str) -> None:
    operator = signed_in(app, "otto")
    page = operator.get("/queue").text
    assert 'name="verdict" value="authorize"' in page
    form = {"csrf_token": csrf_of(page), "request": pending, "verdict": "authorize"}
    done = operator.post("/queue/decide", data=form, follow_redirects=True)
    assert f"Request {pending} (northwind): authorize every line; now authorized" in done.text
    assert len(_answers_to(story, pending)) == 1
    again = operator.post("/queue/decide", data=form, follow_redirects=True)
    assert "the same answer was already queued" in again.text
    assert len(_answers_to(story, pending)) == 1
    queue = operator.get("/queue").text
    assert f">{pending}</a>" in queue.split("Decided recently")[1]  # shown as decided
    assert "console:otto" in queue
    case = operator.get(f"/cases?q={pending}").text
    assert "Decided by people" in case and "console:otto" in case


def test_a_viewer_forging_the_form_is_refused_and_audited(
        app: Flask, story: Story, pending: str) -> None:
    viewer = signed_in(app, "vera")
    page = viewer.get("/queue").text
    forged = viewer.post("/queue/decide", data={"csrf_token": csrf_of(page),
                                                 "request": pending, "verdict": "deny"})
    assert forged.status_code == 403
    assert _answers_to(story, pending) == []
    [entry] = [r.entry for r in story.store.audit_log().entries()
               if r.entry.action.startswith("decision.")]
    assert (entry.actor, entry.outcome, entry.target) == (
        "console:vera", AuditOutcome.REFUSED, pending)


def test_a_deny_needs_a_valid_reason_and_says_why_not(app: Flask, story: Story,
                                                      pending: str) -> None:
    operator = signed_in(app, "otto")
    page = operator.get("/queue").text
    done = operator.post("/queue/decide", data={
        "csrf_token": csrf_of(page), "request": pending, "verdict": "deny", "lines": "1",
        "reason": "ZZ"}, follow_redirects=True)
    assert f"Request {pending} was not decided" in done.text and "1294" in done.text
    assert _answers_to(story, pending) == []
    forged = operator.post("/queue/decide", data={
        "csrf_token": csrf_of(page), "request": pending, "verdict": "deny",
        "lines": "1; DROP TABLE"}, follow_redirects=True)
    assert "not complete" in forged.text and _answers_to(story, pending) == []


def test_an_operator_records_the_goods_received_and_it_is_audited(
        app: Flask, story: Story) -> None:
    operator = signed_in(app, "otto")
    page = operator.get("/cases?q=RMA7734021").text
    assert "Goods received" in page
    done = operator.post("/cases/step", data={
        "csrf_token": csrf_of(page), "reference": "RMA7734021", "state": "received",
        "note": "2 cartons, one crushed"}, follow_redirects=True)
    assert "received." in done.text and "received" in done.text
    [entry] = [r.entry for r in story.store.audit_log().entries()
               if r.entry.action == "case.received"]
    assert (entry.actor, entry.outcome) == ("console:otto", AuditOutcome.DONE)
    assert entry.detail["note"] == "2 cartons, one crushed"
    viewer = signed_in(app, "vera")
    assert "Goods received" not in viewer.get("/cases?q=RMA7734021").text
    forged = viewer.post("/cases/step", data={
        "csrf_token": csrf_of(viewer.get("/partners").text), "reference": "RMA7734021",
        "state": "closed"})
    assert forged.status_code == 403


def test_the_queue_orders_by_choice(app: Flask, story: Story, pending: str) -> None:
    gateway = Gateway(str(story.store.engine.url), story.config.paths["archive"].parent)
    later = story.now - timedelta(hours=12)
    another = (demo.second_request(later).decode()  # a request of its own, in its own envelope
               .replace(demo.request_id(later, 2), "RR-LATER-0001")
               .replace("000000102", "000000199").replace("*102*X*", "*199*X*")
               .replace("GE*1*102", "GE*1*199"))
    taken = gateway.take("northwind", another.encode(), "later.x12",
                         at=story.now + timedelta(minutes=5))
    assert taken.state == "accepted", taken.reason
    viewer = signed_in(app, "vera")
    oldest = re.findall(r"Request <a[^>]*>([^<]+)</a>", viewer.get("/queue").text)
    newest = re.findall(r"Request <a[^>]*>([^<]+)</a>",
                        viewer.get("/queue?order=newest").text)
    assert len(oldest) == 2 and newest == list(reversed(oldest))
