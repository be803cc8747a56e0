"""Acknowledgements: what we sent on our own account, and what the partners said."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from gateway.app.wording import OUR_PURPOSES, delivery

from ..context import console
from ..params import text_arg

blueprint = Blueprint("acks", __name__)
SHOWN = ("all", "overdue", "held")
LIMIT = 300


@blueprint.route("/acks")
def index() -> str:
    context = console()
    store, now = context.store, context.now()
    show = request.args.get("show", "all")
    show = show if show in SHOWN else "all"
    partner = text_arg("partner", 64)  # the longest partner id the store keeps
    rows = store.outbound(partner=partner, purposes=OUR_PURPOSES, limit=LIMIT,
                          overdue_at=now if show == "overdue" else None, held=show == "held")
    counts = {"overdue": len(store.outbound(partner=partner, purposes=OUR_PURPOSES,
                                            overdue_at=now, limit=LIMIT)),
              "held": len(store.outbound(partner=partner, purposes=OUR_PURPOSES, held=True,
                                         limit=LIMIT))}
    return render_template("acks.html", rows=[(row, delivery(row, now)) for row in rows],
                           show=show, partner=partner, counts=counts, limit=LIMIT)
