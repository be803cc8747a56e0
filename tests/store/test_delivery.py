"""Delivering the event feed to a subscriber (issue 14, part 2): a real HTTP receiver on
127.0.0.1 that verifies every request with the standardwebhooks library's own verifier; the
gateway delivers each event at least once, in cursor order, backs off from a dead subscriber,
dead-letters an event the subscriber keeps refusing, and a SIGKILL between the POST and its
record only sends that one event again."""

from __future__ import annotations

import base64
import json
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from standardwebhooks import Webhook

from gateway.app.delivery import Subscription, deliver_round
from gateway.app.partners import SecretRef
from gateway.bootstrap import open_store, subscribers, webhook_sender
from gateway.config.settings import load_config
from gateway.config.subscribers import read_subscriber
from gateway.errors import ConfigError
from gateway.scheduler import CLUSTER, DELIVERY, Daemon
from gateway.transport.webhook import HttpWebhookSender
from tests.store import test_crash as crash
from tests.store.test_outbound import NOW, Gateway, story
from tests.store.test_outbound import gateway as gateway  # noqa: PLC0414 (the fixture)

SECRET = "whsec_" + base64.b64encode(b"a test secret of 24 bytes").decode()


class Receiver:
    """An internal system on loopback: verifies, records, and fails when told to."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []  # verified envelopes, in arrival order
        self.ids: list[str] = []  # webhook-id of each request
        self.refuse: set[int] = set()  # cursors answered 500
        self.redirect = False  # answer 302 to a page that would say 200 to a GET
        self.refusals = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            verifier: ClassVar[Webhook] = Webhook(SECRET)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                envelope = self.verifier.verify(body, dict(self.headers))  # raises if forged
                if receiver.redirect:
                    self.send_response(302)
                    self.send_header("location", "/elsewhere")
                    self.end_headers()
                    return
                if envelope["cursor"] in receiver.refuse:
                    receiver.refusals += 1
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b"\x1b[31mdown for maintenance")
                    return
                receiver.received.append(envelope)
                receiver.ids.append(self.headers["webhook-id"])
                self.send_response(204)
                self.end_headers()

            def do_GET(self) -> None:
                self.send_response(200)  # what a followed redirect would have taken as done
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def cursors(self) -> list[int]:
        return [e["cursor"] for e in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()


@pytest.fixture(autouse=True)
def signing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WMS_SECRET", SECRET)


def subscription(url: str, **changes: Any) -> Subscription:
    return Subscription(**{"name": "wms", "url": url, "secret": SecretRef(env="WMS_SECRET"),
                           "max_attempts": 3, "timeout_seconds": 5.0, **changes})


QUICK = HttpWebhookSender(attempts=2, wait=0.01)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def return_story(gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"))
    gateway.take("northwind", story("856-pick-pack-004010.x12"))
    gateway.take("odfl", story("214-status-004010.x12"))


def test_every_event_arrives_once_signed_and_in_order(gateway: Gateway,
                                                      receiver: Receiver) -> None:
    return_story(gateway)
    feed = gateway.store.events_after(0, limit=1000)
    report = deliver_round(subscription(receiver.url), gateway.store, QUICK, clock=Clock())
    assert report.delivered == [e.cursor for e in feed] and report.failed is None
    assert receiver.cursors() == [e.cursor for e in feed]
    assert receiver.ids == [e.event_id for e in feed]  # webhook-id: the stable event id
    assert receiver.received[0] == json.loads(json.dumps(feed[0].envelope()))
    again = deliver_round(subscription(receiver.url), gateway.store, QUICK, clock=Clock())
    assert again.delivered == [] and len(receiver.received) == len(feed)  # nothing twice
    state = gateway.store.subscriber_state("wms")
    assert state.delivered_cursor == feed[-1].cursor and state.failures == 0


def test_a_subscriber_gets_only_the_types_and_partners_it_asked_for(
        gateway: Gateway, receiver: Receiver) -> None:
    return_story(gateway)
    wanted = subscription(receiver.url, types=frozenset({"document.received"}),
                          partners=frozenset({"odfl"}))
    deliver_round(wanted, gateway.store, QUICK, clock=Clock())
    assert [(e["type"], e["partner"]) for e in receiver.received] == [
        ("document.received", "odfl")]


def test_a_dead_subscriber_is_backed_off_and_resumed_where_it_stopped(
        gateway: Gateway, receiver: Receiver) -> None:
    return_story(gateway)
    clock = Clock()
    nobody = subscription("http://127.0.0.1:9/hooks")  # discard port: connection refused
    first = deliver_round(nobody, gateway.store, QUICK, clock=clock)
    assert first.delivered == [] and "cannot reach" in (first.failed or "")
    state = gateway.store.subscriber_state("wms")
    assert state.failures == 1 and state.next_attempt_at is not None
    waiting = deliver_round(nobody, gateway.store, QUICK, clock=clock)
    assert waiting.waiting_until == state.next_attempt_at  # not even tried while backing off

    clock.now = state.next_attempt_at + timedelta(seconds=1)
    back = deliver_round(subscription(receiver.url), gateway.store, QUICK, clock=clock)
    assert back.delivered[0] == 1 and receiver.cursors() == back.delivered  # from the start
    assert gateway.store.subscriber_state("wms").failures == 0


def test_an_event_refused_max_attempts_times_is_dead_lettered_and_can_be_replayed(
        gateway: Gateway, receiver: Receiver, capsys: pytest.CaptureFixture[str]) -> None:
    return_story(gateway)
    clock = Clock()
    receiver.refuse = {2}
    wms = subscription(receiver.url)
    for _round in range(3):  # max_attempts = 3
        report = deliver_round(wms, gateway.store, QUICK, clock=clock)
        clock.now += timedelta(hours=1)  # past any back-off
    assert report.dead_lettered == [2]
    assert 2 not in receiver.cursors() and receiver.cursors()[0] == 1
    assert receiver.cursors()[1:] == list(range(3, 3 + len(receiver.cursors()) - 1))
    [(cursor, _id, attempts, error)] = gateway.store.dead_letters_of("wms")
    assert (cursor, attempts) == (2, 3) and "HTTP 500" in error and "\x1b" not in error

    receiver.refuse = set()
    gateway.store.rewind_subscriber("wms", 2)
    replayed = deliver_round(wms, gateway.store, QUICK, clock=clock)
    assert replayed.delivered[0] == 2 and gateway.store.dead_letters_of("wms") == []


def test_a_redirect_is_not_a_delivery(gateway: Gateway, receiver: Receiver) -> None:
    return_story(gateway)
    receiver.redirect = True
    report = deliver_round(subscription(receiver.url), gateway.store, QUICK, clock=Clock())
    assert report.delivered == [] and "HTTP 302" in (report.failed or "")
    assert gateway.store.subscriber_state("wms").delivered_cursor == 0


def test_a_missing_secret_is_a_clear_error_not_a_failed_delivery(
        gateway: Gateway, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    return_story(gateway)
    monkeypatch.delenv("WMS_SECRET")
    with pytest.raises(ConfigError, match="WMS_SECRET is not set"):
        deliver_round(subscription(receiver.url), gateway.store, QUICK, clock=Clock())
    assert gateway.store.subscriber_state("wms").failures == 0 and receiver.received == []


@pytest.mark.parametrize(("text", "problem"), [
    ("url: ftp://x\nsecret: {env: S}\n", "write an http(s) URL"),
    ("url: https://u:p@x.example/\nsecret: {env: S}\n", "holds credentials"),
    ("url: https://x.example/\nsecret: whsec_abc\n", "never the secret itself"),
    ("url: https://x.example/\nsecret: {env: ''}\n", "must be {env: VARIABLE}"),
    ("url: https://x.example/\n", "secret: is missing"),
    ("url: https://x.example/\nsecret: {env: S}\ntypes: [file.exploded]\n",
     "is not an event type"),
    ("url: https://x.example/\nsecret: {env: S}\nmax_attempts: 0\n", "from 1 to 1000"),
    ("url: https://x.example/\nsecret: {env: S}\ncolour: red\n", "not a known key"),
])
def test_a_broken_subscriber_file_names_the_key(tmp_path: Path, text: str,
                                                problem: str) -> None:
    path = tmp_path / "subscribers" / "wms.yaml"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(problem)) as caught:
        read_subscriber(path)
    assert "wms.yaml" in str(caught.value)


def subscribed_workspace(tmp_path: Path, database_url: str, receiver: Receiver) -> Path:
    """A project with the wms subscriber file and one ingested 856 (its events 1 to 3)."""
    root = crash.workspace(tmp_path, database_url)
    (root / "subscribers").mkdir()
    (root / "subscribers" / "wms.yaml").write_text(
        f"url: {receiver.url}\nsecret: {{env: WMS_SECRET}}\n")
    assert crash.gateway(root, "db", "upgrade").returncode == 0
    assert crash.gateway(root, "ingest", "--partner", "northwind",
                         str(crash.SAMPLE)).returncode == 0
    return root


def test_a_crash_between_post_and_record_sends_that_event_again_and_loses_none(
        tmp_path: Path, database_url: str, receiver: Receiver) -> None:
    root = subscribed_workspace(tmp_path, database_url, receiver)

    def deliver(crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {"PATH": "/usr/bin:/bin", "WMS_SECRET": SECRET,
               **({"GATEWAY_CRASH_AT": crash_at} if crash_at else {})}
        return subprocess.run([sys.executable, "-m", "gateway.cli", "subscriptions",
                               "deliver"], cwd=root, env=env, capture_output=True, text=True,
                              check=False, timeout=120)

    crashed = deliver(crash_at="after-webhook-post")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert receiver.cursors() == [1]  # taken by the subscriber, not recorded by us
    finished = deliver()
    assert finished.returncode == 0, finished.stdout + finished.stderr
    # The one in flight again, then the rest (the file, the case's move), in order.
    assert receiver.cursors() == [1, 1, 2, 3]
    assert receiver.ids[0] == receiver.ids[1]  # the same webhook-id: the receiver dedupes

    store = open_store(load_config(root / "config.yaml"))
    try:
        assert store.subscriber_state("wms").delivered_cursor == 3
    finally:
        store.close()
    status = crash.gateway(root, "subscriptions", "status", "--json")
    [row] = json.loads(status.stdout)
    assert (row["name"], row["delivered_cursor"], row["lag"], row["dead_letters"]) == (
        "wms", 3, 0, 0)
    assert SECRET not in status.stdout + status.stderr  # the secret is never shown


def test_lag_counts_only_what_the_subscriber_asked_for(gateway: Gateway,
                                                       receiver: Receiver) -> None:
    return_story(gateway)
    files_only = subscription(receiver.url, types=frozenset({"file.accepted"}))
    assert gateway.store.count_events_after(0, types=("file.accepted",)) == 3
    deliver_round(files_only, gateway.store, webhook_sender(), clock=Clock())
    assert [e["type"] for e in receiver.received] == ["file.accepted"] * 3
    delivered = gateway.store.subscriber_state("wms").delivered_cursor
    assert gateway.store.count_events_after(delivered, types=("file.accepted",)) == 0
    assert gateway.store.count_events_after(0) == len(gateway.store.events_after(0, limit=99))


def test_the_daemon_delivers_in_threads_of_its_own(
        tmp_path: Path, database_url: str, receiver: Receiver,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    root = subscribed_workspace(tmp_path, database_url, receiver)
    monkeypatch.chdir(root)
    daemon = Daemon(load_config(root / "config.yaml"), settle=0)
    daemon.prepare()  # joins the store as a node: one node delivers to each subscriber
    try:
        assert set(daemon.scheduler._executors) == {"default", DELIVERY, CLUSTER}
        caplog.set_level("INFO")
        [wms] = subscribers(daemon.config).values()
        daemon._deliver(wms)
        assert receiver.cursors() == [1, 2, 3]
        assert any("wms: 3 delivered" in r.getMessage() for r in caplog.records)
        monkeypatch.delenv("WMS_SECRET")
        daemon.store.rewind_subscriber("wms", 1)
        daemon._deliver(wms)  # a missing secret: said, nothing raised out of the job
        assert any("WMS_SECRET is not set" in r.getMessage() for r in caplog.records)
    finally:
        daemon.store.close()
