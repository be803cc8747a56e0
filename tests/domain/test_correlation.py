"""Correlation keys: where each kind is read from, normalisation, families."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gateway.domain.correlation import CorrelationKey, KeyKind, keys_of, shared_keys
from gateway.model import (
    ReceivedLine,
    ReceivingAdvice,
    Reference,
    ReturnLine,
    ShipmentStatus,
    StatusEvent,
)
from tests.domain import (
    answer_180,
    granola_recall,
    picked_up_214,
    request_180,
    ship_notice_856,
    status_214,
)


def key(kind: KeyKind, value: str) -> CorrelationKey:
    return CorrelationKey(kind, value)


def test_a_180_request_yields_its_request_id_rma_and_po() -> None:
    assert keys_of(request_180()) == {
        key(KeyKind.REQUEST_ID, "RR20260114001"),
        key(KeyKind.RMA, "RMA7734021"),
        key(KeyKind.PURCHASE_ORDER, "4500012345"),  # from the lines' PRF01
    }  # and not the N9*IA vendor number


def test_a_180_reads_header_po_and_line_references() -> None:
    answer = replace(answer_180(rma=None), original_po=" 4500012345 ",
                     lines=(ReturnLine(1, references=(Reference("RZ", "rma-late"),)),))

    assert keys_of(answer) == {
        key(KeyKind.REQUEST_ID, "RA20260116007"),
        key(KeyKind.PURCHASE_ORDER, "4500012345"),
        key(KeyKind.RMA, "RMA-LATE"),
    }


def test_an_856_yields_header_numbers_and_what_its_order_nodes_carry() -> None:
    assert keys_of(ship_notice_856()) == {
        key(KeyKind.SHIPMENT_ID, "ASN20260120001"),
        key(KeyKind.BILL_OF_LADING, "ODFL4471122"),  # header, and REF*BM on the S node
        key(KeyKind.PRO_NUMBER, "0771001234"),  # header, and REF*CN on the S node
        key(KeyKind.PURCHASE_ORDER, "4500012345"),  # PRF01 on the O node
        key(KeyKind.RMA, "RMA7734021"),  # REF*RZ on the O node
    }


def test_a_214_yields_b10_header_and_event_references() -> None:
    tagged = StatusEvent(status=ShipmentStatus.IN_TRANSIT,
                         references=(Reference("SI", "ASN20260120001"), Reference("2I", "1Z9"),
                                     Reference("CR", "RR20260114001"), Reference("97", "P1")))
    report = status_214("000000200", tagged)

    assert keys_of(report) == {
        key(KeyKind.CARRIER_REFERENCE, "0771001234"),  # B1001
        key(KeyKind.SHIPMENT_ID, "ODFL4471122"),  # B1002
        key(KeyKind.PURCHASE_ORDER, "4500012345"),  # L11*PO
        key(KeyKind.RMA, "RMA7734021"),  # L11*RZ
        key(KeyKind.SHIPMENT_ID, "ASN20260120001"),  # L11*SI in the LX loop
        key(KeyKind.TRACKING, "1Z9"),  # L11*2I
        key(KeyKind.REQUEST_ID, "RR20260114001"),  # L11*CR
    }  # and not L11*97 (a package number)


def test_an_861_yields_its_references_and_purchase_orders_but_not_its_own_number() -> None:
    receipt = ReceivingAdvice(
        receipt_id="RCV20260121001", purchase_orders=("4500012345",),
        references=(Reference("RZ", "RMA7734021"), Reference("SI", "ASN20260120001"),
                    Reference("BM", "ODFL4471122"), Reference("CN", "0771001234"),
                    Reference("RV", "RCV20260121001")),
        lines=(ReceivedLine(1, purchase_order="4500099999",
                            references=(Reference("2I", "1Z9"),)),))

    assert keys_of(receipt) == {
        key(KeyKind.RMA, "RMA7734021"),
        key(KeyKind.SHIPMENT_ID, "ASN20260120001"),
        key(KeyKind.BILL_OF_LADING, "ODFL4471122"),
        key(KeyKind.PRO_NUMBER, "0771001234"),
        key(KeyKind.PURCHASE_ORDER, "4500012345"),  # PRF01 of the heading
        key(KeyKind.PURCHASE_ORDER, "4500099999"),  # PRF01 of a line
        key(KeyKind.TRACKING, "1Z9"),  # REF*2I of a line
    }  # and not BRA01 (RV): no other document of the return carries it


def test_blank_values_are_no_keys() -> None:
    report = status_214("000000201", shipment_id="   ", with_references=False)

    assert keys_of(report) == {key(KeyKind.CARRIER_REFERENCE, "0771001234")}
    assert CorrelationKey.of(KeyKind.RMA, "  ") is None
    assert CorrelationKey.of(KeyKind.RMA, None) is None


def test_values_are_trimmed_and_upper_cased_and_nothing_else() -> None:
    assert CorrelationKey.of(KeyKind.RMA, "  rma-0077 ") == key(KeyKind.RMA, "RMA-0077")
    assert CorrelationKey.of(KeyKind.PRO_NUMBER, "0771001234") != key(KeyKind.PRO_NUMBER,
                                                                      "771001234")


@pytest.mark.parametrize("raw", ["", " RMA1", "rma1"])
def test_a_key_refuses_a_raw_value(raw: str) -> None:
    with pytest.raises(ValueError, match="normalized, non-empty"):
        CorrelationKey(KeyKind.RMA, raw)


def test_a_recall_notice_has_no_keys() -> None:
    assert keys_of(granola_recall()) == frozenset()


def test_families_link_the_shipper_s_and_the_carrier_s_numbers() -> None:
    assert key(KeyKind.SHIPMENT_ID, "X1").links_to(key(KeyKind.BILL_OF_LADING, "X1"))
    assert key(KeyKind.CARRIER_REFERENCE, "X1").links_to(key(KeyKind.PRO_NUMBER, "X1"))
    assert key(KeyKind.CARRIER_REFERENCE, "X1").links_to(key(KeyKind.TRACKING, "X1"))
    assert not key(KeyKind.SHIPMENT_ID, "X1").links_to(key(KeyKind.PRO_NUMBER, "X1"))
    assert not key(KeyKind.RMA, "X1").links_to(key(KeyKind.PURCHASE_ORDER, "X1"))
    assert not key(KeyKind.RMA, "X1").links_to(key(KeyKind.RMA, "X2"))


def test_the_214_shares_its_b10_numbers_with_the_856() -> None:
    shared = shared_keys(keys_of(picked_up_214(with_references=False)),
                         keys_of(ship_notice_856()))

    assert shared == {key(KeyKind.CARRIER_REFERENCE, "0771001234"),
                      key(KeyKind.SHIPMENT_ID, "ODFL4471122")}
