"""Mapping failures are recorded, not forgotten (issue 11, item 3), on SQLite and PostgreSQL.

A set that passes X12 validation but does not map (a required value missing, a value the model
cannot take, a transform that raises) gives located ``mapping.*`` findings on its file, is
stored as not mapped, and leaves its file ``accepted-unmapped`` (or, partially accepted, still
found by ``--unmapped``); the 997 stays about syntax. Other sets of the file still map, and
sets that legitimately make no document (a 997, a rejected set) are not unmapped.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from decimal import InvalidOperation
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import insert, select

from gateway.app.ingest import IngestResult, ingest
from gateway.bootstrap import ingest_ports
from gateway.config.settings import GatewayConfig, load_config
from gateway.errors import ConfigError
from gateway.mapping.engine import REQUIRED_MISSING, Context
from gateway.mapping.transforms import TRANSFORMS
from gateway.store.engine import open_engine
from gateway.store.migrate import migration_config, upgrade
from gateway.store.repository import SqlStore
from gateway.store.schema import (
    documents,
    interchanges,
    received_files,
    transaction_sets,
)
from tests.store.workspace import migrated_store

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "samples" / "valid"
REQUEST = VALID / "180-return-request-004010.x12"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
# Northwind's RMA is said to come in BGN06, and required: the sample request has no BGN06.
REQUIRED_BGN06 = "fields:\n  rma_number: {path: BGN/06, required: true}\n"


def workspace(database_url: str, tmp_path: Path, overrides: dict[str, str]
              ) -> tuple[SqlStore, GatewayConfig, Path]:
    """A store and a mappings folder: the stock mappings with ``overrides``
    ({"northwind/180": yaml}) in place of the repository's partner overrides."""
    mappings = tmp_path / "mappings"
    shutil.copytree(REPO / "mappings", mappings)
    for name, text in overrides.items():
        partner, set_id = name.split("/")
        (mappings / "partners" / partner).mkdir(parents=True, exist_ok=True)
        (mappings / "partners" / partner / f"{set_id}.yaml").write_text(text)
    store, config = migrated_store(database_url, tmp_path / "archive", mappings)
    return store, config, mappings


def take(store: SqlStore, config: GatewayConfig, data: bytes, partner: str = "northwind",
         name: str = "file.x12") -> IngestResult:
    ports, settings = ingest_ports(config, store)
    return ingest(data, name, partner, ports, settings, now=NOW)


def mapped_column(store: SqlStore, file_id: int) -> list[tuple[str, bool | None]]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(transaction_sets.c.control_number, transaction_sets.c.mapped)
            .join(interchanges, interchanges.c.id == transaction_sets.c.interchange_id)
            .where(interchanges.c.file_id == file_id).order_by(transaction_sets.c.id))
        return [(str(control), None if mapped is None else bool(mapped))
                for control, mapped in rows]


def two_requests(first_purpose: str = "00") -> bytes:
    """The sample request twice in one group: set 0001 (BGN01 ``first_purpose``) and set 0002,
    a second request (BGN01 13) with its own BGN02."""
    text = REQUEST.read_text()
    head, rest = text.split("ST*180*0001~", 1)
    body, tail = rest.split("SE*28*0001~", 1)
    first = f"ST*180*0001~{body.replace('BGN*00*', f'BGN*{first_purpose}*')}SE*28*0001~"
    second = ("ST*180*0002~" + body.replace("BGN*00*RR20260114001", "BGN*13*RR20260114002")
              + "SE*28*0002~")
    return (head + first + second + tail.replace("GE*1*101", "GE*2*101")).encode()


def test_a_set_that_validates_but_does_not_map_is_recorded_not_forgotten(
        database_url: str, tmp_path: Path) -> None:
    store, config, _ = workspace(database_url, tmp_path, {"northwind/180": REQUIRED_BGN06})
    result = take(store, config, REQUEST.read_bytes())

    assert (result.state, result.documents) == ("accepted-unmapped", 0)
    assert "not mapped" in (result.reason or "") and "fields.rma_number" in (result.reason or "")
    [ack] = result.acknowledgements  # the 997 is about syntax: the set is accepted there
    assert b"AK5*A~" in ack.payload and b"AK9*A*1*1*1~" in ack.payload
    assert store.documents_of_file(result.file_id) == []

    by_code = {f.code: f for f in store.findings_of(result.file_id)}
    missing = by_code[REQUIRED_MISSING]
    assert (missing.interchange_control, missing.group_control, missing.set_control) == (
        "000000101", "101", "0001")
    assert (missing.segment_position, missing.segment_tag, missing.line) == (2, "BGN", 4)
    assert missing.severity == "error" and "rule fields.rma_number" in missing.message
    assert "partners/northwind/180.yaml" in missing.message
    assert by_code["mapping.no-document"].set_control == "0001"

    assert store.unmapped_sets_of(result.file_id) == [("000000101", "101", "180", "0001")]
    assert mapped_column(store, result.file_id) == [("0001", False)]
    [listed] = store.recent_files(unmapped=True)
    assert (listed.file.id, listed.unmapped_sets) == (result.file_id, 1)
    assert [r.file.id for r in store.recent_files(state="accepted-unmapped")] == [
        result.file_id]

    # What an 824 Application Advice would need, straight from the ingest result.
    [unmapped] = result.unmapped
    assert (unmapped.set_id, unmapped.interchange_control, unmapped.group_control,
            unmapped.set_control, unmapped.version) == ("180", "000000101", "101", "0001",
                                                        "004010")
    [reason] = unmapped.reasons
    assert (reason.code, reason.tag, reason.position) == (REQUIRED_MISSING, "BGN", 2)
    assert unmapped.messages == ("segment 2 (BGN): required value rma number (BGN/06) not found",)


def test_a_mapping_that_raises_costs_only_its_own_set(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    store, config, _ = workspace(database_url, tmp_path, {})
    stock = TRANSFORMS["return_stage"]

    def overflowing(args: dict[str, Any], ctx: Context) -> Any:  # a transform with a bug
        if args.get("purpose") == "00":
            raise InvalidOperation("[<class 'decimal.Overflow'>]")
        return stock(args, ctx)

    monkeypatch.setitem(TRANSFORMS, "return_stage", overflowing)
    caplog.set_level(logging.DEBUG, logger="gateway.mapping")
    result = take(store, config, two_requests())

    assert (result.state, result.documents) == ("accepted-unmapped", 1)
    assert mapped_column(store, result.file_id) == [("0001", False), ("0002", True)]
    [stored] = store.documents_of_file(result.file_id)
    assert stored.reference == "RR20260114002"
    [crash] = [f for f in store.findings_of(result.file_id) if f.code == "mapping.exception"]
    assert crash.set_control == "0001" and "InvalidOperation" in crash.message
    [unmapped] = result.unmapped
    assert unmapped.set_control == "0001"
    # The traceback is for developers: at debug level only, never louder.
    logged = [r for r in caplog.records if r.name == "gateway.mapping"]
    assert logged and all(r.levelno == logging.DEBUG and r.exc_info for r in logged)


def test_a_partially_accepted_file_with_an_unmapped_set_is_found_too(
        database_url: str, tmp_path: Path) -> None:
    # The carrier's SCAC is made required in B10 09, which its 214s never carry.
    store, config, _ = workspace(database_url, tmp_path, {
        "odfl/214": "fields:\n  scac: {path: B10/09, required: true}\n"})
    data = (REPO / "samples" / "defects" / "one-of-two-sets-bad.x12").read_bytes()
    result = take(store, config, data, partner="odfl")

    assert result.state == "partially-accepted"  # the X12 verdict decides the state here
    assert mapped_column(store, result.file_id) == [("0001", False), ("0002", None)]
    assert [r.file.id for r in store.recent_files(unmapped=True)] == [result.file_id]
    assert store.recent_files(state="accepted-unmapped") == []
    assert [u.set_control for u in result.unmapped] == ["0001"]


@pytest.mark.parametrize(("sample", "state"), [
    (VALID / "997-inbound-004010.x12", "accepted"),
    (REPO / "samples" / "defects" / "at701-invalid-code.x12", "rejected")])
def test_sets_that_owe_no_document_are_not_unmapped(
        database_url: str, tmp_path: Path, sample: Path, state: str) -> None:
    store, config, _ = workspace(database_url, tmp_path, {})
    result = take(store, config, sample.read_bytes(), partner="acme")
    assert result.state == state and result.unmapped == ()
    assert all(mapped is None for _control, mapped in mapped_column(store, result.file_id))
    assert not [f for f in store.findings_of(result.file_id) if f.code.startswith("mapping.")]
    assert store.recent_files(unmapped=True) == []


def test_sets_that_map_are_marked_mapped(database_url: str, tmp_path: Path) -> None:
    store, config, _ = workspace(database_url, tmp_path, {})
    result = take(store, config, REQUEST.read_bytes())
    assert (result.state, result.documents, result.unmapped) == ("accepted", 1, ())
    assert mapped_column(store, result.file_id) == [("0001", True)]



def test_a_set_without_a_mapping_is_acknowledged_and_waits_for_it(
        database_url: str, tmp_path: Path) -> None:
    """A set the gateway validates but has no mapping for (here an 861, its mapping file
    removed) is validated and acknowledged like any set and accepted-unmapped, said in words,
    never a crash."""
    store, config, mappings = workspace(database_url, tmp_path, {})
    (mappings / "861.yaml").unlink()
    data = (VALID / "861-receiving-advice-004010.x12").read_bytes()
    result = take(store, config, data, partner="acme")
    assert (result.state, result.documents) == ("accepted-unmapped", 0)
    assert "no mapping for transaction set 861" in (result.reason or "")
    [ack] = result.acknowledgements
    assert b"AK1*RC*117~AK2*861*0001~AK5*A~AK9*A*1*1*1~" in ack.payload
    [unmapped] = result.unmapped
    assert (unmapped.set_id, unmapped.set_control, unmapped.reference) == (
        "861", "0001", "RCV20260121001")
    assert mapped_column(store, result.file_id) == [("0001", False)]

def test_a_set_too_large_to_map_whole_is_kept_and_said_not_mapped(
        database_url: str, tmp_path: Path) -> None:
    """An 861 (mapped whole, as objects) beyond limits.whole_set_size is validated and
    acknowledged, then kept unmapped with the limit named: its memory stays bounded."""
    store, config, _ = workspace(database_url, tmp_path, {})
    data = (VALID / "861-receiving-advice-004010.x12").read_bytes()
    small = replace(config, limits=replace(config.limits, whole_set_bytes=len(data) // 2))
    result = take(store, small, data, partner="acme")
    assert (result.state, result.documents) == ("accepted-unmapped", 0)
    [ack] = result.acknowledgements
    assert b"AK5*A~" in ack.payload  # its syntax is fine: the 997 says so
    [finding] = [f for f in store.findings_of(result.file_id)
                 if f.code == "mapping.set-too-large"]
    assert "limits.whole_set_size" in finding.message and finding.set_control == "0001"
    # The same file under the default limit maps.
    again = take(store, config, data.replace(b"000000117", b"000000917"), partner="acme")
    assert (again.state, again.documents) == ("accepted", 1)


def test_the_whole_set_limit_is_read_from_config(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("limits: {whole_set_size: 16MB}\n")
    assert load_config(tmp_path / "config.yaml").limits.whole_set_bytes == 16 << 20
    (tmp_path / "config.yaml").write_text("limits: {whole_set_size: lots}\n")
    with pytest.raises(ConfigError, match=r"limits\.whole_set_size"):
        load_config(tmp_path / "config.yaml")


# --- the upgrade finds files forgotten before it ----------------------------------------------
def old_file(connection: Any, name: str, state: str,
             sets: list[tuple[str, str]], documents_left: int) -> int:
    """A file as revision 0003 stored it: its sets (ST01, outcome), no ``mapped`` column."""
    file_id = connection.execute(insert(received_files).values(
        partner="northwind", original_name=name, sha256=name.ljust(64, "0"), size=1,
        received_at=NOW, archive_key=name, state=state)).inserted_primary_key[0]
    interchange_id = connection.execute(insert(interchanges).values(
        file_id=file_id, partner="northwind", ordinal=1, sender_qualifier="01",
        sender_id="614832907", receiver_id="RLGATEWAY", control_number=f"{file_id:09d}",
        version="00401", outcome="accepted" if state == "accepted" else "partially-accepted",
        received_at=NOW)).inserted_primary_key[0]
    group_outcome = "accepted" if state == "accepted" else "partially-accepted"
    for n, (set_id, outcome) in enumerate(sets, start=1):
        connection.execute(insert(transaction_sets).values(
            interchange_id=interchange_id, functional_id="AN", group_control="1",
            group_version="004010", group_outcome=group_outcome, set_id=set_id,
            control_number=f"{n:04d}", outcome=outcome))
    for n in range(documents_left):
        connection.execute(insert(documents).values(
            file_id=file_id, partner="northwind", kind="return-authorization",
            reference=f"{name}-{n}", body="{}", created_at=NOW))
    return int(file_id)


def test_the_upgrade_marks_files_whose_sets_left_no_document(database_url: str) -> None:
    engine = open_engine(database_url)
    config = migration_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    with engine.begin() as connection:
        forgotten = old_file(connection, "forgotten", "accepted", [("180", "accepted")], 0)
        mapped = old_file(connection, "mapped", "accepted", [("180", "accepted")], 1)
        partial = old_file(connection, "partial", "partially-accepted",
                           [("856", "accepted"), ("856", "rejected")], 0)
        answer = old_file(connection, "answer", "accepted", [("997", "accepted")], 0)
    upgrade(engine)
    store = SqlStore(engine)

    files = store.files_by_id([forgotten, mapped, partial, answer])
    assert [files[i].state for i in (forgotten, mapped, partial, answer)] == [
        "accepted-unmapped", "accepted", "partially-accepted", "accepted"]
    assert "gateway replay --unmapped" in (files[forgotten].reason or "")
    assert mapped_column(store, forgotten) == [("0001", False)]
    assert mapped_column(store, mapped) == [("0001", True)]
    assert mapped_column(store, partial) == [("0001", False), ("0002", None)]
    assert mapped_column(store, answer) == [("0001", None)]
    assert {r.file.id for r in store.recent_files(unmapped=True)} == {forgotten, partial}

    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
        # Read as the 0003 schema has it (the current table definitions have later columns).
        restored = connection.execute(
            select(received_files.c.state, received_files.c.reason)
            .where(received_files.c.id == forgotten)).one()
    assert tuple(restored) == ("accepted", None)
