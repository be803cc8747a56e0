"""One poll over a partner's local folders: stable files in, partner copies out only after
commit, acknowledgements published under stable names, and nothing doubled on a repeat."""

from __future__ import annotations

import itertools
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.app.poll import poll_once
from gateway.bootstrap import ingest_ports
from gateway.config.partners import read_partner
from gateway.transport.local import LocalChannel
from tests.store.workspace import migrated_store

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "samples" / "valid"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def setup(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    store, config = migrated_store(database_url, tmp_path / "archive")
    partner = read_partner(REPO / "partners" / "northwind.yaml")
    ports, settings = ingest_ports(config, store, partner)
    folders = {name: tmp_path / "var" / "partners" / "northwind" / name
               for name in ("outbox", "inbox", "done")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    channel = LocalChannel(partner, base=tmp_path)
    ticks = itertools.count()
    clock = lambda: NOW + timedelta(seconds=next(ticks))  # noqa: E731
    return store, ports, settings, channel, folders, clock


def poll(setup_values, sleep=lambda seconds: None):  # type: ignore[no-untyped-def]
    store, ports, settings, channel, _folders, clock = setup_values
    return poll_once("northwind", channel, ports, settings, store, clock=clock, settle=0.1,
                     sleep=sleep)


def test_a_poll_takes_stable_files_and_answers(database_url, tmp_path):
    values = setup(database_url, tmp_path)
    store, _ports, _settings, _channel, folders, _clock = values
    shutil.copy(VALID / "180-return-request-004010.x12", folders["outbox"] / "rma.x12")
    growing = folders["outbox"] / "asn.x12"
    growing.write_bytes(b"ISA*00")

    report = poll(values, sleep=lambda _: growing.write_bytes(
        (VALID / "856-pick-pack-004010.x12").read_bytes()))  # still being written

    assert [(name, r.state) for name, r in report.taken] == [("rma.x12", "accepted")]
    assert [name for name, _ in report.waiting] == ["asn.x12"]
    assert not (folders["outbox"] / "rma.x12").exists()  # moved only after the commit
    assert (folders["done"] / "rma.x12").exists()
    assert report.sent == ["997_000000001.x12"]
    assert (folders["inbox"] / "997_000000001.x12").read_bytes().startswith(b"ISA*")
    assert store.pending_outbox() == []

    second = poll(values)  # the ASN has settled now
    assert [(name, r.state) for name, r in second.taken] == [("asn.x12", "accepted")]
    assert second.sent == ["997_000000002.x12"]


def test_a_file_left_behind_by_a_crash_is_not_processed_or_answered_twice(database_url,
                                                                            tmp_path):
    values = setup(database_url, tmp_path)
    store, _ports, _settings, _channel, folders, _clock = values
    data = (VALID / "180-return-request-004010.x12").read_bytes()
    (folders["outbox"] / "rma.x12").write_bytes(data)
    first = poll(values)
    assert first.taken[0][1].state == "accepted"
    # The partner's copy came back (a crash before the move, a partner re-sending by hand).
    (folders["outbox"] / "rma.x12").write_bytes(data)
    again = poll(values)
    assert [r.state for _, r in again.taken] == ["duplicate"]
    assert again.sent == ["997_000000001.x12"]  # the answer already sent is sent once more
    assert sorted(p.name for p in folders["inbox"].iterdir()) == ["997_000000001.x12"]
    assert len(store.documents_of_file(first.taken[0][1].file_id)) == 1


def test_an_unchanged_acknowledgement_is_published_under_the_same_name(tmp_path):
    partner = read_partner(REPO / "partners" / "northwind.yaml")
    (tmp_path / "var" / "partners" / "northwind" / "outbox").mkdir(parents=True)
    (tmp_path / "var" / "partners" / "northwind" / "inbox").mkdir(parents=True)
    with LocalChannel(partner, base=tmp_path) as channel:
        channel.publish("997_000000009.x12", b"first")
        channel.publish("997_000000009.x12", b"first")
    inbox = tmp_path / "var" / "partners" / "northwind" / "inbox"
    assert [p.name for p in inbox.iterdir()] == ["997_000000009.x12"]  # no .part left over
