"""Who is calling /api/v1: a named client's bearer token, its scopes, and the audit of writes.

Only ``Authorization: Bearer <token>`` is read. A token in the address (``?token=``, or any
value that looks like one) is refused before anything else: addresses end up in proxy logs,
browser history and Referer headers, so a request that puts one there must fail loudly rather
than work and leak. Wrong tokens count against the caller's address as on the console's login
(429 with Retry-After past the limit). The console's own tokens and sessions do not reach the
API: every API call is made by a named client, so the audit log can say who.
"""

from __future__ import annotations

from typing import Any

from apiflask import HTTPTokenAuth
from apiflask.exceptions import HTTPError
from flask import jsonify, request
from werkzeug.wrappers import Response

from gateway.app.access import ApiClient, AuditOutcome, looks_like_token

from ..auth import audit, client_address, client_of_token, guesses_wait
from ..context import console

# Query parameters that only ever carry a credential.
_CREDENTIAL_PARAMETERS = frozenset({"token", "access_token", "api_key", "apikey", "auth",
                                    "bearer", "authorization"})
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

token_auth = HTTPTokenAuth(
    scheme="Bearer", security_scheme_name="ClientToken",
    description="A named client's token from `gateway tokens create NAME --scope ...`, sent "
    "as `Authorization: Bearer <token>`; never in the address.")


@token_auth.verify_token  # type: ignore[untyped-decorator]  # Flask-HTTPAuth is untyped
def _verify(token: str) -> ApiClient | None:
    wait = guesses_wait()
    if wait is not None:
        raise HTTPError(429, f"Too many wrong tokens from your address: try again in {wait} "
                        "seconds.", headers={"Retry-After": str(wait)})
    if not token:  # no header at all: nothing guessed
        return None
    client = client_of_token(token)  # noted for the audit of a write its scopes refuse
    if client is not None:
        context = console()
        context.store.api_clients().touch(client.name, context.now(), client_address())
    return client


@token_auth.get_user_roles  # type: ignore[untyped-decorator]
def _roles(client: ApiClient) -> list[str]:
    return client.granted()


@token_auth.error_processor
def _refused(error: HTTPError) -> tuple[dict[str, Any], int, Any]:
    if error.status_code == 401:
        message = ("Send a client token as 'Authorization: Bearer <token>' (gateway tokens "
                   "create); this one is missing, unknown or revoked.")
    else:
        message = "This client's scopes do not allow this (gateway tokens list)."
        if request.method in _WRITE_METHODS:
            audit(request.endpoint or request.path, request.path, AuditOutcome.REFUSED,
                  {"why": "scope", "method": request.method})
    return {"message": message, "detail": {}}, error.status_code, error.headers


def refuse_token_in_address() -> Response | None:
    """Before every API view: a credential in the query string is refused (400)."""
    for name, values in request.args.lists():
        if name.lower() in _CREDENTIAL_PARAMETERS or any(looks_like_token(v) for v in values):
            response = jsonify({"message": "Tokens go in the Authorization header, never in "
                                "the address (it is logged and kept by proxies and browsers); "
                                "if this was a real token, revoke it: gateway tokens revoke "
                                "NAME.", "detail": {"parameter": name[:40]}})
            response.status_code = 400
            return response
    return None


def current_client() -> ApiClient:
    found = token_auth.current_user
    assert isinstance(found, ApiClient)  # every API view is behind token_auth
    return found
