"""Recall response 1.0: written by the partner, read by us without ever raising."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.recall import (
    LocationCount,
    RecallResponse,
    RecallResponseResult,
    ResponseStatus,
    Severity,
    build_recall_response,
    read_recall_response,
)
from gateway.recall.response import RESPONSE_SCHEMA

from .conftest import sample
from .outbound_support import assert_outbound_shape, schema_problems
from .test_hostile import passwd_marker

RESPONSE = RecallResponse(
    notification_id="N-000000007",
    notice_id="26-031",
    responder="northwind",
    responded_at=datetime(2026, 2, 4, 10, 15, 30, 250000,
                          tzinfo=timezone(timedelta(hours=-5))),
    status=ResponseStatus.ACTING,
    units_found=Decimal("14"),
    units_returned=Decimal("9.5"),
    counts=(LocationCount(Decimal("10"), location="DC-EAST", units_returned=Decimal("9.5")),
            LocationCount(Decimal("4"), lot="SMX22A", location="STORE-17")),
    note="Stopped sale; returning units from the east DC this week.",
)
MINIMAL = RecallResponse("N-1", "26-031", "northwind", datetime(2026, 2, 4, tzinfo=UTC),
                         ResponseStatus.NOT_AFFECTED)


def read(data: bytes, **options: int) -> RecallResponseResult:
    started = time.monotonic()
    result = read_recall_response(data, **options)
    assert time.monotonic() - started < 10, "no input may keep the reader busy"
    assert not any(problem.code == "internal.error" for problem in result.errors)
    return result


def codes(result: RecallResponseResult) -> list[str]:
    return [problem.code for problem in result.errors]


def located(result: RecallResponseResult) -> list[tuple[str, int | None, str | None]]:
    return [(problem.code, problem.line, problem.path) for problem in result.errors]


# --- writing and reading back -------------------------------------------------------------------
@pytest.mark.parametrize("response", [RESPONSE, MINIMAL], ids=["full", "minimal"])
def test_written_responses_are_valid_and_read_back_equal(response: RecallResponse) -> None:
    data = build_recall_response(response)
    assert_outbound_shape(data, RESPONSE_SCHEMA)
    result = read(data)
    assert result.accepted and result.errors == ()
    assert result.response == response
    assert result.declared_notification_id == response.notification_id


@pytest.mark.parametrize("status", list(ResponseStatus))
def test_every_status_round_trips(status: ResponseStatus) -> None:
    result = read(build_recall_response(replace(MINIMAL, status=status)))
    assert result.response is not None and result.response.status is status


@pytest.mark.parametrize(("change", "message"), [
    ({"responded_at": datetime(2026, 2, 4)}, "responded_at must be timezone-aware"),
    ({"units_found": Decimal("-1")}, "UnitsFound"),
    ({"units_found": Decimal("0.0001")}, "UnitsFound"),
    ({"counts": (LocationCount(Decimal(1)),)}, "location or a lot"),
    ({"notification_id": "N 1"}, "NotificationId"),
])
def test_a_response_that_cannot_be_valid_is_refused(change: dict[str, object],
                                                     message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_recall_response(replace(RESPONSE, **change))  # type: ignore[arg-type]


def test_a_partners_own_spelling_is_read() -> None:
    data = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!-- written by hand -->
<r:RecallResponse xmlns:r="urn:returns-gateway:recall-response:1" schemaVersion="1.0">
  <r:NotificationId> N-7 </r:NotificationId>
  <r:NoticeId>26-031</r:NoticeId>
  <r:Responder>Northwind   Traders</r:Responder>
  <r:RespondedAt>2026-02-04T10:15:00Z</r:RespondedAt>
  <r:Status> complete </r:Status>
  <r:UnitsFound>+3.50</r:UnitsFound>
  <r:Note>Caf\xe9 stock returned.</r:Note>
</r:RecallResponse>"""
    result = read(data)
    assert result.accepted, result.errors
    assert result.response == RecallResponse(
        "N-7", "26-031", "Northwind Traders", datetime(2026, 2, 4, 10, 15, tzinfo=UTC),
        ResponseStatus.COMPLETE, units_found=Decimal("3.50"), note="Café stock returned.")


# --- what the schema cannot say -------------------------------------------------------------------
def valid_text() -> str:
    return build_recall_response(RESPONSE).decode("utf-8")


def test_a_count_must_say_where_or_which_lot() -> None:
    data = valid_text().replace('location="DC-EAST" ', "")
    result = read(data.encode())
    assert not result.accepted and result.response is None
    assert located(result) == [("response.count-unplaced", 10, "/RecallResponse/Count[1]")]
    assert result.declared_notification_id == "N-000000007"


def test_an_xml_moment_python_cannot_hold_is_located() -> None:
    data = valid_text().replace("2026-02-04T10:15:30.250000-05:00", "2026-02-04T24:00:00Z")
    result = read(data.encode())
    assert located(result) == [("response.datetime", 6, "/RecallResponse/RespondedAt[1]")]


def test_returning_more_than_was_found_is_only_a_warning() -> None:
    result = read(build_recall_response(replace(RESPONSE, units_returned=Decimal(20))))
    assert result.accepted
    assert [(p.code, p.severity, p.line) for p in result.errors] == [
        ("response.units-exceed-found", Severity.WARNING, 9)]


# --- missing and wrong fields, located ---------------------------------------------------------
def test_a_missing_field_is_located() -> None:
    data = valid_text().replace("  <Responder>northwind</Responder>\n", "")
    result = read(data.encode())
    assert not result.accepted
    [problem] = result.errors
    assert (problem.code, problem.line, problem.path) == (
        "schema.invalid", 5, "/RecallResponse/RespondedAt[1]")
    assert "Expected is ( Responder )" in problem.message
    assert "{urn:" not in problem.message  # namespace URIs are noise to a reader


def test_every_wrong_field_is_reported_at_once() -> None:
    data = (valid_text().replace("<Status>acting</Status>", "<Status>maybe</Status>")
            .replace("<UnitsFound>14</UnitsFound>", "<UnitsFound>lots</UnitsFound>")
            .replace('found="4"', 'found="-4"'))
    result = read(data.encode())
    assert [(code, line) for code, line, _ in located(result)] == [
        ("schema.invalid", 7), ("schema.invalid", 8), ("schema.invalid", 11)]
    assert located(result)[2][2] == "/RecallResponse/Count[2]"


def test_a_naive_moment_is_refused() -> None:
    data = valid_text().replace("10:15:30.250000-05:00", "10:15:30")
    assert codes(read(data.encode())) == ["schema.invalid"]


def test_the_error_report_is_capped() -> None:
    counts = '<Count location="A" found="x" returned="y"/>\n' * 1500
    data = valid_text().replace("<Note>", counts + "<Note>")
    result = read(data.encode())
    assert len(result.errors) == 1001
    assert result.errors[-1].code == "report.truncated"


# --- not a response at all ----------------------------------------------------------------------
@pytest.mark.parametrize(("data", "code"), [
    (b"", "xml.empty"),
    (b"\x00\xff" * 500, "xml.not-well-formed"),
    (b"RecallResponse, N-1, complete", "xml.not-well-formed"),
    (b"<RecallResponse", "xml.not-well-formed"),
    (b"<a>&xxe;</a>", "xml.not-well-formed"),
    (b'<RecallResponse schemaVersion="1.0"/>', "response.not-a-response"),  # no namespace
    (b'<RecallNotification xmlns="urn:returns-gateway:recall-response:1"/>',
     "response.not-a-response"),
    (b'<RecallResponse xmlns="urn:returns-gateway:recall-response:2"/>',
     "response.not-a-response"),
])
def test_odd_input_is_answered(data: bytes, code: str) -> None:
    result = read(data)
    assert result.response is None and not result.accepted
    assert codes(result)[0] == code


def test_a_recall_notice_is_not_a_response() -> None:
    result = read(sample("valid-stand-mixer-serials.xml"))
    assert located(result) == [("response.not-a-response", 4, "/RecallNotice")]
    assert "urn:returns-gateway:recall-response:1" in result.errors[0].message


def test_too_large_is_refused_unread() -> None:
    data = build_recall_response(RESPONSE)
    assert codes(read(data, max_bytes=len(data) - 1)) == ["xml.too-large"]
    assert read(data, max_bytes=len(data)).accepted
    assert codes(read(b"<a>" + b" " * (10 * 1024 * 1024 - 6) + b"</a>")) == ["xml.too-large"]


@pytest.mark.parametrize("name", ["hostile-billion-laughs.xml", "hostile-external-entity.xml",
                                  "hostile-external-dtd.xml"])
def test_a_doctype_is_refused_and_nothing_leaks(name: str) -> None:
    marker = passwd_marker()
    result = read(sample(name))
    assert [(p.code, p.line) for p in result.errors] == [("xml.doctype-forbidden", 2)]
    assert marker not in repr(result)


def test_an_entity_bomb_dressed_as_a_response_is_refused() -> None:
    bomb = valid_text().replace(
        "<?xml version='1.0' encoding='UTF-8'?>\n",
        "<?xml version='1.0' encoding='UTF-8'?>\n<!DOCTYPE r [<!ENTITY a 'aaaaaaaaaa'>"
        "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'><!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;'>]>\n"
    ).replace("Stopped sale", "&c;")
    result = read(bomb.encode())
    assert [(p.code, p.line) for p in result.errors] == [("xml.doctype-forbidden", 2)]


def test_xinclude_is_refused() -> None:
    data = valid_text().replace(
        "<Note>", '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
                  'href="file:///etc/passwd" parse="text"/><Note>')
    assert "xml.xinclude-forbidden" in codes(read(data.encode()))


@given(st.binary(max_size=2_000))
def test_random_bytes_never_raise(data: bytes) -> None:
    read(data)


@given(st.integers(min_value=0, max_value=700), st.binary(min_size=1, max_size=8))
def test_damaged_responses_never_raise(position: int, junk: bytes) -> None:
    data = build_recall_response(RESPONSE)
    result = read(data[:position] + junk + data[position + len(junk):])
    assert result.accepted or result.errors


def test_the_schema_file_itself_accepts_what_we_read() -> None:
    assert schema_problems(build_recall_response(RESPONSE), RESPONSE_SCHEMA) == []
