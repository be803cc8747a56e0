"""``gateway nodes``: the `gateway run` processes sharing this store, and what each one holds."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta

from gateway.app.cluster import NodeRecord
from gateway.bootstrap import open_store
from gateway.cli.args import printable
from gateway.cli.catalog import summary
from gateway.config.settings import load_config

EXAMPLES = """examples:
  gateway nodes
  gateway nodes --format json
"""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    nodes = commands.add_parser(
        "nodes", help=summary("nodes"),
        description="Every `gateway run` (and `gateway poll`) that ran on this store in the last "
        "week, newest first: alive (heard from within cluster.lease_seconds), stopped (a clean "
        "stop) or dead (not heard from: its partners are taken over by the others), with the "
        "partners and subscribers whose leases it holds.", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    nodes.add_argument("--format", choices=("text", "json"), default="text",
                       help="text (default) or json: a list of nodes")
    nodes.set_defaults(run=_nodes)


def _nodes(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = open_store(config)
    try:
        now, found = store.database_now(), store.nodes()
    finally:
        store.close()
    lease = timedelta(seconds=config.cluster.lease_seconds)
    if args.format == "json":
        print(json.dumps([_as_json(node, now, lease) for node in found], indent=2))
        return 0
    if not found:
        print("no node has run on this store yet (gateway run starts one)")
        return 0
    for node in found:
        print(_line(node, now, lease))
    return 0


def node_state(node: NodeRecord, now: datetime, lease: timedelta) -> str:
    if node.stopped_at is not None:
        return "stopped"
    return "alive" if node.alive(now, lease) else "dead"


def _as_json(node: NodeRecord, now: datetime, lease: timedelta) -> dict[str, object]:
    return {"id": node.id, "name": node.name, "host": node.host, "pid": node.pid,
            "started_at": node.started_at.isoformat(),
            "heartbeat_at": node.heartbeat_at.isoformat(),
            "stopped_at": node.stopped_at.isoformat() if node.stopped_at else None,
            "state": node_state(node, now, lease), "alive": node.alive(now, lease),
            "partners": list(node.partners)}


def _line(node: NodeRecord, now: datetime, lease: timedelta) -> str:
    ago = max(0, int((now - node.heartbeat_at).total_seconds()))
    held = ", ".join(node.partners) or "nothing"
    return (f"{printable(node.name)}  {node_state(node, now, lease)}  pid {node.pid} on "
            f"{printable(node.host)}  started {node.started_at:%Y-%m-%d %H:%M:%S %Z}  "
            f"heard from {ago} s ago  holds: {printable(held)}")
