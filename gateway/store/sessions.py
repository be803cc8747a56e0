"""Console sign-ins on the server (`ConsoleSessionStore`): one row per sign-in in
``console_sessions``, found by the SHA-256 of the session's secret id, so a copy of the table
lets no one sign in as anybody."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Engine, delete, insert, select, update

from gateway.app.ports import ConsoleSession
from gateway.store.columns import aware, utc
from gateway.store.schema import console_sessions


class SqlConsoleSessions:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def start(self, session_id: str, role: str, at: datetime,
              person: str | None = None) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(console_sessions).values(
                id=_key(session_id), role=role, person=person, created_at=utc(at),
                last_seen=utc(at)))

    def find(self, session_id: str) -> ConsoleSession | None:
        query = select(console_sessions).where(console_sessions.c.id == _key(session_id))
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return ConsoleSession(row.role, aware(row.created_at), aware(row.last_seen),
                              aware(row.ended_at) if row.ended_at else None,
                              row.ended_because, row.person)

    def touch(self, session_id: str, at: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(console_sessions)
                               .where(console_sessions.c.id == _key(session_id),
                                      console_sessions.c.ended_at.is_(None))
                               .values(last_seen=utc(at)))

    def end(self, session_id: str, at: datetime, because: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(console_sessions)
                               .where(console_sessions.c.id == _key(session_id),
                                      console_sessions.c.ended_at.is_(None))
                               .values(ended_at=utc(at), ended_because=because))

    def end_of(self, person: str, at: datetime, because: str) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(update(console_sessions)
                                        .where(console_sessions.c.person == person,
                                               console_sessions.c.ended_at.is_(None))
                                        .values(ended_at=utc(at), ended_because=because))
        return int(result.rowcount)

    def end_all(self, at: datetime, because: str) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(update(console_sessions)
                                        .where(console_sessions.c.ended_at.is_(None))
                                        .values(ended_at=utc(at), ended_because=because))
        return int(result.rowcount)

    def forget_started_before(self, cutoff: datetime) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(delete(console_sessions)
                                        .where(console_sessions.c.created_at < utc(cutoff)))
        return int(result.rowcount)


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


