"""API clients for the console's API tests: created in the store as `gateway tokens create`
does, each with its token."""

from __future__ import annotations

from datetime import datetime

from gateway.app.access import HINT_LENGTH, ApiClient, new_token, scopes_of, token_digest
from gateway.app.ports import GatewayStore


def make_client(store: GatewayStore, name: str, scopes: str, *, at: datetime,
                partner: str | None = None, token: str | None = None) -> str:
    """A new client's token (``token``, when a test must know it before the store exists)."""
    token = token or new_token()
    store.api_clients().create(ApiClient(name, scopes_of([scopes]), partner, at,
                                         token[-HINT_LENGTH:]), token_digest(token))
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
