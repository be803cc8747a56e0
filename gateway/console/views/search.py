"""Search across return cases and documents by what a person has in hand: RMA, PO, shipment /
BOL / PRO, GTIN or UPC, serial, lot, partner, state and dates; a page at a time, and the
whole result as CSV.

The same searches as the JSON API (`gateway.app.search`): a case must satisfy every filter as
a case; a page looks at a bounded number of documents, so it may hold fewer rows than asked
while there are more ("Next page").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from typing import Any

from flask import Blueprint, Response, render_template, request

from gateway.app.case_export import CASE_COLUMNS, case_row
from gateway.app.export import DOCUMENT_COLUMNS, document_row
from gateway.app.ports import DocumentQuery
from gateway.app.search import CaseQuery, search_cases
from gateway.model.states import CaseState

from ..context import console
from ..params import row_number_arg, sorted_page, text_arg
from ..present import csv_download

blueprint = Blueprint("search", __name__)
PAGE_SIZE = 50
CSV_MAX = 10_000  # rows in one download
MAX_TEXT = 80
KINDS = ("return-authorization", "return-shipment", "shipment-status", "receiving-advice",
         "recall-notice")
_TEXT_FILTERS = ("rma", "po", "shipment", "gtin", "serial", "lot", "partner")


def _sort_key(column: str) -> Callable[[dict[str, Any]], tuple[int, int, str]]:
    """Numbers as numbers (10 lines after 2), everything else as text."""
    def key(row: dict[str, Any]) -> tuple[int, int, str]:
        value = row.get(column)
        return (0, value, "") if isinstance(value, int) else (1, 0, str(value or ""))
    return key


# The columns a page of results sorts by.
SORTS = {"cases": {c: _sort_key(c) for c in ("rma", "state", "opened_at", "lines")},
         "documents": {c: _sort_key(c) for c in ("kind", "reference", "partner",
                                                   "created_at")}}


@blueprint.route("/search")
def index() -> str:
    what = "documents" if request.args.get("what") == "documents" else "cases"
    filters = _filters()
    after = row_number_arg("after") or 0
    if not any(filters.values()):
        return render_template("search.html", what=what, filters=filters, rows=None,
                               next_after=None, states=[s.value for s in CaseState],
                               kinds=KINDS)
    rows, next_after = (_cases if what == "cases" else _documents)(filters, after)
    return render_template("search.html", what=what, filters=filters,
                           rows=sorted_page(rows, SORTS[what]), next_after=next_after,
                           states=[s.value for s in CaseState], kinds=KINDS)


@blueprint.route("/search.csv")
def download() -> Response:
    what = "documents" if request.args.get("what") == "documents" else "cases"
    filters = _filters()
    rows = _every(what, filters) if any(filters.values()) else iter(())
    columns = DOCUMENT_COLUMNS if what == "documents" else CASE_COLUMNS
    return csv_download(rows, columns, f"{what}.csv")


def _filters() -> dict[str, Any]:
    found: dict[str, Any] = {name: text_arg(name, MAX_TEXT) for name in _TEXT_FILTERS}
    state = text_arg("state", 32)
    found["state"] = state if state in {s.value for s in CaseState} else None
    kind = text_arg("kind", 32)
    found["kind"] = kind if kind in KINDS else None
    found["from"], found["to"] = _day("from"), _day("to")
    return found


def _case_query(filters: dict[str, Any]) -> CaseQuery:
    return CaseQuery(
        rma=filters["rma"], purchase_order=filters["po"], shipment=filters["shipment"],
        gtin=filters["gtin"], serial=filters["serial"], lot=filters["lot"],
        partner=filters["partner"],
        state=CaseState(filters["state"]) if filters["state"] else None,
        opened_from=_moment(filters["from"]), opened_to=_moment(filters["to"]))


def _document_query(filters: dict[str, Any]) -> DocumentQuery:
    key = filters["rma"] or filters["po"] or filters["shipment"]
    return DocumentQuery(
        kinds=(filters["kind"],) if filters["kind"] else (), partner=filters["partner"],
        key=key, gtin=filters["gtin"], serial=filters["serial"], lot=filters["lot"],
        received_from=_moment(filters["from"]), received_to=_moment(filters["to"]))


def _cases(filters: dict[str, Any], after: int) -> tuple[list[dict[str, Any]], int | None]:
    page = search_cases(console().store, _case_query(filters), after=after, limit=PAGE_SIZE)
    return [case_row(hit.case, set(hit.partners)) for hit in page.hits], page.next_after


def _documents(filters: dict[str, Any], after: int
               ) -> tuple[list[dict[str, Any]], int | None]:
    found = console().store.documents_matching(_document_query(filters), after=after,
                                               limit=PAGE_SIZE)
    rows = [{**document_row(d), "body": None} for d in found]
    return rows, found[-1].id if len(found) == PAGE_SIZE else None


def _every(what: str, filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every row of the search, page after page, at most CSV_MAX."""
    after: int | None = 0
    sent = 0
    while after is not None and sent < CSV_MAX:
        if what == "cases":
            page = search_cases(console().store, _case_query(filters), after=after,
                                limit=PAGE_SIZE)
            rows, after = [case_row(h.case, set(h.partners)) for h in page.hits], \
                page.next_after
        else:
            found = console().store.documents_matching(_document_query(filters),
                                                       after=after, limit=PAGE_SIZE)
            rows = [document_row(d) for d in found]
            after = found[-1].id if len(found) == PAGE_SIZE else None
        yield from rows[:CSV_MAX - sent]
        sent += len(rows)


def _day(name: str) -> date | None:
    text = text_arg(name, 10)
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _moment(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), tzinfo=UTC) if day else None

