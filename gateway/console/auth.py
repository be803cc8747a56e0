"""Who may look, who may act: tokens from the environment, a signed session, CSRF tokens.

Two roles. ``reader`` (GATEWAY_CONSOLE_TOKEN) sees every page; ``admin``
(GATEWAY_CONSOLE_ADMIN_TOKEN) may also replay failed files. A browser signs in once on the
login page and then carries Flask's signed session cookie (HttpOnly, SameSite=Strict, signed
with a secret made at start, so a restart signs everyone out); a script sends
``Authorization: Bearer <token>`` with each request instead. Tokens are compared in constant
time, a wrong one costs a short delay, and no token is ever logged, stored in the session or
rendered: the session holds only the role and the CSRF token.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from dataclasses import dataclass
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

READER, ADMIN = "reader", "admin"
TOKENS = "gateway_console_tokens"
# Endpoints anyone may reach: the login form itself and the stylesheet it uses.
OPEN_ENDPOINTS = frozenset({"auth.login", "static"})

# Where a sign-in may return: a path (and query) of this console in plain URL characters. No
# backslash, space, tab or line break (browsers read "/\\host" and "/\t/host" as another site,
# and a line break would split the Location header), at most NEXT_MAX characters.
_LOCAL_TARGET = re.compile(r"/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*")
NEXT_MAX = 2048

blueprint = Blueprint("auth", __name__)


@dataclass(frozen=True)
class Tokens:
    reader: str
    admin: str | None = None

    def __post_init__(self) -> None:
        if not self.reader:
            raise ValueError("the read-only token is empty")
        if self.admin is not None and hmac.compare_digest(self.admin.encode(),
                                                          self.reader.encode()):
            raise ValueError("the admin token must differ from the read-only token")

    def role_of(self, given: str) -> str | None:
        """The role a presented token grants; both are compared, whatever matches first."""
        offered = given.encode()
        is_admin = self.admin is not None and hmac.compare_digest(offered, self.admin.encode())
        is_reader = hmac.compare_digest(offered, self.reader.encode())
        return ADMIN if is_admin else READER if is_reader else None

    def __repr__(self) -> str:  # never shows a token in a traceback or a log line
        return f"Tokens(reader=***, admin={'***' if self.admin else None})"


def role() -> str | None:
    found = g.get("role")
    return found if isinstance(found, str) else None


def is_admin() -> bool:
    return role() == ADMIN


def csrf_token() -> str:
    """The session's CSRF token, for the hidden field of every form that changes something."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def authenticate() -> BaseResponse | None:
    """Runs before every view: sets ``g.role`` or answers for the view (login page, 401)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        granted = _tokens().role_of(header.removeprefix("Bearer ").strip())
        if granted is None:
            return _refused("That token is not valid for this console.", bearer=True)
        g.role, g.by_bearer = granted, True
        return None
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    granted = session.get("role")
    if granted in (READER, ADMIN):
        g.role, g.by_bearer = granted, False
        _check_csrf()
        return None
    if request.method == "GET":
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return _refused("Sign in first: this console needs a token.", status=401)


def require_admin() -> None:
    if not is_admin():
        abort(403, "Only the admin token may do this; you are signed in read-only.")


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | str | tuple[str, int]:
    if request.method == "GET":
        if session.get("role") in (READER, ADMIN):
            return redirect(_safe_next())
        return render_template("login.html", next=_safe_next(), csrf=_login_csrf())
    if not _login_csrf_matches():
        return render_template("login.html", next=_safe_next(), csrf=_login_csrf(),
                               problem="The sign-in form expired: try again."), 400
    granted = _tokens().role_of(request.form.get("token", ""))
    if granted is None:
        _pause()
        return render_template("login.html", next=_safe_next(), csrf=_login_csrf(),
                               problem="That token is not right."), 401
    session.clear()  # a fresh session on sign-in: nothing from before carries over
    session["role"] = granted
    csrf_token()
    return redirect(_safe_next())


@blueprint.route("/logout", methods=["POST"])
def logout() -> BaseResponse:
    session.clear()
    return redirect(url_for("auth.login"))


def _tokens() -> Tokens:
    found = current_app.extensions[TOKENS]
    assert isinstance(found, Tokens)
    return found


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


def _pause() -> None:
    time.sleep(float(current_app.config.get("LOGIN_DELAY_SECONDS", 1.0)))


def _refused(message: str, *, status: int = 401, bearer: bool = False) -> Response:
    if bearer:
        _pause()
    response = Response(message + "\n", status=status, mimetype="text/plain")
    response.headers["WWW-Authenticate"] = 'Bearer realm="gateway console"'
    return response
