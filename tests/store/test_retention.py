"""Archive retention: old bytes go, records stay, bytes a newer file shares are kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.app.ingest import ingest, replay
from gateway.bootstrap import ingest_ports
from gateway.store.archive import ArchivedBytesMissing, FileArchive
from tests.store.workspace import migrated_store

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "samples" / "valid"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_purge_takes_only_bytes_no_newer_file_needs(database_url: str, tmp_path: Path) -> None:
    store, config = migrated_store(database_url, tmp_path / "archive")
    ports, settings = ingest_ports(config, store)
    old = (VALID / "214-status-004010.x12").read_bytes()
    shared = (VALID / "856-pick-pack-004010.x12").read_bytes()
    first = ingest(old, "old.x12", "p", ports, settings, now=NOW - timedelta(days=100))
    ingest(shared, "shared.x12", "p", ports, settings, now=NOW - timedelta(days=100))
    ingest(shared, "shared-again.x12", "p", ports, settings, now=NOW)  # a recent duplicate

    keys = store.archive_keys_older_than(NOW - timedelta(days=30))
    [old_file] = store.files_by_id([first.file_id]).values()
    assert keys == [old_file.archive_key]  # the shared bytes are still needed

    archive = FileArchive(tmp_path / "archive")
    assert archive.remove(keys[0]) and not archive.remove(keys[0])
    assert len(store.recent_files()) == 3  # every record is kept
    with pytest.raises(ArchivedBytesMissing, match="retention"):
        replay(old_file, ports, settings, now=NOW)
