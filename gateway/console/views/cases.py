"""A return case, found by any of its references (RMA, PO, request id, BOL, PRO...)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from gateway.app.access import AuditOutcome, audit_json
from gateway.app.cases import cases_for
from gateway.app.dispositions import DispositionOrder, dispositions_of
from gateway.app.outbound.steps import StepError, record_case_step
from gateway.app.people import Permission
from gateway.app.programs import programs_of
from gateway.app.receipts import receipts_json
from gateway.app.wording import OUR_PURPOSES, delivery
from gateway.bootstrap import outbound_context
from gateway.config.programs import load_program_rules
from gateway.domain.dispositions import (
    DispositionError,
    parse_amount,
    parse_currency,
    parse_outcome,
)
from gateway.model.states import CaseState

from .. import actions
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
        dispositions={case.case_id: dispositions_of(view, case) for case in view.cases},
        receipts={case.case_id: receipts_json(case) for case in view.cases},
        acks=store.outbox_of_files(files) if files else [],
        sent=[(row, delivery(row, now)) for row in reversed(ours)],
        carried_by=store.files_with_interchange(reference))


STEPS = {"received": CaseState.RECEIVED, "closed": CaseState.CLOSED}
NOTE_MAX = 200
LINE_MAX = 999_999  # X12 line numbers have six digits


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


@blueprint.route("/cases/dispose", methods=["POST"])
def dispose() -> Response:
    """An operator records what became of a received line's units (`gateway rma dispose`)."""
    reference = request.form.get("reference", "").strip()[:MAX_REFERENCE]
    require(Permission.DECIDE, actions.DISPOSITION_ACTION, reference)
    # Back to the page the form was on (the reference it was found by), else the case's own.
    back = url_for("cases.search",
                   q=request.form.get("back", "").strip()[:MAX_REFERENCE] or reference)
    try:
        if not reference:
            raise DispositionError("That form was not complete.")
        done = actions.dispose(console(), reference, _disposition_order())
    except DispositionError as exc:
        audit(actions.DISPOSITION_ACTION, reference, AuditOutcome.FAILED, {"why": str(exc)})
        flash(f"Not recorded: {exc}", "bad")
        return redirect(back)
    said = done.disposition
    flash(f"Case {done.case_id}, line {said.line_number}: {said.outcome.value} "
          f"{said.quantity}" + (f" ({said.value})" if said.value else "")
          + (" withdrawn." if said.quantity == 0 else " recorded.")
          + (" Every line is dispositioned: the case is closed." if done.closed else "")
          + "".join(f" Status update to {u.partner}: {u.state}."
                    for u in (done.closed.updates if done.closed else ())), "good")
    return redirect(back)


def _disposition_order() -> DispositionOrder:
    """The disposition form's fields; a wrong one raises DispositionError, said to the
    person (a hand-made POST gets the same words as the CLI)."""
    form = request.form
    line = form.get("line", "").strip()
    if not line.isdigit() or not 1 <= int(line) <= LINE_MAX:
        raise DispositionError(f"{line[:20]!r} is not a line number")
    quantity, value = form.get("quantity", "").strip(), form.get("value", "").strip()
    currency = form.get("currency", "").strip()
    return DispositionOrder(
        int(line), parse_outcome(form.get("outcome", "")[:40]),
        parse_amount(quantity[:40], "the quantity") if quantity else None,
        parse_amount(value[:40], "the value") if value else None,
        parse_currency(currency[:10]) if currency else None,
        " ".join(form.get("note", "").split())[:NOTE_MAX])
