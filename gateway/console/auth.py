"""Who may look, who may act: people with roles, server-side sessions, CSRF tokens.

A person signs in on the login page with their name and password (`gateway users add`; only
the Argon2id hash is stored, `gateway.app.people`) and then carries Flask's signed session
cookie (HttpOnly, SameSite=Strict, Secure over TLS, signed with a secret made at start), which
names a session the store keeps: the person and role come from the store, and sign-out,
`gateway console --sign-out-all`, disabling the person, the idle timeout and the lifetime end
it there (``sessions.py``). What a role may do is `gateway.app.people.may`; a POST the role
may not make is refused 403 and written to the audit log.

A script reads pages with ``Authorization: Bearer <token>``, the token of a named API client
(`gateway tokens create`): its scopes give it a role (admin: admin; decide: operator; upload:
recall-coordinator; read: viewer) and the audit log names it ``api:NAME``; the JSON API
(/api/v1) is the better way for scripts. A token is found by its SHA-256, a password checked
by Argon2; a client that sends too many wrong ones is answered 429 with Retry-After
(``throttle.py``), nobody waits. No token or password is ever logged, stored in the session
or rendered.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response as BaseResponse

from gateway.app.access import (
    ApiClient,
    AuditEntry,
    AuditOutcome,
    Scope,
    looks_like_token,
    token_digest,
)
from gateway.app.people import Permission, Role, may, signs_in

from .context import console
from .sessions import SignIns
from .throttle import WrongTokens

SIGN_INS = "gateway_console_sign_ins"
WRONG_TOKENS = "gateway_console_wrong_tokens"
# Endpoints anyone may reach: the login form itself and the stylesheet it uses. (The API's
# routes, its OpenAPI document among them, are under API_PREFIX and check their own tokens.)
OPEN_ENDPOINTS = frozenset({"auth.login", "static"})
API_PREFIX = "/api/"

# Where a sign-in may return: a path (and query) of this console in plain URL characters. No
# backslash, space, tab or line break (browsers read "/\\host" and "/\t/host" as another site,
# and a line break would split the Location header), at most NEXT_MAX characters.
_LOCAL_TARGET = re.compile(r"/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*")
NEXT_MAX = 2048

blueprint = Blueprint("auth", __name__)


def role() -> str | None:
    found = g.get("role")
    return found if isinstance(found, str) else None


def person() -> str | None:
    """Who is signed in (None for a script's bearer token)."""
    found = g.get("person")
    return found if isinstance(found, str) else None


def can(permission: str) -> bool:
    """Whether the signed-in role may ``permission`` (for views and templates)."""
    current = role()
    return current in set(Role) and may(Role(current), Permission(permission))


def actor() -> str:
    """The audit log's name for whoever makes this request."""
    client = g.get("client")
    return f"api:{client}" if isinstance(client, str) else f"console:{person() or '?'}"


def csrf_token() -> str:
    """The session's CSRF token, for the hidden field of every form that changes something."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def authenticate() -> BaseResponse | None:
    """Runs before every view: sets ``g.role`` or answers for the view (login page, 401,
    429). The API's routes check their own clients' tokens (``api/auth.py``)."""
    return None if request.path.startswith(API_PREFIX) else _authenticate_person()


def _authenticate_person() -> BaseResponse | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return _authenticate_bearer(header.removeprefix("Bearer ").strip())
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    granted = _session()
    if granted is not None:
        g.role, g.person, g.by_bearer = granted[0], granted[1], False
        _check_csrf()
        return None
    if request.method == "GET":
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if request.endpoint == "auth.logout":  # signing out of a session that already ended
        return redirect(url_for("auth.login"))
    ended = session.get("ended")
    return _refused(_sign_ins().why(ended) if isinstance(ended, str)
                    else "Sign in first: this console needs a name and password.")


def _authenticate_bearer(token: str) -> Response | None:
    wait = guesses_wait()
    if wait is not None:
        return _too_many(wait)
    client = client_of_token(token)
    if client is None:
        return _refused("That token is not valid for this console: a script sends the token "
                        "of a named API client (gateway tokens create).")
    g.role, g.person, g.by_bearer = _client_role(client).value, None, True
    return None


def guesses_wait() -> int | None:
    """Seconds the caller must wait before a token or password of theirs is checked again
    (too many wrong ones, ``throttle.py``); None when it may be checked now."""
    return _wrong_tokens().retry_after(client_address())


def client_of_token(token: str) -> ApiClient | None:
    """The active API client ``token`` is the token of, noted as the request's client (the
    audit log names it); None, counted as a wrong guess, for any other text."""
    client = console().store.api_clients().by_digest(token_digest(token)) \
        if looks_like_token(token) else None
    if client is None or not client.active:
        _wrong_tokens().failed(client_address())
        return None
    g.client = client.name
    return client


def _client_role(client: ApiClient) -> Role:
    """The console role a script's scopes amount to."""
    if client.allows(Scope.ADMIN):
        return Role.ADMIN
    if Scope.DECIDE in client.scopes:
        return Role.OPERATOR
    if Scope.UPLOAD in client.scopes:
        return Role.RECALL_COORDINATOR
    return Role.VIEWER


def _session() -> tuple[str, str | None] | None:
    """The role and person of the session the cookie names while the store says it holds. A
    session that ended is dropped from the cookie, with why, for the login page to say."""
    session_id = session.get("sid")
    if not isinstance(session_id, str):
        return None
    verdict = _sign_ins().check(session_id)
    if verdict.role is None:
        session.clear()
        session["ended"] = verdict.ended_because
        return None
    return verdict.role, verdict.person


def require(permission: Permission, action: str, target: str) -> None:
    """Refuse (403) what the signed-in role may not do, and write the refusal to the audit
    log: a forged form or a hand-made POST is seen, not only stopped."""
    if can(permission.value):
        return
    audit(action, target, AuditOutcome.REFUSED, {"why": f"the {role()} role may not"})
    abort(403, f"Your role ({role()}) may not do this.")


def audit(action: str, target: str, outcome: AuditOutcome,
          detail: Mapping[str, Any] | None = None, *, who: str | None = None) -> None:
    """One audit entry for whoever makes this request (a person, or an API client), from the
    address it came from."""
    context = console()
    context.store.audit_log().append(AuditEntry(context.now(), who or actor(), action,
                                                target, outcome, client_address(),
                                                detail or {}))


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | str | tuple[str, int] | tuple[str, int, dict[str, str]]:
    if request.method == "GET":
        if _session() is not None:
            return redirect(_safe_next())
        ended = session.pop("ended", None)
        return _login_page(_sign_ins().why(ended) if isinstance(ended, str) else None)
    if not _login_csrf_matches():
        return _login_page("The sign-in form expired: try again."), 400
    wait = _wrong_tokens().retry_after(client_address())
    if wait is not None:
        return _login_page(f"Too many failed sign-ins from your address: try again in {wait} "
                           "seconds."), 429, {"Retry-After": str(wait)}
    name = request.form.get("name", "").strip()
    found = signs_in(console().store.people(), name, request.form.get("password", ""))
    if found is None:
        _wrong_tokens().failed(client_address())
        audit("login", name[:64], AuditOutcome.REFUSED, who="console:?")
        return _login_page("That name and password do not sign anybody in.", name), 401
    session.clear()  # a fresh session on sign-in: nothing from before carries over
    session["sid"] = _sign_ins().start(found.role.value, found.name)
    csrf_token()
    audit("login", found.name, AuditOutcome.DONE, {"role": found.role.value},
          who=f"console:{found.name}")
    return redirect(_safe_next())


@blueprint.route("/logout", methods=["POST"])
def logout() -> BaseResponse:
    session_id = session.get("sid")
    if isinstance(session_id, str):
        _sign_ins().end(session_id)  # ended on the server: a copy of the cookie is worthless
    session.clear()
    return redirect(url_for("auth.login"))


def _login_page(problem: str | None = None, name: str = "") -> str:
    return render_template("login.html", next=_safe_next(), csrf=_login_csrf(),
                           problem=problem, name=name[:64])


def _sign_ins() -> SignIns:
    found = current_app.extensions[SIGN_INS]
    assert isinstance(found, SignIns)
    return found


def _wrong_tokens() -> WrongTokens:
    found = current_app.extensions[WRONG_TOKENS]
    assert isinstance(found, WrongTokens)
    return found


def client_address() -> str:
    """Who is asking: the peer's address, or behind a trusted proxy the one it forwarded."""
    return request.remote_addr or "unknown"


def _check_csrf() -> None:
    """A form posted with the session cookie must carry the session's CSRF token. (A Bearer
    request carries no ambient credential a foreign page could borrow, so it needs none.)"""
    if request.method != "POST":
        return
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf")
    if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(),
                                                                expected.encode()):
        abort(400, "This form expired or did not come from this console: reload the page "
                   "and try again.")


def _login_csrf() -> str:
    token = session.get("login_csrf")
    if not isinstance(token, str):
        token = session["login_csrf"] = secrets.token_urlsafe(32)
    return token


def _login_csrf_matches() -> bool:
    expected = session.get("login_csrf")
    sent = request.form.get("csrf_token", "")
    return isinstance(expected, str) and hmac.compare_digest(sent.encode(), expected.encode())


def _safe_next() -> str:
    """Where to go after signing in: a page of this console that a GET reaches, else the
    partners page. Whatever ``next`` holds, the answer is a plain local path."""
    target = request.values.get("next", "")
    if len(target) > NEXT_MAX or not _LOCAL_TARGET.fullmatch(target):
        return url_for("partners.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not _is_console_page(parts.path):
        return url_for("partners.index")
    return target


def _is_console_page(path: str) -> bool:
    adapter = current_app.url_map.bind("console.invalid")
    try:
        adapter.match(path, method="GET")
    except RequestRedirect:  # e.g. a trailing slash Werkzeug would add: still ours
        return True
    except HTTPException:  # no such page, or not one a GET reaches (logout, replay)
        return False
    return True


def _refused(message: str) -> Response:
    response = Response(message + "\n", status=401, mimetype="text/plain")
    response.headers["WWW-Authenticate"] = 'Bearer realm="gateway console"'
    return response


def _too_many(wait: int) -> Response:
    response = Response(f"Too many wrong tokens from your address: try again in {wait} "
                        "seconds.\n", status=429, mimetype="text/plain")
    response.headers["Retry-After"] = str(wait)
    return response
