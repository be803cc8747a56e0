"""The one place that reads configuration and builds what the commands need from it.

``config.yaml`` is optional: every key has an embedded default, so the gateway runs on a fresh
checkout. A key that is present but wrong stops start-up with a `ConfigError` naming the file,
the key and what is wrong. Secrets never live in this file (later: ``{env: NAME}`` or
``{file: path}`` references only).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from gateway.alerts import Alerter
from gateway.archive import FileArchive
from gateway.domain.correlation import keys_of
from gateway.errors import ConfigError
from gateway.mapping_files import MappingCatalog
from gateway.model import CanonicalDocument
from gateway.outbound.terms import Counterparty, Outbound
from gateway.partners import Partner, read_partner
from gateway.pipeline import IngestSettings, Ports
from gateway.ports import PartnerChannel
from gateway.store.engine import open_engine
from gateway.store.migrate import check_current
from gateway.store.repository import SqlStore
from gateway.transport.local import LocalChannel
from gateway.transport.sftp import SftpChannel
from gateway.x12.ack import AckPolicy, FunctionalAck, Identity, Ta1Policy
from gateway.yaml_files import read_yaml_mapping

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


def load_config(path: Path | None = None) -> GatewayConfig:
    """Read ``path`` (or ./config.yaml when it exists) over the embedded defaults."""
    chosen = path if path is not None else DEFAULT_CONFIG_FILE
    if path is None and not chosen.exists():
        return _build("embedded defaults", {})
    return _build(str(chosen), read_yaml_mapping(chosen, empty_ok=True))


def _build(source: str, raw: dict[str, Any]) -> GatewayConfig:
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
    paths = {name: Path(value) for name, value in section["paths"].items()}
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
                                       section["processing"]["lease_seconds"]),
                         *_alerts(source, section["alerts"]))


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


def _store_url(source: str, store: dict[str, str]) -> str:
    if store["url_env"]:
        value = os.environ.get(store["url_env"])
        if not value:
            raise ConfigError(source, "store.url_env",
                              f"names {store['url_env']}, which is not set in the environment")
        return value
    if make_url(store["url"]).password:
        raise ConfigError(source, "store.url", "holds a password; put the whole URL in an "
                          "environment variable and name it in store.url_env instead")
    return store["url"]


def _whole_number(source: str, key: str, value: str) -> int:
    if not (value.isascii() and value.isdigit()):
        raise ConfigError(source, key, f"is {value!r}; write a whole number of days")
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
    """The configured store; by default refuses to run on a schema that is not current."""
    engine = open_engine(config.store_url)
    if check:
        check_current(engine, config.store_url)
    return SqlStore(engine)


def ingest_ports(config: GatewayConfig, store: SqlStore,
                 partner: Partner | None = None) -> tuple[Ports, IngestSettings]:
    """The pipeline's ports and settings; a partner's file overrides the gateway's defaults for
    acknowledgements, delimiters and time zone, and pins the sender its files must carry."""
    ports = Ports(store, FileArchive(config.paths["archive"]),
                  MappingCatalog(config.paths["mappings"]).spec_for, _document_keys)
    settings = IngestSettings(config.identity, config.ack_policy,
                              timedelta(days=config.duplicate_window_days),
                              config.resend_on_duplicate, config.duplicate_keys,
                              timedelta(seconds=config.lease_seconds))
    if partner is not None:
        policy = replace(config.ack_policy, functional=partner.functional_ack, ta1=partner.ta1,
                         delimiters=partner.delimiters,
                         reply_to=(partner.isa_qualifier, partner.isa_id))
        settings = replace(settings, policy=policy, timezone=partner.timezone,
                           expected_sender=(partner.isa_qualifier, partner.isa_id))
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
    """partners/<id>.yaml, checked; None when the partner has no file."""
    path = config.paths["partners"] / f"{partner_id}.yaml"
    if not path.is_file():
        return None
    partner = read_partner(path)
    if partner.problems:
        raise ConfigError(str(path), "(partner)", "; ".join(partner.problems))
    return partner


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
