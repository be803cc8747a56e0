"""The sentences the terminal and the console use for what we sent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from gateway.app.ports import FindingRow
from gateway.app.wording import delivery, finding_location, terminal_delivery
from gateway.store.repository import OutboundRow

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SENT = OutboundRow(1, "northwind", None, "180", "rma-answer", "000000002", "RR1", "sent",
                   NOW - timedelta(hours=6), NOW - timedelta(hours=5), None, "expected",
                   NOW - timedelta(hours=1), None, None, None, b"")


def test_an_overdue_acknowledgement_is_called_out() -> None:
    assert delivery(SENT, NOW).overdue
    assert terminal_delivery(SENT, NOW).startswith("OVERDUE: sent ")
    assert not delivery(SENT, NOW - timedelta(hours=2)).overdue


def test_held_waiting_and_answered_documents() -> None:
    held = replace(SENT, state="held", reason="GS03 too short")
    assert terminal_delivery(held, NOW) == "HELD: held, not sent: GS03 too short"
    assert terminal_delivery(replace(SENT, state="pending"), NOW) == "waiting to be sent"
    answered = replace(SENT, ack_state="accepted", ack_at=NOW)
    assert delivery(answered, NOW).text.endswith("accepted by the partner 2026-11-25 12:00")
    assert delivery(replace(SENT, ack_state=None), NOW).text.endswith(
        "no acknowledgement expected")


def test_a_finding_names_line_segment_and_element() -> None:
    finding = FindingRow("x", "error", "bad", line=14, segment_position=12, segment_tag="AT7",
                         element_position=1)
    assert finding_location(finding) == "line 14, segment 12 (AT7), element AT701"
    assert finding_location(FindingRow("x", "error", "bad")) == ""
