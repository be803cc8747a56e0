"""Control totals a ship notice carries about itself: CTT01 and CTT02 of an 856.

In an 856, CTT01 counts the HL segments and CTT02 is the hash total of the quantities shipped
(SN102), the reading of the VICS and most retail guides. X12 defines a hash total as the sum of
the values "without regard to decimal points (explicit or implicit) or signs", truncated on the
left to the element's maximum length (CTT02, element 347, is R 1/10). A mismatch means the file
was cut or edited after it was written, or the partner counts differently: worth telling an
admin, not worth rejecting goods on, so both are warnings.
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.x12 import findings as f
from gateway.x12.findings import Finding, Location

_HASH_DIGITS = 10  # CTT02 (347) is R 1/10


def ctt_warnings(set_id: str, segments: Iterable[list[str]], where: Location) -> list[Finding]:
    """Warnings where an 856's CTT01 / CTT02 disagree with the HL segments and SN1 quantities
    it holds; nothing for other sets or an 856 without a CTT."""
    tally = CttTally(set_id, where)
    for position, values in enumerate(segments, start=1):
        tally.feed(position, values)
    return tally.findings()


class CttTally:
    """`ctt_warnings` a segment at a time, for a reader that walks the set only once."""

    def __init__(self, set_id: str, where: Location) -> None:
        self.counts = set_id == "856"
        self.where = where
        self.levels, self.hash_total = 0, 0
        self.ctt: list[str] | None = None
        self.ctt_position = 0

    def feed(self, position: int, values: list[str]) -> None:
        if not self.counts:
            return
        tag = values[0]
        if tag == "HL":
            self.levels += 1
        elif tag == "SN1" and len(values) > 2:
            self.hash_total += _hash_value(values[2])
        elif tag == "CTT":
            self.ctt, self.ctt_position = values, position

    def findings(self) -> list[Finding]:
        if self.ctt is None:
            return []
        at = self.where.within(segment_position=self.ctt_position, segment_tag="CTT")
        return [*_count_warning(self.ctt, self.levels, at),
                *_hash_warning(self.ctt, self.hash_total, at)]


def _hash_value(value: str) -> int:
    digits = "".join(c for c in value if c.isascii() and c.isdigit())
    return int(digits) if digits else 0


def _count_warning(ctt: list[str], levels: int, at: Location) -> list[Finding]:
    declared = ctt[1].strip() if len(ctt) > 1 else ""
    if declared.isascii() and declared.isdigit() and int(declared) == levels:
        return []
    return [f.warning(
        "set.ctt01-mismatch",
        f"CTT01 says the ship notice has {declared or '(nothing)'} hierarchical levels; it "
        f"holds {levels} HL segments. Accepted; check that nothing was cut from the file.",
        at.within(element_position=1, element_number="354"), expected=str(levels),
        found=declared)]


def _hash_warning(ctt: list[str], total: int, at: Location) -> list[Finding]:
    declared = ctt[2].strip() if len(ctt) > 2 else ""
    if not declared:
        return []  # CTT02 is optional
    expected = str(total % 10 ** _HASH_DIGITS)
    if _hash_value(declared) == int(expected):
        return []
    return [f.warning(
        "set.ctt02-mismatch",
        f"CTT02 (hash total) is {declared}; the SN102 quantities shipped add up to {expected} "
        "(summed without decimal points or signs, as X12 defines a hash total). Accepted; "
        "check the quantities.", at.within(element_position=2, element_number="347"),
        expected=expected, found=declared)]
