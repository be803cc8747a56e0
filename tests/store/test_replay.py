"""Replay: archived files through the current mappings, in place, answering nothing again."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import func, select

from gateway.app.cases import cases_for
from gateway.app.ingest import ingest, replay
from gateway.bootstrap import ingest_ports
from gateway.config.settings import GatewayConfig
from gateway.store.repository import SqlStore
from gateway.store.schema import control_counters, outbox
from tests.cli import run_gateway
from tests.store.workspace import migrated_store

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "mappings" / "partners" / "northwind" / "examples" / "rma-in-bgn06.x12"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def setup(database_url: str, tmp_path: Path) -> tuple[SqlStore, Path, GatewayConfig]:
    mappings = tmp_path / "mappings"
    shutil.copytree(REPO / "mappings", mappings)
    (mappings / "partners" / "northwind" / "180.yaml").unlink()  # no override yet
    store, config = migrated_store(database_url, tmp_path / "archive", mappings)
    return store, mappings, config


def scalar(store: SqlStore, query: object) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def test_replay_applies_a_fixed_mapping_without_answering_again(database_url, tmp_path):
    store, mappings, config = setup(database_url, tmp_path)
    ports, settings = ingest_ports(config, store)
    first = ingest(EXAMPLE.read_bytes(), EXAMPLE.name, "northwind", ports, settings, now=NOW)
    assert cases_for(store, "NWRMA-88120").documents == ()  # the RMA was not mapped

    shutil.copy(REPO / "mappings" / "partners" / "northwind" / "180.yaml",
                mappings / "partners" / "northwind" / "180.yaml")
    ports, settings = ingest_ports(config, store)  # the admin fixed the mapping
    [stored] = store.files_by_id([first.file_id]).values()
    counters = scalar(store, select(func.sum(control_counters.c.last_value)))
    result = replay(stored, ports, settings, now=NOW + timedelta(days=1))

    assert result.state == "accepted" and result.documents == 1
    assert result.acknowledgements == ()
    [case] = cases_for(store, "NWRMA-88120").cases  # found by the newly mapped key
    assert case.state.value == "requested"
    assert len(store.documents_of_file(first.file_id)) == 1  # replaced, not added
    assert scalar(store, select(func.count()).select_from(outbox)) == 1
    assert scalar(store, select(func.sum(control_counters.c.last_value))) == counters


def test_failed_files_in_a_window(database_url, tmp_path):
    store, _mappings, config = setup(database_url, tmp_path)
    ports, settings = ingest_ports(config, store)
    bad = (REPO / "samples" / "defects" / "at701-invalid-code.x12").read_bytes()
    ingest(bad, "old.x12", "odfl", ports, settings, now=NOW - timedelta(days=10))
    ingest(bad.replace(b"000000220", b"000000999"), "new.x12", "odfl", ports, settings, now=NOW)
    ingest(EXAMPLE.read_bytes(), "ok.x12", "northwind", ports, settings, now=NOW)
    recent = store.files_to_replay(("rejected",), NOW - timedelta(days=1), None)
    assert [f.original_name for f in recent] == ["new.x12"]
    assert len(store.files_to_replay(("rejected",), None, None)) == 2
    before = store.findings_of(recent[0].id)
    result = replay(recent[0], ports, settings, now=NOW)
    assert result.state == "rejected"  # still wrong: its findings are rewritten, not doubled
    assert store.findings_of(recent[0].id) == before and before


def test_dry_run_shows_the_difference_and_stores_nothing(tmp_path):
    root = tmp_path
    mappings = root / "mappings"
    shutil.copytree(REPO / "mappings", mappings)
    override = mappings / "partners" / "northwind" / "180.yaml"
    override.unlink()
    (root / "config.yaml").write_text("paths: {mappings: mappings}\n")

    gateway = partial(run_gateway, cwd=root)

    assert gateway("db", "upgrade").returncode == 0
    assert gateway("ingest", "--partner", "northwind", str(EXAMPLE)).returncode == 0
    shutil.copy(REPO / "mappings" / "partners" / "northwind" / "180.yaml", override)
    dry = gateway("replay", "--dry-run", "#1")
    assert dry.returncode == 0 and "would change" in dry.stdout
    assert '+    "rma_number": "NWRMA-88120",' in dry.stdout
    assert gateway("show", "NWRMA-88120").returncode == 1  # nothing stored by the dry run
    assert gateway("replay", "#1").returncode == 0
    assert gateway("show", "NWRMA-88120").returncode == 0
    assert gateway("replay").returncode == 2  # nothing named: says how
