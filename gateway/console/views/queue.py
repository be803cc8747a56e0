"""The decision queue: return request lines waiting for a person, and deciding them.

Operators and admins authorize or deny one line, several, or the whole request; the 180
answer is stored and queued exactly as `gateway rma authorize|deny` does it (once: a repeated
form is the same answer, not a second one), the case's subscribers are told, and the decision
is in the audit log under the person's name, which the queue and the case page show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from gateway.app.access import AuditOutcome, audit_json
from gateway.app.outbound.pending import PendingRequest, pending_queue
from gateway.app.people import Permission
from gateway.domain.rma_policy import RESPONSE_REASONS, DecisionError, Verdict

from .. import actions
from ..auth import audit, require
from ..context import console

blueprint = Blueprint("queue", __name__)
RECENT = 20  # decisions shown under the queue
MAX_REQUEST_ID = 80
VERDICTS = {"authorize": Verdict.AUTHORIZE, "deny": Verdict.DENY}
# How the queue may be ordered: (key, newest or largest first). Oldest first by default.
ORDERS: dict[str, tuple[Callable[[PendingRequest], Any], bool]] = {
    "oldest": (lambda r: r.received_at, False),
    "newest": (lambda r: r.received_at, True),
    "partner": (lambda r: (r.partner, r.received_at), False),
    "value": (lambda r: sum(line.value or 0 for line in r.lines), True),
}


@blueprint.route("/queue")
def index() -> str:
    store = console().store
    queue = pending_queue(store)
    order = request.args.get("order", "oldest")
    requests = list(queue.requests)
    if order in ORDERS:
        requests.sort(key=ORDERS[order][0], reverse=ORDERS[order][1])
    recent = [audit_json(r) for r in store.audit_log().entries(
        before=2**62, limit=RECENT, action_prefix="decision.")]
    return render_template("queue.html", queue=queue, requests=requests, recent=recent,
                           reasons=sorted(RESPONSE_REASONS.items()), order=order,
                           orders=ORDERS)


@blueprint.route("/queue/decide", methods=["POST"])
def decide() -> Response:
    request_id = request.form.get("request", "").strip()[:MAX_REQUEST_ID]
    verb = request.form.get("verdict", "")
    action = f"decision.{verb if verb in VERDICTS else 'unknown'}"
    require(Permission.DECIDE, action, request_id)
    lines = _lines(request.form.getlist("lines"))
    reason = request.form.get("reason", "").strip() or None
    if verb not in VERDICTS or not request_id or lines == []:
        flash("That decision form was not complete: choose authorize or deny.", "bad")
        return redirect(url_for("queue.index"))
    try:
        answer, updates = actions.decide(console(), request_id, VERDICTS[verb], lines=lines,
                                         reason=reason if verb == "deny" else None)
    except DecisionError as exc:
        audit(action, request_id, AuditOutcome.FAILED, {"why": str(exc)})
        flash(f"Request {request_id} was not decided: {exc}", "bad")
        return redirect(url_for("queue.index"))
    audit(action, answer.request, AuditOutcome.DONE,
          actions.decision_detail(answer, lines, reason))
    chosen = "every line" if lines is None else \
        "line" + ("s " if len(lines) > 1 else " ") + ", ".join(map(str, lines))
    flash(f"Request {answer.request} ({answer.partner}): {verb} {chosen}; now "
          f"{answer.outcome}, answered under RMA {answer.rma_number}"
          + ("" if answer.queued else " (the same answer was already queued)")
          + "".join(f"; status update to {u.partner}: {u.state}" for u in updates) + ".",
          "good")
    return redirect(url_for("queue.index"))


def _lines(chosen: list[str]) -> list[int] | None:
    """The line numbers ticked; None (the whole request) when none is; [] when one is not a
    line number at all (a forged form)."""
    if not chosen:
        return None
    if not all(c.isascii() and c.isdigit() and 0 < len(c) <= 6 for c in chosen):
        return []
    return sorted({int(c) for c in chosen})
