"""The samples in samples/recall: expected results come from the files (see its README)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gateway.model import (
    ItemIdScheme,
    NoticeVersionStatus,
    PartyRole,
    Quantity,
    RecallStatus,
    RequiredActionType,
    ValueRange,
)
from gateway.recall import RecallResult, Severity, read_recall

from .conftest import SAMPLES, sample


def read(name: str) -> RecallResult:
    return read_recall(sample(name))


def codes_and_lines(result: RecallResult) -> list[tuple[str, int | None]]:
    return [(error.code, error.line) for error in result.errors]


def test_every_sample_is_covered_here() -> None:
    covered = {"valid-food-class1-gtin-lots.xml", "valid-consumer-upc-serials.xml",
               "valid-stand-mixer-serials.xml", *REJECTED, "cpsc-recall-18143-escaped.xml"}
    assert {path.name for path in SAMPLES.glob("*.xml")} == covered


def test_stand_mixer_recall_by_upc_and_serial_range() -> None:
    result = read("valid-stand-mixer-serials.xml")
    assert result.accepted and result.errors == ()
    notice = result.notice
    assert notice is not None and notice.notice_id == "26-031"
    [product] = notice.products
    assert [(i.scheme, i.value) for i in product.item_ids] == [(ItemIdScheme.UPC,
                                                                "614141000364")]
    assert product.serial_ranges == (ValueRange("SMX22A0017700", "SMX22A0017799", "SERIAL"),)
    assert [a.action for a in notice.actions] == [RequiredActionType.STOP_SALE,
                                                  RequiredActionType.RETURN]
    assert notice.actions[1].deadline == date(2026, 3, 31)


def test_food_recall_by_gtin_lots_and_best_by_range() -> None:
    result = read("valid-food-class1-gtin-lots.xml")
    assert result.accepted, result.errors
    assert result.errors == ()
    assert result.dialect == "recall-notice-1.0"
    notice = result.notice
    assert notice is not None
    assert (notice.notice_id, notice.notice_scheme) == ("RN-2024-0117", "INTERNAL")
    assert (notice.version_status, notice.version) == (NoticeVersionStatus.INITIAL, 1)
    assert notice.status is RecallStatus.ONGOING
    assert (notice.authority, notice.classification, notice.classification_scheme) == (
        "FDA", "CLASS_I", "FDA")
    assert notice.voluntary is True
    assert {(d.qualifier, d.on) for d in notice.dates} == {
        ("initiated", date(2024, 3, 4)), ("classified", date(2024, 3, 11)),
        ("published", date(2024, 3, 5))}
    firm = notice.parties[0]
    assert firm.role is PartyRole.RECALLING_FIRM
    assert firm.name == "Harvest Crunch Foods Inc."
    assert [(i.qualifier, i.value) for i in firm.identifiers] == [("GLN", "0614141000005")]
    assert firm.address is not None and firm.address.postal_code == "55401"
    assert [c.role for c in firm.contacts] == ["RECALL", "CONSUMER"]
    assert notice.reasons[0].code == "ALLERGY_HAZARD_PEANUTS"
    assert notice.reasons[0].scheme == "GS1"

    bars, chocolate = notice.products
    assert [(i.scheme, i.value) for i in bars.item_ids] == [
        (ItemIdScheme.GTIN, "00614141000012"), (ItemIdScheme.SKU, "HC-HO-6")]
    assert bars.lots == ("L24031A", "L24031B", "L24032A")
    assert bars.date_ranges == (ValueRange("2024-09-01", "2024-09-30", "BEST_BY"),)
    assert bars.quantity == Quantity(Decimal("1250"), "CA")
    assert bars.code_info is not None and bars.code_info.startswith("Lots L24031A")
    assert chocolate.lot_ranges == (ValueRange("L24030A", "L24030F", "LOT"),)
    assert chocolate.quantity is None

    assert [(a.action, a.deadline) for a in notice.actions] == [
        (RequiredActionType.STOP_SALE, date(2024, 3, 8)),
        (RequiredActionType.RETURN, date(2024, 3, 22)),
        (RequiredActionType.NOTIFY_CONSUMERS, None)]
    return_to = notice.actions[1].return_to
    assert return_to is not None and return_to.value == "0614141000012"
    assert notice.distribution == ("US", "MN", "WI", "grocery retail")
    assert notice.injuries == "No illnesses have been reported."
    assert notice.source.standard == "RECALL-XML"


def test_consumer_recall_by_upc_model_and_serial_range() -> None:
    result = read("valid-consumer-upc-serials.xml")
    assert result.accepted, result.errors
    notice = result.notice
    assert notice is not None
    assert (notice.notice_id, notice.notice_scheme) == ("24-119", "CPSC")
    assert (notice.version_status, notice.version) == (NoticeVersionStatus.UPDATE, 2)
    assert notice.classification is None
    assert [p.role for p in notice.parties] == [PartyRole.MANUFACTURER, PartyRole.IMPORTER]
    assert notice.parties[1].identifiers[0].value == "123456789"
    (kettle,) = notice.products
    assert kettle.model == "BK-170"
    assert [(i.scheme, i.value) for i in kettle.item_ids] == [(ItemIdScheme.UPC, "614141000036")]
    assert kettle.serial_ranges == (ValueRange("BK170-2301-00001", "BK170-2312-99999",
                                               "SERIAL"),)
    assert kettle.quantity == Quantity(Decimal("48000"), "EA")  # uom defaults to EA
    assert notice.actions[0].instructions is None  # an empty RequiredAction
    assert notice.actions[1].action is RequiredActionType.REFUND
    assert [(link.qualifier, link.value) for link in notice.links] == [
        ("source", "https://www.cpsc.gov/Recalls/2024/Brightline-Cordless-Kettles"),
        ("image", "https://www.cpsc.gov/s3fs-public/brightline-kettle.jpg")]


# name -> (dialect, [(code, line)]), from reading each file.
REJECTED: dict[str, tuple[str | None, list[tuple[str, int | None]]]] = {
    "invalid-schema-several-errors.xml": ("recall-notice-1.0", [
        ("schema.invalid", 6), ("schema.invalid", 8), ("schema.invalid", 10),
        ("schema.invalid", 15), ("schema.invalid", 20), ("schema.invalid", 22),
        ("schema.invalid", 23)]),
    "invalid-gtin-check-digit.xml": ("recall-notice-1.0", [("gtin.check-digit", 18)]),
    "invalid-wrong-namespace.xml": (None, [("recall.unknown-dialect", 3)]),
    "hostile-billion-laughs.xml": (None, [("xml.doctype-forbidden", 2)]),
    "hostile-external-entity.xml": (None, [("xml.doctype-forbidden", 2)]),
    "hostile-external-dtd.xml": (None, [("xml.doctype-forbidden", 2)]),
    "hostile-xinclude.xml": (None, [("xml.xinclude-forbidden", 5)]),
}


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected_samples(name: str) -> None:
    dialect, expected = REJECTED[name]
    result = read(name)
    assert not result.accepted
    assert result.notice is None
    assert result.dialect == dialect
    assert codes_and_lines(result) == expected
    assert all(error.severity is Severity.ERROR for error in result.errors)
    assert all(error.message and "Traceback" not in error.message for error in result.errors)


def test_schema_errors_name_the_element_and_the_problem() -> None:
    errors = read("invalid-schema-several-errors.xml").errors
    paths = [error.path for error in errors]
    assert paths == ["/RecallNotice/Classification[1]", "/RecallNotice/Dates[1]",
                     "/RecallNotice/Party[1]/GLN[1]", "/RecallNotice/AffectedProduct[1]/Colour[1]",
                     "/RecallNotice/AffectedProduct[2]/QuantityAffected[1]",
                     "/RecallNotice/RequiredAction[1]", "/RecallNotice/Link[1]"]
    messages = [error.message for error in errors]
    assert "CLASS_IV" in messages[0] and "CLASS_III" in messages[0]
    assert "2024-02-30" in messages[1]
    assert "Name" in messages[2]  # what was expected instead
    assert "Colour" in messages[3]
    assert "-5" in messages[4]
    assert "RECYCLE" in messages[5]
    assert "file:///etc/passwd" in messages[6]
    assert not any("{urn:" in message for message in messages)  # no Clark names for people


def test_bad_gtin_names_value_and_path() -> None:
    (error,) = read("invalid-gtin-check-digit.xml").errors
    assert error.path == "/RecallNotice/AffectedProduct[2]/Identifier[2]"
    assert "00614141000023" in error.message
    assert "9" in error.message  # the digit its body gives (worked out in the README)


def test_rejected_notice_still_names_its_id() -> None:
    assert read("invalid-gtin-check-digit.xml").declared_id == ("RN-2024-0201", "INTERNAL")
    assert read("hostile-xinclude.xml").declared_id is None


def variant(old: bytes, new: bytes) -> RecallResult:
    data = sample("valid-food-class1-gtin-lots.xml")
    assert old in data
    return read_recall(data.replace(old, new, 1))


def test_gln_check_digit() -> None:
    result = variant(b"<GLN>0614141000005</GLN>", b"<GLN>0614141000006</GLN>")
    assert codes_and_lines(result) == [("gln.check-digit", 15)]
    assert result.errors[0].path == "/RecallNotice/Party[1]/GLN[1]"


def test_return_to_gln_check_digit() -> None:
    result = variant(b'returnToGLN="0614141000012"', b'returnToGLN="0614141000019"')
    assert codes_and_lines(result) == [("gln.check-digit", 50)]


def test_reversed_date_range() -> None:
    result = variant(b'from="2024-09-01" to="2024-09-30"', b'from="2024-09-30" to="2024-09-01"')
    assert codes_and_lines(result) == [("range.reversed", 32)]


@pytest.mark.parametrize(("value", "code"), [
    ("0061414100001", "gtin.check-digit"),  # 13 digits: a valid length, a wrong digit
    ("614141-000036", "gtin.format"),
    ("06141410000", "gtin.format"),  # 11 digits
])
def test_gtin_format_and_digit(value: str, code: str) -> None:
    result = variant(b'<Identifier scheme="GTIN">00614141000012</Identifier>',
                     f'<Identifier scheme="EAN">{value}</Identifier>'.encode())
    assert codes_and_lines(result) == [(code, 27)]


def test_schema_and_gtin_errors_are_reported_together() -> None:
    data = sample("invalid-gtin-check-digit.xml").replace(b"CLASS_II", b"CLASS_V")
    result = read_recall(data)
    assert codes_and_lines(result) == [("schema.invalid", 5), ("gtin.check-digit", 18)]


def test_sku_is_not_checked_as_gtin() -> None:
    result = variant(b"HC-HO-6", b"00614141000013")
    assert result.accepted
