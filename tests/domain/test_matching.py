"""Finding a document's case, and merging cases a document ties together."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.domain.correlation import CorrelationKey, KeyKind, keys_of, names_of
from gateway.domain.matching import (
    AmbiguousReference,
    LinkStrength,
    can_merge,
    case_label,
    file_document,
    file_documents,
    find_case,
    link,
    merge,
    named_by,
    one_case,
)
from gateway.domain.return_case import (
    DocumentKind,
    DocumentRef,
    ReturnCase,
    apply,
    document_reference,
)
from gateway.model import (
    CanonicalDocument,
    Reference,
    ReturnAuthorization,
    ReturnShipment,
    ShipmentStatus,
    ShipmentStatusReport,
)
from gateway.model.states import CaseState
from tests.domain import (
    PO,
    RMA,
    answer_180,
    arrival,
    event,
    granola_recall,
    picked_up_214,
    request_180,
    ship_notice_856,
    status_214,
)


def opened(document: CanonicalDocument, step: int = 0) -> ReturnCase:
    return apply(None, document, arrival(step))


def file_all(*documents: CanonicalDocument) -> tuple[ReturnCase, ...]:
    cases: tuple[ReturnCase, ...] = ()
    for step, document in enumerate(documents):
        cases = file_document(cases, document, arrival(step))
    return cases


def test_an_856_joins_the_180_case_by_po_and_rma() -> None:
    case = opened(request_180())

    found = link(keys_of(ship_notice_856()), case)

    assert found is not None
    assert found.strength is LinkStrength.STRONG
    assert found.shared == {CorrelationKey(KeyKind.RMA, "RMA7734021"),
                            CorrelationKey(KeyKind.PURCHASE_ORDER, "4500012345")}


def test_a_214_joins_the_856_case_by_its_b10_numbers() -> None:
    case = opened(ship_notice_856())

    match = find_case(keys_of(picked_up_214(with_references=False)), [case])

    assert match.case == case
    assert match.links[0].reason == ("shares carrier-reference=0771001234, "
                                     "shipment-id=ODFL4471122")


def test_a_second_180_for_another_rma_on_the_same_po_belongs_to_no_case() -> None:
    case = opened(request_180())
    other = request_180(document_id="RR20260201009", rma="RMA9990001")

    assert link(keys_of(other), case) is None
    assert find_case(keys_of(other), [case]).case is None


def test_a_po_alone_links_only_when_one_case_has_it() -> None:
    po_only = ShipmentStatusReport(carrier_reference="PRO-NEW",
                                   references=(Reference("PO", "4500012345"),))
    first = opened(request_180())
    second = opened(request_180(document_id="RR20260201009", rma="RMA9990001"), 1)

    alone = find_case(keys_of(po_only), [first])
    assert alone.case == first
    assert alone.links[0].strength is LinkStrength.WEAK

    torn = find_case(keys_of(po_only), [first, second])
    assert torn.case is None
    assert [found.case for found in torn.ambiguous] == [first, second]
    assert len(file_document((first, second), po_only, arrival(2))) == 3


def test_a_document_that_ties_two_cases_merges_them_into_the_older() -> None:
    carrier_first, request, notice = (picked_up_214(with_references=False), request_180(),
                                      ship_notice_856())

    cases = file_all(carrier_first, request, notice)

    (case,) = cases
    assert case.case_id == "214:0771001234"  # opened first, so it survives
    (record,) = case.merges
    assert record.absorbed_case_id == "180:RR20260114001"
    assert record.cause.kind is DocumentKind.RETURN_SHIPMENT
    assert {str(key) for key in record.shared} == {"rma=RMA7734021",
                                                   "purchase-order=4500012345"}
    assert "links case 180:RR20260114001 to case 214:0771001234" in record.reason
    assert case.state is CaseState.SHIPPED
    assert [e.cause.kind for e in case.timeline] == [DocumentKind.RETURN_AUTHORIZATION,
                                                     DocumentKind.RETURN_SHIPMENT,
                                                     DocumentKind.SHIPMENT_STATUS]


def test_a_consolidated_shipment_for_two_rmas_updates_both_cases_and_merges_nothing() -> None:
    first = opened(request_180())
    second = opened(request_180(document_id="RR20260114002", rma="RMA0000002",
                                on=date(2026, 1, 15)), 1)
    both = ship_notice_856(rmas=("RMA7734021", "RMA0000002"))

    cases = file_document((first, second), both, arrival(2))

    assert [case.case_id for case in cases] == ["180:RR20260114001", "180:RR20260114002"]
    assert [case.state for case in cases] == [CaseState.SHIPPED, CaseState.SHIPPED]
    assert not can_merge(cases)
    match = find_case(keys_of(both), cases)
    with pytest.raises(ValueError, match="different returns"):
        merge(match.links, DocumentRef(DocumentKind.RETURN_SHIPMENT, "X"), arrival(3))


def test_documents_of_one_return_stay_in_one_case_in_order() -> None:
    cases = file_all(request_180(), answer_180(), ship_notice_856(), picked_up_214())

    assert len(cases) == 1
    assert cases[0].state is CaseState.SHIPPED
    assert cases[0].merges == ()


# --- exact names: request ids are names, a shared PO is not (issue 12, item 3) ----------------
def our_answer(request_id: str, rma: str) -> ReturnAuthorization:
    """Our 180 answer: numbered by the RMA it issues, quoting the request's BGN02 as N9*CR."""
    return replace(answer_180(document_id=rma, rma=rma, on=date(2026, 1, 16)),
                   references=(Reference("CR", request_id),))


def first_request() -> ReturnAuthorization:
    return request_180("NW-RQ-1001", rma=None)


def second_request() -> ReturnAuthorization:
    return request_180("NW-RQ-2002", rma=None, on=date(2026, 1, 15))


def po_only_856() -> ReturnShipment:
    """A ship notice that names no return: only the purchase order both requests share."""
    return ship_notice_856("ASN-PO-ONLY", rmas=(), bol="BOL-PO-ONLY", pro="PRO-PO-ONLY")


def po_only_214() -> ShipmentStatusReport:
    """The carrier's 214 for that notice: its B10 numbers and the PO in L11."""
    return replace(status_214("000000300", event(ShipmentStatus.PICKED_UP, "AF",
                                                 datetime(2026, 1, 22, 9, 0, tzinfo=UTC)),
                              with_references=False, carrier_reference="PRO-PO-ONLY",
                              shipment_id="BOL-PO-ONLY"),
                   references=(Reference("PO", PO),))


def shared_po_story(with_second: bool = True) -> list[CanonicalDocument]:
    """Two unrelated requests on one PO; the first answered (RMA NW0000001), shipped under that
    RMA and picked up; and a shipment that carries only the PO, with its 214."""
    first_shipped = ship_notice_856("ASN-FIRST", rmas=("NW0000001",), bol="BOL-FIRST",
                                    pro="PRO-FIRST")
    first_picked = status_214("000000301", event(ShipmentStatus.PICKED_UP, "AF",
                                                 datetime(2026, 1, 20, 16, 0, tzinfo=UTC)),
                              with_references=False, carrier_reference="PRO-FIRST",
                              shipment_id="BOL-FIRST")
    second = [second_request()] if with_second else []
    return [first_request(), *second, our_answer("NW-RQ-1001", "NW0000001"), first_shipped,
            first_picked, po_only_856(), po_only_214()]


def grouping(cases: Iterable[ReturnCase]) -> set[tuple[object, ...]]:
    """What must not depend on arrival: which documents make each case, its id, names, state
    and timeline (every document here carries its own time)."""
    return {(case.case_id, frozenset(str(ref) for ref in case.documents),
             frozenset(str(name) for name in case.names), case.state,
             tuple((e.at, e.state_after, str(e.cause)) for e in case.timeline))
            for case in cases}


def test_two_requests_on_one_po_are_two_cases() -> None:
    first = opened(first_request())

    assert link(keys_of(second_request()), first) is None  # request ids differ: never linked
    assert find_case(keys_of(second_request()), [first], names_of(second_request())).case is None
    cases = file_all(first_request(), second_request())
    assert [case.case_id for case in cases] == ["180:NW-RQ-1001", "180:NW-RQ-2002"]
    assert [{str(n) for n in case.names} for case in cases] == [{"request-id=NW-RQ-1001"},
                                                                {"request-id=NW-RQ-2002"}]
    assert not can_merge(cases)


def test_a_shared_rma_makes_one_return_whatever_request_ids_it_carries() -> None:
    # A change request quoting the RMA of the first: the RMA names the return.
    (case,) = file_all(request_180("RR-FIRST"), request_180("RR-CHANGED", on=date(2026, 1, 15)))

    assert {str(n) for n in case.names} == {"request-id=RR-FIRST", "request-id=RR-CHANGED",
                                            f"rma={RMA}"}


def test_an_answer_s_own_number_names_no_request() -> None:
    # The vendor's BGN02 is its own document number (it quotes the request in BGN06).
    assert names_of(answer_180()) == {CorrelationKey(KeyKind.RMA, RMA)}
    assert CorrelationKey(KeyKind.REQUEST_ID, "NW-RQ-1001") in names_of(
        our_answer("NW-RQ-1001", "NW0000001"))  # ours quotes it as N9*CR


def test_an_answer_that_quotes_only_the_po_joins_the_one_request_on_it() -> None:
    vendor = replace(answer_180(rma="RMA-V1"), original_po=PO)

    (alone,) = file_documents([(first_request(), arrival(0)), (vendor, arrival(1))])
    torn = file_documents([(vendor, arrival(0)), (first_request(), arrival(1)),
                           (second_request(), arrival(2))])

    assert alone.documents == {document_reference(first_request()),
                               document_reference(vendor)}
    assert len(torn) == 3  # two requests on the PO: the answer belongs to neither


def test_a_document_that_quotes_both_requests_is_applied_to_each_and_merges_nothing() -> None:
    both = replace(status_214("000000302", with_references=False),
                   references=(Reference("CR", "NW-RQ-1001"), Reference("CR", "NW-RQ-2002")))

    cases = file_all(first_request(), second_request(), both)

    assert [case.case_id for case in cases] == ["180:NW-RQ-1001", "180:NW-RQ-2002"]
    assert all(document_reference(both) in case.documents for case in cases)
    assert [{n.value for n in case.names} for case in cases] == [{"NW-RQ-1001"},
                                                                 {"NW-RQ-2002"}]
    assert all({"NW-RQ-1001", "NW-RQ-2002"} - {k.value for k in case.keys} for case in cases)


def test_a_consolidated_shipment_gives_no_case_the_other_return_s_rma() -> None:
    other = request_180(document_id="RR20260114002", rma="RMA0000002", on=date(2026, 1, 15))
    both = ship_notice_856(rmas=(RMA, "RMA0000002"))

    first, second = file_all(request_180(), other, both, picked_up_214(with_references=False))

    assert "rma=RMA0000002" not in {str(key) for key in first.keys}
    assert f"rma={RMA}" not in {str(key) for key in second.keys}
    assert "carrier-reference=0771001234" in {str(key) for key in second.keys}  # its 214 too
    assert named_by((first, second), "rma0000002 ") == (second,)


def test_a_po_only_shipment_of_two_requests_stays_apart_and_is_ambiguous_by_po() -> None:
    cases = file_documents((document, arrival(step))
                           for step, document in enumerate(shared_po_story()))

    by_id = {case.case_id: case for case in cases}
    assert set(by_id) == {"180:NW-RQ-1001", "180:NW-RQ-2002", "856:ASN-PO-ONLY"}
    assert by_id["856:ASN-PO-ONLY"].names == frozenset()
    assert len(by_id["856:ASN-PO-ONLY"].documents) == 2  # the 856 and its 214
    assert len(by_id["180:NW-RQ-1001"].documents) == 4
    assert by_id["180:NW-RQ-1001"].state is CaseState.SHIPPED
    assert by_id["180:NW-RQ-2002"].state is CaseState.REQUESTED
    assert named_by(cases, "NW-RQ-2002") == (by_id["180:NW-RQ-2002"],)
    assert named_by(cases, "nw0000001") == (by_id["180:NW-RQ-1001"],)
    assert named_by(cases, PO) == ()  # a PO is no name


@given(order=st.permutations(range(7)), with_second=st.booleans())
def test_the_shared_po_story_gives_the_same_cases_in_every_arrival_order(
        order: list[int], with_second: bool) -> None:
    documents = shared_po_story(with_second)
    indices = [index for index in order if index < len(documents)]

    cases = file_documents((documents[index], arrival(step))
                           for step, index in enumerate(indices))

    expected = file_documents((document, arrival(step))
                              for step, document in enumerate(documents))
    assert grouping(cases) == grouping(expected)
    assert len(cases) == (3 if with_second else 1)  # alone on its PO, the first takes all


def test_an_ambiguous_reference_lists_the_candidates_by_request_id_and_rma() -> None:
    cases = file_documents((document, arrival(step))
                           for step, document in enumerate(shared_po_story()[:3]))

    with pytest.raises(AmbiguousReference) as refused:
        one_case(cases, PO)

    message = str(refused.value)
    assert message.startswith(f"'{PO}' names 2 return cases; name one of them by its request")
    assert "180:NW-RQ-1001 (request NW-RQ-1001, RMA NW0000001)" in message
    assert "180:NW-RQ-2002 (request NW-RQ-2002)" in message
    assert one_case(named_by(cases, "NW-RQ-2002"), "NW-RQ-2002") is cases[1]
    assert one_case((), "NOTHING") is None
    assert case_label(opened(po_only_856())) == "856:ASN-PO-ONLY (no request id or RMA yet)"


def test_a_case_is_opened_by_its_request_at_its_first_document_s_arrival() -> None:
    (case,) = file_documents([(granola_recall(), arrival(0)), (ship_notice_856(), arrival(1)),
                              (request_180(), arrival(2))])

    assert case.case_id == "180:RR20260114001"  # filed first, whatever arrived first
    assert case.opened_at == arrival(1)  # the 856's arrival; a recall notice opens nothing
