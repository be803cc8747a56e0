"""Return programs: which reverse-logistics programme a return line (and its case) belongs to.

A reverse-logistics provider runs several programs through the same docks: customer returns,
excess and end-of-season inventory, recalls, damaged goods, asset recovery, redistribution.
They plan, report and recover value by program, so every return line is classified into one.

Rules, first match
    `ProgramRules` is the ordered list of rules an admin writes (``programs/rules.yaml``,
    read by `gateway.config.programs`). A line gets the program of the first rule that applies
    to it, so precedence is reading order; rules are numbered from 1 in explanations. A rule
    applies when every condition it states holds: the line's X12 1293 request reason (RDR02,
    the request's header reason when the line has none) is one of ``reasons``, its X12 1292
    disposition (RDR01, likewise) is one of ``dispositions``, its partner is one of
    ``partners``, and it is (``recall_hold: true``) or is not (``false``) on recall hold. A
    condition a rule does not state does not constrain it; a line that lacks the code a
    condition needs does not meet it.

Defaults
    No rule applies: the partner's default program when ``partner_defaults`` names one (a
    liquidator's returns are excess inventory whatever their codes), else the rules' default.

A case's program
    A case holds lines of one request; its program is the program of most units among its lines
    (quantities added; a line without a quantity counts as one unit), ties going to the earliest
    line. One exception, for safety: a case with any line in the recall program is a recall
    case, because a recall's lines must never be planned or reported as something else.

Pure: standard library only; every fact is an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Program(StrEnum):
    CUSTOMER_RETURN = "customer-return"
    EXCESS_INVENTORY = "excess-inventory"
    END_OF_SEASON = "end-of-season"
    RECALL = "recall"
    DAMAGED_GOODS = "damaged-goods"
    ASSET_RECOVERY = "asset-recovery"
    REDISTRIBUTION = "redistribution"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class LineFacts:
    """What a rule reads about one return line."""

    line_number: int
    partner: str
    reason_code: str | None = None  # X12 1293 (RDR02): the line's, else the header's
    disposition_code: str | None = None  # X12 1292 (RDR01): the line's, else the header's
    on_recall_hold: bool = False
    quantity: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ProgramRule:
    program: Program
    reasons: frozenset[str] = frozenset()  # empty: any
    dispositions: frozenset[str] = frozenset()  # empty: any
    partners: frozenset[str] = frozenset()  # empty: any
    recall_hold: bool | None = None  # None: either

    def applies_to(self, line: LineFacts) -> bool:
        return (_meets(self.reasons, line.reason_code)
                and _meets(self.dispositions, line.disposition_code)
                and (not self.partners or line.partner in self.partners)
                and (self.recall_hold is None or self.recall_hold == line.on_recall_hold))

    def describe(self) -> str:
        """The rule's conditions in plain words, e.g. "reason DA or DT, on recall hold"."""
        said = []
        if self.reasons:
            said.append("reason " + " or ".join(sorted(self.reasons)))
        if self.dispositions:
            said.append("disposition " + " or ".join(sorted(self.dispositions)))
        if self.partners:
            said.append("partner " + " or ".join(sorted(self.partners)))
        if self.recall_hold is not None:
            said.append("on recall hold" if self.recall_hold else "not on recall hold")
        return ", ".join(said) or "every line"


def _meets(allowed: frozenset[str], code: str | None) -> bool:
    return not allowed or (code is not None and code.strip().upper() in allowed)


@dataclass(frozen=True, slots=True)
class ProgramRules:
    rules: tuple[ProgramRule, ...] = ()
    default: Program = Program.OTHER
    partner_defaults: Mapping[str, Program] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Classification:
    line_number: int
    program: Program
    why: str  # "rule 3 (reason DA or DT)", "northwind's default", "the default"
    rule: int | None = None  # 1-based; None when a default decided


def classify_line(rules: ProgramRules, line: LineFacts) -> Classification:
    """The program of ``line``: the first rule that applies, else the defaults."""
    for number, rule in enumerate(rules.rules, start=1):
        if rule.applies_to(line):
            return Classification(line.line_number, rule.program,
                                  f"rule {number} ({rule.describe()})", number)
    partner_default = rules.partner_defaults.get(line.partner)
    if partner_default is not None:
        return Classification(line.line_number, partner_default, f"{line.partner}'s default")
    return Classification(line.line_number, rules.default, "the default")


def classify_lines(rules: ProgramRules,
                   lines: Iterable[LineFacts]) -> tuple[Classification, ...]:
    return tuple(classify_line(rules, line) for line in lines)


def case_program(lines: Sequence[LineFacts],
                 classified: Sequence[Classification]) -> Program | None:
    """The case's program (module docstring); None for a case with no lines."""
    if not classified:
        return None
    if any(c.program is Program.RECALL for c in classified):
        return Program.RECALL
    units: dict[Program, Decimal] = {}
    for line, found in zip(lines, classified, strict=True):
        units[found.program] = units.get(found.program, Decimal(0)) + (
            line.quantity if line.quantity is not None else Decimal(1))
    most = max(units.values())
    return next(c.program for c in classified if units[c.program] == most)
