"""What a validator is given: one transaction set's content, the grammar for its version, and
the conventions both engines share (each set renumbered ST02 = SE02 = its index with SE01 right,
its component separator replaced by a free one).

Two engines validate sets against the grammars we ship: the fast one compiled from them
(`gateway.x12.fast`), and pyx12 reading them (`gateway.x12.validate`), kept as the reference the
fast one is proven against. They are handed exactly the same segments (`bounds.bounded_set` over
`renumbered`), so their findings can be compared one for one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from gateway.x12 import findings as f
from gateway.x12.findings import Finding, Level, Location, Severity, X12Code
from gateway.x12.values import is_digits

# Transaction sets we have grammars for, and the functional identifier (GS01) of each.
FUNCTIONAL_IDS = {"180": "AN", "856": "SH", "214": "QM", "824": "AG", "861": "RC", "997": "FA",
                  "999": "FA"}
_ELEMENT_CANDIDATES = "*|^!\x1d\x1f"
_SEGMENT_CANDIDATES = "~\x1c\x1e\x07"
_COMPONENT_CANDIDATES = ":>`+\x1f\x1b"

@dataclass(frozen=True, slots=True)
class Grammar:
    family: str  # "004010" or "005010": the grammar folder used
    isa12: str
    gs08: str
    exact: bool  # False when a neighbouring release is validated with this grammar


def grammar_for(gs08: str, set_id: str = "") -> Grammar | None:
    """Which of our grammars validates a group with version ``gs08``; None if none does."""
    version = gs08.strip().upper()
    release = version[:6]
    if release.startswith("0040") and is_digits(release):
        return Grammar("004010", "00401", "004010", exact=release == "004010")
    if release.startswith("0050") and is_digits(release):
        gs = "005010X231A1" if set_id == "999" else "005010"
        return Grammar("005010", "00501", gs, exact=release == "005010")
    return None


@dataclass(frozen=True, slots=True)
class SetContent:
    """One transaction set to validate, read lazily so that a 20 MB set never sits in lists."""

    set_id: str
    segments: Callable[[], Iterator[list[str]]]  # ST..SE as ``[tag, e01, e02, ...]``
    characters: frozenset[str]  # every character in the set, to pick delimiters that are free
    location: Location  # interchange / group / set identity, for the findings
    component: str  # the partner's component separator in this set's interchange
    repetition: str | None = None  # the partner's repetition separator (ISA11 from 00402)
    # Told each segment (position from ST = 1, values) as an engine reads the set, so that
    # what else reads the whole set (totals, code lists) needs no read of its own.
    observer: Callable[[int, list[str]], None] | None = None


def not_validated(content: SetContent, why: str) -> Finding:
    return Finding(
        "set.not-validated", f"This transaction set was not fully validated ({why}); it is "
        "rejected rather than accepted unchecked.", Severity.ERROR,
        X12Code(Level.TRANSACTION, f.AK5_NOT_SUPPORTED), content.location)


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str
    segment: str
    component: str
    repetition: str


def choose_delimiters(sets: Sequence[SetContent]) -> Delimiters:
    used = frozenset().union(*(s.characters for s in sets))
    element = _free(_ELEMENT_CANDIDATES, used)
    segment = _free(_SEGMENT_CANDIDATES, used)
    component = _free(_COMPONENT_CANDIDATES, used | {element, segment})
    repetition = _free("^{}\x19", used | {element, segment, component})
    return Delimiters(element, segment, component, repetition)


def renumbered(segments: Iterator[list[str]], index: int) -> Iterator[list[str]]:
    """The set with ST02 = SE02 = a unique number and SE01 right (added if the SE is missing)."""
    control = f"{index:04d}"
    st = list(next(segments))
    st[2:3] = [control]
    yield st
    count, held = 1, None
    for segment in segments:
        if held is not None:
            yield held
            count += 1
        held = segment
    if held is not None and held[0] != "SE":
        yield held
        count += 1
    yield ["SE", str(count + 1), control]


def _free(candidates: str, used: frozenset[str] | set[str]) -> str:
    found = next((c for c in candidates if c not in used), None)
    if found is None:  # every candidate occurs in the data: any other control character will do
        found = next(chr(c) for c in range(1, 32) if chr(c) not in used and chr(c) not in "\r\n")
    return found
