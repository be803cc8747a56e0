"""``gateway partners check``: every partner file, every problem, named by file and key."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gateway.app.connection_test import connection_steps
from gateway.app.outbound.react import react_to_file
from gateway.app.partners import PartnerSettings
from gateway.app.poll import Sender, poll_partner
from gateway.app.ports import GatewayStore
from gateway.bootstrap import (
    local_now,
    missing_secrets,
    open_channel,
    open_store,
    outbound_context,
    partner_file,
    partner_leases,
    poll_context,
)
from gateway.cli import args as cli_args
from gateway.cli.args import printable
from gateway.cli.catalog import summary
from gateway.config.partners import read_partner
from gateway.config.settings import load_config
from gateway.errors import TransportError
from gateway.x12.write import Identity

EXAMPLES = """examples:
  gateway partners check
  gateway partners test northwind
  gateway poll northwind
  gateway poll odfl --settle 5
"""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    partners = commands.add_parser("partners", help=summary("partners"),
                                   description="One YAML file per partner: identity, "
                                   "acknowledgement policy, transport and schedule.",
                                   epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = partners.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="check every partner file and report each problem with file and key",
        description="Exit 0 when every file is right, 1 otherwise. Secrets are checked for "
        "presence (the environment variable is set, the file exists), never shown.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.set_defaults(run=_check)

    test = actions.add_parser(
        "test", help="connect to a partner and try each step: host key, inbound, outbound",
        description="Checks the partner file, connects (the host key must match known_hosts), "
        "lists the inbound folder, then writes and removes a probe file in the outbound "
        "folder, reporting each step. Exit 0 when every step worked.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    test.add_argument("partner", type=cli_args.partner_id, metavar="PARTNER")
    test.set_defaults(run=_test)

    poll = commands.add_parser(
        "poll", help=summary("poll"),
        description="Files are taken only once they stopped growing (their size and time did "
        "not change across --settle seconds); the partner's copy is removed or moved only "
        "after the store committed it. Then the partner's pending acknowledgements are "
        "published. Exit 0 when the poll ran, 2 when the partner cannot be reached.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    poll.add_argument("partner", type=cli_args.partner_id, metavar="PARTNER")
    poll.add_argument("--settle", type=cli_args.seconds(0, cli_args.SETTLE_MAX), default=2.0,
                      metavar="SECONDS", help="how long a file must stay unchanged before it "
                      f"is taken (default 2, at most {cli_args.SETTLE_MAX:g})")
    poll.set_defaults(run=_poll)


def _check(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    folder = config.paths["partners"]
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        print(f"no partner files in {folder}/")
        return 0
    partners = {path: read_partner(path) for path in paths}
    claimed = _claimed_identities(partners, config.identity)
    bad = 0
    for path, partner in partners.items():
        problems = [*partner.problems, *missing_secrets(partner), *claimed.get(path, [])]
        if problems:
            bad += 1
            print(f"{path}: {len(problems)} problem{'s' * (len(problems) > 1)}")
            for problem in problems:
                print(f"  {problem}")
        else:
            print(f"{path}: ok ({partner.id}, {partner.role}, "
                  f"{partner.transport.type if partner.transport else '-'})")
    return 1 if bad else 0


def _claimed_identities(partners: dict[Path, PartnerSettings],
                        ours: Identity) -> dict[Path, list[str]]:
    """An ISA identity (qualifier and id) names one party: claimed by two partner files, a
    file from it would pass either partner's sender check; claimed as ours, it is us."""
    claims: dict[tuple[str, str], list[Path]] = {}
    for path, partner in partners.items():
        if partner.isa_qualifier and partner.isa_id:
            claims.setdefault(_isa_identity(partner.isa_qualifier, partner.isa_id),
                              []).append(path)
    problems: dict[Path, list[str]] = {}
    for (qualifier, isa_id), paths in claims.items():
        names = " and ".join(path.name for path in paths)
        for path in paths:
            if len(paths) > 1:
                problems.setdefault(path, []).append(
                    f"x12.isa_id: {qualifier}/{isa_id} is claimed by {names}: an ISA identity "
                    "names one partner, so keep it in one file")
            if (qualifier, isa_id) == _isa_identity(ours.isa_qualifier, ours.isa_id):
                problems.setdefault(path, []).append(
                    f"x12.isa_id: {qualifier}/{isa_id} is the gateway's own identity "
                    "(gateway.isa_qualifier / gateway.isa_id in the configuration)")
    return problems


def _isa_identity(qualifier: str, isa_id: str) -> tuple[str, str]:
    """As the sender check compares them: ISA ids are padded with spaces, case aside."""
    return qualifier.strip().upper(), isa_id.strip().upper()


def _poll(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    partner = partner_file(config, args.partner)
    if partner is None:
        print(f"gateway: there is no partner file for {args.partner!r} in "
              f"{config.paths['partners']}/", file=sys.stderr)
        return 2
    store = open_store(config)
    context = outbound_context(config, store)
    # A poll by hand is a node for its duration: it polls only while no `gateway run` node
    # does, and the nodes leave the partner alone until it is done.
    leases = partner_leases(config, store, f"gateway poll {partner.id}")
    leases.start(1)
    try:
        if not leases.may_poll(partner.id):
            print(f"gateway: {partner.id} is being polled by {_holder(store, partner.id)}: "
                  "not polled now (try again when that node has finished, or stop it)",
                  file=sys.stderr)
            return 2
        polling = poll_context(config, store, lambda result: react_to_file(
            context, result, local_now()), settle=args.settle,
            sender=Sender(leases.node_id, leases.lease))
        report = poll_partner(partner, polling, holds=lambda: leases.holds(partner.id))
    except TransportError as exc:
        print(f"gateway: poll of {partner.id} failed: {printable(str(exc))}", file=sys.stderr)
        return 2
    finally:
        leases.stop()
    # File names are the partner's choice: shown escaped, never as terminal commands.
    for name, result in report.taken:
        print(f"took {printable(name)}: file #{result.file_id} {result.state}")
    for name, why in report.waiting:
        print(f"left {printable(name)}: {printable(why)}")
    for name, why in report.skipped:  # never to be taken: a link, a pipe, a folder...
        print(f"skipped {printable(name)}: {printable(why)}")
    for line in (line for done in report.reactions.values() for line in done.lines()):
        print(f"  {printable(line)}")
    for name in report.sent:
        print(f"sent {printable(name)}")
    if not (report.taken or report.waiting or report.sent or report.skipped):
        print(f"nothing to do for {partner.id}")
    return 0


def _holder(store: GatewayStore, partner_id: str) -> str:
    """The node that holds ``partner_id``'s lease, as people call it."""
    for node in store.nodes():
        if partner_id in node.partners:
            return (f"node {printable(node.name)} (pid {node.pid} on {printable(node.host)}; "
                    "if it died, its lease runs out within cluster.lease_seconds)")
    return "another node"


_LABEL = {"ok": "ok", "warn": "warn", "fail": "FAIL"}


def _test(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    path = config.paths["partners"] / f"{args.partner}.yaml"
    if not path.is_file():
        print(f"FAIL partner file: {path} does not exist")
        return 1
    partner = read_partner(path)
    problems = [*partner.problems, *missing_secrets(partner)]
    if problems:
        print(f"FAIL partner file {path}: " + "; ".join(problems))
        return 1
    print(f"ok   partner file {path}")
    steps = connection_steps(partner, open_channel)
    for step in steps:  # the server's words and its files' names: escaped
        print(f"{_LABEL[step.outcome]:<4} {printable(step.text)}")
    return 1 if steps[-1].outcome == "fail" else 0
