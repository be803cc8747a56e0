"""The programs folder (programs/rules.yaml and examples/) and `gateway programs`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gateway.config.programs import load_program_rules, program_examples
from gateway.domain.programs import Program, classify_lines
from gateway.errors import ConfigError
from tests.cli import run_gateway

REPO = Path(__file__).resolve().parents[1]
PROGRAMS = REPO / "programs"


def test_the_stock_examples_pass_through_the_command() -> None:
    done = run_gateway("programs", "test", cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    examples = program_examples(PROGRAMS)
    assert f"{len(examples)} of {len(examples)} examples pass" in done.stdout


def test_every_stock_rule_decides_a_line_of_some_example() -> None:
    """A rule no example exercises can be changed or shadowed without anyone noticing."""
    rules = load_program_rules(PROGRAMS)
    deciding = {found.rule for example in program_examples(PROGRAMS)
                for found in classify_lines(rules, example.lines)}
    untested = sorted(set(range(1, len(rules.rules) + 1)) - deciding)
    assert not untested, f"rules without an example that they decide: {untested}"
    assert None in deciding  # and the default, too


def copy_programs(tmp_path: Path) -> Path:
    shutil.copytree(PROGRAMS, tmp_path / "programs")
    return tmp_path


def test_an_example_the_rules_get_wrong_fails_and_says_why(tmp_path: Path) -> None:
    root = copy_programs(tmp_path)
    (root / "programs" / "examples" / "wrong.yaml").write_text(
        "partner: northwind\nlines: [{line: 1, reason: DA}]\n"
        "expect: {lines: {1: end-of-season, 2: recall}, case: recall}\n")
    done = run_gateway("programs", "test", cwd=root)
    assert done.returncode == 1
    assert "FAIL wrong" in done.stdout
    assert ("line 1: expected end-of-season, got damaged-goods by rule 5 (reason DA or DP or "
            "DT or PS)") in done.stdout
    assert "line 2: expected, but the example has no such line" in done.stdout
    assert "case: expected recall, got damaged-goods" in done.stdout


@pytest.mark.parametrize(("rules", "key", "problem"), [
    ("rules: [{program: refurb}]", "rules[1].program", "is 'refurb'; use one of"),
    ("rules: [{program: recall}, {reasons: [DA]}]", "rules[2].program", "is missing"),
    ("rules: [{program: recall, reasons: [DAMAGED]}]", "rules[1].reasons", "'DAMAGED'"),
    ("rules: [{program: recall, recall_hold: maybe}]", "rules[1].recall_hold",
     "write true or false"),
    ("rules: [{program: recall, reason: [DA]}]", "rules[1].reason", "is not a known key"),
    ("default: nothing", "default", "use one of"),
    ("partner_defaults: {northwind: bins}", "partner_defaults.northwind", "use one of"),
    ("rules: {program: recall}", "rules", "must be a list"),
])
def test_a_wrong_rules_file_names_the_file_and_the_key(tmp_path: Path, rules: str, key: str,
                                                       problem: str) -> None:
    (tmp_path / "rules.yaml").write_text(rules + "\n")
    with pytest.raises(ConfigError) as raised:
        load_program_rules(tmp_path)
    assert (raised.value.source, raised.value.key) == (str(tmp_path / "rules.yaml"), key)
    assert problem in raised.value.problem


def test_the_command_reports_a_broken_rules_file_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "programs").mkdir()
    (tmp_path / "programs" / "rules.yaml").write_text("rules: [{program: refurb}]\n")
    done = run_gateway("programs", "rules", cwd=tmp_path)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "rules.yaml: rules[1].program: is 'refurb'" in done.stderr


def test_without_rules_every_line_is_other(tmp_path: Path) -> None:
    assert load_program_rules(tmp_path).default is Program.OTHER
    done = run_gateway("programs", "rules", cwd=tmp_path)
    assert done.returncode == 0 and "every line is other" in done.stdout
    assert run_gateway("programs", "test", cwd=tmp_path).returncode == 1  # no examples
