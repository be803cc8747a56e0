"""Return status 1.0: what a partner is told when its return case moves."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree

from gateway.model.states import CaseState
from gateway.recall import (
    LineItemId,
    RecallHoldRef,
    StatusLine,
    StatusUpdate,
    build_status_document,
)
from gateway.recall.status import NAMESPACE, REFERENCE_KINDS, REPORTED_STATES, STATUS_SCHEMA

from .outbound_support import assert_outbound_shape, schema_problems

NS = {"s": NAMESPACE}
CHICAGO = timezone(timedelta(hours=-6))
UPDATE = StatusUpdate(
    document_id="S-000000042",
    created_at=datetime(2026, 2, 3, 15, 0, tzinfo=UTC),
    state="partially-authorized",
    at=datetime(2026, 2, 3, 8, 45, tzinfo=CHICAGO),
    note="Line 1 is authorized for return; line 2 is on recall hold (notice 26-031).",
    references=(("request", "REQ-88123"), ("rma", "RMA7734021"), ("purchase-order", "PO-5521")),
    lines=(StatusLine(1, (LineItemId("upc", "614141000364"),), Decimal("2"), "EA",
                      "return-with-authorization"),
           StatusLine(2, quantity=Decimal("1.5"), unit="CA")),
    holds=(RecallHoldRef("26-031", line_number=2), RecallHoldRef("26-031", shipment_item="4")),
)


def parsed(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def test_a_full_update_is_valid_utf8_xml() -> None:
    assert_outbound_shape(build_status_document(UPDATE), STATUS_SCHEMA)


def test_the_document_says_what_the_update_says() -> None:
    root = parsed(build_status_document(UPDATE))
    assert root.tag == f"{{{NAMESPACE}}}ReturnStatusUpdate"
    assert root.findtext("s:DocumentId", namespaces=NS) == "S-000000042"
    assert root.findtext("s:CreatedAt", namespaces=NS) == "2026-02-03T15:00:00+00:00"
    assert root.findtext("s:OccurredAt", namespaces=NS) == "2026-02-03T08:45:00-06:00"
    assert root.findtext("s:Status", namespaces=NS) == "partially-authorized"
    # References in a fixed order (RMA first), whatever order the caller gave.
    assert [(r.get("type"), r.text) for r in root.findall("s:Reference", NS)] == [
        ("rma", "RMA7734021"), ("request", "REQ-88123"), ("purchase-order", "PO-5521")]
    first, second = root.findall("s:Line", NS)
    assert first.get("number") == "1"
    assert first.findtext("s:ItemId", namespaces=NS) == "614141000364"
    assert first.findtext("s:Disposition", namespaces=NS) == "return-with-authorization"
    quantity = second.find("s:Quantity", NS)
    assert quantity is not None and (quantity.text, quantity.get("uom")) == ("1.5", "CA")
    assert [dict(h.attrib) for h in root.findall("s:RecallHold", NS)] == [
        {"noticeId": "26-031", "line": "2"}, {"noticeId": "26-031", "shipmentItem": "4"}]


def test_a_minimal_update_is_valid() -> None:
    minimal = StatusUpdate("S-1", UPDATE.created_at, "closed", UPDATE.at, "Closed.",
                           (("pro", "PRO123"),))
    assert schema_problems(build_status_document(minimal), STATUS_SCHEMA) == []


@pytest.mark.parametrize("state", list(REPORTED_STATES))
def test_every_state_is_valid(state: CaseState) -> None:
    data = build_status_document(replace(UPDATE, state=state.value))
    assert schema_problems(data, STATUS_SCHEMA) == []


def test_states_are_the_case_states_partners_hear_about() -> None:
    unreported = {CaseState.REQUESTED, CaseState.PENDING, CaseState.EXCEPTION}
    assert {s.value for s in REPORTED_STATES} == {s.value for s in CaseState} - unreported


@pytest.mark.parametrize("kind", REFERENCE_KINDS)
def test_every_reference_kind_is_valid(kind: str) -> None:
    data = build_status_document(replace(UPDATE, references=((kind, "X-1"),)))
    assert schema_problems(data, STATUS_SCHEMA) == []


def test_equal_updates_give_equal_bytes() -> None:
    shuffled = replace(UPDATE, references=tuple(reversed(UPDATE.references)))
    assert build_status_document(shuffled) == build_status_document(UPDATE)


def test_text_is_escaped_and_unprintable_characters_replaced() -> None:
    data = build_status_document(replace(UPDATE, note="<b>R&D</b> said \x01 ok"))
    assert parsed(data).findtext("s:Note", namespaces=NS) == "<b>R&D</b> said \ufffd ok"
    assert schema_problems(data, STATUS_SCHEMA) == []


def test_huge_quantities_are_written_without_exponent() -> None:
    line = StatusLine(1, quantity=Decimal("1E+3"))
    data = build_status_document(replace(UPDATE, lines=(line,)))
    assert b">1000</Quantity>" in data


@pytest.mark.parametrize(("change", "message"), [
    ({"references": ()}, "at least one case reference"),
    ({"references": (("rma", ""),)}, "at least one case reference"),
    ({"references": (("tracking", "1Z"),)}, "unknown reference kind"),
    ({"references": (("rma", "A"), ("rma", "B"))}, "return-status-1.0.xsd"),
    ({"state": "requested"}, "is not a valid reported case state"),
    ({"created_at": datetime(2026, 2, 3, 15, 0)}, "created_at must be timezone-aware"),
    ({"at": datetime(2026, 2, 3, 15, 0)}, "at must be timezone-aware"),
    ({"document_id": "S 1"}, "DocumentId"),
    ({"note": "   "}, "Note"),
    ({"lines": (StatusLine(0),)}, "number"),
    ({"lines": (StatusLine(1, quantity=Decimal(-1)),)}, "Quantity"),
    ({"lines": (StatusLine(1, quantity=Decimal("NaN")),)}, "not a number"),
])
def test_an_update_that_cannot_be_valid_is_our_bug(change: dict[str, object],
                                                    message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_status_document(replace(UPDATE, **change))  # type: ignore[arg-type]
