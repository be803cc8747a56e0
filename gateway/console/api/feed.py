"""The event feed by cursor, the exports as downloads, and the audit log."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response
from marshmallow import RAISE

from gateway.app.access import audit_json
from gateway.app.export import ExportFormat, ExportKind, ExportRequest, export_rows, export_text

from ..context import console
from ..present import download
from . import schemas
from .auth import token_auth

blueprint = APIBlueprint("api_feed", __name__, url_prefix="/api/v1", tag="Feed")
_MEDIA = {ExportFormat.JSONL: "application/x-ndjson", ExportFormat.CSV: "text/csv"}
_EXPORT_RESPONSE: dict[int | str, dict[str, Any]] = {200: {
    "description": "every matching row, oldest first, streamed",
    "content": {media: {"schema": {"type": "string"}} for media in _MEDIA.values()}}}


@blueprint.get("/events")
@blueprint.auth_required(token_auth, roles=["read"])
@blueprint.input(schemas.EventsQuery, location="query", arg_name="query",
                 unknown=RAISE)
@blueprint.output(schemas.EventPage)
def events(query: dict[str, Any]) -> dict[str, Any]:
    """The event feed, oldest first

    Each event as published (schemas/event-1.2.json). Page on with `after=next_after`; an
    empty page means the reader is up to date (`newest` is the newest cursor stored).
    """
    store = console().store
    partner = query.get("partner")
    found = store.events_after(query["after"], types=query["types"],
                               partners=[partner] if partner else (), limit=query["limit"])
    return {"events": [e.envelope() for e in found],
            "next_after": found[-1].cursor if found else query["after"],
            "newest": store.last_event_cursor()}


@blueprint.get("/exports/<any(events, documents, cases, lines):what>")
@blueprint.auth_required(token_auth, roles=["read"])
@blueprint.input(schemas.ExportQuery, location="query", arg_name="query",
                 unknown=RAISE)
@blueprint.doc(responses=_EXPORT_RESPONSE)
def export(what: str, query: dict[str, Any]) -> Response:
    """Events, documents, return cases or lines as JSON lines or CSV

    The same rows as `gateway export`, streamed as they are read: any number of rows in the
    memory of one. CSV cells a spreadsheet would run as a formula start with an apostrophe.
    """
    form = ExportFormat(query["format"])
    columns, rows = export_rows(console().store, ExportRequest(
        ExportKind(what), since=query.get("since"), partner=query.get("partner"),
        types=tuple(query["types"]) if what == "events" else ()))
    return download(export_text(rows, form, columns), _MEDIA[form], f"{what}.{form.value}")


@blueprint.get("/audit")
@blueprint.auth_required(token_auth, roles=["admin"])
@blueprint.input(schemas.AuditQuery, location="query", arg_name="query",
                 unknown=RAISE)
@blueprint.output(schemas.AuditPage)
def audit(query: dict[str, Any]) -> dict[str, Any]:
    """The audit log, oldest first (admin)

    Every write through the API, the console and `gateway tokens`: who, when, what, on what,
    how it ended and from where.
    """
    rows = console().store.audit_log().entries(after=query["after"], limit=query["limit"],
                                               actor=query.get("actor"))
    return {"entries": [audit_json(row) for row in rows],
            "next_after": rows[-1].id if rows else query["after"]}
