"""The console's Flask app: pages rendered on the server over the gateway's store.

Read-only but for one action (the admin's replay of a failed file). Every response carries
headers that keep it out of frames and caches, and a CSP that allows no script at all: the
pages need none, charts are inline SVG coloured by the stylesheet.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from apiflask import APIFlask
from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from gateway import __version__
from gateway.app.ports import GatewayStore
from gateway.app.wording import finding_location
from gateway.config.settings import GatewayConfig
from gateway.text_safety import printable_lines

from . import api, auth, present
from .context import EXTENSION, FORM_OVERHEAD, ConsoleContext, upload_limit
from .context import console as console_context
from .proxy import TrustedProxies
from .sessions import CookieSecureOverTls, SessionPolicy, SignIns
from .throttle import GuessLimit, WrongTokens
from .views import (
    acks,
    audit,
    cases,
    files,
    partners,
    programs,
    queue,
    recall_upload,
    recalls,
    receiving,
    search,
)

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
DEFAULT_POLICY, DEFAULT_GUESSES = SessionPolicy(), GuessLimit()
ROLE_SAYS = {  # the role badge's title: what this role may do here
    "viewer": "sees everything, changes nothing",
    "operator": "decides return requests, records receipts and dispositions",
    "recall-coordinator": "uploads recall notices and follows their recipients",
    "admin": "may do everything: replays, people, tokens, the audit log",
}


def _visible(value: Any) -> Any:
    """Every plain string a page shows, with the characters a browser would act on written as
    escapes: a bidi override in a partner's file name ("invoice\u202egnp.x12" shown as
    "invoice21x.png") or a control character in a raw file would otherwise mislead or hide.
    Line breaks stay (multi-line values, the raw file view); HTML escaping still follows, and
    markup we built ourselves (charts) is left alone."""
    if type(value) is str:
        return printable_lines(value.split("\n"))
    return value


def create_app(store: GatewayStore, config: GatewayConfig, *,
               clock: Callable[[], datetime] | None = None,
               policy: SessionPolicy = DEFAULT_POLICY, guesses: GuessLimit = DEFAULT_GUESSES,
               trusted_proxies: Iterable[str] = (),
               monotonic: Callable[[], float] = time.monotonic) -> Flask:
    """The console over ``store``. ``clock`` is the aware "now" of pages and sessions;
    ``monotonic`` times the wrong-token window; ``trusted_proxies`` are the addresses whose
    X-Forwarded-For / -Proto are believed (none by default)."""
    # APIFlask is Flask with the JSON API's OpenAPI document generated from its routes; the
    # console's pages are plain blueprints, left out of that document.
    app = APIFlask(__name__, title="Returns gateway API", version=__version__,
                   spec_path=f"{api.PREFIX}v1/openapi.json", docs_path=None,
                   json_errors=False)
    app.spec_processor(api.with_common_answers)  # type: ignore[arg-type]  # JSON: a dict
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),  # per start: a restart also signs everyone out
        SESSION_COOKIE_NAME="gateway_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=64 * 1024,  # forms here are a token and a CSRF field
    )
    app.session_interface = CookieSecureOverTls()
    app.jinja_env.finalize = _visible
    # Assigning the WSGI callable is how Flask documents middleware; mypy sees a method.
    app.wsgi_app = TrustedProxies(app.wsgi_app, trusted_proxies)  # type: ignore[method-assign]
    context = ConsoleContext(store, config, clock or _now)
    app.extensions[EXTENSION] = context
    app.extensions[auth.SIGN_INS] = SignIns(store.console_sessions(), policy,
                                            context.now)
    app.extensions[auth.WRONG_TOKENS] = WrongTokens(guesses, monotonic)
    for blueprint in (auth.blueprint, partners.blueprint, files.blueprint, cases.blueprint,
                      acks.blueprint, recall_upload.blueprint, recalls.blueprint, audit.blueprint,
                      queue.blueprint, search.blueprint, programs.blueprint,
                      receiving.blueprint, *api.BLUEPRINTS):
        app.register_blueprint(blueprint)
    app.before_request(_room_for_uploads)  # before anything reads a form
    app.before_request(auth.authenticate)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _error_page)
    app.context_processor(_template_globals)
    app.add_template_filter(present.moment, "moment")
    app.add_template_filter(present.tone, "tone")
    app.add_template_filter(finding_location, "location")
    app.add_template_filter(present.number, "number")
    app.add_template_filter(present.without, "reject_key")
    return app


def _now() -> datetime:
    return datetime.now().astimezone()


# Endpoints whose body may carry a whole recall notice; every other form is small.
UPLOAD_ENDPOINTS = frozenset({"recall_upload.check", "api_files.upload"})


def _room_for_uploads() -> None:
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = upload_limit(console_context().config) + FORM_OVERHEAD


def _security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if request.endpoint != "static":
        # Pages show partner data: no browser or proxy keeps a copy. The stylesheet may be.
        response.headers["Cache-Control"] = "no-store"
    return response


def _error_page(error: HTTPException) -> tuple[str | Response, int]:
    if request.path.startswith(api.PREFIX):  # an API client reads JSON, never a page
        return jsonify({"message": error.description or error.name, "detail": {}}), \
            error.code or 500
    return render_template("error.html", error=error), error.code or 500


def _template_globals() -> dict[str, Any]:
    return {"role": auth.role(), "person": auth.person(), "can": auth.can,
            "role_says": ROLE_SAYS.get(auth.role() or "", ""), "csrf_token": auth.csrf_token}
