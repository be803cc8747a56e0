"""The pipeline end to end on a real store: nothing lost, nothing twice, everything recorded."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.app.ingest import Ports, ingest
from gateway.bootstrap import ingest_ports
from gateway.store.repository import SqlStore
from gateway.store.schema import document_keys, documents, interchanges, outbox, received_files
from tests.store.workspace import migrated_store

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "samples" / "valid"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def gateway(database_url: str, tmp_path: Path) -> tuple[Ports, object, SqlStore]:
    store, config = migrated_store(database_url, tmp_path / "archive")
    ports, settings = ingest_ports(config, store)
    return ports, settings, store


def count(store: SqlStore, table: object) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_an_accepted_file_is_archived_recorded_translated_and_answered(gateway, tmp_path):
    ports, settings, store = gateway
    data = (VALID / "856-pick-pack-004010.x12").read_bytes()
    result = ingest(data, "asn.x12", "northwind", ports, settings, now=NOW)
    assert result.state == "accepted" and result.documents == 1
    [ack] = result.acknowledgements
    assert ack.kind == "997" and ack.control_number == "000000001"
    assert b"AK9*A*1*1*1" in ack.payload
    [row] = store.recent_files()
    assert ports.archive.get(row.file.archive_key) == data  # the exact bytes are kept
    assert row.file.received_at == NOW  # a moment, with its zone, on every database
    with store.engine.connect() as connection:
        body = json.loads(connection.execute(select(documents.c.body)).scalar_one())
        keys = set(connection.execute(select(document_keys.c.kind, document_keys.c.value)))
    assert body["shipment_id"] == "ASN20260120001"
    assert ("shipment-id", "ASN20260120001") in keys


def test_the_same_bytes_twice_are_stored_once_and_never_answered_twice_at_once(gateway):
    ports, settings, store = gateway
    data = (VALID / "214-status-004010.x12").read_bytes()
    first = ingest(data, "a.x12", "odfl", ports, settings, now=NOW)
    again = ingest(data, "a-copy.x12", "odfl", ports, settings, now=NOW + timedelta(hours=1))
    assert again.state == "duplicate" and again.duplicate_of == first.file_id
    assert "the same bytes as file #" in (again.reason or "")
    # The first 997 has not gone out yet: a copy would make the partner get it twice.
    assert again.acknowledgements == ()
    assert count(store, documents) == 1 and count(store, interchanges) == 1
    assert count(store, received_files) == 2 and count(store, outbox) == 1

    [(outbox_id, _partner, _item)] = store.pending_outbox()
    store.mark_sent(outbox_id, NOW + timedelta(hours=2))
    third = ingest(data, "a-again.x12", "odfl", ports, settings, now=NOW + timedelta(hours=3))
    assert third.state == "duplicate"
    # Once sent, a partner sending the same bytes again evidently needs the answer again.
    assert [a.payload for a in third.acknowledgements] == \
        [a.payload for a in first.acknowledgements]


def test_a_repeated_isa13_in_new_bytes_is_held_back(gateway):
    ports, settings, store = gateway
    data = (VALID / "214-status-004010.x12").read_bytes()
    ingest(data, "a.x12", "odfl", ports, settings, now=NOW)
    changed = data.replace(b"ODFL4471122", b"ODFL4471199")  # same ISA13, other content
    result = ingest(changed, "b.x12", "odfl", ports, settings, now=NOW)
    assert result.state == "duplicate"
    assert "already in file #" in (result.reason or "")
    assert count(store, documents) == 1  # not processed twice


def test_the_duplicate_window_and_policy_come_from_settings(gateway):
    ports, settings, _store = gateway
    data = (VALID / "214-status-004010.x12").read_bytes()
    ingest(data, "a.x12", "odfl", ports, settings, now=NOW)
    changed = data.replace(b"ODFL4471122", b"ODFL4471199")
    later = NOW + settings.duplicate_window + timedelta(days=1)
    assert ingest(changed, "b.x12", "odfl", ports, settings, now=later).state == "accepted"


def test_control_numbers_continue_across_files(gateway):
    ports, settings, _store = gateway
    numbers = [ingest((VALID / name).read_bytes(), name, "p", ports, settings, now=NOW)
               .acknowledgements[0].control_number
               for name in ("214-status-004010.x12", "856-pick-pack-004010.x12",
                            "180-return-request-004010.x12")]
    assert numbers == ["000000001", "000000002", "000000003"]


def test_a_rejected_file_keeps_its_findings_and_gets_its_ack(gateway):
    ports, settings, store = gateway
    data = (REPO / "samples" / "defects" / "at701-invalid-code.x12").read_bytes()
    result = ingest(data, "bad.x12", "odfl", ports, settings, now=NOW)
    assert result.state == "rejected" and "AT7" in (result.reason or "")
    assert b"AK4*1*1650*7*ZZ" in result.acknowledgements[0].payload
    findings = store.findings_of(result.file_id)
    assert any(f.x12 == "AK403 7" and f.segment_tag == "AT7" and f.line for f in findings)
    assert count(store, documents) == 0


def test_recall_xml_is_stored_with_its_xml_ack(gateway):
    ports, settings, store = gateway
    data = (REPO / "samples" / "recall" / "valid-food-class1-gtin-lots.xml").read_bytes()
    result = ingest(data, "recall.xml", "coordinator", ports, settings, now=NOW)
    assert result.state == "accepted" and result.documents == 1
    assert b"<Status>ACCEPTED</Status>" in result.acknowledgements[0].payload
    hostile = (REPO / "samples" / "recall" / "hostile-external-entity.xml").read_bytes()
    rejected = ingest(hostile, "x.xml", "coordinator", ports, settings, now=NOW)
    assert rejected.state == "rejected"
    assert any(f.code == "xml.doctype-forbidden" for f in store.findings_of(rejected.file_id))


def test_not_x12_is_recorded_not_lost(gateway):
    ports, settings, store = gateway
    result = ingest(b"sku,qty\n1,2\n", "stock.csv", "p", ports, settings, now=NOW)
    assert result.state == "not-x12" and result.acknowledgements == ()
    [row] = store.recent_files()
    assert ports.archive.get(row.file.archive_key) == b"sku,qty\n1,2\n"


def test_gs06_and_st02_duplicates_by_policy(gateway):
    ports, settings, _store = gateway
    data = (VALID / "214-status-004010.x12").read_bytes()
    ingest(data, "a.x12", "odfl", ports, settings, now=NOW)
    # New ISA13, same GS06 and ST02: only the ISA13 policy applies by default.
    renumbered = data.replace(b"000000106", b"000000777")
    assert b"000000777" in renumbered
    assert ingest(renumbered, "b.x12", "odfl", ports, settings, now=NOW).state == "accepted"
    strict = replace(settings, duplicate_keys=frozenset({"isa13", "st02"}))
    again = renumbered.replace(b"000000777", b"000000778")
    result = ingest(again, "c.x12", "odfl", ports, strict, now=NOW)
    assert result.state == "duplicate" and "already in file #" in (result.reason or "")
    by_group = replace(settings, duplicate_keys=frozenset({"gs06"}))
    fresh = again.replace(b"000000778", b"000000779")
    assert ingest(fresh, "d.x12", "odfl", ports, by_group, now=NOW).state == "duplicate"


def test_the_same_bytes_arriving_at_once_are_processed_once(gateway):
    """Four workers take in the same file at the same instant: one processes it."""
    ports, settings, store = gateway
    data = (VALID / "856-pick-pack-004010.x12").read_bytes()
    start = threading.Barrier(4)
    states: list[str] = []

    def worker(n: int) -> None:
        start.wait()
        states.append(ingest(data, f"copy-{n}.x12", "p", ports, settings, now=NOW).state)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # One worker processes it; the others find it either in progress (left for a later poll)
    # or already done (a duplicate), never new.
    assert states.count("accepted") == 1
    assert set(states) - {"accepted"} <= {"in-progress", "duplicate"}
    assert count(store, documents) == 1 and count(store, outbox) == 1
