"""``gateway db upgrade``, ``gateway ingest`` and ``gateway files``: the gateway that remembers."""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from gateway.app.cases import CaseView, cases_for
from gateway.app.dispositions import dispositions_json, dispositions_of
from gateway.app.ingest import (
    HELD_WHOLE_BYTES,
    IngestResult,
    IngestSettings,
    Ports,
    ingest,
    ingest_kept,
    kept_contents,
    preview_replay,
)
from gateway.app.outbound.react import react_to_file
from gateway.app.poll import refuse_unread
from gateway.app.ports import (
    Archive,
    FileSummary,
    FileTooLarge,
    FindingRow,
    GatewayStore,
    KeptFile,
    OutboundRow,
    OutboxItem,
    RemoteFile,
    StoredDocument,
    StoredFile,
    copy_within,
)
from gateway.app.programs import CasePrograms, programs_json, programs_of
from gateway.app.receipts import receipt_text, receipts_json
from gateway.app.wording import OUR_PURPOSES, finding_location, terminal_delivery
from gateway.bootstrap import (
    ReplayAsIngested,
    ReplayRefused,
    ingest_ports,
    note_ingested_without_partner_file,
    open_store,
    outbound_context,
    partner_file,
    purge_archive,
    upgrade_store,
)
from gateway.cli import args as cli_args
from gateway.cli.args import printable
from gateway.cli.catalog import summary
from gateway.cli.dispositions import dispositions_text
from gateway.config.programs import load_program_rules
from gateway.config.settings import load_config
from gateway.domain.return_case import ReturnCase
from gateway.errors import ArchivedBytesMissing, ConfigError
from gateway.model.canonical_json import to_json
from gateway.model.payload import PayloadKind, contents_kind, xml_bytes
from gateway.model.states import FAILED_STATES, STORED_STATES, UNTROUBLED_STATES, FileState
from gateway.monitoring.logs import Progress, timed_if_big
from gateway.recall import read_recall
from gateway.text_safety import printable_lines

DB_EXAMPLES = """examples:
  gateway db upgrade                       # create the schema, or migrate it to this version
  gateway --config prod.yaml db upgrade
"""
INGEST_EXAMPLES = """examples:
  gateway ingest --partner northwind inbound/rma-0412.x12
  gateway ingest --partner odfl --json inbound/*.x12 > results.json
"""
SHOW_EXAMPLES = """examples:
  gateway show RMA7734021                  # a return case's timeline
  gateway show '#12'                       # one file: state, findings, what it answered
  gateway show 000000905                   # the files that carried this ISA13
  gateway show --json RMA7734021
"""
REPLAY_EXAMPLES = """examples:
  gateway replay '#12'
  gateway replay --failed --since 2026-11-01 --dry-run   # what today's mappings would change
  gateway replay --failed --since 2026-11-01 --until 2026-11-08
  gateway replay --unmapped --partner northwind --dry-run   # why their sets do not map
  gateway replay --unmapped --partner northwind   # once the mapping is fixed
"""
ARCHIVE_EXAMPLES = """examples:
  gateway archive purge --dry-run          # what archive.retention_days would delete
  gateway archive purge
"""
FILES_EXAMPLES = """examples:
  gateway files --state rejected --since 2026-11-01
  gateway files --unmapped               # a set validation accepted did not map, any state
  gateway files --partner northwind --limit 10
  gateway files --json
"""


_FORMAT = argparse.RawDescriptionHelpFormatter


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = commands.add_parser("db", help=summary("db"),
                             description="Every command refuses to run on a schema that is not "
                             "current; `gateway db upgrade` makes it current.",
                             epilog=DB_EXAMPLES, formatter_class=_FORMAT)
    db_actions = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    db_actions.add_parser("upgrade", help="create or migrate the schema to this version",
                          description="Creates the schema on an empty database or applies the "
                          "migrations it lacks (store.url or store.url_env in config.yaml).",
                          epilog=DB_EXAMPLES, formatter_class=_FORMAT
                          ).set_defaults(run=_db_upgrade)

    ingest_cmd = commands.add_parser(
        "ingest", help=summary("ingest"),
        description="Each file is archived and recorded before it is read; a file or an "
        "interchange already received is recorded as a duplicate and not processed again. A "
        "big file gets a line on standard error when it starts and how long it took.",
        epilog=INGEST_EXAMPLES, formatter_class=_FORMAT)
    ingest_cmd.add_argument("files", nargs="+", type=cli_args.path, metavar="FILE")
    ingest_cmd.add_argument("--partner", required=True, type=cli_args.partner_id,
                            help="the partner the files came from")
    ingest_cmd.add_argument("--json", action="store_true", help="machine-readable output")
    ingest_cmd.set_defaults(run=_ingest)

    show = commands.add_parser(
        "show", help=summary("show"),
        description="REF is an RMA, PO, shipment id, BOL, PRO or tracking number, a document "
        "reference, an interchange control number, or #N for file N.", epilog=SHOW_EXAMPLES,
        formatter_class=_FORMAT)
    show.add_argument("reference", type=cli_args.case_or_file, metavar="REF")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(run=_show)

    replay_cmd = commands.add_parser(
        "replay", help=summary("replay"),
        description="Rewrites the files' sets, findings, canonical documents and state from "
        "the archived bytes, with the partner's file as ingest used it (the ISA sender the "
        "file must carry, time zone, delimiters, envelope rules): a file refused for another "
        "sender stays refused. A file whose partner file is gone is replayed only if it was "
        "ingested without one. Acknowledgements are not sent again and no control number is "
        "used; new documents get their follow-ups (RMA decisions, status updates, recall "
        "notifications), each once. --dry-run shows how the state and the canonical documents "
        "would change, with the mapping findings (why a set does not map), and stores "
        "nothing. Progress (replaying 3/17: #12 NAME) goes to standard error.",
        epilog=REPLAY_EXAMPLES, formatter_class=_FORMAT)
    replay_cmd.add_argument("files", nargs="*", type=cli_args.file_number, metavar="#N",
                            help="file numbers, e.g. '#12'")
    replay_cmd.add_argument("--failed", action="store_true",
                            help="every rejected, partially accepted or not-X12 file")
    replay_cmd.add_argument("--unmapped", action="store_true",
                            help="every file with a transaction set validation accepted but "
                            "the mapping did not turn into a document (once it is fixed); "
                            "its documents then get their follow-ups")
    replay_cmd.add_argument("--partner", type=cli_args.partner_id,
                            help="with --failed or --unmapped: only this partner's files")
    replay_cmd.add_argument("--since", type=cli_args.day, metavar="YYYY-MM-DD")
    replay_cmd.add_argument("--until", type=cli_args.day, metavar="YYYY-MM-DD")
    replay_cmd.add_argument("--dry-run", action="store_true")
    replay_cmd.set_defaults(run=_replay)

    archive = commands.add_parser("archive", help=summary("archive"),
                                  description="Every inbound file's bytes, kept under their "
                                  "SHA-256 in paths.archive.",
                                  epilog=ARCHIVE_EXAMPLES, formatter_class=_FORMAT)
    archive_actions = archive.add_subparsers(dest="action", required=True, metavar="ACTION")
    purge = archive_actions.add_parser(
        "purge", help="delete archived bytes older than archive.retention_days",
        description="Files' records are kept; only bytes no newer file shares are deleted.",
        epilog=ARCHIVE_EXAMPLES, formatter_class=_FORMAT)
    purge.add_argument("--dry-run", action="store_true")
    purge.set_defaults(run=_purge)

    files = commands.add_parser("files", help=summary("files"),
                                description="Newest first: number, time, partner, state, name, "
                                "error count and the first reason.",
                                epilog=FILES_EXAMPLES, formatter_class=_FORMAT)
    files.add_argument("--partner", type=cli_args.partner_id)
    files.add_argument("--state", choices=[state.value for state in STORED_STATES])
    files.add_argument("--unmapped", action="store_true",
                       help="only files with a transaction set validation accepted but the "
                       "mapping did not turn into a document (any state)")
    files.add_argument("--since", type=cli_args.day, metavar="YYYY-MM-DD")
    files.add_argument("--limit", type=cli_args.row_limit, default=50,
                       help="how many files at most (default 50; 1 to 100000)")
    files.add_argument("--json", action="store_true", help="machine-readable output")
    files.set_defaults(run=_files)


def _db_upgrade(args: argparse.Namespace) -> int:
    before, after, url = upgrade_store(load_config(args.config))
    print(f"database {url}: schema {after}" + (" (already current)" if before == after
                                                else f" (was {before or 'empty'})"))
    if before not in (None, after):
        # Migrations only add: nodes still running the previous version keep working.
        print("nodes already running keep working on it; restart them onto this version "
              "one at a time (gateway nodes lists them)")
    return 0


def _ingest(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = open_store(config)
    partner = partner_file(config, args.partner)
    if partner is None:
        print(f"gateway: no partner file {config.paths['partners'] / (args.partner + '.yaml')}: "
              "the gateway's defaults are used and the ISA sender is not checked",
              file=sys.stderr)
    ports, settings = ingest_ports(config, store, partner)
    context = outbound_context(config, store)
    results: list[dict[str, Any]] = []
    worst = 0
    limit = settings.rules.limits.file_bytes
    for path in args.files:
        try:
            listed, kept = _keep_within(path, limit, ports.archive)
        except OSError as exc:
            print(f"gateway: {path}: cannot be read: {exc.strerror}", file=sys.stderr)
            worst = 2
            continue
        if kept is None:  # over limits.file_size: recorded as rejected, never read whole
            result = refuse_unread(ports.store, args.partner, listed, limit,
                                   now=datetime.now().astimezone())[0]
        else:
            with timed_if_big("ingesting", str(path), listed.size):
                result = _ingest_one(kept, path.name, args.partner, ports, settings)
            if partner is None and result.state != FileState.IN_PROGRESS:
                # Noted so that a replay may use the gateway's defaults too.
                note_ingested_without_partner_file(config, store, result.file_id, args.partner)
        reactions = react_to_file(context, result, datetime.now().astimezone())
        results.append({**_result_json(path, result), "follow_ups": reactions.lines()})
        worst = max(worst, 0 if result.state in UNTROUBLED_STATES else 1)
        if not args.json:
            print(_result_line(path, result))
            for line in reactions.lines():
                print(f"    {printable(line)}")
    if args.json:
        print(json.dumps(results, indent=2))
    return worst


def _keep_within(path: Path, limit: int,
                 archive: Archive) -> tuple[RemoteFile, bytes | KeptFile | None]:
    """The file as listed, and its bytes (a small file) or the archive's copy of it (a big
    one, copied a chunk at a time); None when it is over ``limit`` bytes (then at most
    ``limit`` + 1 bytes were read: the first one past the limit tells a growing file)."""
    with path.open("rb") as source:
        listed = os.fstat(source.fileno())
        found = RemoteFile(path.name, listed.st_size, listed.st_mtime)
        if listed.st_size > limit:
            return found, None
        if listed.st_size <= HELD_WHOLE_BYTES:
            data = source.read(limit + 1)
            return found, None if len(data) > limit else data
        try:
            return found, archive.put_stream(
                lambda sink: copy_within(source, sink, path.name, limit))
        except FileTooLarge:
            return found, None


def _ingest_one(content: bytes | KeptFile, name: str, partner: str, ports: Ports,
                settings: IngestSettings) -> IngestResult:
    now = datetime.now().astimezone()
    if isinstance(content, bytes):
        return ingest(content, name, partner, ports, settings, now=now)
    return ingest_kept(content, name, partner, ports, settings, now=now)


def _result_line(path: Path, result: IngestResult) -> str:
    acks = ", ".join(f"{a.kind} #{a.control_number}" for a in result.acknowledgements)
    parts = [f"{path}: file #{result.file_id} {result.state}"]
    if result.documents:
        parts.append(f"{result.documents} document{'s' * (result.documents > 1)} stored")
    if acks:
        parts.append(f"queued {acks}")
    line = printable(", ".join(parts))
    return line + (f"\n    {printable(result.reason)}" if result.reason else "")


def _result_json(path: Path, result: IngestResult) -> dict[str, Any]:
    return {"file": str(path), "file_id": result.file_id, "state": result.state,
            "reason": result.reason, "duplicate_of": result.duplicate_of,
            "documents": result.documents,
            "acknowledgements": [{"kind": a.kind, "control_number": a.control_number,
                                  "answers": a.answers} for a in result.acknowledgements]}


def _files(args: argparse.Namespace) -> int:
    store = open_store(load_config(args.config))
    since = datetime.combine(args.since, time.min).astimezone() if args.since else None
    rows = store.recent_files(partner=args.partner, state=args.state, since=since,
                              limit=args.limit, unmapped=args.unmapped)
    if args.json:
        print(json.dumps([_file_json(row) for row in rows], indent=2))
        return 0
    if not rows:
        print("no files")
    for row in rows:
        f = row.file
        errors = f"  ({row.errors} error{'s' * (row.errors > 1)})" if row.errors else ""
        unmapped = (f"  ({row.unmapped_sets} set{'s' * (row.unmapped_sets > 1)} not mapped)"
                    if row.unmapped_sets else "")
        print(f"#{f.id:<5} {f.received_at:%Y-%m-%d %H:%M}  {f.partner:<16} {f.state:<18} "
              f"{_named(f)}{errors}{unmapped}")
        if f.reason:
            print(f"       {printable(f.reason)}")
    return 0


def _named(stored: StoredFile) -> str:
    """A file's name as the partner chose it, safe for a terminal (it may hold escapes)."""
    return printable(stored.original_name)


def _file_json(row: FileSummary) -> dict[str, Any]:
    f = row.file
    return {"id": f.id, "partner": f.partner, "name": f.original_name, "sha256": f.sha256,
            "size": f.size, "received_at": f.received_at.isoformat(), "state": f.state,
            "reason": f.reason, "duplicate_of": f.duplicate_of, "errors": row.errors,
            "unmapped_sets": row.unmapped_sets}


def _show(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = open_store(config)
    file_id = _file_reference(args.reference)
    if file_id is not None and not args.json and not _print_file(store, file_id):
        print(f"gateway: there is no file #{file_id}", file=sys.stderr)
        return 1
    carried_by = [] if file_id is not None else store.files_with_interchange(args.reference)
    if not args.json:
        for found in carried_by:  # an interchange control number: the files that carried it
            _print_file(store, found)
    view = cases_for(store, args.reference)
    rules = load_program_rules(config.paths["programs"])
    programs = {case.case_id: programs_of(rules, view, case) for case in view.cases}
    if not view.documents:
        if (file_id is not None or carried_by) and not args.json:
            return 0
        print(f"gateway: nothing is known about {args.reference!r}", file=sys.stderr)
        return 1
    files = store.files_by_id({d.file_id for d in view.documents if d.file_id is not None})
    acks = store.outbox_of_files(files)
    ours = store.outbound(subjects={d.reference for d in view.documents},
                          purposes=OUR_PURPOSES)
    if args.json:
        print(json.dumps({**_show_json(view, files, acks, programs),
                          "sent": [_sent_json(row) for row in reversed(ours)]}, indent=2))
        return 0
    for case in view.cases:
        _print_case(view, case, programs[case.case_id])
    print("documents:")
    for d in view.documents:
        print(printable(f"  {d.created_at:%Y-%m-%d %H:%M}  {d.kind:<22} {d.reference:<20} "
                        f"{_document_origin(d, files)}"))
    print("acknowledgements:")
    for file_id, item, state in acks:
        print(printable(f"  {item.kind:<10} #{item.control_number} answers "
                        f"{item.answers or '-'} (file #{file_id}): {state}"))
    if ours:
        print("sent on our own account:")
    now = datetime.now().astimezone()
    for row in reversed(ours):
        print(printable(f"  {row.created_at:%Y-%m-%d %H:%M}  {row.purpose:<20} {row.kind:<20} "
                        f"#{row.control_number} to {row.partner}: "
                        f"{terminal_delivery(row, now)}"))
    return 0


def _print_case(view: CaseView, case: ReturnCase, programs: CasePrograms) -> None:
    print(_case_text(case, programs))
    dispositions = dispositions_of(view, case)
    if dispositions.history or dispositions.accepting:  # received, or dispositioned
        print(dispositions_text(dispositions, indent="  "))


def _sent_json(row: OutboundRow) -> dict[str, Any]:
    return {"purpose": row.purpose, "kind": row.kind, "control_number": row.control_number,
            "partner": row.partner, "subject": row.subject, "state": row.state,
            "reason": row.reason, "ack_state": row.ack_state,
            "sent_at": row.sent_at.isoformat() if row.sent_at else None}


def _document_origin(document: StoredDocument, files: dict[int, StoredFile]) -> str:
    if document.direction == "out":
        return f"sent by us to {document.partner}"
    if document.file_id is None or document.file_id not in files:
        return "recorded here" + (f" ({document.partner})" if document.partner else "")
    f = files[document.file_id]
    return f"file #{f.id} {_named(f)} ({f.partner}, {f.state})"


def _file_reference(reference: str) -> int | None:
    """N when ``reference`` is '#N' (argparse checked N is one the store can hold)."""
    return cli_args.parse_file_number(reference)


def _print_file(store: GatewayStore, file_id: int) -> bool:
    found = store.files_by_id([file_id]).get(file_id)
    if found is None:
        return False
    print(f"file #{found.id}: {_named(found)} from {found.partner}, received "
          f"{found.received_at:%Y-%m-%d %H:%M%z}: {found.state}")
    if found.never_taken:
        print(f"  {found.size} bytes as listed; refused unread (over limits.file_size), so "
              "nothing was archived; the partner's copy was left in place")
    else:
        print(f"  {found.size} bytes, sha256 {found.sha256}, archived as {found.archive_key}")
    if found.reason:
        print(f"  {printable(found.reason)}")
    findings = store.findings_of(file_id)
    unmapped = {(s[0], s[1], s[3]) for s in store.unmapped_sets_of(file_id)}
    shown: list[FindingRow] = []
    for control, outcome, sets in store.outcomes_of(file_id):
        print(printable(f"  interchange {control}: {outcome}"))  # the partner's ISA13
        for functional_id, group, group_outcome, set_id, set_control, set_outcome in sets:
            not_mapped = (control, group, set_control) in unmapped
            print(printable(f"    group {group} ({functional_id}, {group_outcome}): "
                            f"transaction set {set_id} {set_control}: {set_outcome}"
                            + (", NOT MAPPED (no document stored)" if not_mapped else "")))
            if not_mapped:
                shown += _print_mapping_findings(file_id, findings,
                                                 (control, group, set_control))
    for finding in findings:
        if finding not in shown:
            print("  " + _finding_text(finding))
    return True


def _print_mapping_findings(file_id: int, findings: list[FindingRow],
                            ids: tuple[str, str, str]) -> list[FindingRow]:
    """An unmapped set's mapping findings, under it: why it did not map."""
    mine = [f for f in findings if f.code.startswith("mapping.")
            and (f.interchange_control, f.group_control, f.set_control) == ids]
    for finding in mine:
        print("      " + _finding_text(finding))
    if not mine:  # found unmapped when the database was upgraded: nothing says why
        print(f"      no mapping finding recorded: gateway replay --dry-run '#{file_id}' "
              "says why")
    return mine


def _finding_text(finding: FindingRow) -> str:
    """One printable line: a finding's message may quote what the partner sent."""
    where = finding_location(finding)
    code = f" [{finding.x12}]" if finding.x12 else ""
    return printable(f"{finding.severity:<7} {where + ': ' if where else ''}{finding.message}"
                     f"{code}")


def _case_text(case: ReturnCase, programs: CasePrograms) -> str:
    decision = f", decision {case.decision.value}" if case.decision else ""
    keys = ", ".join(f"{k.kind.value} {k.value}" for k in sorted(
        case.keys, key=lambda k: (k.kind.value, k.value)))
    lines = [f"return case {case.case_id}: {case.state.value}{decision}", f"  keys: {keys}"]
    if programs.program is not None:
        lines.append(f"  program: {programs.program.value}")
        lines += [f"    line {c.line_number}: {c.program.value} by {c.why}"
                  for c in programs.lines]
    lines.append("  timeline (in the documents' own time):")
    for event in case.timeline:
        lines.append(f"    {event.at:%Y-%m-%d %H:%M%z}  {event.state_after.value:<22} "
                     f"{event.cause}  {event.note}".rstrip())
    lines += [f"  open exception: {e}" for e in case.open_exceptions]
    lines += [f"  on recall hold: {hold.line_label} under notice {hold.notice_id} "
              f"({hold.identifier})" for hold in case.recall_holds]
    lines += receipt_text(case)
    return printable_lines(lines)  # references, notes and ids are the partners' text


def _show_json(view: CaseView, files: dict[int, StoredFile],
               acks: list[tuple[int, OutboxItem, str]],
               programs: dict[str, CasePrograms]) -> dict[str, Any]:
    return {
        "cases": [{"case_id": c.case_id, "state": c.state.value,
                   "decision": c.decision.value if c.decision else None,
                   **programs_json(programs[c.case_id]),
                   "dispositions": dispositions_json(dispositions_of(view, c)),
                   **receipts_json(c),
                   "keys": sorted(f"{k.kind.value}:{k.value}" for k in c.keys),
                   "timeline": [{"at": e.at.isoformat(), "state": e.state_after.value,
                                 "cause": str(e.cause), "note": e.note} for e in c.timeline]}
                  for c in view.cases],
        "documents": [{"id": d.id, "file": d.file_id, "kind": d.kind,
                       "reference": d.reference, "received_at": d.created_at.isoformat(),
                       "direction": d.direction,
                       "file_state": files[d.file_id].state if d.file_id in files else None}
                      for d in view.documents],
        "acknowledgements": [{"file": file_id, "kind": item.kind,
                              "control_number": item.control_number,
                              "answers": item.answers, "state": state}
                             for file_id, item, state in acks],
    }




def _replay(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = open_store(config)
    chosen = _files_to_replay(args, store)
    if chosen is None:
        return 2
    as_ingested = ReplayAsIngested(config, store)  # each file with its partner's settings
    context = outbound_context(config, store)
    progress = Progress("replaying", len(chosen))
    refused = 0
    for stored in chosen:
        progress.step(f"#{stored.id} {_named(stored)} ({stored.partner}, {stored.state})")
        try:
            if args.dry_run:
                _show_replay_diff(store, *as_ingested.settings_of(stored), stored)
                continue
            result = as_ingested.replay(stored, now=datetime.now().astimezone())
        except (ArchivedBytesMissing, ReplayRefused, ConfigError) as exc:
            print(f"file #{stored.id} {_named(stored)}: cannot be replayed: "
                  f"{printable(str(exc))}")
            refused += 1
            continue
        print(f"file #{stored.id} {_named(stored)}: {stored.state} -> {result.state}, "
              f"{result.documents} document{'s' * (result.documents != 1)}")
        # Its documents get the follow-ups any new document gets (each once: dedupe keys).
        for line in react_to_file(context, result, datetime.now().astimezone()).lines():
            print(f"    {printable(line)}")
    if not chosen:
        print("no file to replay")
    return 1 if refused else 0


def _files_to_replay(args: argparse.Namespace, store: GatewayStore) -> list[StoredFile] | None:
    numbers: list[int] = args.files  # '#N' parsed and bounded by argparse
    if not numbers and not args.failed and not args.unmapped:
        print("gateway: name files as '#N', or use --failed or --unmapped (with --since / "
              "--until / --partner)", file=sys.stderr)
        return None
    chosen = list(store.files_by_id(numbers).values())
    missing = sorted(set(numbers) - {f.id for f in chosen})
    if missing:  # a mistyped number: replay nothing rather than part of what was asked
        print("gateway: there is no file " + ", ".join(f"#{n}" for n in missing),
              file=sys.stderr)
        return None
    if args.failed or args.unmapped:
        since = datetime.combine(args.since, time.min).astimezone() if args.since else None
        until = datetime.combine(args.until, time.min).astimezone() if args.until else None
        chosen += store.files_to_replay(FAILED_STATES if args.failed else (), since, until,
                                        partner=args.partner, unmapped=args.unmapped)
    return sorted({f.id: f for f in chosen}.values(), key=lambda f: f.id)


def _show_replay_diff(store: GatewayStore, ports: Ports, settings: IngestSettings,
                      stored: StoredFile) -> None:
    """What a replay would change (state, documents) and, for X12, the mapping findings it
    would record: why a set still would not map."""
    state, findings = stored.state, []
    kept = KeptFile(stored.sha256, stored.archive_key, stored.size)
    with kept_contents(ports.archive, kept) as contents:  # a big file streamed, as ingest
        if contents_kind(contents) is PayloadKind.XML:
            limit = settings.rules.limits.xml_bytes
            result = read_recall(xml_bytes(contents, limit), max_bytes=limit)
            after = [to_json(result.notice)] if result.accepted and result.notice else []
        else:
            preview = preview_replay(contents, stored.partner, ports, settings)
            after, state, findings = preview.documents, preview.state, preview.findings
    before = [json.loads(d.json_text()) for d in store.documents_of_file(stored.id)
              if d.direction == "in"]  # not our answers to it: a replay keeps those
    name = f"file #{stored.id} {_named(stored)}"
    change = f"{stored.state} -> {state}" if state != stored.state else ""
    if before == after and not change:
        print(f"{name}: no change")
    else:
        print(f"{name}: would change" + (f" ({change})" if change else ""))
    for finding in findings:
        print("  " + _finding_text(finding))
    if before != after:
        old = json.dumps(before, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
        new = json.dumps(after, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
        print(printable_lines(difflib.unified_diff(old, new, "stored", "replayed",
                                                   lineterm="")))


def _purge(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if config.archive_retention_days == 0:
        print("archive.retention_days is 0: every file's bytes are kept; nothing to purge")
        return 0
    store = open_store(config)
    cutoff = datetime.now().astimezone() - timedelta(days=config.archive_retention_days)
    keys = store.archive_keys_older_than(cutoff)
    removed = 0 if args.dry_run else purge_archive(config, keys)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb} {len(keys) if args.dry_run else removed} archived files received before "
          f"{cutoff:%Y-%m-%d %H:%M} (their records are kept)")
    return 0
