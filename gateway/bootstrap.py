"""The composition root: the one place that turns configuration into working parts.

`gateway.config` reads config.yaml and the partner files into typed objects; this module
builds from them what the commands, the daemon, the console and the demo run with: the store,
the archive, the ingest ports and settings of a partner, what every poll runs with, the
outbound context, a partner's transport channel, the alerter. The faces never construct an
adapter themselves.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import cast

from gateway.app.cluster import NodeRecord, PartnerLeases
from gateway.app.delivery import Subscription, WebhookSender
from gateway.app.ingest import IngestResult, IngestSettings, Ports, replay
from gateway.app.outbound.react import Reactions
from gateway.app.outbound.terms import Outbound
from gateway.app.partners import PartnerSettings
from gateway.app.poll import PollContext, PollRetry, Sender, TransferObserver
from gateway.app.ports import (
    Archive,
    FindingRow,
    GatewayStore,
    PartnerChannel,
    StoredFile,
)
from gateway.config.mappings import MappingCatalog
from gateway.config.partners import read_partner
from gateway.config.settings import GatewayConfig
from gateway.config.subscribers import load_subscribers
from gateway.domain.correlation import keys_of
from gateway.errors import ConfigError, GatewayError
from gateway.model import CanonicalDocument
from gateway.monitoring.alerts import Alerter
from gateway.store.archive import FileArchive
from gateway.transport.local import LocalChannel
from gateway.transport.retry import with_retries
from gateway.transport.webhook import HttpWebhookSender

_PARTNER_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")  # as partners.py and cli_args.py read ids


def alerter(config: GatewayConfig) -> Alerter:
    secret_env = config.webhook_secret_env
    secret = os.environ.get(secret_env) if secret_env else None
    if secret_env and not secret:
        raise ConfigError(config.source, "alerts.secret_env",
                          f"names {secret_env}, which is not set in the environment")
    return Alerter(config.webhook_url or None, secret.encode() if secret else None)


def upgrade_store(config: GatewayConfig) -> tuple[str | None, str, str]:
    """`gateway db upgrade`: create or migrate the schema (the SQLite file too); the revision
    before, the revision after, and the store's URL without its password."""
    from gateway.store.engine import open_engine  # noqa: PLC0415 (see open_store)
    from gateway.store.migrate import upgrade  # noqa: PLC0415
    engine = open_engine(config.store_url, create=True)
    try:
        before, after = upgrade(engine)
        return before, after, engine.url.render_as_string(hide_password=True)
    finally:
        engine.dispose()


def file_archive(config: GatewayConfig, store: GatewayStore | None = None) -> Archive:
    """The raw archive of every inbound file's bytes, where ``archive.backend`` says: a folder
    (`paths.archive`), or the store's own tables, which every node sharing the store reads.
    The latter uses ``store``'s engine (its connection pool) when given, else opens one."""
    if config.archive_backend != "database":
        return FileArchive(config.paths["archive"])
    from gateway.store.archive_db import DatabaseArchive  # noqa: PLC0415 (see open_store)
    from gateway.store.engine import open_engine  # noqa: PLC0415
    from gateway.store.repository import SqlStore  # noqa: PLC0415
    if isinstance(store, SqlStore):
        return DatabaseArchive(store.engine)
    return DatabaseArchive(open_engine(config.store_url, create=False))


def purge_archive(config: GatewayConfig, keys: Iterable[str]) -> int:
    """Delete the archived bytes under ``keys`` (retention); how many were there."""
    if config.archive_backend != "database":
        archive = FileArchive(config.paths["archive"])
        return sum(1 for key in keys if archive.remove(key))
    from gateway.store.archive_db import DatabaseArchive  # noqa: PLC0415 (see open_store)
    from gateway.store.engine import open_engine  # noqa: PLC0415
    engine = open_engine(config.store_url, create=False)
    try:  # an engine of its own, closed here: `gateway archive purge` gives no store
        database = DatabaseArchive(engine)
        return sum(1 for key in keys if database.remove(key))
    finally:
        engine.dispose()


def open_store(config: GatewayConfig, *, check: bool = True) -> GatewayStore:
    """The configured store; by default refuses to run on a schema that is not current, and
    on a SQLite store that does not exist yet, which it leaves uncreated (only `gateway db
    upgrade` and the demo, which pass ``check=False``, create it).

    SQLAlchemy and Alembic (about 0.2 s to import) are imported here, when a store is opened,
    so that commands that need none (``gateway --help``, ``validate``, ``translate``) start
    quickly."""
    from gateway.store.engine import open_engine  # noqa: PLC0415
    from gateway.store.migrate import check_current  # noqa: PLC0415
    from gateway.store.repository import SqlStore  # noqa: PLC0415
    engine = open_engine(config.store_url, create=not check)
    if check:
        check_current(engine, config.store_url)
    return SqlStore(engine)


def ingest_ports(config: GatewayConfig, store: GatewayStore,
                 partner: PartnerSettings | None = None) -> tuple[Ports, IngestSettings]:
    """The pipeline's ports and settings; a partner's file overrides the gateway's defaults for
    acknowledgements, delimiters and time zone, pins the sender its files must carry and says
    which documents it may send (its role's, or its ``documents``; without a partner file no
    document is refused for its kind)."""
    ports = Ports(store, file_archive(config, store),
                  MappingCatalog(config.paths["mappings"]).spec_for, document_keys)
    settings = IngestSettings(config.identity, config.ack_policy,
                              timedelta(days=config.duplicate_window_days),
                              config.resend_on_duplicate, config.duplicate_keys,
                              timedelta(seconds=config.lease_seconds),
                              rules=config.front_door)
    return ports, settings if partner is None else settings.for_partner(partner)


def poll_context(config: GatewayConfig, store: GatewayStore,
                 react: Callable[[IngestResult], Reactions], *, settle: float,
                 retry: PollRetry = with_retries,
                 observer: TransferObserver | None = None,
                 channels: Callable[[PartnerSettings], PartnerChannel] | None = None,
                 sender: Sender | None = None) -> PollContext:
    """How `gateway run`, `gateway poll` and the demo poll (`poll_partner`): the store and
    archive, the gateway's ingest settings, each partner's channel (as its file names it,
    unless ``channels`` opens them), the local clock, and the caller's follow-ups, retries
    and settle interval."""
    ports, defaults = ingest_ports(config, store)
    return PollContext(ports, defaults, store, channels or open_channel, react, retry,
                       clock=local_now, settle=settle, observer=observer,
                       sender=sender or Sender())


def partner_leases(config: GatewayConfig, store: GatewayStore,
                   name: str | None = None) -> PartnerLeases:
    """This process as a node among the others on the store (gateway.app.cluster), named
    ``name``, else ``cluster.node``, else after the host; not registered until it starts."""
    host = socket.gethostname()
    now = store.database_now()
    node = NodeRecord(uuid.uuid4().hex, name or config.cluster.node or host, host,
                      os.getpid(), now, now)
    return PartnerLeases(store, node, lease=timedelta(seconds=config.cluster.lease_seconds))


def subscribers(config: GatewayConfig) -> dict[str, Subscription]:
    """Every subscriber file (``subscribers/<name>.yaml``), checked; none without the folder."""
    return load_subscribers(config.paths["subscribers"])


def webhook_sender() -> WebhookSender:
    return HttpWebhookSender()


def local_now() -> datetime:
    """Now, in this machine's time zone: what files, polls and log lines are stamped with."""
    return datetime.now().astimezone()


def outbound_context(config: GatewayConfig, store: GatewayStore,
                     partners: Mapping[str, PartnerSettings] | None = None) -> Outbound:
    """What the outbound use cases run with: the store, who we are, and every partner's
    settings (``partners``, or every partner file that checks out)."""
    if partners is None:
        partners = usable_partners(config)
    return Outbound(store, config.identity, {p.id: p for p in partners.values()})


def usable_partners(config: GatewayConfig) -> dict[str, PartnerSettings]:
    """Every partner file without problems (``gateway partners check`` reports the others)."""
    found = {}
    for path in sorted(config.paths["partners"].glob("*.yaml")):
        partner = read_partner(path)
        if not partner.problems:
            found[partner.id] = partner
    return found


def partner_file(config: GatewayConfig, partner_id: str) -> PartnerSettings | None:
    """partners/<id>.yaml, checked; None when the partner has no file. Only an id as partner
    files spell it names a file: anything else is refused before a path is built."""
    if not _PARTNER_ID.fullmatch(partner_id):
        raise ConfigError(str(config.paths["partners"]), "(partner id)",
                          f"{partner_id!r} is not a partner id: 1 to 64 lower-case letters, "
                          "digits and dashes, as in partners/<id>.yaml")
    path = config.paths["partners"] / f"{partner_id}.yaml"
    if not path.is_file():
        return None
    partner = read_partner(path)
    if partner.problems:
        raise ConfigError(str(path), "(partner)", "; ".join(partner.problems))
    return partner


class ReplayRefused(GatewayError):
    """A stored file cannot be replayed with the settings it was ingested with."""


# On a file `gateway ingest` took without a partner file: the gateway's defaults were used.
NO_PARTNER_FILE = "partner.no-partner-file"


def note_ingested_without_partner_file(config: GatewayConfig, store: GatewayStore, file_id: int,
                                       partner_id: str) -> None:
    """Record on the file that it was ingested with the gateway's defaults (no partner file,
    no sender check): what lets `ReplayAsIngested` replay it the same way, and only it."""
    if any(f.code == NO_PARTNER_FILE for f in store.findings_of(file_id)):
        return
    path = config.paths["partners"] / f"{partner_id}.yaml"
    with store.transaction() as tx:
        tx.add_findings(file_id, [FindingRow(
            NO_PARTNER_FILE, "warning", f"ingested without a partner file ({path} did not "
            "exist): the gateway's defaults were used and the ISA sender was not checked")])


class ReplayAsIngested:
    """Replay is ingest: a stored file runs again with its partner's file as ingest used it
    (`ingest_ports`: the ISA sender it must carry, time zone, delimiters, strict envelope,
    limits), read once per partner. A file whose partner has no file is replayed with the
    gateway's defaults only when it was ingested with them (it carries the NO_PARTNER_FILE
    note); one ingested with a partner file since removed is refused: replaying it without
    its sender check could accept what ingest refused."""

    def __init__(self, config: GatewayConfig, store: GatewayStore) -> None:
        self.config, self.store = config, store
        self._read: dict[str, tuple[Ports, IngestSettings] | None] = {}

    def settings_of(self, stored: StoredFile) -> tuple[Ports, IngestSettings]:
        """The ports and settings ``stored`` is replayed (or previewed) with."""
        if stored.partner not in self._read:
            partner = partner_file(self.config, stored.partner)
            self._read[stored.partner] = None if partner is None else \
                ingest_ports(self.config, self.store, partner)
        found = self._read[stored.partner]
        if found is not None:
            return found
        if not any(f.code == NO_PARTNER_FILE for f in self.store.findings_of(stored.id)):
            path = self.config.paths["partners"] / f"{stored.partner}.yaml"
            raise ReplayRefused(
                f"{path} does not exist, and file #{stored.id} was ingested with it (only a "
                "file taken in without a partner file is noted so), so the sender it must "
                "carry, its time zone and its envelope rules are unknown; restore the partner "
                "file to replay it")
        return ingest_ports(self.config, self.store)

    def replay(self, stored: StoredFile, *, now: datetime) -> IngestResult:
        ports, settings = self.settings_of(stored)
        result = replay(stored, ports, settings, now=now)
        if self._read.get(stored.partner) is None:  # the defaults again: keep saying so
            note_ingested_without_partner_file(self.config, self.store, stored.id,
                                               stored.partner)
        return result


def document_keys(document: object) -> list[tuple[str, str]]:
    return [(key.kind.value, key.value) for key in keys_of(cast(CanonicalDocument, document))]


def open_channel(partner: PartnerSettings) -> PartnerChannel:
    """The transport a partner's file names, ready to be entered (connected) by the caller."""
    transport = partner.transport
    if transport is None:
        raise ConfigError(str(partner.source), "transport", "is missing")
    if transport.type == "local":
        return LocalChannel(partner)
    # paramiko is loaded by the first SFTP channel: commands that open none start lighter.
    from gateway.transport.sftp import SftpChannel  # noqa: PLC0415
    return SftpChannel(partner)


def missing_secrets(partner: PartnerSettings) -> list[str]:
    """A secret's reference can be right while the secret is absent: say so, never show it."""
    transport = partner.transport
    if transport is None:
        return []
    problems = []
    for key, ref in (("private_key", transport.private_key),
                     ("passphrase", transport.passphrase)):
        if ref is not None and ref.env and not os.environ.get(ref.env):
            problems.append(f"transport.{key}: the environment variable {ref.env} is not set")
        if ref is not None and ref.file and not ref.file.is_file():
            problems.append(f"transport.{key}: the file {ref.file} does not exist")
    return problems
