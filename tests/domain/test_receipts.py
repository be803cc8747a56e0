"""The 861 receiving advice in a case: it proves RECEIVED, is replaced and withdrawn by later
versions, and what it reports is compared with the ship notice and the authorization
(gateway.domain.receipts)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from gateway.domain.receipts import (
    FindingKind,
    ReceiptFinding,
    receipt_findings,
    received_by_line,
)
from gateway.domain.return_case import DocumentKind, ReturnCase, TimeSource, apply
from gateway.model import (
    CanonicalDocument,
    Disposition,
    HierarchyLevel,
    ItemId,
    ItemIdScheme,
    Party,
    PartyRole,
    Purpose,
    Quantity,
    QuantityInQuestion,
    ReceivedLine,
    ReceivingAdvice,
    ReceivingCondition,
    Reference,
    ReturnLine,
    ShipmentNode,
    ShipmentStatus,
    ShipmentStatusReport,
    Source,
    StatusEvent,
    Timestamp,
)
from gateway.model.states import CaseState
from tests.domain import (
    KETTLE_UPC,
    MIXER_UPC,
    RMA,
    answer_180,
    delivered_214,
    reasons,
    request_180,
    ship_notice_856,
    upc,
)

RECEIVED_AT = datetime(2026, 1, 21, 18, 40, tzinfo=UTC)  # after the 214's delivery (16:25 UTC)


def each(value: int | str, unit: str = "EA") -> Quantity:
    return Quantity(Decimal(value), unit)


def shipped_item(hl_id: str, item_upc: str, quantity: int, *, unit: str = "EA",
                 serials: tuple[str, ...] = ()) -> ShipmentNode:
    return ShipmentNode(hl_id=hl_id, level=HierarchyLevel.ITEM, level_code="I", parent_id="3",
                        item_ids=(upc(item_upc),), quantity_shipped=each(quantity, unit),
                        serials=serials)


def received(number: int, item_upc: str, quantity: int | str, *, unit: str = "EA",
             serials: tuple[str, ...] = (), returned: int = 0,
             questions: tuple[tuple[int, ReceivingCondition, str], ...] = ()) -> ReceivedLine:
    return ReceivedLine(
        line_number=number, assigned_id=str(number), item_ids=(upc(item_upc),),
        serials=serials, quantity_received=each(quantity, unit),
        quantity_returned=each(returned) if returned else None,
        in_question=tuple(QuantityInQuestion(each(q), condition, code)
                          for q, condition, code in questions))


def advice(*lines: ReceivedLine, receipt_id: str = "RCV1", purpose_code: str = "00",
           at: datetime = RECEIVED_AT, control: str = "000000117") -> ReceivingAdvice:
    purposes = {"00": Purpose.ORIGINAL, "01": Purpose.CANCELLATION, "05": Purpose.REPLACE}
    return ReceivingAdvice(
        receipt_id=receipt_id, purpose=purposes[purpose_code], purpose_code=purpose_code,
        received_at=Timestamp(at, "UT"), references=(Reference("RZ", RMA),),
        parties=(Party(PartyRole.SHIP_TO, "ST", "Acme Appliance Returns Center"),),
        lines=lines, source=Source(interchange_control=control, group_control="1",
                                   set_control="0001"))


def authorized_both() -> CanonicalDocument:
    """The vendor authorizes 2 mixers and 1 kettle (request_180's lines)."""
    return answer_180(Disposition.RETURN_WITH_AUTHORIZATION, "RA", lines=(
        ReturnLine(1, item_ids=(upc(MIXER_UPC),), quantity=each(2),
                   reasons=reasons("RA", Disposition.RETURN_WITH_AUTHORIZATION)),
        ReturnLine(2, item_ids=(upc(KETTLE_UPC),), quantity=each(1),
                   reasons=reasons("RA", Disposition.RETURN_WITH_AUTHORIZATION))))


def two_mixers_and_a_kettle_shipped() -> CanonicalDocument:
    return ship_notice_856(items=(
        shipped_item("4", MIXER_UPC, 2, serials=("SMX22A0017734", "SMX22A0017802")),
        shipped_item("6", KETTLE_UPC, 1, serials=("EKT17B0099120",))))


def the_sample_receipt() -> ReceivingAdvice:
    """samples/valid/861-receiving-advice-004010.x12: both mixers (one damaged), no kettle."""
    return advice(
        received(1, MIXER_UPC, 1, serials=("SMX22A0017734",)),
        received(2, MIXER_UPC, 1, serials=("SMX22A0017802",),
                 questions=((1, ReceivingCondition.DAMAGED, "01"),)),
        received(3, KETTLE_UPC, 0, serials=("EKT17B0099120",),
                 questions=((1, ReceivingCondition.SHORT, "02"),)))


def fold(*documents: CanonicalDocument) -> ReturnCase:
    case: ReturnCase | None = None
    for minute, document in enumerate(documents):
        case = apply(case, document, datetime(2026, 1, 22, 9, minute, tzinfo=UTC))
    assert case is not None
    return case


def story(*receipts: ReceivingAdvice) -> ReturnCase:
    return fold(request_180(), authorized_both(), two_mixers_and_a_kettle_shipped(),
                delivered_214(), *receipts)


def kinds(findings: tuple[ReceiptFinding, ...]) -> list[tuple[str, str, str | None]]:
    return [(f.kind.value, f.item.split(" (")[0], str(f.quantity) if f.quantity is not None
             else None) for f in findings]


# --- the lifecycle ----------------------------------------------------------------------------
def test_an_861_moves_a_delivered_case_to_received_without_a_person() -> None:
    case = story(the_sample_receipt())
    assert case.state is CaseState.RECEIVED
    last = case.timeline[-1]
    assert (last.cause.kind, last.cause.id, last.state_after) == (
        DocumentKind.RECEIVING_ADVICE, "RCV1", CaseState.RECEIVED)
    assert last.note == ("received at Acme Appliance Returns Center (861: 2 received, "
                         "1 damaged, 1 short)")
    assert last.at == RECEIVED_AT


def test_the_sample_receipt_reports_the_damaged_mixer_and_the_missing_kettle() -> None:
    findings = receipt_findings(story(the_sample_receipt()))
    assert kinds(findings) == [("condition", "UP 614141000364", "1"),
                               ("short", "UP 614141000418", "1"),
                               ("below-authorized", "UP 614141000418", "1")]
    damaged, short, below = findings
    assert damaged.where == ("861 RCV1 line 2",) and damaged.condition_code == "01"
    assert "damaged product or container" in damaged.text
    assert short.against == ("856 ASN20260120001 HL 6",)
    assert short.text == ("UP 614141000418 (Electric kettle 1.7 l): 1 EA short: 1 EA shipped "
                          "(856 ASN20260120001 HL 6),"
                          " 0 EA received (861 RCV1 line 3); serial EKT17B0099120 not "
                          "received; the dock reports: quantity short (RCD condition 02)")
    assert below.against == (f"180 {RMA} line 2",)
    assert "1 EA authorized" in below.text


def test_everything_received_as_shipped_and_authorized_is_no_finding() -> None:
    case = story(advice(received(1, MIXER_UPC, 2, serials=("SMX22A0017734", "SMX22A0017802")),
                        received(2, KETTLE_UPC, 1, serials=("EKT17B0099120",),
                                 questions=((1, ReceivingCondition.GOOD, "07"),))))
    assert receipt_findings(case) == ()
    assert case.state is CaseState.RECEIVED


def test_no_finding_before_any_receipt() -> None:
    assert receipt_findings(story()) == ()


def test_more_than_shipped_and_an_item_nobody_shipped_or_authorized() -> None:
    other = "012345678905"
    case = story(advice(received(1, MIXER_UPC, 3), received(2, KETTLE_UPC, 1),
                        received(3, other, 1)))
    assert kinds(receipt_findings(case)) == [
        ("over", "UP 614141000364", "1"), ("above-authorized", "UP 614141000364", "1"),
        ("not-shipped", "UP 012345678905", "1"), ("not-authorized", "UP 012345678905", "1")]


def test_the_same_count_of_other_serials_is_a_finding() -> None:
    case = story(advice(received(1, MIXER_UPC, 1, serials=("SMX22A0017734",)),
                        received(2, MIXER_UPC, 1, serials=("SMX99Z0000001",)),
                        received(3, KETTLE_UPC, 1, serials=("EKT17B0099120",))))
    [finding] = receipt_findings(case)
    assert finding.kind is FindingKind.SERIALS_DIFFER
    assert "serial SMX22A0017802 not received; serial SMX99Z0000001 not shipped" in finding.text


def test_a_gtin_14_and_a_upc_a_are_the_same_item() -> None:
    gtin = replace(received(1, MIXER_UPC, 2),
                   item_ids=(ItemId(ItemIdScheme.GTIN, "00" + MIXER_UPC, "UK"),))
    case = story(advice(gtin, received(2, KETTLE_UPC, 1)))
    assert receipt_findings(case) == ()


def test_quantities_in_other_units_are_not_compared_but_said() -> None:
    case = story(advice(received(1, MIXER_UPC, 1, unit="CA"), received(2, KETTLE_UPC, 1)))
    [finding] = receipt_findings(case)
    assert finding.kind is FindingKind.UNITS_DIFFER
    assert "CA, EA" in finding.text


def test_units_refused_at_the_dock_and_other_conditions() -> None:
    case = story(advice(received(1, MIXER_UPC, 2, returned=1,
                                 questions=((1, ReceivingCondition.WRONG_PRODUCT, "05"),)),
                        received(2, KETTLE_UPC, 1)))
    found = kinds(receipt_findings(case))
    assert ("refused", "UP 614141000364", "1") in found
    assert ("condition", "UP 614141000364", "1") in found


def test_receiving_a_denied_line_is_above_what_was_authorized() -> None:
    case = fold(request_180(), answer_180(), two_mixers_and_a_kettle_shipped(),
                advice(received(1, MIXER_UPC, 2), received(2, KETTLE_UPC, 1)))
    kettle = [f for f in receipt_findings(case) if f.item.startswith(f"UP {KETTLE_UPC}")]
    assert [f.kind for f in kettle] == [FindingKind.ABOVE_AUTHORIZED]
    assert "0 EA authorized" in kettle[0].text


def test_before_any_answer_the_request_stands_in_and_is_named_so() -> None:
    case = fold(request_180(), two_mixers_and_a_kettle_shipped(),
                advice(received(1, MIXER_UPC, 2), received(2, KETTLE_UPC, 1)))
    texts = [f.text for f in receipt_findings(case)]
    assert texts and all("requested" in text for text in texts), texts


def test_two_partial_receipts_add_up() -> None:
    first = advice(received(1, MIXER_UPC, 2), receipt_id="RCV1")
    second = advice(received(1, KETTLE_UPC, 1), receipt_id="RCV2", control="000000118",
                    at=datetime(2026, 1, 23, tzinfo=UTC))
    case = story(first, second)
    assert receipt_findings(case) == ()
    assert [r.cause.id for r in case.current_receipts] == ["RCV1", "RCV2"]


# --- versions of one advice -------------------------------------------------------------------
def test_a_replacement_counts_instead_of_the_advice_it_replaces() -> None:
    wrong = the_sample_receipt()
    corrected = advice(received(1, MIXER_UPC, 2), received(2, KETTLE_UPC, 1),
                       purpose_code="05", control="000000119",
                       at=datetime(2026, 1, 21, 19, 0, tzinfo=UTC))
    case = story(wrong, corrected)
    assert receipt_findings(case) == ()
    assert [r.cause.control for r in case.current_receipts] == ["000000119/1/0001"]
    notes = [e.note for e in case.timeline if e.cause.kind is DocumentKind.RECEIVING_ADVICE]
    assert notes == ["received at Acme Appliance Returns Center (861: 3 received)"]


@pytest.mark.parametrize("purpose_code", ["05", "01"])
def test_a_correction_restating_the_receipt_time_wins_whatever_the_arrival(
        purpose_code: str) -> None:
    correction = advice(received(1, MIXER_UPC, 2), received(2, KETTLE_UPC, 1),
                        purpose_code=purpose_code, control="000000001")  # sorts first
    for order in ((the_sample_receipt(), correction), (correction, the_sample_receipt())):
        case = story(*order)
        assert receipt_findings(case) == ()
        expected = () if purpose_code == "01" else ("000000001/1/0001",)
        assert tuple(r.cause.control for r in case.current_receipts) == expected


def test_a_withdrawn_advice_no_longer_counts_and_the_case_goes_back_to_delivered() -> None:
    withdrawal = advice(purpose_code="01", control="000000120",
                        at=datetime(2026, 1, 21, 19, 30, tzinfo=UTC))
    case = story(the_sample_receipt(), withdrawal)
    assert case.state is CaseState.DELIVERED
    assert case.current_receipts == ()
    assert receipt_findings(case) == ()
    assert "withdrawn" in case.timeline[-1].note


def test_an_advice_that_received_nothing_is_an_exception_not_a_receipt() -> None:
    nothing = advice(received(1, MIXER_UPC, 0, questions=((2, ReceivingCondition.SHORT, "02"),)),
                     received(2, KETTLE_UPC, 0))
    case = story(nothing)
    assert case.state is CaseState.DELIVERED
    assert [e.note for e in case.open_exceptions] == [
        "the return centre received nothing of it (861)"]


@pytest.mark.parametrize("order", list(itertools.permutations(range(5)))[::7])
def test_every_arrival_order_gives_the_same_receipt_and_findings(order: tuple[int, ...]) -> None:
    documents = [request_180(), authorized_both(), two_mixers_and_a_kettle_shipped(),
                 delivered_214(), the_sample_receipt()]
    expected = story(the_sample_receipt())
    case = fold(*(documents[i] for i in order))
    assert case.state is expected.state
    assert receipt_findings(case) == receipt_findings(expected)


# --- what arrived of each 180 line (what dispositions are decided on) -----------------------
def test_what_arrived_of_each_line() -> None:
    assert received_by_line(story()) is None  # no 861: the lines' own quantities stand
    assert received_by_line(story(the_sample_receipt())) == {1: 2, 2: 0}
    over = story(advice(received(1, MIXER_UPC, 3), received(2, KETTLE_UPC, 1)))
    assert received_by_line(over) == {1: 3, 2: 1}  # the extra mixer needs a fate too


def test_one_item_on_two_lines_fills_them_in_line_order() -> None:
    two_lines = answer_180(Disposition.RETURN_WITH_AUTHORIZATION, "RA", lines=(
        ReturnLine(1, item_ids=(upc(MIXER_UPC),), quantity=each(2)),
        ReturnLine(2, item_ids=(upc(MIXER_UPC),), quantity=each(2))))
    case = fold(two_lines, advice(received(1, MIXER_UPC, 3)))
    assert received_by_line(case) == {1: 2, 2: 1}


def test_an_estimate_counts_when_it_was_said_not_for_the_day_it_names() -> None:
    """A 214's AT7*AG date is when the goods should arrive: dated there, an estimate for next
    week would sit after the dock's receipt (or revive a cancelled case from the future)."""
    next_week = datetime(2026, 1, 28, 17, 0, tzinfo=UTC)
    estimate = ShipmentStatusReport(
        carrier_reference="0771001234", references=(Reference("RZ", RMA),),
        events=(StatusEvent(ShipmentStatus.ESTIMATED_DELIVERY, "AG", at=Timestamp(next_week)),))
    case = fold(request_180(), authorized_both(), two_mixers_and_a_kettle_shipped(), estimate)
    [said] = [e for e in case.timeline if e.cause.kind is DocumentKind.SHIPMENT_STATUS]
    assert said.at == datetime(2026, 1, 22, 9, 3, tzinfo=UTC)  # its arrival (fold's clock)
    assert said.timed_by is TimeSource.RECEIPT
    assert said.note == "estimated-delivery for 2026-01-28 17:00+0000 (214 AG)"
    assert case.state is CaseState.IN_TRANSIT


def test_a_receipt_for_a_return_nobody_announced_says_so() -> None:
    case = fold(the_sample_receipt())  # no 180, no 856: the 861 opened its own case
    assert case.state is CaseState.RECEIVED
    findings = receipt_findings(case)
    # The dock's own words stand for the damaged mixer and the missing kettle (no ship notice
    # to count against).
    assert [(f.kind, f.condition_code) for f in findings] == [
        (FindingKind.UNKNOWN_RETURN, None), (FindingKind.CONDITION, "01"),
        (FindingKind.CONDITION, "02")]
    assert findings[0].text == ("861 RCV1 reports goods of a return with no authorization or "
                                f"ship notice here (its references: RZ {RMA}): nothing to "
                                "compare them with")


def test_an_estimate_beside_real_events_counts_from_the_latest_of_them() -> None:
    """A 214 that reports the pick-up and an estimate was made no earlier than its pick-up:
    the estimate counts from there, whatever day the 214 arrived."""
    picked_up = datetime(2026, 1, 20, 20, 40, tzinfo=UTC)
    report = ShipmentStatusReport(
        carrier_reference="0771001234", references=(Reference("RZ", RMA),),
        events=(StatusEvent(ShipmentStatus.PICKED_UP, "AF", at=Timestamp(picked_up)),
                StatusEvent(ShipmentStatus.ESTIMATED_DELIVERY, "AG",
                            at=Timestamp(datetime(2026, 1, 28, 17, 0, tzinfo=UTC)))))
    case = fold(request_180(), authorized_both(), two_mixers_and_a_kettle_shipped(), report)
    estimate = next(e for e in case.timeline if e.note.startswith("estimated-delivery"))
    assert (estimate.at, estimate.timed_by) == (picked_up, TimeSource.DOCUMENT)
    assert case.state is CaseState.IN_TRANSIT
