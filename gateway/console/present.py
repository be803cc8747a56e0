"""Words and colours for what the store holds, shared by the pages.

The plain-language wording follows the ``gateway`` commands (``gateway show '#N'``,
``gateway acks``), so a person reading the console and the terminal reads the same sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from gateway.ports import FindingRow
from gateway.store.repository import OutboundRow

FILE_STATES = ("received", "accepted", "partially-accepted", "rejected", "not-x12",
               "duplicate")
FAILED_STATES = ("rejected", "partially-accepted", "not-x12")
OUR_PURPOSES = ("rma-answer", "status-update", "recall-notification")
RAW_CAP_BYTES = 256 * 1024  # a larger file is shown up to here, with a note

# The colour of a state's badge: good, moving, waiting, bad, or neutral.
_TONES = {
    "good": {"accepted", "ok", "delivered", "received", "closed", "authorized", "sent",
             "complete", "completed", "acting", "responded", "in"},
    "info": {"shipped", "in-transit", "requested", "expected", "accepted-with-errors",
             "out", "internal", "issued", "ongoing", "warning"},
    "warn": {"partially-accepted", "attention", "pending", "partially-authorized",
             "waiting", "no answer", "not delivered"},
    "bad": {"rejected", "not-x12", "failing", "held", "denied", "overdue", "exception",
            "error", "cancelled", "failed"},
}
TONE_OF = {state: tone for tone, states in _TONES.items() for state in states}


def tone(state: str | None) -> str:
    return TONE_OF.get((state or "").lower(), "neutral")


def moment(value: datetime | None) -> str:
    """Every time in the console is UTC, to the minute (the footer says so)."""
    if value is None:
        return "-"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def finding_location(finding: FindingRow) -> str:
    """Where a finding is, worded as ``gateway show '#N'`` words it."""
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


def delivery(row: OutboundRow, now: datetime) -> Delivery:
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


def number(value: Decimal) -> str:
    """2 rather than 2.000; 2.5 stays 2.5."""
    return format(value.normalize(), "f")
