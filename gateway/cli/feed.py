"""Handing the canonical returns to internal systems: ``gateway events`` (the feed, by cursor),
``gateway export`` (events or documents as JSON lines or CSV, streamed) and ``gateway
subscriptions`` (the webhook subscribers: where each stands, a delivery round, a replay)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time
from pathlib import Path
from typing import TextIO

from gateway.app.delivery import Subscription, deliver_round
from gateway.app.events import EVENT_TYPES
from gateway.app.export import (
    ExportFormat,
    ExportKind,
    ExportRequest,
    export_rows,
    export_text,
    json_line,
)
from gateway.app.wording import iso_or_none
from gateway.bootstrap import local_now, open_store, subscribers, webhook_sender
from gateway.cli import args as cli_args
from gateway.cli.catalog import summary
from gateway.config.settings import GatewayConfig, load_config
from gateway.text_safety import printable

EXAMPLES = """examples:
  gateway events                          # the first 100 events
  gateway events --after 1200 --type document.received --type file.rejected
  gateway export events --format jsonl --since 2026-12-01 > events.jsonl
  gateway export documents --format csv --partner northwind --output northwind.csv
  gateway export cases --format csv
  gateway export lines --format csv --since 2026-11-01 --output lines.csv
  gateway subscriptions status
  gateway subscriptions deliver wms
  gateway subscriptions replay wms --from 1200
"""
_FORMAT = argparse.RawDescriptionHelpFormatter
FEED_PAGE_MAX = 10_000


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    events = commands.add_parser(
        "events", help=summary("events"),
        description="Each event is one JSON line (schemas/event-1.2.json): a document stored "
        "or sent, a file finished, a partner's acknowledgement. Written in the transaction of "
        "what it describes; page on with --after the last cursor printed.",
        epilog=EXAMPLES, formatter_class=_FORMAT)
    events.add_argument("--after", type=cli_args.whole_number(0, 2**62), default=0,
                        metavar="CURSOR", help="only events after this cursor (default 0)")
    _filters(events)
    events.add_argument("--limit", type=cli_args.whole_number(1, FEED_PAGE_MAX), default=100,
                        help=f"at most this many (default 100, at most {FEED_PAGE_MAX})")
    events.set_defaults(run=_events)

    export = commands.add_parser(
        "export", help=summary("export"),
        description="Writes every matching row, oldest first, reading the store in batches: "
        "memory stays flat however many rows. CSV cells that a spreadsheet would run as a "
        "formula are written with a leading apostrophe.",
        epilog=EXAMPLES, formatter_class=_FORMAT)
    kinds = export.add_subparsers(dest="what", required=True, metavar="WHAT")
    for what, text in (("events", "the event feed, as `gateway events` prints it"),
                       ("documents", "every stored canonical document, with its JSON"),
                       ("cases", "every return case: state, decision, keys, partners, holds"),
                       ("lines", "every line of every return case: item, quantity, reasons, "
                        "disposition, serials, lots, recall holds")):
        one = kinds.add_parser(what, help=text, description=f"Export {text}.",
                               epilog=EXAMPLES, formatter_class=_FORMAT)
        one.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
        one.add_argument("--since", type=cli_args.day, default=None, metavar="YYYY-MM-DD",
                         help="only rows from this day on (local time)")
        if what == "events":
            _filters(one)
        else:
            one.add_argument("--partner", type=cli_args.partner_id, default=None)
        one.add_argument("--output", type=cli_args.path, default=None, metavar="FILE",
                         help="write here instead of standard output")
        one.set_defaults(run=_export)


    subs = commands.add_parser(
        "subscriptions", help=summary("subscriptions"),
        description="Subscribers are subscribers/<name>.yaml files; `gateway run` delivers to "
        "each on its own, at least once, in cursor order.",
        epilog=EXAMPLES, formatter_class=_FORMAT)
    actions = subs.add_subparsers(dest="action", required=True, metavar="ACTION")
    status = actions.add_parser(
        "status", help="where each subscriber stands: delivered cursor, lag, failures, "
        "dead letters", description="Each subscriber: the cursor delivered up to, how many "
        "of its events wait, its failures and last error, when it is tried again, and how "
        "many events it would not take (dead letters). Its secret is never shown.",
        epilog=EXAMPLES, formatter_class=_FORMAT)
    status.add_argument("--json", action="store_true")
    status.set_defaults(run=_status)
    deliver = actions.add_parser(
        "deliver", help="one delivery round now (all, or NAME)",
        description="What `gateway run` does on its own: send each subscriber (or NAME) the "
        "events it is owed, oldest first, until done or a failure. Exits 1 when a subscriber "
        "stopped on a failure (it is tried again after its back-off).",
        epilog=EXAMPLES, formatter_class=_FORMAT)
    deliver.add_argument("name", nargs="?", type=cli_args.partner_id, default=None,
                         metavar="NAME")
    deliver.set_defaults(run=_deliver)
    replay = actions.add_parser(
        "replay", help="deliver again from a cursor on (its dead letters from there too)",
        description="Moves NAME's delivered cursor back: every event from CURSOR on is sent "
        "again at the next round, dead letters included (receivers deduplicate on "
        "webhook-id).", epilog=EXAMPLES, formatter_class=_FORMAT)
    replay.add_argument("name", type=cli_args.partner_id, metavar="NAME")
    replay.add_argument("--from", dest="cursor", type=cli_args.whole_number(1, 2**62),
                        required=True, metavar="CURSOR")
    replay.set_defaults(run=_replay)


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--type", dest="types", action="append", choices=EVENT_TYPES,
                        default=None, metavar="TYPE",
                        help=f"only this type (repeatable): {', '.join(EVENT_TYPES)}")
    parser.add_argument("--partner", type=cli_args.partner_id, default=None)


def _events(args: argparse.Namespace) -> int:
    store = open_store(load_config(args.config))
    found = store.events_after(args.after, types=args.types or (),
                               partners=[args.partner] if args.partner else (),
                               limit=args.limit)
    for event in found:
        print(json_line(event.envelope()))
    if found:
        print(f"next: gateway events --after {found[-1].cursor}", file=sys.stderr)
    else:
        print(f"no events after {args.after} (newest: {store.last_event_cursor()})",
              file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    store = open_store(load_config(args.config))
    since = datetime.combine(args.since, time()).astimezone() if args.since else None
    request = ExportRequest(ExportKind(args.what), since=since, partner=args.partner,
                            types=tuple(getattr(args, "types", None) or ()))
    columns, rows = export_rows(store, request)
    written = 0
    with _opened(args.output) as out:
        for line in export_text(rows, ExportFormat(args.format), columns):
            out.write(line)
            written += 1
    if args.output is not None:
        rows_written = written - (args.format == "csv")  # the header is not a row
        print(f"{rows_written} {args.what} written to "
              f"{cli_args.printable(str(args.output))}", file=sys.stderr)
    return 0


def _status(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = open_store(config)
    found = []
    for subscription in subscribers(config).values():
        state = store.subscriber_state(subscription.name)
        found.append({
            "name": subscription.name, "url": subscription.url,
            "delivered_cursor": state.delivered_cursor,
            "lag": store.count_events_after(state.delivered_cursor,
                                            types=subscription.types,
                                            partners=subscription.partners),
            "failures": state.failures, "last_error": state.last_error,
            "next_attempt_at": iso_or_none(state.next_attempt_at),
            "last_delivered_at": iso_or_none(state.last_delivered_at),
            "dead_letters": state.dead_letters})
    if args.json:
        cli_args.print_json(found)
        return 0
    if not found:
        print(f"no subscribers: add a file to {config.paths['subscribers']}/")
    for row in found:
        print(printable(f"{row['name']}: delivered to #{row['delivered_cursor']}, "
                        f"{row['lag']} waiting, {row['failures']} failures, "
                        f"{row['dead_letters']} dead letters -> {row['url']}"))
        if row["last_error"]:
            print(printable(f"  last error: {row['last_error']}"))
    return 0


def _deliver(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    chosen = _chosen(config, args.name)
    if chosen is None:
        return 2
    store, sender = open_store(config), webhook_sender()
    stopped = False
    for subscription in chosen:
        report = deliver_round(subscription, store, sender, clock=local_now)
        print(printable(report.line()))
        stopped = stopped or report.failed is not None
    return 1 if stopped else 0


def _replay(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if _chosen(config, args.name) is None:
        return 2
    open_store(config).rewind_subscriber(args.name, args.cursor)
    print(f"{args.name}: delivered again from event #{args.cursor} at the next round "
          f"(gateway run, or gateway subscriptions deliver {args.name})")
    return 0


def _chosen(config: GatewayConfig, name: str | None) -> list[Subscription] | None:
    known = subscribers(config)
    if name is None:
        return list(known.values())
    if name not in known:
        print(f"gateway: there is no subscriber {name!r} in {config.paths['subscribers']}/ "
              f"(known: {', '.join(known) or 'none'})", file=sys.stderr)
        return None
    return [known[name]]


@contextmanager
def _opened(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    with path.open("w", encoding="utf-8", newline="") as out:
        yield out
