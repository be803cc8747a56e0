"""Every `gateway` command and sub-command explains itself: a description and examples.

The walk covers the whole argparse tree `gateway.cli` builds, so a command added later without
examples fails here. `gateway demo` and `gateway console` belong to modules still being written:
they are skipped only while their ``add_commands`` registers nothing, and enforced from the
moment it registers a command.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from gateway.cli import catalog
from gateway.cli import command as cli
from gateway.cli import console as cli_console
from gateway.cli import demo as cli_demo

IN_PROGRESS = {"demo": cli_demo, "console": cli_console}  # enforced once they register


def sub_parsers(parser: argparse.ArgumentParser, path: str = "gateway"
                ) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield f"{path} {name}", child
                yield from sub_parsers(child, f"{path} {name}")


def registers_nothing(module: ModuleType) -> bool:
    commands = argparse.ArgumentParser().add_subparsers()
    module.add_commands(commands)
    return not commands.choices


COMMANDS = dict(sub_parsers(cli.full_parser()))


def test_the_walk_finds_the_commands_and_their_actions() -> None:
    assert {"gateway validate", "gateway run", "gateway replay", "gateway db upgrade",
            "gateway partners check", "gateway rma deny", "gateway recall status",
            "gateway mappings test", "gateway archive purge"} <= set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_a_description_and_examples(command: str) -> None:
    parser = COMMANDS[command]
    help_text = parser.format_help()
    assert parser.description, f"{command}: no description"
    assert "examples:" in help_text, f"{command}: no examples: epilog"
    assert isinstance(parser.formatter_class, type) and issubclass(
        parser.formatter_class, argparse.RawDescriptionHelpFormatter), \
        f"{command}: its examples would be re-wrapped"
    assert command in help_text.split("examples:", 1)[1], \
        f"{command}: its examples do not show the command itself"


@pytest.mark.parametrize("name", sorted(IN_PROGRESS))
def test_commands_being_written_are_enforced_once_registered(name: str) -> None:
    if registers_nothing(IN_PROGRESS[name]):
        pytest.skip(f"gateway {name}: its module registers no command yet")
    assert f"gateway {name}" in COMMANDS  # and the parametrized test above checks its help


# --- the catalog: `gateway --help` without loading the commands --------------------------------
def test_the_catalog_names_every_command_where_it_is_defined_in_the_order_shown() -> None:
    """Each catalog entry's module registers exactly its commands, and the full parser lists
    them in the catalog's order, each with the catalog's line."""
    for module in dict.fromkeys(c.module for c in catalog.COMMANDS):
        commands = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module).add_commands(commands)
        assert list(commands.choices) == [c.name for c in catalog.COMMANDS if c.module == module]
    top = next(a for a in cli.full_parser()._actions
               if isinstance(a, argparse._SubParsersAction))
    assert [(a.dest, a.help) for a in top._choices_actions] == [
        (c.name, c.summary) for c in catalog.COMMANDS]


def test_the_listing_is_the_full_parsers_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli._parser(["--help"]).format_help() == cli.full_parser().format_help()
    for arguments in (["--help"], ["--config", "x.yaml", "-h"], ["-h", "ingest"]):
        with pytest.raises(SystemExit) as stop:
            cli.main(arguments)
        assert stop.value.code == 0
        assert capsys.readouterr().out == cli.full_parser().format_help()


@pytest.mark.parametrize(("arguments", "named"), [
    (["ingest", "--partner", "x", "f.x12"], "ingest"),
    (["--config", "c.yaml", "show", "RMA1"], "show"),
    (["--config=c.yaml", "poll", "northwind"], "poll"),
    (["--conf", "c.yaml", "files"], "files"),  # argparse takes an unambiguous prefix
    (["--config"], None),
    (["--help", "ingest"], None),  # help for the whole command, as argparse gives it
    (["--vers"], None),
    (["--", "validate", "f.x12"], "validate"),
    ([], None),
])
def test_the_command_named_is_found_as_argparse_reads_it(arguments: list[str],
                                                         named: str | None) -> None:
    assert cli._command_in(arguments) == named


def test_a_command_loads_its_own_module_only() -> None:
    """`gateway --help` loads no command module; `gateway files --help` loads the store's
    commands and not the console's (a subprocess: this one has loaded them all)."""
    probe = ("import sys\nfrom gateway.cli import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith('gateway.cli.')), "
             "file=sys.stderr)")

    def loaded(*arguments: str) -> str:
        return subprocess.run([sys.executable, "-c", probe, *arguments], capture_output=True,
                              text=True, check=True).stderr.splitlines()[-1]

    assert loaded("--help") == str(["gateway.cli.args", "gateway.cli.catalog",
                                    "gateway.cli.command"])
    files = loaded("files", "--help")
    assert "'gateway.cli.store'" in files
    assert "gateway.cli.console" not in files and "gateway.cli.feed" not in files
    # A name that is no command is refused from the catalog, listing the real ones.
    done = subprocess.run([sys.executable, "-m", "gateway.cli", "ingset"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 2 and "invalid choice: 'ingset'" in done.stderr
