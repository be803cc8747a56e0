"""``gateway programs``: the rules that put each return line in a program, and their examples."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import datetime, time

from gateway.app.export import csv_cell
from gateway.app.programs import ProgramTotal, program_totals, report_columns
from gateway.bootstrap import open_store
from gateway.cli import args as cli_args
from gateway.cli.args import printable
from gateway.cli.catalog import summary
from gateway.config.programs import ProgramExample, load_program_rules, program_examples
from gateway.config.settings import load_config
from gateway.domain.dispositions import Outcome
from gateway.domain.programs import ProgramRules, case_program, classify_lines

EXAMPLES = """examples:
  gateway programs rules     # the rules in reading order, in plain words
  gateway programs test      # every example in programs/examples/ against the rules
  gateway programs report --since 2026-11-01 --format csv > programs.csv
"""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    programs = commands.add_parser(
        "programs", help=summary("programs"),
        description="Every return line is put in a program (customer-return, excess-inventory, "
        "end-of-season, recall, damaged-goods, asset-recovery, redistribution, other) by the "
        "first rule in programs/rules.yaml that applies to it, else its partner's default, else "
        "the default; a case is in the program of most units, or recall if any line is.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = programs.add_subparsers(dest="action", required=True, metavar="ACTION")
    rules = actions.add_parser(
        "rules", help="the rules in reading order, in plain words",
        description="Each rule of programs/rules.yaml as a sentence (rule N: PROGRAM when ...), "
        "then the partners' defaults and the default: what a line with no matching rule gets.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    rules.set_defaults(run=_rules)
    test = actions.add_parser(
        "test", help="run every example in programs/examples/ against the rules",
        description="Each example names a partner, its lines (reason, disposition, recall "
        "hold, quantity) and the programs they must get. Exit 0 when every example passes.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    test.set_defaults(run=_test)
    report = actions.add_parser(
        "report", help="cases, lines, units and value recovered by week, partner and program",
        description="Every return case with a request received since --since (from --partner), "
        "added up by the ISO week it opened, its partner and program: the cases in each "
        "program, and the lines and units in it (a line without a quantity counts one unit); "
        "of those units, how many were dispositioned after receipt, by outcome, and the value "
        "recovered, per currency (gateway rma dispose).",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    report.add_argument("--since", type=cli_args.day, default=None, metavar="YYYY-MM-DD",
                        help="only cases with a request received on or after this day")
    report.add_argument("--partner", type=cli_args.partner_id, default=None, metavar="ID")
    report.add_argument("--format", choices=("text", "csv", "json"), default="text")
    report.set_defaults(run=_report)


def _rules(args: argparse.Namespace) -> int:
    folder = load_config(args.config).paths["programs"]
    rules = load_program_rules(folder)
    if not rules.rules:
        print(f"no rules in {folder}/rules.yaml: every line is {rules.default.value}")
    for number, rule in enumerate(rules.rules, start=1):
        print(f"rule {number}: {rule.program.value} when {printable(rule.describe())}")
    for partner, program in sorted(rules.partner_defaults.items()):
        print(f"otherwise {printable(partner)}'s lines: {program.value}")
    print(f"otherwise: {rules.default.value}")
    return 0


def _test(args: argparse.Namespace) -> int:
    folder = load_config(args.config).paths["programs"]
    rules = load_program_rules(folder)
    examples = program_examples(folder)
    if not examples:
        print(f"no examples in {folder}/examples/ (write one per rule you care about)")
        return 1
    failed = [example for example in examples if not _passes(rules, example)]
    print(f"{len(examples) - len(failed)} of {len(examples)} examples pass")
    return 1 if failed else 0


def _passes(rules: ProgramRules, example: ProgramExample) -> bool:
    classified = classify_lines(rules, example.lines)
    wrong = [f"line {c.line_number}: expected {example.expected_lines[c.line_number].value}, "
             f"got {c.program.value} by {printable(c.why)}"
             for c in classified if c.line_number in example.expected_lines
             and example.expected_lines[c.line_number] is not c.program]
    missing = sorted(set(example.expected_lines) - {c.line_number for c in classified})
    wrong += [f"line {number}: expected, but the example has no such line" for number in missing]
    case = case_program(example.lines, classified)
    if example.expected_case is not None and case is not example.expected_case:
        wrong.append(f"case: expected {example.expected_case.value}, got "
                     f"{case.value if case else 'none'}")
    if wrong:
        print(f"FAIL {example.name} ({example.path})")
        for problem in wrong:
            print(f"  {problem}")
        return False
    print(f"PASS {example.name}")
    return True


def _report(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = open_store(config)
    since = datetime.combine(args.since, time.min).astimezone() if args.since else None
    try:
        totals = program_totals(store, load_program_rules(config.paths["programs"]),
                                since=since, partner=args.partner)
    finally:
        store.close()
    if args.format == "json":
        print(json.dumps([total.row() for total in totals], indent=2))
    elif args.format == "csv":
        columns = report_columns(totals)
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({key: csv_cell(value) for key, value in total.csv_row(columns).items()}
                         for total in totals)
    else:
        _report_text(totals)
    return 0


def _report_text(totals: list[ProgramTotal]) -> None:
    if not totals:
        print("no return cases")
        return
    print(f"{'week':<9} {'partner':<20} {'program':<17} {'cases':>6} {'lines':>6} {'units':>10} "
          f"{'disposed':>10}  recovered")
    for total in totals:
        recovered = ", ".join(f"{amount} {currency}"
                              for currency, amount in sorted(total.recovered.items()))
        print(printable(f"{total.week:<9} {total.partner:<20} {total.program.value:<17} "
                        f"{total.cases:>6} {total.lines:>6} {total.units!s:>10} "
                        f"{total.units_dispositioned!s:>10}  {recovered or '-'}"))
        outcomes = ", ".join(f"{outcome.value} {units}"
                             for outcome, units in sorted(total.dispositioned.items(),
                                                          key=lambda item: _ORDER[item[0]])
                             if units)
        if outcomes:
            print(f"{'':<9} {outcomes}")


_ORDER = {outcome: number for number, outcome in enumerate(Outcome)}
