"""The demo's internal system: a warehouse system that takes the event feed as webhooks.

A receiver on 127.0.0.1 that checks every request with the standardwebhooks library's own
verifier, as a real receiver would, and keeps what it verified. The demo writes its subscriber
file (``subscribers/warehouse.yaml``, the secret in a key file beside the SFTP keys) and
delivers to it the way `gateway run` does (`gateway.app.delivery.deliver_round`).
"""

from __future__ import annotations

import base64
import os
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from gateway.app.delivery import Subscription, deliver_round
from gateway.app.ports import GatewayStore
from gateway.bootstrap import local_now, webhook_sender
from gateway.config.subscribers import read_subscriber
from gateway.demo.server import HOST
from gateway.demo.workspace import Workspace

NAME = "warehouse"


class InternalSystem:
    def __init__(self) -> None:
        self.secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
        self.received: list[dict[str, Any]] = []
        self.forged = 0  # requests whose signature did not verify (none, unless a bug)
        verifier, system = Webhook(self.secret), self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    system.received.append(verifier.verify(body, dict(self.headers)))
                except WebhookVerificationError:
                    system.forged += 1
                    self.send_response(401)
                else:
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.url = f"http://{HOST}:{self.server.server_port}/returns-events"

    def __enter__(self) -> InternalSystem:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def subscribe(self, workspace: Workspace) -> Subscription:
        """Its subscriber file, checked as `gateway run` would read it."""
        secret_file = workspace.keys / f"{NAME}.whsec"
        secret_file.write_text(self.secret + "\n")
        secret_file.chmod(0o600)
        folder = workspace.root / "subscribers"
        folder.mkdir(exist_ok=True)
        path = folder / f"{NAME}.yaml"
        path.write_text(f"url: {self.url}\nsecret: {{file: keys/{NAME}.whsec}}\n")
        return read_subscriber(path)

    def take_feed(self, store: GatewayStore, subscription: Subscription) -> int:
        """Deliver everything owed, round after round; how many events were delivered."""
        delivered = 0
        while True:
            report = deliver_round(subscription, store, webhook_sender(), clock=local_now)
            delivered += len(report.delivered)
            if not report.delivered or report.failed:
                return delivered

    def about_case(self, key: str) -> Counter[str]:
        """The types of the events it received that carry the case key ``key``."""
        return Counter(e["type"] for e in self.received
                       if any(k["value"] == key for k in e["keys"]))
