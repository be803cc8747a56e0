"""API clients, the audit log (`gateway.app.access`) and the console's people
(`gateway.app.people`) in the store."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Row, Select, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.app.access import (
    AccessError,
    ApiClient,
    AuditEntry,
    AuditOutcome,
    AuditRow,
    scopes_of,
)
from gateway.app.people import PeopleError, Person, Role
from gateway.store.columns import aware, utc
from gateway.store.schema import api_clients, audit_log, console_users

TOUCH_EVERY = timedelta(minutes=1)  # a busy client does not write on every request
AUDIT_PAGE_MAX = 1000


class SqlApiClients:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, client: ApiClient, digest: str) -> None:
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(api_clients).values(
                    name=client.name, token_digest=digest, token_hint=client.hint,
                    scopes=",".join(sorted(s.value for s in client.scopes)),
                    partner=client.partner, created_at=utc(client.created_at)))
        except IntegrityError:
            raise AccessError(f"there is already a client named {client.name!r} (revoked "
                              "clients keep their name: choose another)") from None

    def by_digest(self, digest: str) -> ApiClient | None:
        return self._one(select(api_clients).where(api_clients.c.token_digest == digest))

    def by_name(self, name: str) -> ApiClient | None:
        return self._one(select(api_clients).where(api_clients.c.name == name))

    def all(self) -> list[ApiClient]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(api_clients).order_by(api_clients.c.name))
            return [_client(row) for row in rows]

    def revoke(self, name: str, at: datetime) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(update(api_clients).where(
                api_clients.c.name == name, api_clients.c.revoked_at.is_(None))
                .values(revoked_at=utc(at)))
        return bool(result.rowcount)

    def touch(self, name: str, at: datetime, source: str) -> None:
        stale = utc(at - TOUCH_EVERY)
        with self.engine.begin() as connection:
            connection.execute(update(api_clients).where(
                api_clients.c.name == name,
                api_clients.c.last_used_at.is_(None) | (api_clients.c.last_used_at < stale))
                .values(last_used_at=utc(at), last_used_from=source[:64]))

    def _one(self, query: Select[Any]) -> ApiClient | None:
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return _client(row) if row is not None else None


def _client(row: Row[Any]) -> ApiClient:
    return ApiClient(
        name=row.name, scopes=scopes_of([row.scopes]), partner=row.partner,
        created_at=aware(row.created_at), hint=row.token_hint,
        revoked_at=aware(row.revoked_at) if row.revoked_at else None,
        last_used_at=aware(row.last_used_at) if row.last_used_at else None,
        last_used_from=row.last_used_from)


class SqlAuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def append(self, entry: AuditEntry) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(insert(audit_log).values(
                at=utc(entry.at), actor=entry.actor[:80], action=entry.action[:48],
                target=entry.target[:200], outcome=entry.outcome.value,
                source=entry.source[:64],
                detail=json.dumps(dict(entry.detail), ensure_ascii=False, default=str)))
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def entries(self, *, after: int = 0, limit: int = 100, actor: str | None = None,
                before: int | None = None, action_prefix: str | None = None,
                targets: Iterable[str] = ()) -> list[AuditRow]:
        newest_first = before is not None
        query = (select(audit_log).where(audit_log.c.id > after)
                 .order_by(audit_log.c.id.desc() if newest_first else audit_log.c.id)
                 .limit(max(1, min(limit, AUDIT_PAGE_MAX))))
        if before is not None:
            query = query.where(audit_log.c.id < before)
        if actor is not None:
            query = query.where(audit_log.c.actor == actor)
        if action_prefix is not None:
            query = query.where(audit_log.c.action.startswith(action_prefix, autoescape=True))
        wanted = [t[:200] for t in targets]
        if wanted:
            query = query.where(audit_log.c.target.in_(wanted))
        with self.engine.connect() as connection:
            return [AuditRow(row.id, AuditEntry(
                at=aware(row.at), actor=row.actor, action=row.action, target=row.target,
                outcome=AuditOutcome(row.outcome), source=row.source,
                detail=json.loads(row.detail))) for row in connection.execute(query)]


class SqlPeople:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, person: Person, password_hash: str) -> None:
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(console_users).values(
                    name=person.name, role=person.role.value, password_hash=password_hash,
                    created_at=utc(person.created_at),
                    password_changed_at=utc(person.password_changed_at)))
        except IntegrityError:
            raise PeopleError(f"there is already a person named {person.name!r} (disabled "
                              "people keep their name: choose another)") from None

    def find(self, name: str) -> tuple[Person, str] | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(console_users)
                                     .where(console_users.c.name == name)).first()
        return (_person(row), str(row.password_hash)) if row is not None else None

    def all(self) -> list[Person]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(console_users).order_by(console_users.c.name))
            return [_person(row) for row in rows]

    def set_password(self, name: str, password_hash: str, at: datetime) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(update(console_users).where(
                console_users.c.name == name).values(password_hash=password_hash,
                                                     password_changed_at=utc(at)))
        return bool(result.rowcount)

    def disable(self, name: str, at: datetime) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(update(console_users).where(
                console_users.c.name == name, console_users.c.disabled_at.is_(None))
                .values(disabled_at=utc(at)))
        return bool(result.rowcount)


def _person(row: Row[Any]) -> Person:
    return Person(row.name, Role(row.role), aware(row.created_at),
                  aware(row.password_changed_at),
                  aware(row.disabled_at) if row.disabled_at else None)
