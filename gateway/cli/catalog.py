"""Each `gateway` command: the module that defines it, and its line in `gateway --help`.

`gateway --help`, and a command name that is not one, are answered from this table alone. A
command's module, which imports the use cases it runs, is loaded only when that command runs or
shows its own help (`gateway.cli.command`): `gateway ingest` does not load the console, and
`gateway --help` loads no command at all. Each module takes its commands' lines from here
(`summary`), so a line is written once; `tests/test_help.py` holds the table and the modules
to each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    module: str  # its add_commands(commands) registers the command
    summary: str  # its line in `gateway --help`


COMMANDS: tuple[Command, ...] = (
    Command("validate", "gateway.cli.checks",
            "check X12 files and say what is accepted or rejected, and why"),
    Command("ack", "gateway.cli.checks",
            "print the 997/999/TA1 interchanges the gateway would send for a file"),
    Command("process", "gateway.cli.checks",
            "validate and acknowledge every file in folders (nothing stored)"),
    Command("translate", "gateway.cli.translate",
            "print the canonical documents (JSON) a file translates into"),
    Command("mappings", "gateway.cli.translate",
            "work with translation mappings"),
    Command("db", "gateway.cli.store",
            "the gateway's database"),
    Command("ingest", "gateway.cli.store",
            "take files in: archive, record, validate, translate, store, queue acks"),
    Command("show", "gateway.cli.store",
            "a return case's timeline across 180, 856, 214, recalls and acks"),
    Command("replay", "gateway.cli.store",
            "run archived files through the current grammars and mappings again"),
    Command("archive", "gateway.cli.store",
            "the raw archive of inbound files"),
    Command("files", "gateway.cli.store",
            "recent files with their state and findings"),
    Command("partners", "gateway.cli.partners",
            "trading partner files (partners/*.yaml)"),
    Command("poll", "gateway.cli.partners",
            "one poll of a partner now: take in its files, send its acknowledgements"),
    Command("rma", "gateway.cli.outbound",
            "decide a return request, or record that goods came back, what became of them, "
            "or that the case closed"),
    Command("acks", "gateway.cli.outbound",
            "what we sent and whether the partner acknowledged it"),
    Command("recall", "gateway.cli.outbound",
            "recall notices and their effectiveness"),
    Command("events", "gateway.cli.feed",
            "the event feed internal systems read, oldest first, by cursor"),
    Command("export", "gateway.cli.feed",
            "events, documents, return cases or lines as JSON lines or CSV"),
    Command("subscriptions", "gateway.cli.feed",
            "the internal systems sent the feed as signed webhooks"),
    Command("demo", "gateway.cli.demo",
            "run the whole returns story against an embedded SFTP server"),
    Command("console", "gateway.cli.console",
            "the admin web console (partners, files, cases, acks, recalls)"),
    Command("tokens", "gateway.cli.access",
            "the JSON API's clients: named tokens with scopes"),
    Command("users", "gateway.cli.access",
            "the people who sign in to the console, and their roles"),
    Command("audit", "gateway.cli.access",
            "every write through the API, the console and these commands"),
    Command("nodes", "gateway.cli.nodes",
            "the gateway nodes on this store: heartbeats and the partners each polls"),
    Command("programs", "gateway.cli.programs",
            "return programs: the rules (programs/rules.yaml) and their examples"),
    Command("receiving", "gateway.cli.receiving",
            "the receiving schedule: shipments each return centre should expect"),
    Command("run", "gateway.cli.daemon",
            "the daemon: poll every partner on its schedule, send acknowledgements"),
)
_BY_NAME = {command.name: command for command in COMMANDS}


def summary(name: str) -> str:
    """The command's line in `gateway --help`."""
    return _BY_NAME[name].summary


def command_named(name: str) -> Command | None:
    return _BY_NAME.get(name)
