"""The ``gateway`` command: one parser over the command groups in ``gateway/cli``, and one way
for every command to end (an escaped line on standard error and an exit code, never a
traceback).

Only the module of the command asked for is loaded (`gateway.cli.catalog` names it): each
imports the use cases it runs, and loading them all costs a third of a second. `gateway
--help` and a name that is no command are answered from the catalog alone.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Iterable, Sequence
from typing import NoReturn

from gateway import __version__
from gateway.cli import args as cli_args
from gateway.cli.args import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NOT_X12,
    EXIT_REJECTED,
    EXIT_USAGE,
    refused,
)
from gateway.cli.catalog import COMMANDS, command_named
from gateway.errors import GatewayError
from gateway.monitoring.logs import escape_unconfigured_logs

DEBUG_ENV = "GATEWAY_DEBUG"  # set to 1 to see the traceback of an unexpected error

EXAMPLES = """examples:
  gateway validate samples/valid/856-pick-pack.x12
  gateway validate --json inbound/*.edi
  gateway ack samples/valid/856-pick-pack.x12
  gateway ack --functional 999 --ta1 always --interchange-control 1200 FILE
  gateway process samples/valid samples/defects --acks-dir var/acks
  gateway run
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; whatever goes wrong ends as one line on standard error."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    args = _parser(arguments).parse_args(arguments)
    if not hasattr(args, "run"):  # not expected: the catalog's listing only prints and exits
        args = full_parser().parse_args(arguments)
    escape_unconfigured_logs()  # a warning quoting a partner's file name is escaped too
    try:
        return int(args.run(args))
    except GatewayError as exc:
        return refused(str(exc), EXIT_NOT_X12)
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_REJECTED
    except OSError as exc:  # a file or folder the command needed, outside the cases it names
        where = f"{exc.filename}: " if exc.filename is not None else ""
        return refused(f"{where}{exc.strerror or exc}", EXIT_NOT_X12)
    except KeyboardInterrupt:
        return refused("interrupted", EXIT_INTERRUPTED)
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            raise
        return refused(f"internal error ({type(exc).__name__}: {exc}); this is a fault of "
                       f"the gateway: please report it with the command that caused it "
                       f"({DEBUG_ENV}=1 shows the details)", EXIT_INTERNAL)


class _CommandParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one escaped line that points at --help, not a usage
    block; every sub-command's parser is one of these too."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {cli_args.printable(message)} "
                              f"(see {self.prog} --help)\n")


def _parser(arguments: Sequence[str]) -> argparse.ArgumentParser:
    """The parser for ``arguments``: with the commands of the named command's module only,
    or, when no command is named (`gateway --help`, a bare `gateway`) or the name is no
    command, with every command's name and line from the catalog, which is all argparse then
    prints before it exits."""
    named = command_named(_command_in(arguments) or "")
    if named is None:
        return _listing()
    return _with_modules([named.module])


def full_parser() -> argparse.ArgumentParser:
    """Every command with all its arguments: what the tests walk, and the help must match."""
    return _with_modules(command.module for command in COMMANDS)


def _with_modules(modules: Iterable[str]) -> argparse.ArgumentParser:
    parser, commands = _top()
    for module in dict.fromkeys(modules):
        importlib.import_module(module).add_commands(commands)
    return parser


def _listing() -> argparse.ArgumentParser:
    parser, commands = _top()
    for command in COMMANDS:
        commands.add_parser(command.name, help=command.summary)
    return parser


def _top() -> tuple[argparse.ArgumentParser,
                    argparse._SubParsersAction[argparse.ArgumentParser]]:
    # Typed as the base class so that sub-command modules take its subparsers; at run time
    # every sub-command's parser is a _CommandParser too (argparse uses type(parser)).
    parser: argparse.ArgumentParser = _CommandParser(
        prog="gateway", description="Returns gateway: X12 180/856/214/997/TA1 front door.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"gateway {__version__}")
    parser.add_argument("--config", type=cli_args.path, default=None,
                        help="configuration file (default: ./config.yaml, else embedded defaults)")
    return parser, parser.add_subparsers(dest="command", required=True, metavar="COMMAND")


def _command_in(arguments: Sequence[str]) -> str | None:
    """The command ``arguments`` name, as argparse will read them: the first word that is not
    an option or --config's value. None when help or the version is asked for first (argparse
    answers those for the whole command) or no word is there."""
    takes_value = False
    for argument in arguments:
        if takes_value:
            takes_value = False
        elif argument == "--":
            continue
        elif argument.startswith("-"):
            option = argument.split("=", 1)[0]
            if option in ("-h", "--help") or _abbreviates(option, "--help", "--version"):
                return None
            takes_value = "=" not in argument and _abbreviates(option, "--config")
        else:
            return argument
    return None


def _abbreviates(option: str, *names: str) -> bool:
    """Whether ``option`` is one of ``names`` or a prefix argparse would take for it."""
    return len(option) > 2 and any(name.startswith(option) for name in names)


if __name__ == "__main__":
    sys.exit(main())
