"""Dispositions after receipt on a real store (SQLite and PostgreSQL): recorded on a line,
folded back into the case, refused when they must be, and the case closed by the last one."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.app.cases import cases_for
from gateway.app.dispositions import (
    CLOSING_NOTE,
    DispositionOrder,
    RecordedDisposition,
    UnknownCase,
    dispositions_named,
    record_disposition,
)
from gateway.app.outbound.steps import record_case_step
from gateway.domain.dispositions import DispositionError, Outcome, RecoveredValue
from gateway.model.states import CaseState
from tests.store.test_events import feed, validator
from tests.store.test_outbound import NOW, REPO, Gateway, story
from tests.store.test_outbound import gateway as gateway  # noqa: PLC0414 (the fixture)

RMA = "RMA7734021"  # the story's return: line 1 two stand mixers, line 2 one kettle
RECEIVED_AT = NOW + timedelta(hours=2)


@pytest.fixture
def received(gateway: Gateway) -> Gateway:
    """The story's return delivered, then received at the dock."""
    gateway.take("northwind", story("180-return-request-004010.x12"))
    gateway.take("northwind", story("856-pick-pack-004010.x12"))
    gateway.take("odfl", story("214-status-004010.x12"))
    record_case_step(gateway.outbound, RMA, CaseState.RECEIVED, note="2 cartons",
                     now=RECEIVED_AT)
    return gateway


def dispose(gateway: Gateway, line: int, outcome: Outcome, quantity: str | None = None, *,
            minutes: int = 1, value: str | None = None, currency: str | None = None,
            reference: str = RMA) -> RecordedDisposition:
    order = DispositionOrder(line, outcome, Decimal(quantity) if quantity else None,
                             Decimal(value) if value else None, currency, "checked by QA")
    return record_disposition(gateway.outbound, reference, order, by="cli:otto",
                              now=RECEIVED_AT + timedelta(minutes=minutes))


def test_nothing_is_dispositioned_before_receipt(gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"))
    with pytest.raises(DispositionError, match="is authorized: dispositions are recorded "
                                               "after receipt"):
        dispose(gateway, 1, Outcome.RESTOCK)
    with pytest.raises(UnknownCase, match="names no return case"):
        dispose(gateway, 1, Outcome.RESTOCK, reference="NO-SUCH-RMA")
    assert gateway.store.documents_of_kind("line-disposition") == []


def test_a_line_split_across_outcomes_closes_the_case_and_tells_the_partner(
        received: Gateway) -> None:
    first = dispose(received, 1, Outcome.RESTOCK, "1", value="120.00", minutes=1)
    assert first.closed is None and first.replaced is None
    assert (first.disposition.quantity, first.disposition.value) == (
        Decimal(1), RecoveredValue(Decimal("120.00"), "USD"))
    [line_1, line_2] = first.now.lines
    assert (line_1.units, line_1.dispositioned, line_1.left) == (2, 1, 1)
    assert (line_2.units, line_2.left) == (1, 1)

    dispose(received, 1, Outcome.RECYCLE, minutes=2)  # the unit left
    with pytest.raises(DispositionError, match="at most 0"):
        dispose(received, 1, Outcome.DESTROY, "1", minutes=3)
    last = dispose(received, 2, Outcome.LIQUIDATE, value="7.5", currency="eur", minutes=4)

    assert last.closed is not None and not last.closed.already
    [case] = cases_for(received.store, RMA).cases
    assert case.state is CaseState.CLOSED
    assert [e.note for e in case.timeline if e.asserts is CaseState.CLOSED] == [CLOSING_NOTE]
    assert [u.partner for u in last.closed.updates] == ["northwind"]
    [found] = dispositions_named(received.store, RMA)
    assert found.complete and not found.accepting
    assert found.recovered == {"EUR": Decimal("7.5"), "USD": Decimal("120.00")}
    assert [(d.line_number, d.outcome.value, str(d.quantity)) for d in found.standing] == [
        (1, "restock", "1"), (1, "recycle", "1"), (2, "liquidate", "1")]

    with pytest.raises(DispositionError, match="is closed"):
        dispose(received, 2, Outcome.LIQUIDATE, "0", minutes=5)


def test_recording_again_replaces_and_the_history_keeps_both(received: Gateway) -> None:
    dispose(received, 1, Outcome.RESTOCK, "2", value="100", minutes=1)
    again = dispose(received, 1, Outcome.RESTOCK, "1", value="60", minutes=2)
    assert again.replaced is not None and again.replaced.quantity == 2
    withdrawn = dispose(received, 1, Outcome.RESTOCK, "0", minutes=3)
    [found] = dispositions_named(received.store, RMA)
    assert withdrawn.now.standing == () and found.standing == ()
    assert [(str(d.quantity), d.recorded_by) for d in found.history] == [
        ("2", "cli:otto"), ("1", "cli:otto"), ("0", "cli:otto")]
    # Every record is a stored document of the case's, with its keys, never an event of its
    # own: the feed (event schema 1.2) has no type for it.
    stored = received.store.documents_of_kind("line-disposition")
    assert len(stored) == 3 and {d.direction for d in stored} == {"internal"}
    assert json.loads(stored[0].body)["case_keys"]
    for event in feed(received.store):
        validator().validate(event.envelope())


def test_a_case_is_named_by_any_of_its_references_or_its_id(received: Gateway) -> None:
    [case] = cases_for(received.store, RMA).cases
    by_id = dispose(received, 2, Outcome.DONATE, reference=case.case_id)
    assert by_id.case_id == case.case_id
    [found] = dispositions_named(received.store, case.case_id)
    assert [d.outcome for d in found.standing] == [Outcome.DONATE]
    with pytest.raises(DispositionError, match="has no line 9 \\(its lines: 1, 2\\)"):
        dispose(received, 9, Outcome.DONATE)


def test_a_recalled_line_is_never_restocked_and_an_earlier_restock_is_pointed_out(
        received: Gateway) -> None:
    dispose(received, 1, Outcome.RESTOCK, "2", minutes=1)  # before anyone knew
    notice = (REPO / "samples" / "recall" / "valid-stand-mixer-serials.xml").read_bytes()
    received.take("recalls-hub", notice, "notice.xml", at=RECEIVED_AT + timedelta(minutes=5))
    with pytest.raises(DispositionError, match="recall hold \\(notice 26-031\\)"):
        dispose(received, 1, Outcome.DONATE, "1", minutes=6)
    [found] = dispositions_named(received.store, RMA)
    assert [(d.line_number, d.outcome) for d in found.recalled_in_use] == [
        (1, Outcome.RESTOCK)]
    # The restock can be withdrawn and the units sent back to their vendor instead.
    dispose(received, 1, Outcome.RESTOCK, "0", minutes=7)
    fixed = dispose(received, 1, Outcome.RETURN_TO_VENDOR, minutes=8)
    assert fixed.now.recalled_in_use == () and fixed.disposition.quantity == 2


def test_after_the_docks_861_only_what_arrived_is_dispositioned(gateway: Gateway,
                                                                tmp_path: Path) -> None:
    """The 861 says both mixers arrived and the kettle did not: the kettle has no fate to
    decide, so the mixers' outcomes close the case; a unit that never arrived is refused."""
    gateway.add_vendor(tmp_path)
    gateway.take("northwind", story("180-return-request-004010.x12"))
    gateway.take("northwind", story("856-pick-pack-004010.x12"))
    gateway.take("odfl", story("214-status-004010.x12"))
    gateway.take("acme", story("861-receiving-advice-004010.x12"))
    [found] = dispositions_named(gateway.store, RMA)
    assert found.state is CaseState.RECEIVED
    assert [(line.number, line.units) for line in found.lines] == [(1, 2), (2, 0)]

    with pytest.raises(DispositionError, match="at most 0"):
        dispose(gateway, 2, Outcome.DESTROY, "1")
    dispose(gateway, 1, Outcome.REFURBISH, "1", minutes=2)
    last = dispose(gateway, 1, Outcome.DESTROY, minutes=3)  # the damaged one

    assert last.closed is not None
    [case] = cases_for(gateway.store, RMA).cases
    assert case.state is CaseState.CLOSED
