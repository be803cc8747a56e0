"""The gateway side of the demo: the use cases `gateway run` schedules, in rounds.

A round polls every partner over SFTP (`poll_partner`, as `gateway run` does: the outbound
reactions after each file), sends what the outbox still owes (status updates another
partner's file caused), and checks acknowledgement deadlines (`raise_overdue`). `gateway
run`'s `Daemon` does the same on APScheduler timers and installs signal handlers, which only
the main thread may do, so the demo drives the same functions itself: round after round until
nothing is left to do. A document whose follow-ups fail is alerted
(``follow-up-failed-<document id>``, as `gateway run` does) and the others' go on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from gateway.app.ingest import IngestResult
from gateway.app.outbound.react import Reactions, react_to_file
from gateway.app.partners import PartnerSettings
from gateway.app.poll import poll_partner, send_pending
from gateway.app.ports import GatewayStore, OutboundRow
from gateway.app.watchers import follow_up_failed, raise_overdue
from gateway.bootstrap import (
    alerter,
    local_now,
    open_channel,
    open_store,
    outbound_context,
    poll_context,
)
from gateway.config.settings import GatewayConfig
from gateway.transport.retry import with_retries

SETTLE_SECONDS = 0.1  # files are renamed into place whole: a short settle is enough here
MAX_ROUNDS = 12  # a step that is not done after this many rounds is a bug, not a slow disk


@dataclass(frozen=True, slots=True)
class FileTaken:
    partner: str
    name: str
    result: IngestResult
    reactions: Reactions
    reason: str | None  # a rejection's first error, in words
    notes: tuple[str, ...] = ()  # what a partner's 997 / TA1 said about what we sent


@dataclass(slots=True)
class RoundReport:
    taken: list[FileTaken] = field(default_factory=list)
    sent: dict[str, list[str]] = field(default_factory=dict)  # partner: file names
    waiting: list[tuple[str, str, str]] = field(default_factory=list)  # partner, file, why
    overdue: list[OutboundRow] = field(default_factory=list)

    @property
    def idle(self) -> bool:
        return not (self.taken or self.sent or self.waiting or self.overdue)


class GatewayLoop:
    def __init__(self, config: GatewayConfig, partners: Mapping[str, PartnerSettings]) -> None:
        self.config, self.partners = config, dict(partners)
        self.store = open_store(config)
        self.outbound = outbound_context(config, self.store, self.partners)
        self.alerter = alerter(config)
        self.polling = poll_context(config, self.store, self._react, settle=SETTLE_SECONDS,
                                    retry=lambda poll: with_retries(
                                        poll, attempts=2, initial=0.2, jitter=0.1))

    def round(self) -> RoundReport:
        report = RoundReport()
        for partner in self.partners.values():
            self._poll(partner, report)
        self._send_outbox(report)
        report.overdue = raise_overdue(self.store, self.alerter, local_now())
        return report

    def until_idle(self, show: Callable[[RoundReport], None]) -> None:
        """Rounds until one finds nothing to take, send or wait for."""
        for _ in range(MAX_ROUNDS):
            report = self.round()
            show(report)
            if report.idle:
                return
        raise RuntimeError(f"the gateway was still busy after {MAX_ROUNDS} rounds")

    def _react(self, result: IngestResult) -> Reactions:
        done = react_to_file(self.outbound, result, local_now())
        for failure in done.failures:  # recorded by react; the story goes on
            self.alerter.send(follow_up_failed(failure))
        return done

    def _poll(self, partner: PartnerSettings, report: RoundReport) -> None:
        polled = poll_partner(partner, self.polling)
        for name, result in polled.taken:
            report.taken.append(FileTaken(partner.id, name, result,
                                          polled.reactions.get(result.file_id, Reactions()),
                                          self.first_error(result), self.ack_notes(result)))
        report.waiting += [(partner.id, name, why) for name, why in polled.waiting]
        if polled.sent:
            report.sent.setdefault(partner.id, []).extend(polled.sent)

    def first_error(self, result: IngestResult) -> str | None:
        return first_error(self.store, result.file_id, result.reason)

    def ack_notes(self, result: IngestResult) -> tuple[str, ...]:
        return tuple(f.message for f in self.store.findings_of(result.file_id)
                     if f.code in ("ack.matched", "ack.unmatched"))

    def _send_outbox(self, report: RoundReport) -> None:
        """What a partner's poll did not send: updates queued by a later partner's file."""
        owed = self.store.partners_owed()
        for partner_id in owed:
            partner = self.partners[partner_id]
            with open_channel(partner) as channel:
                sent = send_pending(partner_id, channel, self.store, clock=local_now)
            if sent:
                report.sent.setdefault(partner_id, []).extend(sent)


def first_error(store: GatewayStore, file_id: int, reason: str | None) -> str | None:
    """Why a file was rejected: its recorded reason (or first error), with the value found
    and the value expected when the words do not already say them."""
    finding = next((f for f in store.findings_of(file_id) if f.severity == "error"), None)
    text = reason or (finding.message if finding else None)
    if text is None or finding is None:
        return text
    if finding.found and finding.found not in text:
        text += f" Found {finding.found!r}"
        text += f", expected {finding.expected}." if finding.expected else "."
    return text

