"""`gateway run` against a real sshd with three partners: retailer, carrier, recall coordinator.

Each partner logs in as its own chrooted SFTP user (conftest's PARTNER_USERS), as partners'
servers give us one account each."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.transport.conftest import PARTNER_USERS, SftpServer, sftp_session

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
PARTNERS = {  # id: (role, ISA qualifier, ISA id, the file it drops)
    "northwind": ("retailer", "01", "614832907", SAMPLES / "valid/180-return-request-004010.x12"),
    "odfl": ("carrier", "02", "ODFL", SAMPLES / "valid/214-status-004010.x12"),
    "cpsc": ("recall-coordinator", "ZZ", "CPSC", SAMPLES / "recall/valid-stand-mixer-serials.xml"),
}


def partner_yaml(partner_id: str, role: str, qualifier: str, isa_id: str,
                 server: SftpServer) -> str:
    return (f"id: {partner_id}\nname: {partner_id}\nrole: {role}\n"
            f"x12: {{isa_qualifier: '{qualifier}', isa_id: '{isa_id}', gs_id: {isa_id}}}\n"
            f"transport: {{type: sftp, host: 127.0.0.1, port: {server.port},\n"
            f"  username: {partner_id}, private_key: {{file: '{server.keys / 'ed25519'}'}},\n"
            "  known_hosts: keys/known_hosts, inbound: /in, outbound: /out,\n"
            "  patterns: ['*.x12', '*.xml']}\n"
            "schedule: {every: 1s}\n")


def home(server: SftpServer, partner_id: str) -> Path:
    """The partner user's chroot as the test sees it; the partner sees it as "/"."""
    assert partner_id in PARTNER_USERS
    return server.root / "partners" / partner_id


def wait_for(paths: list[Path], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(path.exists() for path in paths):
            return True
        time.sleep(0.2)
    return False


def test_three_partners_end_to_end_through_the_daemon(server: SftpServer,
                                                      tmp_path: Path) -> None:
    (tmp_path / "partners").mkdir()
    (tmp_path / "keys").mkdir()
    shutil.copy(server.known_hosts, tmp_path / "keys" / "known_hosts")
    (tmp_path / "config.yaml").write_text(f"paths: {{mappings: '{REPO / 'mappings'}'}}\n")
    for partner_id, (role, qualifier, isa_id, sample) in PARTNERS.items():
        (tmp_path / "partners" / f"{partner_id}.yaml").write_text(
            partner_yaml(partner_id, role, qualifier, isa_id, server))
        for folder in ("in", "out"):  # empty: the chroots outlive each test
            for leftover in (home(server, partner_id) / folder).iterdir():
                leftover.unlink()
        shutil.copy(sample, home(server, partner_id) / "in" / sample.name)
    subprocess.run([sys.executable, "-m", "gateway.cli", "db", "upgrade"], cwd=tmp_path,
                   check=True, capture_output=True)

    daemon = subprocess.Popen([sys.executable, "-m", "gateway.cli", "run", "--settle", "0.2"],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        answers = [home(server, "northwind") / "out/997_000000001.x12",
                   home(server, "odfl") / "out/997_000000001.x12"]
        assert wait_for(answers, 30), "the partners were not answered"
        deadline = time.monotonic() + 30
        while not list((home(server, "cpsc") / "out").glob("recall-ack_*.xml")):
            assert time.monotonic() < deadline, "no recall acknowledgement"
            time.sleep(0.2)
    finally:
        daemon.send_signal(signal.SIGTERM)
        _out, err = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, err
    for partner_id in PARTNERS:
        assert list((home(server, partner_id) / "in").iterdir()) == []
        assert len(list((home(server, partner_id) / "out").iterdir())) == 1  # its own answer
    shown = subprocess.run([sys.executable, "-m", "gateway.cli", "show", "RMA7734021"],
                           cwd=tmp_path, capture_output=True, text=True, check=False)
    assert "on recall hold: line 1 under notice 26-031" in shown.stdout
    assert "Traceback" not in err


def test_each_partner_user_sees_only_its_own_chroot(server: SftpServer) -> None:
    (home(server, "odfl") / "in" / "theirs.x12").write_bytes(b"odfl's file")
    try:
        with sftp_session(server, "northwind") as sftp:
            assert sorted(sftp.listdir("/")) == ["in", "out"]
            assert sorted(sftp.listdir("/..")) == ["in", "out"]  # the chroot is the top
            with pytest.raises(FileNotFoundError):
                sftp.stat("/../odfl/in/theirs.x12")
    finally:
        (home(server, "odfl") / "in" / "theirs.x12").unlink()
