"""Alert delivery: a log line always, and a signed webhook when one is configured.

The webhook gets a JSON body signed as the event feed's webhooks are, by the Standard Webhooks
convention (``webhook-id``: the alert id, stable for de-duplication; ``webhook-timestamp``;
``webhook-signature``, made by the ``standardwebhooks`` library with the shared secret's bytes,
so a receiver verifies with ``Webhook(secret_bytes).verify(body, headers)``). The secret comes
from the environment variable ``alerts.secret_env`` names, never a file. The earlier headers
are still sent for receivers written against them (deprecated): ``X-Gateway-Alert-Id``,
``X-Gateway-Timestamp`` and ``X-Gateway-Signature: sha256=<hex>``, an HMAC-SHA256 of
``"<timestamp>.<body>"``.
A failed delivery is retried with exponential backoff (0.5 s, 1 s, 2 s... capped at 5 s), then
logged; it never stops the gateway: `Alerter.send` does not raise. Which conditions are
alerted, and their ids, is `gateway.app.watchers`.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime

from standardwebhooks import Webhook
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from gateway.app.watchers import Alert

__all__ = ["Alerter"]

log = logging.getLogger("gateway.alerts")  # the name operators filter alert lines on
# What a webhook that is down, slow or broken can raise: all retried, none escapes `send`.
_DELIVERY_ERRORS = (urllib.error.URLError, OSError, http.client.HTTPException, ValueError)


class Alerter:
    def __init__(self, webhook_url: str | None = None, secret: bytes | None = None, *,
                 attempts: int = 3, timeout: float = 5.0, max_wait: float = 5.0,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep,
                 on_alert: Callable[[Alert], None] | None = None) -> None:
        self.webhook_url, self.secret = webhook_url or None, secret
        self.attempts, self.timeout, self.max_wait = attempts, timeout, max_wait
        self.clock, self.sleep = clock, sleep
        self.on_alert = on_alert  # the daemon counts alerts in its metrics

    def send(self, alert: Alert) -> None:
        log.log(logging.INFO if alert.resolves else logging.ERROR, "ALERT %s %s: %s",
                alert.kind, alert.partner, alert.message,
                extra={"alert_id": alert.id, "alert_kind": alert.kind, "partner": alert.partner})
        if self.on_alert is not None:
            self.on_alert(alert)
        if self.webhook_url is None:
            return
        try:
            self._post_with_retries(alert)
        except _DELIVERY_ERRORS as exc:
            log.error("alert %s not delivered to the webhook after %d attempts: %s",
                      alert.id, self.attempts, exc, extra={"alert_id": alert.id})
        except Exception:  # a bug must not cost a poll its follow-ups: say so, go on
            log.exception("alert %s not delivered to the webhook", alert.id,
                          extra={"alert_id": alert.id})

    def _post_with_retries(self, alert: Alert) -> None:
        post = retry(stop=stop_after_attempt(self.attempts),
                     wait=wait_exponential(multiplier=0.5, max=self.max_wait),
                     retry=retry_if_exception_type(_DELIVERY_ERRORS),
                     sleep=self.sleep, reraise=True)(self._post)
        post(alert)

    def _post(self, alert: Alert) -> None:
        body = json.dumps({"id": alert.id, "kind": alert.kind, "partner": alert.partner,
                           "message": alert.message, "details": alert.details}).encode()
        moment = self.clock()
        stamp = str(int(moment))
        headers = {"Content-Type": "application/json", "X-Gateway-Alert-Id": alert.id,
                   "X-Gateway-Timestamp": stamp, "webhook-id": alert.id,
                   "webhook-timestamp": stamp}
        if self.secret:
            # sign() reads the moment as UTC whatever its zone says: give it UTC.
            headers["webhook-signature"] = Webhook(self.secret).sign(
                alert.id, datetime.fromtimestamp(int(moment), UTC), body.decode())
            digest = hmac.new(self.secret, stamp.encode() + b"." + body, hashlib.sha256)
            headers["X-Gateway-Signature"] = f"sha256={digest.hexdigest()}"  # deprecated
        request = urllib.request.Request(str(self.webhook_url), data=body, headers=headers,
                                         method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            if response.status >= 300:
                raise urllib.error.URLError(f"the webhook answered HTTP {response.status}")
