"""config.yaml: every setting the gateway runs with, read once into a typed `GatewayConfig`.

``config.yaml`` is optional: every key has an embedded default, so the gateway runs on a fresh
checkout. A key that is present but wrong stops start-up with a `ConfigError` naming the file,
the key and what is wrong. Secrets never live in this file: a store URL with a password comes
from the environment variable ``store.url_env`` names, the webhook secret from
``alerts.secret_env``. Relative folders are read under the config file's folder.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.config.partners import folder_problem
from gateway.config.yaml_files import read_yaml_mapping
from gateway.domain.receiving import ReturnCentre, ShipToId
from gateway.errors import ConfigError
from gateway.x12.ack import AckPolicy, FunctionalAck, Ta1Policy
from gateway.x12.assess import ENGINES
from gateway.x12.limits import FrontDoorRules, Limits
from gateway.x12.write import Identity

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

DEFAULT_LIMITS = Limits()
_Choice = TypeVar("_Choice", FunctionalAck, Ta1Policy)
DEFAULT_CONFIG_FILE = Path("config.yaml")
EMBEDDED_DEFAULTS: dict[str, dict[str, str]] = {
    "gateway": {"isa_qualifier": "ZZ", "isa_id": "RLGATEWAY", "gs_id": "RLGATEWAY"},
    "acknowledgements": {"functional": "997", "ta1": "on-request"},
    "paths": {"partners": "partners", "subscribers": "subscribers", "mappings": "mappings",
              "programs": "programs",
              "acks": "var/acks",
              "canonical": "var/canonical", "archive": "var/archive"},
    # url: SQLite path or a PostgreSQL URL without a password; url_env: the name of an
    # environment variable holding the whole URL (the only place a password may be).
    "store": {"url": "sqlite:///var/gateway.sqlite", "url_env": ""},
    # keys: isa13, and by policy gs06 and / or st02 (comma separated); answer: resend | none
    "duplicates": {"window_days": "90", "answer": "resend", "keys": "isa13"},
    # retention_days 0: keep every file's bytes for ever; backend: filesystem (paths.archive,
    # a local or shared folder) or database (the store itself, so every node can replay)
    "archive": {"retention_days": "0", "backend": "filesystem"},
    # how long a worker holds a file it is processing; a copy arriving meanwhile is left for
    # later, one arriving after it (the worker died) resumes the file
    "processing": {"lease_seconds": "600"},
    # several `gateway run` nodes on one PostgreSQL: node names this one (default: the host
    # name); a partner's poll lease lasts lease_seconds and is renewed every
    # heartbeat_seconds, so a dead node's partners are taken over within lease_seconds
    "cluster": {"node": "", "lease_seconds": "30", "heartbeat_seconds": "10"},
    # a JSON POST to webhook_url for each alert (overdue acknowledgements...), signed with
    # HMAC-SHA256 using the secret in the environment variable secret_env names;
    # recall_deadline_days: alert when a recall's required action is due this soon and
    # recipients have not answered
    "alerts": {"webhook_url": "", "secret_env": "", "recall_deadline_days": "3"},
    # what one partner file may cost (gateway/x12/limits.py); a breach is a clear rejection
    "limits": {"file_size": "128MB", "xml_size": "10MB", "segments": "5000000",
               "groups": "5000", "sets": "100000", "hl_depth": "32",
               "seconds_per_file": "600", "whole_set_size": "4MB"},
    # which engine validates X12 sets: "fast" (compiled from our grammars, the default) or
    # "pyx12" (the reference it is proven against; ~10x slower)
    "validation": {"engine": "fast"},
}


ARCHIVE_BACKENDS = ("filesystem", "database")
# Sections that are not flat settings: each is read by its own function below.
NESTED_SECTIONS = ("return_centres",)
CENTRE_KEYS = ("name", "ship_to", "timezone")
_CENTRE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_SHIP_TO = re.compile(r"(?:[A-Za-z0-9]{1,3}:)?[^\x00-\x1f\x7f:][^\x00-\x1f\x7f]{0,79}")


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    """How this node shares the work with others on the same store (gateway.app.cluster)."""

    node: str = ""  # a name for people; "" is the host name
    lease_seconds: int = 30
    heartbeat_seconds: int = 10


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
    validation_engine: str = "fast"
    archive_backend: str = "filesystem"
    cluster: ClusterSettings = ClusterSettings()
    return_centres: tuple[ReturnCentre, ...] = ()  # the receiving schedule's docks

    @property
    def front_door(self) -> FrontDoorRules:
        """The limits and the validation engine every X12 file is read with."""
        return FrontDoorRules(self.limits, engine=self.validation_engine)


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
    unknown = set(raw) - set(EMBEDDED_DEFAULTS) - set(NESTED_SECTIONS)
    if unknown:
        raise ConfigError(source, sorted(unknown)[0], "is not a known section "
                          f"(known: {', '.join([*EMBEDDED_DEFAULTS, *NESTED_SECTIONS])})")
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
                         _limits(source, section["limits"]),
                         _choice_of(source, "validation.engine",
                                    section["validation"]["engine"], ENGINES),
                         _choice_of(source, "archive.backend", section["archive"]["backend"],
                                    ARCHIVE_BACKENDS),
                         _cluster(source, section["cluster"]),
                         return_centres=_return_centres(source, raw.get("return_centres")))


def _anchored(source: str, key: str, value: str, anchor: Path) -> Path:
    """A configured folder: absolute as written, or under ``anchor``; never through '..',
    which would let a relative folder climb out of the configuration's own folder."""
    problem = folder_problem(value, "the folder of the configuration file")
    if problem:
        raise ConfigError(source, key, problem)
    return anchor / value


def _cluster(source: str, cluster: dict[str, str]) -> ClusterSettings:
    name = cluster["node"]
    if name and (len(name) > 128 or not name.isprintable()):
        raise ConfigError(source, "cluster.node", "must be at most 128 printable characters")
    lease = _whole_number(source, "cluster.lease_seconds", cluster["lease_seconds"],
                          unit="seconds")
    heartbeat = _whole_number(source, "cluster.heartbeat_seconds",
                              cluster["heartbeat_seconds"], unit="seconds")
    if heartbeat < 1 or lease < 2 * heartbeat:
        # A lease must survive one missed heartbeat, or a busy node loses its partners.
        raise ConfigError(source, "cluster.lease_seconds", f"is {lease}; it must be at least "
                          f"twice cluster.heartbeat_seconds ({heartbeat}), which is at least 1")
    return ClusterSettings(name, lease, heartbeat)


def _return_centres(source: str, value: object) -> tuple[ReturnCentre, ...]:
    """``return_centres``: each centre id with its name, the ship-to identifiers partners
    name it by (N103:N104, or N104 alone) and its time zone. An identifier may name one
    centre only: otherwise which dock expects the goods would depend on reading order."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ConfigError(source, "return_centres", "must be a mapping of centre ids to "
                          "centres ({RC01: {name: ..., ship_to: ['92:RC01'], timezone: ...}})")
    claimed: list[tuple[ShipToId, str]] = []
    return tuple(_return_centre(source, str(centre_id), body, claimed)
                 for centre_id, body in value.items())


def _return_centre(source: str, centre_id: str, body: object,
                   claimed: list[tuple[ShipToId, str]]) -> ReturnCentre:
    key = f"return_centres.{centre_id}"
    if not _CENTRE_ID.fullmatch(centre_id):
        raise ConfigError(source, key, "is not a centre id: write 1 to 32 letters, digits, "
                          "'.', '_' or '-', starting with a letter or digit")
    if not isinstance(body, dict):
        raise ConfigError(source, key, "must be a mapping with name, ship_to and timezone")
    unknown = sorted(set(map(str, body)) - set(CENTRE_KEYS))
    if unknown:
        raise ConfigError(source, f"{key}.{unknown[0]}", "is not a known key "
                          f"(known: {', '.join(CENTRE_KEYS)})")
    name = body.get("name", centre_id)
    if not isinstance(name, str) or not 0 < len(name) <= 80 or not name.isprintable():
        raise ConfigError(source, f"{key}.name", "must be 1 to 80 printable characters")
    ship_to = _ship_tos(source, f"{key}.ship_to", body.get("ship_to"))
    for number, wanted in enumerate(ship_to):
        other = next((owner for known, owner in claimed if known.overlaps(wanted)), None)
        if other is not None and other != centre_id:
            raise ConfigError(source, f"{key}.ship_to[{number}]", f"'{wanted}' also names "
                              f"a ship-to of the centre {other}")
        claimed.append((wanted, centre_id))
    zone_name = body.get("timezone")
    zone = _zone(source, f"{key}.timezone", zone_name) if zone_name is not None else None
    return ReturnCentre(centre_id, name, ship_to, zone, zone_name if zone else None)


def _ship_tos(source: str, key: str, value: object) -> tuple[ShipToId, ...]:
    entries = [value] if isinstance(value, str) else value
    if not isinstance(entries, list) or not entries:
        raise ConfigError(source, key, "must list the ship-to identifiers partners name the "
                          "centre by: ['92:RC01'] (N103:N104) or ['RC01'] (N104, any N103)")
    found = []
    for number, entry in enumerate(entries):
        # YAML reads 92:41 as a number (base 60): quoting keeps an identifier as written.
        if not isinstance(entry, str) or not _SHIP_TO.fullmatch(entry.strip()):
            raise ConfigError(source, f"{key}[{number}]", f"is {entry!r}; write a quoted "
                              "N103:N104 such as '92:RC01', or an N104 alone such as 'RC01'")
        found.append(ShipToId.parse(entry))
    return tuple(found)


def _zone(source: str, key: str, name: object) -> ZoneInfo:
    if isinstance(name, str) and name.isprintable() and 0 < len(name) <= 64:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise ConfigError(source, key, f"is {name!r}; write an IANA time zone such as "
                      "America/New_York or Europe/Berlin")


def _limits(source: str, limits: dict[str, str]) -> Limits:
    def count(key: str) -> int:
        value = _whole_number(source, f"limits.{key}", limits[key], unit="count")
        if value < 1:
            raise ConfigError(source, f"limits.{key}", "must be at least 1")
        return value
    return Limits(_size(source, "limits.file_size", limits["file_size"]),
                  _size(source, "limits.xml_size", limits["xml_size"]),
                  count("segments"), count("groups"), count("sets"), count("hl_depth"),
                  float(count("seconds_per_file")),
                  _size(source, "limits.whole_set_size", limits["whole_set_size"]))


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
    if _parsed(url).password:
        raise ConfigError(source, "store.url", "holds a password; put the whole URL in an "
                          "environment variable and name it in store.url_env instead")
    return url


def _database_url_problem(text: str, *, show_host: bool = True) -> str | None:
    """What keeps ``text`` from being a store URL this gateway can open, or None. The scheme
    and port are named; the host only with ``show_host`` (a mangled URL can leave part of a
    password in what parses as its host)."""
    if not text.isprintable():
        return f"holds a control character; {_URL_FORMS}"
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415 (see _parsed)
    try:
        url = _parsed(text)
    except (ArgumentError, ValueError):
        return f"is not a database URL; {_URL_FORMS}"
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        return (f"names the database {backend!r}; the gateway keeps its store in SQLite or "
                f"PostgreSQL: {_URL_FORMS}")
    return _driver_problem(url) or _place_problem(url, show_host)


def _parsed(text: str) -> URL:
    """SQLAlchemy's reading of a URL. SQLAlchemy is imported here, when a configuration is
    read, not when this module is: ``gateway --help`` and ``--version`` read none."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415
    return make_url(text)


def _driver_problem(url: URL) -> str | None:
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415
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


