"""The event feed (issue 14, part 1): every stored document, finished file and partner
acknowledgement is an event, written in the transaction of what it describes, with cursors that
rise in commit order; nothing for what was rolled back, nothing lost or doubled by a crash."""

from __future__ import annotations

import csv
import io
import json
import signal
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from gateway.app.case_export import CASE_COLUMNS, LINE_COLUMNS, case_row, each_case, line_rows
from gateway.app.events import EventRecord, StoredEvent
from gateway.app.faults import INGEST_POINTS
from gateway.app.outbound.react import react
from gateway.app.outbound.steps import record_case_step
from gateway.app.watchers import raise_overdue
from gateway.bootstrap import ingest_ports, open_store
from gateway.cli import main
from gateway.config.settings import load_config
from gateway.model.states import CaseState
from gateway.monitoring.alerts import Alerter
from tests.store import test_crash as crash
from tests.store.test_outbound import NOW, Gateway, ack_997, story
from tests.store.test_outbound import gateway as gateway  # noqa: PLC0414 (the fixture)

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"


def validator() -> Draft202012Validator:
    canonical = json.loads((SCHEMAS / "canonical-1.0.json").read_text())
    event = json.loads((SCHEMAS / "event-1.2.json").read_text())
    registry = Registry().with_resources([
        (canonical["$id"], Resource.from_contents(canonical)),
        (event["$id"], Resource.from_contents(event))])
    return Draft202012Validator(event, registry=registry, format_checker=FormatChecker())


def feed(store: Any) -> list[StoredEvent]:
    return store.events_after(0, limit=10_000)


def test_a_return_story_is_told_by_its_events_in_commit_order(gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"), name="rma.x12")
    gateway.take("northwind", story("856-pick-pack-004010.x12"), name="asn.x12")
    gateway.take("odfl", story("214-status-004010.x12"), name="status.x12")
    [answer] = gateway.sent(purpose="rma-answer")
    gs06 = answer.payload.decode("latin-1").split("GS*AN*")[1].split("*")[4]
    gateway.take("northwind", ack_997(gs06), name="997.x12")

    events = feed(gateway.store)
    assert [e.cursor for e in events] == list(range(1, len(events) + 1))
    assert gateway.store.last_event_cursor() == len(events)
    types = [e.type for e in events]
    assert types == [
        "document.received", "file.accepted",  # the request, then its file
        "document.sent",  # our 180 answer (by the returns policy), in its own transaction
        "case.state-changed", "case.state-changed",  # requested, then authorized
        "document.received", "file.accepted", "case.state-changed",  # the 856: shipped
        "document.received", "file.accepted",  # the carrier's 214: in transit, delivered
        "case.state-changed", "case.state-changed",
        "ack.received", "file.accepted"]  # Northwind's 997 for our answer
    check = validator()
    for event in events:
        check.validate(event.envelope())
    request, answer_event = events[0], events[2]
    assert ("rma", "RMA7734021") in request.keys and request.partner == "northwind"
    stored = {d.id: d for d in gateway.store.documents_since(NOW - timedelta(days=30))}
    assert request.data["document"] == json.loads(stored[request.document_id or 0].body)
    assert answer_event.data["direction"] == "out" and answer_event.partner == "northwind"
    moves = [e for e in events if e.type == "case.state-changed"]
    assert [m.data["state_after"] for m in moves] == [
        "requested", "authorized", "shipped", "in-transit", "delivered"]
    assert [m.partner for m in moves] == ["northwind"] * 3 + ["odfl"] * 2  # who moved it
    assert all(("rma", "RMA7734021") in m.keys for m in moves)
    # The follow-ups run again (a restart's catch-up): no move is told twice.
    react(gateway.outbound, gateway.store.documents_since(NOW - timedelta(days=30)),
          NOW + timedelta(hours=2))
    assert len(feed(gateway.store)) == len(events)
    ack = events[12].data
    assert (ack["kind"], ack["answers"], ack["state"]) == ("997", "group", "accepted")
    assert ack["matched"] == [f"180 {answer.control_number}"]
    assert events[1].data["name"] == "rma.x12" and events[1].data["interchanges"]
    assert events[3].data["case_id"] and events[4].data["state_before"] == "requested"


def test_a_rolled_back_transaction_leaves_no_event_and_no_cursor(gateway: Gateway) -> None:
    gateway.take("northwind", story("856-pick-pack-004010.x12"))
    before = gateway.store.last_event_cursor()
    with pytest.raises(RuntimeError), gateway.store.transaction() as tx:
        tx.add_event(EventRecord("document.received", "northwind", NOW, {"x": 1}))
        raise RuntimeError("rolled back")
    assert gateway.store.last_event_cursor() == before
    assert [e.cursor for e in feed(gateway.store)] == list(range(1, before + 1))


def test_rejected_files_and_recorded_steps_are_events_too(gateway: Gateway) -> None:
    bad = story("214-status-004010.x12").replace(b"AT7*X6*NS", b"AT7*ZZ*NS")
    gateway.take("odfl", bad, name="=HYPERLINK(1).x12")
    gateway.take("northwind", story("180-return-request-004010.x12"))
    record_case_step(gateway.outbound, "RMA7734021", CaseState.RECEIVED, note="2 units",
                     now=NOW + timedelta(hours=2))
    events = feed(gateway.store)
    rejected = next(e for e in events if e.type.startswith("file.") and e.partner == "odfl")
    assert rejected.type == "file.rejected" and rejected.data["reason"]
    step = next(e for e in events if e.type == "document.recorded")
    assert step.data["document"]["state"] == "received" and step.partner == "gateway"
    assert (events[-1].type, events[-1].partner) == ("case.state-changed", "gateway")
    assert events[-1].data["state_after"] == "received" and events[-1].cursor > step.cursor
    for event in events:
        validator().validate(event.envelope())


def test_a_replay_tells_what_it_made_again(gateway: Gateway) -> None:
    first = gateway.take("northwind", story("856-pick-pack-004010.x12"))
    stored = gateway.store.files_by_id([first.file_id])[first.file_id]
    from gateway.app.ingest import replay  # noqa: PLC0415 (one test's use)
    ports, settings = ingest_ports(gateway.config, gateway.store, gateway.partners["northwind"])
    replay(stored, ports, settings, now=NOW + timedelta(days=1))
    files = [e for e in feed(gateway.store) if e.type.startswith("file.")]
    assert [(e.type, e.data["replayed"]) for e in files] == [("file.accepted", False),
                                                             ("file.accepted", True)]
    received = [e for e in feed(gateway.store) if e.type == "document.received"]
    [now_stored] = gateway.store.documents_of_file(first.file_id)  # replaced, not added
    assert len(received) == 2 and received[1].document_id == now_stored.id
    assert received[1].data["document"] == json.loads(now_stored.body)


@pytest.mark.parametrize("point", INGEST_POINTS)
def test_a_crash_at_any_point_loses_no_event_and_doubles_none(
        tmp_path: Path, database_url: str, point: str) -> None:
    root = crash.workspace(tmp_path, database_url)
    assert crash.gateway(root, "db", "upgrade").returncode == 0
    crashed = crash.gateway(root, "ingest", "--partner", "northwind", str(crash.SAMPLE),
                            crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    redelivered = crash.gateway(root, "ingest", "--partner", "northwind", str(crash.SAMPLE))
    assert redelivered.returncode == 0, redelivered.stdout + redelivered.stderr

    store = open_store(load_config(root / "config.yaml"))
    try:
        events = feed(store)
    finally:
        store.close()
    types = [e.type for e in events]
    if point == "after-commit":  # the first run committed: the copy is a duplicate, whose
        # follow-ups are its original's (the crash came before them): the case move comes now
        assert types == ["document.received", "file.accepted", "file.duplicate",
                         "case.state-changed"]
    else:  # nothing of the first run was committed, its events neither
        assert types == ["document.received", "file.accepted", "case.state-changed"]
    assert [e.cursor for e in events] == list(range(1, len(events) + 1))


def run_cli(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
            *args: str) -> tuple[int, str, str]:
    monkeypatch.chdir(root)
    code = main(["--config", str(root / "config.yaml"), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_feed_and_the_exports_from_the_command_line(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    root = crash.workspace(tmp_path, database_url)
    assert crash.gateway(root, "db", "upgrade").returncode == 0
    hostile = root / "=cmd|' calc'!A0.x12"
    hostile.write_bytes(b"\x1b[31mnot x12 at all")
    assert crash.gateway(root, "ingest", "--partner", "northwind", str(crash.SAMPLE),
                   str(hostile)).returncode == 1

    code, out, err = run_cli(root, monkeypatch, capsys, "events", "--limit", "2")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [e["cursor"] for e in lines] == [1, 2]
    assert "next: gateway events --after 2" in err
    code, out, _ = run_cli(root, monkeypatch, capsys, "events", "--after", "2",
                           "--type", "file.not-x12")
    [rejected] = [json.loads(line) for line in out.splitlines()]
    assert rejected["data"]["name"] == hostile.name and "\x1b" not in out

    code, out, _ = run_cli(root, monkeypatch, capsys, "export", "events", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["type"] for r in rows] == ["document.received", "file.accepted",
                                         "case.state-changed", "file.not-x12"]
    assert json.loads(rows[3]["data"])["name"] == hostile.name  # nested JSON stays JSON
    code, out, _ = run_cli(root, monkeypatch, capsys, "export", "documents", "--format", "csv",
                           "--partner", "northwind")
    [document] = list(csv.DictReader(io.StringIO(out)))
    assert document["kind"] == "return-shipment" and json.loads(document["body"])["kind"] == \
        "return-shipment"
    target = root / "events.jsonl"
    code, _, err = run_cli(root, monkeypatch, capsys, "export", "events", "--output",
                           str(target), "--since", "2000-01-01")
    assert code == 0 and "4 events written" in err
    assert [json.loads(line)["cursor"] for line in target.read_text().splitlines()] == [
        1, 2, 3, 4]


def test_a_spreadsheet_formula_in_partner_text_is_defused() -> None:
    from gateway.app.export import csv_cell as _cell  # noqa: PLC0415 (the one helper under test)
    assert _cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert _cell("+1") == "'+1" and _cell("@SUM(A1)") == "'@SUM(A1)"
    assert _cell("plain.x12") == "plain.x12" and _cell(-5) == "-5" and _cell(None) == ""
    assert _cell({"a": [1]}) == '{"a":[1]}'


def test_cases_and_their_lines_export_once_each(gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"))
    gateway.take("northwind", story("856-pick-pack-004010.x12"))
    gateway.take("odfl", story("214-status-004010.x12"))
    cases = list(each_case(gateway.store))
    assert len(cases) == 1  # three documents and our answer: one return
    [(case, partners)] = cases
    row = case_row(case, partners)
    assert set(row) == set(CASE_COLUMNS)
    assert (row["rma"], row["state"], row["decision"]) == ("RMA7734021", "delivered",
                                                           "authorized")
    assert row["partners"] == ["northwind", "odfl"] and row["lines"] == 2
    lines = list(line_rows(case))
    assert [set(r) == set(LINE_COLUMNS) for r in lines] == [True, True]
    assert [(r["line_number"], r["quantity"], r["unit"]) for r in lines] == [
        (1, "2", "EA"), (2, "1", "EA")]
    assert lines[0]["item_ids"] == ["upc:614141000364"] and lines[0]["serials"]
    assert list(each_case(gateway.store, partner="odfl")) == []  # no request of its own


def test_an_overdue_acknowledgement_is_an_event_once(gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"))
    [answer] = gateway.sent(purpose="rma-answer")
    gateway.store.mark_sent(answer.id, NOW)
    assert raise_overdue(gateway.store, Alerter(), NOW + timedelta(hours=3)) == []  # SLA: 4h
    [alerted] = raise_overdue(gateway.store, Alerter(), NOW + timedelta(hours=5))
    assert raise_overdue(gateway.store, Alerter(), NOW + timedelta(hours=6)) == []
    overdue = [e for e in feed(gateway.store) if e.type == "ack.overdue"]
    assert len(overdue) == 1 and overdue[0].partner == "northwind"
    assert (overdue[0].data["outbox_id"], overdue[0].data["kind"]) == (alerted.id, "180")
    validator().validate(overdue[0].envelope())


def test_a_recall_recipient_notified_and_answering_are_events(gateway: Gateway) -> None:
    from gateway.recall import (  # noqa: PLC0415 (only this test answers a recall)
        RecallResponse,
        ResponseStatus,
        build_recall_response,
    )
    gateway.take("northwind", story("180-return-request-004010.x12"), name="rma.x12")
    notice = (REPO / "samples" / "recall" / "valid-stand-mixer-serials.xml").read_bytes()
    gateway.take("recalls-hub", notice, name="recall.xml")
    [notified] = [e for e in feed(gateway.store) if e.type == "recall.recipient-notified"]
    assert (notified.partner, notified.data["notice_id"]) == ("northwind", "26-031")
    assert notified.keys == (("recall-notice", "26-031"),)
    assert notified.data["items"] and notified.data["affected_units"] not in ("", "0")
    answer = build_recall_response(RecallResponse(
        notification_id=notified.data["notification_id"], notice_id="26-031",
        responder="northwind", responded_at=NOW + timedelta(hours=1),
        status=ResponseStatus.COMPLETE, units_found=Decimal(2), units_returned=Decimal(2),
        note=None))
    gateway.take("northwind", answer, name="recall-response.xml",
                 at=NOW + timedelta(hours=1))
    [responded] = [e for e in feed(gateway.store) if e.type == "recall.recipient-responded"]
    assert responded.data["status"] == "complete" and responded.data["units_returned"] == "2"
    assert responded.data["notification_id"] == notified.data["notification_id"]
    check = validator()
    for event in (notified, responded):
        check.validate(event.envelope())
