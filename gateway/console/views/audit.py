"""The audit log (admins): every sign-in, failed sign-in and write, newest first, and as CSV."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, abort, render_template, request, stream_with_context

from gateway.app.access import audit_json
from gateway.app.export import ExportFormat, export_text
from gateway.app.people import Permission

from ..auth import can
from ..context import console
from ..params import text_arg

blueprint = Blueprint("audit", __name__)
PAGE_SIZE = 100
CSV_MAX = 100_000  # rows in one download
COLUMNS = ("id", "at", "actor", "action", "target", "outcome", "source", "detail")
SORTABLE = frozenset({"at", "actor", "action", "target", "outcome", "source"})


@blueprint.route("/audit")
def index() -> str:
    _admins_only()
    actor = text_arg("actor", 80)
    before = _before()
    rows = console().store.audit_log().entries(before=before, limit=PAGE_SIZE, actor=actor)
    older = rows[-1].id if len(rows) == PAGE_SIZE else None
    shown, sort = [audit_json(r) for r in rows], request.args.get("sort", "")
    if sort.lstrip("-") in SORTABLE:  # the page; pages follow the log's own order
        shown.sort(key=lambda row: str(row[sort.lstrip("-")]), reverse=sort.startswith("-"))
    return render_template("audit.html", rows=shown, actor=actor, older=older,
                           page_size=PAGE_SIZE, sort=sort)


@blueprint.route("/audit.csv")
def download() -> Response:
    _admins_only()
    lines = export_text(_every_entry(text_arg("actor", 80)), ExportFormat.CSV, COLUMNS)
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response


def _every_entry(actor: str | None) -> Iterator[dict[str, object]]:
    """Newest first, a page at a time (memory stays flat), at most CSV_MAX."""
    log, before, sent = console().store.audit_log(), 2**62, 0
    while sent < CSV_MAX:
        rows = log.entries(before=before, limit=PAGE_SIZE, actor=actor)
        yield from (audit_json(r) for r in rows)
        sent += len(rows)
        if len(rows) < PAGE_SIZE:
            return
        before = rows[-1].id


def _admins_only() -> None:
    if not can(Permission.ADMINISTER.value):
        abort(403, "The audit log is for administrators.")


def _before() -> int:
    """Newest first, below this id (the "older" link's); the end of the log by default."""
    text = request.args.get("before", "")
    return int(text) if text.isdigit() and 0 < len(text) <= 18 else 2**62
