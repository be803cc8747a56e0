"""``gateway demo``: the whole returns story on this machine, against an embedded SFTP server."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gateway.cli import args as cli_args
from gateway.cli.catalog import summary

DEFAULT_WORKSPACE = Path("var/demo")
EXAMPLES = """examples:
  gateway demo                          # the story in var/demo/, in under half a minute
  gateway demo --workspace /tmp/demo    # somewhere else (an empty or earlier demo folder)
  gateway demo --quiet                  # only the summary
  gateway demo --keep-running           # then leave the server and the gateway up to explore
  gateway --config var/demo/config.yaml show RMA7734021    # afterwards: one return case
"""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo", help=summary("demo"),
        description="Starts an SFTP server on 127.0.0.1 (a free port, a new host key, one "
        "key-only user per sample partner, each confined to its folder), writes partner "
        "files, keys and a config.yaml into a demo workspace, then lets a retailer, a carrier, "
        "a vendor and a recall coordinator drop their files while the gateway polls, answers "
        "and tracks them, and ends with a summary and the commands to look further. Needs no "
        "root and no setup; nothing leaves this machine. The workspace is wiped and written "
        "again by each run; a folder that is not a demo workspace is refused, never wiped.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    demo.add_argument("--workspace", type=cli_args.path, default=DEFAULT_WORKSPACE,
                      metavar="DIR",
                      help=f"the demo's folder (default: {DEFAULT_WORKSPACE})")
    demo.add_argument("--keep-running", action="store_true",
                      help="after the story, keep the server and the gateway running until "
                      "Ctrl-C, to drop files of your own")
    demo.add_argument("--quiet", "-q", action="store_true",
                      help="print only the summary")
    demo.set_defaults(run=_demo)


def _demo(args: argparse.Namespace) -> int:
    if args.config is not None:
        print("gateway: the demo writes its own configuration into its workspace; "
              "--config is not used", file=sys.stderr)
        return 2
    # The demo's SFTP server (asyncssh) is loaded only when the demo runs.
    from gateway.demo.run import run_demo  # noqa: PLC0415
    from gateway.demo.workspace import WorkspaceRefused  # noqa: PLC0415
    try:
        return run_demo(args.workspace, out=sys.stdout, quiet=args.quiet,
                        keep_running=args.keep_running)
    except WorkspaceRefused as exc:
        print(f"gateway demo: {exc}", file=sys.stderr)
        return 2
