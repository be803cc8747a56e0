"""A partner's file shapes how its files are taken in: sender, acknowledgements, time zone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from gateway.app.ingest import ingest
from gateway.bootstrap import ingest_ports
from gateway.config.partners import read_partner
from gateway.store.schema import documents
from tests.store.workspace import migrated_store

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "samples" / "valid"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def setup(database_url: str, tmp_path: Path, partner_id: str):  # type: ignore[no-untyped-def]
    store, config = migrated_store(database_url, tmp_path / "archive")
    partner = read_partner(REPO / "partners" / f"{partner_id}.yaml")
    ports, settings = ingest_ports(config, store, partner)
    return store, ports, settings


def test_a_file_from_another_sender_is_refused(database_url, tmp_path):
    store, ports, settings = setup(database_url, tmp_path, "northwind")
    carrier_file = (VALID / "214-status-004010.x12").read_bytes()  # sent by 02/ODFL
    result = ingest(carrier_file, "214.x12", "northwind", ports, settings, now=NOW)
    assert result.state == "rejected" and result.acknowledgements == ()
    assert "not from this partner (01/614832907)" in (result.reason or "")
    assert store.documents_of_file(result.file_id) == []
    assert store.findings_of(result.file_id)[0].code == "partner.sender-mismatch"


def test_the_partners_own_file_uses_its_policy_and_zone(database_url, tmp_path):
    store, ports, settings = setup(database_url, tmp_path, "odfl")
    data = (VALID / "214-status-004010.x12").read_bytes().replace(b"*1405*ET~", b"*1405~")
    result = ingest(data, "214.x12", "odfl", ports, settings, now=NOW)
    assert result.state == "accepted"
    [ack] = result.acknowledgements
    assert b"TA1" not in ack.payload  # odfl: ta1 on-error
    assert b"*ZZ*RLGATEWAY      *02*ODFL           *" in ack.payload  # addressed from the file
    with store.engine.connect() as connection:
        body = json.loads(connection.execute(select(documents.c.body)).scalar_one())
    first = body["events"][0]["at"]
    assert first == {"at": "2026-01-20T14:05:00-05:00", "assumed_zone": True}  # New York
