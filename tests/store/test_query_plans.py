"""What every received file runs reads indexes, never a whole table.

The work per file must not grow with the store: a gateway a year old takes a file as fast as a
new one. So each statement that ingest and the follow-ups run for the usual files (a 180, an
856, a carrier's 214, a recall notice, a request that arrives while the recall is active, a
duplicate, a partner's 997) is put to SQLite's planner, and no plan may read a table whole. A
new query that misses its index fails here, on a store of a handful of rows, long before a
partner's year of files would show it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import event

from tests.store.test_outbound import REPO, Gateway, ack_997, story

NOTICE = REPO / "samples" / "recall" / "valid-stand-mixer-serials.xml"
# Tables of a fixed handful of rows, whichever the store's age: read whole at no cost.
SMALL_TABLES = frozenset({"alembic_version", "event_cursors"})


def test_no_statement_a_received_file_runs_reads_a_table_whole(tmp_path: Path) -> None:
    gateway = Gateway(f"sqlite:///{tmp_path / 'gateway.sqlite'}", tmp_path)
    statements: set[str] = set()
    event.listen(gateway.store.engine, "before_cursor_execute",
                 lambda _c, _cursor, statement, *_: statements.add(statement))

    request = story("180-return-request-004010.x12")
    gateway.take("northwind", request)
    gateway.take("northwind", story("856-pick-pack-004010.x12"), "asn")
    gateway.take("odfl", (REPO / "samples" / "valid" / "214-status-004010.x12").read_bytes())
    gateway.take("recalls-hub", NOTICE.read_bytes(), "notice.xml")
    gateway.take("northwind", request.replace(b"000000101", b"000000201"), "again")
    gateway.take("northwind", request, "resent")  # the same bytes: a duplicate
    gateway.take("northwind", ack_997("1"), "997")

    with sqlite3.connect(tmp_path / "gateway.sqlite") as database:
        whole = {statement: scans for statement in statements
                 if (scans := _whole_table_reads(database, statement))}
    assert len(statements) > 20  # the workload ran what a file runs
    assert not whole, "\n\n".join(f"{' '.join(s.split())}\n  -> {', '.join(scans)}"
                                  for s, scans in whole.items())


def _whole_table_reads(database: sqlite3.Connection, statement: str) -> list[str]:
    """The plan's steps that read a table (other than SMALL_TABLES) row by row."""
    if not statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE",
                                                  "WITH")):
        return []  # BEGIN, PRAGMA and the like
    plan = database.execute(f"EXPLAIN QUERY PLAN {statement}",
                            [None] * statement.count("?")).fetchall()
    return [step for *_, step in plan
            if step.startswith("SCAN ") and step.split()[1] not in SMALL_TABLES]


def test_the_reads_of_a_case_fold_wait_for_no_writer(tmp_path: Path) -> None:
    """On SQLite a fold's reads begin deferred (`SqlStore.reader`): while another process
    holds the write lock (an ingest committing), they read the last committed state at once
    instead of queueing behind it for up to the 30 s busy timeout."""
    gateway = Gateway(f"sqlite:///{tmp_path / 'gateway.sqlite'}", tmp_path)
    gateway.take("northwind", story("180-return-request-004010.x12"))
    writer = sqlite3.connect(tmp_path / "gateway.sqlite", isolation_level=None, timeout=0)
    try:
        writer.execute("BEGIN IMMEDIATE")  # the write lock, held
        related, _ = gateway.store.documents_to_fold("RR20261123001")
        assert [d.reference for d in related if d.direction == "in"] == ["RR20261123001"]
        assert gateway.store.documents_of_kind("return-authorization")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
