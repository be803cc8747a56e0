"""Stored documents read back once: kept while small, a large one only for one file's follow-ups."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.app import cases
from gateway.app.cases import document_from_json, documents_kept_for_a_file
from gateway.app.ports import StoredDocument
from gateway.model import ReturnShipment

CANONICAL = Path(__file__).resolve().parents[2] / "samples" / "canonical"


def stored(body: str, number: int = 1, kind: str = "return-shipment") -> StoredDocument:
    return StoredDocument(number, 1, "northwind", kind, "ASN1", body,
                          datetime(2026, 12, 3, tzinfo=UTC))


def asn_body(levels: int = 0) -> str:
    """The sample ASN's canonical JSON; with ``levels``, its first HL level repeated (large)."""
    body = json.loads((CANONICAL / "856-pick-pack-004010.json").read_text())[0]
    if levels:
        body["hierarchy"] = [body["hierarchy"][0]] * levels
    return json.dumps(body)


def test_a_small_document_is_typed_once_and_the_same_answer_is_given_again() -> None:
    document = stored(asn_body(), number=9001)
    first = document_from_json(document)
    assert isinstance(first, ReturnShipment)
    assert document_from_json(stored(asn_body(), number=9001)) is first  # same id and body
    other = document_from_json(stored(asn_body(), number=9002))
    assert other is not first and other == first  # another id: read on its own


def test_a_large_document_is_kept_only_for_one_files_follow_ups(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cases, "_READ_BACK_LARGEST", 1000)  # so the sample counts as large
    document = stored(asn_body(levels=20), number=9003)
    assert len(document.body) > 1000
    outside = document_from_json(document)
    assert document_from_json(document) is not outside  # not kept outside a file's follow-ups
    with documents_kept_for_a_file():
        inside = document_from_json(document)
        assert document_from_json(document) is inside
        newer = stored(asn_body(levels=21), number=9004)
        assert document_from_json(newer) is not inside
        assert document_from_json(document) is not inside  # only the last large one is kept
    assert document_from_json(document) is not inside


def test_small_documents_are_kept_within_a_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    body = asn_body()
    monkeypatch.setattr(cases, "_READ_BACK_BUDGET", 3 * len(body))
    documents = [stored(body, number=9100 + n) for n in range(6)]
    first = [document_from_json(d) for d in documents]
    # the three read last are kept, the older ones were let go (asked newest first: asking
    # for an old one again reads it and lets another go)
    again = [document_from_json(d) is f for d, f in zip(documents[::-1], first[::-1],
                                                         strict=True)]
    assert again == [True, True, True, False, False, False]
