"""Return programs (gateway.domain.programs): first match, defaults, and a case's program."""

from __future__ import annotations

from decimal import Decimal

from gateway.domain.programs import (
    LineFacts,
    Program,
    ProgramRule,
    ProgramRules,
    case_program,
    classify_line,
    classify_lines,
)

RULES = ProgramRules(
    (ProgramRule(Program.RECALL, recall_hold=True),
     ProgramRule(Program.ASSET_RECOVERY, dispositions=frozenset({"RF"})),
     ProgramRule(Program.DAMAGED_GOODS, reasons=frozenset({"DA", "DT"})),
     ProgramRule(Program.EXCESS_INVENTORY, reasons=frozenset({"EI"}),
                 partners=frozenset({"bigbox"})),
     ProgramRule(Program.CUSTOMER_RETURN, reasons=frozenset({"DM"}), recall_hold=False)),
    default=Program.OTHER, partner_defaults={"liquidator": Program.EXCESS_INVENTORY})


def line(number: int = 1, *, partner: str = "northwind", reason: str | None = None,
         disposition: str | None = None, hold: bool = False,
         quantity: str | None = None) -> LineFacts:
    return LineFacts(number, partner, reason, disposition, hold,
                     Decimal(quantity) if quantity is not None else None)


def test_the_first_rule_that_applies_decides_and_says_which() -> None:
    found = classify_line(RULES, line(reason="DA", disposition="RF"))
    assert (found.program, found.rule) == (Program.ASSET_RECOVERY, 2)  # rule 2 before rule 3
    assert found.why == "rule 2 (disposition RF)"
    assert classify_line(RULES, line(reason="dt")).program is Program.DAMAGED_GOODS  # any case


def test_a_recall_hold_outranks_every_code() -> None:
    found = classify_line(RULES, line(reason="DM", disposition="RF", hold=True))
    assert (found.program, found.why) == (Program.RECALL, "rule 1 (on recall hold)")


def test_every_stated_condition_must_hold_and_a_missing_code_meets_none() -> None:
    assert classify_line(RULES, line(reason="EI")).program is Program.OTHER  # not bigbox
    assert classify_line(RULES, line(reason="EI", partner="bigbox")).rule == 4
    assert classify_line(RULES, line()).program is Program.OTHER  # no reason: no reason rule
    assert classify_line(RULES, line(reason="DM")).rule == 5
    held = ProgramRules((ProgramRule(Program.CUSTOMER_RETURN, reasons=frozenset({"DM"}),
                                     recall_hold=False),))
    assert classify_line(held, line(reason="DM", hold=True)).program is Program.OTHER


def test_a_partner_default_comes_before_the_default() -> None:
    found = classify_line(RULES, line(partner="liquidator", reason="NA"))
    assert (found.program, found.rule, found.why) == (
        Program.EXCESS_INVENTORY, None, "liquidator's default")
    assert classify_line(RULES, line(reason="NA")).why == "the default"
    assert classify_line(ProgramRules(), line(reason="DA")).program is Program.OTHER


def test_a_case_is_the_program_of_most_units_unless_a_line_is_a_recall() -> None:
    lines = [line(1, reason="DA", quantity="3"), line(2, reason="DM", quantity="5"),
             line(3, reason="DT", quantity="4")]
    assert case_program(lines, classify_lines(RULES, lines)) is Program.DAMAGED_GOODS  # 7 > 5
    recall = [*lines, line(4, hold=True, quantity="1")]
    assert case_program(recall, classify_lines(RULES, recall)) is Program.RECALL


def test_a_tie_goes_to_the_earliest_line_and_a_line_without_quantity_counts_one() -> None:
    lines = [line(1, reason="DM"), line(2, reason="DA")]  # one unit each
    assert case_program(lines, classify_lines(RULES, lines)) is Program.CUSTOMER_RETURN
    heavier = [line(1, reason="DM"), line(2, reason="DA", quantity="1.5")]
    assert case_program(heavier, classify_lines(RULES, heavier)) is Program.DAMAGED_GOODS
    assert case_program([], ()) is None
