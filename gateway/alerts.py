"""Alerts: a log line always, and a signed webhook when one is configured.

The webhook gets a JSON body and three headers a receiver can check: ``X-Gateway-Alert-Id``
(stable per alert, for de-duplication on their side), ``X-Gateway-Timestamp`` (Unix seconds)
and ``X-Gateway-Signature: sha256=<hex>``, an HMAC-SHA256 of ``"<timestamp>.<body>"`` with the
shared secret (from the environment variable ``alerts.secret_env`` names; never in a file).
A failed delivery is retried with backoff, then logged; it never stops the gateway.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from gateway.store.repository import OutboundRow, SqlStore

log = logging.getLogger("gateway.alerts")


@dataclass(frozen=True, slots=True)
class Alert:
    id: str  # stable: the same condition gives the same id
    kind: str  # overdue-acknowledgement | rejected-by-partner | ...
    partner: str
    message: str
    details: dict[str, Any]


class Alerter:
    def __init__(self, webhook_url: str | None = None, secret: bytes | None = None, *,
                 attempts: int = 3, timeout: float = 5.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.webhook_url, self.secret = webhook_url or None, secret
        self.attempts, self.timeout, self.clock = attempts, timeout, clock

    def send(self, alert: Alert) -> None:
        log.error("ALERT %s %s: %s", alert.kind, alert.partner, alert.message)
        if self.webhook_url is None:
            return
        try:
            self._post_with_retries(alert)
        except (urllib.error.URLError, OSError) as exc:
            log.error("alert %s not delivered to the webhook after %d attempts: %s",
                      alert.id, self.attempts, exc)

    def _post_with_retries(self, alert: Alert) -> None:
        post = retry(stop=stop_after_attempt(self.attempts),
                     wait=wait_exponential(multiplier=0.5, max=5),
                     retry=retry_if_exception_type((urllib.error.URLError, OSError)),
                     reraise=True)(self._post)
        post(alert)

    def _post(self, alert: Alert) -> None:
        body = json.dumps({"id": alert.id, "kind": alert.kind, "partner": alert.partner,
                           "message": alert.message, "details": alert.details}).encode()
        stamp = str(int(self.clock()))
        headers = {"Content-Type": "application/json", "X-Gateway-Alert-Id": alert.id,
                   "X-Gateway-Timestamp": stamp}
        if self.secret:
            digest = hmac.new(self.secret, stamp.encode() + b"." + body, hashlib.sha256)
            headers["X-Gateway-Signature"] = f"sha256={digest.hexdigest()}"
        request = urllib.request.Request(str(self.webhook_url), data=body, headers=headers,
                                         method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            if response.status >= 300:
                raise urllib.error.URLError(f"the webhook answered HTTP {response.status}")


def raise_overdue(store: SqlStore, alerter: Alerter, now: datetime) -> list[OutboundRow]:
    """Alert once for each document whose acknowledgement is overdue; the rows alerted."""
    fresh = [row for row in store.outbound(overdue_at=now) if row.alerted_at is None]
    for row in fresh:
        assert row.ack_due is not None
        alerter.send(Alert(
            f"overdue-ack-{row.id}", "overdue-acknowledgement", row.partner,
            f"{row.partner} has not acknowledged our {row.kind} {row.control_number} "
            f"({row.purpose}{', ' + row.subject if row.subject else ''}), sent "
            f"{row.sent_at:%Y-%m-%d %H:%M %Z}; it was due by {row.ack_due:%Y-%m-%d %H:%M %Z}",
            {"outbox_id": row.id, "kind": row.kind, "control_number": row.control_number,
             "subject": row.subject, "due": row.ack_due.isoformat(),
             "sent": row.sent_at.isoformat() if row.sent_at else None}))
    if fresh:
        store.mark_alerted([row.id for row in fresh], now)
    return fresh
