"""One poll of a partner: take in the files that have stopped growing, then send the outbox.

`poll_partner` is the poll `gateway run`, `gateway poll` and the demo all run: the partner's
settings over the gateway's, retried when the connection drops, each taken file's follow-ups
(`gateway.app.outbound.react`) run before the outbox is sent. `poll_once` is one attempt of it.

Order is what makes it safe:
1. a file is taken only when its size and time did not change across the settle interval;
2. it is downloaded straight into the archive (hashed on the way, never held whole)
   and run through the pipeline, which records and commits it;
3. only then is the partner's copy deleted or moved: a crash before that leaves it where it
   was, and the next poll finds the same bytes again (a duplicate, never a second processing);
   a file listed over ``limits.file_size`` is never downloaded (and one that grows past it
   while we read it is cut off there): it is recorded once as rejected with the reason, and
   the partner's copy is left where it is, since we never delete what we did not take;
4. acknowledgements are published under names derived from their control numbers, then marked
   sent: a crash in between publishes the same file again, which replaces it, never doubles it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from gateway.app.events import file_event
from gateway.app.faults import crash_point
from gateway.app.ingest import IngestResult, IngestSettings, Ports, ingest_kept
from gateway.app.outbound.react import Reactions
from gateway.app.partners import PartnerSettings
from gateway.app.ports import (
    Archive,
    FileTooLarge,
    FindingRow,
    IngestStore,
    KeptFile,
    OutboxItem,
    PartnerChannel,
    RemoteFile,
    SkippedEntry,
)
from gateway.errors import RemoteFileGone
from gateway.model.payload import PayloadKind, payload_kind
from gateway.model.states import FileState
from gateway.text_safety import printable

log = logging.getLogger("gateway.run")  # with the daemon's other lines about each poll
FILE_SIZE_KEY = "limits.file_size"  # the config.yaml key of Limits.file_bytes
LEASE_LOST = ("left for the next poll: this node no longer holds the partner's lease (given "
              "back to share the work with other nodes, or run out while the database could "
              "not be reached)")


class OutboxStore(Protocol):
    def claim_outbox(self, partner: str, claimer: str, *,
                     lease: timedelta) -> list[tuple[int, str, OutboxItem]]:
        """Claim a batch of what is owed to ``partner`` that nobody else is sending."""

    def release_outbox(self, claimer: str, ids: list[int]) -> None: ...

    def mark_sent(self, outbox_id: int, sent_at: datetime) -> None: ...


# How long an outbox claim holds when no node's lease says otherwise: a sender that dies
# between upload and "sent" leaves its rows to be sent again (same names) after this.
OUTBOX_CLAIM = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sends the outbox: a node (its id, claims as long as its leases) or a one-off
    command (an id of its own). Two senders never send the same row at once."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    claim: timedelta = OUTBOX_CLAIM


class TransferObserver(Protocol):
    """Told of each file moved, e.g. `gateway.monitoring.metrics.GatewayMetrics` (the daemon's)."""

    def transferred(self, partner: str, direction: str, size: int, seconds: float) -> None:
        """``direction`` is "fetch" or "publish"."""


@dataclass(slots=True)
class PollReport:
    partner: str
    taken: list[tuple[str, IngestResult]] = field(default_factory=list)
    waiting: list[tuple[str, str]] = field(default_factory=list)  # (file, why it was left)
    # Files over limits.file_size recorded by this poll (also in taken, as rejected; their
    # copies stay in the partner's folder and are in waiting at later polls).
    refused: list[tuple[str, IngestResult]] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    sent_items: list[OutboxItem] = field(default_factory=list)  # what each sent name carried
    # (entry, why) in the inbound folder never to be taken (a link, a pipe, a device, a
    # folder): each reported by the first poll that finds it, not by every poll
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # What each taken file's follow-ups did, by file id (`poll_partner` runs them).
    reactions: dict[int, Reactions] = field(default_factory=dict)


# Runs one poll attempt again when the connection drops (`gateway.transport.retry`).
PollRetry = Callable[[Callable[[], PollReport]], PollReport]


@dataclass(frozen=True, slots=True)
class PollContext:
    """What every poll runs with, whoever runs it (the composition root builds it:
    `gateway.bootstrap.poll_context`)."""

    ports: Ports
    defaults: IngestSettings  # the gateway's; each partner's file overrides them
    outbox: OutboxStore
    open_channel: Callable[[PartnerSettings], PartnerChannel]  # not yet connected
    # A taken file's follow-ups (RMA answers, status updates, recall notifications)
    react: Callable[[IngestResult], Reactions]
    # Runs one attempt again when the connection drops: a poll is safe to repeat (files
    # leave the partner only after commit; answers are published under stable names).
    retry: PollRetry
    clock: Callable[[], datetime]
    settle: float  # seconds a file's size and time must hold before it is taken
    sleep: Callable[[float], None] = time.sleep
    observer: TransferObserver | None = None
    sender: Sender = field(default_factory=Sender)


def poll_partner(partner: PartnerSettings, context: PollContext, *,
                 on_file: Callable[[IngestResult], None] | None = None,
                 holds: Callable[[], bool] = lambda: True) -> PollReport:
    """One poll of ``partner`` with its settings: its files taken, each one's follow-ups
    run (after ``on_file``, which hears of it first: the daemon's log line, metrics and
    alerts), then what the outbox owes it sent. Raises `TransportError` once retries are
    spent; files taken before that are committed and were reported to ``on_file``.
    ``holds`` says whether this node still holds the partner's lease (gateway.app.cluster):
    asked before each file is taken and before the outbox is sent; once it says no, the
    poll takes nothing more."""
    settings = context.defaults.for_partner(partner)
    reactions: dict[int, Reactions] = {}

    def after_file(result: IngestResult) -> None:
        if on_file is not None:
            on_file(result)
        reactions[result.file_id] = context.react(result)

    report = context.retry(lambda: poll_once(
        partner.id, context.open_channel(partner), context.ports, settings, context.outbox,
        clock=context.clock, settle=context.settle, sleep=context.sleep, after_file=after_file,
        observer=context.observer, sender=context.sender, holds=holds))
    report.reactions = reactions
    return report


@runtime_checkable
class SkipsEntries(Protocol):
    """A channel that leaves some of what it lists untaken and says what, once (local)."""

    @property
    def skipped(self) -> list[SkippedEntry]: ...


def poll_once(partner: str, channel: PartnerChannel, ports: Ports, settings: IngestSettings,
              outbox: OutboxStore, *, clock: Callable[[], datetime], settle: float,
              sleep: Callable[[float], None],
              after_file: Callable[[IngestResult], None] | None = None,
              observer: TransferObserver | None = None, sender: Sender | None = None,
              holds: Callable[[], bool] = lambda: True) -> PollReport:
    """``after_file`` runs once each taken file is committed and picked up (the outbound
    reactions: RMA answers, status updates, recall notifications), before the outbox is sent,
    so what it queues for this partner leaves in the same poll; it also runs for a file this
    poll refused as too large (rejected, its copy left in place). ``observer`` hears of every
    file fetched and published (sizes and durations, for metrics)."""
    report = PollReport(partner)
    limit = settings.rules.limits.file_bytes
    with channel:
        listed = _stable_files(channel, settle, sleep)
        _report_skipped(partner, channel, report)  # before a fetch can fail the poll
        for remote, listed_why in listed:
            why = listed_why if listed_why is not None or holds() else LEASE_LOST
            if why is not None:
                report.waiting.append((remote.name, why))
                continue
            try:
                kept = _fetch_within(channel, remote, partner, archive=ports.archive,
                                     limit=limit, observer=observer)
            except RemoteFileGone as exc:  # taken by someone else since we listed it
                report.waiting.append((remote.name, str(exc)))
                continue
            if kept is None:
                _refuse(partner, remote, limit, store=ports.store, report=report, now=clock(),
                        after_file=after_file)
                continue  # the partner's copy stays: we never delete what we did not take
            result = ingest_kept(kept, remote.name, partner, ports, settings, now=clock())
            report.taken.append((remote.name, result))
            if result.state == "in-progress":
                report.waiting.append((remote.name, result.reason or "in progress"))
                continue
            channel.after_pickup(remote.name)  # only now: the store has committed it
            if after_file is not None:
                after_file(result)
        if not holds():
            return report  # the node that holds the lease now sends it
        for name, item in publish_pending(partner, channel, outbox, clock=clock,
                                          observer=observer, sender=sender):
            report.sent.append(name)
            report.sent_items.append(item)
    return report


def _report_skipped(partner: str, channel: PartnerChannel, report: PollReport) -> None:
    """What the channel found but will never take: in the report and a log line, once."""
    if not isinstance(channel, SkipsEntries):
        return
    for entry in channel.skipped:
        report.skipped.append((entry.name, entry.why))
        log.warning("%s: skipped %s in the inbound folder, never taken: %s", partner,
                    printable(entry.name), printable(entry.why),
                    extra={"partner": partner, "file": entry.name})


def send_pending(partner: str, channel: PartnerChannel, outbox: OutboxStore, *,
                 clock: Callable[[], datetime],
                 observer: TransferObserver | None = None) -> list[str]:
    """Publish everything owed to ``partner`` over an open ``channel``; the names sent."""
    return [name for name, _item in publish_pending(partner, channel, outbox, clock=clock,
                                                    observer=observer)]


def publish_pending(partner: str, channel: PartnerChannel, outbox: OutboxStore, *,
                    clock: Callable[[], datetime], observer: TransferObserver | None = None,
                    sender: Sender | None = None) -> list[tuple[str, OutboxItem]]:
    """Publish everything owed to ``partner``; each name sent with the item it carried.

    Rows are claimed for ``sender`` a batch at a time, so no other node or command sends
    them meanwhile. Each item is marked sent only after its file is in place, so a failure
    leaves the rest owed for the next try (their claims given back), and a retry replaces a
    published file rather than doubling it."""
    sender = sender or Sender()
    sent: list[tuple[str, OutboxItem]] = []
    while claimed := outbox.claim_outbox(partner, sender.id, lease=sender.claim):
        for position, (outbox_id, _partner, item) in enumerate(claimed):
            try:
                sent.append(_publish(partner, channel, outbox, (outbox_id, item),
                                     clock=clock, observer=observer))
            except BaseException:
                outbox.release_outbox(sender.id, [row[0] for row in claimed[position:]])
                raise
    return sent


def _publish(partner: str, channel: PartnerChannel, outbox: OutboxStore,
             row: tuple[int, OutboxItem], *, clock: Callable[[], datetime],
             observer: TransferObserver | None) -> tuple[str, OutboxItem]:
    outbox_id, item = row
    name = acknowledgement_file_name(item)
    started = time.monotonic()
    channel.publish(name, item.payload)
    if observer is not None:
        observer.transferred(partner, "publish", len(item.payload), time.monotonic() - started)
    crash_point("after-publish")  # published, not yet marked: the next try replaces it
    outbox.mark_sent(outbox_id, clock())
    return name, item


def _fetch_within(channel: PartnerChannel, remote: RemoteFile, partner: str, *,
                  archive: Archive, limit: int,
                  observer: TransferObserver | None) -> KeptFile | None:
    """The file downloaded straight into the archive, hashed on the way (one write, never
    whole in memory); None when it is over ``limit``: by its listing (then it is never
    downloaded) or by growing past it while we read it (then the download stops there and
    nothing of it is kept)."""
    if remote.size > limit:
        return None
    started = time.monotonic()
    try:
        kept = archive.put_stream(
            lambda sink: channel.fetch_into(remote.name, sink, max_bytes=limit))
    except FileTooLarge:
        return None
    if observer is not None:
        observer.transferred(partner, "fetch", kept.size, time.monotonic() - started)
    return kept


def _refuse(partner: str, remote: RemoteFile, limit: int, *, store: IngestStore,
            report: PollReport, now: datetime,
            after_file: Callable[[IngestResult], None] | None) -> None:
    """Record a file too large to take (once per name, size and time) and say so."""
    result, new = refuse_unread(store, partner, remote, limit, now=now)
    report.waiting.append((remote.name, f"{result.reason} (file #{result.file_id})"))
    if new:
        report.taken.append((remote.name, result))
        report.refused.append((remote.name, result))
        if after_file is not None:
            after_file(result)  # alerts, metrics: it is a rejected file like any other


def refuse_unread(store: IngestStore, partner: str, remote: RemoteFile, limit: int, *,
                  now: datetime) -> tuple[IngestResult, bool]:
    """Record ``remote``, over ``limit``, as rejected without its bytes, unless the same name,
    size and time were refused before; the result, and whether it was recorded now. A file
    listed at or under the limit grew past it while it was being read."""
    grew = remote.size <= limit
    reason = too_large_reason(remote.name, remote.size, limit, grew=grew)
    found = f"{remote.size} bytes listed, more read" if grew else f"{remote.size} bytes"
    with store.transaction() as tx:
        earlier = tx.refused_file(partner, remote.name, remote.size, remote.modified)
        if earlier is not None:
            return IngestResult(earlier.id, earlier.state, earlier.reason, partner=partner,
                                name=remote.name, never_taken=True), False
        file_id = tx.record_refused_file(partner, remote.name, size=remote.size,
                                         modified=remote.modified, received_at=now,
                                         reason=reason)
        tx.add_findings(file_id, [FindingRow("file.too-large", "error", reason, found=found,
                                             expected=f"at most {limit} bytes")])
        tx.add_event(file_event(file_id, partner, remote.name, FileState.REJECTED,
                                reason=reason, at=now))
    return IngestResult(file_id, FileState.REJECTED, reason, partner=partner, name=remote.name,
                        never_taken=True), True


def too_large_reason(name: str, size: int, limit: int, *, grew: bool = False) -> str:
    """Why a file is refused unread: its size, the limit and the key that sets it."""
    where = f"the limit of {_size_text(limit)} set by {FILE_SIZE_KEY} in config.yaml"
    if grew:
        return (f"refused: {name} was listed at {_size_text(size)} but grew past {where} "
                "while it was being downloaded; the download was stopped there and nothing "
                "of it was kept")
    return f"refused unread: {name} is {_size_text(size)}, over {where}"


def _size_text(size: int) -> str:
    return f"{size:,} bytes ({size / (1 << 20):,.1f} MiB)" if size >= 1 << 20 \
        else f"{size:,} bytes"


def _stable_files(channel: PartnerChannel, settle: float,
                  sleep: Callable[[float], None]) -> list[tuple[RemoteFile, str | None]]:
    """Each listed file, with the reason to leave it for now (None: take it)."""
    before = {f.name: f for f in channel.list_inbound()}
    if not before:
        return []
    sleep(settle)
    found: list[tuple[RemoteFile, str | None]] = []
    for remote in channel.list_inbound():
        earlier = before.get(remote.name)
        if earlier is None:
            found.append((remote, "appeared during this poll"))
        elif (earlier.size, earlier.modified) != (remote.size, remote.modified):
            found.append((remote, "still being written (its size or time changed)"))
        else:
            found.append((remote, None))
    return found


def acknowledgement_file_name(item: OutboxItem) -> str:
    """The same document always gets the same name: 997_000000012.x12,
    180_000000013.x12, status-xml_RGW-S000000001.xml..."""
    suffix = "xml" if payload_kind(item.payload) is PayloadKind.XML else "x12"
    return f"{item.kind.replace('+', '-')}_{item.control_number}.{suffix}"
