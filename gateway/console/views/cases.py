"""A return case, found by any of its references (RMA, PO, request id, BOL, PRO...)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from gateway.app.access import AuditOutcome, audit_json
from gateway.app.cases import cases_for
from gateway.app.outbound.steps import StepError, record_case_step
from gateway.app.people import Permission
from gateway.app.programs import programs_of
from gateway.app.wording import OUR_PURPOSES, delivery
from gateway.bootstrap import outbound_context
from gateway.config.programs import load_program_rules
from gateway.model.states import CaseState

from ..auth import audit, person, require, role
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
    rules = load_program_rules(context.config.paths["programs"])
    return render_template(
        "case.html", reference=reference, view=view if view.documents else None, files=files,
        decisions=decisions,
        programs={case.case_id: programs_of(rules, view, case) for case in view.cases},
        acks=store.outbox_of_files(files) if files else [],
        sent=[(row, delivery(row, now)) for row in reversed(ours)],
        carried_by=store.files_with_interchange(reference))


STEPS = {"received": CaseState.RECEIVED, "closed": CaseState.CLOSED}
NOTE_MAX = 200


@blueprint.route("/cases/step", methods=["POST"])
def step() -> Response:
    """An operator records what no partner document proves: goods received, case closed."""
    reference = request.form.get("reference", "").strip()[:MAX_REFERENCE]
    chosen = request.form.get("state", "")
    action = f"case.{chosen if chosen in STEPS else 'unknown'}"
    require(Permission.DECIDE, action, reference)
    note = " ".join(request.form.get("note", "").split())[:NOTE_MAX]
    if chosen not in STEPS or not reference:
        flash("That form was not complete.", "bad")
        return redirect(url_for("cases.search", q=reference))
    context = console()
    try:
        done = record_case_step(outbound_context(context.config, context.store), reference,
                                STEPS[chosen], note=note or f"recorded by {person() or role()}",
                                now=context.now())
    except StepError as exc:
        audit(action, reference, AuditOutcome.FAILED, {"why": str(exc)})
        flash(f"Not recorded: {exc}", "bad")
        return redirect(url_for("cases.search", q=reference))
    if done.already:
        flash(f"Case {done.case_id} is already {chosen}.", "warn")
    else:
        audit(action, reference, AuditOutcome.DONE, {"case": done.case_id, "note": note})
        flash(f"Case {done.case_id}: {chosen}."
              + "".join(f" Status update to {u.partner}: {u.state}." for u in done.updates),
              "good")
    return redirect(url_for("cases.search", q=reference))
