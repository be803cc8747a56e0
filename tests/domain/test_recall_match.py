"""Recall holds: product identity, lots, serials, dates, and what each match reports."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.domain.matching import file_documents
from gateway.domain.recall_match import (
    Criterion,
    in_range,
    is_active,
    product_identity,
    recall_holds,
    shipment_items,
)
from gateway.domain.return_case import apply
from gateway.model import (
    AffectedProduct,
    DatedEvent,
    HierarchyLevel,
    ItemId,
    ItemIdScheme,
    NoticeVersionStatus,
    RecallNotice,
    RecallStatus,
    ReturnLine,
    ShipmentNode,
    ValueRange,
)
from tests.domain import (
    answer_180,
    arrival,
    granola_recall,
    item_node,
    request_180,
    ship_notice_856,
)

HONEY_OAT_UPC = "614141000012"  # the UPC-A of GTIN-14 00614141000012
CHOCOLATE_UPC = "614141000029"


def line(*item_ids: ItemId, lots: tuple[str, ...] = (), serials: tuple[str, ...] = (),
         dates: tuple[DatedEvent, ...] = ()) -> ReturnLine:
    return ReturnLine(1, item_ids=item_ids, lots=lots, serials=serials, dates=dates)


def upc(value: str) -> ItemId:
    return ItemId(ItemIdScheme.UPC, value, "UP")


def kettle_recall() -> RecallNotice:
    """samples/canonical/valid-consumer-upc-serials.json: a UPC and a serial range."""
    kettle = AffectedProduct(
        name="Brightline 1.7 L cordless kettle",
        item_ids=(ItemId(ItemIdScheme.UPC, "614141000036", "UPC"),),
        serial_ranges=(ValueRange("BK170-2301-00001", "BK170-2312-99999", "SERIAL"),),
        date_ranges=(ValueRange("2023-01-01", "2023-12-31", "MANUFACTURE"),))
    return RecallNotice(notice_id="24-119", status=RecallStatus.ISSUED,
                        version_status=NoticeVersionStatus.UPDATE, version=2,
                        products=(kettle,))


# --- the product -------------------------------------------------------------------------------
@pytest.mark.parametrize(("scheme", "value"), [
    (ItemIdScheme.UPC, "614141000012"),  # UPC-A: two leading zeros
    (ItemIdScheme.EAN, "0614141000012"),  # EAN-13: one leading zero
    (ItemIdScheme.GTIN, "00614141000012"),
    (ItemIdScheme.GTIN, " 00614141000012 "),
])
def test_upc_ean_and_gtin_forms_are_one_product(scheme: ItemIdScheme, value: str) -> None:
    holds = recall_holds(granola_recall(), [line(ItemId(scheme, value), lots=("L24031B",))])

    assert [(h.identifier, h.product.name) for h in holds] == [
        ("gtin:00614141000012", "Harvest Crunch Granola Bars, Honey Oat")]


def test_another_gtin_a_sku_or_a_product_without_identifiers_holds_nothing() -> None:
    unnamed = RecallNotice(notice_id="18143", products=(AffectedProduct(name="xylophones"),))

    assert recall_holds(granola_recall(), [line(upc("614141000364"), lots=("L24031A",))]) == []
    assert recall_holds(granola_recall(), [line(ItemId(ItemIdScheme.SKU, "HC-HO-6"),
                                                lots=("L24031A",))]) == []
    assert recall_holds(unnamed, [line(upc(HONEY_OAT_UPC))]) == []


def test_product_identity_normalises_only_comparable_schemes() -> None:
    assert product_identity(ItemId(ItemIdScheme.UPC, "614141000012")) == "gtin:00614141000012"
    assert product_identity(ItemId(ItemIdScheme.GTIN, "12345678")) == "gtin:00000012345678"
    assert product_identity(ItemId(ItemIdScheme.NDC, "0002-8215-01")) == "ndc:0002-8215-01"
    assert product_identity(ItemId(ItemIdScheme.UPC, "61414100001X")) is None
    assert product_identity(ItemId(ItemIdScheme.VENDOR_PART, "614141000012")) is None


# --- lots --------------------------------------------------------------------------------------
def test_a_listed_lot_is_held_and_reported() -> None:
    (hold,) = recall_holds(granola_recall(), [line(upc(HONEY_OAT_UPC), lots=("l24031a",))])

    assert hold.notice_id == "RN-2024-0117"
    assert hold.lots == ("L24031A",)
    assert hold.unchecked == (Criterion.DATE,)  # the recall has a best-by range, the line no date
    assert hold.line_label == "line 1"


def test_a_lot_outside_the_recall_is_not_held() -> None:
    assert recall_holds(granola_recall(), [line(upc(HONEY_OAT_UPC), lots=("L24099Z",))]) == []


@pytest.mark.parametrize(("lot", "held"), [
    ("L24030A", True), ("L24030C", True), ("L24030F", True),
    ("L24030G", False), ("L24031A", False), ("L2403C", False), ("X24030C", False),
])
def test_a_lot_range_by_shared_shape(lot: str, held: bool) -> None:
    holds = recall_holds(granola_recall(), [line(upc(CHOCOLATE_UPC), lots=(lot,))])

    assert bool(holds) is held


def test_a_line_without_a_lot_is_held_and_says_the_lot_was_not_checked() -> None:
    (hold,) = recall_holds(granola_recall(), [line(upc(HONEY_OAT_UPC))])

    assert hold.lots == ()
    assert hold.unchecked == (Criterion.LOT, Criterion.DATE)


@pytest.mark.parametrize(("value", "expected"), [
    ("LOT9", True), ("LOT45", True), ("LOT120", True), ("LOT121", False), ("LOT8", False),
    ("LOTX45", False), ("45", False),
])
def test_the_numeric_tail_rule(value: str, expected: bool) -> None:
    assert in_range(value, ValueRange("LOT9", "LOT120")) is expected


@given(stem=st.from_regex(r"[A-Z]{1,4}-?", fullmatch=True),
       low=st.integers(0, 10_000), high=st.integers(0, 10_000), value=st.integers(0, 10_000))
def test_numeric_tail_agrees_with_integer_order(stem: str, low: int, high: int,
                                                value: int) -> None:
    inside = in_range(f"{stem}{value}", ValueRange(f"{stem}{low}", f"{stem}{high}"))

    assert inside is (min(low, high) <= value <= max(low, high))


def test_ends_of_an_uninterpretable_range_match_only_themselves() -> None:
    odd = ValueRange("A-1", "ZZ9Q")

    assert in_range("A-1", odd)
    assert in_range("zz9q", odd)
    assert not in_range("B-1", odd)


# --- serials and dates ---------------------------------------------------------------------------
@pytest.mark.parametrize(("serial", "held"), [
    ("BK170-2305-12345", True), ("BK170-2301-00001", True), ("BK170-2401-00001", False),
    ("BK171-2305-12345", False), ("BK170-2305-1234", False),
])
def test_a_serial_range_by_shared_shape(serial: str, held: bool) -> None:
    holds = recall_holds(kettle_recall(), [line(upc("614141000036"), serials=(serial,))])

    assert bool(holds) is held


def test_only_the_serials_inside_are_reported() -> None:
    (hold,) = recall_holds(kettle_recall(), [line(upc("614141000036"),
                                                  serials=("BK170-2401-00001",
                                                           "BK170-2305-12345"))])

    assert hold.serials == ("BK170-2305-12345",)
    assert hold.unchecked == (Criterion.DATE,)


def test_a_serial_list_given_as_serial_item_ids() -> None:
    notice = RecallNotice(notice_id="N1", products=(AffectedProduct(
        item_ids=(upc("614141000036"), ItemId(ItemIdScheme.SERIAL, "SN-1")),),))

    assert recall_holds(notice, [line(upc("614141000036"), serials=("sn-1",))])
    assert not recall_holds(notice, [line(upc("614141000036"), serials=("SN-2",))])


@pytest.mark.parametrize(("qualifier", "on", "held"), [
    ("best-by", date(2024, 9, 10), True),
    ("BEST_BY", date(2024, 9, 30), True),
    ("best-by", date(2024, 10, 1), False),
    ("011", date(2024, 10, 1), True),  # a ship date is no best-by date: unchecked, not cleared
])
def test_dates_are_compared_by_kind(qualifier: str, on: date, held: bool) -> None:
    holds = recall_holds(granola_recall(), [line(upc(HONEY_OAT_UPC), lots=("L24031A",),
                                                 dates=(DatedEvent(qualifier, on),))])

    assert bool(holds) is held


def test_an_x12_manufacture_date_is_checked_against_a_manufacture_range() -> None:
    made_2023 = DatedEvent("094", date(2023, 6, 1))
    made_2024 = DatedEvent("094", date(2024, 2, 1))
    kettle = upc("614141000036")
    serial = ("BK170-2305-12345",)

    (hold,) = recall_holds(kettle_recall(), [line(kettle, serials=serial, dates=(made_2023,))])
    assert hold.dates == (made_2023,)
    assert recall_holds(kettle_recall(), [line(kettle, serials=serial, dates=(made_2024,))]) == []


def test_a_lot_inside_but_a_date_outside_is_not_held() -> None:
    late = DatedEvent("best-by", date(2025, 1, 1))

    assert recall_holds(granola_recall(), [line(upc(HONEY_OAT_UPC), lots=("L24031A",),
                                                dates=(late,))]) == []


# --- 856 items and notice status ----------------------------------------------------------------
def test_856_items_carry_the_lots_of_the_nodes_under_them() -> None:
    lot_level = ShipmentNode(hl_id="5", level=HierarchyLevel.OTHER, level_code="ZZ",
                             parent_id="4", lots=("L24030B",))
    shipment = ship_notice_856(items=(item_node("4", "3", CHOCOLATE_UPC,
                                                children=(lot_level,)),))

    (item,) = shipment_items(shipment)
    (hold,) = recall_holds(granola_recall(), [item])

    assert item.lots == ("L24030B",)
    assert hold.line_label == "HL 4"
    assert hold.lots == ("L24030B",)


@pytest.mark.parametrize(("changes", "active"), [
    ({}, True),
    ({"status": RecallStatus.COMPLETED}, False),
    ({"status": RecallStatus.TERMINATED}, False),
    ({"version_status": NoticeVersionStatus.CLOSEOUT}, False),
    ({"version_status": NoticeVersionStatus.CANCELLED}, False),
])
def test_only_active_notices_hold(changes: dict[str, object], active: bool) -> None:
    assert is_active(granola_recall(**changes)) is active


# --- on a case ---------------------------------------------------------------------------------
def mixer_recall() -> RecallNotice:
    return granola_recall(products=(AffectedProduct(
        item_ids=(ItemId(ItemIdScheme.GTIN, "00614141000364"),),
        serial_ranges=(ValueRange("SMX22A0017700", "SMX22A0017799"),)),))


def test_a_notice_applied_before_the_lines_still_holds_them() -> None:
    recall = mixer_recall()
    case = apply(None, request_180(), arrival(0))
    case = apply(case, recall, arrival(1))
    case = apply(case, answer_180(), arrival(2))
    case = apply(case, ship_notice_856(), arrival(3))

    mixer, kettle = case.lines
    assert [h.serials for h in mixer.holds] == [("SMX22A0017734",)]
    assert not kettle.on_hold
    assert [h.line_label for h in case.recall_holds] == ["line 1", "HL 4"]
    assert case.on_recall_hold

    closed = apply(case, granola_recall(products=recall.products, version=2,
                                        status=RecallStatus.COMPLETED), arrival(4))
    assert not closed.on_recall_hold


@given(order=st.permutations(range(4)))
def test_a_notice_filed_before_the_case_opens_still_holds_it(order: list[int]) -> None:
    # Recalls are announced before the returns they concern arrive: the usual order, not a rare one.
    documents = [mixer_recall(), request_180(), answer_180(), ship_notice_856()]
    (case,) = file_documents((documents[index], arrival(step))
                             for step, index in enumerate(order))
    assert [h.line_label for h in case.recall_holds] == ["line 1", "HL 4"]
