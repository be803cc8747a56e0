"""Sending one event to a subscriber: an HTTP POST signed by the Standard Webhooks convention.

Headers ``webhook-id`` (the event's stable id: a receiver deduplicates on it),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256 of
"id.timestamp.body">``), made by the ``standardwebhooks`` library, so a receiver verifies with
that library's ``Webhook(secret).verify(body, headers)``. The secret is the subscriber's
``whsec_...`` from an environment variable or a file its subscriber file names, read when
sending and never logged. A few quick retries (tenacity) ride out a blip; what is still failing
is `DeliveryFailed` for `gateway.app.delivery` to count and back off.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from datetime import UTC, datetime

from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from gateway.app.delivery import DeliveryFailed, Subscription
from gateway.app.events import StoredEvent
from gateway.errors import ConfigError
from gateway.text_safety import printable
from gateway.transport.secrets import SecretUnavailable, read_secret

_NETWORK_ERRORS = (urllib.error.URLError, OSError, http.client.HTTPException)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A subscriber that answers 3xx did not take the event: a redirect would turn the POST
    into a GET (urllib's rule), which some other endpoint might answer 200."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)
_ANSWER_SHOWN = 200  # characters of a refusing subscriber's answer kept with the error


class HttpWebhookSender:
    def __init__(self, *, attempts: int = 3, wait: float = 0.5) -> None:
        self.attempts, self.wait = attempts, wait

    def send(self, subscription: Subscription, event: StoredEvent) -> None:
        body = json.dumps(event.envelope(), ensure_ascii=False, separators=(",", ":"))
        signer = _signer(subscription)
        try:
            for attempt in Retrying(stop=stop_after_attempt(self.attempts),
                                    wait=wait_exponential(multiplier=self.wait,
                                                          max=self.wait * 8),
                                    retry=retry_if_exception_type(DeliveryFailed)):
                with attempt:
                    self._post(subscription, event.event_id, body, signer)
        except RetryError as exc:
            raise DeliveryFailed(str(exc.last_attempt.exception())) from None

    def _post(self, subscription: Subscription, event_id: str, body: str,
              signer: Webhook) -> None:
        # sign() reads the moment as UTC whatever its zone says: give it UTC.
        now = datetime.now(UTC)
        headers = {"content-type": "application/json", "user-agent": "returns-gateway",
                   "webhook-id": event_id, "webhook-timestamp": str(int(now.timestamp())),
                   "webhook-signature": signer.sign(event_id, now, body)}
        request = urllib.request.Request(subscription.url, data=body.encode(),
                                         headers=headers, method="POST")
        try:
            with _OPENER.open(request, timeout=subscription.timeout_seconds) as answer:
                if not 200 <= answer.status < 300:
                    raise DeliveryFailed(f"HTTP {answer.status}")
        except urllib.error.HTTPError as exc:
            said = exc.read(_ANSWER_SHOWN).decode("utf-8", "replace")
            raise DeliveryFailed(f"HTTP {exc.code}: {printable(said)}") from None
        except _NETWORK_ERRORS as exc:
            raise DeliveryFailed(f"cannot reach {subscription.url}: {exc}") from None


def _signer(subscription: Subscription) -> Webhook:
    try:
        return Webhook(subscription_secret(subscription))
    except (ValueError, EmptyWebhookSecretError):  # binascii.Error is a ValueError
        raise ConfigError(f"subscribers/{subscription.name}.yaml", "secret",
                          "is not a Standard Webhooks secret: write whsec_ followed by "
                          "base64 (e.g. from: python -c \"import base64,os; "
                          "print('whsec_' + base64.b64encode(os.urandom(24)).decode())\")"
                          ) from None


def subscription_secret(subscription: Subscription) -> str:
    """The subscriber's signing secret, from where its file says; a clear error if absent."""
    try:
        return read_secret(subscription.secret, "secret").strip()
    except SecretUnavailable as exc:
        raise ConfigError(f"subscribers/{subscription.name}.yaml", exc.what,
                          exc.problem) from None
