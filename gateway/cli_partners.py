"""``gateway partners check``: every partner file, every problem, named by file and key."""

from __future__ import annotations

import argparse
import os

from gateway.bootstrap import load_config
from gateway.partners import Partner, read_partner

EXAMPLES = """examples:
  gateway partners check
"""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    partners = commands.add_parser("partners", help="trading partner files (partners/*.yaml)",
                                   epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = partners.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="check every partner file and report each problem with file and key",
        description="Exit 0 when every file is right, 1 otherwise. Secrets are checked for "
        "presence (the environment variable is set, the file exists), never shown.")
    check.set_defaults(run=_check)


def _check(args: argparse.Namespace) -> int:
    folder = load_config(args.config).paths["partners"]
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        print(f"no partner files in {folder}/")
        return 0
    bad = 0
    for path in paths:
        partner = read_partner(path)
        problems = [*partner.problems, *_missing_secrets(partner)]
        if problems:
            bad += 1
            print(f"{path}: {len(problems)} problem{'s' * (len(problems) > 1)}")
            for problem in problems:
                print(f"  {problem}")
        else:
            print(f"{path}: ok ({partner.id}, {partner.role}, "
                  f"{partner.transport.type if partner.transport else '-'})")
    return 1 if bad else 0


def _missing_secrets(partner: Partner) -> list[str]:
    """A secret's reference can be right while the secret is absent: say so, never show it."""
    transport = partner.transport
    if transport is None:
        return []
    problems = []
    for key, ref in (("private_key", transport.private_key),
                     ("passphrase", transport.passphrase)):
        if ref is not None and ref.env and not os.environ.get(ref.env):
            problems.append(f"transport.{key}: the environment variable {ref.env} is not set")
        if ref is not None and ref.file and not ref.file.is_file():
            problems.append(f"transport.{key}: the file {ref.file} does not exist")
    return problems
