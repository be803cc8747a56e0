"""`gateway validate`, `ack` and `process`: the front door run on files, nothing stored."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from gateway.app.ingest import HELD_WHOLE_BYTES
from gateway.app.translate import translate_x12
from gateway.cli import args as cli_args
from gateway.cli import recall as cli_recall
from gateway.cli.args import EXIT_ACCEPTED, EXIT_NOT_X12, EXIT_REJECTED, refused
from gateway.cli.catalog import summary
from gateway.config.mappings import MappingCatalog
from gateway.config.settings import GatewayConfig, load_config
from gateway.model import canonical_json
from gateway.model.payload import (
    PayloadKind,
    contents_kind,
    contents_size,
    payload_kind,
    xml_bytes,
)
from gateway.monitoring.logs import timed_if_big
from gateway.recall import read_recall
from gateway.x12.ack import FunctionalAck, OutboundAck, Ta1Policy, build_acknowledgements
from gateway.x12.assess import Assessment, assess
from gateway.x12.limits import FrontDoorRules
from gateway.x12.report import describe, render_text, to_json, verdict
from gateway.x12.write import SequentialControlNumbers

VALIDATE_EXAMPLES = """examples:
  gateway validate samples/valid/856-pick-pack-004010.x12
  gateway validate -v inbound/*.edi           # with informational notes
  gateway validate --json inbound/*.edi > verdicts.json
  gateway validate samples/recall/valid-stand-mixer-serials.xml
"""
ACK_EXAMPLES = """examples:
  gateway ack samples/valid/856-pick-pack-004010.x12
  gateway ack --functional 999 --ta1 always --interchange-control 1200 FILE
  gateway ack --pretty samples/defects/at701-invalid-code.x12   # a segment a line
"""
PROCESS_EXAMPLES = """examples:
  gateway process samples/valid samples/defects
  gateway process inbound/ --acks-dir var/acks --canonical-dir var/canonical
"""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = commands.add_parser(
        "validate", help=summary("validate"),
        description="Exit 0 when everything is accepted, 1 when anything is rejected, "
        "2 when a file is not X12 at all. A big file gets a line on standard error when its "
        "check starts and how long it took.", epilog=VALIDATE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    validate.add_argument("files", nargs="+", type=cli_args.path, metavar="FILE")
    validate.add_argument("--json", action="store_true", help="machine-readable output")
    validate.add_argument("--verbose", "-v", action="store_true",
                          help="also show informational notes (BOM skipped, ISB read, ...)")
    validate.set_defaults(run=_validate)

    ack = commands.add_parser(
        "ack", help=summary("ack"),
        description="Prints the acknowledgements for FILE (a recall XML file gets its XML "
        "acknowledgement) without storing anything; control numbers start from the options, "
        "not from the store's counters.",
        epilog=ACK_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    ack.add_argument("file", type=cli_args.path, metavar="FILE")
    _ack_options(ack)
    ack.set_defaults(run=_ack)

    process = commands.add_parser(
        "process", help=summary("process"),
        description="Validates, acknowledges and translates every file under the PATHs, "
        "printing one line per file; nothing is stored (see gateway ingest for that).",
        epilog=PROCESS_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    process.add_argument("paths", nargs="+", type=cli_args.path, metavar="PATH")
    process.add_argument("--acks-dir", type=cli_args.path, default=None,
                         help="where to write acknowledgements (default: paths.acks in config)")
    process.add_argument("--canonical-dir", type=cli_args.path, default=None,
                         help="where to write canonical documents (default: paths.canonical)")
    _ack_options(process)
    process.set_defaults(run=_process)


def _ack_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--functional", choices=[m.value for m in FunctionalAck],
                        help="functional acknowledgement (default from config: 997)")
    parser.add_argument("--ta1", choices=[m.value for m in Ta1Policy],
                        help="when to send a TA1 (default from config: on-request)")
    parser.add_argument("--interchange-control", type=cli_args.control_number, default=1,
                        metavar="N", help="first ISA13 to use (default 1; at most 999999999)")
    parser.add_argument("--group-control", type=cli_args.control_number, default=1,
                        metavar="N", help="first GS06 to use (default 1; at most 999999999)")
    parser.add_argument("--pretty", action="store_true",
                        help="put a line break after each segment terminator")


# --- validate --------------------------------------------------------------------------------
def _validate(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    codes, documents = [], []
    for path in args.files:
        try:
            with _file_contents(path) as contents:
                code, document = _validate_one(path, contents, config, verbose=args.verbose,
                                               as_json=args.json)
        except OSError as exc:
            problem = exc.strerror or str(exc)
            code, document = EXIT_NOT_X12, {"file": str(path), "verdict": "unreadable",
                                            "exit_code": 2, "error": problem}
            if not args.json:
                print(f"{path}: cannot be read: {problem}")
        codes.append(code)
        documents.append(document)
    if args.json:
        print(json.dumps(documents if len(documents) > 1 else documents[0], indent=2))
    return max(codes)


def _validate_one(path: Path, contents: bytes | BinaryIO, config: GatewayConfig, *,
                  verbose: bool, as_json: bool) -> tuple[int, dict[str, Any]]:
    """One file's exit code and JSON document; its text report printed unless ``as_json``."""
    if contents_kind(contents) is PayloadKind.XML:
        result = read_recall(xml_bytes(contents, config.limits.xml_bytes),
                             max_bytes=config.limits.xml_bytes)
        if not as_json:
            print(cli_recall.render_text(str(path), result))
        return (0 if result.accepted else EXIT_REJECTED), cli_recall.to_json(str(path), result)
    with timed_if_big("validating", str(path), contents_size(contents)):
        assessment = assess(contents, config.front_door)
    if not as_json:
        print(render_text(str(path), assessment, show_info=verbose))
    return assessment.exit_code, to_json(str(path), assessment)


@contextmanager
def _file_contents(path: Path) -> Iterator[bytes | BinaryIO]:
    """A file's bytes, or (a big one) the open file, read a chunk at a time by the intake
    and open while its assessment is reported. `OSError` when it cannot be read."""
    with path.open("rb") as handle:
        if os.fstat(handle.fileno()).st_size <= HELD_WHOLE_BYTES:
            yield handle.read()
        else:
            yield handle


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None  # _assess_file says why


def _assess_file(path: Path, rules: FrontDoorRules) -> tuple[Assessment | None, str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, exc.strerror or str(exc)
    return assess(data, rules), ""


# --- ack ---------------------------------------------------------------------------------------
def _ack(args: argparse.Namespace) -> int:
    config = _configured(args)
    data = _read(args.file)
    if data is not None and payload_kind(data) is PayloadKind.XML:
        _result, ack = cli_recall.acknowledgement(data, args.interchange_control,
                                                  datetime.now().astimezone(),
                                                  max_bytes=config.limits.xml_bytes)
        sys.stdout.write(ack.decode("utf-8") + "\n")
        return EXIT_ACCEPTED
    assessment, problem = _assess_file(args.file, config.front_door)
    if assessment is None:
        print(f"gateway: {args.file}: cannot be read: {problem}", file=sys.stderr)
        return EXIT_NOT_X12
    numbers = SequentialControlNumbers(args.interchange_control, args.group_control)
    answers = build_acknowledgements(assessment, config.identity, config.ack_policy, numbers,
                                     datetime.now().astimezone())
    for answer in answers:
        _write_interchange(answer.text, pretty=args.pretty)
    if not answers:
        print(f"gateway: no acknowledgement is due for {args.file} "
              f"({_why_no_ack(assessment)}).", file=sys.stderr)
    return EXIT_NOT_X12 if assessment.exit_code == EXIT_NOT_X12 else EXIT_ACCEPTED


def _write_interchange(text: str, *, pretty: bool) -> None:
    """What would be sent, byte for byte (latin-1: one character per byte of the partner's
    delimiters), so ``gateway ack FILE > out.x12`` is the real thing. On a terminal, control
    characters (a partner may choose RS or ESC as a delimiter) are shown escaped instead."""
    data = text.encode("latin-1") + (b"" if pretty else b"\n")
    if sys.stdout.isatty():
        lines = data.decode("latin-1").split("\n")
        sys.stdout.write("\n".join(cli_args.printable(line) for line in lines))
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _why_no_ack(assessment: Assessment) -> str:
    if not assessment.interchanges:
        return "it holds no readable interchange: " + verdict(assessment)
    notes = {x.x12.value for r in assessment.interchanges for x in r.interchange_errors() if x.x12}
    if notes & {"005", "006"}:
        return "the sender in ISA05/ISA06 is not valid, so there is no address to answer"
    return "it holds only acknowledgements, or the policy asks for none"


def _configured(args: argparse.Namespace) -> GatewayConfig:
    config = load_config(args.config)
    policy = config.ack_policy
    if args.functional:
        policy = replace(policy, functional=FunctionalAck(args.functional))
    if args.ta1:
        policy = replace(policy, ta1=Ta1Policy(args.ta1))
    if args.pretty:
        policy = replace(policy, line_break=True)
    return replace(config, ack_policy=policy)


# --- process -----------------------------------------------------------------------------------
def _process(args: argparse.Namespace) -> int:
    config = _configured(args)
    try:
        run = _ProcessRun(config, args.acks_dir or config.paths["acks"],
                          args.canonical_dir or config.paths["canonical"],
                          SequentialControlNumbers(args.interchange_control,
                                                   args.group_control))
    except OSError as exc:  # --acks-dir / --canonical-dir names a file, or one we may not write
        return refused(f"{exc.filename}: cannot be used as the folder for acknowledgements "
                       f"or canonical documents: {exc.strerror}", EXIT_NOT_X12)
    files = sorted(p for root in args.paths for p in _files_under(root))
    print(f"Processing {len(files)} files with {config.source}; acknowledgements go to "
          f"{run.acks_dir}/, canonical documents to {run.canonical_dir}/")
    for path in files:
        run.one(path)
    print("Done: " + ", ".join(f"{count} {name}" for name, count in run.totals.items()))
    return EXIT_ACCEPTED


class _ProcessRun:
    """One `gateway process`: each file validated, acknowledged and translated."""

    def __init__(self, config: GatewayConfig, acks_dir: Path, canonical_dir: Path,
                 numbers: SequentialControlNumbers) -> None:
        self.config, self.numbers = config, numbers
        self.acks_dir, self.canonical_dir = acks_dir, canonical_dir
        self.catalog = MappingCatalog(config.paths["mappings"])
        self.totals = {"accepted": 0, "rejected": 0, "not X12": 0, "unreadable": 0,
                       "acks": 0, "documents": 0}
        acks_dir.mkdir(parents=True, exist_ok=True)
        canonical_dir.mkdir(parents=True, exist_ok=True)

    def one(self, path: Path) -> None:
        data = _read(path)
        if data is None:
            self.totals["unreadable"] += 1
            print(f"  {'unreadable':<9} {cli_args.printable(str(path))}: cannot be read")
        elif payload_kind(data) is PayloadKind.XML:
            self._recall(path, data)
        else:
            self._x12(path, data)

    def _x12(self, path: Path, data: bytes) -> None:
        result = translate_x12(data, self.catalog.spec_for,
                               rules=self.config.front_door)
        assessment = result.assessment
        answers = build_acknowledgements(assessment, self.config.identity,
                                         self.config.ack_policy, self.numbers,
                                         datetime.now().astimezone())
        _write_acks(self.acks_dir, path, answers)
        self._write_documents(path, [canonical_json.to_json(d) for d in result.documents])
        self.totals[verdict(assessment)] += 1
        self.totals["acks"] += len(answers)
        documents = f", {len(result.documents)} canonical" if result.documents else ""
        print(f"  {verdict(assessment):<9} {cli_args.printable(str(path))}"
              f"{_ack_summary(answers)}{documents}")
        first_error = next((x for x in assessment.all_findings() if x.is_error), None)
        if first_error is not None:
            print(f"            {describe(assessment, first_error)}")

    def _recall(self, path: Path, data: bytes) -> None:
        control = self.numbers.next_interchange()
        result, ack = cli_recall.acknowledgement(data, control, datetime.now().astimezone(),
                                                 max_bytes=self.config.limits.xml_bytes)
        (self.acks_dir / f"{path.stem}.{control:09d}.ack.xml").write_bytes(ack)
        if result.accepted and result.notice is not None:
            self._write_documents(path, [canonical_json.to_json(result.notice)])
        self.totals[cli_recall.verdict(result)] += 1
        self.totals["acks"] += 1
        print(f"  {cli_recall.verdict(result):<9} {cli_args.printable(str(path))}  -> recall "
              f"acknowledgement #{control:09d}")
        first_error = next((p for p in result.errors if p.severity.value == "error"), None)
        if first_error is not None:
            print(f"            {cli_recall.describe_recall_error(first_error)}")

    def _write_documents(self, path: Path, documents: list[Any]) -> None:
        if documents:
            target = self.canonical_dir / f"{path.stem}.json"
            target.write_text(json.dumps(documents, indent=2, ensure_ascii=False) + "\n",
                              encoding="utf-8")
            self.totals["documents"] += len(documents)


def _files_under(root: Path) -> list[Path]:
    if root.is_dir():
        return [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")
                and p.suffix.lower() not in (".json", ".md", ".yaml", ".yml", ".txt")]
    return [root]


def _write_acks(acks_dir: Path, source: Path, answers: list[OutboundAck]) -> None:
    for answer in answers:
        target = acks_dir / f"{source.stem}.{answer.control_number}.ack.x12"
        target.write_bytes(answer.text.encode("latin-1"))


def _ack_summary(answers: list[OutboundAck]) -> str:
    parts = []
    for answer in answers:
        kinds = [f"TA1 {answer.ta1}"] if answer.ta1 else []
        kinds += list(answer.functional)
        parts.append(f"{'+'.join(kinds)} #{answer.control_number}")
    return f"  -> {', '.join(parts)}" if parts else "  -> no acknowledgement due"
