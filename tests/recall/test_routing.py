"""xml_document_kind: which reader a file is for, by its root alone, and nothing guessed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.recall import (
    RecallResponse,
    ResponseStatus,
    build_recall_response,
    read_recall,
    xml_document_kind,
)

from .conftest import SAMPLES, sample

RESPONSE = build_recall_response(RecallResponse(
    "N-1", "26-031", "northwind", datetime(2026, 2, 4, tzinfo=UTC), ResponseStatus.RECEIVED))


@pytest.mark.parametrize("name", ["valid-food-class1-gtin-lots.xml",
                                  "valid-consumer-upc-serials.xml",
                                  "valid-stand-mixer-serials.xml",
                                  "cpsc-recall-18143-escaped.xml",
                                  "invalid-gtin-check-digit.xml",
                                  "invalid-schema-several-errors.xml"])
def test_recall_notices_go_to_read_recall(name: str) -> None:
    assert xml_document_kind(sample(name)) == "recall-notice"


def test_a_response_goes_to_its_reader() -> None:
    assert xml_document_kind(RESPONSE) == "recall-response"
    # Any root in the namespace: the response reader names the root it expects.
    assert xml_document_kind(
        b'<Other xmlns="urn:returns-gateway:recall-response:1"/>') == "recall-response"


@pytest.mark.parametrize("data", [
    b"", b"not xml", b"<RecallResponse", b"<html/>",
    b'<RecallResponse xmlns="urn:returns-gateway:recall-response:2"/>',
    b'<RecallResponse schemaVersion="1.0"/>',
])
def test_anything_else_is_unknown(data: bytes) -> None:
    assert xml_document_kind(data) == "unknown"


@pytest.mark.parametrize("name", ["hostile-billion-laughs.xml", "hostile-external-entity.xml",
                                  "hostile-external-dtd.xml", "hostile-xinclude.xml"])
def test_refused_files_are_unknown_and_read_recall_still_reports_them(name: str) -> None:
    assert xml_document_kind(sample(name)) == "unknown"
    assert not read_recall(sample(name)).accepted


def test_a_doctype_on_a_response_is_unknown() -> None:
    data = RESPONSE.replace(b"?>\n", b"?>\n<!DOCTYPE r [<!ENTITY x 'x'>]>\n", 1)
    assert xml_document_kind(data) == "unknown"


def test_too_large_is_unknown_unread() -> None:
    assert xml_document_kind(RESPONSE, max_bytes=len(RESPONSE) - 1) == "unknown"


def test_every_sample_that_is_not_a_response_keeps_going_to_read_recall() -> None:
    # Callers send all but "recall-response" to read_recall, so nothing here changes its answer.
    assert all(xml_document_kind(path.read_bytes()) != "recall-response"
               for path in SAMPLES.glob("*.xml"))


@given(st.binary(max_size=1_000))
def test_random_bytes_never_raise(data: bytes) -> None:
    assert xml_document_kind(data) in ("recall-notice", "recall-response", "unknown")
