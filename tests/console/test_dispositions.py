"""Dispositions after receipt in the console and the API: an operator records each line's outcome
on the case page (a form per line, CSRF, escaped), a script through POST /api/v1/cases/<ref>/
dispositions; both are audited, a recalled line is never restocked, and the case closes."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.app.access import AuditOutcome
from gateway.app.cases import cases_for
from gateway.model.states import CaseState
from tests.console.api_clients import bearer, make_client
from tests.console.conftest import csrf_of, signed_in
from tests.console.story import Story

RMA = "RMA7734021"  # line 1: two stand mixers, on recall hold 26-031; line 2: one kettle
CASE_ID = "180:RR20261123001"


@pytest.fixture
def operator(app: Flask) -> FlaskClient:
    """Otto, with the story's return received at the dock."""
    client = signed_in(app, "otto")
    page = client.get(f"/cases?q={RMA}").text
    done = client.post("/cases/step", data={"csrf_token": csrf_of(page), "reference": RMA,
                                            "state": "received"})
    assert done.status_code == 302
    return client


def dispose(client: FlaskClient, line: int | str, outcome: str, **fields: str) -> str:
    page = client.get(f"/cases?q={RMA}").text
    form = {"csrf_token": csrf_of(page), "reference": "RR20261123001", "back": RMA,
            "line": str(line), "outcome": outcome, "currency": "USD", **fields}
    return client.post("/cases/dispose", data=form, follow_redirects=True).text


def audited(story: Story, action: str = "case.disposition") -> list[tuple[str, str]]:
    return [(r.entry.actor, r.entry.outcome) for r in story.store.audit_log().entries()
            if r.entry.action == action]


def test_before_receipt_there_is_no_disposition_to_record(app: Flask) -> None:
    page = signed_in(app, "otto").get(f"/cases?q={RMA}").text
    assert "<h3>Disposition</h3>" not in page and "/cases/dispose" not in page


def test_an_operator_records_each_line_and_the_case_closes(operator: FlaskClient,
                                                           story: Story) -> None:
    page = operator.get(f"/cases?q={RMA}").text
    assert "<h3>Disposition</h3>" in page and "0 of 3 units dispositioned" in page
    forms = re.findall(r'<form class="decide" method="post" action="/cases/dispose">.*?</form>',
                       page, flags=re.S)
    assert len(forms) == 2
    # The recalled line is offered no outcome that puts a mixer back in use.
    assert '<option value="restock">' not in forms[0] and "on recall hold" in forms[0]
    assert '<option value="restock">' in forms[1]

    done = dispose(operator, 2, "restock", value="19.90", note="<b>box</b> intact")
    assert "line 2: restock 1 (19.90 USD) recorded." in done
    assert "&lt;b&gt;box&lt;/b&gt; intact" in done and "<b>box</b>" not in done
    assert "1 of 3 units dispositioned; recovered 19.90 USD" in done
    refused = dispose(operator, 1, "restock")  # a hand-made POST: the form never offers it
    assert "Not recorded: line 1 is on recall hold (notice 26-031)" in refused

    closing = dispose(operator, 1, "return-to-vendor")
    assert "Every line is dispositioned: the case is closed." in closing
    assert "Status update to northwind: closed." in closing
    [case] = cases_for(story.store, RMA).cases
    assert case.state is CaseState.CLOSED
    assert "/cases/dispose" not in operator.get(f"/cases?q={RMA}").text  # settled
    assert audited(story) == [("console:otto", AuditOutcome.DONE),
                              ("console:otto", AuditOutcome.FAILED),
                              ("console:otto", AuditOutcome.DONE)]
    assert audited(story, "case.closed")[-1] == ("console:otto", AuditOutcome.DONE)


@pytest.mark.parametrize(("fields", "said"), [
    ({"line": "7"}, "has no line 7 (its lines: 1, 2)"),
    ({"line": "x"}, "is not a line number"),
    ({"outcome": "sell"}, "is not an outcome"),
    ({"quantity": "2"}, "restock may take at most 1"),
    ({"value": "-1"}, "the value must be a number from 0"),
    ({"currency": "€€€"}, "ISO 4217"),
])
def test_a_wrong_field_is_said_and_nothing_is_recorded(operator: FlaskClient, story: Story,
                                                       fields: dict[str, str],
                                                       said: str) -> None:
    form = {"line": "2", "outcome": "restock", **fields}
    answer = dispose(operator, form.pop("line"), form.pop("outcome"), **form)
    assert "Not recorded:" in answer and said in answer
    assert story.store.documents_of_kind("line-disposition") == []
    assert audited(story) == [("console:otto", AuditOutcome.FAILED)]


def test_a_viewer_sees_the_outcomes_but_may_not_record_them(app: Flask, operator: FlaskClient,
                                                            story: Story) -> None:
    dispose(operator, 2, "donate")
    viewer = signed_in(app, "vera")
    page = viewer.get(f"/cases?q={RMA}").text
    assert "donate" in page and "/cases/dispose" not in page
    forged = viewer.post("/cases/dispose", data={
        "csrf_token": csrf_of(page), "reference": RMA, "line": "1", "outcome": "destroy"})
    assert forged.status_code == 403
    assert ("console:vera", AuditOutcome.REFUSED) in audited(story)
    without_csrf = operator.post("/cases/dispose", data={"reference": RMA, "line": "1",
                                                         "outcome": "destroy"})
    assert without_csrf.status_code in (400, 403)
    assert len(story.store.documents_of_kind("line-disposition")) == 1


# --- the API -------------------------------------------------------------------------------
def test_a_script_records_and_reads_dispositions(app: Flask, operator: FlaskClient,
                                                 story: Story) -> None:
    at = story.now - timedelta(days=1)
    reader = make_client(story.store, "wms", "read", at=at)
    desk = make_client(story.store, "returns-desk", "read,decide", at=at)
    client = app.test_client()
    path = f"/api/v1/cases/{CASE_ID}/dispositions"
    body = {"line": 1, "outcome": "refurbish", "quantity": "1", "value": "35.00",
            "currency": "CAD", "note": "new motor"}
    assert client.post(path, json=body, headers=bearer(reader)).status_code == 403
    made = client.post(path, json=body, headers=bearer(desk))
    assert made.status_code == 201, made.json
    assert (made.json["disposition"]["outcome"], made.json["closed"]) == ("refurbish", False)
    assert made.json["case"]["recovered"] == {"CAD": "35.00"}

    by_rma = client.get(f"/api/v1/cases/{RMA}/dispositions", headers=bearer(reader)).json
    assert [(d["line"], d["outcome"], d["quantity"], d["recorded_by"])
            for line in by_rma["lines"] for d in line["dispositions"]] == [
        (1, "refurbish", "1", "api:returns-desk")]
    detail = client.get(f"/api/v1/cases/{CASE_ID}", headers=bearer(reader)).json
    assert detail["dispositions"]["lines"][0]["left"] == "1"

    held = client.post(path, json={"line": 1, "outcome": "liquidate"}, headers=bearer(desk))
    assert held.status_code == 409 and "recall hold (notice 26-031)" in held.json["message"]
    assert client.post(path, json={"line": 1, "outcome": "sell"},
                       headers=bearer(desk)).status_code == 422
    assert client.post("/api/v1/cases/NO-SUCH/dispositions", json=body,
                       headers=bearer(desk)).status_code == 404
    rest = [{"line": 1, "outcome": "destroy"}, {"line": 2, "outcome": "recycle"}]
    answers = [client.post(path, json=item, headers=bearer(desk)).json for item in rest]
    assert answers[-1]["closed"] is True and answers[-1]["status_updates"] == [
        "northwind: closed"]
    assert ("api:returns-desk", AuditOutcome.DONE) in audited(story, "case.closed")


# --- the Programs page, its CSV and the API --------------------------------------------------
def test_programs_add_up_the_units_dispositioned_and_the_value_recovered(
        app: Flask, operator: FlaskClient, story: Story) -> None:
    dispose(operator, 2, "liquidate", value="19.90")  # the kettle: damaged-goods
    dispose(operator, 1, "destroy", currency="EUR")  # the mixers: recall, no value known
    rows = list(csv.DictReader(io.StringIO(operator.get("/programs.csv").text)))
    assert [(r["program"], r["units_dispositioned"], r["units_liquidate"], r["units_destroy"],
             r["recovered_USD"]) for r in rows] == [("damaged-goods", "1", "1", "0", "19.90"),
                                                    ("recall", "2", "0", "2", "")]
    assert "recovered_EUR" not in rows[0]  # no value was recovered in euros
    page = operator.get("/programs").text
    assert "Units dispositioned by outcome" in page
    totals = page.split("Totals by program")[1].split("</table>")[0]
    assert '<td class="num">19.90 USD</td>' in totals
    token = make_client(story.store, "wms", "read", at=story.now - timedelta(days=1))
    answer = app.test_client().get("/api/v1/programs", headers=bearer(token)).json
    assert [(r["program"], r["units_dispositioned"], r["dispositioned"]["destroy"],
             r["recovered"]) for r in answer["programs"]] == [
        ("damaged-goods", "1", "0", {"USD": "19.90"}), ("recall", "2", "2", {})]
