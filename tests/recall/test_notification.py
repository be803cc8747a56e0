"""Recall notification 1.0: the recall, this partner's affected goods and how to answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from gateway.model import (
    AffectedProduct,
    ItemId,
    ItemIdScheme,
    NoticeVersionStatus,
    Party,
    PartyRole,
    RecallNotice,
    RecallStatus,
    Reference,
    RequiredAction,
    RequiredActionType,
)
from gateway.recall import (
    AffectedItem,
    RecallNotification,
    build_recall_notification,
    read_recall,
)
from gateway.recall.notification import NAMESPACE, NOTIFICATION_SCHEMA
from gateway.recall.response import NAMESPACE as RESPONSE_NAMESPACE

from .conftest import sample
from .outbound_support import assert_outbound_shape, schema_problems

NS = {"n": NAMESPACE}
NOW = datetime(2026, 2, 3, 15, 0, tzinfo=UTC)
ITEM = AffectedItem(document="RMA7734021", line="line 1", identifier="gtin:00614141000364",
                    serials=("SMX22A0017742",), quantity=Decimal("2"), unit="EA")


def notice_of(name: str) -> RecallNotice:
    notice = read_recall(sample(name)).notice
    assert notice is not None
    return notice


def notification(notice: RecallNotice, *items: AffectedItem) -> RecallNotification:
    return RecallNotification("N-000000007", NOW, "northwind", notice, items or (ITEM,),
                              respond_by=date(2026, 3, 1))


@pytest.mark.parametrize("name", ["valid-food-class1-gtin-lots.xml",
                                  "valid-consumer-upc-serials.xml",
                                  "valid-stand-mixer-serials.xml",
                                  "cpsc-recall-18143-escaped.xml"])
def test_every_accepted_sample_notice_makes_a_valid_notification(name: str) -> None:
    data = build_recall_notification(notification(notice_of(name)))
    assert_outbound_shape(data, NOTIFICATION_SCHEMA)


def test_the_notice_is_carried_with_actions_deadlines_and_ranges() -> None:
    root = etree.fromstring(build_recall_notification(notification(
        notice_of("valid-food-class1-gtin-lots.xml"))))
    notice = root.find("n:Notice", NS)
    assert notice is not None
    assert notice.findtext("n:NoticeId", namespaces=NS) == "RN-2024-0117"
    assert notice.findtext("n:Classification", namespaces=NS) == "CLASS_I"
    actions = [(a.get("type"), a.get("deadline"), a.get("returnTo"))
               for a in notice.findall("n:RequiredAction", NS)]
    assert actions == [("stop-sale", "2024-03-08", None), ("return", "2024-03-22",
                                                           "0614141000012"),
                       ("notify-consumers", None, None)]
    bars, chocolate = notice.findall("n:Product", NS)
    assert [i.text for i in bars.findall("n:ItemId", NS)] == ["00614141000012", "HC-HO-6"]
    assert [lot.text for lot in bars.findall("n:Lot", NS)] == ["L24031A", "L24031B", "L24032A"]
    lot_range = chocolate.find("n:LotRange", NS)
    assert lot_range is not None and (lot_range.get("from"), lot_range.get("to")) == (
        "L24030A", "L24030F")


def test_cpsc_remedies_are_carried() -> None:
    root = etree.fromstring(build_recall_notification(notification(
        notice_of("cpsc-recall-18143-escaped.xml"))))
    remedies = root.findall("n:Notice/n:Remedy", NS)
    assert len(remedies) == 1 and "free replacement beater stick" in (remedies[0].text or "")


def test_the_affected_items_are_this_recipients() -> None:
    lot_item = AffectedItem("BSN-0042", "HL 4", "ndc:0002-1433-80", lots=("L1",),
                            quantity=Decimal("12"))
    root = etree.fromstring(build_recall_notification(notification(
        notice_of("valid-stand-mixer-serials.xml"), ITEM, lot_item, AffectedItem("RMA-9"))))
    first, second, bare = root.findall("n:AffectedItem", NS)
    assert first.findtext("n:Document", namespaces=NS) == "RMA7734021"
    assert first.findtext("n:Line", namespaces=NS) == "line 1"
    item_id = first.find("n:ItemId", NS)
    assert item_id is not None and (item_id.get("scheme"), item_id.text) == (
        "gtin", "00614141000364")
    assert first.findtext("n:Serial", namespaces=NS) == "SMX22A0017742"
    second_id = second.find("n:ItemId", NS)
    assert second_id is not None and (second_id.get("scheme"), second_id.text) == (
        "ndc", "0002-1433-80")
    quantity = second.find("n:Quantity", NS)
    assert quantity is not None and quantity.get("uom") is None  # unit not known: not guessed
    assert [child.tag for child in bare] == [f"{{{NAMESPACE}}}Document"]


def test_an_identifier_without_a_known_scheme_is_kept_whole() -> None:
    root = etree.fromstring(build_recall_notification(notification(
        notice_of("valid-stand-mixer-serials.xml"), replace(ITEM, identifier="AB:12"))))
    item_id = root.find("n:AffectedItem/n:ItemId", NS)
    assert item_id is not None and (item_id.get("scheme"), item_id.text) == ("other", "AB:12")


def test_how_to_answer_quotes_the_notification() -> None:
    root = etree.fromstring(build_recall_notification(notification(
        notice_of("valid-stand-mixer-serials.xml"))))
    respond = root.find("n:Respond", NS)
    assert respond is not None
    assert respond.get("format") == RESPONSE_NAMESPACE
    assert respond.get("schema") == "recall-response-1.0.xsd"
    assert (respond.get("notificationId"), respond.get("noticeId")) == ("N-000000007", "26-031")
    assert respond.get("respondBy") == "2026-03-01"
    assert "N-000000007" in (respond.text or "") and "2026-03-01" in (respond.text or "")


def test_a_respond_that_quotes_another_notification_is_invalid() -> None:
    data = build_recall_notification(notification(notice_of("valid-stand-mixer-serials.xml")))
    tampered = data.replace(b'notificationId="N-000000007"', b'notificationId="N-1"')
    [problem] = schema_problems(tampered, NOTIFICATION_SCHEMA)
    assert "RespondQuotesTheNotification" in problem


def test_every_model_code_is_a_valid_notification() -> None:
    product = AffectedProduct(name="Widget", item_ids=tuple(
        ItemId(scheme, f"V{position}") for position, scheme in enumerate(ItemIdScheme)))
    notice = RecallNotice(
        notice_id="X-1",
        parties=tuple(Party(role=role) for role in PartyRole),
        products=(product,),
        actions=tuple(RequiredAction(action) for action in RequiredActionType),
    )
    for status in RecallStatus:
        for version_status in NoticeVersionStatus:
            data = build_recall_notification(notification(replace(
                notice, status=status, version_status=version_status)))
            assert schema_problems(data, NOTIFICATION_SCHEMA) == []


def test_a_bare_notice_is_enough() -> None:
    data = build_recall_notification(notification(RecallNotice(notice_id="X-1")))
    assert schema_problems(data, NOTIFICATION_SCHEMA) == []


def test_links_other_than_web_links_are_not_passed_on() -> None:
    notice = replace(notice_of("valid-stand-mixer-serials.xml"), links=(
        Reference("source", "https://example.com/r"), Reference("image", "file:///etc/passwd"),
        Reference("image", "javascript:alert(1)")))
    data = build_recall_notification(notification(notice))
    assert b"https://example.com/r" in data
    assert b"file:" not in data and b"javascript:" not in data


@pytest.mark.parametrize(("change", "message"), [
    ({"items": ()}, "at least one matched item"),
    ({"created_at": datetime(2026, 2, 3)}, "created_at must be timezone-aware"),
    ({"notification_id": "N/1"}, "NotificationId"),
    ({"recipient": ""}, "Recipient"),
])
def test_a_notification_that_cannot_be_valid_is_our_bug(change: dict[str, object],
                                                        message: str) -> None:
    base = notification(notice_of("valid-stand-mixer-serials.xml"))
    with pytest.raises(ValueError, match=message):
        build_recall_notification(replace(base, **change))  # type: ignore[arg-type]
