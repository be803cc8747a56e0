"""The programs folder an admin edits: the rules that classify returns, and their golden examples.

```
programs/
  rules.yaml            default, partner_defaults, rules (first match: gateway.domain.programs)
  examples/<name>.yaml  a partner's lines and the programs they must get (gateway programs test)
```
Without ``rules.yaml`` every line is in the program ``other``. A file that is wrong stops with
a `ConfigError` naming the file and key (``rules[3].reasons``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from gateway.config.yaml_files import read_yaml_mapping
from gateway.domain.programs import LineFacts, Program, ProgramRule, ProgramRules
from gateway.errors import ConfigError

RULES_FILE = "rules.yaml"
_RULE_KEYS = {"program", "reasons", "dispositions", "partners", "recall_hold"}
_PROGRAMS = ", ".join(p.value for p in Program)


def load_program_rules(folder: Path) -> ProgramRules:
    """``folder/rules.yaml`` checked; the empty rules (everything ``other``) without it."""
    path = folder / RULES_FILE
    if not path.is_file():
        return ProgramRules()
    raw = read_yaml_mapping(path, empty_ok=True)
    reader = _Reader(str(path))
    reader.unknown(raw, {"default", "partner_defaults", "rules"}, "")
    return ProgramRules(
        tuple(reader.rule(item, f"rules[{number}]")
              for number, item in enumerate(reader.listed(raw.get("rules"), "rules"), 1)),
        reader.program(raw.get("default", Program.OTHER.value), "default"),
        {str(partner): reader.program(program, f"partner_defaults.{partner}")
         for partner, program in reader.mapping(raw.get("partner_defaults"),
                                                "partner_defaults").items()})


@dataclass(frozen=True, slots=True)
class ProgramExample:
    name: str
    path: Path
    lines: tuple[LineFacts, ...]
    expected_lines: dict[int, Program]
    expected_case: Program | None


def program_examples(folder: Path) -> list[ProgramExample]:
    """Every ``folder/examples/*.yaml``, checked, by name."""
    examples = folder / "examples"
    if not examples.is_dir():
        return []
    return [_example(path) for path in sorted(examples.glob("*.yaml"))]


def _example(path: Path) -> ProgramExample:
    raw = read_yaml_mapping(path)
    reader = _Reader(str(path))
    reader.unknown(raw, {"partner", "lines", "expect"}, "")
    partner = raw.get("partner")
    if not isinstance(partner, str) or not partner:
        raise ConfigError(str(path), "partner", "must name the partner the lines come from")
    lines = tuple(reader.line(item, f"lines[{number}]", partner)
                  for number, item in enumerate(reader.listed(raw.get("lines"), "lines"), 1))
    if not lines:
        raise ConfigError(str(path), "lines", "must list at least one line")
    expect = reader.mapping(raw.get("expect"), "expect")
    reader.unknown(expect, {"lines", "case"}, "expect.")
    expected_lines = {reader.whole(number, "expect.lines"):
                      reader.program(program, f"expect.lines.{number}")
                      for number, program in reader.mapping(expect.get("lines"),
                                                            "expect.lines").items()}
    case = expect.get("case")
    return ProgramExample(path.stem, path, lines, expected_lines,
                          None if case is None else reader.program(case, "expect.case"))


class _Reader:
    """Typed values out of one file's raw YAML, each failure naming the file and key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.source, key, problem)

    def unknown(self, raw: dict[str, Any], known: set[str], prefix: str) -> None:
        extra = sorted(set(map(str, raw)) - known)
        if extra:
            raise self.fail(f"{prefix}{extra[0]}", f"is not a known key (known: "
                            f"{', '.join(sorted(known))})")

    def listed(self, value: object, key: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(key, "must be a list")
        return value

    def mapping(self, value: object, key: str) -> dict[Any, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(key, "must be a mapping")
        return value

    def program(self, value: object, key: str) -> Program:
        try:
            return Program(str(value))
        except ValueError:
            raise self.fail(key, f"is {value!r}; use one of {_PROGRAMS}") from None

    def codes(self, value: object, key: str) -> frozenset[str]:
        """X12 codes (1 to 3 letters or digits), written as a list or one value."""
        items = value if isinstance(value, list) else [] if value is None else [value]
        codes = frozenset(str(item).strip().upper() for item in items)
        bad = sorted(c for c in codes if not (1 <= len(c) <= 3 and c.isascii() and c.isalnum()))
        if bad:
            raise self.fail(key, f"holds {bad[0]!r}; write X12 codes of 1 to 3 letters or "
                            "digits, as a list")
        return codes

    def flag(self, value: object, key: str) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        raise self.fail(key, f"is {value!r}; write true or false")

    def whole(self, value: object, key: str) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        raise self.fail(key, f"holds {value!r}; line numbers are whole numbers from 1")

    def rule(self, raw: object, key: str) -> ProgramRule:
        item = self.mapping(raw, key)
        self.unknown(item, _RULE_KEYS, f"{key}.")
        if "program" not in item:
            raise self.fail(f"{key}.program", f"is missing; use one of {_PROGRAMS}")
        return ProgramRule(self.program(item["program"], f"{key}.program"),
                           self.codes(item.get("reasons"), f"{key}.reasons"),
                           self.codes(item.get("dispositions"), f"{key}.dispositions"),
                           frozenset(map(str, self.listed(item.get("partners"),
                                                          f"{key}.partners"))),
                           self.flag(item.get("recall_hold"), f"{key}.recall_hold"))

    def line(self, raw: object, key: str, partner: str) -> LineFacts:
        item = self.mapping(raw, key)
        self.unknown(item, {"line", "reason", "disposition", "recall_hold", "quantity"},
                     f"{key}.")
        return LineFacts(self.whole(item.get("line"), f"{key}.line"), partner,
                         _code(item.get("reason")), _code(item.get("disposition")),
                         bool(self.flag(item.get("recall_hold"), f"{key}.recall_hold")),
                         self.quantity(item.get("quantity"), f"{key}.quantity"))

    def quantity(self, value: object, key: str) -> Decimal | None:
        if value is None:
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.fail(key, f"is {value!r}; write a number of units") from None
        if not number.is_finite() or number < 0:
            raise self.fail(key, f"is {value!r}; write a number of units")
        return number


def _code(value: object) -> str | None:
    return None if value is None else str(value).strip().upper()
