"""``gateway console``: the admin web app, served by waitress on this machine."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timedelta
from typing import Any

from gateway.bootstrap import open_store
from gateway.cli import args as cli_args
from gateway.cli.catalog import summary
from gateway.config.settings import load_config
from gateway.console import DEFAULT_PORT

# Flask, waitress and the console's modules are imported only when `gateway console` runs:
# every other command (an export, a poll) starts without them, tens of MiB lighter.

READ_TOKEN_ENV = "GATEWAY_CONSOLE_TOKEN"
ADMIN_TOKEN_ENV = "GATEWAY_CONSOLE_ADMIN_TOKEN"

EXAMPLES = f"""examples:
  gateway users add dana --role admin   # people sign in with a name and a password
  gateway users add lee --role operator
  gateway console                       # http://127.0.0.1:{DEFAULT_PORT}/
  gateway console --port 9000 --idle-minutes 15 --session-hours 8
  gateway console --trusted-proxy 127.0.0.1   # a TLS proxy on this machine forwards to it
  gateway console --sign-out-all        # every browser must sign in again; then exits
  gateway tokens create pages-script --scope read    # a script's token (printed once)
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:{DEFAULT_PORT}/files

Pages: partners and their health, files (findings, acknowledgements, the raw file), return
cases, acknowledgements of what we sent (overdue, held), recalls and their effectiveness, and
for admins the audit log. Roles: viewer (sees everything), operator (decides returns, records
receipts), recall-coordinator (uploads recall notices), admin (everything: replays, people,
tokens, the audit log). A session ends when its browser signs out, after --idle-minutes
without a page (30), after --session-hours in all (12), when the person is disabled, or when
`gateway console --sign-out-all` ends them all (the console keeps running). A client with 10
failed sign-ins (or wrong tokens) within 5 minutes is answered 429 until the oldest is 5
minutes old. The same server answers the JSON API under /api/v1 (gateway tokens).
"""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    console = commands.add_parser(
        "console", help=summary("console"),
        description="Serves the console on this machine: people sign in with the name and "
        "password of `gateway users add`, and see and do what their role allows. Scripts "
        "send a named client's token ('Authorization: Bearer TOKEN', gateway tokens create) "
        "to read pages or, better, the JSON API under /api/v1. Only loopback addresses are "
        "served unless --allow-remote is given.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    console.add_argument("--port", type=cli_args.port(1), default=DEFAULT_PORT,
                         help=f"TCP port (default {DEFAULT_PORT}; 1 to 65535)")
    console.add_argument("--host", type=cli_args.host, default="127.0.0.1",
                         help="address to listen on (default 127.0.0.1; loopback only unless "
                         "--allow-remote)")
    console.add_argument("--allow-remote", action="store_true",
                         help="allow a non-loopback --host (put a TLS proxy in front: the "
                         "console speaks plain HTTP)")
    console.add_argument("--idle-minutes", type=cli_args.whole_number(1, 24 * 60), default=30,
                         help="end a session after this many minutes without a request "
                         "(default 30; 1 to 1440)")
    console.add_argument("--session-hours", type=cli_args.whole_number(1, 7 * 24), default=12,
                         help="end a session this many hours after sign-in, however busy "
                         "(default 12; 1 to 168)")
    console.add_argument("--trusted-proxy", type=_proxy, action="append", default=[],
                         metavar="ADDR", help="a proxy address (or network) whose "
                         "X-Forwarded-For and X-Forwarded-Proto are believed: https there "
                         "makes the session cookie Secure. Repeatable; none by default")
    console.add_argument("--sign-out-all", action="store_true",
                         help="end every console session in the store (a running console "
                         "refuses their cookies from its next request) and exit")
    console.set_defaults(run=_console)


def serve_forever(app: Any, host: str, port: int) -> None:
    """The console's server (waitress) until Ctrl+C."""
    from gateway.console.server import serve_forever as serve  # noqa: PLC0415 (see above)
    serve(app, host, port)


def _proxy(text: str) -> str:
    from gateway.console.proxy import trusted_network  # noqa: PLC0415 (see above)
    try:
        return str(trusted_network(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(cli_args.printable(str(exc))) from None


def _console(args: argparse.Namespace) -> int:
    from gateway.console.app import create_app  # noqa: PLC0415 (see above)
    from gateway.console.server import is_loopback  # noqa: PLC0415
    from gateway.console.sessions import SessionPolicy  # noqa: PLC0415
    if args.sign_out_all:
        return _sign_out_all(args)
    _say_environment_tokens_are_gone()
    if not is_loopback(args.host) and not args.allow_remote:
        print(f"gateway: the console listens on loopback addresses only (127.0.0.1, ::1, "
              f"localhost), not {args.host!r}; pass --allow-remote to serve other machines, "
              "behind a TLS proxy", file=sys.stderr)
        return 2
    config = load_config(args.config)
    store = open_store(config)
    people = [p for p in store.people().all() if p.active]
    if not people:
        print("gateway: nobody can sign in to the console yet: add a person first, e.g. "
              "gateway users add NAME --role admin", file=sys.stderr)
        return 2
    policy = SessionPolicy(idle=timedelta(minutes=args.idle_minutes),
                           lifetime=timedelta(hours=args.session_hours))
    app = create_app(store, config, policy=policy,
                     trusted_proxies=args.trusted_proxy)
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"gateway console on http://{shown_host}:{args.port}/ ({len(people)} "
          f"{'person' if len(people) == 1 else 'people'} may sign in; the JSON API under "
          "/api/v1; Ctrl+C stops it)", flush=True)
    serve_forever(app, args.host, args.port)
    return 0


def _sign_out_all(args: argparse.Namespace) -> int:
    from gateway.console.sessions import SIGNED_OUT_ALL  # noqa: PLC0415 (see above)
    store = open_store(load_config(args.config))
    ended = store.console_sessions().end_all(datetime.now().astimezone(), SIGNED_OUT_ALL)
    print(f"gateway console: signed out {ended} session{'' if ended == 1 else 's'}; "
          "every browser must sign in again")
    return 0


def _say_environment_tokens_are_gone() -> None:
    """The console's shared tokens gave way to people and named API clients: a setting
    still holding one is said to be ignored, not silently dropped."""
    for name in (READ_TOKEN_ENV, ADMIN_TOKEN_ENV):
        if os.environ.get(name, "").strip():
            print(f"gateway: warning: {name} is ignored: people sign in with gateway users, "
                  "scripts send a named client's token (gateway tokens create NAME --scope "
                  "read)", file=sys.stderr)
