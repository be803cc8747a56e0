"""Return cases: search, one case with its lines, timeline and documents, and decisions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from apiflask import APIBlueprint
from apiflask.exceptions import HTTPError
from marshmallow import RAISE

from gateway.app.access import AuditOutcome
from gateway.app.case_export import case_row, line_rows
from gateway.app.cases import CaseView, case_documents
from gateway.app.dispositions import (
    DispositionOrder,
    UnknownCase,
    disposition_json,
    dispositions_json,
    dispositions_of,
    find_one_case,
)
from gateway.app.outbound.decisions import UnknownRequest
from gateway.app.programs import programs_json, programs_of
from gateway.app.receipts import receipts_json
from gateway.app.search import CaseQuery, find_case, search_cases
from gateway.config.programs import load_program_rules
from gateway.domain.dispositions import DispositionError, Outcome
from gateway.domain.return_case import CaseEvent, ReturnCase
from gateway.domain.rma_policy import DecisionError, Verdict
from gateway.model.states import CaseState

from .. import actions
from ..auth import audit
from ..context import console
from . import disposition_schemas, schemas
from .auth import token_auth
from .records import document_summary

blueprint = APIBlueprint("api_cases", __name__, url_prefix="/api/v1", tag="Cases")


@blueprint.get("/cases")
@blueprint.auth_required(token_auth, roles=["read"])
@blueprint.input(schemas.CasesQuery, location="query", arg_name="query",
                 unknown=RAISE)
@blueprint.output(schemas.CasePage)
def search(query: dict[str, Any]) -> dict[str, Any]:
    """Search return cases

    By RMA, PO, shipment (id, BOL, PRO, tracking), GTIN/UPC, serial, lot, partner, state and
    when the case opened; every filter must hold. A page may hold fewer than `limit` cases
    while `next_after` is not null: each request looks at a bounded number of documents, so
    go on with `after=next_after` until it is null.
    """
    state = query.get("state")
    found = search_cases(console().store, CaseQuery(
        rma=query.get("rma"), purchase_order=query.get("po"),
        shipment=query.get("shipment"), gtin=query.get("gtin"), serial=query.get("serial"),
        lot=query.get("lot"), partner=query.get("partner"),
        state=CaseState(state) if state else None, opened_from=query.get("opened_from"),
        opened_to=query.get("opened_to")), after=query["after"], limit=query["limit"])
    return {"cases": [case_row(hit.case, set(hit.partners)) for hit in found.hits],
            "next_after": found.next_after}


@blueprint.get("/cases/<path:case_id>")
@blueprint.auth_required(token_auth, roles=["read"])
@blueprint.output(schemas.CaseDetail)
def one(case_id: str) -> dict[str, Any]:
    """One return case: its lines, timeline and documents

    `case_id` as the search and the events give it (for example `180:NW-RQ-1001`).
    """
    if len(case_id) > 120 or not case_id.isprintable():
        raise HTTPError(404, "That is not a case id.")
    found = find_case(console().store, case_id)
    if found is None:
        raise HTTPError(404, f"No return case {case_id!r} is known.")
    view, case = found
    partners = {d.partner for d in view.documents if d.direction == "in"}
    documents = sorted((stored for stored, _ in case_documents(view, case).values()),
                       key=lambda d: d.id)
    found_programs = programs_of(load_program_rules(console().config.paths["programs"]), view,
                                 case)
    return {**case_row(case, partners), "keys": _keys(case),
            **programs_json(found_programs),
            **receipts_json(case),
            "dispositions": dispositions_json(dispositions_of(view, case)),
            "line_items": list(line_rows(case)),
            "timeline": [_timeline_entry(event) for event in case.timeline],
            "documents": [document_summary(d) for d in documents]}


@blueprint.post("/decisions")
@blueprint.auth_required(token_auth, roles=["decide"])
@blueprint.input(schemas.DecisionIn, arg_name="decision")
@blueprint.output(schemas.DecisionOut, status_code=201)
@blueprint.doc(responses={404: "no return request answers to the reference",
                          409: "the decision cannot apply to that request (the message says "
                               "why: several requests, a recalled line denied, ...)"})
def decide(decision: dict[str, Any]) -> dict[str, Any]:
    """Authorize or deny a pending return request (all lines, or some)

    The same as `gateway rma authorize|deny`: stored as our 180 answer, queued to the retailer
    once (a repeated identical call says `queued: false`), and the case's subscribers told.
    """
    action, reference = f"decision.{decision['verdict']}", decision["reference"]
    lines, reason = decision.get("lines"), decision.get("reason")
    try:
        answer, updates = actions.decide(console(), reference, Verdict(decision["verdict"]),
                                         lines=lines, reason=reason)
    except DecisionError as exc:  # unknown: 404; known, but not decidable so: 409
        audit(action, reference, AuditOutcome.FAILED, {"why": str(exc)})
        raise HTTPError(404 if isinstance(exc, UnknownRequest) else 409, str(exc)) from None
    audit(action, answer.request, AuditOutcome.DONE,
          actions.decision_detail(answer, lines, reason))
    return {"request": answer.request, "partner": answer.partner,
            "rma_number": answer.rma_number, "outcome": answer.outcome,
            "queued": answer.queued,
            "lines": [{"line_number": line.line_number, "verdict": line.verdict.value,
                       "disposition_code": line.disposition_code,
                       "response_reason_code": line.response_reason_code, "why": line.why}
                      for line in answer.lines],
            "status_updates": [f"{u.partner}: {u.state}" for u in updates]}


@blueprint.get("/cases/<path:reference>/dispositions")
@blueprint.auth_required(token_auth, roles=["read"])
@blueprint.output(disposition_schemas.CaseDispositionsPage)
@blueprint.doc(responses={404: "no return case answers to the reference",
                          409: "the reference picks several cases (the message names them)"})
def dispositions(reference: str) -> dict[str, Any]:
    """What became of each line of a return case after receipt

    `reference` is the case id (`180:NW-RQ-1001`) or a reference that picks one case (its
    RMA or request id). Each line's units, the outcomes that stand on it, the units left, the
    value recovered per currency, and every record (`history`, oldest first).
    """
    return dispositions_json(dispositions_of(*_one_case(reference)))


@blueprint.post("/cases/<path:reference>/dispositions")
@blueprint.auth_required(token_auth, roles=["decide"])
@blueprint.input(disposition_schemas.DispositionIn, arg_name="given")
@blueprint.output(disposition_schemas.DispositionRecorded, status_code=201)
@blueprint.doc(responses={404: "no return case answers to the reference",
                          409: "not now, or not so: the case is not received, the line is on "
                               "recall hold, more units than the line has, ... (the message "
                               "says why)"})
def dispose(reference: str, given: dict[str, Any]) -> dict[str, Any]:
    """Record what became of units of a received line

    The same as `gateway rma dispose`: restock, refurbish, recycle, liquidate, donate,
    return-to-vendor or destroy; the same outcome for the same line again replaces it, a
    quantity of 0 withdraws it. A line on recall hold is never restocked, liquidated or
    donated. When every line has outcomes for all its units the case is closed and its
    subscribed partners told (`closed`, `status_updates`).
    """
    if len(reference) > 120 or not reference.isprintable():
        raise HTTPError(404, "That is not a case reference.")
    order = DispositionOrder(given["line"], Outcome(given["outcome"]),
                             _decimal_or_none(given.get("quantity")),
                             _decimal_or_none(given.get("value")), given.get("currency"),
                             given.get("note", ""))
    try:
        done = actions.dispose(console(), reference, order)
    except DispositionError as exc:
        audit(actions.DISPOSITION_ACTION, reference, AuditOutcome.FAILED, {"why": str(exc)})
        raise HTTPError(404 if isinstance(exc, UnknownCase) else 409, str(exc)) from None
    return {"disposition": disposition_json(done.disposition),
            "replaced": disposition_json(done.replaced) if done.replaced else None,
            "closed": done.closed is not None and not done.closed.already,
            "not_closed": done.not_closed,
            "status_updates": [f"{u.partner}: {u.state}"
                               for u in (done.closed.updates if done.closed else ())],
            "case": dispositions_json(done.now)}


def _decimal_or_none(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None  # the schema checked its form


def _one_case(reference: str) -> tuple[CaseView, ReturnCase]:
    """The one case ``reference`` names (`find_one_case`); else 404, or 409 for several."""
    if len(reference) > 120 or not reference.isprintable():
        raise HTTPError(404, "That is not a case reference.")
    try:
        return find_one_case(console().store, reference)
    except DispositionError as exc:
        raise HTTPError(404 if isinstance(exc, UnknownCase) else 409, str(exc)) from None


def _keys(case: ReturnCase) -> list[dict[str, str]]:
    return [{"kind": key.kind.value, "value": key.value}
            for key in sorted(case.keys, key=lambda k: (k.kind.value, k.value))]


def _timeline_entry(event: CaseEvent) -> dict[str, Any]:
    return {"at": event.at.isoformat(),
            "state_before": event.state_before.value if event.state_before else None,
            "state_after": event.state_after.value, "cause": str(event.cause),
            "note": event.note, "asserts": event.asserts.value if event.asserts else None,
            "timed_by": event.timed_by.value}
