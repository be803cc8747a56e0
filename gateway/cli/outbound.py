"""Commands of the outbound half: ``gateway rma``, ``gateway acks``, ``gateway recall status``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

from gateway.app.access import AuditOutcome
from gateway.app.cases import cases_for
from gateway.app.outbound.decisions import operator_decide
from gateway.app.outbound.recalls import effectiveness, latest_notices
from gateway.app.outbound.status import queue_status_updates
from gateway.app.outbound.steps import StepError, record_case_step
from gateway.app.ports import OutboundRow, RecallRecipient
from gateway.app.wording import OUR_PURPOSES, terminal_delivery
from gateway.bootstrap import open_store, outbound_context
from gateway.cli import args as cli_args
from gateway.cli.access import audit_cli
from gateway.cli.catalog import summary
from gateway.cli.dispositions import add_disposition_commands
from gateway.config.settings import load_config
from gateway.domain.matching import AmbiguousReference, one_case
from gateway.domain.rma_policy import DecisionError, Verdict
from gateway.model.states import CaseState
from gateway.text_safety import printable

EXAMPLES = """examples:
  gateway rma authorize NW-RQ-1001
  gateway rma deny NW-RQ-1001 --lines 2 --reason OS
  gateway rma receive NW0000001 --note "2 units, 1 carton crushed"
  gateway rma close NW0000001
  gateway rma dispose NW0000001 --line 1 --outcome restock --quantity 2 --value 25.00
  gateway rma dispose NW0000001 --line 1 --outcome restock --quantity 0   # withdraw it
  gateway rma dispositions NW0000001 --history
  gateway acks --overdue
  gateway acks --partner northwind --json
  gateway recall status RCL-2026-0042
"""
_FORMAT = argparse.RawDescriptionHelpFormatter
REASON_MAX = 40  # an X12 1294 code is 2 or 3; a longer try is told the codes by the decision
NOTE_MAX = 500


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rma = commands.add_parser(
        "rma", help=summary("rma"),
        description="authorize / deny answer a retailer's 180 request (all lines, or --lines) "
        "with a 180 authorization; receive / close record steps no partner document proves; "
        "dispose records what became of a received line (dispositions lists them). "
        "Each queues the status updates the partners of the case subscribe to.",
        epilog=EXAMPLES, formatter_class=_FORMAT)
    actions = rma.add_subparsers(dest="action", required=True, metavar="ACTION")
    for verb, text in (("authorize", "authorize the request's lines (all, or --lines)"),
                       ("deny", "deny the request's lines (all, or --lines), with --reason")):
        decide = actions.add_parser(
            verb, help=text, description=f"A person's decision: {text}. It is stored as our "
            "180 answer, queued to the retailer, and the case's subscribers are told.",
            epilog=EXAMPLES, formatter_class=_FORMAT)
        decide.add_argument("reference", type=cli_args.case_or_file, metavar="REF",
                            help="the request's BGN02 or its RMA, or a PO or other case "
                            "reference that picks one case (several: refused, with each "
                            "candidate's request id and RMA)")
        decide.add_argument("--lines", type=cli_args.line_numbers, default=None,
                            metavar="1,2", help="line numbers (default: every line)")
        decide.add_argument("--reason", type=cli_args.short_text(REASON_MAX), default=None,
                            metavar="CODE",
                            help="X12 1294 response reason (e.g. OS out of season)")
        decide.set_defaults(run=_decide, verdict=Verdict(verb))
    for verb, state in (("receive", CaseState.RECEIVED), ("close", CaseState.CLOSED)):
        step = actions.add_parser(verb, help=f"record that the case is {state.value}",
                                  description=f"Records that the return case REF is "
                                  f"{state.value} (a step no partner document proves) and "
                                  "queues the status updates its partners subscribe to.",
                                  epilog=EXAMPLES, formatter_class=_FORMAT)
        step.add_argument("reference", type=cli_args.case_or_file, metavar="REF",
                          help="the case's request id or RMA, or a PO or other reference "
                          "that picks one case")
        step.add_argument("--note", type=cli_args.short_text(NOTE_MAX), default=None,
                          help=f"what a person wants on the timeline (one line, at most "
                          f"{NOTE_MAX} characters)")
        step.set_defaults(run=_step, state=state)
    add_disposition_commands(actions)

    acks = commands.add_parser(
        "acks", help=summary("acks"),
        description="Each document we sent on our own account (RMA answers, status updates, "
        "recall notifications) with its acknowledgement state: expected, accepted, "
        "accepted-with-errors, partially-accepted, rejected, or overdue under the partner's "
        "SLA (x12.acks.expect_within). Held documents failed our own validation and were "
        "never sent. Exit 1 when --overdue finds any.", epilog=EXAMPLES,
        formatter_class=_FORMAT)
    acks.add_argument("--overdue", action="store_true", help="only overdue acknowledgements")
    acks.add_argument("--held", action="store_true", help="only documents held as invalid")
    acks.add_argument("--partner", type=cli_args.partner_id, default=None)
    acks.add_argument("--limit", type=cli_args.row_limit, default=100,
                      help="how many documents at most (default 100; 1 to 100000)")
    acks.add_argument("--json", action="store_true", help="machine-readable output")
    acks.set_defaults(run=_acks)

    recall = commands.add_parser("recall", help=summary("recall"),
                                 description="Recall notices come in as XML from recall "
                                 "coordinators and are forwarded to affected partners.",
                                 epilog=EXAMPLES, formatter_class=_FORMAT)
    recall_actions = recall.add_subparsers(dest="action", required=True, metavar="ACTION")
    status = recall_actions.add_parser(
        "status", help="who was notified, who answered, units found and returned",
        description="The effectiveness of a recall: each recipient, whether our notification "
        "was delivered and answered, and the units found and returned.",
        epilog=EXAMPLES, formatter_class=_FORMAT)
    status.add_argument("notice", type=cli_args.reference, metavar="NOTICE_ID")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(run=_recall_status)


def _now() -> datetime:
    return datetime.now().astimezone()


# --- rma -----------------------------------------------------------------------------------
def _decide(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = open_store(config)
    context = outbound_context(config, store)
    action = f"decision.{args.verdict.value}"
    try:
        answer = operator_decide(context, args.reference, args.verdict, lines=args.lines,
                                 reason=args.reason, now=_now())
    except DecisionError as exc:
        audit_cli(store, action, args.reference, _now(), {"why": str(exc)},
                  outcome=AuditOutcome.FAILED)
        print(f"gateway: {printable(str(exc))}", file=sys.stderr)  # it may quote references
        return 1
    audit_cli(store, action, answer.request, _now(), {
        "request": answer.request, "partner": answer.partner, "rma": answer.rma_number,
        "outcome": answer.outcome, "lines": args.lines, "reason": args.reason,
        "queued": answer.queued})
    print(printable(f"request {answer.request} ({answer.partner}): {answer.outcome}, "
                    f"answered under RMA {answer.rma_number}"
                    + ("" if answer.queued else " (already queued)")))
    for line in answer.lines:
        print(printable(f"  line {line.line_number}: {line.verdict.value} "
                        f"({line.disposition_code}"
                        + (f", reason {line.response_reason_code}"
                           if line.response_reason_code else "") + f") {line.why}"))
    for update in queue_status_updates(context, [answer.request], _now()):
        print(f"status update queued for {update.partner}: {update.state}")
    return 0


def _step(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = open_store(config)
    note = args.note or f"recorded by an operator ({args.state.value})"
    try:  # a PO several returns share: say which cases, so the person can name one
        one_case(cases_for(store, args.reference).cases, args.reference)
    except AmbiguousReference as exc:
        print(f"gateway: {printable(str(exc))}", file=sys.stderr)
        return 1
    try:
        step = record_case_step(outbound_context(config, store), args.reference, args.state,
                                note=note, now=_now())
    except StepError as exc:
        print(f"gateway: {printable(str(exc))}", file=sys.stderr)  # it may quote references
        return 1
    if not step.already:
        audit_cli(store, f"case.{args.state.value}", args.reference, step.at,
                  {"case": step.case_id, "note": args.note})
    if step.already:
        print(printable(f"case {step.case_id} is already {args.state.value}"))
        return 0
    print(printable(f"case {step.case_id}: {args.state.value} at {step.at:%Y-%m-%d %H:%M%z}"))
    for update in step.updates:
        print(f"status update queued for {update.partner}: {update.state}")
    return 0


# --- acks ----------------------------------------------------------------------------------
def _acks(args: argparse.Namespace) -> int:
    store = open_store(load_config(args.config))
    now = _now()
    rows = store.outbound(partner=args.partner, overdue_at=now if args.overdue else None,
                          held=args.held, limit=args.limit,
                          purposes=OUR_PURPOSES)
    if args.json:
        print(json.dumps([_row_json(row, now) for row in rows], indent=2))
    elif not rows:
        print("nothing overdue" if args.overdue else "nothing sent yet")
    for row in rows if not args.json else []:
        print(printable(f"#{row.id:<5} {row.created_at:%Y-%m-%d %H:%M}  {row.partner:<14} "
                        f"{row.kind:<20} {row.control_number:<16} {row.purpose:<20} "
                        f"{row.subject or '-':<16} {terminal_delivery(row, now)}"))
        if row.reason:
            print(f"       {printable(row.reason)}")
    return 1 if args.overdue and rows else 0


def _row_json(row: OutboundRow, now: datetime) -> dict[str, Any]:
    overdue = row.ack_state == "expected" and row.ack_due is not None and row.ack_due < now
    return {"id": row.id, "partner": row.partner, "kind": row.kind,
            "control_number": row.control_number, "purpose": row.purpose,
            "subject": row.subject, "state": row.state, "reason": row.reason,
            "created_at": row.created_at.isoformat(),
            "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            "ack_state": "overdue" if overdue else row.ack_state,
            "ack_due": row.ack_due.isoformat() if row.ack_due else None,
            "ack_at": row.ack_at.isoformat() if row.ack_at else None,
            "ack_detail": row.ack_detail}


# --- recall status -------------------------------------------------------------------------
def _recall_status(args: argparse.Namespace) -> int:
    store = open_store(load_config(args.config))
    notices = {n.notice_id: n for n in latest_notices(store.documents_of_kind("recall-notice"))}
    recipients = store.recall_recipients_of(args.notice)
    if args.notice not in notices and not recipients:
        print(f"gateway: no recall notice {args.notice!r} is known", file=sys.stderr)
        return 1
    report = effectiveness(recipients)
    if args.json:
        print(json.dumps({"notice": args.notice, **report.as_json(),
                          "recipients": [_recipient_json(r) for r in recipients]}, indent=2))
        return 0
    notice = notices.get(args.notice)
    print(printable(f"recall {args.notice}"
                    + (f": {notice.title}" if notice and notice.title else "")))
    print(f"  recipients: {report.recipients}, delivered: {report.delivered}, "
          f"responded: {report.responded} ({report.response_rate})")
    print(f"  affected units in their documents: {report.affected_units}; "
          f"found: {report.units_found}; returned: {report.units_returned}")
    for r in recipients:  # the response status and counts are the recipient's words
        print(printable(f"  {r.partner:<16} notification {r.notification_id}: "
              + ("delivered " + f"{r.delivered_at:%Y-%m-%d %H:%M}" if r.delivered_at
                 else "not delivered yet")
              + (f"; answered {r.response_status} {r.responded_at:%Y-%m-%d %H:%M}"
                 f" (found {r.units_found or '-'}, returned {r.units_returned or '-'})"
                 if r.responded_at else "; NO ANSWER YET")))
    if not recipients:
        print("  no partner's documents carry an affected product (yet)")
    return 0


def _recipient_json(r: RecallRecipient) -> dict[str, Any]:
    return {"partner": r.partner, "notification_id": r.notification_id,
            "notified_at": r.notified_at.isoformat(),
            "delivered_at": r.delivered_at.isoformat() if r.delivered_at else None,
            "affected_units": r.affected_units, "affected_items": json.loads(r.affected_items),
            "responded_at": r.responded_at.isoformat() if r.responded_at else None,
            "response_status": r.response_status, "units_found": r.units_found,
            "units_returned": r.units_returned, "note": r.response_note}

