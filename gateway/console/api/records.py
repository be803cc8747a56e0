"""Documents, acknowledgements of what we sent, and recalls with their recipients."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from apiflask import APIBlueprint
from apiflask.exceptions import HTTPError
from flask import Response, stream_with_context
from marshmallow import RAISE

from gateway.app.cases import NoticeKey
from gateway.app.outbound.recalls import effectiveness, latest_by_issuer
from gateway.app.ports import (
    DocumentQuery,
    GatewayStore,
    OutboundRow,
    RecallRecipient,
    StoredDocument,
)
from gateway.app.programs import program_totals
from gateway.app.wording import OUR_PURPOSES, delivery, iso_or_none
from gateway.config.programs import load_program_rules
from gateway.model import RecallNotice
from gateway.model.canonical_json import to_json

from ..context import console
from . import schemas
from .auth import token_auth

blueprint = APIBlueprint("api_records", __name__, url_prefix="/api/v1", tag="Records")
MAX_NOTICE_ID = 80
DEFAULT_PROGRAM_WEEKS = 12  # what /programs adds up without ?since= (as the console page)


@blueprint.get("/documents")
@blueprint.auth_required(token_auth, roles=["read"])
@blueprint.input(schemas.DocumentsQuery, location="query", arg_name="query",
                 unknown=RAISE)
@blueprint.output(schemas.DocumentPage)
def documents(query: dict[str, Any]) -> dict[str, Any]:
    """Stored canonical documents, oldest first

    Every filter must hold. `key` is any case key a document carries (RMA, PO, shipment id,
    BOL, PRO, request id); `gtin` matches UPC, EAN and GTIN-14 forms alike.
    """
    kind = query.get("kind")
    filters = DocumentQuery(
        kinds=(kind,) if kind else (), direction=query.get("direction"),
        partner=query.get("partner"), reference=query.get("reference"), key=query.get("key"),
        gtin=query.get("gtin"), serial=query.get("serial"), lot=query.get("lot"),
        file_id=query.get("file_id"), received_from=query.get("received_from"),
        received_to=query.get("received_to"))
    found = console().store.documents_matching(filters, after=query["after"],
                                               limit=query["limit"])
    # A full page may have more behind it (the last page may then be empty); a short one not.
    return {"documents": [_in_a_page(d) for d in found],
            "next_after": found[-1].id if len(found) == query["limit"] else None}


@blueprint.get("/documents/<int(max=4611686018427387904):document_id>")
@blueprint.auth_required(token_auth, roles=["read"])
@blueprint.output(schemas.OneDocument)
def document(document_id: int) -> dict[str, Any] | Response:
    """One stored canonical document"""
    found = console().store.documents_matching(DocumentQuery(ids=(document_id,)), limit=1)
    if not found:
        raise HTTPError(404, f"There is no document #{document_id}.")
    if found[0].parts:  # megabytes: sent a part at a time, as the store keeps it
        return Response(stream_with_context(_streamed_document(found[0])),
                        mimetype="application/json")
    return document_full(found[0])


def _in_a_page(stored: StoredDocument) -> dict[str, Any]:
    """A document in a page: a document kept in parts is named, not carried (megabytes in a
    page of a hundred), and read alone."""
    if stored.parts:
        return {**document_summary(stored), "body": None,
                "body_omitted": f"kept in parts: GET /api/v1/documents/{stored.id}"}
    return document_full(stored)


def _streamed_document(stored: StoredDocument) -> Iterator[str]:
    """`document_full` of a document kept in parts, written as it is read."""
    yield json.dumps(document_summary(stored))[:-1] + ', "body": '
    yield from stored.json_chunks()
    yield "}"


@blueprint.get("/acknowledgements")
@blueprint.auth_required(token_auth, roles=["read"])
@blueprint.input(schemas.AcksQuery, location="query", arg_name="query",
                 unknown=RAISE)
@blueprint.output(schemas.OutboundList)
def acknowledgements(query: dict[str, Any]) -> dict[str, Any]:
    """What we sent on our own account, newest first, and what each partner said

    RMA answers, status updates, recall notifications and application advice, each with its
    acknowledgement state: expected, accepted, rejected, overdue under the partner's SLA, or
    held (it failed our own validation and was never sent).
    """
    context = console()
    now = context.now()
    rows = context.store.outbound(partner=query.get("partner"), purposes=OUR_PURPOSES,
                                  overdue_at=now if query["overdue"] else None,
                                  held=query["held"], limit=query["limit"])
    return {"acknowledgements": [outbound_json(row, now) for row in rows]}


@blueprint.get("/programs")
@blueprint.auth_required(token_auth, roles=["read"])
@blueprint.input(schemas.ProgramsQuery, location="query", arg_name="query", unknown=RAISE)
@blueprint.output(schemas.ProgramTotals)
def programs(query: dict[str, Any]) -> dict[str, Any]:
    """Cases, lines and units by week, partner and return program

    Every return case with a request received since `since`, by the ISO week it opened, its
    partner and program (programs/rules.yaml): the cases in each program (a case is in the
    program of most units, or recall if any line is), and the lines and units in it; of those
    units, how many were dispositioned after receipt, by outcome, and the value recovered,
    per currency.
    """
    context = console()
    since = query.get("since") or context.now() - timedelta(weeks=DEFAULT_PROGRAM_WEEKS)
    totals = program_totals(context.store, load_program_rules(context.config.paths["programs"]),
                            since=since, partner=query.get("partner"))
    return {"programs": [total.row() for total in totals]}


@blueprint.get("/recalls")
@blueprint.auth_required(token_auth, roles=["read"])
@blueprint.output(schemas.RecallList)
def recalls() -> dict[str, Any]:
    """Every recall notice we hold (its latest version), newest first, with its reach"""
    store = console().store
    notices = latest_by_issuer(store.documents_of_kind("recall-notice"))
    return {"recalls": [_recall_summary(store, key, notice)
                        for key, notice in reversed(notices.items())]}


@blueprint.get("/recalls/<path:notice_id>")
@blueprint.auth_required(token_auth, roles=["read"])
@blueprint.output(schemas.RecallDetail)
def recall(notice_id: str) -> dict[str, Any]:
    """One recall notice: its latest version and every recipient's state"""
    if len(notice_id) > MAX_NOTICE_ID or not notice_id.isprintable():
        raise HTTPError(404, "That is not a recall notice id.")
    store = console().store
    notices = latest_by_issuer(store.documents_of_kind("recall-notice"))
    key = next((k for k in notices if k.notice_id == notice_id), None)
    if key is None:
        raise HTTPError(404, f"No recall notice {notice_id!r} is known.")
    recipients = store.recall_recipients_of(notice_id)
    return {**_recall_summary(store, key, notices[key]), "notice": to_json(notices[key]),
            "notified": [_recipient_json(r) for r in recipients]}


def document_summary(stored: StoredDocument) -> dict[str, Any]:
    return {"id": stored.id, "partner": stored.partner, "direction": stored.direction,
            "kind": stored.kind, "reference": stored.reference,
            "created_at": stored.created_at.isoformat(), "file_id": stored.file_id}


def document_full(stored: StoredDocument) -> dict[str, Any]:
    return {**document_summary(stored), "body": json.loads(stored.json_text())}


def outbound_json(row: OutboundRow, now: datetime) -> dict[str, Any]:
    said = delivery(row, now)
    return {"id": row.id, "partner": row.partner, "kind": row.kind, "purpose": row.purpose,
            "control_number": row.control_number, "subject": row.subject,
            "file_id": row.file_id, "state": row.state, "delivery": said.badge,
            "says": said.text, "created_at": row.created_at.isoformat(),
            "sent_at": iso_or_none(row.sent_at), "ack_due": iso_or_none(row.ack_due),
            "ack_at": iso_or_none(row.ack_at), "ack_detail": row.ack_detail,
            "reason": row.reason}


def _recall_summary(store: GatewayStore, key: NoticeKey, notice: RecallNotice
                    ) -> dict[str, Any]:
    report = effectiveness(store.recall_recipients_of(key.notice_id))
    return {"notice_id": key.notice_id, "issuer": key.issuer, "title": notice.title,
            "status": notice.status.value if notice.status else None, **report.as_json()}


def _recipient_json(r: RecallRecipient) -> dict[str, Any]:
    return {"partner": r.partner, "notification_id": r.notification_id,
            "notified_at": r.notified_at.isoformat(),
            "delivery": "delivered" if r.delivered_at else "waiting",
            "affected_units": r.affected_units, "responded_at": iso_or_none(r.responded_at),
            "response_status": r.response_status, "units_found": r.units_found,
            "units_returned": r.units_returned, "response_note": r.response_note}

