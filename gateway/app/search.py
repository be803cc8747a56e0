"""Finding return cases by what a person has in hand: an RMA, a PO, a shipment, BOL, PRO or
tracking number, a GTIN or UPC, a serial or a lot number (the JSON API's case search).

Cases are not stored (`gateway.app.cases`): they are derived from their documents. So a search
walks *seed* documents and derives the cases they belong to:

1. **Seeds** are the stored 180 / 856 / 214 documents that carry the query's most telling
   filter (its anchor: the RMA, else the shipment number, serial, lot, GTIN, PO, partner),
   found through the key and item indexes, by id after the client's cursor. A query with none
   of these (a state or an opening date only) seeds from every such document received in the
   opening range.
2. Each seed's cases are ``cases_for(seed.reference)``, kept only when they hold the seed itself.
3. A case must satisfy **every** filter as a case: its keys, the items of its documents, the
   partners that sent them, its state, when it opened. "Partner odfl and GTIN X" finds the case
   whose 214 came from odfl and whose 180 returns X, though no one document carries both.
4. A case is emitted at its **first seed** only: the lowest id among its documents that the seed
   query picks. Pages follow seed ids, so a case never shows twice, on one page or across pages.
5. Work is bounded: at most ``limit`` cases and ``scan`` seeds per call (a state-only search of a
   big store stops after ``scan`` seeds); ``next_after`` is where the next call goes on, None once
   the seeds are exhausted. One seed's cases are never split across pages, so a page may hold
   more than ``limit`` cases only when a single seed (a consolidated shipment) brings them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from gateway.app.cases import CaseView, cases_for, document_from_json
from gateway.app.items import item_keys
from gateway.app.ports import KEY_VALUE_MAX, DocumentQuery, DocumentReader, StoredDocument
from gateway.domain.correlation import KeyKind, normalize
from gateway.domain.return_case import DocumentKind, ReturnCase, document_reference
from gateway.model.states import CaseState

__all__ = ["CASE_KINDS", "CaseHit", "CasePage", "CaseQuery", "SearchStore", "find_case",
           "search_cases", "seed_query"]

# The documents that make a case (a recall notice is folded into every case, it seeds none).
CASE_KINDS = ("return-authorization", "return-shipment", "shipment-status", "receiving-advice")
SHIPMENT_KINDS = frozenset({KeyKind.SHIPMENT_ID, KeyKind.BILL_OF_LADING, KeyKind.PRO_NUMBER,
                            KeyKind.TRACKING, KeyKind.CARRIER_REFERENCE})
CASES_MAX = 500  # cases one call returns at most
SCAN_MAX = 5000  # seed documents one call examines at most
_SEED_PAGE = 100  # seed documents read per query
_OPENING_KINDS = frozenset({DocumentKind.RETURN_AUTHORIZATION.value,
                            DocumentKind.RETURN_SHIPMENT.value,
                            DocumentKind.SHIPMENT_STATUS.value,
                            DocumentKind.RECEIVING_ADVICE.value})


class SearchStore(DocumentReader, Protocol):
    def documents_matching(self, query: DocumentQuery, *, after: int = 0,
                           limit: int = 100) -> list[StoredDocument]: ...


@dataclass(frozen=True, slots=True)
class CaseQuery:
    """Every filter that is not None must hold for the case (module doc, step 3)."""

    rma: str | None = None
    purchase_order: str | None = None
    shipment: str | None = None  # a shipment id, BOL, PRO, tracking or carrier reference
    gtin: str | None = None  # GTIN-8/12/13/14, UPC-A or EAN-13: compared as GTIN-14
    serial: str | None = None
    lot: str | None = None
    partner: str | None = None  # one of the partners that sent the case's documents
    state: CaseState | None = None
    opened_from: datetime | None = None  # opened_at >= this (timezone-aware)
    opened_to: datetime | None = None  # opened_at < this (timezone-aware)

    def __post_init__(self) -> None:
        for moment in (self.opened_from, self.opened_to):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("opened_from / opened_to must be timezone-aware")


@dataclass(frozen=True, slots=True)
class CaseHit:
    case: ReturnCase
    partners: frozenset[str]  # who sent its documents (recall notices' issuers aside)


@dataclass(frozen=True, slots=True)
class CasePage:
    hits: tuple[CaseHit, ...]
    next_after: int | None  # the ``after`` of the next call; None: nothing more to find


def search_cases(store: SearchStore, query: CaseQuery, *, after: int = 0, limit: int = 50,
                 scan: int = 500) -> CasePage:
    """The cases ``query`` finds among the seeds after ``after`` (module doc)."""
    limit, scan = _clamp(limit, CASES_MAX), _clamp(scan, SCAN_MAX)
    seeds = seed_query(query)
    hits: list[CaseHit] = []
    decided: set[str] = set()  # cases already emitted or turned down in this call
    cursor = after
    while scan > 0:
        asked = min(_SEED_PAGE, scan)
        page = store.documents_matching(seeds, after=cursor, limit=asked)
        for seed in page:
            found = _new_hits(store, query, seeds, seed, decided)
            if hits and len(hits) + len(found) > limit:
                return CasePage(tuple(hits), cursor)  # this seed opens the next page
            hits.extend(found)
            cursor = seed.id
            if len(hits) >= limit:
                exhausted = seed is page[-1] and len(page) < asked
                return CasePage(tuple(hits), None if exhausted else cursor)
        if len(page) < asked:
            return CasePage(tuple(hits), None)
        scan -= asked
    return CasePage(tuple(hits), cursor)


def find_case(store: DocumentReader, case_id: str) -> tuple[CaseView, ReturnCase] | None:
    """The case with id ``case_id`` ("180:NW-RQ-1001": its opening document's kind and own
    number), with the view it was derived in (for `gateway.app.cases.case_documents`)."""
    kind, colon, own = case_id.strip().partition(":")
    if not colon or kind not in _OPENING_KINDS or not own.strip():
        return None
    view = cases_for(store, own)
    found = [case for case in view.cases if case.case_id == case_id.strip()]
    return (view, found[0]) if found else None


def seed_query(query: CaseQuery) -> DocumentQuery:
    """The documents a search starts from (module doc, step 1). Only its anchor is asked of the
    documents: every other filter is the case's to satisfy. Every document of a case opened
    after ``opened_from`` arrived after it, so that bound always narrows the seeds."""
    base = DocumentQuery(kinds=CASE_KINDS, received_from=query.opened_from)
    anchors = [
        replace(base, key=query.rma, key_kind=KeyKind.RMA.value)
        if query.rma is not None else None,
        replace(base, key=query.shipment) if query.shipment is not None else None,
        replace(base, serial=query.serial) if query.serial is not None else None,
        replace(base, lot=query.lot) if query.lot is not None else None,
        replace(base, gtin=query.gtin) if query.gtin is not None else None,
        replace(base, key=query.purchase_order, key_kind=KeyKind.PURCHASE_ORDER.value)
        if query.purchase_order is not None else None,
        # The partners of a case are those that sent its documents: only theirs are seeds.
        replace(base, partner=query.partner, direction="in")
        if query.partner is not None else None,
    ]
    # Without an anchor, a case opened before ``opened_to`` has its first document before it.
    return next((anchor for anchor in anchors if anchor is not None),
                replace(base, received_to=query.opened_to))


def _new_hits(store: SearchStore, query: CaseQuery, seeds: DocumentQuery,
              seed: StoredDocument, decided: set[str]) -> list[CaseHit]:
    """The cases ``seed`` is the first seed of that satisfy ``query`` (module doc, 2-4)."""
    document = document_from_json(seed)
    if document is None:
        return []
    own = document_reference(document)
    view = cases_for(store, seed.reference)
    hits: list[CaseHit] = []
    for case in view.cases:
        if own not in case.documents or case.case_id in decided:
            continue
        # Decided once: a later seed of the same case is never its first.
        decided.add(case.case_id)
        documents = _documents_of(view, case)
        hit = CaseHit(case, frozenset(d.partner for d in documents if d.direction == "in"))
        if _satisfies(query, hit, documents) and _first_seed(store, seeds, seed, documents):
            hits.append(hit)
    return hits


def _documents_of(view: CaseView, case: ReturnCase) -> list[StoredDocument]:
    """The stored 180s, 856s and 214s of ``case`` (not the recall notices every case holds)."""
    found = []
    for stored in view.documents:
        document = document_from_json(stored) if stored.kind in CASE_KINDS else None
        if document is not None and document_reference(document) in case.documents:
            found.append(stored)
    return found


def _first_seed(store: SearchStore, seeds: DocumentQuery, seed: StoredDocument,
                documents: list[StoredDocument]) -> bool:
    """Whether ``seed`` is the lowest id among the case's documents the seed query picks."""
    ids = tuple(sorted(d.id for d in documents))
    if not ids:
        return False
    if seed.id == ids[0]:
        return True  # the lowest of them all: no query needed
    first = store.documents_matching(replace(seeds, ids=ids), limit=1)
    return bool(first) and first[0].id == seed.id


def _satisfies(query: CaseQuery, hit: CaseHit, documents: list[StoredDocument]) -> bool:
    case = hit.case
    return ((query.state is None or case.state == query.state)
            and (query.opened_from is None or case.opened_at >= query.opened_from)
            and (query.opened_to is None or case.opened_at < query.opened_to)
            and (query.partner is None or query.partner in hit.partners)
            and _carries_keys(query, case) and _carries_items(query, documents))


def _carries_keys(query: CaseQuery, case: ReturnCase) -> bool:
    wanted = ((frozenset({KeyKind.RMA}), query.rma),
              (frozenset({KeyKind.PURCHASE_ORDER}), query.purchase_order),
              (SHIPMENT_KINDS, query.shipment))
    return all(_carries(case, kinds, raw) for kinds, raw in wanted if raw is not None)


def _carries(case: ReturnCase, kinds: frozenset[KeyKind], raw: str) -> bool:
    # Compared as the key index holds values (cut to its column), as the seeds were found.
    value = normalize(raw)[:KEY_VALUE_MAX]
    return bool(value) and any(key.kind in kinds and key.value[:KEY_VALUE_MAX] == value
                               for key in case.keys)


def _carries_items(query: CaseQuery, documents: Iterable[StoredDocument]) -> bool:
    items = DocumentQuery(gtin=query.gtin, serial=query.serial, lot=query.lot)
    wanted = set(items.item_filters())
    if items.matches_nothing:
        return False
    if not wanted:
        return True
    carried = {pair for stored in documents for pair in item_keys(json.loads(stored.json_text()))}
    return wanted <= carried


def _clamp(value: int, ceiling: int) -> int:
    return max(1, min(value, ceiling))
