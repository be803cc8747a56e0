"""Schema migrations: `gateway db upgrade` applies them; every other command checks them first."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

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


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns (before, after)."""
    before = current_revision(engine)
    config = migration_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
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
