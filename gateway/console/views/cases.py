"""A return case, found by any of its references (RMA, PO, request id, BOL, PRO...)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

from gateway.app.access import audit_json
from gateway.app.cases import cases_for
from gateway.app.wording import OUR_PURPOSES, delivery

from ..context import console
from ..params import text_arg

blueprint = Blueprint("cases", __name__)
MAX_REFERENCE = 80  # the longest key or reference the store keeps


@blueprint.route("/cases")
def search() -> Response | str:
    reference = text_arg("q", MAX_REFERENCE) or ""
    if reference.startswith("#") and reference[1:].isdigit():
        return redirect(url_for("files.show", file_id=int(reference[1:])))
    if not reference:
        return render_template("case.html", reference="", view=None)
    context = console()
    store, now = context.store, context.now()
    view = cases_for(store, reference)
    files = store.files_by_id({d.file_id for d in view.documents if d.file_id is not None})
    ours = store.outbound(subjects={d.reference for d in view.documents},
                          purposes=OUR_PURPOSES) if view.documents else []
    requests = {d.reference for d in view.documents
                if d.kind == "return-authorization" and d.direction == "in"}
    decisions = [audit_json(r) for r in store.audit_log().entries(
        before=2**62, limit=50, action_prefix="decision.", targets=requests)] if requests else []
    return render_template(
        "case.html", reference=reference, view=view if view.documents else None, files=files,
        decisions=decisions,
        acks=store.outbox_of_files(files) if files else [],
        sent=[(row, delivery(row, now)) for row in reversed(ours)],
        carried_by=store.files_with_interchange(reference))
