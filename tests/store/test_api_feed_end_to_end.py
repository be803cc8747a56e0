"""Issue 14's whole promise, as an internal system meets it: the API served on 127.0.0.1 by
`gateway console`, the demo's files ingested, a subscriber on loopback that verifies every
webhook with the standardwebhooks library, and the delivering gateway SIGKILLed mid-delivery
and started again: every event the API lists arrives, signed, nothing lost, the one in
flight again under the same webhook-id, and each case's events in cursor order."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gateway.demo import documents as demo
from tests.store import test_crash as crash
from tests.store.test_delivery import SECRET, Receiver
from tests.store.test_delivery import receiver as receiver  # noqa: PLC0414 (the fixture)
from tests.store.test_outbound import COORDINATOR

REPO = crash.REPO
SAMPLES = REPO / "samples"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "WMS_SECRET": SECRET, **extra}


def _gateway(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], cwd=root,
                          env=_env(**env), capture_output=True, text=True, check=False,
                          timeout=120)


@pytest.fixture
def api_server(tmp_path: Path, database_url: str, receiver: Receiver
               ) -> Iterator[tuple[Path, str]]:
    """The workspace and the API's base address, `gateway console` serving it."""
    root = crash.workspace(tmp_path, database_url)
    partners = root / "partners"
    partners.mkdir()
    for name in ("northwind", "odfl"):
        shutil.copy(REPO / "partners" / f"{name}.yaml", partners)
    (partners / "recalls-hub.yaml").write_text(COORDINATOR)
    (root / "subscribers").mkdir()
    (root / "subscribers" / "wms.yaml").write_text(
        f"url: {receiver.url}\nsecret: {{env: WMS_SECRET}}\n")
    assert _gateway(root, "db", "upgrade").returncode == 0
    added = subprocess.run([sys.executable, "-m", "gateway.cli", "users", "add", "dana",
                            "--role", "admin", "--password-stdin"], cwd=root, env=_env(),
                           input="a passphrase long enough\n", capture_output=True, text=True,
                           check=False, timeout=120)
    assert added.returncode == 0, added.stderr  # the console serves once somebody may sign in
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "console", "--port", str(port)], cwd=root,
        env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        _wait_until_up(base, server)
        yield root, base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _wait_until_up(base: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60  # a loaded CI box starts Python slowly
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
        try:
            with urllib.request.urlopen(f"{base}/openapi.json", timeout=5):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    pytest.fail("gateway console did not start within 60 s")


def _demo_files(folder: Path) -> list[tuple[str, Path]]:
    """The demo's story, as its partners send it: the request, the ASN, the carrier's 214
    and the recall notice (gateway.demo.documents)."""
    day = datetime.now(ZoneInfo("America/New_York")) - timedelta(days=2)
    moments = [day + timedelta(days=1, hours=h) for h in (2, 6, 12, 16, 20)]
    files = [("northwind", "request.x12", demo.return_request(SAMPLES, day)),
             ("northwind", "asn.x12", demo.ship_notice(SAMPLES, day + timedelta(days=1))),
             ("odfl", "status.x12", demo.carrier_status(SAMPLES, moments)),
             ("recalls-hub", "recall.xml", demo.recall_notice(SAMPLES))]
    written = []
    for partner, name, data in files:
        (folder / name).write_bytes(data)
        written.append((partner, folder / name))
    return written


def _feed(base: str, token: str) -> list[dict[str, object]]:
    """Every event, paged through the API two at a time."""
    events: list[dict[str, object]] = []
    after = 0
    while True:
        request = urllib.request.Request(f"{base}/events?after={after}&limit=2",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            page = json.load(response)
        if not page["events"]:
            return events
        events += page["events"]
        after = page["next_after"]


def test_an_internal_system_hears_every_event_once_through_a_kill(
        api_server: tuple[Path, str], receiver: Receiver) -> None:
    root, base = api_server
    created = _gateway(root, "tokens", "create", "warehouse", "--scope", "read")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    for partner, path in _demo_files(root):
        ingested = _gateway(root, "ingest", "--partner", partner, str(path))
        assert ingested.returncode == 0, ingested.stdout + ingested.stderr

    listed = _feed(base, token)
    assert len(listed) >= 10 and {"document.received", "case.state-changed",
                                  "file.accepted"} <= {e["type"] for e in listed}

    crashed = _gateway(root, "subscriptions", "deliver", GATEWAY_CRASH_AT="after-webhook-post")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    finished = _gateway(root, "subscriptions", "deliver")
    assert finished.returncode == 0, finished.stdout + finished.stderr

    # Every event the API lists, verified by the receiver; only the one in flight twice.
    first, *rest = receiver.ids
    assert rest[0] == first and len(set(receiver.ids)) == len(receiver.ids) - 1
    assert sorted(set(receiver.ids)) == sorted(str(e["id"]) for e in listed)
    assert receiver.received[1:] == listed  # the same envelopes, in the same order
    by_case: dict[str, list[int]] = defaultdict(list)
    for event in receiver.received[1:]:
        for key in event["keys"]:
            by_case[f"{key['kind']}:{key['value']}"].append(int(event["cursor"]))
    assert by_case and all(cursors == sorted(cursors) for cursors in by_case.values())
