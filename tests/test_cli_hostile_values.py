"""Every `gateway` command, every option and positional, given hostile values: no traceback, ever.

The walk covers the whole argparse tree `gateway.cli` builds (as tests/test_help.py walks it),
so a command or option added later is tried too. Each call puts one hostile value (a huge or
negative number, NaN, an empty or blank string, NUL / CR LF / ANSI escape characters, a path
that does not exist, a folder where a file is expected and a file where a folder is, a file
number the store cannot hold, a very long value) into one option or positional of an otherwise
valid command line, against a temporary config and a migrated SQLite store, in-process through
`gateway.cli.command`.

What every answer must be: no traceback and no "internal error" (the last-resort handler of
`main` did not have to catch anything), exit 0, 1 or 2, something said when it is not 0, and
no control character of the value echoed raw. Commands that would start serving (`run`,
`console`) or the demo's story stop where they would start, counted as accepted: the
arguments were checked by then, and those services have their own tests.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.cli import command as cli
from gateway.cli import console as cli_console
from gateway.demo import run as demo_run
from gateway.scheduler import Daemon
from tests.test_cli_robustness import REPO, Outcome, gateway, write_config
from tests.test_help import sub_parsers

SMALL_FILE = REPO / "samples" / "valid" / "997-inbound-004010.x12"
VALID = {"file": str(SMALL_FILE), "files": str(SMALL_FILE), "paths": str(SMALL_FILE),
         "partner": "northwind", "reference": "RMA7734021", "notice": "26-031"}
VALID_IN = {("gateway replay", "files"): "#1",  # where a name means something else
            ("gateway subscriptions replay", "name"): "wms",
            ("gateway subscriptions replay", "cursor"): "1",
            ("gateway tokens create", "name"): "wms",
            ("gateway tokens create", "scopes"): "read",
            ("gateway tokens revoke", "name"): "wms",
            ("gateway users add", "name"): "dana",
            ("gateway users add", "role"): "admin",
            ("gateway users passwd", "name"): "dana",
            ("gateway users disable", "name"): "dana",
            ("gateway rma dispose", "line"): "1",
            ("gateway rma dispose", "outcome"): "recycle"}
PARSER = cli.full_parser()
LEAVES = {name: parser for name, parser in sub_parsers(PARSER)
          if not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)}
CONFIG_OPTION = next(a for a in PARSER._actions if "--config" in a.option_strings)


class ServiceWouldStart(BaseException):  # a signal to the walk, not an error
    """Raised where a command would start serving: its arguments were accepted."""


def hostile_values(root: Path) -> dict[str, str]:
    folder = root / "a-folder"
    folder.mkdir(exist_ok=True)
    text_file = root / "notes.txt"
    text_file.write_text("not X12, not YAML: a file where a folder is expected\n")
    return {
        "huge": "99999999999999999999999", "huge negative": "-99999999999999999999999",
        "negative": "-1", "zero": "0", "NaN": "nan", "infinite": "inf", "empty": "",
        "blank": "   ", "NUL": "a\x00b", "CR LF": "x\r\ny", "ANSI": "\x1b[31mred\x1b[0m",
        "missing path": str(root / "does-not-exist" / "in.x12"), "folder": str(folder),
        "a plain file": str(text_file),
        "huge file number": "#99999999999999999999999", "negative file number": "#-1",
        "superscript file number": "#\u00b2", "Arabic-Indic file number": "#\u0663",
        "very long": "x" * 10_000,
    }


def takes_a_value(action: argparse.Action) -> bool:
    return action.nargs != 0 and not isinstance(
        action, argparse._HelpAction | argparse._VersionAction | argparse._SubParsersAction)


def command_line(name: str, parser: argparse.ArgumentParser, config: str,
                 hostile: argparse.Action | None = None, value: str = "") -> list[str]:
    """``name``'s command line with valid values for what it requires, and ``value`` in
    ``hostile`` (options as --opt=VALUE, positionals after --, so a value may start with -)."""
    options, positionals = [], []
    for action in parser._actions:
        if not takes_a_value(action):
            continue
        if action is hostile and action.option_strings:
            options.append(f"{action.option_strings[-1]}={value}")
        elif action is hostile:
            positionals.append(value)
        elif action.required and action.option_strings:
            options.append(f"{action.option_strings[-1]}={valid(name, action)}")
        elif action.required or action.nargs == "+":
            positionals.append(valid(name, action))
    config_value = value if hostile is CONFIG_OPTION else config
    ending = ["--", *positionals] if positionals else []  # a lone -- is refused
    return [f"--config={config_value}", *name.split()[1:], *options, *ending]


def valid(name: str, action: argparse.Action) -> str:
    return VALID_IN.get((name, action.dest)) or VALID[action.dest]


def problems_with(outcome: Outcome, value: str) -> list[str]:
    said = outcome.out + outcome.err
    problems = []
    if "Traceback" in said or "internal error" in outcome.err:
        problems.append("a traceback or an internal error")
    if outcome.code not in (0, 1, 2):
        problems.append(f"exit {outcome.code}")
    if outcome.code != 0 and not said.strip():
        problems.append("refused without a word")
    if outcome.code != 0 and not all(line.startswith("gateway") for line in
                                     outcome.err.strip().splitlines()):
        problems.append("refused with a line on standard error that is not the gateway's")
    unprintable = {c for c in value if not c.isprintable()}
    # Line breaks end every message: a raw one shows as the value itself, unescaped.
    if unprintable and (value in said or unprintable - {"\n"} & set(said)):
        problems.append("echoed the value's control characters raw")
    return problems


@pytest.fixture
def walk_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              capsys: pytest.CaptureFixture[str]) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)

    for target, name in ((Daemon, "run"), (demo_run, "write_client_keys"),
                         (cli_console, "serve_forever")):
        monkeypatch.setattr(target, name, _would_start)
    (tmp_path / "partners").mkdir()
    config = write_config(tmp_path, f"url: 'sqlite:///{tmp_path / 'gateway.sqlite'}'")
    assert gateway(capsys, "--config", str(config), "db", "upgrade").code == 0
    yield config


def _would_start(*_args: object, **_kwargs: object) -> None:
    raise ServiceWouldStart


def run_walked(capsys: pytest.CaptureFixture[str], argv: list[str]) -> Outcome:
    """`gateway ARGV`, as if in a process of its own: `gateway run` routes the root logger
    to the standard error of its moment, which must not outlive the call here."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        return _walked(capsys, argv)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def _walked(capsys: pytest.CaptureFixture[str], argv: list[str]) -> Outcome:
    try:
        return gateway(capsys, *argv)
    except ServiceWouldStart:
        captured = capsys.readouterr()
        return Outcome(0, captured.out, captured.err)
    except Exception as exc:  # escaped main(): a person would have seen a traceback
        captured = capsys.readouterr()
        return Outcome(-1, captured.out, f"{captured.err}Traceback (escaped main): {exc!r}")


def test_the_walk_reaches_every_kind_of_argument() -> None:
    dests = {a.dest for p in LEAVES.values() for a in p._actions if takes_a_value(a)}
    assert {"limit", "reference", "files", "settle", "metrics_host", "lines", "note", "since",
            "interchange_control", "workspace", "port", "partner", "notice"} <= dests
    assert len(LEAVES) >= 20


@pytest.mark.parametrize("name", sorted(LEAVES))
def test_the_walks_command_lines_parse_with_valid_values(name: str) -> None:
    """Without this the walk could be refused for its own mistakes and prove nothing."""
    parser = LEAVES[name]
    hostile = [a for a in parser._actions if takes_a_value(a)]
    for action in [None, *hostile]:
        known = action is not None and action.dest in VALID
        if action is None or known:
            value = valid(name, action) if action is not None and known else ""
            PARSER.parse_args(command_line(name, parser, "config.yaml", action, value))


@pytest.mark.parametrize("name", sorted(LEAVES))
def test_every_argument_of_every_command_survives_hostile_values(
        name: str, walk_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = LEAVES[name]
    targets = [CONFIG_OPTION, *(a for a in parser._actions if takes_a_value(a))]
    failures = []
    for action in targets:
        for label, value in hostile_values(walk_root.parent).items():
            argv = command_line(name, parser, str(walk_root), action, value)
            outcome = run_walked(capsys, argv)
            failures += [f"{name} {action.option_strings or action.dest} = {label}: {p}\n"
                         f"    exit {outcome.code}, said: {(outcome.err or outcome.out)[-300:]!r}"
                         for p in problems_with(outcome, value)]
    assert not failures, "\n".join(failures)
