"""Dispositions after receipt (the rules: `gateway.domain.dispositions`), recorded and read back.

A disposition is recorded the way a case step is (`gateway.app.outbound.steps`): an internal
stored document, of kind ``line-disposition``, carrying the case's correlation keys, so every
reference of the case finds it again and `gateway.app.cases.cases_for` folds it into the case's
view (`CaseView.recorded_on` says which case it was recorded on). Documents are never changed:
recording the same line and outcome again adds a record, and the latest one stands, so the
history is every record of the case.

The units of a line are those that reached the dock when a return centre's 861 said so
(`gateway.domain.receipts.received_by_line`), else the line's quantity. When every line a
case expects has outcomes for all its units, the case is closed as
`gateway rma close` closes it (note "every line dispositioned"), so the partners that subscribe
hear of it.

No event of its own: the feed's schema (event 1.2) has no type for it, and its
``document.recorded`` admits only case steps, so a new type needs a new schema version. The
case's move to CLOSED is in the feed, as ``case.state-changed``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from gateway.app.cases import LINE_DISPOSITION, CaseView, cases_for
from gateway.app.outbound.steps import RecordedStep, StepError, record_case_step
from gateway.app.outbound.terms import Outbound
from gateway.app.ports import DocumentReader
from gateway.app.search import find_case
from gateway.domain.correlation import KeyKind
from gateway.domain.dispositions import (
    BACK_IN_USE,
    NOTE_MAX,
    DispositionError,
    LineDisposition,
    Outcome,
    RecoveredValue,
    check_disposition,
    check_state,
    checked_amount,
    default_currency,
    fully_dispositioned,
    is_expected,
    line_units,
    parse_currency,
    recalled_back_in_use,
    standing,
    units_dispositioned,
    units_left,
)
from gateway.domain.matching import AmbiguousReference, one_case
from gateway.domain.receipts import received_by_line
from gateway.domain.return_case import CaseLine, ReturnCase
from gateway.model import Quantity
from gateway.model.states import CaseState

CLOSING_NOTE = "every line dispositioned"
AUDIT_ACTION = "case.disposition"  # what the audit log calls recording one, on every face
RECORDER = "gateway"  # the partner column of what people record here (as case steps)


class UnknownCase(DispositionError):
    """The reference names no return case."""


@dataclass(frozen=True, slots=True)
class DispositionOrder:
    """What a person asks to record on one line, as given (checked by `record_disposition`)."""

    line_number: int
    outcome: Outcome
    quantity: Decimal | None = None  # None: the units of the line still without an outcome
    value: Decimal | None = None  # recovered for these units altogether; None: not known
    currency: str | None = None  # None: the line's price currency, else USD
    note: str = ""


@dataclass(frozen=True, slots=True)
class LineOutcomes:
    """One line of a case with the dispositions that stand on it."""

    line: CaseLine
    dispositions: tuple[LineDisposition, ...]
    currency: str  # what a value given without a currency is in

    @property
    def number(self) -> int:
        return self.line.line.line_number

    @property
    def units(self) -> Decimal:
        return line_units(self.line)

    @property
    def dispositioned(self) -> Decimal:
        return units_dispositioned(self.dispositions, self.number)

    @property
    def left(self) -> Decimal:
        return units_left(self.line, self.dispositions)

    @property
    def expected(self) -> bool:
        return is_expected(self.line)

    @property
    def outcomes(self) -> tuple[Outcome, ...]:
        """The outcomes the line may take: on recall hold, none that puts a unit back in
        use (the console offers only these)."""
        return tuple(outcome for outcome in Outcome
                     if not (self.line.on_hold and outcome in BACK_IN_USE))


@dataclass(frozen=True, slots=True)
class CaseDispositions:
    """A case's dispositions: by line, every record (oldest first), and what they add up to."""

    case_id: str
    name: str  # the reference that names the case alone (`case_name`)
    state: CaseState
    lines: tuple[LineOutcomes, ...]
    history: tuple[LineDisposition, ...]

    @property
    def standing(self) -> tuple[LineDisposition, ...]:
        return tuple(d for line in self.lines for d in line.dispositions)

    @property
    def units(self) -> Decimal:
        """The units the case expects back (a denied line's are not)."""
        return sum((line.units for line in self.lines if line.expected), Decimal(0))

    @property
    def dispositioned(self) -> Decimal:
        return sum((line.dispositioned for line in self.lines), Decimal(0))

    @property
    def accepting(self) -> bool:
        """Whether dispositions may be recorded now (the case is RECEIVED)."""
        return self.state is CaseState.RECEIVED

    @property
    def complete(self) -> bool:
        return fully_dispositioned([line.line for line in self.lines], self.standing)

    @property
    def recovered(self) -> dict[str, Decimal]:
        return recovered_by_currency(self.standing)

    @property
    def recalled_in_use(self) -> tuple[LineDisposition, ...]:
        """Units put back in use on a line a recall holds now (module doc of the domain)."""
        return recalled_back_in_use([line.line for line in self.lines], self.standing)


@dataclass(frozen=True, slots=True)
class RecordedDisposition:
    case_id: str
    disposition: LineDisposition
    replaced: LineDisposition | None  # what stood for that line and outcome before
    now: CaseDispositions  # the case's dispositions with this one
    closed: RecordedStep | None = None  # the case closed by it
    not_closed: str | None = None  # why a case it completed could not be closed


def recovered_by_currency(dispositions: Iterable[LineDisposition]) -> dict[str, Decimal]:
    """Recovered value per currency, never one currency added to another."""
    totals: dict[str, Decimal] = {}
    for disposition in dispositions:
        if disposition.value is not None:
            value = disposition.value
            totals[value.currency] = totals.get(value.currency, Decimal(0)) + value.amount
    return dict(sorted(totals.items()))


# --- reading -------------------------------------------------------------------------------
def dispositions_of(view: CaseView, case: ReturnCase) -> CaseDispositions:
    """``case``'s dispositions, from ``view`` (the view it was folded in)."""
    history = tuple(_from_body(json.loads(stored.body)) for stored in view.documents
                    if stored.kind == LINE_DISPOSITION and view.recorded_on(stored, case))
    stand = standing(history)
    arrived = received_by_line(case)
    lines = tuple(LineOutcomes(_as_arrived(line, arrived),
                               tuple(d for d in stand if d.line_number == line.line.line_number),
                               default_currency(line)) for line in case.lines)
    return CaseDispositions(case.case_id, case_name(case), case.state, lines, history)


def _as_arrived(line: CaseLine, arrived: dict[int, Decimal] | None) -> CaseLine:
    """``line`` with the units that reached the dock as its quantity, when a return centre's
    861 said what arrived: a unit it never got (short, lost) has no fate to decide, and one it
    got beyond the authorization still needs one. Without an 861 (a person recorded the
    receipt) the line's own quantity stands."""
    if arrived is None:
        return line
    unit = line.line.quantity.unit if line.line.quantity is not None else None
    quantity = Quantity(arrived.get(line.line.line_number, Decimal(0)), unit)
    return replace(line, line=replace(line.line, quantity=quantity))


def dispositions_named(store: DocumentReader, reference: str) -> list[CaseDispositions]:
    """The dispositions of every case ``reference`` picks (a case id picks its case)."""
    found = find_case(store, reference)
    if found is not None:
        return [dispositions_of(*found)]
    view = cases_for(store, reference)
    return [dispositions_of(view, case) for case in view.cases]


def find_one_case(store: DocumentReader, reference: str) -> tuple[CaseView, ReturnCase]:
    """The one case ``reference`` names: a case id ("180:NW-RQ-1001", as the API and the
    events give it), or a reference that picks one case. Raises UnknownCase, or
    DispositionError naming the candidates when it picks several."""
    found = find_case(store, reference)
    if found is not None:
        return found
    view = cases_for(store, reference)
    try:
        case = one_case(view.cases, reference)
    except AmbiguousReference as exc:
        raise DispositionError(str(exc)) from None
    if case is None:
        raise UnknownCase(f"{reference!r} names no return case")
    return view, case


def case_name(case: ReturnCase) -> str:
    """The reference that names ``case`` alone: its request id, else its RMA (as
    `gateway.domain.matching.case_label` orders them), else its id's own number."""
    names = sorted(case.names, key=lambda name: (name.kind is not KeyKind.REQUEST_ID,
                                                  name.value))
    return names[0].value if names else case.case_id.partition(":")[2]


# --- recording -----------------------------------------------------------------------------
def record_disposition(context: Outbound, reference: str, order: DispositionOrder, *,
                       by: str, now: datetime) -> RecordedDisposition:
    """Record ``order`` on the one case ``reference`` names, and close the case when every
    line it expects is dispositioned. Raises DispositionError (UnknownCase), said to the
    person, when the case, the line or the order does not allow it."""
    view, case = find_one_case(context.store, reference)
    check_state(case.state, case.case_id)
    before = dispositions_of(view, case)
    line = _line(before, order.line_number)
    disposition = _disposition(order, line, by, now)
    check_disposition(line.line, before.standing, disposition)
    _store(context, case, disposition, now)
    after = dispositions_of(*find_one_case(context.store, reference))
    replaced = next((d for d in line.dispositions if d.outcome is disposition.outcome), None)
    recorded = RecordedDisposition(case.case_id, disposition, replaced, after)
    if not after.complete:
        return recorded
    closed = _closed(context, case, recorded, now)
    return replace(closed, now=dispositions_of(*find_one_case(context.store, reference)))


def _line(dispositions: CaseDispositions, number: int) -> LineOutcomes:
    found = next((line for line in dispositions.lines if line.number == number), None)
    if found is None:
        numbers = ", ".join(str(line.number) for line in dispositions.lines) or "none"
        raise DispositionError(f"case {dispositions.case_id} has no line {number} "
                               f"(its lines: {numbers})")
    return found


def _disposition(order: DispositionOrder, line: LineOutcomes, by: str,
                 now: datetime) -> LineDisposition:
    if order.quantity is None:
        quantity = units_left(line.line, line.dispositions, order.outcome)
        if quantity == 0:
            raise DispositionError(
                f"every unit of line {line.number} has another outcome; give a quantity, "
                "after withdrawing some (quantity 0) if need be")
    else:
        quantity = checked_amount(order.quantity, "the quantity")
    value = None
    if order.value is not None:
        currency = parse_currency(order.currency) if order.currency else line.currency
        value = RecoveredValue(checked_amount(order.value, "the value"), currency)
    note = " ".join(order.note.split())[:NOTE_MAX]
    return LineDisposition(line.number, order.outcome, quantity, now, by, value, note)


def _store(context: Outbound, case: ReturnCase, disposition: LineDisposition,
           now: datetime) -> None:
    with context.store.transaction() as tx:
        tx.add_document(None, RECORDER, kind=LINE_DISPOSITION, reference=case_name(case)[:80],
                        body=json.dumps(_body(disposition, {k.value for k in case.keys})),
                        keys=[(key.kind.value, key.value) for key in case.keys],
                        created_at=now, direction="internal")


def _closed(context: Outbound, case: ReturnCase, recorded: RecordedDisposition,
                        now: datetime) -> RecordedDisposition:
    """The CLOSED step recorded, as `gateway rma close` records it (its status updates
    queued); a step refused leaves the disposition recorded and says why."""
    try:
        step = record_case_step(context, case_name(case), CaseState.CLOSED,
                                note=CLOSING_NOTE, now=now)
    except StepError as exc:
        return replace(recorded, not_closed=str(exc))
    return replace(recorded, closed=step)


# --- the stored form -----------------------------------------------------------------------
def _body(disposition: LineDisposition, keys: Iterable[str]) -> dict[str, Any]:
    """As stored (its JSON); ``case_keys`` are the case's key values, as a step keeps them."""
    value = disposition.value
    return {"kind": LINE_DISPOSITION, "line": disposition.line_number,
            "outcome": disposition.outcome.value, "quantity": str(disposition.quantity),
            "value": None if value is None else {"amount": str(value.amount),
                                                 "currency": value.currency},
            "note": disposition.note, "recorded_by": disposition.recorded_by,
            "at": disposition.recorded_at.isoformat(), "case_keys": sorted(keys)}


def _from_body(body: dict[str, Any]) -> LineDisposition:
    value = body.get("value")
    return LineDisposition(
        int(body["line"]), Outcome(body["outcome"]), Decimal(body["quantity"]),
        datetime.fromisoformat(body["at"]), str(body.get("recorded_by") or ""),
        RecoveredValue(Decimal(value["amount"]), str(value["currency"])) if value else None,
        str(body.get("note") or ""))


def disposition_json(disposition: LineDisposition) -> dict[str, Any]:
    """A disposition as `gateway rma dispositions --format json` and the API give it."""
    value = disposition.value
    return {"line": disposition.line_number, "outcome": disposition.outcome.value,
            "quantity": str(disposition.quantity),
            "value": str(value.amount) if value else None,
            "currency": value.currency if value else None, "note": disposition.note,
            "recorded_by": disposition.recorded_by,
            "recorded_at": disposition.recorded_at.isoformat()}


def dispositions_json(found: CaseDispositions) -> dict[str, Any]:
    """A case's dispositions as the CLI's JSON and the API give them."""
    return {"case_id": found.case_id, "name": found.name, "state": found.state.value,
            "accepting": found.accepting, "complete": found.complete,
            "recovered": {currency: str(amount) for currency, amount in found.recovered.items()},
            "lines": [{"line": line.number, "units": str(line.units),
                       "dispositioned": str(line.dispositioned), "left": str(line.left),
                       "expected": line.expected, "on_recall_hold": line.line.on_hold,
                       "currency": line.currency,
                       "dispositions": [disposition_json(d) for d in line.dispositions]}
                      for line in found.lines],
            "recalled_in_use": [disposition_json(d) for d in found.recalled_in_use],
            "history": [disposition_json(d) for d in found.history]}


def audit_detail(done: RecordedDisposition) -> dict[str, Any]:
    """What the audit log keeps of a recorded disposition (every face writes the same)."""
    return {"case": done.case_id, **disposition_json(done.disposition),
            "replaced": disposition_json(done.replaced) if done.replaced else None,
            "closed": done.closed is not None and not done.closed.already}
