"""``gateway rma dispose`` and ``gateway rma dispositions``: what became of a received return's
lines (gateway.app.dispositions), registered under ``gateway rma`` by gateway.cli.outbound."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from gateway.app.access import AuditOutcome
from gateway.app.dispositions import (
    AUDIT_ACTION,
    CLOSING_NOTE,
    CaseDispositions,
    DispositionOrder,
    RecordedDisposition,
    audit_detail,
    dispositions_json,
    dispositions_named,
    record_disposition,
)
from gateway.app.ports import GatewayStore
from gateway.bootstrap import open_store, outbound_context
from gateway.cli import args as cli_args
from gateway.cli.access import audit_cli
from gateway.config.settings import load_config
from gateway.domain.dispositions import (
    NOTE_MAX,
    DispositionError,
    LineDisposition,
    Outcome,
    parse_amount,
    parse_currency,
    parse_outcome,
)
from gateway.text_safety import printable, printable_lines

DISPOSITION_EXAMPLES = """examples:
  gateway rma dispose NW0000001 --line 1 --outcome restock
  gateway rma dispose NW0000001 --line 2 --outcome liquidate --quantity 3 --value 42.00
  gateway rma dispose NW0000001 --line 2 --outcome recycle --quantity 1 --note "cracked"
  gateway rma dispose NW0000001 --line 2 --outcome liquidate --quantity 0   # withdraw it
  gateway rma dispositions NW0000001 --history

Outcomes: restock, refurbish, recycle, liquidate, donate, return-to-vendor, destroy. Only a
received case takes them; a line on recall hold is never restocked, liquidated or donated.
Recording a line's outcome again replaces it (the history keeps both). When every line has
outcomes for all its units, the case is closed and its partners told.
"""
_FORMAT = argparse.RawDescriptionHelpFormatter


def add_disposition_commands(
        actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dispose = actions.add_parser(
        "dispose", help="record what became of a received line's units",
        description="Records the outcome of units of one line of the received return case "
        "REF (default: every unit of it still without an outcome), with the value recovered "
        "for them when known. The case closes when every line is dispositioned.",
        epilog=DISPOSITION_EXAMPLES, formatter_class=_FORMAT)
    dispose.add_argument("reference", type=cli_args.case_or_file, metavar="REF",
                         help="the case's request id, RMA or case id, or a reference that "
                         "picks one case")
    dispose.add_argument("--line", type=_line_number, required=True, metavar="N",
                         help="the return line's number (the 180's)")
    dispose.add_argument("--outcome", type=_checked(parse_outcome), required=True,
                         metavar="OUTCOME", help=", ".join(o.value for o in Outcome))
    dispose.add_argument("--quantity", type=_amount("the quantity"), default=None,
                         metavar="Q", help="units (default: those still without an "
                         "outcome); 0 withdraws this outcome from the line")
    dispose.add_argument("--value", type=_amount("the value"), default=None, metavar="AMOUNT",
                         help="recovered for these units altogether, e.g. 12.50")
    dispose.add_argument("--currency", type=_checked(parse_currency), default=None,
                         metavar="CODE", help="ISO 4217 (default: the line's price "
                         "currency, else USD)")
    dispose.add_argument("--note", type=cli_args.short_text(NOTE_MAX), default=None,
                         help=f"one line, at most {NOTE_MAX} characters")
    dispose.add_argument("--format", choices=("text", "json"), default="text")
    dispose.set_defaults(run=_dispose)
    listing = actions.add_parser(
        "dispositions", help="what became of each line of a return case",
        description="Each line of the cases REF picks: its units, the outcomes that stand, "
        "the units left and the value recovered; --history adds every record, oldest first.",
        epilog=DISPOSITION_EXAMPLES, formatter_class=_FORMAT)
    listing.add_argument("reference", type=cli_args.case_or_file, metavar="REF")
    listing.add_argument("--history", action="store_true", help="every record, oldest first")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(run=_dispositions)


_T = TypeVar("_T")


def _checked(parse: Callable[[str], _T]) -> Callable[[str], _T]:
    """``parse`` as an argparse type: its DispositionError is a usage error."""
    def checked(text: str) -> _T:
        try:
            return parse(text)
        except DispositionError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return checked


def _amount(what: str) -> Callable[[str], Decimal]:
    return _checked(lambda text: parse_amount(text, what))


def _line_number(text: str) -> int:
    numbers = cli_args.line_numbers(text)
    if len(numbers) != 1:
        raise argparse.ArgumentTypeError(f"{text!r}: one line number, like 2")
    return numbers[0]


def _cli_actor() -> str:
    """Who records, as the audit log names a command-line user (cli:USER)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container's numeric user)
        return "cli:unknown"


def _dispose(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = open_store(config)
    order = DispositionOrder(args.line, args.outcome, args.quantity, args.value, args.currency,
                             args.note or "")
    try:
        done = record_disposition(outbound_context(config, store), args.reference, order,
                                  by=_cli_actor(), now=_now())
    except DispositionError as exc:
        audit_cli(store, AUDIT_ACTION, args.reference, _now(),
                  {"why": str(exc), "line": args.line, "outcome": args.outcome.value},
                  outcome=AuditOutcome.FAILED)
        print(f"gateway: {printable(str(exc))}", file=sys.stderr)  # it may quote references
        return 1
    _audit_disposition(store, done)
    if args.format == "json":
        print(json.dumps({**audit_detail(done), "not_closed": done.not_closed,
                          "status_updates": [f"{u.partner}: {u.state}" for u in
                                             (done.closed.updates if done.closed else ())]},
                         indent=2))
        return 0
    _print_recorded(done)
    return 0


def _audit_disposition(store: GatewayStore, done: RecordedDisposition) -> None:
    at = done.disposition.recorded_at
    audit_cli(store, AUDIT_ACTION, done.case_id, at, audit_detail(done))
    if done.closed is not None and not done.closed.already:
        audit_cli(store, "case.closed", done.case_id, at,
                  {"case": done.case_id, "note": CLOSING_NOTE})


def _print_recorded(done: RecordedDisposition) -> None:
    d = done.disposition
    verb = "withdrawn" if d.quantity == 0 else "recorded"
    print(printable(f"case {done.case_id} line {d.line_number}: {_said(d)} {verb}"
                    + (f" (was {_said(done.replaced)})" if done.replaced else "")))
    line = next(line for line in done.now.lines if line.number == d.line_number)
    print(f"  line {line.number}: {line.dispositioned} of {line.units} units dispositioned")
    if done.closed is not None:
        print(printable(f"case {done.case_id}: closed ({CLOSING_NOTE})"))
        for update in done.closed.updates:
            print(f"status update queued for {update.partner}: {update.state}")
    if done.not_closed:
        print(printable(f"case {done.case_id} is not closed: {done.not_closed}"))


def _said(d: LineDisposition) -> str:
    """``restock 2 (25.00 USD)``: an outcome, its units and its value."""
    return (f"{d.outcome.value} {d.quantity}" + (f" ({d.value})" if d.value else ""))


def _dispositions(args: argparse.Namespace) -> int:
    store = open_store(load_config(args.config))
    found = dispositions_named(store, args.reference)
    if not found:
        print(f"gateway: {printable(repr(args.reference))} names no return case",
              file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps([dispositions_json(case) for case in found], indent=2))
        return 0
    for case in found:
        print(dispositions_text(case, history=args.history))
    return 0


def dispositions_text(case: CaseDispositions, *, history: bool = False,
                      indent: str = "") -> str:
    """A case's dispositions as `gateway rma dispositions` and `gateway show` print them."""
    recovered = ", ".join(f"{amount} {currency}" for currency, amount in case.recovered.items())
    lines = [f"case {case.case_id} ({case.state.value}): {case.dispositioned} of "
             f"{case.units} units dispositioned"
             + (f"; recovered {recovered}" if recovered else "")]
    for line in case.lines:
        lines.append(f"  line {line.number}: {line.units} units"
                     + ("" if line.expected else " (denied: not expected back)")
                     + "".join(f", on recall hold {hold.notice_id}" for hold in line.line.holds)
                     + (f", {line.left} left" if line.left else ""))
        lines += [f"    {_said(d)}  {d.recorded_by} {d.recorded_at:%Y-%m-%d %H:%M%z}"
                  + (f"  {d.note}" if d.note else "") for d in line.dispositions]
    lines += [f"  RECALLED, YET {_said(d).upper()} on line {d.line_number}: get those units "
              "back" for d in case.recalled_in_use]
    if history:
        lines.append("  history (oldest first):")
        lines += [f"    {d.recorded_at:%Y-%m-%d %H:%M%z}  line {d.line_number}  {_said(d)}  "
                  f"{d.recorded_by}" + (f"  {d.note}" if d.note else "") for d in case.history]
    # Notes and references are people's and partners' text.
    return printable_lines([indent + line for line in lines])


def _now() -> datetime:
    return datetime.now().astimezone()
