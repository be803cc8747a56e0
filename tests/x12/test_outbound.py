"""Our own outbound X12: valid against our grammars, safe with any partner data, and read back
by our stock mappings as what we meant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.app.translate import translate_x12
from gateway.config.mappings import MappingCatalog
from gateway.model import (
    Address,
    CanonicalDocument,
    DatedEvent,
    Disposition,
    EventLocation,
    Identifier,
    ItemId,
    ItemIdScheme,
    Money,
    PackageMark,
    Party,
    PartyRole,
    Quantity,
    QuantityInQuestion,
    ReceivedLine,
    ReceivingAdvice,
    ReceivingCondition,
    Reference,
    ResponseReason,
    ReturnAuthorization,
    ReturnLine,
    ReturnReason,
    ReturnReasons,
    ReturnStage,
    ShipmentStatus,
    ShipmentStatusReport,
)
from gateway.x12.assess import Assessment, assess
from gateway.x12.isa import Delimiters
from gateway.x12.outbound import (
    NOTIFICATION_DATES,
    receipt_861,
    return_answer_180,
    status_180,
    status_214,
)
from gateway.x12.write import (
    DEFAULT_DELIMITERS,
    Envelope,
    Identity,
    SetBody,
    interchange,
    write_interchange,
)

MAPPINGS = MappingCatalog(Path(__file__).resolve().parents[2] / "mappings")
US = Identity("ZZ", "RLGATEWAY", "RLGATEWAY")
AT = datetime(2026, 1, 16, 14, 15, tzinfo=UTC)
VERSIONS = ["004010", "005010"]
ODD_DELIMITERS = [
    DEFAULT_DELIMITERS,
    Delimiters(element="|", component="^", segment="\n"),
    Delimiters(element="+", component=":", segment="'", repetition="*"),
    Delimiters(element="~", component=">", segment="*"),  # OopFactory's swapped pair
    Delimiters(element="*", component=">", segment="\xe2\x80\xa6"),  # '…' read as latin-1
]
HOSTILE = "Acme *|~^>:'+{ Returns\nCentre \u00e9t\u00e9"


def envelope(version: str = "004010", delimiters: Delimiters = DEFAULT_DELIMITERS,
             **changes: object) -> Envelope:
    values: dict[str, object] = {
        "sender": US, "receiver": ("01", "614832907"), "receiver_gs": "NORTHWINDHS",
        "version": version, "delimiters": delimiters, "interchange_control": 4711,
        "group_control": 812}
    values.update(changes)
    return Envelope(**values)  # type: ignore[arg-type]


def answer(**changes: object) -> ReturnAuthorization:
    lines = (
        ReturnLine(1, (ItemId(ItemIdScheme.UPC, "614141000364", "UP"),
                       ItemId(ItemIdScheme.VENDOR_PART, "SMX-22A"),
                       ItemId(ItemIdScheme.SERIAL, "SMX22A0017734")),
                   Quantity(Decimal("2.000"), "EA"), Money(Decimal("189.990"), None, "UCP"),
                   "Stand mixer 5 qt red",
                   ReturnReasons(Disposition.RETURN_WITH_AUTHORIZATION, "RA",
                                 ReturnReason.DEFECTIVE, "DM",
                                 description="Return to RC01 with RMA on carton",
                                 item_used=True),
                   lots=("L2025-11",), serials=("SMX22A0017734", "SMX22A0017802"),
                   references=(Reference("PO", "4500012345"),), original_po="4500012345",
                   dates=(DatedEvent("036", date(2026, 2, 15)),), notes=("Pack in the box",)),
        ReturnLine(2, (ItemId(ItemIdScheme.UPC, "614141000418"),), Quantity(Decimal("1"), "EA"),
                   reasons=ReturnReasons(Disposition.DENIED, request_reason=ReturnReason.DAMAGED,
                                         response_reason=ResponseReason.RETURN_PERIOD_EXCEEDED,
                                         description="Purchased more than 90 days ago")),
    )
    values: dict[str, object] = {
        "document_id": "RA20260116007", "stage": ReturnStage.AUTHORIZATION,
        "document_date": date(2026, 1, 16), "rma_number": "RMA7734021",
        "original_po": "4500012345", "original_po_date": date(2025, 11, 2),
        "reasons": ReturnReasons(Disposition.PARTIALLY_AUTHORIZED, "PA"),
        "parties": (
            Party(PartyRole.SHIP_FROM, "SF", "Northwind Home Stores 0412",
                  (Identifier("92", "0412"),)),
            Party(PartyRole.SHIP_TO, None, "Acme Appliance Returns Center",
                  (Identifier("92", "RC01"),),
                  Address(("4800 Distribution Pkwy", "Dock 7"), "Louisville", "KY", "40218",
                          "US")),
        ),
        "references": (Reference("IA", "V0042"), Reference("CR", "RR20260114001",
                                                           "return request")),
        "dates": (DatedEvent("097", AT.date(), AT), DatedEvent("036", date(2026, 2, 15))),
        "notes": ("Ship within 30 days",), "lines": lines,
    }
    values.update(changes)
    return ReturnAuthorization(**values)  # type: ignore[arg-type]


def status_refs(**changes: str) -> dict[str, str]:
    return {"rma": "RMA7734021", "request": "RR20260114001", "purchase-order": "4500012345",
            "pro": "0771001234", "shipment": "ODFL4471122", "bill-of-lading": "BOL88120",
            "scac": "ODFL", **changes}


def errors(assessment: Assessment) -> list[str]:
    return [f"{x.code}: {x.message}" for x in assessment.all_findings() if x.is_error]


def warnings(assessment: Assessment) -> list[str]:
    return [f"{x.code}: {x.message}" for x in assessment.all_findings() if not x.is_error
            and x.severity.value == "warning"]


def assert_valid(text: str) -> Assessment:
    assessment = assess(text.encode("latin-1"))
    assert errors(assessment) == []
    assert warnings(assessment) == []
    assert assessment.accepted
    return assessment


def translated(text: str) -> list[CanonicalDocument]:
    result = translate_x12(text.encode("latin-1"), MAPPINGS.spec_for)
    assert result.ok, [s.skipped or s.issues for s in result.sets]
    return result.documents


def the_180(text: str) -> ReturnAuthorization:
    [document] = translated(text)
    assert isinstance(document, ReturnAuthorization)
    return document


def all_bodies(version: str = "004010") -> list[tuple[str, str, SetBody]]:
    return [
        ("AN", "answer", ("180", return_answer_180(answer(), request_reference="RR1"))),
        ("AN", "notification", ("180", status_180("delivered", AT, status_refs(), "ok"))),
        ("QM", "214", ("214", status_214("in-transit", AT, status_refs(),
                                         location=EventLocation("Columbus", "OH", "US"),
                                         version=version))),
        ("RC", "861", ("861", receipt_861(AT, status_refs(), dock_lines()))),
    ]


def dock_lines(description: str = "Electric kettle 1.7 l steel") -> tuple[ReceivedLine, ...]:
    """What a return centre's 861 reported: a mixer in, a damaged one, a kettle short."""
    mixer = (ItemId(ItemIdScheme.UPC, "614141000364", "UP"),)
    return (
        ReceivedLine(1, "1", mixer, serials=("SMX22A0017734",),
                     quantity_received=Quantity(Decimal(1), "EA"),
                     marks=(PackageMark("GM", "00006141411234567807"),)),
        ReceivedLine(2, "2", mixer, serials=("SMX22A0017802",),
                     quantity_received=Quantity(Decimal(1), "EA"),
                     quantity_returned=Quantity(Decimal(1), "EA"),
                     in_question=(QuantityInQuestion(Quantity(Decimal(1), "EA"),
                                                     ReceivingCondition.DAMAGED, "01"),)),
        ReceivedLine(3, "3", (ItemId(ItemIdScheme.GTIN, "00614141000418", "UK"),),
                     serials=("EKT17B0099120",), description=description,
                     quantity_received=Quantity(Decimal(0), "EA"),
                     in_question=(QuantityInQuestion(Quantity(Decimal("1.5"), "EA"),
                                                     ReceivingCondition.SHORT, "02"),)),
    )


# --- validity: both versions, odd delimiters, hostile values ------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("delimiters", ODD_DELIMITERS, ids=repr)
@pytest.mark.parametrize(("functional_id", "name"),
                         [(fid, name) for fid, name, _ in all_bodies()],
                         ids=[name for _, name, _ in all_bodies()])
def test_what_we_write_validates_against_our_own_grammar(
        version: str, delimiters: Delimiters, functional_id: str, name: str) -> None:
    [body] = [b for _, n, b in all_bodies(version) if n == name]
    text = interchange(functional_id, [body], envelope(version, delimiters), AT)
    assessment = assert_valid(text)
    assert assessment.interchanges[0].interchange.header.delimiters.element == delimiters.element


@pytest.mark.parametrize("version", ["004010VICS", "005010"])
def test_line_breaks_after_each_segment_still_validate(version: str) -> None:
    sets = [body for _, _, body in all_bodies() if body[0] == "180"]
    text = interchange("AN", sets, envelope(version), AT, line_break=True)
    assert text.count("~\n") == text.count("~")
    assert_valid(text)


@pytest.mark.parametrize("delimiters", ODD_DELIMITERS, ids=repr)
def test_partner_values_holding_delimiters_cannot_break_the_document(
        delimiters: Delimiters) -> None:
    hostile = answer(
        parties=(Party(PartyRole.SHIP_TO, None, HOSTILE, (Identifier("92", "RC|01*~"),),
                       Address((HOSTILE,), "Louis*ville", "KY", "40218", "US")),),
        notes=(HOSTILE,), references=(Reference("IA", "V*00|42~"),),
        lines=(ReturnLine(1, (ItemId(ItemIdScheme.UPC, "6141*4100|0364"),),
                          Quantity(Decimal("1"), "EA"), description=HOSTILE,
                          reasons=ReturnReasons(disposition_code="RA", description=HOSTILE),
                          serials=("SN*1~2",)),))
    env = envelope("005010", delimiters, receiver=("ZZ", "NORTH*WIND~"),
                   receiver_gs="NORTH|WIND^")
    text = interchange("AN", [("180", return_answer_180(hostile))], env, AT)
    assert_valid(text)
    document = the_180(text)
    assert document.parties[0].name is not None
    assert "?" in document.parties[0].name
    for delimiter in delimiters.all():
        assert delimiter not in document.parties[0].name
    assert len(document.lines) == 1
    assert document.lines[0].serials and len(document.lines[0].serials[0]) == len("SN*1~2")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(min_size=1, max_size=60), note=st.text(max_size=120),
       reference=st.text(alphabet=st.characters(codec="latin-1"), min_size=1, max_size=30),
       delimiters=st.sampled_from(ODD_DELIMITERS))
def test_any_text_in_free_text_and_references_stays_valid(
        name: str, note: str, reference: str, delimiters: Delimiters) -> None:
    if not reference.strip():
        reference = "X"
    document = answer(parties=(Party(PartyRole.VENDOR, None, name),), notes=(note,),
                      references=(Reference("IA", reference),))
    text = interchange("AN", [("180", return_answer_180(document))],
                       envelope("004010", delimiters), AT)
    assert errors(assess(text.encode("latin-1"))) == []


# --- the envelope --------------------------------------------------------------------------
def segments(text: str, delimiters: Delimiters = DEFAULT_DELIMITERS) -> list[list[str]]:
    return [s.split(delimiters.element) for s in text.split(delimiters.segment) if s.strip()]


def test_envelope_numbers_sets_counts_segments_and_reports_control_numbers() -> None:
    sets = [("180", return_answer_180(answer())), ("180", status_180("shipped", AT,
                                                                      status_refs()))]
    written = write_interchange("AN", sets, envelope(ack_requested=True, usage="T"), AT)
    rows = segments(written.text)
    isa = rows[0]
    assert (isa[5], isa[6].strip(), isa[7], isa[8].strip()) == ("ZZ", "RLGATEWAY", "01",
                                                                "614832907")
    assert isa[9:16] == ["260116", "1415", "U", "00401", "000004711", "1", "T"]
    assert rows[1] == ["GS", "AN", "RLGATEWAY", "NORTHWINDHS", "20260116", "1415", "812", "X",
                       "004010"]
    assert [r[2] for r in rows if r[0] == "ST"] == ["0001", "0002"]
    for st_at in (i for i, r in enumerate(rows) if r[0] == "ST"):
        se_at = next(i for i in range(st_at, len(rows)) if rows[i][0] == "SE")
        assert rows[se_at] == ["SE", str(se_at - st_at + 1), rows[st_at][2]]
    assert rows[-2:] == [["GE", "2", "812"], ["IEA", "1", "000004711"]]
    assert (written.interchange_control, written.group_control, written.set_controls) == (
        "000004711", "812", ("0001", "0002"))
    assert len(written.text.split("~", 1)[0]) + 1 == 106  # a fixed-width ISA


def test_005010_uses_a_free_repetition_separator_and_a_release_in_gs08() -> None:
    delimiters = Delimiters(element="|", component="^", segment="\n")
    text = interchange("QM", [("214", status_214("delivered", AT, status_refs()))],
                       envelope("005010", delimiters), AT)
    isa = segments(text, delimiters)[0]
    assert isa[11:13] == ["{", "00501"]  # '^' is their component separator, so not '^'
    vics = interchange("QM", [("214", status_214("delivered", AT, status_refs()))],
                       envelope("004010VICS"), AT)
    assert segments(vics)[0][12] == "00401" and segments(vics)[1][8] == "004010VICS"
    assert_valid(vics)


@pytest.mark.parametrize("changes", [
    {"version": "003030"}, {"version": "X12"}, {"interchange_control": 0},
    {"group_control": 1_000_000_000}, {"delimiters": Delimiters("*", "*", "~")},
    {"delimiters": Delimiters("A", ">", "~")}, {"delimiters": Delimiters("*", ">", "*")},
    {"receiver": ("ZZ", "")}, {"receiver_gs": "X"}, {"usage": "Q"},
])
def test_an_envelope_we_cannot_write_correctly_is_refused(changes: dict[str, object]) -> None:
    env = envelope(**changes)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        interchange("AN", [("180", return_answer_180(answer()))], env, AT)


def test_no_sets_or_a_bad_functional_id_is_refused() -> None:
    with pytest.raises(ValueError):
        interchange("AN", [], envelope(), AT)
    with pytest.raises(ValueError):
        interchange("A1", [("180", return_answer_180(answer()))], envelope(), AT)


# --- 180 answer: round trip ----------------------------------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
def test_answer_reads_back_as_the_same_authorization(version: str) -> None:
    text = interchange("AN", [("180", return_answer_180(answer(), request_reference="RR1"))],
                       envelope(version), AT)
    document = the_180(text)
    assert document.stage is ReturnStage.AUTHORIZATION
    assert (document.document_id, document.purpose_code, document.rma_number) == (
        "RA20260116007", "11", "RMA7734021")
    assert document.document_date == date(2026, 1, 16)
    assert (document.original_po, document.original_po_date) == ("4500012345",
                                                                date(2025, 11, 2))
    assert document.reasons is not None and document.reasons.disposition_code == "PA"
    assert [(p.role_code, p.name) for p in document.parties] == [
        ("SF", "Northwind Home Stores 0412"), ("ST", "Acme Appliance Returns Center")]
    ship_to = document.parties[1]
    assert ship_to.address is not None
    assert ship_to.address.lines == ("4800 Distribution Pkwy", "Dock 7")
    assert (ship_to.address.city, ship_to.address.postal_code) == ("Louisville", "40218")
    assert ("IA", "V0042") in [(r.qualifier, r.value) for r in document.references]
    assert [d.qualifier for d in document.dates] == ["097", "036"]
    assert document.dates[0].at == AT
    assert document.notes == ("Ship within 30 days",)
    first, second = document.lines
    assert first.quantity is not None and first.quantity.value == Decimal("2")
    assert first.quantity.unit == "EA"
    assert first.unit_price is not None and first.unit_price.amount == Decimal("189.99")
    assert [(i.qualifier, i.value) for i in first.item_ids] == [("UP", "614141000364"),
                                                                ("VP", "SMX-22A")]
    assert first.serials == ("SMX22A0017734", "SMX22A0017802") and first.lots == ("L2025-11",)
    assert first.description == "Stand mixer 5 qt red"
    assert first.reasons is not None
    assert (first.reasons.disposition_code, first.reasons.request_reason_code,
            first.reasons.item_used) == ("RA", "DM", True)
    assert first.original_po == "4500012345" and first.notes == ("Pack in the box",)
    assert second.reasons is not None
    assert (second.reasons.disposition_code, second.reasons.response_reason_code) == ("RD", "RT")
    assert second.reasons.request_reason_code is None  # RDR02 and RDR03 exclude each other
    assert second.quantity is not None and second.quantity.value == Decimal("1")


def test_answer_header_carries_bgn11_the_request_and_the_rma_once() -> None:
    body = return_answer_180(answer(references=(Reference("RZ", "OTHER"),)),
                             request_reference="RR20260114001")
    assert body[0] == ["BGN", "11", "RA20260116007", "20260116", "", "", "RR20260114001"]
    assert [s for s in body if s[0] == "N9" and s[1] == "RZ"] == [["N9", "RZ", "RMA7734021"]]
    assert body[1] == ["RDR", "PA"]


def test_a_pending_answer_is_still_an_authorization() -> None:
    pending = answer(reasons=ReturnReasons(Disposition.AUTHORIZATION_PENDING),
                     rma_number=None,
                     lines=(ReturnLine(1, (ItemId(ItemIdScheme.UPC, "614141000364"),),
                                       reasons=ReturnReasons(
                                           Disposition.AUTHORIZATION_PENDING,
                                           response_reason=ResponseReason.PICTURE_REQUESTED)),))
    text = interchange("AN", [("180", return_answer_180(pending))], envelope(), AT)
    document = the_180(text)
    assert document.stage is ReturnStage.AUTHORIZATION and document.rma_number is None
    assert document.lines[0].reasons is not None
    assert document.lines[0].reasons.response_reason_code == "PR"


@pytest.mark.parametrize("changes", [
    {"stage": ReturnStage.REQUEST}, {"document_date": None}, {"document_id": "X" * 31},
    {"rma_number": "R" * 31},
    {"reasons": ReturnReasons(disposition_code="ZZ")},
    {"lines": (ReturnLine(1, ()),)},
    {"lines": (ReturnLine(1, (ItemId(ItemIdScheme.UPC, "1"),),
                          Quantity(Decimal("1234567890123456"))),)},
])
def test_an_answer_we_cannot_write_faithfully_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        return_answer_180(answer(**changes))


# --- 180 notification ------------------------------------------------------------------------
@pytest.mark.parametrize(("state", "qualifier"), [("shipped", "011"), ("delivered", "035"),
                                                  ("received", "050")])
@pytest.mark.parametrize("version", VERSIONS)
def test_notification_reads_back_as_a_notification_with_the_moment(
        state: str, qualifier: str, version: str) -> None:
    at = datetime(2026, 1, 20, 9, 5, tzinfo=timezone(timedelta(hours=-5)))
    body = status_180(state, at, status_refs(), "Two cartons")
    text = interchange("AN", [("180", body)], envelope(version), AT)
    assert_valid(text)
    document = the_180(text)
    assert document.stage is ReturnStage.NOTIFICATION
    assert document.rma_number == "RMA7734021"
    suffix = {"shipped": "SHP", "delivered": "DLV", "received": "RCV"}[state]
    assert document.document_id == f"RMA7734021-{suffix}"
    assert [(d.qualifier, d.at) for d in document.dates] == [(qualifier, at)]
    assert document.notes[0].startswith(f"Return RMA7734021 {state}")
    assert document.notes[1] == "Two cartons"
    assert body[0][6] == "RR20260114001"  # BGN06: the partner's request
    assert ("PO", "4500012345") in [(r.qualifier, r.value) for r in document.references]


@pytest.mark.parametrize("state", sorted(set(NOTIFICATION_DATES) - {"shipped", "delivered",
                                                                     "received"}))
def test_states_without_a_date_code_are_dated_097_and_told_in_words(state: str) -> None:
    body = status_180(state, AT, status_refs())
    assert_valid(interchange("AN", [("180", body)], envelope(), AT))
    document = the_180(body_text := interchange("AN", [("180", body)], envelope(), AT))
    assert [d.qualifier for d in document.dates] == ["097"], body_text
    assert document.notes[0].startswith("Return RMA7734021 ")


def test_notification_without_an_rma_names_the_request_and_takes_a_document_id() -> None:
    body = status_180("shipped", AT, {"request": "RR1"}, document_id="N000000007")
    assert body[0][:3] == ["BGN", "00", "N000000007"]
    assert not [s for s in body if s[0] == "N9"]
    assert_valid(interchange("AN", [("180", body)], envelope(), AT))


@pytest.mark.parametrize("state", ["requested", "pending", "exception", ""])
def test_states_a_notification_cannot_express_are_refused(state: str) -> None:
    with pytest.raises(ValueError, match="cannot express"):
        status_180(state, AT, status_refs())


def test_notification_needs_an_aware_moment_and_something_to_name() -> None:
    with pytest.raises(ValueError, match="timezone"):
        status_180("shipped", datetime(2026, 1, 1, 12, 0), status_refs())
    with pytest.raises(ValueError):
        status_180("shipped", AT, {"purchase-order": "4500012345"})


# --- 214 ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("state", "code", "status"), [
    ("shipped", "AF", ShipmentStatus.PICKED_UP), ("in-transit", "X6", ShipmentStatus.IN_TRANSIT),
    ("delivered", "D1", ShipmentStatus.DELIVERED)])
@pytest.mark.parametrize("version", VERSIONS)
def test_214_reads_back_with_its_status_and_references(
        state: str, code: str, status: ShipmentStatus, version: str) -> None:
    body = status_214(state, AT, status_refs(), location=EventLocation("Louisville", "KY", "US"),
                      version=version)
    text = interchange("QM", [("214", body)], envelope(version), AT)
    assert_valid(text)
    [document] = translated(text)
    assert isinstance(document, ShipmentStatusReport)
    assert (document.carrier_reference, document.shipment_id, document.scac) == (
        "0771001234", "ODFL4471122", "ODFL")
    assert [(r.qualifier, r.value) for r in document.references] == [
        ("RZ", "RMA7734021"), ("PO", "4500012345"), ("BM", "BOL88120"), ("CR", "RR20260114001")]
    [event] = document.events
    # NS (normal status) in 004010, where AT702 pairs with AT701; 005010 has no NS code.
    normal = "NS" if version.startswith("0040") else None
    assert (event.status, event.status_code, event.reason_code) == (status, code, normal)
    assert event.at is not None and event.at.at == AT and event.at.zone_code == "UT"
    assert event.location is not None and event.location.city == "Louisville"


# --- 861 ------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
def test_861_reads_back_as_the_receipt_the_dock_reported(version: str) -> None:
    text = interchange("RC", [("861", receipt_861(AT, status_refs(), dock_lines()))],
                       envelope(version), AT)
    assert_valid(text)
    [document] = translated(text)
    assert isinstance(document, ReceivingAdvice)
    assert (document.receipt_id, document.purpose_code) == ("RMA7734021-RCV", "00")
    assert document.received_at is not None and document.received_at.at == AT
    assert [(r.qualifier, r.value) for r in document.references] == [
        ("RZ", "RMA7734021"), ("SI", "ODFL4471122"), ("BM", "BOL88120"), ("CN", "0771001234"),
        ("CR", "RR20260114001")]
    assert document.purchase_orders == ("4500012345",)
    sent = dock_lines()
    for back, line in zip(document.lines, sent, strict=True):
        assert (back.quantity_received, back.quantity_returned, back.in_question) == (
            line.quantity_received, line.quantity_returned, line.in_question)
        assert (back.serials, back.marks, back.description) == (
            line.serials, line.marks, line.description)
        assert [i.value for i in back.item_ids] == [i.value for i in line.item_ids]


def test_an_861_without_lines_says_received_by_its_heading_alone() -> None:
    body = receipt_861(AT, {"request": "RR20260114001"})
    assert [segment[0] for segment in body] == ["BRA", "REF", "DTM"]
    assert_valid(interchange("RC", [("861", body)], envelope("005010"), AT))
    with pytest.raises(ValueError, match="RMA number or the partner's request"):
        receipt_861(AT, {"purchase-order": "4500012345"})


def test_an_861_cuts_free_text_and_keeps_delimiters_out() -> None:
    body = receipt_861(AT, status_refs(), dock_lines(description=HOSTILE * 5))
    text = interchange("RC", [("861", body)], envelope("004010"), AT)
    assert_valid(text)
    [document] = translated(text)
    assert isinstance(document, ReceivingAdvice)
    assert len(document.lines) == 3 and len(document.lines[2].description or "") <= 80


def test_214_scac_may_come_as_an_argument_and_b1002_falls_back_to_the_bill_of_lading() -> None:
    body = status_214("shipped", AT, {"bill-of-lading": "BOL1"}, scac="saia", version="005010")
    assert body[0] == ["B10", "", "BOL1", "SAIA"]
    assert_valid(interchange("QM", [("214", body)], envelope("005010"), AT))


@pytest.mark.parametrize("state", ["received", "closed", "authorized", "requested", "x"])
def test_states_a_214_cannot_express_are_refused(state: str) -> None:
    with pytest.raises(ValueError, match="cannot express"):
        status_214(state, AT, status_refs())


@pytest.mark.parametrize("references", [
    {"pro": "1"}, {"pro": "1", "scac": "TOOLONG"}, {"scac": "ODFL"}, {"scac": "ODFL", "pro": ""}])
def test_a_214_without_scac_or_shipment_reference_is_refused(
        references: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        status_214("shipped", AT, references)


def test_long_optional_references_are_left_out_rather_than_cut() -> None:
    body = status_214("shipped", AT, status_refs(**{"purchase-order": "P" * 31}))
    assert ["L11", "P" * 30, "PO"] not in body
    assert not [s for s in body if s[0] == "L11" and s[2] == "PO"]


def test_all_set_builders_return_plain_string_lists() -> None:
    bodies: Sequence[SetBody] = [body for _, _, body in all_bodies()]
    for _, segments_ in bodies:
        for segment in segments_:
            assert all(isinstance(value, str) for value in segment)
