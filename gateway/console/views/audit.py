"""The audit log (admins): every sign-in, failed sign-in and write, newest first, and as CSV."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from operator import itemgetter
from typing import Any

from flask import Blueprint, Response, abort, render_template

from gateway.app.access import audit_json
from gateway.app.people import Permission

from ..auth import can
from ..context import console
from ..params import row_number_arg, sorted_page, text_arg
from ..present import csv_download

blueprint = Blueprint("audit", __name__)
PAGE_SIZE = 100
CSV_MAX = 100_000  # rows in one download
COLUMNS = ("id", "at", "actor", "action", "target", "outcome", "source", "detail")
# Every sortable column holds text (``at`` as ISO 8601, which sorts as time does).
SORTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    column: itemgetter(column) for column in ("at", "actor", "action", "target", "outcome",
                                              "source")}
END = 2**62  # above every id: the newest entries


@blueprint.route("/audit")
def index() -> str:
    _admins_only()
    actor = text_arg("actor", 80)
    before = row_number_arg("before")  # newest first, below this id; the log's end first
    rows = console().store.audit_log().entries(
        before=END if before is None else before, limit=PAGE_SIZE, actor=actor)
    older = rows[-1].id if len(rows) == PAGE_SIZE else None
    return render_template("audit.html", rows=sorted_page([audit_json(r) for r in rows], SORTS),
                           actor=actor, older=older, page_size=PAGE_SIZE)


@blueprint.route("/audit.csv")
def download() -> Response:
    _admins_only()
    return csv_download(_every_entry(text_arg("actor", 80)), COLUMNS, "audit.csv")


def _every_entry(actor: str | None) -> Iterator[dict[str, object]]:
    """Newest first, a page at a time (memory stays flat), at most CSV_MAX."""
    log, before, sent = console().store.audit_log(), END, 0
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
