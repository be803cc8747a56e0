"""Durable control numbers: the ISA13 and GS06 of everything we send a partner.

`DurableControlNumbers` is the store's side of `gateway.x12.write.ControlNumbers`, the one
protocol acknowledgements (`gateway.app.ingest`), the 824 (`gateway.app.advice`) and our own
documents (`gateway.app.outbound.queue`) draw their numbers from. The counters live in the
store, per partner and kind, and are consumed inside the caller's transaction: a rolled-back
transaction gives its numbers back, a committed one never hands them out again.
"""

from __future__ import annotations

from typing import Protocol

from gateway.x12.write import MAX_CONTROL


class CounterSource(Protocol):
    def next_control_number(self, partner: str, kind: str) -> int: ...


class DurableControlNumbers:
    """`ControlNumbers` backed by the store's counters, inside the caller's transaction."""

    def __init__(self, tx: CounterSource, partner: str) -> None:
        self.tx, self.partner = tx, partner

    def next_interchange(self) -> int:
        return _nine_digits(self.tx.next_control_number(self.partner, "interchange"))

    def next_group(self) -> int:
        return _nine_digits(self.tx.next_control_number(self.partner, "group"))


def _nine_digits(counter: int) -> int:
    """ISA13 and GS06 hold at most 9 digits: the counter cycles through 1..999,999,999 (never
    0, which some partners refuse); a cycle is far longer than any duplicate window."""
    return (counter - 1) % MAX_CONTROL + 1
