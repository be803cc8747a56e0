"""`gateway poll` over a real OpenSSH sshd, as an operator runs it."""

from __future__ import annotations

import signal
import threading
from contextlib import suppress
from functools import partial
from pathlib import Path

import paramiko
import pytest

from gateway.errors import TransientTransportError
from gateway.transport.sftp import SftpChannel
from tests.cli import run_gateway
from tests.transport.conftest import (
    FULL_BYTES,
    PartnerFactory,
    SftpServer,
    sftp_session,
    signal_connections,
)
from tests.x12.x12text import simple

REPO = Path(__file__).resolve().parents[2]


def test_gateway_poll_takes_files_and_answers_over_sftp(make_partner: PartnerFactory,
                                                        server: SftpServer,
                                                        tmp_path: Path) -> None:
    make_partner()  # partners/acme.yaml, keys/known_hosts: as an installation has them
    (tmp_path / "config.yaml").write_text(f"paths: {{mappings: '{REPO / 'mappings'}'}}\n")
    status = simple().replace(b"ZZ*PARTNER        ", b"ZZ*ACME           ")
    (server.root / "in" / "status.x12").write_bytes(status)
    (server.root / "in" / "notes.txt").write_bytes(b"not for us")  # outside the patterns

    gateway = partial(run_gateway, cwd=tmp_path)

    assert gateway("db", "upgrade").returncode == 0
    polled = gateway("poll", "acme", "--settle", "0.2")
    assert polled.returncode == 0, polled.stderr
    assert "took status.x12: file #1 accepted" in polled.stdout
    assert "sent 997_000000001.x12" in polled.stdout
    assert not (server.root / "in" / "status.x12").exists()  # taken after the commit
    assert (server.root / "in" / "notes.txt").exists()
    answer = (server.root / "out" / "997_000000001.x12").read_bytes()
    assert answer.startswith(b"ISA*") and b"AK9*A*1*1*1" in answer
    assert not list((server.root / "out").glob(".*.part"))

    again = gateway("poll", "acme", "--settle", "0.2")
    assert again.returncode == 0 and "nothing to do for acme" in again.stdout


def test_gateway_partners_test_reports_each_step(make_partner: PartnerFactory,
                                                 server: SftpServer, tmp_path: Path) -> None:
    gateway = partial(run_gateway, cwd=tmp_path)

    make_partner()
    (server.root / "in" / "waiting.x12").write_bytes(b"ISA")
    good = gateway("partners", "test", "acme")
    assert good.returncode == 0, good.stdout + good.stderr
    assert [line.split()[0] for line in good.stdout.splitlines()] == ["ok"] * 5
    assert "1 file waiting" in good.stdout
    assert list((server.root / "out").iterdir()) == []  # the probe is gone again

    make_partner(known_hosts="[127.0.0.1]:1 ssh-ed25519 "
                             "AAAAC3NzaC1lZDI1NTE5AAAAIGv8OmwvZ7GGbsQcBhKIJxVd4Zc2L2kxLDNzdNQ8jn0j\n")
    refused = gateway("partners", "test", "acme")
    assert refused.returncode == 1
    assert "FAIL connect and verify the host key" in refused.stdout


def test_one_poll_moves_a_180_856_214_and_recall_end_to_end(make_partner: PartnerFactory,
                                                            server: SftpServer,
                                                            tmp_path: Path) -> None:
    make_partner(patterns=["*.x12", "*.xml"])
    (tmp_path / "config.yaml").write_text(f"paths: {{mappings: '{REPO / 'mappings'}'}}\n")
    valid = REPO / "samples" / "valid"
    acme = b"ZZ*ACME           "  # the samples come from other senders: make them this partner's
    drops = {
        "rma.x12": (valid / "180-return-request-004010.x12").read_bytes()
        .replace(b"01*614832907      ", acme),
        "asn.x12": (valid / "856-pick-pack-004010.x12").read_bytes()
        .replace(b"01*614832907      ", acme),
        "status.x12": (valid / "214-status-004010.x12").read_bytes()
        .replace(b"02*ODFL           ", acme),
        "recall.xml": (REPO / "samples" / "recall" / "valid-stand-mixer-serials.xml")
        .read_bytes(),
    }
    for name, data in drops.items():
        assert name.endswith(".xml") or acme in data
        (server.root / "in" / name).write_bytes(data)

    gateway = partial(run_gateway, cwd=tmp_path)

    assert gateway("db", "upgrade").returncode == 0
    polled = gateway("poll", "acme", "--settle", "0.2")
    assert polled.returncode == 0, polled.stderr
    assert sorted(line.split()[1].rstrip(":") for line in polled.stdout.splitlines()
                  if line.startswith("took")) == sorted(drops)
    assert polled.stdout.count(" accepted") == 4
    assert list((server.root / "in").iterdir()) == []  # all taken, after their commits
    sent = sorted(p.name for p in (server.root / "out").iterdir())
    # Taken in name order (asn, recall, rma, status): the recall is file #2.
    assert sent == ["997_000000001.x12", "997_000000002.x12", "997_000000003.x12",
                    "recall-ack_RGW-000000002.xml"]
    assert b"<Status>ACCEPTED</Status>" in (server.root / "out" / sent[-1]).read_bytes()
    shown = gateway("show", "RMA7734021")
    assert shown.returncode == 0 and "return case" in shown.stdout
    assert "delivered" in shown.stdout and "on recall hold: line 1 under notice 26-031" \
        in shown.stdout
    assert len(list((tmp_path / "var" / "archive").rglob("*"))) >= 4


def test_a_connection_dropped_mid_poll_loses_nothing_and_doubles_nothing(
        make_partner: PartnerFactory, server: SftpServer, tmp_path: Path) -> None:
    partner = make_partner()
    data = simple().replace(b"ZZ*PARTNER        ", b"ZZ*ACME           ")
    (server.root / "in" / "status.x12").write_bytes(data)
    with SftpChannel(partner, timeout=5) as channel:
        [listed] = channel.list_inbound()
        assert signal_connections(server, signal.SIGKILL) >= 1
        with pytest.raises(TransientTransportError):  # retryable: not a hang, not a crash
            channel.fetch(listed.name)
    assert (server.root / "in" / "status.x12").read_bytes() == data  # still there

    (tmp_path / "config.yaml").write_text(f"paths: {{mappings: '{REPO / 'mappings'}'}}\n")

    gateway = partial(run_gateway, cwd=tmp_path)

    assert gateway("db", "upgrade").returncode == 0
    polled = gateway("poll", "acme", "--settle", "0.2")
    assert "took status.x12: file #1 accepted" in polled.stdout
    assert sorted(p.name for p in (server.root / "out").iterdir()) == ["997_000000001.x12"]
    assert gateway("files").stdout.count("accepted") == 1


def _fill(sftp: paramiko.SFTPClient, path: str) -> None:
    """Write to ``path`` until the file system refuses: the disk is then full."""
    with suppress(OSError), sftp.open(path, "wb") as filler:
        for _ in range(2 * FULL_BYTES // 4096):
            filler.write(b"x" * 4096)
            filler.flush()


def test_a_full_disk_on_upload_keeps_the_ack_owed_and_sends_it_once_later(
        make_partner: PartnerFactory, server: SftpServer, tmp_path: Path) -> None:
    make_partner(outbound="/full")  # a tmpfs of FULL_BYTES that only sshd sees
    (tmp_path / "config.yaml").write_text(f"paths: {{mappings: '{REPO / 'mappings'}'}}\n")
    data = simple().replace(b"ZZ*PARTNER        ", b"ZZ*ACME           ")
    (server.root / "in" / "status.x12").write_bytes(data)

    gateway = partial(run_gateway, cwd=tmp_path)

    assert gateway("db", "upgrade").returncode == 0
    with sftp_session(server) as sftp:
        try:
            _fill(sftp, "/full/filler")
            full = gateway("poll", "acme", "--settle", "0.2")
            assert full.returncode == 2, full.stdout + full.stderr
            assert "publish 997_000000001.x12 to /full" in full.stderr
            # The file was committed before the upload failed: stored once, taken from the
            # partner, and its acknowledgement still owed. No partial upload is left behind.
            assert not (server.root / "in" / "status.x12").exists()
            assert gateway("files").stdout.count("accepted") == 1
            assert sftp.listdir("/full") == ["filler"]

            sftp.remove("/full/filler")  # someone frees space
            later = gateway("poll", "acme", "--settle", "0.2")
            assert later.returncode == 0, later.stderr
            assert "sent 997_000000001.x12" in later.stdout
            assert sftp.listdir("/full") == ["997_000000001.x12"]
            with sftp.open("/full/997_000000001.x12") as answer:
                assert b"AK9*A*1*1*1" in answer.read()
            assert "nothing to do for acme" in gateway("poll", "acme").stdout
        finally:
            for name in sftp.listdir("/full"):  # the tmpfs outlives this test
                sftp.remove(f"/full/{name}")


def test_a_file_still_being_written_is_left_for_a_later_poll(
        make_partner: PartnerFactory, server: SftpServer, tmp_path: Path) -> None:
    make_partner()
    (tmp_path / "config.yaml").write_text(f"paths: {{mappings: '{REPO / 'mappings'}'}}\n")
    data = simple().replace(b"ZZ*PARTNER        ", b"ZZ*ACME           ")
    growing = server.root / "in" / "status.x12"
    growing.write_bytes(data[:40])
    done = threading.Event()

    def partner_still_writing() -> None:  # as a slow upload by the partner looks
        while not done.wait(0.2):
            with growing.open("ab") as out:
                out.write(b" ")

    gateway = partial(run_gateway, cwd=tmp_path)

    assert gateway("db", "upgrade").returncode == 0
    writer = threading.Thread(target=partner_still_writing)
    writer.start()
    try:
        polled = gateway("poll", "acme", "--settle", "1")
    finally:
        done.set()
        writer.join()
    assert polled.returncode == 0, polled.stderr
    assert "left status.x12: still being written" in polled.stdout
    assert growing.exists() and gateway("files").stdout.strip() == "no files"

    growing.write_bytes(data)  # the upload finished
    settled = gateway("poll", "acme", "--settle", "0.2")
    assert "took status.x12: file #1 accepted" in settled.stdout
    assert not growing.exists()
