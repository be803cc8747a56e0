"""What becomes of returned goods once the dock has them: an outcome for every unit of a line.

After receipt, a person decides each line's fate: restock it, refurbish it, recycle it,
liquidate it, donate it, return it to its vendor or destroy it; a line's units may be split
across outcomes (two restocked, one recycled). The value recovered (what a liquidator paid,
the resale value of restocked units) is kept when it is known.

The rules, for every face (CLI, console, API) alike
    * Only a RECEIVED case takes dispositions: before receipt nothing is at the dock to decide
      on, and a CLOSED case (closed by its dispositions or by hand) is settled.
    * One disposition per line and outcome stands: recording the same outcome for the same
      line again replaces it (the latest wins; every record is kept, so the history stays).
      A quantity of 0 withdraws that outcome (a person's mistake is corrected, not deleted).
    * The units of a line's outcomes never add up to more than the line has (its quantity;
      a line without one counts one unit, as the programs report counts it).
    * A recalled unit must never go back on sale: a line on recall hold cannot be restocked,
      liquidated or donated (the refusal names the notice); it may be refurbished (the remedy
      many recalls name), recycled, returned to its vendor or destroyed.
    * A case is fully dispositioned when every line it expects at the dock has outcomes for
      all its units. A line the vendor denied (X12 1292 RD in its latest statement) is not
      expected back: it need not be dispositioned for the case to close, but may be if it
      came anyway.
    * A recovered value is an amount of one currency (ISO 4217); amounts of different
      currencies are never added together.

Pure: standard library and the canonical model only; every fact is an argument.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from gateway.domain.return_case import CaseLine
from gateway.model import Disposition as X12Disposition
from gateway.model.states import CaseState


class Outcome(StrEnum):
    """What became of a line's units (their order is the order people read them in)."""

    RESTOCK = "restock"
    REFURBISH = "refurbish"
    RECYCLE = "recycle"
    LIQUIDATE = "liquidate"
    DONATE = "donate"
    RETURN_TO_VENDOR = "return-to-vendor"
    DESTROY = "destroy"


# Outcomes that put a unit in someone's hands again: restocked units are sold, liquidated ones
# sold on, donated ones used. None of them is allowed for a unit under recall.
BACK_IN_USE = frozenset({Outcome.RESTOCK, Outcome.LIQUIDATE, Outcome.DONATE})
# The currency a value is in when nobody said (and the line's price names none). A constant
# rather than a setting: a different house currency is given per disposition (--currency),
# and the line's own price currency is preferred anyway (`default_currency`).
DEFAULT_CURRENCY = "USD"
DECIMAL_PLACES = 4  # enough for every ISO 4217 minor unit and for weights (2.5 LB)
LARGEST = Decimal(10) ** 12  # a quantity or amount beyond this is a typing mistake
NOTE_MAX = 500
_CURRENCY = re.compile(r"[A-Z]{3}")


class DispositionError(ValueError):
    """A disposition that cannot be recorded; the message says why, for a person."""


@dataclass(frozen=True, slots=True)
class RecoveredValue:
    """What was recovered for a disposition's units altogether, in one currency."""

    amount: Decimal
    currency: str  # ISO 4217, three capital letters

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@dataclass(frozen=True, slots=True)
class LineDisposition:
    """One record: ``quantity`` units of line ``line_number`` went to ``outcome``."""

    line_number: int
    outcome: Outcome
    quantity: Decimal  # 0: the outcome withdrawn from the line
    recorded_at: datetime
    recorded_by: str  # as the audit log names people: cli:USER, console:NAME, api:CLIENT
    value: RecoveredValue | None = None
    note: str = ""


# --- reading what people typed -----------------------------------------------------------
def parse_outcome(text: str) -> Outcome:
    try:
        return Outcome(text.strip().lower().replace("_", "-").replace(" ", "-"))
    except ValueError:
        raise DispositionError(f"{text!r} is not an outcome; choose one of "
                               + ", ".join(o.value for o in Outcome)) from None


def parse_amount(text: str, what: str) -> Decimal:
    """A quantity or value as typed: a plain decimal number, 0 or more, at most
    DECIMAL_PLACES places (no exponent, no NaN, no thousands separator)."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise DispositionError(f"{what} {text!r} is not a number like 12.50") from None
    return checked_amount(amount, what)


def checked_amount(amount: Decimal, what: str) -> Decimal:
    if not amount.is_finite() or amount < 0 or amount >= LARGEST:
        raise DispositionError(f"{what} must be a number from 0 to {LARGEST:,}")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -DECIMAL_PLACES:
        raise DispositionError(f"{what} {amount} has more than {DECIMAL_PLACES} decimal "
                               "places")
    return amount


def parse_currency(text: str) -> str:
    code = text.strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise DispositionError(f"{text!r} is not an ISO 4217 currency code like USD or EUR")
    return code


def default_currency(line: CaseLine) -> str:
    """The currency a value of ``line`` is in when none is given: its unit price's, else
    DEFAULT_CURRENCY."""
    price = line.line.unit_price
    stated = (price.currency or "").strip().upper() if price is not None else ""
    return stated if _CURRENCY.fullmatch(stated) else DEFAULT_CURRENCY


# --- what stands ---------------------------------------------------------------------------
def standing(records: Iterable[LineDisposition]) -> tuple[LineDisposition, ...]:
    """The dispositions that stand: for each line and outcome the latest record (by time,
    then by the order given, which is the store's), unless it withdrew the outcome; by line,
    then in Outcome's order."""
    latest: dict[tuple[int, Outcome], LineDisposition] = {}
    for record in sorted(records, key=lambda r: r.recorded_at):  # stable: ties keep order
        latest[(record.line_number, record.outcome)] = record
    kept = [record for record in latest.values() if record.quantity > 0]
    order = list(Outcome)
    return tuple(sorted(kept, key=lambda r: (r.line_number, order.index(r.outcome))))


def line_units(line: CaseLine) -> Decimal:
    """The units of a line: its quantity, or one when it states none."""
    quantity = line.line.quantity
    return quantity.value if quantity is not None else Decimal(1)


def units_dispositioned(dispositions: Iterable[LineDisposition], line_number: int, *,
                        besides: Outcome | None = None) -> Decimal:
    """The units of line ``line_number`` that have an outcome (other than ``besides``)."""
    return sum((d.quantity for d in dispositions
                if d.line_number == line_number and d.outcome is not besides), Decimal(0))


def units_left(line: CaseLine, dispositions: Sequence[LineDisposition],
               outcome: Outcome | None = None) -> Decimal:
    """The units of ``line`` that ``outcome`` may take: those without an outcome, and those
    ``outcome`` already has (recording it again replaces them)."""
    taken = units_dispositioned(dispositions, line.line.line_number, besides=outcome)
    return max(line_units(line) - taken, Decimal(0))


def is_expected(line: CaseLine) -> bool:
    """Whether ``line`` is expected at the dock: not denied by the vendor's latest answer."""
    reasons = line.line.reasons
    return reasons is None or reasons.disposition is not X12Disposition.DENIED


def fully_dispositioned(lines: Sequence[CaseLine],
                        dispositions: Sequence[LineDisposition]) -> bool:
    """Every expected line has outcomes for all its units (and there is a line at all)."""
    expected = [line for line in lines if is_expected(line)]
    return bool(expected) and all(
        units_dispositioned(dispositions, line.line.line_number) >= line_units(line)
        for line in expected)


def recalled_back_in_use(lines: Sequence[CaseLine],
                         dispositions: Sequence[LineDisposition]) -> tuple[LineDisposition, ...]:
    """Dispositions that put units back in use on a line under recall hold: recorded before
    the notice reached the case. Someone must get those units back."""
    held = {line.line.line_number for line in lines if line.on_hold}
    return tuple(d for d in dispositions if d.line_number in held and d.outcome in BACK_IN_USE)


# --- may it be recorded? -------------------------------------------------------------------
def check_state(state: CaseState, case_id: str) -> None:
    """Refuse any disposition while the case is not RECEIVED (module doc)."""
    if state is CaseState.CLOSED:
        raise DispositionError(f"case {case_id} is closed: its dispositions are settled")
    if state is not CaseState.RECEIVED:
        raise DispositionError(
            f"case {case_id} is {state.value}: dispositions are recorded after receipt "
            "(gateway rma receive, or Goods received on the case page)")


def check_disposition(line: CaseLine, dispositions: Sequence[LineDisposition],
                      new: LineDisposition) -> None:
    """Refuse ``new`` when it would put a recalled unit back in use, or give the line more
    units than it has; ``dispositions`` are those that stand."""
    number = line.line.line_number
    if new.quantity == 0:
        _check_withdrawal(dispositions, new)
        return
    if new.outcome in BACK_IN_USE and line.on_hold:
        notices = ", ".join(sorted({hold.notice_id for hold in line.holds}))
        raise DispositionError(
            f"line {number} is on recall hold (notice {notices}): a recalled unit may not be "
            f"{_done(new.outcome)}; refurbish, recycle, return it to the vendor or destroy it")
    left = units_left(line, dispositions, new.outcome)
    if new.quantity > left:
        raise DispositionError(
            f"line {number} has {line_units(line)} units, {line_units(line) - left} with "
            f"another outcome: {new.outcome.value} may take at most {left}")


def _check_withdrawal(dispositions: Sequence[LineDisposition], new: LineDisposition) -> None:
    """A quantity of 0 withdraws an outcome that stands, and says nothing of value."""
    if not any(d.line_number == new.line_number and d.outcome is new.outcome
               for d in dispositions):
        raise DispositionError(f"line {new.line_number} has no {new.outcome.value} to "
                               "withdraw (a quantity of 0 withdraws an outcome)")
    if new.value is not None:
        raise DispositionError("a withdrawal (quantity 0) carries no recovered value")


def _done(outcome: Outcome) -> str:
    return {Outcome.RESTOCK: "restocked", Outcome.LIQUIDATE: "liquidated",
            Outcome.DONATE: "donated"}.get(outcome, outcome.value)
