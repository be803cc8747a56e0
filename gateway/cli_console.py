"""``gateway console``: the admin web app, served by waitress on this machine."""

from __future__ import annotations

import argparse
import os
import sys

from gateway import cli_args
from gateway.bootstrap import load_config, open_store
from gateway.console.app import create_app
from gateway.console.auth import Tokens
from gateway.console.server import DEFAULT_PORT, is_loopback, serve_forever

READ_TOKEN_ENV = "GATEWAY_CONSOLE_TOKEN"
ADMIN_TOKEN_ENV = "GATEWAY_CONSOLE_ADMIN_TOKEN"
SHORT_TOKEN = 16

EXAMPLES = f"""examples:
  export {READ_TOKEN_ENV}="$(openssl rand -hex 24)"
  gateway console                       # http://127.0.0.1:{DEFAULT_PORT}/, read-only
  {ADMIN_TOKEN_ENV}="$(openssl rand -hex 24)" gateway console --port 9000
  curl -H "Authorization: Bearer ${READ_TOKEN_ENV}" http://127.0.0.1:{DEFAULT_PORT}/files

Pages: partners and their health, files (findings, acknowledgements, the raw file), return
cases, acknowledgements of what we sent (overdue, held), recalls and their effectiveness.
Signing in with the admin token also allows replaying a failed file.
"""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    console = commands.add_parser(
        "console", help="the admin web console (partners, files, cases, acks, recalls)",
        description=f"Serves the console on this machine. Every page needs a token: "
        f"{READ_TOKEN_ENV} (read-only, required) or {ADMIN_TOKEN_ENV} (admin: may also "
        "replay failed files), typed on the login page or sent as 'Authorization: Bearer "
        "TOKEN'. Only loopback addresses are served unless --allow-remote is given.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    console.add_argument("--port", type=cli_args.port(1), default=DEFAULT_PORT,
                         help=f"TCP port (default {DEFAULT_PORT}; 1 to 65535)")
    console.add_argument("--host", type=cli_args.host, default="127.0.0.1",
                         help="address to listen on (default 127.0.0.1; loopback only unless "
                         "--allow-remote)")
    console.add_argument("--allow-remote", action="store_true",
                         help="allow a non-loopback --host (put a TLS proxy in front: the "
                         "console speaks plain HTTP)")
    console.set_defaults(run=_console)


def _console(args: argparse.Namespace) -> int:
    tokens = _tokens_from_environment()
    if tokens is None:
        return 2
    if not is_loopback(args.host) and not args.allow_remote:
        print(f"gateway: the console listens on loopback addresses only (127.0.0.1, ::1, "
              f"localhost), not {args.host!r}; pass --allow-remote to serve other machines, "
              "behind a TLS proxy", file=sys.stderr)
        return 2
    config = load_config(args.config)
    app = create_app(open_store(config), config, tokens)
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"gateway console on http://{shown_host}:{args.port}/ "
          f"({'read-only and admin tokens' if tokens.admin else 'read-only token'}; "
          "Ctrl+C stops it)", flush=True)
    serve_forever(app, args.host, args.port)
    return 0


def _tokens_from_environment() -> Tokens | None:
    reader = os.environ.get(READ_TOKEN_ENV, "").strip()
    admin = os.environ.get(ADMIN_TOKEN_ENV, "").strip() or None
    if not reader:
        print(f"gateway: the console needs a token: set {READ_TOKEN_ENV} (read-only) and "
              f"optionally {ADMIN_TOKEN_ENV} (admin), e.g. "
              f'export {READ_TOKEN_ENV}="$(openssl rand -hex 24)"', file=sys.stderr)
        return None
    if admin is not None and admin == reader:
        print(f"gateway: {ADMIN_TOKEN_ENV} must differ from {READ_TOKEN_ENV}",
              file=sys.stderr)
        return None
    for name, value in ((READ_TOKEN_ENV, reader), (ADMIN_TOKEN_ENV, admin)):
        if value is not None and len(value) < SHORT_TOKEN:
            print(f"gateway: warning: {name} is shorter than {SHORT_TOKEN} characters; "
                  "a long random token is safer", file=sys.stderr)
    return Tokens(reader, admin)
