"""Realistic canonical documents for the domain tests.

They restate samples/canonical/180-return-request-004010.json, 180-authorization-005010.json,
856-pick-pack-004010.json and 214-status-004010.json (one return, RMA7734021, PO 4500012345,
BOL ODFL4471122, PRO 0771001234), with the 214's four events split into separate 214s as a
carrier sends them over a day.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

from gateway.model import (
    AffectedProduct,
    Carrier,
    DatedEvent,
    Disposition,
    EventLocation,
    HierarchyLevel,
    ItemId,
    ItemIdScheme,
    NoticeVersionStatus,
    Purpose,
    RecallNotice,
    RecallStatus,
    Reference,
    ReturnAuthorization,
    ReturnLine,
    ReturnReasons,
    ReturnShipment,
    ReturnStage,
    ShipmentNode,
    ShipmentStatus,
    ShipmentStatusReport,
    Source,
    StatusEvent,
    Timestamp,
    ValueRange,
)

EASTERN = timezone(timedelta(hours=-5))
RMA = "RMA7734021"
PO = "4500012345"
BOL = "ODFL4471122"
PRO = "0771001234"
MIXER_UPC = "614141000364"
KETTLE_UPC = "614141000418"


def upc(value: str) -> ItemId:
    return ItemId(ItemIdScheme.UPC, value, "UP")


def reasons(code: str, disposition: Disposition) -> ReturnReasons:
    return ReturnReasons(disposition=disposition, disposition_code=code)


def request_180(document_id: str = "RR20260114001", rma: str | None = RMA, po: str = PO,
                on: date = date(2026, 1, 14)) -> ReturnAuthorization:
    pending = reasons("RP", Disposition.AUTHORIZATION_PENDING)
    return ReturnAuthorization(
        document_id=document_id, stage=ReturnStage.REQUEST, purpose=Purpose.ORIGINAL,
        purpose_code="00", document_date=on, rma_number=rma,
        references=(Reference("IA", "V0042"),),
        lines=(
            ReturnLine(1, item_ids=(upc(MIXER_UPC),), description="Stand mixer 5 qt red",
                       reasons=pending, serials=("SMX22A0017734", "SMX22A0017802"),
                       original_po=po),
            ReturnLine(2, item_ids=(upc(KETTLE_UPC),), description="Electric kettle 1.7 l",
                       reasons=pending, serials=("EKT17B0099120",), original_po=po),
        ),
        source=Source(interchange_control="000000101", group_control="101",
                      set_control="0001"),
    )


def answer_180(disposition: Disposition = Disposition.PARTIALLY_AUTHORIZED, code: str = "PA",
               *, document_id: str = "RA20260116007", on: date = date(2026, 1, 16),
               rma: str | None = RMA,
               lines: tuple[ReturnLine, ...] | None = None) -> ReturnAuthorization:
    default_lines = (
        ReturnLine(1, item_ids=(upc(MIXER_UPC),),
                   reasons=reasons("RA", Disposition.RETURN_WITH_AUTHORIZATION),
                   serials=("SMX22A0017734", "SMX22A0017802")),
        ReturnLine(2, item_ids=(upc(KETTLE_UPC),), reasons=reasons("RD", Disposition.DENIED)),
    )
    return ReturnAuthorization(
        document_id=document_id, stage=ReturnStage.AUTHORIZATION, purpose=Purpose.RESPONSE,
        purpose_code="11", document_date=on, rma_number=rma,
        reasons=reasons(code, disposition) if code else None,
        lines=default_lines if lines is None else lines,
        source=Source(interchange_control="000000102", group_control="102",
                      set_control="0001"),
    )


def cancel_180(on: date) -> ReturnAuthorization:
    return ReturnAuthorization(document_id="RR20260114001", stage=ReturnStage.REQUEST,
                               purpose=Purpose.CANCELLATION, purpose_code="01",
                               document_date=on, rma_number=RMA,
                               source=Source(interchange_control="000000199"))


def item_node(hl_id: str, parent: str, item_upc: str, lots: tuple[str, ...] = (),
              children: tuple[ShipmentNode, ...] = ()) -> ShipmentNode:
    return ShipmentNode(hl_id=hl_id, level=HierarchyLevel.ITEM, level_code="I", parent_id=parent,
                        item_ids=(upc(item_upc),), lots=lots, children=children)


def ship_notice_856(shipment_id: str = "ASN20260120001", *, rmas: tuple[str, ...] = (RMA,),
                    po: str = PO, bol: str = BOL, pro: str = PRO,
                    purpose: Purpose = Purpose.ORIGINAL,
                    items: tuple[ShipmentNode, ...] | None = None) -> ReturnShipment:
    packed = items if items is not None else (item_node("4", "3", MIXER_UPC),
                                              item_node("6", "5", KETTLE_UPC))
    order = ShipmentNode(hl_id="2", level=HierarchyLevel.ORDER, level_code="O", parent_id="1",
                         purchase_order=po, purchase_order_date=date(2025, 11, 2),
                         references=tuple(Reference("RZ", rma) for rma in rmas),
                         children=packed)
    shipment = ShipmentNode(hl_id="1", level=HierarchyLevel.SHIPMENT, level_code="S",
                            carrier=Carrier(scac="ODFL", transport_mode="M"),
                            references=(Reference("BM", bol), Reference("CN", pro)),
                            dates=(DatedEvent("011", date(2026, 1, 20)),), children=(order,))
    return ReturnShipment(shipment_id=shipment_id, purpose=purpose,
                          purpose_code="03" if purpose is Purpose.DELETE else "00",
                          shipped_on=date(2026, 1, 20), hierarchy_code="0001",
                          carrier=Carrier(scac="ODFL", transport_mode="M"),
                          bill_of_lading=bol, pro_number=pro, hierarchy=(shipment,),
                          hierarchy_depth=4,
                          source=Source(interchange_control="000000103", group_control="103",
                                        set_control="0001"))


def event(status: ShipmentStatus | None, code: str, at: datetime | None,
          city: str = "Columbus") -> StatusEvent:
    return StatusEvent(status=status, status_code=code, reason_code="NS",
                       at=Timestamp(at, "ET") if at else None,
                       location=EventLocation(city=city, state="OH", country="US"))


def status_214(control: str, *events: StatusEvent, with_references: bool = True,
               carrier_reference: str = PRO, shipment_id: str | None = BOL
               ) -> ShipmentStatusReport:
    references = (Reference("PO", PO), Reference("RZ", RMA)) if with_references else ()
    return ShipmentStatusReport(carrier_reference=carrier_reference, shipment_id=shipment_id,
                                scac="ODFL", references=references, events=events,
                                source=Source(interchange_control=control, group_control="106",
                                              set_control="0001"))


def picked_up_214(with_references: bool = True) -> ShipmentStatusReport:
    return status_214("000000106",
                      event(ShipmentStatus.PICKED_UP, "AF", datetime(2026, 1, 20, 15, 40,
                                                                     tzinfo=EASTERN)),
                      with_references=with_references)


def in_transit_214(with_references: bool = True) -> ShipmentStatusReport:
    return status_214("000000108",
                      event(ShipmentStatus.IN_TRANSIT, "X6", datetime(2026, 1, 21, 6, 10,
                                                                      tzinfo=EASTERN),
                            city="Cincinnati"),
                      with_references=with_references)


def delivered_214(with_references: bool = True) -> ShipmentStatusReport:
    return status_214("000000109",
                      event(ShipmentStatus.DELIVERED, "D1", datetime(2026, 1, 21, 11, 25,
                                                                     tzinfo=EASTERN),
                            city="Louisville"),
                      with_references=with_references)


def arrival(step: int) -> datetime:
    """When the gateway received the ``step``-th document of a test."""
    return datetime(2026, 2, 1, tzinfo=UTC) + timedelta(minutes=step)


def granola_recall(**changes: object) -> RecallNotice:
    """samples/canonical/valid-food-class1-gtin-lots.json, trimmed to what matching reads."""
    honey_oat = AffectedProduct(
        name="Harvest Crunch Granola Bars, Honey Oat",
        item_ids=(ItemId(ItemIdScheme.GTIN, "00614141000012", "GTIN"),
                  ItemId(ItemIdScheme.SKU, "HC-HO-6", "SKU")),
        lots=("L24031A", "L24031B", "L24032A"),
        date_ranges=(ValueRange("2024-09-01", "2024-09-30", "BEST_BY"),))
    chocolate = AffectedProduct(
        name="Harvest Crunch Granola Bars, Chocolate Chip",
        item_ids=(ItemId(ItemIdScheme.GTIN, "00614141000029", "GTIN"),),
        lot_ranges=(ValueRange("L24030A", "L24030F", "LOT"),),
        date_ranges=(ValueRange("2024-09-01", "2024-09-15", "BEST_BY"),))
    notice = RecallNotice(notice_id="RN-2024-0117", status=RecallStatus.ONGOING,
                          version_status=NoticeVersionStatus.INITIAL, version=1,
                          products=(honey_oat, chocolate))
    return replace(notice, **changes)  # type: ignore[arg-type]
