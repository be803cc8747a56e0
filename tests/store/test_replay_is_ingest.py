"""Replay is ingest: `gateway replay` and the console's Replay run a stored file with the
settings its ingest used (its partner's file: the ISA sender it must carry, time zone, strict
envelope, limits), so a file ingest refused stays refused and a replay changes no time.

Each test drives the real command (and the real console app) on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.app.ingest import ingest
from gateway.bootstrap import NO_PARTNER_FILE, ReplayAsIngested, ingest_ports, open_store
from gateway.config.settings import load_config
from gateway.console.app import create_app
from gateway.errors import ConfigError
from gateway.store.repository import SqlStore
from tests.cli import run_gateway
from tests.console.conftest import ADMIN_TOKEN
from tests.console.story import add_people

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "samples" / "valid"
CARRIER_214 = VALID / "214-status-004010.x12"  # from 02/ODFL: not Northwind's sender
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@dataclass
class Project:
    root: Path

    def gateway(self, *args: str):  # type: ignore[no-untyped-def]
        return run_gateway(*args, cwd=self.root)

    def store(self) -> SqlStore:
        return open_store(load_config(self.root / "config.yaml"))

    def drop(self, name: str, data: bytes) -> str:
        (self.root / name).write_bytes(data)
        return name

    def partner_file(self, partner_id: str) -> Path:
        return self.root / "partners" / f"{partner_id}.yaml"


@pytest.fixture
def project(database_url: str, tmp_path: Path) -> Project:
    """A gateway folder: config.yaml on the test's database, the repository's mappings and
    partner files for Northwind (a retailer) and ODFL (a carrier in America/New_York)."""
    root = tmp_path / "project"
    (root / "partners").mkdir(parents=True)
    for partner_id in ("northwind", "odfl"):
        shutil.copy(REPO / "partners" / f"{partner_id}.yaml", root / "partners")
    (root / "config.yaml").write_text(f"store: {{url: '{database_url}'}}\n"
                                      f"paths: {{mappings: '{REPO / 'mappings'}'}}\n")
    made = Project(root)
    assert made.gateway("db", "upgrade").returncode == 0
    return made


def refused_foreign_file(project: Project) -> int:
    """ODFL's 214 dropped into Northwind's intake: refused for its sender, nothing stored."""
    name = project.drop("status.x12", CARRIER_214.read_bytes())
    taken = project.gateway("ingest", "--partner", "northwind", name)
    assert taken.returncode == 1 and "not from this partner" in taken.stdout, taken.stdout
    assert_still_refused(project.store(), 1)
    return 1


def assert_still_refused(store: SqlStore, file_id: int) -> None:
    stored = store.files_by_id([file_id])[file_id]
    assert stored.state == "rejected", stored
    assert "not from this partner (01/614832907)" in (stored.reason or "")
    assert [f.code for f in store.findings_of(file_id)][:1] == ["partner.sender-mismatch"]
    assert store.documents_of_file(file_id) == []  # nothing of it became a document
    assert store.outcomes_of(file_id) == []  # nor an interchange or a set


def test_a_file_refused_for_another_sender_stays_refused_on_replay(project: Project) -> None:
    file_id = refused_foreign_file(project)

    replayed = project.gateway("replay", f"#{file_id}")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "rejected -> rejected, 0 documents" in replayed.stdout
    assert_still_refused(project.store(), file_id)

    for argv in (["replay", "--failed"], ["replay", "--failed", "--partner", "northwind"]):
        again = project.gateway(*argv)
        assert "rejected -> rejected, 0 documents" in again.stdout, again.stdout
    dry = project.gateway("replay", "--dry-run", f"#{file_id}")
    assert "no change" in dry.stdout, dry.stdout
    assert_still_refused(project.store(), file_id)
    assert project.gateway("show", "RMA7734021").returncode == 1  # no case learned of it


def test_the_consoles_replay_keeps_a_refused_file_refused(project: Project) -> None:
    file_id = refused_foreign_file(project)
    config = load_config(project.root / "config.yaml")
    store = open_store(config)
    add_people(store)  # and the script-admin API client whose token is ADMIN_TOKEN
    app = create_app(store, config, clock=lambda: NOW)
    response = app.test_client().post(f"/files/{file_id}/replay", follow_redirects=True,
                                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert f"Replayed file #{file_id}: rejected → rejected, 0 documents" in response.text
    assert_still_refused(store, file_id)


def test_a_replay_keeps_the_partners_time_zone(project: Project) -> None:
    """ODFL's file without X12 time codes: its times are read in ODFL's zone at ingest, and
    at every replay."""
    name = project.drop("status.x12", CARRIER_214.read_bytes().replace(b"*ET~", b"~"))
    assert project.gateway("ingest", "--partner", "odfl", name).returncode == 0
    store = project.store()
    ingested = [d.body for d in store.documents_of_file(1)]
    assert ingested and '"2026-01-20T14:05:00-05:00"' in ingested[0]  # New York in January

    replayed = project.gateway("replay", "#1")
    assert replayed.returncode == 0 and "accepted -> accepted, 1 document" in replayed.stdout
    assert [d.body for d in store.documents_of_file(1)] == ingested


def test_a_strict_partner_stays_strict_on_replay(project: Project) -> None:
    """An ISA that is not fixed width: rejected for a partner with strict_envelope, and so on
    replay (the gateway's lenient default would accept it)."""
    odfl = project.partner_file("odfl")
    odfl.write_text(odfl.read_text().replace("x12:\n", "x12:\n  strict_envelope: true\n", 1))
    name = project.drop("status.x12", (REPO / "samples" / "defects" /
                                       "isa-not-106-chars.x12").read_bytes())
    assert project.gateway("ingest", "--partner", "odfl", name).returncode == 1
    store = project.store()
    refused = store.files_by_id([1])[1].state
    assert refused != "accepted" and store.documents_of_file(1) == []
    replayed = project.gateway("replay", "#1")
    assert f"{refused} -> {refused}, 0 documents" in replayed.stdout, replayed.stdout
    assert store.documents_of_file(1) == []


def test_a_file_whose_partner_file_is_gone_is_not_replayed_unchecked(
        project: Project) -> None:
    file_id = refused_foreign_file(project)
    findings = project.store().findings_of(file_id)
    project.partner_file("northwind").unlink()

    replayed = project.gateway("replay", f"#{file_id}")
    assert replayed.returncode == 1
    assert f"file #{file_id} status.x12: cannot be replayed:" in replayed.stdout
    assert "northwind.yaml does not exist" in replayed.stdout
    assert "restore the partner file" in replayed.stdout
    assert project.gateway("replay", "--dry-run", f"#{file_id}").returncode == 1
    store = project.store()
    assert store.findings_of(file_id) == findings  # untouched
    assert_still_refused(store, file_id)

    config = load_config(project.root / "config.yaml")
    add_people(store)  # and the script-admin API client whose token is ADMIN_TOKEN
    app = create_app(store, config, clock=lambda: NOW)
    response = app.test_client().post(f"/files/{file_id}/replay", follow_redirects=True,
                                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert f"File #{file_id} cannot be replayed: " in response.text
    assert "restore the partner file" in response.text
    assert_still_refused(store, file_id)


def test_a_file_ingested_without_a_partner_file_is_replayed_the_same_way(
        project: Project) -> None:
    """`gateway ingest` of a partner with no file uses the defaults and says so on the file;
    a replay uses the defaults too, while no partner file exists, and keeps saying so."""
    project.partner_file("northwind").unlink()
    name = project.drop("status.x12", CARRIER_214.read_bytes())
    taken = project.gateway("ingest", "--partner", "northwind", name)
    assert taken.returncode == 0 and "ISA sender is not checked" in taken.stderr
    notes = [f for f in project.store().findings_of(1) if f.code == NO_PARTNER_FILE]
    assert len(notes) == 1 and "northwind.yaml did not exist" in notes[0].message

    replayed = project.gateway("replay", "#1")
    assert replayed.returncode == 0 and "accepted -> accepted" in replayed.stdout
    assert [f.code for f in project.store().findings_of(1)].count(NO_PARTNER_FILE) == 1

    # Once Northwind has a partner file, its sender check applies to every replay.
    shutil.copy(REPO / "partners" / "northwind.yaml", project.root / "partners")
    assert "accepted -> rejected" in project.gateway("replay", "#1").stdout
    assert_still_refused(project.store(), 1)


def test_a_stored_partner_that_is_not_an_id_names_no_file(project: Project) -> None:
    config = load_config(project.root / "config.yaml")
    store = open_store(config)
    ports, settings = ingest_ports(config, store)
    not_x12 = (REPO / "samples" / "defects" / "not-x12.x12").read_bytes()
    result = ingest(not_x12, "notes.x12", "../odfl", ports, settings, now=NOW)
    stored = store.files_by_id([result.file_id])[result.file_id]
    with pytest.raises(ConfigError, match=r"'\.\./odfl' is not a partner id"):
        ReplayAsIngested(config, store).settings_of(stored)
    replayed = project.gateway("replay", f"#{result.file_id}")
    assert replayed.returncode == 1 and "is not a partner id" in replayed.stdout
