"""``gateway receiving``: what each return centre should expect, day by day."""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date, datetime
from decimal import Decimal

from gateway.app.export import csv_cell
from gateway.app.receiving import LOOKBACK_DAYS, receiving_schedule_of
from gateway.app.receiving_report import CSV_COLUMNS, schedule_json, schedule_rows
from gateway.bootstrap import local_now, open_store
from gateway.cli import args as cli_args
from gateway.cli.args import print_json, printable
from gateway.cli.catalog import summary
from gateway.config.settings import load_config
from gateway.domain.receiving import (
    DAYS_AFTER,
    DAYS_BACK,
    AuthorizedReturn,
    CentreSchedule,
    ScheduledShipment,
    Totals,
    Window,
    window_between,
)

EXAMPLES = """examples:
  gateway receiving                               # every centre, a week back, three ahead
  gateway receiving --centre RC01 --from 2026-02-02 --to 2026-02-08
  gateway receiving --format csv > receiving.csv  # one row a shipment or authorized return
  gateway receiving --format json                 # the shape README.md documents
"""
MAX_CENTRE_ID = 80  # a raw ship-to (N103:N104) may be longer than a configured id
EXIT_BAD_WINDOW = 2  # a usage error, as argparse's


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser(
        "receiving", help=summary("receiving"),
        description="Per return centre (return_centres in config.yaml; a ship-to no centre "
        "claims is listed under its raw id), per day: the shipments expected, with their "
        "RMAs, carrier, cartons and units, by the latest estimate a carrier's 214 gave (AT7 "
        "AG / X2, G62 17 / 70 / 78), else the 856's DTM*017 / 067. A shipment expected before "
        "today that has not been delivered is late; late ones from before --from are listed "
        "as overdue; shipments with no estimate and returns authorized but not shipped are "
        f"listed too. Cases are read from the documents of the {LOOKBACK_DAYS} days before "
        "--from on.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    command.add_argument("--centre", type=cli_args.short_text(MAX_CENTRE_ID), default=None,
                         metavar="ID", help="one centre: its id in config.yaml, or a raw "
                         "ship-to as listed (92:RC01)")
    command.add_argument("--from", dest="first", type=cli_args.day, default=None,
                         metavar="YYYY-MM-DD", help=f"first day (default: {DAYS_AFTER} days "
                         f"before --to, else {DAYS_BACK} days ago)")
    command.add_argument("--to", dest="last", type=cli_args.day, default=None,
                         metavar="YYYY-MM-DD",
                         help=f"last day, included (default: {DAYS_AFTER} days after --from)")
    command.add_argument("--format", choices=("text", "csv", "json"), default="text")
    command.set_defaults(run=_receiving)


def _receiving(args: argparse.Namespace) -> int:
    now = local_now()
    window = window_between(args.first, args.last, now.date())
    if window.last < window.first:  # a typo, surely: said as argparse says a bad argument
        print(f"gateway receiving: --to {window.last} is before --from {window.first} (see "
              "gateway receiving --help)", file=sys.stderr)
        return EXIT_BAD_WINDOW
    config = load_config(args.config)
    store = open_store(config)
    try:
        schedules = receiving_schedule_of(store, config.return_centres, window, now,
                                          centre=args.centre)
    finally:
        store.close()
    if args.format == "json":
        print_json(schedule_json(schedules, window, now))
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({key: csv_cell(value) for key, value in row.items()}
                         for row in schedule_rows(schedules))
    else:
        _text(schedules, window, now, args.centre)
    return 0


# --- text ---------------------------------------------------------------------------------------
def _text(schedules: tuple[CentreSchedule, ...], window: Window, now: datetime,
          centre: str | None) -> None:
    print(f"Receiving schedule {window.first} to {window.last} (as of "
          f"{now:%Y-%m-%d %H:%M %z})")
    if not schedules:
        print(printable(f"no return centre {centre}: none configured by that id, and nothing "
                        "on its way to a ship-to of that id") if centre else
              "no return centres configured (return_centres in config.yaml), and nothing "
              "on its way")
    for schedule in schedules:
        print()
        for line in _centre_lines(schedule):
            print(printable(line))


def _centre_lines(schedule: CentreSchedule) -> list[str]:
    dock = schedule.dock
    where = (f"{dock.zone_name or 'days as the partners wrote them'}; today {schedule.today}"
             if dock.configured else "not a configured centre: add it to return_centres "
             "in config.yaml")
    authorized = (f"; authorized, not shipped: {_count(len(schedule.authorized), 'return')}, "
                  f"{_units(schedule.authorized_units)}" if schedule.authorized else "")
    lines = [f"{dock.centre_id}  {dock.name}  ({where})",
             f"  {_totals(schedule.totals)}{authorized}"]
    if schedule.overdue:
        lines += ["  overdue (late, expected before this schedule)",
                  *(_shipment(s) for s in schedule.overdue)]
    for day in schedule.days:
        lines += [f"  {day.day} {day.day:%a}  {_totals(day.totals)}",
                  *(_shipment(s) for s in day.shipments)]
    if schedule.no_estimate:
        lines += ["  no estimate yet", *(_shipment(s) for s in schedule.no_estimate)]
    if schedule.authorized:
        lines += ["  authorized, not shipped", *(_authorized(a) for a in schedule.authorized)]
    if not (schedule.days or schedule.overdue or schedule.no_estimate or schedule.authorized):
        lines.append("  nothing expected")
    return lines


def _totals(totals: Totals) -> str:
    late = f"; {totals.late} late" if totals.late else ""
    return (f"{_count(totals.shipments, 'shipment')}, {_count(totals.cartons, 'carton')}, "
            f"{_count(totals.pallets, 'pallet')}, {_units(totals.units)}{late}")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _units(units: Decimal) -> str:
    return f"{units} unit{'' if units == 1 else 's'}"


def _shipment(scheduled: ScheduledShipment) -> str:
    shipment, estimate = scheduled.shipment, scheduled.estimate
    carrier = " ".join(filter(None, (shipment.scac, shipment.pro_number and
                                     f"PRO {shipment.pro_number}")))
    said = (f"{estimate.source} said {estimate.said_at:%Y-%m-%d %H:%M}" if estimate
            else "no estimate")
    moved = f", was {_short(scheduled.previous_day)}" if scheduled.previous_day else ""
    late = f" LATE {scheduled.days_late}d" if scheduled.late else ""
    exception = f"; {shipment.exception}" if shipment.exception else ""
    return (f"    {shipment.shipment_id or '(no 856 yet)':<18} "
            f"{' '.join(shipment.rmas) or '-':<14} {carrier or '-':<22} "
            f"{shipment.cartons:>3} ctn {shipment.units:>6} units  "
            f"{shipment.status.value}{late}  [{said}{moved}]{exception}")


def _authorized(item: AuthorizedReturn) -> str:
    expires = f", expires {item.expires_on}" if item.expires_on else ""
    return (f"    {' '.join(item.rmas) or item.case_id:<18} {item.partner:<14} "
            f"{item.status.value}: {_count(item.lines, 'line')}, {_units(item.units)}{expires}")


def _short(day: date | None) -> str:
    return f"{day:%m-%d}" if day else "-"
