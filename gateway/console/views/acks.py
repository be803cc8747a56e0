"""Acknowledgements: what we sent on our own account, and what the partners said."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, render_template, request, stream_with_context

from gateway.app.export import ExportFormat, export_text
from gateway.app.ports import OutboundRow
from gateway.app.wording import OUR_PURPOSES, delivery

from ..context import console
from ..params import text_arg

blueprint = Blueprint("acks", __name__)
SHOWN = ("all", "overdue", "held")
LIMIT = 300
CSV_MAX = 100_000
CSV_COLUMNS = ("id", "created_at", "partner", "purpose", "kind", "control_number", "subject",
               "state", "sent_at", "ack_state", "ack_due", "ack_at", "ack_detail", "reason",
               "delivery")
SORTS: dict[str, Callable[[OutboundRow], Any]] = {
    "queued": lambda r: r.created_at, "partner": lambda r: r.partner,
    "purpose": lambda r: r.purpose, "state": lambda r: r.ack_state or r.state}


@blueprint.route("/acks")
def index() -> str:
    context = console()
    store, now = context.store, context.now()
    show = request.args.get("show", "all")
    show = show if show in SHOWN else "all"
    partner = text_arg("partner", 64)  # the longest partner id the store keeps
    before = _whole(request.args.get("before", ""))
    rows = store.outbound(partner=partner, purposes=OUR_PURPOSES, limit=LIMIT,
                          overdue_at=now if show == "overdue" else None, held=show == "held",
                          before=before)
    older = rows[-1].id if len(rows) == LIMIT else None
    counts = {"overdue": len(store.outbound(partner=partner, purposes=OUR_PURPOSES,
                                            overdue_at=now, limit=LIMIT)),
              "held": len(store.outbound(partner=partner, purposes=OUR_PURPOSES, held=True,
                                         limit=LIMIT))}
    sort = request.args.get("sort", "")
    shown = [(row, delivery(row, now)) for row in rows]
    key = SORTS.get(sort.lstrip("-"))
    if key is not None:
        shown.sort(key=lambda pair: key(pair[0]), reverse=sort.startswith("-"))
    return render_template("acks.html", rows=shown, show=show, partner=partner,
                           counts=counts, limit=LIMIT, sort=sort, older=older)


@blueprint.route("/acks.csv")
def download() -> Response:
    context = console()
    store, now = context.store, context.now()
    show = request.args.get("show", "all")
    rows = store.outbound(partner=text_arg("partner", 64), purposes=OUR_PURPOSES,
                          limit=CSV_MAX, overdue_at=now if show == "overdue" else None,
                          held=show == "held")
    found = ({**{c: _cell(getattr(row, c)) for c in CSV_COLUMNS if c != "delivery"},
              "delivery": delivery(row, now).text} for row in rows)
    response = Response(stream_with_context(export_text(found, ExportFormat.CSV,
                                                        CSV_COLUMNS)), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="acknowledgements.csv"'
    return response


def _whole(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 18 else None


def _cell(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value
