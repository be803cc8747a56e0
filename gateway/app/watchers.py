"""Watchers: the conditions `gateway run` alerts on, each once, with a stable id.

An `Alert` says what happened in words, with its partner and details; an `AlertSink` (the
monitoring adapter `gateway.monitoring.alerts.Alerter`: a log line and the signed webhook)
delivers it. Kinds and their stable ids (a receiver de-duplicates on the id; the daemon raises
each once):

- ``overdue-acknowledgement``  ``overdue-ack-<outbox id>`` (once per document, kept in the
  store: ``alerted_at``);
- ``rejected-file``            ``rejected-file-<file id>``;
- ``file-too-large``           ``file-too-large-<file id>``: a partner's file over
  ``limits.file_size``, refused unread and left in their folder (recorded once);
- ``unmapped-file``            ``unmapped-file-<file id>``: a set validation accepted (so the
  partner's 997 says accepted) did not become a document; ``gateway replay --unmapped`` once
  the mapping is fixed;
- ``refused-document``         ``refused-document-<file id>``: a file carried documents its
  sender may not send (its role and partner file's ``documents``, or a version of another
  partner's recall notice): nothing of them was stored; each with its ISA13 / GS06 / ST02 or
  notice id and the rule that refused it;
- ``follow-up-failed``         ``follow-up-failed-<document id>``: a stored document's
  follow-ups (its 180 decided, status updates, recall notifications) raised; the other
  documents' went on;
- ``partner-unreachable``      ``partner-unreachable-<partner>-<outage start, UTC>`` (once per
  outage), and ``partner-reachable`` with the same suffix when it ends;
- ``recall-deadline``          ``recall-deadline-<notice>-<deadline>`` while recipients have not
  answered and the deadline is ``alerts.recall_deadline_days`` or fewer days away (or past).

Every one is remembered by `AlertMemory` in the store (``alerts_raised``) before it is sent,
so a condition is alerted once across every node and restart. When the store cannot take the
record, the alert is sent anyway (remembered in this process only): an alert lost is worse than
one sent twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from gateway.app.events import EventRecord, EventType
from gateway.app.ingest import RefusedDocument
from gateway.app.outbound.failures import FollowUpFailure
from gateway.app.outbound.recalls import latest_notices
from gateway.app.ports import GatewayStore, OutboundRow
from gateway.app.translate import UnmappedSet
from gateway.model import RecallNotice

log = logging.getLogger("gateway.run")


@dataclass(frozen=True, slots=True)
class Alert:
    id: str  # stable: the same condition gives the same id
    kind: str  # overdue-acknowledgement | rejected-file | partner-unreachable | ...
    partner: str
    message: str
    details: dict[str, Any]
    resolves: bool = False  # says a condition ended (logged as information, not an error)


class AlertSink(Protocol):
    """Delivers an alert (a log line, a webhook); never raises."""

    def send(self, alert: Alert) -> None: ...


def raise_overdue(store: GatewayStore, alerter: AlertSink, now: datetime) -> list[OutboundRow]:
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
        _record_overdue(store, fresh, now)
        store.mark_alerted([row.id for row in fresh], now)
    return fresh


def _record_overdue(store: GatewayStore, rows: list[OutboundRow], now: datetime) -> None:
    """An ``ack.overdue`` event per row, once each (before the rows are marked alerted: a
    crash in between alerts again at the next tick, and the event is not written twice)."""
    with store.transaction() as tx:
        for row in rows:
            key = f"ack-overdue:{row.id}"
            if not tx.event_recorded(key):
                tx.add_event(EventRecord(EventType.ACK_OVERDUE, row.partner, now, {
                    "outbox_id": row.id, "kind": row.kind, "purpose": row.purpose,
                    "control_number": row.control_number, "subject": row.subject,
                    "sent_at": row.sent_at.isoformat() if row.sent_at else None,
                    "due": row.ack_due.isoformat() if row.ack_due else None},
                    dedupe_key=key))


class AlertLedger(Protocol):
    """Where every node remembers the alerts raised (the store)."""

    def record_alert(self, alert_id: str, kind: str, partner: str, *, at: datetime,
                     node: str | None) -> bool:
        """False when the alert was raised before, by any node."""
        ...


class AlertMemory:
    """The ids already raised, so a condition that persists across ticks (a partner still
    down, a deadline still near) is alerted once: by this process, and (with a ``ledger``)
    by every node and every restart. Itself an `AlertSink` that sends each alert once."""

    def __init__(self, alerter: AlertSink, ledger: AlertLedger | None = None, *,
                 node: str | None = None) -> None:
        self.alerter, self.ledger, self.node = alerter, ledger, node
        self._raised: set[str] = set()
        self._lock = threading.Lock()  # partners' polls raise from their own threads

    def raise_once(self, alert: Alert) -> bool:
        """Send ``alert`` unless its id was raised already; whether it was sent now."""
        with self._lock:
            if alert.id in self._raised:
                return False
            self._raised.add(alert.id)
        if not self._first_anywhere(alert):
            return False
        self.alerter.send(alert)
        return True

    def send(self, alert: Alert) -> None:
        self.raise_once(alert)

    def _first_anywhere(self, alert: Alert) -> bool:
        if self.ledger is None:
            return True
        try:
            return self.ledger.record_alert(alert.id, alert.kind, alert.partner,
                                            at=datetime.now(UTC), node=self.node)
        except Exception as exc:  # the store is down: better twice than never
            log.warning("alert %s not recorded in the store (sent anyway; another node may "
                        "send it too): %s", alert.id, exc)
            return True


def rejected_file(partner: str, file_id: int, name: str, state: str,
                  reason: str | None) -> Alert:
    first = reason or "no reason recorded"
    return Alert(f"rejected-file-{file_id}", "rejected-file", partner,
                 f"{partner}: file #{file_id} {name} was {state}: {first}",
                 {"file_id": file_id, "file": name, "state": state, "reason": reason})


def file_too_large(partner: str, file_id: int, name: str, reason: str | None) -> Alert:
    return Alert(f"file-too-large-{file_id}", "file-too-large", partner,
                 f"{partner}: file #{file_id} {name} was {reason or 'refused as too large'}. "
                 "It is still in the partner's folder: ask them to split it, or raise "
                 "limits.file_size if it is genuine",
                 {"file_id": file_id, "file": name, "state": "rejected", "reason": reason})


def unmapped_file(partner: str, file_id: int, name: str, state: str, reason: str | None,
                  *, sets: Iterable[UnmappedSet]) -> Alert:
    unmapped = [{"set_id": s.set_id, "isa13": s.interchange_control, "gs06": s.group_control,
                 "st02": s.set_control, "reasons": list(s.messages)} for s in sets]
    first = reason or (f"transaction set {unmapped[0]['set_id']} {unmapped[0]['st02']}: "
                       + "; ".join(unmapped[0]["reasons"]) if unmapped else "")
    count = f"{len(unmapped)} transaction set{'s' * (len(unmapped) != 1)}"
    return Alert(f"unmapped-file-{file_id}", "unmapped-file", partner,
                 f"{partner}: file #{file_id} {name} ({state}): {count} accepted by "
                 f"validation but not mapped, nothing of them stored: {first}. Fix the "
                 "mapping, then: gateway replay --unmapped",
                 {"file_id": file_id, "file": name, "state": state, "reason": reason,
                  "sets": unmapped})


def refused_document(partner: str, file_id: int, name: str, state: str,
                     refused: Iterable[RefusedDocument]) -> Alert:
    """A file with documents outside its sender's authority: someone may be trying to act for
    another party (cancel a recall, report a delivery), or a partner file is too narrow."""
    found = [{"document": str(r.document), "isa13": r.interchange_control,
              "gs06": r.group_control, "st02": r.set_control, "set_id": r.set_id,
              "notice_id": r.notice_id, "rule": r.rule} for r in refused]
    first = next(iter(refused), None)
    said = f"{first.where}: {first.rule}" if first is not None else "no document named"
    count = f"{len(found)} document{'s' * (len(found) != 1)}"
    return Alert(f"refused-document-{file_id}", "refused-document", partner,
                 f"{partner}: file #{file_id} {name} ({state}): {count} refused, outside what "
                 f"{partner} may send, nothing of them stored: {said}. If the partner should "
                 "send them, widen its partner file (documents.allow)",
                 {"file_id": file_id, "file": name, "state": state, "refused": found})


def follow_up_failed(failure: FollowUpFailure) -> Alert:
    return Alert(f"follow-up-failed-{failure.document_id}", "follow-up-failed",
                 failure.partner, f"{failure.partner}: {failure.line()}",
                 {"document_id": failure.document_id, "file_id": failure.file_id,
                  "kind": failure.kind, "reference": failure.reference,
                  "step": failure.step, "error": failure.error})


def partner_unreachable(partner: str, since: datetime, error: str, *,
                        permanent: bool) -> Alert:
    what = ("cannot be polled until someone fixes it" if permanent
            else "cannot be reached (retries gave up)")
    return Alert(f"partner-unreachable-{partner}-{_stamp(since)}", "partner-unreachable",
                 partner, f"{partner} {what}: {error}",
                 {"since": since.isoformat(), "error": error, "permanent": permanent})


def partner_reachable(partner: str, since: datetime, now: datetime) -> Alert:
    return Alert(f"partner-reachable-{partner}-{_stamp(since)}", "partner-reachable", partner,
                 f"{partner} is reachable again (unreachable since "
                 f"{since:%Y-%m-%d %H:%M %Z})",
                 {"since": since.isoformat(), "until": now.isoformat()}, resolves=True)


def _stamp(moment: datetime) -> str:
    # Microseconds: two outages within one second are still two alerts.
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def raise_recall_deadlines(store: GatewayStore, memory: AlertMemory, now: datetime,
                           within_days: int) -> list[Alert]:
    """Alert once for each recall notice whose required action is due within ``within_days``
    (or overdue) while some recipients have not answered; the alerts raised now."""
    raised = []
    for notice in latest_notices(store.documents_of_kind("recall-notice")):
        deadline = _nearest_deadline(notice)
        if deadline is None or (deadline - now.date()).days > within_days:
            continue
        silent = [r.partner for r in store.recall_recipients_of(notice.notice_id)
                  if r.responded_at is None]
        if silent:
            alert = _recall_deadline(notice, deadline, silent, now.date())
            if memory.raise_once(alert):
                raised.append(alert)
    return raised


def _nearest_deadline(notice: RecallNotice) -> date | None:
    return min((a.deadline for a in notice.actions if a.deadline is not None), default=None)


def _recall_deadline(notice: RecallNotice, deadline: date, silent: Iterable[str],
                     today: date) -> Alert:
    partners = sorted(silent)
    days = (deadline - today).days
    when = (f"in {days} day{'s' * (days != 1)}" if days > 0 else "today" if days == 0
            else f"{-days} day{'s' * (days != -1)} ago")
    return Alert(f"recall-deadline-{notice.notice_id}-{deadline.isoformat()}",
                 "recall-deadline", ",".join(partners),
                 f"recall {notice.notice_id}: the required action is due {deadline} ({when}) "
                 f"and {', '.join(partners)} {'has' if len(partners) == 1 else 'have'} not "
                 "answered the notification",
                 {"notice_id": notice.notice_id, "deadline": deadline.isoformat(),
                  "not_answered": partners})
