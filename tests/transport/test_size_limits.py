"""Files over limits.file_size over SFTP, through `gateway ingest` and in `gateway run`:
refused unread (an SFTP download stops one byte past the limit), recorded once as rejected
with the reason, alerted once, and left in the partner's folder. (Local polls on both
databases: tests/store/test_refused_files.py.)"""

from __future__ import annotations

import io
import logging
import shutil
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from gateway.app.ports import FileTooLarge
from gateway.config.settings import load_config
from gateway.scheduler import Daemon
from gateway.transport import sftp as sftp_module
from gateway.transport.sftp import PREFETCH_FROM_BYTES, SftpChannel
from tests.cli import run_gateway
from tests.store.test_daemon import partner_yaml
from tests.test_metrics import project_with
from tests.transport.conftest import PartnerFactory, SftpServer
from tests.x12.x12text import simple

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "samples" / "valid"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LIMIT = 1024


# --- gateway run: the alert -------------------------------------------------------------------
def test_the_daemon_alerts_a_file_too_large_once(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    project = project_with(tmp_path, {"northwind": partner_yaml("northwind",
                                                                ("01", "614832907"))},
                           "limits: {file_size: 1KB}\n")
    (project / "in/northwind/big.x12").write_bytes(b"x" * 5_000)
    shutil.copy(VALID / "180-return-request-004010.x12", project / "in/northwind/rma.x12")
    monkeypatch.chdir(project)
    daemon = Daemon(load_config(project / "config.yaml"), settle=0)
    daemon.prepare()
    caplog.set_level(logging.INFO)

    daemon._poll("northwind")
    daemon._poll("northwind")  # still there: no second record, no second alert

    alerts = [r for r in caplog.records if r.getMessage().startswith("ALERT")]
    assert [getattr(r, "alert_id", None) for r in alerts] == ["file-too-large-1"]
    assert ("ALERT file-too-large northwind: northwind: file #1 big.x12 was refused unread: "
            "big.x12 is 5,000 bytes, over the limit of 1,024 bytes set by limits.file_size in "
            "config.yaml. It is still in the partner's folder") in alerts[0].getMessage()
    assert (project / "in/northwind/big.x12").exists()
    assert not (project / "in/northwind/rma.x12").exists()  # the other file was taken
    assert [f.file.state for f in daemon.store.recent_files()] == ["accepted", "rejected"]


# --- gateway ingest ---------------------------------------------------------------------------
def test_gateway_ingest_refuses_a_file_over_the_limit_before_reading_it(
        tmp_path: Path) -> None:
    project = project_with(tmp_path, {}, "limits: {file_size: 1KB}\n")
    gateway = partial(run_gateway, cwd=project)
    big = project / "big.x12"
    big.write_bytes(b"ISA" + b"*" * 2_000)
    shutil.copy(VALID / "180-return-request-004010.x12", project / "rma.x12")

    done = gateway("ingest", "--partner", "northwind", "big.x12", "rma.x12")

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert ("big.x12: file #1 rejected\n    refused unread: big.x12 is 2,003 bytes, over the "
            "limit of 1,024 bytes set by limits.file_size in config.yaml") in done.stdout
    assert "rma.x12: file #2 accepted" in done.stdout
    again = gateway("ingest", "--partner", "northwind", "big.x12")
    assert again.returncode == 1 and "big.x12: file #1 rejected" in again.stdout
    listed = gateway("files", "--state", "rejected")
    assert [line.split()[0] for line in listed.stdout.splitlines()
            if line.startswith("#")] == ["#1"]


# --- SFTP -------------------------------------------------------------------------------------
def test_gateway_poll_over_sftp_leaves_a_file_over_the_limit(make_partner: PartnerFactory,
                                                             server: SftpServer,
                                                             tmp_path: Path) -> None:
    make_partner()
    (tmp_path / "config.yaml").write_text(f"paths: {{mappings: '{REPO / 'mappings'}'}}\n"
                                          "limits: {file_size: 1KB}\n")
    status = simple().replace(b"ZZ*PARTNER        ", b"ZZ*ACME           ")
    (server.root / "in" / "status.x12").write_bytes(status)
    (server.root / "in" / "big.x12").write_bytes(b"ISA" + b"*" * 5_000)
    gateway = partial(run_gateway, cwd=tmp_path)
    assert gateway("db", "upgrade").returncode == 0

    polled = gateway("poll", "acme", "--settle", "0.2")

    assert polled.returncode == 0, polled.stderr
    assert "took big.x12: file #1 rejected" in polled.stdout
    assert ("left big.x12: refused unread: big.x12 is 5,003 bytes, over the limit of 1,024 "
            "bytes set by limits.file_size in config.yaml (file #1)") in polled.stdout
    assert "took status.x12: file #2 accepted" in polled.stdout
    assert (server.root / "in" / "big.x12").stat().st_size == 5_003  # left where it is
    assert not (server.root / "in" / "status.x12").exists()
    again = gateway("poll", "acme", "--settle", "0.2")
    assert "took" not in again.stdout and "left big.x12: refused unread" in again.stdout


@pytest.mark.parametrize("size", [PREFETCH_FROM_BYTES * 2, 2_000])  # with and without prefetch
def test_an_sftp_download_stops_one_byte_past_the_limit(make_partner: PartnerFactory,
                                                        server: SftpServer, size: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    copied: list[int] = []
    real_copy = sftp_module.copy_within

    def watched(source: Any, target: Any, name: str, max_bytes: int | None) -> int:
        written = io.BytesIO()  # what reached the sink, even when the copy stops with an error
        try:
            return real_copy(source, written, name, max_bytes)
        finally:
            copied.append(len(written.getvalue()))
            target.write(written.getvalue())
    monkeypatch.setattr(sftp_module, "copy_within", watched)
    limit = size // 2
    (server.root / "in" / "big.x12").write_bytes(b"x" * size)
    (server.root / "in" / "fits.x12").write_bytes(b"y" * limit)

    with SftpChannel(make_partner()) as channel:
        with pytest.raises(FileTooLarge):
            channel.fetch("big.x12", max_bytes=limit)
        assert channel.fetch("fits.x12", max_bytes=limit) == b"y" * limit

    assert copied == [limit + 1, limit]  # never the whole of the big one
    assert (server.root / "in" / "big.x12").stat().st_size == size
