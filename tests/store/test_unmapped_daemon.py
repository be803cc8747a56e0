"""`gateway run` raises one alert per unmapped file (``unmapped-file-<id>``: a log line and the
signed webhook) and counts it in its metrics."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from gateway.app.watchers import AlertMemory
from gateway.config.settings import load_config
from gateway.monitoring.alerts import Alerter
from gateway.scheduler import Daemon
from tests.store.test_daemon import partner_yaml
from tests.store.test_unmapped import REPO, REQUEST, REQUIRED_BGN06
from tests.test_metrics import project_with

SECRET = b"unmapped-hook-secret"
Received = list[tuple[dict[str, str], bytes]]


@pytest.fixture
def webhook() -> Iterator[tuple[str, Received]]:
    received: Received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append((dict(self.headers),
                             self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def test_an_unmapped_file_is_alerted_once_and_counted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        webhook: tuple[str, Received]) -> None:
    project = project_with(tmp_path, {"northwind": partner_yaml("northwind",
                                                                ("01", "614832907"))})
    shutil.copytree(REPO / "mappings", project / "mappings")
    (project / "mappings" / "partners" / "northwind" / "180.yaml").write_text(REQUIRED_BGN06)
    (project / "config.yaml").write_text("paths: {mappings: mappings}\n")
    monkeypatch.chdir(project)
    daemon = Daemon(load_config(project / "config.yaml"), settle=0)
    daemon.prepare()
    url, received = webhook
    daemon.alerter = Alerter(url, SECRET, on_alert=daemon.alerter.on_alert)
    daemon.alerts = AlertMemory(daemon.alerter)
    caplog.set_level(logging.INFO)

    shutil.copy(REQUEST, project / "in" / "northwind" / "rma.x12")
    daemon._poll("northwind")
    daemon._poll("northwind")  # nothing new: nothing raised again

    [(headers, body)] = received
    alert = json.loads(body)
    assert (alert["id"], alert["kind"], alert["partner"]) == (
        "unmapped-file-1", "unmapped-file", "northwind")
    assert alert["details"]["state"] == "accepted-unmapped"
    [unmapped] = alert["details"]["sets"]
    assert (unmapped["set_id"], unmapped["isa13"], unmapped["gs06"], unmapped["st02"]) == (
        "180", "000000101", "101", "0001")
    assert unmapped["reasons"] == ["segment 2 (BGN): required value rma number (BGN/06) not found"]
    assert "gateway replay --unmapped" in alert["message"]
    digest = hmac.new(SECRET, headers["X-Gateway-Timestamp"].encode() + b"." + body,
                      hashlib.sha256).hexdigest()
    assert headers["X-Gateway-Signature"] == f"sha256={digest}"
    assert any(r.levelno == logging.ERROR and getattr(r, "alert_id", None) == "unmapped-file-1"
               for r in caplog.records)  # the log line, always

    metric = daemon.metrics.registry.get_sample_value
    assert metric("gateway_files_taken_total",
                  {"partner": "northwind", "state": "accepted-unmapped"}) == 1
    assert metric("gateway_unmapped_files_total", {"partner": "northwind"}) == 1
    assert metric("gateway_alerts_raised_total",
                  {"kind": "unmapped-file", "partner": "northwind"}) == 1
