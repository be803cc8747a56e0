"""`gateway run` as a real process: polls on schedule, reloads partner files, backs off a
partner it cannot reach, and on SIGTERM finishes what is in flight and exits cleanly."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest

from gateway.bootstrap import open_store
from gateway.config.settings import load_config
from tests.cli import run_gateway

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "samples" / "valid"


def partner_yaml(partner_id: str, isa: tuple[str, str]) -> str:
    return (f"id: {partner_id}\nname: {partner_id}\nrole: retailer\n"
            f"x12: {{isa_qualifier: '{isa[0]}', isa_id: '{isa[1]}', gs_id: X{isa[1]}}}\n"
            f"transport: {{type: local, inbound: in/{partner_id}, outbound: out/{partner_id}}}\n"
            "schedule: {every: 1s}\n")


def wait_for(predicate, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_the_daemon_polls_reloads_backs_off_and_stops(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "partners").mkdir()
    (tmp_path / "config.yaml").write_text(f"paths: {{mappings: '{REPO / 'mappings'}'}}\n")
    (tmp_path / "partners" / "northwind.yaml").write_text(
        partner_yaml("northwind", ("01", "614832907")))
    for folder in ("in/northwind", "out/northwind"):
        (tmp_path / folder).mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "gateway.cli", "db", "upgrade"], cwd=tmp_path,
                   check=True, capture_output=True)
    shutil.copy(VALID / "180-return-request-004010.x12", tmp_path / "in/northwind/rma.x12")

    log = tmp_path / "daemon.log"  # read while it runs: the test waits for what it says
    with log.open("w") as sink:
        daemon = subprocess.Popen([sys.executable, "-m", "gateway.cli", "run", "--settle",
                                   "0.2"], cwd=tmp_path, stdout=sink, stderr=sink, text=True)
    try:
        answer = tmp_path / "out/northwind/997_000000001.x12"
        assert wait_for(answer.exists, 20), "the first poll did not answer"
        assert not (tmp_path / "in/northwind/rma.x12").exists()

        # A partner added while running is polled without a restart ...
        (tmp_path / "partners" / "odfl.yaml").write_text(partner_yaml("odfl", ("02", "ODFL")))
        for folder in ("in/odfl", "out/odfl"):
            (tmp_path / folder).mkdir(parents=True)
        shutil.copy(VALID / "214-status-004010.x12", tmp_path / "in/odfl/status.x12")
        assert wait_for((tmp_path / "out/odfl/997_000000001.x12").exists, 25)
        # ... and one whose folder is missing is backed off, loudly, without stopping others.
        (tmp_path / "partners" / "saia.yaml").write_text(partner_yaml("saia", ("02", "SAIA")))
        # Until the daemon says so (a fixed 7 s sleep was too short on a busy machine).
        assert wait_for(lambda: "saia: cannot be polled" in log.read_text(), 60), \
            log.read_text()
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
    err = log.read_text()
    assert daemon.returncode == 0, err
    assert "started: 1 partners (northwind)" in err
    assert "partner files reloaded" in err
    assert "saia: cannot be polled, backing off" in err and "in/saia" in err
    assert err.rstrip().endswith("stopped")
    assert "Traceback" not in err
    # Each poll is recorded for the console: when, whether it worked, the next one due.
    monkeypatch.chdir(tmp_path)
    store = open_store(load_config(tmp_path / "config.yaml"))
    polls = store.poll_records()
    store.close()
    assert polls["northwind"].ok and polls["northwind"].next_poll_at is not None
    assert not polls["saia"].ok and "in/saia" in (polls["saia"].error or "")


def test_acknowledgements_owed_between_polls_are_sent_without_waiting_for_a_poll(
        tmp_path: Path) -> None:
    (tmp_path / "partners").mkdir()
    (tmp_path / "config.yaml").write_text(f"paths: {{mappings: '{REPO / 'mappings'}'}}\n")
    hourly = partner_yaml("northwind", ("01", "614832907")).replace("every: 1s", "every: 1h")
    (tmp_path / "partners" / "northwind.yaml").write_text(hourly)
    for folder in ("in/northwind", "out/northwind"):
        (tmp_path / folder).mkdir(parents=True)

    gateway = partial(run_gateway, cwd=tmp_path)

    assert gateway("db", "upgrade").returncode == 0
    daemon = subprocess.Popen([sys.executable, "-m", "gateway.cli", "run", "--settle", "0.2",
                               "--outbox-every", "1"],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        time.sleep(3)  # the start-up poll has found nothing; the next is an hour away
        taken = gateway("ingest", "--partner", "northwind",
                        str(VALID / "180-return-request-004010.x12"))
        assert taken.returncode == 0, taken.stdout + taken.stderr
        answer = tmp_path / "out/northwind/997_000000001.x12"
        assert wait_for(answer.exists, 15), "the owed acknowledgement was not sent"
        time.sleep(2)  # more outbox runs: it must not be sent again
    finally:
        daemon.send_signal(signal.SIGTERM)
        _out, err = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, err
    assert err.count("northwind: sent 997_000000001.x12") == 1
    assert sorted(p.name for p in (tmp_path / "out/northwind").iterdir()) == [
        "997_000000001.x12"]
    assert "Traceback" not in err
