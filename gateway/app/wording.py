"""Plain-language words for what the store holds, shared by the commands and the console, so
a person reading the terminal and the web pages reads the same sentences."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.app.ports import FindingRow, OutboundRow

# Sent on our account (not acknowledgements): `gateway acks` and the console list these.
OUR_PURPOSES = ("rma-answer", "status-update", "recall-notification", "application-advice")


def utc_minute(value: datetime | None) -> str:
    return "-" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def local_minute(value: datetime | None) -> str:
    """Times in the terminal: the machine's zone, to the minute."""
    return "-" if value is None else f"{value.astimezone():%Y-%m-%d %H:%M}"


def terminal_delivery(row: OutboundRow, now: datetime) -> str:
    """The delivery sentence for the terminal: local times, OVERDUE and HELD called out."""
    found = delivery(row, now, local_minute)
    if found.badge in ("overdue", "held"):
        return f"{found.badge.upper()}: {found.text}"
    return found.text


def finding_location(finding: FindingRow) -> str:
    """Where a finding is: "line 14, segment 12 (AT7), element AT701"."""
    return ", ".join(part for part in (
        f"line {finding.line}" if finding.line else "",
        f"segment {finding.segment_position} ({finding.segment_tag})"
        if finding.segment_position else "",
        f"element {finding.segment_tag}{finding.element_position:02d}"
        if finding.element_position and finding.segment_tag else "") if part)


@dataclass(frozen=True)
class Delivery:
    """Where a document we sent stands, as a badge and a sentence."""

    badge: str
    text: str
    overdue: bool = False


def delivery(row: OutboundRow, now: datetime,
             moment: Callable[[datetime | None], str] = utc_minute) -> Delivery:
    if row.state == "held":
        return Delivery("held", f"held, not sent: {row.reason or 'invalid'}")
    if row.state == "pending":
        return Delivery("waiting", "waiting to be sent")
    sent = f"sent {moment(row.sent_at)}" if row.sent_at else "sent"
    if row.ack_state is None:
        return Delivery("sent", sent + ", no acknowledgement expected")
    if row.ack_state == "expected" and row.ack_due is not None and row.ack_due < now:
        return Delivery("overdue", f"{sent}, acknowledgement overdue since "
                        f"{moment(row.ack_due)}", overdue=True)
    if row.ack_state == "expected":
        due = f" by {moment(row.ack_due)}" if row.ack_due else ""
        return Delivery("expected", f"{sent}, acknowledgement expected{due}")
    at = f" {moment(row.ack_at)}" if row.ack_at else ""
    return Delivery(row.ack_state, f"{sent}, {row.ack_state} by the partner{at}")


def iso_or_none(moment: datetime | None) -> str | None:
    """A moment as JSON carries it (ISO 8601), or None."""
    return moment.isoformat() if moment else None
