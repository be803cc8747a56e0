"""A return case's program, and each of its lines' (gateway.domain.programs), from its 180s.

The case keeps each line as its latest statement says it, but the codes a program is chosen by
are scattered: the request says why the goods come back (RDR02, on the line or once in the
header for every line), the vendor's answer what becomes of them (RDR01). So the facts of a line
are read from the case's 180 documents themselves, oldest first, each code as the latest
document that states it (on the line, else in its header) says; the partner is the one whose
return it is (the partner of its request, else of its first 180); the quantity and the recall
hold are the case's own.

The report (`program_totals`) adds up, by the week a case opened, its partner and program, the
cases, lines and units, and what became of those units after receipt (`gateway.app.
dispositions`): the units of each outcome and the value recovered, per currency, never one
currency added to another. A disposition counts with its line, in its line's program and its
case's week, whenever it was recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from gateway.app.case_export import CaseSource, each_case_view
from gateway.app.cases import CaseView, case_documents
from gateway.app.dispositions import dispositions_of
from gateway.app.ports import StoredDocument
from gateway.domain.dispositions import DEFAULT_CURRENCY, LineDisposition, Outcome
from gateway.domain.programs import (
    Classification,
    LineFacts,
    Program,
    ProgramRules,
    case_program,
    classify_lines,
)
from gateway.domain.return_case import ReturnCase
from gateway.model import ReturnAuthorization, ReturnLine, ReturnReasons, ReturnStage


@dataclass(frozen=True, slots=True)
class CasePrograms:
    program: Program | None  # None: the case has no return lines (only a shipment, say)
    lines: tuple[Classification, ...] = ()
    partner: str | None = None  # whose return it is


def programs_json(programs: CasePrograms) -> dict[str, Any]:
    """``program`` and ``line_programs``, as `gateway show --json` and the API give them."""
    return {"program": programs.program.value if programs.program else None,
            "line_programs": [{"line": c.line_number, "program": c.program.value,
                               "rule": c.rule, "why": c.why} for c in programs.lines]}


def programs_of(rules: ProgramRules, view: CaseView, case: ReturnCase) -> CasePrograms:
    """``case``'s program and its lines' (module docstring)."""
    requests = sorted(
        ((stored, document) for stored, document in case_documents(view, case).values()
         if isinstance(document, ReturnAuthorization)),
        key=lambda pair: (pair[0].created_at, pair[0].id))
    if not requests or not case.lines:
        return CasePrograms(None)
    partner = _whose(requests)
    facts = [_facts(line.line, partner, line.on_hold, [doc for _, doc in requests])
             for line in case.lines]
    classified = classify_lines(rules, facts)
    return CasePrograms(case_program(facts, classified), classified, partner)


def _whose(requests: list[tuple[StoredDocument, ReturnAuthorization]]) -> str:
    return next((stored.partner for stored, document in requests
                 if document.stage is ReturnStage.REQUEST), requests[0][0].partner)


def _facts(line: ReturnLine, partner: str, on_hold: bool,
           documents: list[ReturnAuthorization]) -> LineFacts:
    reason = disposition = None
    for document in documents:  # oldest first: the latest that states a code wins
        stated = _reasons_of(document, line.line_number)
        if stated is None:
            continue
        reason = stated.request_reason_code or reason
        disposition = stated.disposition_code or disposition
    quantity = line.quantity.value if line.quantity is not None else None
    return LineFacts(line.line_number, partner, reason, disposition, on_hold, quantity)


def _reasons_of(document: ReturnAuthorization, number: int) -> ReturnReasons | None:
    """What ``document`` says of line ``number``: its own RDR, else the header's for every
    line the document carries."""
    own = next((line for line in document.lines if line.line_number == number), None)
    if own is None:
        return None
    header = document.reasons or ReturnReasons()
    mine = own.reasons or ReturnReasons()
    return ReturnReasons(
        disposition_code=mine.disposition_code or header.disposition_code,
        request_reason_code=mine.request_reason_code or header.request_reason_code)


# --- counts and units by program, partner and week -----------------------------------------
# The units of each outcome as CSV columns: units_restock, ..., units_return_to_vendor.
OUTCOME_COLUMNS = {outcome: f"units_{outcome.value.replace('-', '_')}" for outcome in Outcome}
REPORT_COLUMNS = ("week", "partner", "program", "cases", "lines", "units",
                  "units_dispositioned", *OUTCOME_COLUMNS.values())


@dataclass(slots=True)
class ProgramTotal:
    """One row of the report: a week (ISO, of the case's opening), a partner, a program; the
    cases in that program, and the lines and units in it (a recall case's damaged line counts
    as a recall case and a damaged-goods line), with the units of those lines dispositioned,
    by outcome, and the value recovered, by currency."""

    week: str  # 2026-W49
    partner: str
    program: Program
    cases: int = 0
    lines: int = 0
    units: Decimal = Decimal(0)
    dispositioned: dict[Outcome, Decimal] = field(default_factory=dict)
    recovered: dict[str, Decimal] = field(default_factory=dict)  # by ISO 4217 currency

    @property
    def units_dispositioned(self) -> Decimal:
        return sum(self.dispositioned.values(), Decimal(0))

    def add_dispositions(self, dispositions: Iterable[LineDisposition]) -> None:
        for disposition in dispositions:
            outcome = disposition.outcome
            self.dispositioned[outcome] = (self.dispositioned.get(outcome, Decimal(0))
                                           + disposition.quantity)
            if disposition.value is not None:
                currency = disposition.value.currency
                self.recovered[currency] = (self.recovered.get(currency, Decimal(0))
                                            + disposition.value.amount)

    def add(self, other: ProgramTotal) -> None:
        """``other``'s counts added to these (a program's sum over weeks and partners)."""
        self.cases += other.cases
        self.lines += other.lines
        self.units += other.units
        for outcome, units in other.dispositioned.items():
            self.dispositioned[outcome] = self.dispositioned.get(outcome, Decimal(0)) + units
        for currency, amount in other.recovered.items():
            self.recovered[currency] = self.recovered.get(currency, Decimal(0)) + amount

    def row(self) -> dict[str, Any]:
        """As `gateway programs report --format json` and the API give it."""
        return {"week": self.week, "partner": self.partner, "program": self.program.value,
                "cases": self.cases, "lines": self.lines, "units": str(self.units),
                "units_dispositioned": str(self.units_dispositioned),
                "dispositioned": {outcome.value: str(self.dispositioned.get(outcome, 0))
                                  for outcome in Outcome},
                "recovered": {currency: str(amount)
                              for currency, amount in sorted(self.recovered.items())}}

    def csv_row(self, columns: Sequence[str]) -> dict[str, Any]:
        """One flat row of ``columns`` (`report_columns`): a column per outcome, and one per
        currency; a currency this row recovered nothing in is an empty cell."""
        flat = {**self.row(),
                **{column: str(self.dispositioned.get(outcome, 0))
                   for outcome, column in OUTCOME_COLUMNS.items()},
                **{recovered_column(currency): str(amount)
                   for currency, amount in self.recovered.items()}}
        return {column: flat.get(column) for column in columns}


def recovered_column(currency: str) -> str:
    return f"recovered_{currency}"


def report_columns(totals: Iterable[ProgramTotal]) -> tuple[str, ...]:
    """The CSV's columns: REPORT_COLUMNS, then one recovered_<CURRENCY> per currency any row
    recovered in (always the default one, so a one-currency house gets a stable header);
    a row that recovered nothing in a currency leaves its cell empty."""
    currencies = {DEFAULT_CURRENCY} | {c for total in totals for c in total.recovered}
    return (*REPORT_COLUMNS, *(recovered_column(c) for c in sorted(currencies)))


def program_totals(store: CaseSource, rules: ProgramRules, *, since: datetime | None = None,
                   partner: str | None = None) -> list[ProgramTotal]:
    """Every case with a request stored ``since`` (from ``partner``), added up by week,
    partner and program; sorted by week, partner and program."""
    totals: dict[tuple[str, str, Program], ProgramTotal] = {}

    def total(week: str, whose: str, program: Program) -> ProgramTotal:
        return totals.setdefault((week, whose, program), ProgramTotal(week, whose, program))

    for case, view in each_case_view(store, since=since, partner=partner):
        found = programs_of(rules, view, case)
        if found.program is None:
            continue
        week, whose = iso_week(case.opened_at), found.partner or "-"
        total(week, whose, found.program).cases += 1
        standing = dispositions_of(view, case).standing
        for line, classified in zip(case.lines, found.lines, strict=True):
            row = total(week, whose, classified.program)
            row.lines += 1
            row.units += line.line.quantity.value if line.line.quantity else Decimal(1)
            row.add_dispositions(d for d in standing
                                 if d.line_number == line.line.line_number)
    return [totals[key] for key in sorted(totals, key=lambda k: (k[0], k[1], k[2].value))]


def iso_week(moment: datetime) -> str:
    year, week, _day = moment.isocalendar()
    return f"{year}-W{week:02d}"


def recent_program_counts(store: CaseSource, rules: ProgramRules, since: datetime
                          ) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], float]]:
    """(partner, program): cases, and units, of the cases with a request received ``since``
    (the daemon's metrics: gateway_return_cases / gateway_return_units)."""
    cases: dict[tuple[str, str], int] = {}
    units: dict[tuple[str, str], float] = {}
    for total in program_totals(store, rules, since=since):
        key = (total.partner, total.program.value)
        cases[key] = cases.get(key, 0) + total.cases
        units[key] = units.get(key, 0.0) + float(total.units)
    return cases, units
