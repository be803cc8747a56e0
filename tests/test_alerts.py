"""Alerts: a rejected file, an unreachable partner (once per outage, and when it recovers), a
recall deadline near while recipients are silent; each once, through a signed webhook that can
fail without stopping anything."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from gateway.app.ports import RemoteFile
from gateway.app.watchers import Alert, AlertMemory, raise_recall_deadlines
from gateway.config.settings import load_config
from gateway.errors import TransientTransportError
from gateway.monitoring.alerts import Alerter
from gateway.recall import RecallResponse, ResponseStatus, build_recall_response
from gateway.scheduler import Daemon
from gateway.transport.retry import with_retries
from tests.store.test_daemon import partner_yaml, wait_for
from tests.store.test_outbound import NOW, Gateway, story
from tests.test_logs import SECURE
from tests.test_metrics import RunningDaemon, project_with

REPO = Path(__file__).resolve().parents[1]
VALID = REPO / "samples" / "valid"
SECRET = "hook-secret-0451"


@dataclass
class Hook:
    """A loopback webhook receiver: what it got, and how it should answer."""

    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    status: int = 204

    def alerts(self, kind: str | None = None) -> list[dict[str, Any]]:
        found = [json.loads(body) for _headers, body in self.received]
        return [a for a in found if kind is None or a["kind"] == kind]


@pytest.fixture
def hook() -> Iterator[Hook]:
    received: list[tuple[dict[str, str], bytes]] = []
    state: dict[str, Hook] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(state["hook"].status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    state["hook"] = Hook(f"http://127.0.0.1:{server.server_port}/hook", received)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state["hook"]
    finally:
        server.shutdown()
        server.server_close()


def signed(headers: dict[str, str], body: bytes) -> bool:
    expected = hmac.new(SECRET.encode(), headers["X-Gateway-Timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    return headers["X-Gateway-Signature"] == f"sha256={expected}"


def webhook_config(hook: Hook) -> str:
    return f"alerts: {{webhook_url: '{hook.url}', secret_env: HOOK_SECRET}}\n"


def test_the_daemon_alerts_a_rejected_file_and_an_unreachable_partner_once(
        tmp_path: Path, hook: Hook) -> None:
    project = project_with(tmp_path, {
        "northwind": partner_yaml("northwind", ("01", "614832907")), "secure": SECURE},
        webhook_config(hook))
    (project / "known_hosts").write_text("")
    # A carrier's file in the retailer's folder: its ISA sender is not northwind.
    shutil.copy(VALID / "214-status-004010.x12", project / "in/northwind/stray.x12")
    env = {**os.environ, "HOOK_SECRET": SECRET}
    env.pop("SECURE_KEY", None)  # secure's key is missing: it cannot be polled
    daemon = RunningDaemon(project, "--outbox-every", "1", env=env)
    try:
        assert wait_for(lambda: hook.alerts("rejected-file") and
                        hook.alerts("partner-unreachable"), 20), daemon.text()
        (project / "in/northwind/stray.x12").unlink(missing_ok=True)
        wait_for(lambda: False, 4)  # more polls and alert checks: nothing is raised again
    finally:
        text = daemon.stop()
    assert "Traceback" not in text
    [rejected] = hook.alerts("rejected-file")
    assert rejected["id"] == "rejected-file-1" and rejected["partner"] == "northwind"
    assert rejected["details"]["file"] == "stray.x12"
    assert "ODFL" in rejected["details"]["reason"]
    [down] = hook.alerts("partner-unreachable")
    assert down["partner"] == "secure" and down["details"]["permanent"] is True
    assert down["id"].startswith("partner-unreachable-secure-")
    assert len(hook.received) == 2
    assert all(signed(headers, body) for headers, body in hook.received)
    assert {headers["X-Gateway-Alert-Id"] for headers, _ in hook.received} == {
        rejected["id"], down["id"]}


class FlakyChannel:
    """A partner that is down while ``down`` is set (connection refused, retried)."""

    def __init__(self, switch: dict[str, bool]) -> None:
        self.switch = switch

    def __enter__(self) -> FlakyChannel:
        if self.switch["down"]:
            raise TransientTransportError("northwind (10.0.0.9:22): connect: refused")
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def list_inbound(self) -> list[RemoteFile]:
        return []

    def fetch(self, name: str) -> bytes:
        raise AssertionError("nothing to fetch")

    def fetch_into(self, name: str, target: object) -> int:
        raise AssertionError("nothing to fetch")

    def after_pickup(self, name: str) -> None:
        return None

    def publish(self, name: str, data: bytes) -> None:
        return None

    def remove_outbound(self, name: str) -> None:
        return None


def test_an_unreachable_partner_is_alerted_once_per_outage_and_its_recovery_said(
        tmp_path: Path, hook: Hook, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    project = project_with(tmp_path, {"northwind": partner_yaml("northwind",
                                                                ("01", "614832907"))},
                           webhook_config(hook))
    monkeypatch.chdir(project)
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    switch = {"down": True}
    monkeypatch.setattr("gateway.scheduler.open_channel", lambda partner: FlakyChannel(switch))
    no_waiting = partial(with_retries, attempts=2, sleep=lambda seconds: None)
    daemon = Daemon(load_config(project / "config.yaml"), settle=0, retries=no_waiting)
    daemon.prepare()
    caplog.set_level("INFO")

    for _tick in range(3):  # the retries give up three polls in a row: one outage
        daemon._poll("northwind")
    assert [a["kind"] for a in hook.alerts()] == ["partner-unreachable"]
    switch["down"] = False
    daemon._poll("northwind")
    daemon._poll("northwind")
    assert "northwind: reachable again" in caplog.text
    assert [a["kind"] for a in hook.alerts()] == ["partner-unreachable", "partner-reachable"]
    first_down, up = hook.alerts()
    assert up["id"] == first_down["id"].replace("unreachable", "reachable")
    switch["down"] = True
    daemon._poll("northwind")  # a new outage: a new alert
    daemon._poll("northwind")
    assert [a["kind"] for a in hook.alerts()] == [
        "partner-unreachable", "partner-reachable", "partner-unreachable"]
    assert hook.alerts()[2]["id"] != first_down["id"]
    assert daemon.metrics.registry.get_sample_value(
        "gateway_alerts_raised_total", {"kind": "partner-unreachable",
                                        "partner": "northwind"}) == 2


def recall_within(days: int) -> bytes:
    """The stand-mixer recall, its return deadline ``days`` after NOW."""
    notice = (REPO / "samples/recall/valid-stand-mixer-serials.xml").read_text()
    return notice.replace('deadline="2026-03-31"',
                          f'deadline="{(NOW + timedelta(days=days)).date()}"').encode()


@pytest.fixture
def recalled(tmp_path: Path) -> Gateway:
    """A retailer holding an affected mixer, notified of a recall due in two days."""
    gateway = Gateway(f"sqlite:///{tmp_path / 'gateway.sqlite'}", tmp_path)
    gateway.take("northwind", story("180-return-request-004010.x12"))
    assert gateway.take("recalls-hub", recall_within(2), "notice.xml").state == "accepted"
    assert [r.partner for r in gateway.store.recall_recipients_of("26-031")] == ["northwind"]
    return gateway


def test_a_near_recall_deadline_with_silent_recipients_alerts_once(
        recalled: Gateway, hook: Hook) -> None:
    memory = AlertMemory(Alerter(hook.url, SECRET.encode()))
    assert raise_recall_deadlines(recalled.store, memory, NOW, within_days=1) == []
    [alert] = raise_recall_deadlines(recalled.store, memory, NOW, within_days=3)
    assert raise_recall_deadlines(recalled.store, memory, NOW + timedelta(hours=1), 3) == []
    assert alert.id == f"recall-deadline-26-031-{(NOW + timedelta(days=2)).date()}"
    [(headers, body)] = hook.received
    assert signed(headers, body) and headers["X-Gateway-Alert-Id"] == alert.id
    sent = json.loads(body)
    assert sent["kind"] == "recall-deadline" and sent["details"]["not_answered"] == ["northwind"]
    assert "in 2 days" in sent["message"]


def test_no_recall_deadline_alert_once_every_recipient_answered(recalled: Gateway) -> None:
    [recipient] = recalled.store.recall_recipients_of("26-031")
    answer = build_recall_response(RecallResponse(
        notification_id=recipient.notification_id, notice_id="26-031", responder="northwind",
        responded_at=NOW, status=ResponseStatus.ACTING))
    assert recalled.take("northwind", answer, "response.xml").state == "accepted"
    memory = AlertMemory(Alerter())
    assert raise_recall_deadlines(recalled.store, memory, NOW, within_days=3) == []


def test_a_failing_webhook_is_retried_with_capped_backoff_and_never_raises(
        hook: Hook) -> None:
    waits: list[float] = []
    hook.status = 500
    alerter = Alerter(hook.url, SECRET.encode(), attempts=5, max_wait=1.5, sleep=waits.append)
    alerter.send(Alert("rejected-file-9", "rejected-file", "northwind", "file #9", {}))
    assert len(hook.received) == 5  # every attempt reached the receiver
    assert waits == [0.5, 1.0, 1.5, 1.5]  # exponential, then capped
    # Nobody listening at all: still only a log line.
    Alerter("http://127.0.0.1:9/hook", attempts=2, max_wait=0).send(
        Alert("rejected-file-10", "rejected-file", "northwind", "file #10", {}))


def test_alerts_are_signed_as_the_event_feed_is_standard_webhooks(hook: Hook) -> None:
    alerter = Alerter(hook.url, SECRET.encode())
    alerter.send(Alert("rejected-file-11", "rejected-file", "northwind", "file #11", {}))
    [(headers, body)] = hook.received
    # The receiver's side: the standardwebhooks library with the same secret's bytes.
    assert Webhook(SECRET.encode()).verify(body, headers)["id"] == "rejected-file-11"
    assert {k.lower(): v for k, v in headers.items()}["webhook-id"] == "rejected-file-11"
    with pytest.raises(WebhookVerificationError):
        Webhook(b"another secret").verify(body, headers)
    assert signed(headers, body)  # the earlier headers still come, for older receivers
