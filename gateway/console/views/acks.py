"""Acknowledgements: what we sent on our own account, and what the partners said."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, render_template, request

from gateway.app.ports import OutboundRow
from gateway.app.wording import OUR_PURPOSES, Delivery, delivery

from ..context import console
from ..params import row_number_arg, sorted_page, text_arg
from ..present import csv_download, csv_value

blueprint = Blueprint("acks", __name__)
SHOWN = ("all", "overdue", "held")
LIMIT = 300
CSV_MAX = 100_000
CSV_COLUMNS = ("id", "created_at", "partner", "purpose", "kind", "control_number", "subject",
               "state", "sent_at", "ack_state", "ack_due", "ack_at", "ack_detail", "reason",
               "delivery")
SORTS: dict[str, Callable[[tuple[OutboundRow, Delivery]], Any]] = {
    "queued": lambda r: r[0].created_at, "partner": lambda r: r[0].partner,
    "purpose": lambda r: r[0].purpose, "state": lambda r: r[0].ack_state or r[0].state}


@blueprint.route("/acks")
def index() -> str:
    context = console()
    store, now = context.store, context.now()
    show = request.args.get("show", "all")
    show = show if show in SHOWN else "all"
    partner = text_arg("partner", 64)  # the longest partner id the store keeps
    before = row_number_arg("before")
    rows = store.outbound(partner=partner, purposes=OUR_PURPOSES, limit=LIMIT,
                          overdue_at=now if show == "overdue" else None, held=show == "held",
                          before=before)
    older = rows[-1].id if len(rows) == LIMIT else None
    counts = {"overdue": len(store.outbound(partner=partner, purposes=OUR_PURPOSES,
                                            overdue_at=now, limit=LIMIT)),
              "held": len(store.outbound(partner=partner, purposes=OUR_PURPOSES, held=True,
                                         limit=LIMIT))}
    shown = sorted_page([(row, delivery(row, now)) for row in rows], SORTS)
    return render_template("acks.html", rows=shown, show=show, partner=partner,
                           counts=counts, limit=LIMIT, older=older)


@blueprint.route("/acks.csv")
def download() -> Response:
    context = console()
    store, now = context.store, context.now()
    show = request.args.get("show", "all")
    rows = store.outbound(partner=text_arg("partner", 64), purposes=OUR_PURPOSES,
                          limit=CSV_MAX, overdue_at=now if show == "overdue" else None,
                          held=show == "held")
    found = ({**{c: csv_value(getattr(row, c)) for c in CSV_COLUMNS if c != "delivery"},
              "delivery": delivery(row, now).text} for row in rows)
    return csv_download(found, CSV_COLUMNS, "acknowledgements.csv")
