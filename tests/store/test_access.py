"""API clients and the audit log, on SQLite and PostgreSQL: `gateway tokens` shows a token
once and keeps only its digest, revoking takes effect at once, and the audit log refuses to
be changed or trimmed by anybody with a database connection."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from gateway.app.access import (
    AccessError,
    ApiClient,
    AuditEntry,
    AuditOutcome,
    Scope,
    scopes_of,
    token_digest,
)
from gateway.store.engine import open_engine
from gateway.store.migrate import upgrade
from gateway.store.repository import SqlStore
from tests.store import test_crash as crash

AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(database_url: str) -> SqlStore:
    engine = open_engine(database_url)
    upgrade(engine)
    return SqlStore(engine)


def test_scopes_are_read_from_words_and_admin_holds_them_all() -> None:
    assert scopes_of(["read,decide", " upload "]) == {Scope.READ, Scope.DECIDE, Scope.UPLOAD}
    with pytest.raises(AccessError, match="'write' is not a scope"):
        scopes_of(["read,write"])
    with pytest.raises(AccessError, match="at least one scope"):
        scopes_of([" , "])
    admin = ApiClient("ops", frozenset({Scope.ADMIN}), None, AT, "abcd")
    assert admin.granted() == ["read", "decide", "upload", "admin"]
    reader = ApiClient("wms", frozenset({Scope.READ}), None, AT, "abcd", revoked_at=AT)
    assert reader.granted() == [] and not reader.allows(Scope.READ)


def test_a_client_is_found_by_its_digest_only_and_its_name_is_its_own(store: SqlStore) -> None:
    clients = store.api_clients()
    clients.create(ApiClient("wms", frozenset({Scope.READ}), None, AT, "wxyz"),
                   token_digest("gwt_secret"))
    found = clients.by_digest(token_digest("gwt_secret"))
    assert found is not None and found.name == "wms" and found.scopes == {Scope.READ}
    assert clients.by_digest(token_digest("gwt_other")) is None
    with pytest.raises(AccessError, match="already a client named 'wms'"):
        clients.create(ApiClient("wms", frozenset({Scope.ADMIN}), None, AT, "0000"),
                       token_digest("gwt_another"))
    assert clients.revoke("wms", AT) and not clients.revoke("wms", AT)
    revoked = clients.by_digest(token_digest("gwt_secret"))
    assert revoked is not None and not revoked.active


def test_the_audit_log_refuses_updates_and_deletes(store: SqlStore, database_url: str) -> None:
    log = store.audit_log()
    first = log.append(AuditEntry(AT, "api:wms", "decision.deny", "RMA1", AuditOutcome.DONE,
                                  "127.0.0.1", {"lines": [2]}))
    engine = create_engine(database_url)
    try:
        for statement in ("UPDATE audit_log SET outcome = 'refused'", "DELETE FROM audit_log"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
                connection.execute(text(statement))
    finally:
        engine.dispose()
    [row] = log.entries()
    assert row.id == first and row.entry.outcome == AuditOutcome.DONE
    assert row.entry.detail == {"lines": [2]}


def test_the_token_commands_show_a_token_once_and_audit_themselves(
        tmp_path: Path, database_url: str) -> None:
    root = crash.workspace(tmp_path, database_url)
    assert crash.gateway(root, "db", "upgrade").returncode == 0
    created = crash.gateway(root, "tokens", "create", "wms", "--scope", "read,decide")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("gwt_") and len(token) > 40 and "shown once" in created.stderr

    listed = crash.gateway(root, "tokens", "list", "--json")
    [row] = json.loads(listed.stdout)
    assert (row["name"], row["scopes"], row["hint"]) == ("wms", ["decide", "read"], token[-4:])
    assert token not in listed.stdout + crash.gateway(root, "tokens", "list").stdout

    again = crash.gateway(root, "tokens", "create", "wms", "--scope", "read")
    assert again.returncode == 1 and "already a client named 'wms'" in again.stderr
    unbound = crash.gateway(root, "tokens", "create", "office", "--scope", "upload")
    assert unbound.returncode == 2 and "--partner" in unbound.stderr
    assert crash.gateway(root, "tokens", "revoke", "wms").returncode == 0
    assert crash.gateway(root, "tokens", "revoke", "wms").returncode == 1

    audit = crash.gateway(root, "audit", "--json")
    entries = [json.loads(line) for line in audit.stdout.splitlines()]
    assert [(e["action"], e["target"], e["source"]) for e in entries] == [
        ("token.create", "wms", "local"), ("token.revoke", "wms", "local")]
    assert all(e["actor"].startswith("cli:") for e in entries)
    assert token not in audit.stdout
