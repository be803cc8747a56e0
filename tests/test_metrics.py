"""`gateway run --metrics-port`: a real daemon process, scraped over HTTP, counting real files."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from gateway.cli.command import full_parser as cli_parser
from gateway.monitoring.metrics import GatewayMetrics, StoreSnapshot
from tests.cli import run_gateway
from tests.store.test_daemon import partner_yaml, wait_for

REPO = Path(__file__).resolve().parents[1]
VALID = REPO / "samples" / "valid"


class RunningDaemon:
    """`gateway run ARGS` in ``project``, its stderr collected in a file."""

    def __init__(self, project: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.log = project / "daemon.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway.cli", "run", "--settle", "0.2", *args],
                cwd=project, stdout=log, stderr=log, env=env)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        assert self.process.returncode == 0, self.text()
        return self.text()

    def metrics_url(self) -> str:
        assert wait_for(lambda: "metrics on http://" in self.text(), 20), self.text()
        found = re.search(r"metrics on (http://127\.0\.0\.1:\d+/metrics)", self.text())
        assert found, self.text()
        return found[1]


def project_with(tmp_path: Path, partners: dict[str, str], config: str = "") -> Path:
    """A project folder: config.yaml, partner files, their local folders, a migrated store."""
    (tmp_path / "partners").mkdir()
    (tmp_path / "config.yaml").write_text(f"paths: {{mappings: '{REPO / 'mappings'}', "
                                          f"programs: '{REPO / 'programs'}'}}\n" + config)
    for partner_id, text in partners.items():
        (tmp_path / "partners" / f"{partner_id}.yaml").write_text(text)
        for folder in (f"in/{partner_id}", f"out/{partner_id}"):
            (tmp_path / folder).mkdir(parents=True)
    assert run_gateway("db", "upgrade", cwd=tmp_path).returncode == 0
    return tmp_path


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


@pytest.fixture
def daemon_project(tmp_path: Path) -> Iterator[tuple[Path, RunningDaemon]]:
    hourly = partner_yaml("odfl", ("02", "ODFL")).replace("every: 1s", "every: 1h").replace(
        "role: retailer", "role: carrier")  # odfl sends 214s: a carrier's document
    project = project_with(tmp_path, {"northwind": partner_yaml("northwind",
                                                                ("01", "614832907")),
                                      "odfl": hourly})
    # The outbox job runs hourly: what `gateway ingest` queues for odfl stays pending.
    daemon = RunningDaemon(project, "--metrics-port", "0", "--outbox-every", "3600")
    try:
        yield project, daemon
    finally:
        if daemon.process.poll() is None:
            daemon.stop()


def test_a_dropped_file_moves_the_counters_of_a_running_daemon(
        daemon_project: tuple[Path, RunningDaemon]) -> None:
    project, daemon = daemon_project
    url = daemon.metrics_url()
    before = scrape(url)
    assert value(before, "gateway_files_taken_total", partner="northwind",
                 state="accepted") is None
    assert value(before, "gateway_outbox_pending", partner="northwind") == 0

    request = VALID / "180-return-request-004010.x12"
    shutil.copy(request, project / "in/northwind/rma.x12")
    # A carrier's file in the retailer's folder: its ISA sender is not northwind, rejected.
    shutil.copy(VALID / "214-status-004010.x12", project / "in/northwind/stray.x12")
    assert wait_for((project / "out/northwind/997_000000001.x12").exists, 20), daemon.text()
    assert wait_for(lambda: "rejected-file" in daemon.text(), 10), daemon.text()
    taken = run_gateway("ingest", "--partner", "odfl", str(VALID / "214-status-004010.x12"),
                        cwd=project)
    assert taken.returncode == 0, taken.stdout + taken.stderr

    after = scrape(url)
    assert value(after, "gateway_files_taken_total", partner="northwind",
                 state="accepted") == 1
    assert value(after, "gateway_files_taken_total", partner="northwind",
                 state="rejected") == 1
    assert value(after, "gateway_rejected_files_total", partner="northwind") == 1
    assert (value(after, "gateway_transaction_sets_total", partner="northwind",
                  outcome="accepted") or 0) >= 1
    assert value(after, "gateway_transfer_bytes_total", partner="northwind",
                 direction="fetch") == request.stat().st_size + (
        VALID / "214-status-004010.x12").stat().st_size
    assert (value(after, "gateway_transfer_bytes_total", partner="northwind",
                  direction="publish") or 0) > 0
    assert (value(after, "gateway_transfer_duration_seconds_count", partner="northwind",
                  direction="fetch")) == 2
    assert (value(after, "gateway_poll_duration_seconds_count", partner="northwind",
                  result="ok") or 0) >= 1
    assert (value(after, "gateway_last_successful_poll_timestamp_seconds",
                  partner="northwind") or 0) > time.time() - 60
    assert value(after, "gateway_alerts_raised_total", kind="rejected-file",
                 partner="northwind") == 1
    # Read from the store at scrape time: odfl's 997 waits for the hourly outbox job.
    assert value(after, "gateway_outbox_pending", partner="odfl") == 1
    assert value(after, "gateway_outbox_pending", partner="northwind") == 0
    assert value(after, "gateway_acks_overdue", partner="northwind") == 0
    assert value(after, "gateway_held_documents", partner="northwind") == 0
    # The request's two mixers are a customer return (DM), its crushed kettle damaged goods
    # (DA): the case is in the program of most units (programs/rules.yaml)
    assert value(before, "gateway_return_cases", partner="northwind",
                 program="customer-return") is None
    assert value(after, "gateway_return_cases", partner="northwind",
                 program="customer-return") == 1
    assert value(after, "gateway_return_units", partner="northwind",
                 program="customer-return") == 2
    assert value(after, "gateway_return_units", partner="northwind",
                 program="damaged-goods") == 1
    err = daemon.stop()
    assert "Traceback" not in err


def test_metrics_are_off_by_default_and_listen_on_loopback_only() -> None:
    # (The daemon test above finds its endpoint at http://127.0.0.1:PORT from the log.)
    args = cli_parser().parse_args(["run"])
    assert args.metrics_port is None and args.metrics_host == "127.0.0.1"


def test_each_daemon_has_its_own_registry_not_the_global_one() -> None:
    first, second = GatewayMetrics(), GatewayMetrics()
    first.file_taken("northwind", "accepted", ["accepted"])
    assert second.registry.get_sample_value(
        "gateway_files_taken_total", {"partner": "northwind", "state": "accepted"}) is None
    assert REGISTRY.get_sample_value(
        "gateway_files_taken_total", {"partner": "northwind", "state": "accepted"}) is None


def test_a_store_that_cannot_be_read_drops_only_the_scrape_time_gauges() -> None:
    def broken() -> StoreSnapshot:
        raise RuntimeError("database is locked")
    metrics = GatewayMetrics(broken)
    metrics.alert_raised("rejected-file", "northwind")
    assert metrics.registry.get_sample_value(
        "gateway_alerts_raised_total", {"kind": "rejected-file", "partner": "northwind"}) == 1
    assert metrics.registry.get_sample_value("gateway_outbox_pending",
                                             {"partner": "northwind"}) is None
