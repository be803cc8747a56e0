"""Return cases and their lines as rows, for `gateway export cases|lines`.

Cases are derived from their documents (`gateway.app.cases`), so there is no table to stream:
each return request, as the store streams them, picks its case; a case is written the first
time one of its requests picks it (only its id is remembered), so memory grows with the number
of case ids, never with their documents, and each case is read from the store once per request
it holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

from gateway.app.cases import CaseView, cases_for
from gateway.app.ports import DocumentReader, StoredDocument
from gateway.domain.correlation import KeyKind
from gateway.domain.return_case import CaseLine, ReturnCase

CASE_COLUMNS = ("case_id", "state", "decision", "opened_at", "rma", "requests",
                "purchase_orders", "shipments", "partners", "lines", "on_recall_hold",
                "open_exceptions")
LINE_COLUMNS = ("case_id", "rma", "line_number", "item_ids", "quantity", "unit",
                "description", "request_reason", "disposition", "response_reason", "serials",
                "lots", "case_state", "on_recall_hold", "recall_notices")


class CaseSource(DocumentReader, Protocol):
    def each_document(self, *, since: datetime | None = None,
                      partner: str | None = None) -> Iterator[StoredDocument]: ...


def each_case(store: CaseSource, *, since: datetime | None = None,
              partner: str | None = None) -> Iterator[tuple[ReturnCase, set[str]]]:
    """Every return case with a request stored ``since`` (from ``partner``), each once, with
    the partners of its documents."""
    for case, view in each_case_view(store, since=since, partner=partner):
        yield case, {d.partner for d in view.documents if d.direction == "in"}


def each_case_view(store: CaseSource, *, since: datetime | None = None,
                   partner: str | None = None) -> Iterator[tuple[ReturnCase, CaseView]]:
    """Every return case with a request stored ``since`` (from ``partner``), each once, with
    the view it was read in (its documents)."""
    seen: set[str] = set()
    for stored in store.each_document(since=since, partner=partner):
        if stored.kind != "return-authorization" or stored.direction != "in":
            continue
        view = cases_for(store, stored.reference)
        for case in view.cases:
            if case.case_id not in seen:
                seen.add(case.case_id)
                yield case, view


def case_row(case: ReturnCase, partners: set[str]) -> dict[str, Any]:
    return {
        "case_id": case.case_id, "state": case.state.value,
        "decision": case.decision.value if case.decision else None,
        "opened_at": case.opened_at.isoformat(), "rma": _rma(case),
        "requests": _values(case, KeyKind.REQUEST_ID),
        "purchase_orders": _values(case, KeyKind.PURCHASE_ORDER),
        "shipments": _values(case, KeyKind.SHIPMENT_ID), "partners": sorted(partners),
        "lines": len(case.lines), "on_recall_hold": case.on_recall_hold,
        "open_exceptions": len(case.open_exceptions)}


def line_rows(case: ReturnCase) -> Iterator[dict[str, Any]]:
    for case_line in case.lines:
        yield _line_row(case, case_line)


def _line_row(case: ReturnCase, case_line: CaseLine) -> dict[str, Any]:
    line, reasons = case_line.line, case_line.line.reasons
    return {
        "case_id": case.case_id, "rma": _rma(case), "line_number": line.line_number,
        "item_ids": [f"{i.scheme.value}:{i.value}" for i in line.item_ids],
        "quantity": str(line.quantity.value) if line.quantity else None,
        "unit": line.quantity.unit if line.quantity else None,
        "description": line.description,
        "request_reason": _value(reasons.request_reason) if reasons else None,
        "disposition": _value(reasons.disposition) if reasons else None,
        "response_reason": _value(reasons.response_reason) if reasons else None,
        "serials": list(line.serials), "lots": list(line.lots),
        "case_state": case.state.value, "on_recall_hold": case_line.on_hold,
        "recall_notices": sorted({hold.notice_id for hold in case_line.holds})}


def _rma(case: ReturnCase) -> str | None:
    found = _values(case, KeyKind.RMA)
    return found[0] if found else None


def _values(case: ReturnCase, kind: KeyKind) -> list[str]:
    return sorted(key.value for key in case.keys if key.kind is kind)


def _value(code: object) -> str | None:
    return None if code is None else str(getattr(code, "value", code))
