"""The console's Flask app: pages rendered on the server over the gateway's store.

Read-only but for one action (the admin's replay of a failed file). Every response carries
headers that keep it out of frames and caches, and a CSP that allows no script at all: the
pages need none, charts are inline SVG coloured by the stylesheet.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from gateway.bootstrap import GatewayConfig
from gateway.store.repository import SqlStore
from gateway.wording import finding_location

from . import auth, present
from .context import EXTENSION, ConsoleContext
from .views import acks, cases, files, partners, recalls

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_app(store: SqlStore, config: GatewayConfig, tokens: auth.Tokens, *,
               clock: Callable[[], datetime] | None = None,
               login_delay: float = 1.0) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),  # per start: a restart signs everyone out
        SESSION_COOKIE_NAME="gateway_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        LOGIN_DELAY_SECONDS=login_delay,
        MAX_CONTENT_LENGTH=64 * 1024,  # forms here are a token and a CSRF field
    )
    app.extensions[EXTENSION] = ConsoleContext(store, config, clock or _now)
    app.extensions[auth.TOKENS] = tokens
    for blueprint in (auth.blueprint, partners.blueprint, files.blueprint, cases.blueprint,
                      acks.blueprint, recalls.blueprint):
        app.register_blueprint(blueprint)
    app.before_request(auth.authenticate)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _error_page)
    app.context_processor(_template_globals)
    app.add_template_filter(present.moment, "moment")
    app.add_template_filter(present.tone, "tone")
    app.add_template_filter(finding_location, "location")
    app.add_template_filter(present.number, "number")
    return app


def _now() -> datetime:
    return datetime.now().astimezone()


def _security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if request.endpoint != "static":
        # Pages show partner data: no browser or proxy keeps a copy. The stylesheet may be.
        response.headers["Cache-Control"] = "no-store"
    return response


def _error_page(error: HTTPException) -> tuple[str, int]:
    return render_template("error.html", error=error), error.code or 500


def _template_globals() -> dict[str, Any]:
    return {"role": auth.role(), "is_admin": auth.is_admin(), "csrf_token": auth.csrf_token}
