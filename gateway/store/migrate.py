"""Schema migrations: `gateway db upgrade` applies them; every other command checks them first."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from gateway.errors import GatewayError

_SCRIPTS = Path(__file__).resolve().parent / "migrations"


class SchemaOutOfDate(GatewayError):
    """The database schema is not the one this gateway needs; `gateway db upgrade` fixes it."""


class StoreUnreachable(GatewayError):
    """The database cannot be opened: no server there, a wrong name, a file we cannot open."""


def migration_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(migration_config()).get_current_head()
    assert head is not None, "the gateway ships at least one migration"
    return head


def current_revision(engine: Engine) -> str | None:
    """The schema revision, from the first connection a command makes: where a store that
    cannot be reached is told in one sentence rather than a driver's traceback."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except DBAPIError as exc:
        url = engine.url.render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise StoreUnreachable(f"cannot open the store at {url}: {reason}") from exc


# How long a migration waits for a table another node is using (PostgreSQL). Waiting longer
# would stall every node's queries queued behind the migration's lock.
LOCK_WAIT = "5s"


class UpgradeBlocked(GatewayError):
    """A migration could not lock a table in time: nothing was changed; try again."""


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns (before, after).

    Safe while nodes run: every migration is additive (new tables, new nullable columns), so
    nodes of the previous version keep working on the new schema; on PostgreSQL the whole
    upgrade is one transaction that waits at most LOCK_WAIT for each table's lock, so it
    either applies at once or changes nothing and says so (UpgradeBlocked)."""
    before = current_revision(engine)
    config = migration_config()
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        raise UpgradeBlocked(f"the schema was not upgraded (nothing changed): a table stayed "
                             f"locked for over {LOCK_WAIT} by a long transaction (a node "
                             "storing a big file?). Run gateway db upgrade again in a "
                             "minute") from exc
    return before, head_revision()


def check_current(engine: Engine, url: str) -> None:
    current, head = current_revision(engine), head_revision()
    if current != head:
        shown = current or "empty"
        raise SchemaOutOfDate(f"the database at {_safe(url)} is at schema revision {shown}; "
                              f"this gateway needs {head}. Run: gateway db upgrade")


def _safe(url: str) -> str:
    """A URL fit for messages: never a password."""
    return make_url(url).render_as_string(hide_password=True)
