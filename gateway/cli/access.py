"""``gateway users`` (the console's people), ``gateway tokens`` (the JSON API's named clients)
and ``gateway audit`` (the write log)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import datetime
from typing import Any

from gateway.app.access import (
    CLIENT_NAME_MAX,
    HINT_LENGTH,
    AccessError,
    ApiClient,
    AuditEntry,
    AuditOutcome,
    Scope,
    audit_json,
    new_token,
    scopes_of,
    token_digest,
)
from gateway.app.people import (
    SESSIONS_ENDED,
    PeopleError,
    Person,
    Role,
    hash_password,
    password_problem,
)
from gateway.app.ports import GatewayStore
from gateway.app.wording import iso_or_none
from gateway.bootstrap import local_now, open_store
from gateway.cli import args as cli_args
from gateway.cli.catalog import summary
from gateway.config.settings import load_config
from gateway.console import DEFAULT_PORT
from gateway.text_safety import json_printable, printable

EXAMPLES = f"""examples:
  gateway tokens create wms --scope read
  gateway tokens create returns-desk --scope read,decide
  gateway tokens create recall-office --scope read,upload --partner acme-recalls
  gateway tokens list
  gateway tokens revoke wms
  gateway audit --limit 50
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:{DEFAULT_PORT}/api/v1/events

Scopes: read (every GET of /api/v1), decide (authorize or deny a pending return line),
upload (send a recall notice as the client's --partner), admin (everything, replays, the audit
log). The token is printed once, on creation; the store keeps only its SHA-256, so a lost token
is revoked and a new one created. The API is served by `gateway console`.
"""
_FORMAT = argparse.RawDescriptionHelpFormatter


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tokens = commands.add_parser(
        "tokens", help=summary("tokens"),
        description="Each client of /api/v1 has a name, scopes and a token shown once. "
        "Creating and revoking are recorded in the audit log.", epilog=EXAMPLES,
        formatter_class=_FORMAT)
    actions = tokens.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create", help="a new client; prints its token once",
        description="Creates the client NAME with --scope (read, decide, upload, admin; "
        "comma-separated or repeated) and prints its token on standard output, once.",
        epilog=EXAMPLES, formatter_class=_FORMAT)
    create.add_argument("name", type=cli_args.partner_id, metavar="NAME",
                        help="lower-case letters, digits and dashes, as a partner id")
    create.add_argument("--scope", dest="scopes", action="append", required=True,
                        type=_scope_words, metavar="SCOPE",
                        help=f"one or more of {', '.join(s.value for s in Scope)}")
    create.add_argument("--partner", type=cli_args.partner_id, default=None,
                        help="the partner an upload client sends recall notices as "
                        "(required with the upload scope unless admin)")
    create.set_defaults(run=_create)
    listing = actions.add_parser(
        "list", help="every client: scopes, partner, created, last used, revoked",
        description="Every client with its scopes and the last characters of its token; "
        "never a token.", epilog=EXAMPLES, formatter_class=_FORMAT)
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(run=_list)
    revoke = actions.add_parser(
        "revoke", help="the client's token stops working at once",
        description="Revokes NAME: its token is refused from the next request on. The "
        "client's row stays, so the audit log still names it.", epilog=EXAMPLES,
        formatter_class=_FORMAT)
    revoke.add_argument("name", type=cli_args.partner_id, metavar="NAME")
    revoke.set_defaults(run=_revoke)

    _user_commands(commands)

    audit = commands.add_parser(
        "audit", help=summary("audit"),
        description="The audit log, oldest first: who, when, what, on what, how it ended and "
        "from where. Append-only in the store.", epilog=EXAMPLES, formatter_class=_FORMAT)
    audit.add_argument("--after", type=cli_args.whole_number(0, 2**62), default=0,
                       metavar="ID", help="only entries after this id")
    audit.add_argument("--limit", type=cli_args.whole_number(1, 1000), default=100,
                       help="at most this many (default 100, at most 1000)")
    audit.add_argument("--json", action="store_true", help="one JSON object a line")
    audit.set_defaults(run=_audit)


USER_EXAMPLES = """examples:
  gateway users add dana --role admin          # asks for the password twice
  gateway users add lee --role operator --password-stdin < lee.pass
  gateway users add rosa --role recall-coordinator
  gateway users add sam --role viewer
  gateway users passwd lee                     # and every session of lee's ends
  gateway users disable sam                    # sam's sessions end; the name stays taken
  gateway users list

Roles: viewer (sees every page), operator (also decides returns, records receipts and
dispositions), recall-coordinator (also uploads recall notices), admin (everything: replays,
people, API tokens, the audit log). Passwords: at least 12 characters, kept only as their
Argon2id hash.
"""


def _user_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = commands.add_parser(
        "users", help=summary("users"),
        description="Each person signs in to the console with a name and a password and sees "
        "and does what the role allows. Every change is recorded in the audit log.",
        epilog=USER_EXAMPLES, formatter_class=_FORMAT)
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="a new person with a role",
                             description="Adds NAME with --role; the password is asked "
                             "twice (or read from standard input with --password-stdin).",
                             epilog=USER_EXAMPLES, formatter_class=_FORMAT)
    add.add_argument("name", type=cli_args.partner_id, metavar="NAME",
                     help="lower-case letters, digits and dashes")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    add.set_defaults(run=_user_add)
    passwd = actions.add_parser("passwd", help="set a new password; their sessions end",
                                description="Sets NAME's password (asked twice, or "
                                "--password-stdin) and ends every session NAME has open.",
                                epilog=USER_EXAMPLES, formatter_class=_FORMAT)
    passwd.add_argument("name", type=cli_args.partner_id, metavar="NAME")
    passwd.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    passwd.set_defaults(run=_user_passwd)
    disable = actions.add_parser("disable", help="NAME may no longer sign in",
                                 description="Disables NAME: their open sessions end at "
                                 "once and they cannot sign in; the name stays in the audit "
                                 "log.", epilog=USER_EXAMPLES, formatter_class=_FORMAT)
    disable.add_argument("name", type=cli_args.partner_id, metavar="NAME")
    disable.set_defaults(run=_user_disable)
    listing = actions.add_parser("list", help="every person, role and state",
                                 description="Every person with their role, when they were "
                                 "added and whether they are disabled; never a password.",
                                 epilog=USER_EXAMPLES, formatter_class=_FORMAT)
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(run=_user_list)


def _user_add(args: argparse.Namespace) -> int:
    password = _new_password(args.password_stdin)
    if password is None:
        return 2
    store, now = open_store(load_config(args.config)), local_now()
    try:
        store.people().add(Person(args.name, Role(args.role), now, now),
                           hash_password(password))
    except PeopleError as exc:
        print(f"gateway: {printable(str(exc))}", file=sys.stderr)
        return 1
    audit_cli(store, "user.add", args.name, now, {"role": args.role})
    print(f"{args.name} added as {args.role}: they sign in to the console with this name")
    return 0


def _user_passwd(args: argparse.Namespace) -> int:
    password = _new_password(args.password_stdin)
    if password is None:
        return 2
    store, now = open_store(load_config(args.config)), local_now()
    if not store.people().set_password(args.name, hash_password(password), now):
        print(f"gateway: there is nobody named {args.name!r} (gateway users list)",
              file=sys.stderr)
        return 1
    ended = _end_sessions(store, "user.passwd", args.name, now)
    print(f"{args.name}'s password changed; {ended} open session(s) ended")
    return 0


def _user_disable(args: argparse.Namespace) -> int:
    store, now = open_store(load_config(args.config)), local_now()
    if not store.people().disable(args.name, now):
        print(f"gateway: there is no active person {args.name!r} (gateway users list)",
              file=sys.stderr)
        return 1
    ended = _end_sessions(store, "user.disable", args.name, now)
    print(f"{args.name} disabled; {ended} open session(s) ended")
    return 0


def _end_sessions(store: GatewayStore, action: str, name: str, at: datetime) -> int:
    """After ``action`` on ``name``: their open console sessions ended, and it audited."""
    ended = store.console_sessions().end_of(name, at, SESSIONS_ENDED)
    audit_cli(store, action, name, at, {"sessions_ended": ended})
    return ended


def _user_list(args: argparse.Namespace) -> int:
    people = open_store(load_config(args.config)).people().all()
    found = [{"name": p.name, "role": p.role.value, "created_at": p.created_at.isoformat(),
              "password_changed_at": p.password_changed_at.isoformat(),
              "disabled_at": iso_or_none(p.disabled_at)} for p in people]
    if args.json:
        cli_args.print_json(found)
        return 0
    if not found:
        print("nobody yet: gateway users add NAME --role admin")
    for row in found:
        state = f"disabled {row['disabled_at']}" if row["disabled_at"] else "active"
        print(printable(f"{row['name']}: {row['role']}, {state}, added {row['created_at']}"))
    return 0


def _new_password(from_stdin: bool) -> str | None:
    """The new password: stdin's first line, or asked twice at the terminal."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif not sys.stdin.isatty():  # nobody to ask: never read a password from a pipe unasked
        print("gateway: there is no terminal to ask the password at: pipe it in with "
              "--password-stdin", file=sys.stderr)
        return None
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("gateway: the two passwords differ", file=sys.stderr)
            return None
    problem = password_problem(password)
    if problem is not None:
        print(f"gateway: {problem}", file=sys.stderr)
        return None
    return password


def _scope_words(text: str) -> str:
    try:
        scopes_of([text])
    except AccessError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _create(args: argparse.Namespace) -> int:
    store = open_store(load_config(args.config))
    scopes = scopes_of(args.scopes)
    if Scope.UPLOAD in scopes and Scope.ADMIN not in scopes and args.partner is None:
        print("gateway: an upload client sends recall notices as one partner: name it with "
              "--partner", file=sys.stderr)
        return 2
    token, now = new_token(), local_now()
    client = ApiClient(args.name, scopes, args.partner, now, token[-HINT_LENGTH:])
    try:
        store.api_clients().create(client, token_digest(token))
    except AccessError as exc:
        print(f"gateway: {printable(str(exc))}", file=sys.stderr)
        return 1
    audit_cli(store, "token.create", args.name, now,
               {"scopes": sorted(s.value for s in scopes), "partner": args.partner})
    print(token)
    print(f"client {args.name} created with {', '.join(sorted(s.value for s in scopes))}: "
          "this token is shown once; send it as 'Authorization: Bearer <token>'",
          file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    clients = open_store(load_config(args.config)).api_clients().all()
    found = [_client_json(c) for c in clients]
    if args.json:
        cli_args.print_json(found)
        return 0
    if not found:
        print("no API clients: gateway tokens create NAME --scope read")
    for row in found:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        used = f", last used {row['last_used_at']} from {row['last_used_from']}" \
            if row["last_used_at"] else ", never used"
        partner = f", as {row['partner']}" if row["partner"] else ""
        print(printable(f"{row['name']}: {','.join(row['scopes'])}{partner} (…{row['hint']}), "
                        f"{state}{used}"))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    store = open_store(load_config(args.config))
    now = local_now()
    if not store.api_clients().revoke(args.name, now):
        print(f"gateway: there is no active client {args.name!r} (gateway tokens list)",
              file=sys.stderr)
        return 1
    audit_cli(store, "token.revoke", args.name, now, {})
    print(f"client {args.name} revoked: its token is refused from now on")
    return 0


def _audit(args: argparse.Namespace) -> int:
    rows = open_store(load_config(args.config)).audit_log().entries(after=args.after,
                                                                     limit=args.limit)
    for row in rows:
        found = audit_json(row)
        if args.json:
            print(json_printable(json.dumps(found, ensure_ascii=False)))
        else:
            print(printable(f"#{found['id']} {found['at']} {found['actor']} from "
                            f"{found['source']}: {found['action']} {found['target']} "
                            f"-> {found['outcome']}"))
    if not rows:
        print(f"no audit entries after #{args.after}", file=sys.stderr)
    return 0


def _client_json(client: ApiClient) -> dict[str, Any]:
    return {"name": client.name, "scopes": sorted(s.value for s in client.scopes),
            "partner": client.partner, "hint": client.hint,
            "created_at": client.created_at.isoformat(),
            "revoked_at": iso_or_none(client.revoked_at),
            "last_used_at": iso_or_none(client.last_used_at),
            "last_used_from": client.last_used_from}


def audit_cli(store: GatewayStore, action: str, target: str, at: datetime,
              detail: dict[str, object], *,
              outcome: AuditOutcome = AuditOutcome.DONE) -> None:
    """One audit entry for a write made at the command line (actor ``cli:USER``)."""
    store.audit_log().append(AuditEntry(at, f"cli:{_user()}"[:CLIENT_NAME_MAX], action,
                                        target, outcome, "local", detail))


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container's numeric user)
        return "unknown"
