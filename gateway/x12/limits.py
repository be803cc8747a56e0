"""How much work one file may cost, and how strictly its envelope is read.

A partner's file is untrusted: a hostile or broken one must get a clear rejection, never stall
the gateway for every other partner. Each limit is checked where the work happens (the
envelope reader counts segments, groups and sets as it walks; the validator watches the clock
and the HL depth) and a breach becomes a finding with the acknowledgement code that carries it:
a TA1 note for the interchange, AK905 for a group, AK5 / AK3 for a transaction set.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

MEBIBYTE = 1 << 20


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-file ceilings; the defaults are far above any real partner file we have seen (the
    largest real ASNs run to tens of megabytes and a few hundred thousand segments) and low
    enough that a hostile file is refused in seconds, not minutes."""

    file_bytes: int = 128 * MEBIBYTE  # X12 or XML as received (XML has its own, lower cap)
    xml_bytes: int = 10 * MEBIBYTE
    segments: int = 5_000_000  # in the whole file
    groups: int = 5_000  # functional groups in the whole file
    sets: int = 100_000  # transaction sets in the whole file
    hl_depth: int = 32  # nesting of HL levels in one 856 (real ASNs stay under 8)
    seconds: float = 600.0  # validation time for one file (pyx12 runs ~10k segments/s)
    # One transaction set mapped whole, as objects (every set but a depth-first 856, which is
    # mapped a loop at a time): its Python objects take about fifty times its bytes.
    whole_set_bytes: int = 4 * MEBIBYTE


_DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class FrontDoorRules:
    """What the front door applies to one partner's files: the limits, and whether an envelope
    the gateway can read but X12 does not allow (an ISA that is not fixed width, ISA ids of the
    wrong length) is rejected (strict) or accepted and reported with a TA1 'E' (lenient)."""

    limits: Limits = _DEFAULT_LIMITS
    strict_envelope: bool = False
    engine: str = "fast"  # "fast" (compiled from our grammars) or "pyx12" (the reference)


class Deadline:
    """The time one file's validation may take, on an injectable clock (tests pass their own,
    so nothing here depends on how loaded the machine is)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._started = clock()

    def expired(self) -> bool:
        return self._clock() - self._started > self.seconds
