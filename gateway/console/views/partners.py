"""Partners: each partner file with its health."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ..context import console
from ..health import partners_health

blueprint = Blueprint("partners", __name__)


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
