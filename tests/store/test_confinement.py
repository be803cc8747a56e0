"""A partner's local folders confine what the gateway takes and writes: only regular files
directly in the inbound folder are taken, opened without following links; a link (to a secret
outside the folder, to /etc/passwd, to another partner's folder or file), a named pipe, a
device or a subfolder is skipped and reported once, never archived; relative folders are read
under the project folder, never the working directory; nothing is written through a link.

The polls run on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import itertools
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.app.partners import PartnerSettings
from gateway.app.poll import PollReport, poll_once
from gateway.bootstrap import ingest_ports, open_channel
from gateway.config.partners import read_partner
from gateway.errors import PermanentTransportError, TransientTransportError
from gateway.store.repository import SqlStore
from gateway.transport.local import LocalChannel, SkipMemory
from tests.store.workspace import migrated_store

REPO = Path(__file__).resolve().parents[2]
REQUEST = REPO / "samples" / "valid" / "180-return-request-004010.x12"  # Northwind's own
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SECRET = b"-----BEGIN OPENSSH PRIVATE KEY-----\nnot for partners\n"


@dataclass
class Site:
    """A project folder: partners/ with Northwind's file (relative folders under
    var/partners/northwind) and Acme, another partner, with a file waiting in its own
    outbox; a secret outside every partner folder."""

    root: Path
    partner: PartnerSettings
    store: SqlStore
    archive: Path
    poll: Callable[[], PollReport]

    @property
    def outbox(self) -> Path:  # the partner's outbox: our inbound folder
        return self.root / "var" / "partners" / "northwind" / "outbox"

    @property
    def secret(self) -> Path:
        return self.root / "keys" / "acme"

    @property
    def acme_file(self) -> Path:
        return self.root / "var" / "partners" / "acme" / "outbox" / "rma-acme.x12"

    def archived(self) -> list[Path]:
        return sorted(p for p in self.archive.rglob("*") if p.is_file()) \
            if self.archive.exists() else []

    def files_recorded(self) -> int:
        return len(self.store.recent_files(limit=100))


def make_site(database_url: str, tmp_path: Path, memory: SkipMemory) -> Site:
    root = tmp_path / "project"
    (root / "partners").mkdir(parents=True)
    shutil.copy(REPO / "partners" / "northwind.yaml", root / "partners")
    for partner_id in ("northwind", "acme"):
        for name in ("outbox", "inbox", "done"):
            (root / "var" / "partners" / partner_id / name).mkdir(parents=True)
    (root / "keys").mkdir()
    (root / "keys" / "acme").write_bytes(SECRET)
    (root / "var" / "partners" / "acme" / "outbox" / "rma-acme.x12").write_bytes(
        REQUEST.read_bytes().replace(b"RR20260114001", b"ACME-PRIVATE"))
    store, config = migrated_store(database_url, tmp_path / "archive")
    partner = read_partner(root / "partners" / "northwind.yaml")
    ports, settings = ingest_ports(config, store, partner)
    channel = LocalChannel(partner, memory=memory)  # folders read under the project folder
    ticks = itertools.count()

    def poll() -> PollReport:
        return poll_once("northwind", channel, ports, settings, store,
                         clock=lambda: NOW + timedelta(seconds=next(ticks)), settle=0.01,
                         sleep=lambda seconds: None)
    return Site(root, partner, store, tmp_path / "archive", poll)


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Site:
    return make_site(database_url, tmp_path, SkipMemory())


def plant_attacks(site: Site) -> dict[str, str]:
    """Everything a hostile partner can put in its outbox besides files, with the words the
    report must use for each."""
    outbox = site.outbox
    (outbox / "key.x12").symlink_to(site.secret)
    (outbox / "passwd.x12").symlink_to("/etc/passwd")
    (outbox / "acme-file.x12").symlink_to(site.acme_file)
    (outbox / "acme-folder.x12").symlink_to(site.acme_file.parent, target_is_directory=True)
    os.mkfifo(outbox / "pipe.x12")
    (outbox / "nested.x12").mkdir()
    (outbox / "nested.x12" / "inner.x12").write_bytes(REQUEST.read_bytes())
    (outbox / "batch").mkdir()
    shutil.copy(REQUEST, outbox / "batch" / "rma.x12")
    return {"key.x12": "a symbolic link", "passwd.x12": "a symbolic link",
            "acme-file.x12": "a symbolic link", "acme-folder.x12": "a symbolic link",
            "pipe.x12": "a named pipe (FIFO)", "nested.x12": "a folder"}


def test_only_regular_files_directly_in_the_inbound_folder_are_taken(
        site: Site, caplog: pytest.LogCaptureFixture) -> None:
    expected = plant_attacks(site)
    shutil.copy(REQUEST, site.outbox / "rma.x12")

    with caplog.at_level(logging.WARNING, logger="gateway.run"):
        first = site.poll()

    assert [(name, r.state) for name, r in first.taken] == [("rma.x12", "accepted")]
    assert {name: why.split(":")[0].split(" (to ")[0] for name, why in first.skipped} \
        == expected
    assert dict(first.skipped)["key.x12"].startswith(f"a symbolic link (to '{site.secret}')")
    assert site.files_recorded() == 1 and len(site.archived()) == 1  # rma.x12, nothing else
    stored = site.archived()[0].read_bytes()
    assert stored == REQUEST.read_bytes() and SECRET not in stored
    logged = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(logged) == len(expected)
    assert any("northwind: skipped key.x12 in the inbound folder, never taken: a symbolic "
               "link" in line for line in logged)

    # Skipped, never removed or followed: what we did not take stays as the partner left it.
    assert (site.outbox / "key.x12").is_symlink() and site.secret.read_bytes() == SECRET
    assert site.acme_file.exists() and (site.outbox / "batch" / "rma.x12").exists()

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gateway.run"):
        second = site.poll()
    assert second.taken == [] and second.skipped == []  # reported once, not at every poll
    assert not [r for r in caplog.records if "skipped" in r.getMessage()]
    assert site.files_recorded() == 1 and len(site.archived()) == 1


def test_an_entry_replaced_by_another_is_reported_again(site: Site) -> None:
    link = site.outbox / "key.x12"
    link.symlink_to(site.secret)
    assert [name for name, _ in site.poll().skipped] == ["key.x12"]
    assert site.poll().skipped == []
    link.unlink()
    link.symlink_to("/etc/passwd")
    assert [why for _, why in site.poll().skipped] == [
        "a symbolic link (to '/etc/passwd'): links are never followed"]
    assert site.files_recorded() == 0 and site.archived() == []


def test_a_device_is_skipped(site: Site) -> None:
    try:
        os.mknod(site.outbox / "null.x12", 0o600 | 0o020000, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("this machine does not let the tests create a device node")
    report = site.poll()
    assert report.skipped == [("null.x12", "a device: only regular files are taken")]
    assert report.taken == [] and site.archived() == []


def test_nothing_is_written_through_a_link_in_the_outbound_folder(site: Site) -> None:
    """A partner plants our temporary name as a link to a file of ours: the answer is still
    published, and the file the link points to is untouched."""
    ours = site.root / "keys" / "gateway-config"
    ours.write_bytes(b"ours\n")
    inbox = site.outbox.parent / "inbox"
    (inbox / ".997_000000001.x12.part").symlink_to(ours)
    shutil.copy(REQUEST, site.outbox / "rma.x12")
    report = site.poll()
    assert report.sent == ["997_000000001.x12"]
    assert ours.read_bytes() == b"ours\n"
    assert (inbox / "997_000000001.x12").read_bytes().startswith(b"ISA*")
    assert not (inbox / "997_000000001.x12").is_symlink()
    assert sorted(p.name for p in inbox.iterdir()) == ["997_000000001.x12"]


# --- the channel itself: no store needed ------------------------------------------------------
def channel_for(tmp_path: Path, transport: str) -> tuple[LocalChannel, Path]:
    """A partner file in tmp_path/partners with ``transport``, and its channel."""
    (tmp_path / "partners").mkdir(parents=True, exist_ok=True)
    path = tmp_path / "partners" / "northwind.yaml"
    path.write_text("id: northwind\nname: N\nrole: retailer\n"
                    "x12: {isa_qualifier: '01', isa_id: '614832907', gs_id: NW}\n"
                    f"transport: {transport}\nschedule: {{every: 60s}}\n")
    return LocalChannel(read_partner(path), memory=SkipMemory()), tmp_path


def test_a_name_that_became_a_link_or_a_pipe_is_never_opened(tmp_path: Path) -> None:
    channel, root = channel_for(tmp_path, "{type: local, inbound: in, outbound: out}")
    for folder in ("in", "out"):
        (root / folder).mkdir()
    (root / "secret").write_bytes(SECRET)
    (root / "in" / "a.x12").symlink_to(root / "secret")
    os.mkfifo(root / "in" / "b.x12")
    with channel:
        assert channel.list_inbound() == []
        for name in ("a.x12", "b.x12"):  # listed as files earlier, swapped since
            with pytest.raises(TransientTransportError, match=r"cannot be fetched|no longer"):
                channel.fetch(name)
        for trick in ("../secret", "/etc/passwd", "..", ""):
            with pytest.raises(PermanentTransportError, match="not a plain file name"):
                channel.fetch(trick)


def test_relative_folders_are_read_under_the_project_not_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    channel, _ = channel_for(project, "{type: local, inbound: in, outbound: out, "
                                      "after_pickup: 'move:done'}")
    for folder in ("in", "out"):
        (project / folder).mkdir()
    shutil.copy(REQUEST, project / "in" / "rma.x12")
    elsewhere = tmp_path / "elsewhere"
    for folder in ("in", "out"):  # the same relative names, under the working directory
        (elsewhere / folder).mkdir(parents=True)
    (elsewhere / "in" / "decoy.x12").write_bytes(b"ISA*decoy")
    monkeypatch.chdir(elsewhere)

    partner = read_partner(project / "partners" / "northwind.yaml")
    with open_channel(partner) as opened:
        assert [f.name for f in opened.list_inbound()] == ["rma.x12"]
    with channel:
        channel.after_pickup("rma.x12")
    assert (project / "done" / "rma.x12").exists() and not (elsewhere / "done").exists()


def test_a_folder_replaced_by_a_link_is_refused(tmp_path: Path) -> None:
    """Whoever can write beside the inbound or the done folder cannot point the gateway at
    another partner's folder."""
    channel, root = channel_for(tmp_path, "{type: local, inbound: in, outbound: out, "
                                          "after_pickup: 'move:done'}")
    (root / "acme").mkdir()
    (root / "in").symlink_to(root / "acme", target_is_directory=True)
    (root / "out").mkdir()
    with pytest.raises(PermanentTransportError, match=r"inbound folder .*in is a symbolic link"):
        channel.__enter__()
    (root / "in").unlink()
    (root / "in").mkdir()
    shutil.copy(REQUEST, root / "in" / "rma.x12")
    (root / "done").symlink_to(root / "acme", target_is_directory=True)
    with channel, pytest.raises(PermanentTransportError, match="after_pickup folder"):
        channel.after_pickup("rma.x12")
    assert list((root / "acme").iterdir()) == []  # nothing moved into the other folder
    assert (root / "in" / "rma.x12").exists()  # left for the next poll (a duplicate then)


@pytest.mark.parametrize("key", ["inbound", "outbound", "after_pickup"])
def test_a_folder_climbing_out_with_dotdot_is_refused(tmp_path: Path, key: str) -> None:
    folders = {"inbound": "in", "outbound": "out", "after_pickup": "'move:done'"}
    folders[key] = "'../acme/outbox'" if key != "after_pickup" else "'move:done/../../acme'"
    transport = "{type: local, " + ", ".join(f"{k}: {v}" for k, v in folders.items()) + "}"
    with pytest.raises(PermanentTransportError, match=f"transport.{key} is .*'..' is not "
                                                      "allowed"):
        channel_for(tmp_path, transport)
