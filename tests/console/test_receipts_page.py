"""The return centre's 861 on the console's case page and in the API's case detail: what
arrived line by line, and the differences it reports, with the partner's text escaped."""

from __future__ import annotations

import html

from flask import Flask

from gateway.app.ingest import ingest
from gateway.bootstrap import ingest_ports
from tests.console.conftest import signed_in
from tests.console.story import READ_TOKEN, Story
from tests.store.test_outbound import NOW, story

# No '>' (the file's component separator) and no bidi override: X12 validation refuses those.
HOSTILE = "<img src=x onerror=alert(1) \"x\""


def receive(found: Story, description: str = "Electric kettle 1.7 l steel") -> None:
    """Acme's return centre reports the story's return: both mixers (one damaged), no kettle."""
    data = story("861-receiving-advice-005010.x12").replace(
        b"Electric kettle 1.7 l steel", description.encode())
    ports, settings = ingest_ports(found.config, found.store)
    result = ingest(data, "861.x12", "acme", ports, settings, now=NOW)
    assert result.state == "accepted", result.reason


def test_the_case_page_shows_what_arrived_and_what_differs(app: Flask, story: Story) -> None:
    receive(story)
    page = signed_in(app, READ_TOKEN).get("/cases?q=RMA7734021")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Received at the dock" in text
    assert "861 RCV20261125002" in text and "Acme Appliance Returns Center" in text
    assert "1 EA damaged product or container" in text
    assert ("UP 614141000418 (Electric kettle 1.7 l steel): 1 EA short: 1 EA shipped "
            "(856 ASN20261125001 HL 6), 0 EA received (861 RCV20261125002 line 3)") in text


def test_a_case_without_a_receipt_shows_no_receipt_section(app: Flask) -> None:
    page = signed_in(app, READ_TOKEN).get("/cases?q=RMA7734021")
    assert page.status_code == 200 and "Received at the dock" not in page.text


def test_the_docks_text_is_escaped(app: Flask, story: Story) -> None:
    receive(story, description=HOSTILE)
    page = signed_in(app, READ_TOKEN).get("/cases?q=RMA7734021").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)" in page


def test_the_api_case_detail_carries_the_receipt_and_its_findings(app: Flask,
                                                                   story: Story) -> None:
    receive(story)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {READ_TOKEN}"}
    [found] = client.get("/api/v1/cases?rma=RMA7734021", headers=headers).json["cases"]
    case = client.get(f"/api/v1/cases/{found['case_id']}", headers=headers).json
    assert case["state"] == "received"
    [receipt] = case["receipts"]
    assert (receipt["receipt_id"], receipt["centre"]) == ("RCV20261125002",
                                                          "Acme Appliance Returns Center")
    assert [(line["line"], line["received"], [q["condition"] for q in line["in_question"]])
            for line in receipt["lines"]] == [
        (1, {"value": "1", "unit": "EA"}, []),
        (2, {"value": "1", "unit": "EA"}, ["damaged"]),
        (3, {"value": "0", "unit": "EA"}, ["short"])]
    assert [(f["kind"], f["where"]) for f in case["receipt_findings"]] == [
        ("condition", ["861 RCV20261125002 line 2"]),
        ("short", ["861 RCV20261125002 line 3"]),
        ("below-authorized", ["861 RCV20261125002 line 3"])]
