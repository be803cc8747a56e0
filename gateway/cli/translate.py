"""``gateway translate`` and ``gateway mappings test``: canonical documents from partner files."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any

from gateway.app.translate import FileTranslation, translate_x12
from gateway.cli import args as cli_args
from gateway.cli.catalog import summary
from gateway.cli.recall import describe_recall_error
from gateway.config.mappings import Example, MappingCatalog
from gateway.config.settings import load_config
from gateway.model.canonical_json import to_json
from gateway.model.payload import PayloadKind, payload_kind
from gateway.recall import read_recall
from gateway.text_safety import json_printable, printable

EXIT_OK, EXIT_PROBLEMS, EXIT_UNREADABLE = 0, 1, 2
EXAMPLES = """examples:
  gateway translate samples/valid/856-pick-pack-004010.x12
  gateway translate --partner northwind inbound/rma-0412.x12
  gateway mappings test              # the stock examples and every partner's
  gateway mappings test northwind    # one partner's examples
"""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    translate = commands.add_parser(
        "translate", help=summary("translate"),
        description="Validates the file, then maps every accepted transaction set with the "
        "stock mapping and the partner's overrides. Documents go to standard output as a "
        "JSON list; sets that were not translated and mapping issues go to standard error. "
        "Exit 0 when everything translated cleanly, 1 otherwise, 2 when the file cannot be "
        "read.", epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    translate.add_argument("file", type=cli_args.path, metavar="FILE")
    translate.add_argument("--partner", type=cli_args.partner_id,
                           help="partner id: apply mappings/partners/ID overrides")
    translate.set_defaults(run=_translate)

    mappings = commands.add_parser("mappings", help=summary("mappings"),
                                   description="Mappings turn X12 sets into the canonical "
                                   "model: stock ones in mappings/, partner overrides in "
                                   "mappings/partners/ID, golden examples beside them.",
                                   epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = mappings.add_subparsers(dest="action", required=True, metavar="ACTION")
    test = actions.add_parser(
        "test", help="run the golden examples kept beside the mappings",
        description="Translates every example input and compares it with the expected JSON "
        "beside it, showing a diff for each difference.", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    test.add_argument("partner", nargs="?", type=cli_args.partner_id,
                      help="only this partner's examples")
    test.set_defaults(run=_mappings_test)


def _catalog(args: argparse.Namespace) -> MappingCatalog:
    return MappingCatalog(load_config(args.config).paths["mappings"])


# --- translate -------------------------------------------------------------------------------
def _translate(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    config = load_config(args.config)
    limits = config.limits
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"gateway: {args.file}: cannot be read: {exc.strerror}", file=sys.stderr)
        return EXIT_UNREADABLE
    if payload_kind(data) is PayloadKind.XML:
        return _translate_recall(args.file, data, limits.xml_bytes)
    result = translate_x12(data, catalog.spec_for, args.partner, rules=config.front_door)
    print(json_printable(json.dumps([to_json(d) for d in result.documents], indent=2,
                                    ensure_ascii=False)))
    _report(args.file, result)
    if result.assessment.exit_code == EXIT_UNREADABLE:
        return EXIT_UNREADABLE
    return EXIT_OK if result.ok else EXIT_PROBLEMS


def _translate_recall(name: Path, data: bytes, max_bytes: int) -> int:
    result = read_recall(data, max_bytes=max_bytes)
    documents = [to_json(result.notice)] if result.accepted and result.notice else []
    print(json_printable(json.dumps(documents, indent=2, ensure_ascii=False)))
    for problem in result.errors:
        print(f"gateway: {name}: {describe_recall_error(problem)}", file=sys.stderr)
    return EXIT_OK if result.accepted else EXIT_PROBLEMS


def _report(name: Path, result: FileTranslation) -> None:
    if not result.sets:
        print(f"gateway: {name}: no transaction set to translate "
              "(see gateway validate)", file=sys.stderr)
    for s in result.sets:
        where = f"{name}: set {s.set_id} {s.set_control} (group {s.group_control})"
        if s.skipped:  # set ids, controls and issues quote the partner's file
            print(printable(f"gateway: {where}: not translated: {s.skipped}"), file=sys.stderr)
        for issue in s.issues:
            print(printable(f"gateway: {where}: {issue.severity}: {issue}"), file=sys.stderr)


# --- mappings test ---------------------------------------------------------------------------
def _mappings_test(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    partners: list[str | None] = [args.partner] if args.partner else [None, *catalog.partners()]
    examples = [example for partner in partners for example in catalog.examples(partner)]
    if not examples:
        print("gateway: no golden examples found", file=sys.stderr)
        return EXIT_PROBLEMS
    failures = sum(not _run_example(catalog, example) for example in examples)
    print(f"{len(examples) - failures} passed, {failures} failed")
    return EXIT_PROBLEMS if failures else EXIT_OK


def _run_example(catalog: MappingCatalog, example: Example) -> bool:
    label = f"{example.partner or 'stock'}/{example.name}"
    actual = translated_json(catalog, example.input.read_bytes(), example.partner)
    if not example.expected.is_file():
        print(f"FAIL {label}: no expected output {example.expected} (write the JSON the "
              "mapping should produce there)")
        return False
    expected = json.loads(example.expected.read_text(encoding="utf-8"))
    if actual == expected:
        print(f"PASS {label}")
        return True
    print(f"FAIL {label}: the translation differs from {example.expected}")
    print(_diff(expected, actual, str(example.expected)))
    return False


def translated_json(catalog: MappingCatalog, data: bytes, partner: str | None) -> list[Any]:
    """The canonical JSON of every document in ``data``: what a golden file holds."""
    result = translate_x12(data, catalog.spec_for, partner)
    return [to_json(d) for d in result.documents]


def _diff(expected: Any, actual: Any, name: str) -> str:
    before = json.dumps(expected, indent=2, ensure_ascii=False, sort_keys=True).splitlines()
    after = json.dumps(actual, indent=2, ensure_ascii=False, sort_keys=True).splitlines()
    return "\n".join(difflib.unified_diff(before, after, f"expected ({name})", "translated",
                                          lineterm=""))
