"""Partners: each partner file with its health, and (admins) a connection test."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from werkzeug.wrappers import Response

from gateway.app.access import AuditOutcome
from gateway.app.connection_test import connection_steps
from gateway.app.people import Permission
from gateway.bootstrap import missing_secrets, open_channel, partner_file
from gateway.errors import ConfigError

from ..auth import audit, require
from ..context import console
from ..health import partners_health

blueprint = Blueprint("partners", __name__)
PARTNER_ID = "<string(maxlength=64):partner_id>"


@blueprint.route("/")
def home() -> Response:
    return redirect(url_for("partners.index"))


@blueprint.route("/partners")
def index() -> str:
    context = console()
    rows = partners_health(context.store, context.config, context.now())
    counts = {badge: sum(1 for r in rows if r.badge == badge)
              for badge in ("ok", "attention", "failing")}
    return render_template("partners.html", rows=rows, counts=counts,
                           folder=context.config.paths["partners"])


@blueprint.route(f"/partners/{PARTNER_ID}/test", methods=["POST"])
def test(partner_id: str) -> str:
    """`gateway partners test ID`, for an admin: every step with what came of it."""
    require(Permission.ADMINISTER, "partner.test", partner_id)
    try:
        partner = partner_file(console().config, partner_id)
    except ConfigError as exc:
        steps = [("fail", f"partner file: {exc}")]
    else:
        if partner is None:
            abort(404, f"There is no partner file for {partner_id}.")
        problems = missing_secrets(partner)
        steps = [("fail", f"partner file: {p}") for p in problems] or [
            ("ok", "partner file"),
            *((s.outcome, s.text) for s in connection_steps(partner, open_channel))]
    failed = steps[-1][0] == "fail"
    audit("partner.test", partner_id, AuditOutcome.FAILED if failed else AuditOutcome.DONE,
          {"steps": [f"{outcome} {text}" for outcome, text in steps]})
    return render_template("partner_test.html", partner_id=partner_id, steps=steps)
