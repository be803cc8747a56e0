"""The store on SQLite and on a real PostgreSQL: migrations, counters, lookups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from gateway.app.control_numbers import _nine_digits
from gateway.app.ports import FindingRow, OutboxItem
from gateway.store.engine import open_engine
from gateway.store.migrate import (
    SchemaOutOfDate,
    check_current,
    head_revision,
    migration_config,
    upgrade,
)
from gateway.store.repository import SqlStore
from gateway.store.schema import metadata

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(database_url: str) -> SqlStore:
    engine = open_engine(database_url)
    upgrade(engine)
    return SqlStore(engine)


def test_an_empty_database_is_refused_until_upgraded(database_url: str) -> None:
    engine = open_engine(database_url)
    with pytest.raises(SchemaOutOfDate, match="gateway db upgrade"):
        check_current(engine, database_url)
    assert upgrade(engine) == (None, head_revision())
    check_current(engine, database_url)
    assert upgrade(engine) == (head_revision(), head_revision())  # idempotent


def test_migrations_create_exactly_the_schema_the_code_uses(store: SqlStore) -> None:
    inspector = inspect(store.engine)
    for table in metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name


def test_control_numbers_are_monotonic_per_partner_and_kind(store: SqlStore) -> None:
    with store.transaction() as tx:
        first = [tx.next_control_number("acme", "interchange") for _ in range(3)]
        other = tx.next_control_number("zenith", "interchange")
        group = tx.next_control_number("acme", "group")
    assert first == [1, 2, 3] and other == 1 and group == 1
    with store.transaction() as tx:
        assert tx.next_control_number("acme", "interchange") == 4


def test_a_rolled_back_number_is_not_consumed_and_nothing_else_is_kept(store: SqlStore) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.next_control_number("acme", "interchange")
        tx.record_file("acme", "a.x12", sha256="0" * 64, size=1, received_at=NOW,
                       archive_key="00/00/0", lease_until=NOW)
        raise RuntimeError("crash in the middle")
    with store.transaction() as tx:
        assert tx.next_control_number("acme", "interchange") == 1
        assert tx.file_by_sha256("acme", "0" * 64) is None


def test_files_findings_outbox_and_interchange_lookups(store: SqlStore) -> None:
    with store.transaction() as tx:
        file_id = tx.record_file("acme", "a.x12", sha256="a" * 64, size=10, received_at=NOW,
                                 archive_key="aa/aa/a", lease_until=NOW)
        tx.add_interchange(file_id, "acme", ordinal=1, sender=("ZZ", "ACME"),
                           receiver_id="US", control_number="000000042", version="00401",
                           outcome="accepted", received_at=NOW)
        tx.add_findings(file_id, [FindingRow("set.count-mismatch", "error", "SE01 wrong",
                                             "AK502 4", set_control="0001", line=9)])
        tx.add_outbox(file_id, "acme", OutboxItem("997", "000000007", "000000042", b"ISA*"),
                      NOW)
        tx.finish_file(file_id, "rejected", processed_at=NOW, reason="SE01 wrong")
    with store.transaction() as tx:
        assert tx.file_by_sha256("acme", "a" * 64) is not None
        assert tx.file_by_sha256("zenith", "a" * 64) is None  # per partner
        assert tx.interchange_seen("acme", "ACME", "000000042", NOW - timedelta(days=1)) \
            == file_id
        assert tx.interchange_seen("acme", "ACME", "000000042", NOW + timedelta(days=1)) \
            is None  # outside the window
        assert tx.outbox_of(file_id)[0].payload == b"ISA*"
    [summary] = store.recent_files(state="rejected")
    assert (summary.file.reason, summary.errors) == ("SE01 wrong", 1)
    assert store.findings_of(file_id)[0].x12 == "AK502 4"
    assert store.recent_files(partner="zenith") == []
    assert [i.control_number for _, _, i in store.pending_outbox("acme")] == ["000000007"]


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'g.sqlite'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_control_numbers_cycle_within_nine_digits() -> None:
    assert [_nine_digits(n) for n in (1, 999_999_999, 1_000_000_000, 1_999_999_998)] == [
        1, 999_999_999, 1, 999_999_999]


def test_upgrading_a_database_with_data_keeps_it(database_url: str) -> None:
    engine = open_engine(database_url)
    config = migration_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO received_files (partner, original_name, sha256, size, received_at, "
            "archive_key, state) VALUES ('acme', 'old.x12', 'ab', 2, '2026-01-01 00:00:00', "
            "'ab/ab/ab', 'accepted')")
    with pytest.raises(SchemaOutOfDate):
        check_current(engine, database_url)
    upgrade(engine)
    check_current(engine, database_url)
    [summary] = SqlStore(engine).recent_files()
    assert (summary.file.original_name, summary.file.lease_until) == ("old.x12", None)
