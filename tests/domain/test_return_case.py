"""The ReturnCase lifecycle: triggers, precedence, and independence from arrival order."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.domain.matching import file_document
from gateway.domain.return_case import (
    DocumentKind,
    ReturnCase,
    TimeSource,
    UnrelatedDocumentError,
    answer_of,
    apply,
    record_step,
)
from gateway.model import (
    CanonicalDocument,
    Disposition,
    Purpose,
    ReturnLine,
    ShipmentStatus,
)
from gateway.model.states import CaseState
from tests.domain import (
    EASTERN,
    RMA,
    answer_180,
    arrival,
    cancel_180,
    delivered_214,
    event,
    granola_recall,
    in_transit_214,
    picked_up_214,
    reasons,
    request_180,
    ship_notice_856,
    status_214,
)


def run(*documents: CanonicalDocument) -> ReturnCase:
    """Apply documents to one case in the order given."""
    case: ReturnCase | None = None
    for step, document in enumerate(documents):
        case = apply(case, document, arrival(step))
    assert case is not None
    return case


def the_journey(with_references: bool = True) -> list[CanonicalDocument]:
    return [request_180(), answer_180(), ship_notice_856(), picked_up_214(with_references),
            in_transit_214(with_references), delivered_214(with_references)]


def timeline_facts(case: ReturnCase) -> list[tuple[object, ...]]:
    return [(e.at, e.state_before, e.state_after, str(e.cause), e.note, e.asserts)
            for e in case.timeline]


EXPECTED_TIMELINE = [
    (datetime(2026, 1, 14, tzinfo=UTC), None, CaseState.REQUESTED, "180 RR20260114001"),
    (datetime(2026, 1, 16, tzinfo=UTC), CaseState.REQUESTED, CaseState.PARTIALLY_AUTHORIZED,
     "180 RA20260116007"),
    (datetime(2026, 1, 20, tzinfo=UTC), CaseState.PARTIALLY_AUTHORIZED, CaseState.SHIPPED,
     "856 ASN20260120001"),
    (datetime(2026, 1, 20, 15, 40, tzinfo=EASTERN), CaseState.SHIPPED, CaseState.SHIPPED,
     "214 0771001234"),
    (datetime(2026, 1, 21, 6, 10, tzinfo=EASTERN), CaseState.SHIPPED, CaseState.IN_TRANSIT,
     "214 0771001234"),
    (datetime(2026, 1, 21, 11, 25, tzinfo=EASTERN), CaseState.IN_TRANSIT, CaseState.DELIVERED,
     "214 0771001234"),
]


# --- the journey in order --------------------------------------------------------------------
def test_the_journey_in_order_ends_delivered_with_a_timeline_in_document_time() -> None:
    case = run(*the_journey())

    assert case.state is CaseState.DELIVERED
    assert case.decision is CaseState.PARTIALLY_AUTHORIZED
    assert [(e.at, e.state_before, e.state_after, str(e.cause).split(" [")[0])
            for e in case.timeline] == EXPECTED_TIMELINE
    assert all(e.timed_by is TimeSource.DOCUMENT for e in case.timeline)
    assert case.case_id == "180:RR20260114001"


def test_each_step_moves_the_case_along() -> None:
    documents = the_journey()
    states = [run(*documents[:n]).state for n in range(1, len(documents) + 1)]

    assert states == [CaseState.REQUESTED, CaseState.PARTIALLY_AUTHORIZED, CaseState.SHIPPED,
                      CaseState.SHIPPED, CaseState.IN_TRANSIT, CaseState.DELIVERED]


# --- out of order ------------------------------------------------------------------------------
EXPECTED_FACTS = timeline_facts(run(*the_journey()))


@given(order=st.permutations(range(6)), with_references=st.booleans())
def test_every_arrival_order_gives_the_same_case(order: list[int],
                                                 with_references: bool) -> None:
    # Without references the 214s only share B10 numbers with the 856, so a 214 arriving before
    # the 856 opens a case of its own that the 856 later merges: the hard path.
    documents = the_journey(with_references)
    cases: tuple[ReturnCase, ...] = ()
    for step, index in enumerate(order):
        cases = file_document(cases, documents[index], arrival(step))

    assert len(cases) == 1
    (case,) = cases
    assert case.state is CaseState.DELIVERED
    assert case.decision is CaseState.PARTIALLY_AUTHORIZED
    assert timeline_facts(case) == EXPECTED_FACTS
    assert case.documents == run(*documents).documents


def test_a_214_before_its_856_before_the_authorization() -> None:
    request, answer, notice, picked, moving, delivered = the_journey()

    case = run(request, delivered, picked, notice, moving, answer)

    assert case.state is CaseState.DELIVERED
    assert timeline_facts(case) == EXPECTED_FACTS


def test_a_late_document_about_an_earlier_step_does_not_move_the_case_back() -> None:
    delivered = run(*the_journey())

    late_in_transit = apply(delivered, status_214(
        "000000110", event(ShipmentStatus.IN_TRANSIT, "X6", datetime(2026, 1, 22, tzinfo=UTC))),
        arrival(9))

    assert late_in_transit.state is CaseState.DELIVERED


# --- the vendor's answer -----------------------------------------------------------------------
@pytest.mark.parametrize(("disposition", "code", "expected"), [
    (Disposition.RETURN_WITH_AUTHORIZATION, "RA", CaseState.AUTHORIZED),
    (Disposition.PARTIALLY_AUTHORIZED, "PA", CaseState.PARTIALLY_AUTHORIZED),
    (Disposition.DENIED, "RD", CaseState.DENIED),
    (Disposition.AUTHORIZATION_PENDING, "RP", CaseState.PENDING),
    (Disposition.KEEP_WITH_ALLOWANCE, "KA", CaseState.AUTHORIZED),
])
def test_rdr01_of_an_answer_decides(disposition: Disposition, code: str,
                                    expected: CaseState) -> None:
    case = run(request_180(), answer_180(disposition, code))

    assert case.state is expected
    assert case.decision is expected


def test_line_dispositions_decide_when_the_header_has_none() -> None:
    authorized = reasons("RA", Disposition.RETURN_WITH_AUTHORIZATION)
    denied = reasons("RD", Disposition.DENIED)
    mixed = answer_180(code="", lines=(ReturnLine(1, reasons=authorized),
                                       ReturnLine(2, reasons=denied)))
    all_denied = answer_180(code="", lines=(ReturnLine(1, reasons=denied),))

    assert answer_of(mixed) == (CaseState.PARTIALLY_AUTHORIZED, "line RDR01")
    assert answer_of(all_denied) == (CaseState.DENIED, "line RDR01")


def test_an_rma_number_alone_authorizes_and_nothing_at_all_is_pending() -> None:
    assert answer_of(answer_180(code="", lines=()))[0] is CaseState.AUTHORIZED
    assert answer_of(answer_180(code="", lines=(), rma=None))[0] is CaseState.PENDING


@pytest.mark.parametrize("reverse", [False, True])
def test_the_latest_verdict_wins_whatever_the_arrival(reverse: bool) -> None:
    granted = answer_180(Disposition.RETURN_WITH_AUTHORIZATION, "RA", document_id="RA1",
                         on=date(2026, 1, 16))
    revoked = answer_180(Disposition.DENIED, "RD", document_id="RA2", on=date(2026, 1, 18))
    answers = [granted, revoked][::-1] if reverse else [granted, revoked]

    assert run(request_180(), *answers).state is CaseState.DENIED


def test_same_day_verdicts_resolve_to_the_more_restrictive() -> None:
    granted = answer_180(Disposition.RETURN_WITH_AUTHORIZATION, "RA", document_id="RA1")
    refused = answer_180(Disposition.DENIED, "RD", document_id="RA2")

    assert run(request_180(), granted, refused).state is CaseState.DENIED
    assert run(request_180(), refused, granted).state is CaseState.DENIED


def test_a_later_pending_answer_does_not_undo_a_verdict() -> None:
    granted = answer_180(Disposition.RETURN_WITH_AUTHORIZATION, "RA", document_id="RA1")
    pending = answer_180(Disposition.AUTHORIZATION_PENDING, "RP", document_id="RA2",
                         on=date(2026, 1, 20))

    case = run(request_180(), pending, granted)

    assert case.state is CaseState.AUTHORIZED


def test_a_denied_return_that_ships_anyway_is_shipped_and_keeps_its_verdict() -> None:
    case = run(request_180(), answer_180(Disposition.DENIED, "RD"), ship_notice_856())

    assert case.state is CaseState.SHIPPED
    assert case.decision is CaseState.DENIED


# --- cancellation and exceptions ----------------------------------------------------------------
def test_a_180_cancellation_cancels_and_stands_against_earlier_documents() -> None:
    cancelled = cancel_180(date(2026, 1, 17))

    assert run(request_180(), answer_180(), cancelled).state is CaseState.CANCELLED
    assert run(cancelled, answer_180(), request_180()).state is CaseState.CANCELLED


def test_progress_dated_after_a_cancellation_resumes_the_case() -> None:
    case = run(request_180(), cancel_180(date(2026, 1, 15)), ship_notice_856())

    assert case.state is CaseState.SHIPPED
    assert CaseState.CANCELLED in [e.state_after for e in case.timeline]


def test_a_carrier_cancellation_then_a_later_pickup() -> None:
    cancelled = status_214("000000120", event(ShipmentStatus.CANCELLED, "CA",
                                              datetime(2026, 1, 19, 9, 0, tzinfo=EASTERN)))
    only_cancelled = run(request_180(), answer_180(), cancelled)

    assert only_cancelled.state is CaseState.CANCELLED
    assert apply(only_cancelled, picked_up_214(), arrival(5)).state is CaseState.SHIPPED


def test_an_exception_is_recorded_without_losing_the_state_and_resolves_on_progress() -> None:
    damaged = status_214("000000130", event(ShipmentStatus.EXCEPTION, "A9",
                                            datetime(2026, 1, 21, 8, 0, tzinfo=EASTERN)))
    en_route = run(request_180(), answer_180(), ship_notice_856(), in_transit_214(), damaged)

    assert en_route.state is CaseState.IN_TRANSIT
    assert [f.note for f in en_route.open_exceptions] == ["exception (214 A9) at Columbus"]
    exception_event = en_route.timeline[-1]
    assert exception_event.asserts is CaseState.EXCEPTION
    assert exception_event.state_before is exception_event.state_after is CaseState.IN_TRANSIT

    delivered = apply(en_route, delivered_214(), arrival(9))
    assert delivered.state is CaseState.DELIVERED
    assert delivered.open_exceptions == ()
    assert len(delivered.exceptions) == 1


def test_a_code_the_mapping_called_other_still_counts_by_its_x12_code() -> None:
    moving = status_214("000000140", event(ShipmentStatus.OTHER, "X6",
                                           datetime(2026, 1, 21, tzinfo=UTC)))
    unknown = status_214("000000141", event(ShipmentStatus.OTHER, "ZZ",
                                            datetime(2026, 1, 21, tzinfo=UTC)))

    assert run(request_180(), moving).state is CaseState.IN_TRANSIT
    assert run(request_180(), unknown).state is CaseState.REQUESTED
    assert run(unknown).state is CaseState.REQUESTED


def test_a_withdrawn_ship_notice_does_not_ship_the_case() -> None:
    case = run(request_180(), answer_180(), ship_notice_856(purpose=Purpose.DELETE))

    assert case.state is CaseState.PARTIALLY_AUTHORIZED
    assert case.shipped_items == ()


# --- times -------------------------------------------------------------------------------------
def test_an_event_without_its_own_time_is_placed_at_its_arrival() -> None:
    untimed = status_214("000000150", event(ShipmentStatus.IN_TRANSIT, "X6", None))
    received = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    case = apply(run(request_180()), untimed, received)

    last = case.timeline[-1]
    assert (last.at, last.timed_by) == (received, TimeSource.RECEIPT)


def test_a_naive_arrival_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        apply(None, request_180(), datetime(2026, 1, 1))  # naive on purpose


# --- boundaries ----------------------------------------------------------------------------------
def test_a_second_180_for_another_rma_does_not_touch_the_case() -> None:
    case = run(request_180(), answer_180())
    other = request_180(document_id="RR20260201009", rma="RMA9990001")

    with pytest.raises(UnrelatedDocumentError):
        apply(case, other, arrival(5))

    cases = file_document((case,), other, arrival(5))
    assert len(cases) == 2
    assert cases[0] == case
    assert cases[1].state is CaseState.REQUESTED
    assert cases[1].case_id == "180:RR20260201009"


def test_a_recall_notice_does_not_open_a_case() -> None:
    with pytest.raises(ValueError, match="does not open"):
        apply(None, granola_recall(), arrival(0))


def test_internal_steps_go_past_delivery_and_documents_cannot_fake_them() -> None:
    delivered = run(*the_journey())
    received = record_step(delivered, CaseState.RECEIVED, datetime(2026, 1, 22, tzinfo=UTC),
                           "received at RC01")
    closed = record_step(received, CaseState.CLOSED, datetime(2026, 1, 30, tzinfo=UTC), "done")

    assert received.state is CaseState.RECEIVED
    assert closed.state is CaseState.CLOSED
    assert closed.timeline[-1].cause.kind is DocumentKind.INTERNAL
    with pytest.raises(ValueError, match="comes from documents"):
        record_step(delivered, CaseState.SHIPPED, datetime(2026, 1, 22, tzinfo=UTC), "no")


# --- lines -------------------------------------------------------------------------------------
def test_lines_take_the_answer_s_verdict_and_keep_the_request_s_details() -> None:
    for order in ([request_180(), answer_180()], [answer_180(), request_180()]):
        lines = [case_line.line for case_line in run(*order).lines]

        assert [line.line_number for line in lines] == [1, 2]
        assert [line.reasons.disposition_code for line in lines if line.reasons] == ["RA", "RD"]
        assert lines[0].description == "Stand mixer 5 qt red"
        assert lines[0].original_po == "4500012345"
        assert lines[1].serials == ("EKT17B0099120",)


def test_case_keys_collect_every_document_s_keys() -> None:
    case = run(*the_journey())

    assert {str(key) for key in case.keys} >= {f"rma={RMA}", "purchase-order=4500012345",
                                               "bill-of-lading=ODFL4471122",
                                               "carrier-reference=0771001234",
                                               "shipment-id=ASN20260120001"}
