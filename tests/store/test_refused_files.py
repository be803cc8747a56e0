"""Polls of a partner's local folders with a file over limits.file_size, on SQLite and on a real
PostgreSQL: refused from its listing (never downloaded), cut off when it grows past the limit
while read, recorded once as rejected with the reason, left in the partner's folder; the other
files of the poll go on. (SFTP, `gateway ingest` and the daemon's alert: tests/transport/
test_size_limits.py.)"""

from __future__ import annotations

import itertools
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.app.ingest import IngestSettings, Ports
from gateway.app.partners import PartnerSettings
from gateway.app.poll import PollReport, poll_once
from gateway.app.ports import FileTooLarge, Sink
from gateway.bootstrap import ingest_ports
from gateway.config.partners import read_partner
from gateway.store.repository import SqlStore
from gateway.transport.local import LocalChannel
from gateway.x12.limits import FrontDoorRules, Limits
from tests.store.workspace import migrated_store

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "samples" / "valid"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LIMIT = 1024


class WatchedChannel(LocalChannel):
    """The real local channel, remembering what it was asked to fetch; ``grow`` names files
    the partner is still writing to when we start reading them."""

    def __init__(self, partner: PartnerSettings, base: Path, grow: tuple[str, ...] = ()) -> None:
        super().__init__(partner, base)
        self.fetched: list[str] = []
        self.grow = grow

    def fetch_into(self, name: str, target: Sink, *, max_bytes: int | None = None) -> int:
        self.fetched.append(name)
        if name in self.grow:
            with (self.inbound / name).open("ab") as out:
                out.write(b"~" * 4 * LIMIT)
        return super().fetch_into(name, target, max_bytes=max_bytes)


class Poller:
    def __init__(self, database_url: str, tmp_path: Path, grow: tuple[str, ...] = ()) -> None:
        self.store, config = migrated_store(database_url, tmp_path / "archive")
        partner = read_partner(REPO / "partners" / "northwind.yaml")
        ports, settings = ingest_ports(config, self.store, partner)
        self.ports: Ports = ports
        self.settings: IngestSettings = replace(
            settings, rules=FrontDoorRules(Limits(file_bytes=LIMIT)))
        self.folder = tmp_path / "var" / "partners" / "northwind"
        for name in ("outbox", "inbox", "done"):
            (self.folder / name).mkdir(parents=True)
        self.channel = WatchedChannel(partner, tmp_path, grow)
        self.archive = tmp_path / "archive"
        self.ticks = itertools.count()

    def put(self, name: str, data: bytes) -> Path:
        path = self.folder / "outbox" / name
        path.write_bytes(data)
        return path

    def poll(self) -> PollReport:
        return poll_once("northwind", self.channel, self.ports, self.settings, self.store,
                         clock=lambda: NOW + timedelta(seconds=next(self.ticks)), settle=0.05,
                         sleep=lambda seconds: None)

    def archived(self) -> list[Path]:
        return [p for p in self.archive.rglob("*") if p.is_file()] if self.archive.exists() \
            else []


def test_a_file_listed_over_the_limit_is_refused_unread_once_and_left_in_place(
        database_url: str, tmp_path: Path) -> None:
    poller = Poller(database_url, tmp_path)
    big = poller.put("big.x12", b"ISA" + b"*" * 4_000)
    poller.put("rma.x12", (VALID / "180-return-request-004010.x12").read_bytes())

    report = poller.poll()

    assert poller.channel.fetched == ["rma.x12"]  # the big one was never downloaded
    assert [(name, r.state) for name, r in report.taken] == [("big.x12", "rejected"),
                                                            ("rma.x12", "accepted")]
    [(_, refused)] = report.refused
    assert big.exists() and big.stat().st_size == 4_003  # the partner's copy stays
    assert not (poller.folder / "done" / "big.x12").exists()
    stored = poller.store.files_by_id([refused.file_id])[refused.file_id]
    assert (stored.state, stored.sha256, stored.archive_key, stored.size) == (
        "rejected", "", "", 4_003)
    assert stored.never_taken
    assert stored.reason == ("refused unread: big.x12 is 4,003 bytes, over the limit of "
                             "1,024 bytes set by limits.file_size in config.yaml")
    [finding] = poller.store.findings_of(refused.file_id)
    assert (finding.code, finding.severity, finding.found, finding.expected) == (
        "file.too-large", "error", "4003 bytes", "at most 1024 bytes")
    assert len(poller.archived()) == 1  # the 180's bytes only

    again = poller.poll()  # same name, size and time: not recorded again
    assert again.taken == [] and again.refused == []
    assert again.waiting == [("big.x12", f"{stored.reason} (file #{refused.file_id})")]
    assert [f.file.id for f in poller.store.recent_files()] == [refused.file_id + 1,
                                                                refused.file_id]
    assert big.exists()


def test_a_new_version_of_a_refused_file_is_refused_again(database_url: str,
                                                          tmp_path: Path) -> None:
    poller = Poller(database_url, tmp_path)
    big = poller.put("big.x12", b"A" * 3_000)
    [(_, first)] = poller.poll().refused
    big.write_bytes(b"B" * 5_000)  # the partner replaced it: another size and time
    os.utime(big, (big.stat().st_atime, big.stat().st_mtime + 60))
    [(_, second)] = poller.poll().refused
    assert second.file_id != first.file_id
    assert "5,000 bytes" in (second.reason or "")


def test_a_file_that_grows_past_the_limit_while_read_is_cut_off_and_refused(
        database_url: str, tmp_path: Path) -> None:
    poller = Poller(database_url, tmp_path, grow=("growing.x12",))
    growing = poller.put("growing.x12", b"ISA" + b"*" * 500)  # listed at 503 bytes
    poller.put("rma.x12", (VALID / "180-return-request-004010.x12").read_bytes())

    report = poller.poll()

    assert poller.channel.fetched == ["growing.x12", "rma.x12"]
    [(_, refused)] = report.refused
    assert refused.reason == (
        "refused: growing.x12 was listed at 503 bytes but grew past the limit of 1,024 bytes "
        "set by limits.file_size in config.yaml while it was being downloaded; the download "
        "was stopped there and nothing of it was kept")
    assert [r.state for _, r in report.taken] == ["rejected", "accepted"]  # the poll went on
    assert growing.stat().st_size == 503 + 4 * LIMIT  # left where it is
    stored = poller.store.files_by_id([refused.file_id])[refused.file_id]
    assert (stored.size, stored.archive_key) == (503, "")
    assert len(poller.archived()) == 1


def test_the_local_channel_stops_reading_one_byte_past_the_limit(tmp_path: Path) -> None:
    poller = Poller(f"sqlite:///{tmp_path / 'g.sqlite'}", tmp_path)
    poller.put("big.x12", b"x" * (LIMIT + 1))
    poller.put("exact.x12", b"x" * LIMIT)
    with poller.channel as channel:
        with pytest.raises(FileTooLarge) as refused:
            channel.fetch("big.x12", max_bytes=LIMIT)
        assert (refused.value.name, refused.value.max_bytes) == ("big.x12", LIMIT)
        assert len(channel.fetch("exact.x12", max_bytes=LIMIT)) == LIMIT


def test_a_file_never_taken_is_neither_replayed_nor_purged(database_url: str,
                                                           tmp_path: Path) -> None:
    poller = Poller(database_url, tmp_path)
    poller.put("big.x12", b"x" * 2_000)
    [(_, refused)] = poller.poll().refused
    store: SqlStore = poller.store
    assert store.files_to_replay(("rejected",), None, None) == []
    assert store.archive_keys_older_than(NOW + timedelta(days=365)) == []
    assert [f.file.id for f in store.recent_files(state="rejected")] == [refused.file_id]
