"""Dispositions after receipt (gateway.domain.dispositions): what stands, what may be recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from gateway.domain.dispositions import (
    DEFAULT_CURRENCY,
    DispositionError,
    LineDisposition,
    Outcome,
    RecoveredValue,
    check_disposition,
    check_state,
    default_currency,
    fully_dispositioned,
    parse_amount,
    parse_currency,
    parse_outcome,
    recalled_back_in_use,
    standing,
    units_left,
)
from gateway.domain.recall_match import RecallMatch
from gateway.domain.return_case import CaseLine
from gateway.model import (
    AffectedProduct,
    Disposition,
    Money,
    Quantity,
    ReturnLine,
    ReturnReasons,
)
from gateway.model.states import CaseState

AT = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def case_line(number: int = 1, quantity: str | None = "3", *, held_by: str | None = None,
              currency: str | None = None, denied: bool = False) -> CaseLine:
    line = ReturnLine(number, quantity=Quantity(Decimal(quantity), "EA") if quantity else None,
                      unit_price=Money(Decimal("9.99"), currency) if currency else None,
                      reasons=ReturnReasons(disposition=Disposition.DENIED) if denied else None)
    holds = (RecallMatch(held_by, AffectedProduct(), line, "gtin:00614141000364"),) \
        if held_by else ()
    return CaseLine(line, holds)


def record(outcome: Outcome, quantity: str, *, line: int = 1, minutes: int = 0,
           value: str | None = None) -> LineDisposition:
    return LineDisposition(line, outcome, Decimal(quantity), AT + timedelta(minutes=minutes),
                           "cli:otto",
                           RecoveredValue(Decimal(value), "USD") if value else None)


def test_the_latest_record_of_a_line_and_outcome_stands_and_zero_withdraws() -> None:
    records = [record(Outcome.RECYCLE, "1", minutes=0),
               record(Outcome.RESTOCK, "2", minutes=1),
               record(Outcome.RESTOCK, "1", minutes=2, value="10"),  # replaces the 2
               record(Outcome.DESTROY, "1", line=2, minutes=3),
               record(Outcome.DESTROY, "0", line=2, minutes=4)]  # withdrawn
    kept = standing(reversed(records))  # whatever order they are read in
    assert [(d.line_number, d.outcome, d.quantity) for d in kept] == [
        (1, Outcome.RESTOCK, Decimal(1)), (1, Outcome.RECYCLE, Decimal(1))]
    assert kept[0].value == RecoveredValue(Decimal(10), "USD")


def test_a_line_never_gets_more_units_than_it_has() -> None:
    line = case_line(quantity="3")
    kept = standing([record(Outcome.RESTOCK, "2")])
    assert units_left(line, kept) == 1
    assert units_left(line, kept, Outcome.RESTOCK) == 3  # restock again replaces its 2
    check_disposition(line, kept, record(Outcome.RECYCLE, "1"))
    check_disposition(line, kept, record(Outcome.RESTOCK, "3"))
    with pytest.raises(DispositionError, match="recycle may take at most 1"):
        check_disposition(line, kept, record(Outcome.RECYCLE, "2"))


def test_a_line_without_a_quantity_is_one_unit() -> None:
    line = case_line(quantity=None)
    assert units_left(line, ()) == 1
    with pytest.raises(DispositionError, match="at most 1"):
        check_disposition(line, (), record(Outcome.RECYCLE, "2"))


@pytest.mark.parametrize("outcome", [Outcome.RESTOCK, Outcome.LIQUIDATE, Outcome.DONATE])
def test_a_recalled_unit_never_goes_back_in_use(outcome: Outcome) -> None:
    line = case_line(held_by="26-031")
    with pytest.raises(DispositionError, match="recall hold \\(notice 26-031\\)"):
        check_disposition(line, (), record(outcome, "1"))


@pytest.mark.parametrize("outcome", [Outcome.REFURBISH, Outcome.RECYCLE,
                                     Outcome.RETURN_TO_VENDOR, Outcome.DESTROY])
def test_a_recalled_unit_may_be_refurbished_recycled_returned_or_destroyed(
        outcome: Outcome) -> None:
    check_disposition(case_line(held_by="26-031"), (), record(outcome, "3"))


def test_a_withdrawal_needs_something_to_withdraw_and_carries_no_value() -> None:
    line = case_line()
    kept = standing([record(Outcome.RESTOCK, "2")])
    check_disposition(line, kept, record(Outcome.RESTOCK, "0"))
    with pytest.raises(DispositionError, match="no recycle to withdraw"):
        check_disposition(line, kept, record(Outcome.RECYCLE, "0"))
    with pytest.raises(DispositionError, match="carries no recovered value"):
        check_disposition(line, kept, record(Outcome.RESTOCK, "0", value="5"))


@pytest.mark.parametrize(("state", "said"), [
    (CaseState.DELIVERED, "is delivered: dispositions are recorded after receipt"),
    (CaseState.AUTHORIZED, "after receipt"),
    (CaseState.CLOSED, "is closed"),
    (CaseState.CANCELLED, "after receipt")])
def test_only_a_received_case_takes_dispositions(state: CaseState, said: str) -> None:
    check_state(CaseState.RECEIVED, "180:RQ1")
    with pytest.raises(DispositionError, match=said):
        check_state(state, "180:RQ1")


def test_a_case_is_complete_when_every_expected_unit_has_an_outcome() -> None:
    lines = [case_line(1, "3"), case_line(2, "1"), case_line(3, "5", denied=True)]
    partly = standing([record(Outcome.RESTOCK, "3"), record(Outcome.RECYCLE, "0.5", line=2)])
    assert not fully_dispositioned(lines, partly)
    done = standing([*partly, record(Outcome.RECYCLE, "1", line=2, minutes=1)])
    assert fully_dispositioned(lines, done)  # line 3 was denied: not expected back
    assert not fully_dispositioned([], ())  # nothing to disposition is not "complete"


def test_a_recall_that_came_after_a_restock_is_pointed_out() -> None:
    lines = [case_line(1, held_by="26-031"), case_line(2)]
    kept = standing([record(Outcome.RESTOCK, "3"), record(Outcome.RESTOCK, "3", line=2),
                     record(Outcome.DESTROY, "0", line=1)])
    assert [(d.line_number, d.outcome) for d in recalled_back_in_use(lines, kept)] == [
        (1, Outcome.RESTOCK)]


def test_what_people_type_is_read_strictly() -> None:
    assert parse_outcome(" Return to vendor") is Outcome.RETURN_TO_VENDOR
    assert parse_outcome("return_to_vendor") is Outcome.RETURN_TO_VENDOR
    with pytest.raises(DispositionError, match="restock, refurbish, recycle"):
        parse_outcome("sell")
    assert parse_amount("12.50", "the value") == Decimal("12.50")
    for bad in ("-1", "NaN", "Infinity", "1e3x", "1,000", "0.00001", "1000000000000"):
        with pytest.raises(DispositionError):
            parse_amount(bad, "the value")
    assert parse_currency(" eur ") == "EUR"
    for bad in ("EURO", "€", "U$D", ""):
        with pytest.raises(DispositionError, match="ISO 4217"):
            parse_currency(bad)


def test_a_value_is_in_the_lines_price_currency_unless_said() -> None:
    assert default_currency(case_line(currency="cad")) == "CAD"
    assert default_currency(case_line()) == DEFAULT_CURRENCY == "USD"
    assert default_currency(case_line(currency="dollars")) == "USD"  # not a code: ignored
