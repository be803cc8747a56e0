"""A migrated store and a gateway configuration around it, as the store tests all start."""

from __future__ import annotations

from pathlib import Path

from gateway.config.settings import GatewayConfig, load_config
from gateway.store.engine import open_engine
from gateway.store.migrate import upgrade
from gateway.store.repository import SqlStore

REPO = Path(__file__).resolve().parents[2]


def migrated_store(database_url: str, archive: Path, mappings: Path = REPO / "mappings"
                   ) -> tuple[SqlStore, GatewayConfig]:
    """The store at ``database_url``, upgraded to the current schema, and the embedded
    configuration with its archive and mappings folders replaced by the test's."""
    engine = open_engine(database_url)
    upgrade(engine)
    base = load_config(REPO / "config.yaml")
    config = GatewayConfig(base.source, base.identity, base.ack_policy,
                           {**base.paths, "archive": archive, "mappings": mappings},
                           database_url)
    return SqlStore(engine), config
