"""Syntax rules name the element at fault, so the 997 carries an AK4 a person can act on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.x12.ack import AckPolicy, build_acknowledgements
from gateway.x12.assess import assess
from gateway.x12.syntax_rules import blame, rule_in
from gateway.x12.write import Identity, SequentialControlNumbers
from tests.x12.x12text import BODY_214, group, interchange, transaction


def test_rule_is_read_from_the_pyx12_message() -> None:
    assert rule_in("Syntax Error (P0304): If any of N103, N104 is present") == ("P", [3, 4])
    assert rule_in("Syntax Error (L010203): ...") == ("L", [1, 2, 3])
    assert rule_in("Segment has data element errors: syntax rule E0103 is broken") == (
        "E", [1, 3])
    assert rule_in("Mandatory segment missing") is None


@pytest.mark.parametrize(("kind", "positions", "values", "expected"), [
    ("P", [3, 4], ["N1", "ST", "NAME", "92"], [(4, "2")]),  # N103 without N104
    ("P", [3, 4], ["N1", "ST", "NAME", "", "X"], [(3, "2")]),  # N104 without N103
    ("P", [3, 4], ["N1", "ST", "NAME"], []),  # neither: the rule holds
    ("R", [2, 3], ["N1", "ST"], [(2, "2")]),
    ("C", [1, 2, 3], ["X", "A", "", ""], [(2, "2"), (3, "2")]),
    ("L", [1, 2, 3], ["X", "A"], [(2, "2")]),
    ("E", [1, 3], ["AT7", "X3", "", "AA"], [(3, "10")]),
    ("E", [1, 3], ["AT7", "X3"], []),
    ("C", [1, 2], ["X", "", "B"], []),
])
def test_each_rule_kind_blames_the_right_elements(
        kind: str, positions: list[int], values: list[str],
        expected: list[tuple[int, str]]) -> None:
    assert [(b.position, b.code) for b in blame(kind, positions, values)] == expected


def test_a_997_names_the_missing_element_of_a_paired_rule() -> None:
    body = [*BODY_214[:2], "N1*ST*RETURN CENTER*92", *BODY_214[2:]]  # N104 missing: P0304
    data = interchange([group([transaction(body=body)])]).encode()
    assessment = assess(data)
    [answer] = build_acknowledgements(assessment, Identity("ZZ", "US", "US"), AckPolicy(),
                                      SequentialControlNumbers(),
                                      datetime(2026, 1, 2, tzinfo=UTC))
    lines = answer.text.split("~")
    assert "AK3*N1*4**8" in lines
    assert "AK4*4*67*2" in lines  # N104, data element 67 (identification code)
    assert "AK5*R*5" in lines
