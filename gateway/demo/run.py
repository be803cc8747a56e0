"""`gateway demo` from start to end: workspace, server, partner files, story, summary."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import TextIO

import asyncssh

from gateway.app.partners import PartnerSettings
from gateway.bootstrap import upgrade_store
from gateway.config.settings import GatewayConfig
from gateway.demo.documents import RMA, StoryClock, request_day
from gateway.demo.gateway_loop import GatewayLoop
from gateway.demo.internal_system import InternalSystem
from gateway.demo.partner_side import PartnerClient, PartnerLogin
from gateway.demo.progress import Progress
from gateway.demo.scenario import Story
from gateway.demo.server import HOST, DemoSftpServer
from gateway.demo.summary import print_summary
from gateway.demo.workspace import (
    PARTNER_IDS,
    Workspace,
    prepare,
    project_folder,
    shown,
    write_client_keys,
    write_config,
    write_known_hosts,
    write_partner_files,
)

EXPLORE_ROUND_SECONDS = 2.0


def run_demo(folder: Path, *, out: TextIO, quiet: bool = False,
             keep_running: bool = False, colour: bool | None = None) -> int:
    started = time.monotonic()
    progress = Progress(out, quiet=quiet, colour=colour)
    samples = project_folder("samples")
    workspace = prepare(folder)
    gateway_keys = write_client_keys(workspace)
    # Each partner uploads with a key of its own, as a real partner would; kept in memory.
    partner_keys = {p: asyncssh.generate_private_key("ssh-ed25519") for p in PARTNER_IDS}
    server = DemoSftpServer({p: workspace.sftp_home(p) for p in PARTNER_IDS},
                            {p: [gateway_keys[p], partner_keys[p]] for p in PARTNER_IDS})
    with server, InternalSystem() as warehouse:
        write_known_hosts(workspace, server.known_hosts_line())
        partners = write_partner_files(workspace, server.port)
        config = write_config(workspace)
        _create_schema(config)
        _introduce(progress, workspace, server, partners)
        gateway = GatewayLoop(config, partners)
        try:
            clients = {p: PartnerClient(PartnerLogin(p, server.port, partner_keys[p],
                                                     server.known_hosts_line()))
                       for p in PARTNER_IDS}
            Story(gateway, clients, samples, progress, StoryClock(), request_day()).run()
            _hand_over(progress, gateway, warehouse, workspace)
            print_summary(gateway.store, progress, workspace.config_file)
            progress.print(f"  done in {time.monotonic() - started:.1f} s; the demo's SFTP "
                           "server is " + ("still running" if keep_running else "stopped"),
                           "dim")
            if keep_running:
                _explore(progress, gateway, workspace, server.port)
        finally:
            gateway.store.close()
    return 0


def _hand_over(progress: Progress, gateway: GatewayLoop, warehouse: InternalSystem,
               workspace: Workspace) -> None:
    """The internal system behind the gateway takes the event feed, as `gateway run` sends it."""
    delivered = warehouse.take_feed(gateway.store, warehouse.subscribe(workspace))
    about = warehouse.about_case(RMA)
    progress.says("warehouse", f"the internal system on {warehouse.url} took {delivered} "
                  f"events as signed webhooks ({len(warehouse.received)} verified, "
                  f"{warehouse.forged} forged); case {RMA}: " + ", ".join(
                      f"{count} {kind}" for kind, count in sorted(about.items())), "cyan")


def _introduce(progress: Progress, workspace: Workspace, server: DemoSftpServer,
               partners: dict[str, PartnerSettings]) -> None:
    p = progress
    if p.quiet:
        return
    p.print(f"Returns gateway demo, in {shown(workspace.root)}/ (written again by each run)",
            "bold")
    p.print(f"  SFTP server on {HOST}:{server.port}, host key {server.fingerprint()}, pinned "
           f"in {shown(workspace.known_hosts)}")
    p.print("  partners, one SFTP user each (key only, confined to its folder): " + ", ".join(
        f"{partner.id} ({partner.role})" for partner in partners.values()))
    p.print(f"  partner files checked: {shown(workspace.root / 'partners')}/*.yaml; store "
           f"{shown(workspace.root / 'gateway.sqlite')}")


def _explore(progress: Progress, gateway: GatewayLoop, workspace: Workspace, port: int) -> None:
    """Keep the server and the gateway's rounds going until Ctrl-C, for a person to try."""
    keys = shown(workspace.keys)
    progress.print()
    progress.print("The server and the gateway keep running; Ctrl-C stops both. To drop a "
                   "file as a partner (here northwind):", "bold")
    progress.print(f"  sftp -i {keys}/northwind -o UserKnownHostsFile={keys}/known_hosts "
                   f"-P {port} northwind@{HOST}")
    progress.print("  sftp> put FILE /outbox/      (answers appear in /inbox)")
    explorer = Progress(progress.out, colour=progress.style.colour)  # never quiet here
    # SIGTERM (a service manager, `kill`) stops as cleanly as Ctrl-C does.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        while True:
            gateway.until_idle(explorer.round)
            time.sleep(EXPLORE_ROUND_SECONDS)
    except KeyboardInterrupt:
        progress.print("stopping the demo's SFTP server")
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _create_schema(config: GatewayConfig) -> None:
    """`gateway db upgrade` on the workspace's fresh SQLite file."""
    upgrade_store(config)
