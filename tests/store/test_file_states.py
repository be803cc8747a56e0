"""`FileState` lists every state the store holds, and nothing it never holds (issue 13, item 4).

One short story on SQLite and PostgreSQL leaves a file in each state ingest can write (by the
X12 verdict, the mapping, the sender's authority, a duplicate, a copy another worker holds);
the raw ``received_files.state`` column is then read back without the adapter, so a state
written as any other string (or a member the store never sees) would show here.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from gateway.app.ingest import IngestResult, Ports, ingest
from gateway.bootstrap import ingest_ports
from gateway.config.partners import read_partner
from gateway.model.states import STORED_STATES, FileState
from gateway.store.repository import SqlStore
from gateway.store.schema import received_files
from tests.store.test_authority import NORTHWIND, as_sender
from tests.store.test_outbound import NOW, REPO, VALID, story
from tests.store.test_unmapped import REQUIRED_BGN06, workspace

DEFECTS = REPO / "samples" / "defects"


def request_and_answer() -> bytes:
    """Northwind's request and, in the same group, an answer to it (BGN01 11), which a
    retailer may not send: one document stored, one refused."""
    head, rest = story("180-return-request-004010.x12").decode().split("ST*180*0001~", 1)
    body, tail = rest.split("SE*28*0001~", 1)
    answer = body.replace("BGN*00*RR20261123001", "BGN*11*RA20261123002")
    return (f"{head}ST*180*0001~{body}SE*28*0001~ST*180*0002~{answer}SE*28*0002~"
            + tail.replace("GE*1*101~", "GE*2*101~")).encode()


def held_by_another_worker(store: SqlStore, ports: Ports, data: bytes) -> None:
    """``data`` recorded as a worker's that is still processing it (its lease runs on)."""
    sha256, key = ports.archive.put(data)
    with store.transaction() as tx:
        tx.record_file("held", "held.x12", sha256=sha256, size=len(data), received_at=NOW,
                       archive_key=key, lease_until=NOW + timedelta(hours=1))


def stored_states(store: SqlStore) -> dict[int, str]:
    with store.engine.connect() as connection:
        return {int(row.id): str(row.state) for row in connection.execute(
            select(received_files.c.id, received_files.c.state))}


def test_the_store_holds_exactly_the_stored_file_states(database_url: str,
                                                        tmp_path: Path) -> None:
    # Partner "westwind" requires an RMA in BGN06, which the sample request does not carry.
    store, config, _ = workspace(database_url, tmp_path, {"westwind/180": REQUIRED_BGN06})
    plain, settings = ingest_ports(config, store)  # no partner file: no authority applied

    def take(partner: str, data: bytes, partner_file: str | None = None) -> IngestResult:
        ports, chosen = (plain, settings) if partner_file is None else ingest_ports(
            config, store, read_partner(REPO / "partners" / f"{partner_file}.yaml"))
        return ingest(data, "file", partner, ports, chosen, now=NOW)

    status = (VALID / "214-status-004010.x12").read_bytes()
    held = (VALID / "856-pick-pack-004010.x12").read_bytes()
    held_by_another_worker(store, plain, held)
    results = [
        take("carrier", status),
        take("carrier", status),
        take("vendor", (DEFECTS / "dtm-invalid-date.x12").read_bytes()),
        take("odfl-two", (DEFECTS / "one-of-two-sets-bad.x12").read_bytes()),
        take("stock", b"sku,qty\n1,2\n"),
        take("westwind", (VALID / "180-return-request-004010.x12").read_bytes()),
        take("odfl", as_sender((VALID / "180-return-request-004010.x12").read_bytes(),
                               ("02", "ODFL")), "odfl"),
        take("northwind", as_sender(request_and_answer(), NORTHWIND), "northwind"),
        take("held", held),
    ]

    assert [r.state for r in results] == [
        FileState.ACCEPTED, FileState.DUPLICATE, FileState.REJECTED,
        FileState.PARTIALLY_ACCEPTED, FileState.NOT_X12, FileState.ACCEPTED_UNMAPPED,
        FileState.REFUSED, FileState.PARTIALLY_REFUSED, FileState.IN_PROGRESS,
    ], [(r.state, r.reason) for r in results]
    assert all(type(r.state) is FileState for r in results)  # members, never bare strings
    raw = stored_states(store)
    # What each result said is what the store keeps (the in-progress copy is not stored:
    # its answer names the file the other worker holds, still "received").
    assert all(raw[r.file_id] == r.state for r in results[:-1])
    assert raw[results[-1].file_id] == FileState.RECEIVED
    assert set(raw.values()) == {state.value for state in STORED_STATES}
    assert FileState.IN_PROGRESS not in STORED_STATES
    # Read back through the adapter, each state is a member again.
    assert {type(f.file.state) for f in store.recent_files()} == {FileState}


def test_the_commands_and_the_console_offer_the_same_state_words() -> None:
    # `gateway files --state` choices and the console's filter, in their reading order.
    assert [state.value for state in STORED_STATES] == [
        "received", "accepted", "accepted-unmapped", "partially-accepted", "rejected",
        "refused", "partially-refused", "not-x12", "duplicate"]
