"""The one place that reads configuration and builds what the commands need from it.

``config.yaml`` is optional: every key has an embedded default, so the gateway runs on a fresh
checkout. A key that is present but wrong stops start-up with a `ConfigError` naming the file,
the key and what is wrong. Secrets never live in this file (later: ``{env: NAME}`` or
``{file: path}`` references only).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from gateway.advice_queue import AdviceAddress
from gateway.alerts import Alerter
from gateway.archive import FileArchive
from gateway.domain.correlation import keys_of
from gateway.errors import ConfigError, GatewayError
from gateway.mapping_files import MappingCatalog
from gateway.model import CanonicalDocument
from gateway.outbound.terms import Counterparty, Outbound
from gateway.partners import Partner, folder_problem, read_partner
from gateway.pipeline import IngestResult, IngestSettings, Ports, replay
from gateway.ports import FindingRow, PartnerChannel, StoredFile
from gateway.store.engine import open_engine
from gateway.store.migrate import check_current
from gateway.store.repository import SqlStore
from gateway.transport.local import LocalChannel
from gateway.transport.sftp import SftpChannel
from gateway.x12.ack import AckPolicy, FunctionalAck, Identity, Ta1Policy
from gateway.x12.advice import ApplicationAdvice
from gateway.x12.limits import FrontDoorRules, Limits
from gateway.yaml_files import read_yaml_mapping

DEFAULT_LIMITS = Limits()
_PARTNER_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")  # as partners.py and cli_args.py read ids
_Choice = TypeVar("_Choice", FunctionalAck, Ta1Policy)
DEFAULT_CONFIG_FILE = Path("config.yaml")
EMBEDDED_DEFAULTS: dict[str, dict[str, str]] = {
    "gateway": {"isa_qualifier": "ZZ", "isa_id": "RLGATEWAY", "gs_id": "RLGATEWAY"},
    "acknowledgements": {"functional": "997", "ta1": "on-request"},
    "paths": {"partners": "partners", "mappings": "mappings", "acks": "var/acks",
              "canonical": "var/canonical", "archive": "var/archive"},
    # url: SQLite path or a PostgreSQL URL without a password; url_env: the name of an
    # environment variable holding the whole URL (the only place a password may be).
    "store": {"url": "sqlite:///var/gateway.sqlite", "url_env": ""},
    # keys: isa13, and by policy gs06 and / or st02 (comma separated); answer: resend | none
    "duplicates": {"window_days": "90", "answer": "resend", "keys": "isa13"},
    "archive": {"retention_days": "0"},  # 0: keep every file's bytes for ever
    # how long a worker holds a file it is processing; a copy arriving meanwhile is left for
    # later, one arriving after it (the worker died) resumes the file
    "processing": {"lease_seconds": "600"},
    # a JSON POST to webhook_url for each alert (overdue acknowledgements...), signed with
    # HMAC-SHA256 using the secret in the environment variable secret_env names;
    # recall_deadline_days: alert when a recall's required action is due this soon and
    # recipients have not answered
    "alerts": {"webhook_url": "", "secret_env": "", "recall_deadline_days": "3"},
    # what one partner file may cost (gateway/x12/limits.py); a breach is a clear rejection
    "limits": {"file_size": "128MB", "xml_size": "10MB", "segments": "5000000",
               "groups": "5000", "sets": "100000", "hl_depth": "32",
               "seconds_per_file": "600"},
}


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    source: str
    identity: Identity
    ack_policy: AckPolicy
    paths: dict[str, Path]
    store_url: str = "sqlite:///var/gateway.sqlite"
    duplicate_window_days: int = 90
    resend_on_duplicate: bool = True
    archive_retention_days: int = 0
    duplicate_keys: frozenset[str] = frozenset({"isa13"})
    lease_seconds: int = 600
    webhook_url: str = ""
    webhook_secret_env: str = ""
    recall_deadline_days: int = 3
    limits: Limits = DEFAULT_LIMITS


def load_config(path: Path | None = None) -> GatewayConfig:
    """Read ``path`` (or ./config.yaml when it exists) over the embedded defaults. Relative
    ``paths:`` are anchored once, here, at the folder of the config file (with the embedded
    defaults: the folder config.yaml was looked for in), so no later change of working
    directory moves them."""
    chosen = path if path is not None else DEFAULT_CONFIG_FILE
    anchor = chosen.absolute().parent
    if path is None and not chosen.exists():
        return _build("embedded defaults", {}, anchor)
    return _build(str(chosen), read_yaml_mapping(chosen, empty_ok=True), anchor)


def _build(source: str, raw: dict[str, Any], anchor: Path) -> GatewayConfig:
    unknown = set(raw) - set(EMBEDDED_DEFAULTS)
    if unknown:
        raise ConfigError(source, sorted(unknown)[0], "is not a known section "
                          f"(known: {', '.join(EMBEDDED_DEFAULTS)})")
    section = {name: _section(source, name, raw.get(name)) for name in EMBEDDED_DEFAULTS}
    identity = Identity(
        _isa_value(source, "gateway.isa_qualifier", section["gateway"]["isa_qualifier"], 2),
        _isa_value(source, "gateway.isa_id", section["gateway"]["isa_id"], 15),
        _isa_value(source, "gateway.gs_id", section["gateway"]["gs_id"], 15))
    acks = section["acknowledgements"]
    policy = AckPolicy(
        functional=_choice(source, "acknowledgements.functional", acks["functional"],
                           FunctionalAck),
        ta1=_choice(source, "acknowledgements.ta1", acks["ta1"], Ta1Policy))
    paths = {name: _anchored(source, f"paths.{name}", value, anchor)
             for name, value in section["paths"].items()}
    duplicates = section["duplicates"]
    return GatewayConfig(source, identity, policy, paths, _store_url(source, section["store"]),
                         _whole_number(source, "duplicates.window_days",
                                       duplicates["window_days"]),
                         _choice_of(source, "duplicates.answer", duplicates["answer"],
                                    ("resend", "none")) == "resend",
                         _whole_number(source, "archive.retention_days",
                                       section["archive"]["retention_days"]),
                         _duplicate_keys(source, duplicates["keys"]),
                         _whole_number(source, "processing.lease_seconds",
                                       section["processing"]["lease_seconds"],
                                       unit="seconds"),
                         *_alerts(source, section["alerts"]),
                         _limits(source, section["limits"]))


def _anchored(source: str, key: str, value: str, anchor: Path) -> Path:
    """A configured folder: absolute as written, or under ``anchor``; never through '..',
    which would let a relative folder climb out of the configuration's own folder."""
    problem = folder_problem(value, "the folder of the configuration file")
    if problem:
        raise ConfigError(source, key, problem)
    return anchor / value


def _limits(source: str, limits: dict[str, str]) -> Limits:
    def count(key: str) -> int:
        value = _whole_number(source, f"limits.{key}", limits[key], unit="count")
        if value < 1:
            raise ConfigError(source, f"limits.{key}", "must be at least 1")
        return value
    return Limits(_size(source, "limits.file_size", limits["file_size"]),
                  _size(source, "limits.xml_size", limits["xml_size"]),
                  count("segments"), count("groups"), count("sets"), count("hl_depth"),
                  float(count("seconds_per_file")))


_SIZE = re.compile(r"(\d{1,12})\s*(B|KB|MB|GB)?", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}


def _size(source: str, key: str, value: str) -> int:
    """A size such as ``128MB``, ``512 KB`` or ``1048576`` (bytes); units are powers of 1024."""
    match = _SIZE.fullmatch(value.strip())
    if match is None or int(match.group(1)) == 0:
        raise ConfigError(source, key, f"is {value!r}; write a size such as 128MB, 512KB or "
                          "a number of bytes")
    return int(match.group(1)) * _SIZE_UNITS[(match.group(2) or "").upper()]


def _alerts(source: str, alerts: dict[str, str]) -> tuple[str, str, int]:
    url = alerts["webhook_url"]
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(source, "alerts.webhook_url", f"is {url!r}; write an http(s) URL")
    if url and urlsplit(url).password is not None:
        raise ConfigError(source, "alerts.webhook_url", "holds a password; use secret_env "
                          "for the signing secret instead")
    return url, alerts["secret_env"], _whole_number(source, "alerts.recall_deadline_days",
                                                    alerts["recall_deadline_days"])


def alerter(config: GatewayConfig) -> Alerter:
    secret_env = config.webhook_secret_env
    secret = os.environ.get(secret_env) if secret_env else None
    if secret_env and not secret:
        raise ConfigError(config.source, "alerts.secret_env",
                          f"names {secret_env}, which is not set in the environment")
    return Alerter(config.webhook_url or None, secret.encode() if secret else None)


def _duplicate_keys(source: str, value: str) -> frozenset[str]:
    keys = frozenset(k.strip() for k in value.split(",") if k.strip())
    unknown = keys - {"isa13", "gs06", "st02"}
    if unknown or not keys:
        raise ConfigError(source, "duplicates.keys", f"is {value!r}; use isa13, gs06 and / or "
                          "st02, separated by commas")
    return keys


_URL_FORMS = "write sqlite:///PATH (a file) or postgresql+psycopg://USER@HOST[:PORT]/DATABASE"
_HOST = re.compile(r"[A-Za-z0-9._%:-]+")  # a name, IPv4, or IPv6 (brackets already removed)


def _store_url(source: str, store: dict[str, str]) -> str:
    """The store's URL, checked here so that a URL that cannot work stops the command with
    the file and key, not with a driver's traceback when it first connects."""
    name = store["url_env"]
    if name:
        value = os.environ.get(name)
        if not value:
            raise ConfigError(source, "store.url_env",
                              f"names {name}, which is not set in the environment")
        # The value may hold a password: say what is wrong, never what it is.
        problem = _database_url_problem(value, show_host=False)
        if problem:
            raise ConfigError(source, "store.url_env", f"names {name}, whose value {problem}")
        return value
    url = store["url"]
    problem = _database_url_problem(url)
    if problem:  # the URL itself is not echoed: one that does not parse may hide a password
        raise ConfigError(source, "store.url", problem)
    if make_url(url).password:
        raise ConfigError(source, "store.url", "holds a password; put the whole URL in an "
                          "environment variable and name it in store.url_env instead")
    return url


def _database_url_problem(text: str, *, show_host: bool = True) -> str | None:
    """What keeps ``text`` from being a store URL this gateway can open, or None. The scheme
    and port are named; the host only with ``show_host`` (a mangled URL can leave part of a
    password in what parses as its host)."""
    if not text.isprintable():
        return f"holds a control character; {_URL_FORMS}"
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        return f"is not a database URL; {_URL_FORMS}"
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        return (f"names the database {backend!r}; the gateway keeps its store in SQLite or "
                f"PostgreSQL: {_URL_FORMS}")
    return _driver_problem(url) or _place_problem(url, show_host)


def _driver_problem(url: URL) -> str | None:
    try:
        url.get_dialect().import_dbapi()
    except (ArgumentError, ImportError):  # NoSuchModuleError is an ArgumentError
        return f"names the driver {url.drivername!r}, which is not installed here; {_URL_FORMS}"
    return None


def _place_problem(url: URL, show_host: bool) -> str | None:
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return ("is an in-memory database, which forgets everything when the command ends; "
                "write sqlite:///PATH")
    if url.host is not None and not _HOST.fullmatch(url.host):
        named = f" {url.host!r}" if show_host else ""
        return f"names the host{named}, which is not a host name or IP address"
    if url.port is not None and not 0 < url.port < 65_536:
        return f"names the port {url.port}, which is not 1 to 65535"
    return None


def _whole_number(source: str, key: str, value: str, *, unit: str = "days") -> int:
    if not (value.isascii() and value.isdigit() and len(value) <= 12):
        what = "a whole number" + ("" if unit == "count" else f" of {unit}")
        raise ConfigError(source, key, f"is {value!r}; write {what}")
    return int(value)


def _choice_of(source: str, key: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(source, key, f"is {value!r}; use one of {', '.join(allowed)}")
    return value


def _section(source: str, name: str, value: object) -> dict[str, str]:
    merged = dict(EMBEDDED_DEFAULTS[name])
    if value is None:
        return merged
    if not isinstance(value, dict):
        raise ConfigError(source, name, "must be a mapping")
    for key, item in value.items():
        if key not in merged:
            raise ConfigError(source, f"{name}.{key}", "is not a known key "
                              f"(known: {', '.join(merged)})")
        if not isinstance(item, str | int):
            raise ConfigError(source, f"{name}.{key}", "must be a single value")
        merged[key] = str(item)
    return merged


def _isa_value(source: str, key: str, value: str, width: int) -> str:
    if not value or len(value) > width or not value.isascii() or not value.isprintable():
        raise ConfigError(source, key, f"must be 1 to {width} printable ASCII characters")
    return value


def _choice(source: str, key: str, value: str, kind: type[_Choice]) -> _Choice:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ConfigError(source, key, f"is {value!r}; use one of {allowed}") from None


def open_store(config: GatewayConfig, *, check: bool = True) -> SqlStore:
    """The configured store; by default refuses to run on a schema that is not current, and
    on a SQLite store that does not exist yet, which it leaves uncreated (only `gateway db
    upgrade` and the demo, which pass ``check=False``, create it)."""
    engine = open_engine(config.store_url, create=not check)
    if check:
        check_current(engine, config.store_url)
    return SqlStore(engine)


def ingest_ports(config: GatewayConfig, store: SqlStore,
                 partner: Partner | None = None) -> tuple[Ports, IngestSettings]:
    """The pipeline's ports and settings; a partner's file overrides the gateway's defaults for
    acknowledgements, delimiters and time zone, pins the sender its files must carry and says
    which documents it may send (its role's, or its ``documents``; without a partner file no
    document is refused for its kind)."""
    ports = Ports(store, FileArchive(config.paths["archive"]),
                  MappingCatalog(config.paths["mappings"]).spec_for, _document_keys)
    settings = IngestSettings(config.identity, config.ack_policy,
                              timedelta(days=config.duplicate_window_days),
                              config.resend_on_duplicate, config.duplicate_keys,
                              timedelta(seconds=config.lease_seconds),
                              rules=FrontDoorRules(config.limits))
    if partner is not None:
        policy = replace(config.ack_policy, functional=partner.functional_ack, ta1=partner.ta1,
                         delimiters=partner.delimiters,
                         reply_to=(partner.isa_qualifier, partner.isa_id))
        advice = AdviceAddress((partner.isa_qualifier, partner.isa_id), partner.gs_id,
                               partner.delimiters)
        settings = replace(settings, policy=policy, timezone=partner.timezone,
                           expected_sender=(partner.isa_qualifier, partner.isa_id),
                           rules=FrontDoorRules(config.limits, partner.strict_envelope),
                           advice_to=advice if partner.application_advice is
                           ApplicationAdvice.X12_824 else None,
                           authority=partner.document_authority)
    return ports, settings


def outbound_context(config: GatewayConfig, store: SqlStore,
                     partners: Mapping[str, Partner] | None = None) -> Outbound:
    """What the outbound use cases run with: the store, who we are, and every partner's
    outbound terms (from ``partners``, or from every partner file that checks out)."""
    if partners is None:
        partners = usable_partners(config)
    return Outbound(store, config.identity,
                    {p.id: counterparty(p) for p in partners.values()})


def usable_partners(config: GatewayConfig) -> dict[str, Partner]:
    """Every partner file without problems (``gateway partners check`` reports the others)."""
    found = {}
    for path in sorted(config.paths["partners"].glob("*.yaml")):
        partner = read_partner(path)
        if not partner.problems:
            found[partner.id] = partner
    return found


def counterparty(partner: Partner) -> Counterparty:
    updates = partner.status_updates
    return Counterparty(
        partner.id, partner.name, partner.role, partner.isa_qualifier, partner.isa_id,
        partner.gs_id, partner.version, partner.delimiters, partner.timezone,
        partner.returns_policy, updates.form if updates else None,
        frozenset(s.value for s in updates.states) if updates else frozenset(),
        partner.recall_notifications, partner.ack_expected_within)


def partner_file(config: GatewayConfig, partner_id: str) -> Partner | None:
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


def note_ingested_without_partner_file(config: GatewayConfig, store: SqlStore, file_id: int,
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

    def __init__(self, config: GatewayConfig, store: SqlStore) -> None:
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


def _document_keys(document: object) -> list[tuple[str, str]]:
    return [(key.kind.value, key.value) for key in keys_of(cast(CanonicalDocument, document))]


def open_channel(partner: Partner) -> PartnerChannel:
    """The transport a partner's file names, ready to be entered (connected) by the caller."""
    transport = partner.transport
    if transport is None:
        raise ConfigError(str(partner.source), "transport", "is missing")
    if transport.type == "local":
        return LocalChannel(partner)
    return SftpChannel(partner)
