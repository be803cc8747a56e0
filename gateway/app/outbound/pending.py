"""The decision queue: every return request line nobody has decided yet, oldest first.

A line is pending while no answer of ours covers it with an authorization or a denial: the
retailer's partner file has no returns policy (every line waits for a person), or the policy
left it pending (RP). Each request is read with its case (`cases_for`), so the queue shows
the line's item, quantity, value and reason, any recall holding it, and what the partner's
other requests came to; a person decides one line, several or the whole request with
`gateway.app.outbound.decisions.operator_decide`, exactly as `gateway rma` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from gateway.app.cases import cases_for
from gateway.app.outbound.decisions import answers_to, held_of, latest_decision, request_of
from gateway.app.ports import DocumentQuery, StoredDocument
from gateway.app.search import SearchStore
from gateway.domain.rma_policy import Verdict
from gateway.model import ReturnAuthorization, ReturnLine

REQUESTS_SCANNED = 2000  # requests one look at the queue reads at most (newest kept)
_PAGE = 200


@dataclass(frozen=True, slots=True)
class PendingLine:
    line_number: int
    items: tuple[str, ...]  # "upc:614141000364", ...
    description: str | None
    quantity: Decimal | None
    unit: str | None
    value: Decimal | None  # unit price times quantity, when the request gave a price
    reason_code: str | None  # X12 1293
    reason: str | None
    serials: tuple[str, ...]
    recall_hold: str | None  # the notice holding it: it can be authorized, never denied


@dataclass(frozen=True, slots=True)
class PendingRequest:
    request_id: str  # the retailer's BGN02
    partner: str
    received_at: datetime
    rma: str | None
    lines: tuple[PendingLine, ...]  # only the lines still pending
    all_lines: int


@dataclass
class PartnerHistory:
    """What a partner's requests came to so far (among those the queue read)."""

    requests: int = 0
    authorized_lines: int = 0
    denied_lines: int = 0


@dataclass(frozen=True)
class Queue:
    requests: tuple[PendingRequest, ...]
    history: dict[str, PartnerHistory] = field(default_factory=dict)
    scanned: int = 0  # requests read; REQUESTS_SCANNED: older ones were not looked at


def pending_queue(store: SearchStore) -> Queue:
    """The pending lines of the newest REQUESTS_SCANNED requests, oldest request first."""
    history: dict[str, PartnerHistory] = {}
    pending = []
    latest = _latest_versions(store)
    for stored, request in latest:
        view = cases_for(store, request.document_id)
        answers = answers_to(view, request)
        decision = latest_decision(answers)
        verdicts = {line.line_number: line.verdict for line in decision.lines} \
            if decision else {}
        _count(history.setdefault(stored.partner, PartnerHistory()), verdicts.values())
        held = held_of(view, request)
        waiting = [_pending_line(line, held.get(line.line_number)) for line in request.lines
                   if verdicts.get(line.line_number, Verdict.PENDING) is Verdict.PENDING]
        if waiting:
            pending.append(PendingRequest(
                request.document_id, stored.partner, stored.created_at,
                request.rma_number or next((a.rma_number for a in reversed(answers)
                                            if a.rma_number), None),
                tuple(waiting), len(request.lines)))
    return Queue(tuple(pending), history, len(latest))


def _latest_versions(store: SearchStore) -> list[tuple[StoredDocument, ReturnAuthorization]]:
    """Each request once (a retailer may send one again), the newest REQUESTS_SCANNED of them,
    oldest first."""
    found: dict[str, tuple[StoredDocument, ReturnAuthorization]] = {}
    for stored in _requests(store):
        request = request_of(stored)
        if request is not None:
            found.pop(request.document_id, None)
            found[request.document_id] = (stored, request)
    return list(found.values())[-REQUESTS_SCANNED:]


def _requests(store: SearchStore) -> Iterator[StoredDocument]:
    query = DocumentQuery(kinds=("return-authorization",), direction="in")
    after = 0
    while True:
        page = store.documents_matching(query, after=after, limit=_PAGE)
        yield from page
        if len(page) < _PAGE:
            return
        after = page[-1].id


def _count(history: PartnerHistory, verdicts: Iterable[Verdict]) -> None:
    history.requests += 1
    for verdict in verdicts:
        history.authorized_lines += verdict is Verdict.AUTHORIZE
        history.denied_lines += verdict is Verdict.DENY


def _pending_line(line: ReturnLine, hold: str | None) -> PendingLine:
    quantity = line.quantity.value if line.quantity else None
    price = line.unit_price.amount if line.unit_price else None
    reasons = line.reasons
    return PendingLine(
        line.line_number, tuple(f"{i.scheme.value}:{i.value}" for i in line.item_ids),
        line.description, quantity, line.quantity.unit if line.quantity else None,
        price * quantity if price is not None and quantity is not None else None,
        reasons.request_reason_code if reasons else None,
        reasons.request_reason.value if reasons and reasons.request_reason else None,
        line.serials, hold)

