"""Delivering the event feed to subscribers: signed webhooks, at least once, in cursor order.

A subscriber (``subscribers/<name>.yaml``, `gateway.config.subscribers`) names a URL, the
event types and partners it wants, and where its signing secret is. `deliver_round` sends it
the events after its delivered cursor, oldest first, one at a time: the cursor moves past an
event only once the subscriber answered 2xx, so a crash between the POST and that record sends
the event again (the same ``webhook-id``: receivers deduplicate on it) and never skips one.
Order holds for the whole feed, so it holds per case.

A failed POST is retried a few times at once by the sender (`gateway.transport.webhook`, with
tenacity), then the round stops: the same event is tried at the next round, after a back-off
that grows with its failures (5 s doubling, at most 30 min). After ``max_attempts`` failures the
event is dead-lettered (kept with the last error, replayable) and the next one goes: one
poisoned event never stops a subscriber for good. A round touches one subscriber only; the
daemon runs each in its own job, so a slow or dead subscriber holds up neither polling nor the
others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from gateway.app.events import StoredEvent
from gateway.app.faults import crash_point
from gateway.app.partners import SecretRef

BACKOFF_CAP = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Subscription:
    name: str  # its file's name: subscribers/<name>.yaml
    url: str
    secret: SecretRef  # where its Standard Webhooks secret (whsec_...) is
    types: frozenset[str] = frozenset()  # empty: every type
    partners: frozenset[str] = frozenset()  # empty: every partner
    max_attempts: int = 10  # failures of one event before it is dead-lettered
    timeout_seconds: float = 10.0
    batch: int = 100  # events read per round


class DeliveryFailed(Exception):
    """The subscriber did not take the event (no answer, or not 2xx): says what it answered."""


class WebhookSender(Protocol):
    def send(self, subscription: Subscription, event: StoredEvent) -> None:
        """POST the event's envelope, signed, retrying a few times at once; raise
        `DeliveryFailed` unless the subscriber answered 2xx."""


@dataclass(frozen=True, slots=True)
class SubscriberState:
    name: str
    delivered_cursor: int = 0  # every event up to here was delivered or dead-lettered
    failures: int = 0  # consecutive failures of the event after delivered_cursor
    last_error: str | None = None
    next_attempt_at: datetime | None = None  # backing off until then
    last_delivered_at: datetime | None = None
    dead_letters: int = 0


class DeliveryStore(Protocol):
    def subscriber_state(self, name: str) -> SubscriberState: ...

    def events_after(self, cursor: int, *, types: Iterable[str] = (),
                     partners: Iterable[str] = (), limit: int = 100) -> list[StoredEvent]: ...

    def record_delivered(self, name: str, cursor: int, at: datetime) -> None: ...

    def record_failure(self, name: str, error: str, retry_at: datetime) -> int:
        """One more failure of the event after the delivered cursor; the count so far."""
        ...

    def dead_letter(self, name: str, event: StoredEvent, attempts: int, error: str,
                    at: datetime) -> None:
        """Keep ``event`` as not deliverable (with why) and move the cursor past it."""
        ...


@dataclass(slots=True)
class RoundReport:
    subscriber: str
    delivered: list[int] = field(default_factory=list)  # cursors
    dead_lettered: list[int] = field(default_factory=list)
    failed: str | None = None  # why the round stopped early
    waiting_until: datetime | None = None  # backing off: nothing was tried

    def line(self) -> str:
        said = [f"{len(self.delivered)} delivered"]
        if self.dead_lettered:
            said.append(f"{len(self.dead_lettered)} dead-lettered")
        if self.failed:
            said.append(f"stopped: {self.failed}")
        if self.waiting_until:
            said.append(f"backing off until {self.waiting_until:%H:%M:%S}")
        return f"{self.subscriber}: " + ", ".join(said)


def deliver_round(subscription: Subscription, store: DeliveryStore, sender: WebhookSender, *,
                  clock: Callable[[], datetime]) -> RoundReport:
    """Send ``subscription`` what it is owed, in cursor order, until done or a failure."""
    report = RoundReport(subscription.name)
    state = store.subscriber_state(subscription.name)
    if state.next_attempt_at is not None and clock() < state.next_attempt_at:
        report.waiting_until = state.next_attempt_at
        return report
    events = store.events_after(state.delivered_cursor, types=subscription.types,
                                partners=subscription.partners, limit=subscription.batch)
    run = _Round(subscription, store, sender, clock, report, state.failures)
    for event in events:
        if not run.deliver(event):
            break
    return report


@dataclass(slots=True)
class _Round:
    subscription: Subscription
    store: DeliveryStore
    sender: WebhookSender
    clock: Callable[[], datetime]
    report: RoundReport
    failures: int  # of the event after the delivered cursor, so far

    def deliver(self, event: StoredEvent) -> bool:
        """Send one event and record what came of it; whether the round goes on."""
        try:
            self.sender.send(self.subscription, event)
        except DeliveryFailed as exc:
            return self._failed(event, str(exc))
        crash_point("after-webhook-post")  # sent, not recorded: sent again after a restart
        self.store.record_delivered(self.subscription.name, event.cursor, self.clock())
        self.report.delivered.append(event.cursor)
        return True

    def _failed(self, event: StoredEvent, error: str) -> bool:
        """Count the failure: back off and stop, or at max_attempts dead-letter it and go on."""
        name, most = self.subscription.name, self.subscription.max_attempts
        failures = self.store.record_failure(name, error,
                                             self.clock() + _backoff(self.failures + 1))
        self.failures = failures
        if failures >= most:
            self.store.dead_letter(name, event, failures, error, self.clock())
            self.report.dead_lettered.append(event.cursor)
            self.failures = 0  # the next event starts afresh
            return True
        self.report.failed = f"event {event.cursor}: {error} (failure {failures} of {most})"
        return False


def _backoff(failures: int) -> timedelta:
    """Between rounds: 5 s, 10 s, 20 s ... up to half an hour."""
    return min(timedelta(seconds=5 * 2 ** min(failures - 1, 16)), BACKOFF_CAP)
