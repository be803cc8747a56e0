"""Finding a document's case, and merging cases a document ties together."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.domain.correlation import CorrelationKey, KeyKind, keys_of
from gateway.domain.matching import (
    LinkStrength,
    can_merge,
    file_document,
    find_case,
    link,
    merge,
)
from gateway.domain.return_case import CaseState, DocumentKind, DocumentRef, ReturnCase, apply
from gateway.model import CanonicalDocument, Reference, ShipmentStatusReport
from tests.domain import (
    answer_180,
    arrival,
    picked_up_214,
    request_180,
    ship_notice_856,
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
