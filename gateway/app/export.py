"""Exports: events, documents, return cases and lines as JSON lines or CSV, streamed.

One writer for `gateway export` and the API's downloads: rows are read from the store in
batches and each is turned into text as it comes, so a million rows take the memory of one.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from gateway.app.case_export import CASE_COLUMNS, LINE_COLUMNS, case_row, each_case, line_rows
from gateway.app.events import StoredEvent
from gateway.app.ports import DocumentReader, StoredDocument
from gateway.text_safety import json_printable

EVENT_COLUMNS = ("cursor", "id", "type", "occurred_at", "partner", "keys", "file_id",
                 "document_id", "data")
DOCUMENT_COLUMNS = ("id", "partner", "direction", "kind", "reference", "created_at", "file_id",
                    "body")
# A spreadsheet runs a cell starting with one of these as a formula: partner text must not.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportKind(StrEnum):
    EVENTS = "events"
    DOCUMENTS = "documents"
    CASES = "cases"
    LINES = "lines"


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


class ExportSource(DocumentReader, Protocol):
    def each_event(self, *, since: datetime | None = None, types: Iterable[str] = (),
                   partners: Iterable[str] = ()) -> Iterator[StoredEvent]: ...

    def each_document(self, *, since: datetime | None = None,
                      partner: str | None = None) -> Iterator[StoredDocument]: ...


@dataclass(frozen=True, slots=True)
class ExportRequest:
    kind: ExportKind
    since: datetime | None = None
    partner: str | None = None
    types: tuple[str, ...] = ()  # events only


def export_rows(store: ExportSource, request: ExportRequest
                ) -> tuple[tuple[str, ...], Iterator[dict[str, Any]]]:
    """The columns and the rows (lazily) of what ``request`` asks for, oldest first."""
    since, partner = request.since, request.partner
    if request.kind is ExportKind.EVENTS:
        return EVENT_COLUMNS, (e.envelope() for e in store.each_event(
            since=since, types=request.types, partners=[partner] if partner else ()))
    if request.kind is ExportKind.DOCUMENTS:
        return DOCUMENT_COLUMNS, (document_row(d) for d in store.each_document(
            since=since, partner=partner))
    cases = each_case(store, since=since, partner=partner)
    if request.kind is ExportKind.CASES:
        return CASE_COLUMNS, (case_row(case, partners) for case, partners in cases)
    return LINE_COLUMNS, (row for case, _partners in cases for row in line_rows(case))


def export_text(rows: Iterable[dict[str, Any]], form: ExportFormat,
                columns: tuple[str, ...]) -> Iterator[str]:
    """Each row as one line of text (the CSV header first)."""
    if form is ExportFormat.CSV:
        yield _csv_line(columns)
        for row in rows:
            yield _csv_line([csv_cell(row[column]) for column in columns])
        return
    for row in rows:
        yield from _json_row(row)


def _json_row(row: dict[str, Any]) -> Iterator[str]:
    """A row as one JSON line; the body of a document kept in parts is written a part at a
    time (its stored JSON, ASCII with everything else escaped), never held whole."""
    body = row.get("body")
    if not isinstance(body, PartedBody):
        yield json_line(row) + "\n"
        return
    head = json_line({name: value for name, value in row.items() if name != "body"})
    yield head[:-1] + ',"body":'
    yield from body.document.json_chunks()
    yield "}\n"


@dataclass(frozen=True, slots=True)
class PartedBody:
    """The body of a document kept in parts, in a row: read as the row is written."""

    document: StoredDocument


def document_row(document: StoredDocument) -> dict[str, Any]:
    """A document as an export row; its body last (a body kept in parts is streamed)."""
    body = PartedBody(document) if document.parts else json.loads(document.body)
    return {"id": document.id, "partner": document.partner, "direction": document.direction,
            "kind": document.kind, "reference": document.reference,
            "created_at": document.created_at.isoformat(), "file_id": document.file_id,
            "body": body}


def csv_cell(value: object) -> str:
    """A CSV cell: nested values as compact JSON, text that a spreadsheet would run as a
    formula behind an apostrophe, no value at all as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, PartedBody):  # one cell holds the whole document
        value = json.loads(value.document.json_text())
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def json_line(value: object) -> str:
    """One JSON value on one line, nothing in it a terminal would act on."""
    return json_printable(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def _csv_line(cells: Iterable[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()
