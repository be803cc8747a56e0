"""Partner files: ``partners/<id>.yaml``, one per trading partner, checked before use.

Every problem names the file, the key and what is wrong, and all of a file's problems are
reported at once. Secrets are never in these files: a private key is ``{env: NAME}`` or
``{file: path}``, and text that looks like a key itself is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.errors import ConfigError
from gateway.x12.ack import FunctionalAck, Ta1Policy
from gateway.x12.isa import Delimiters
from gateway.yaml_files import read_yaml_mapping

ROLES = ("retailer", "carrier", "vendor", "recall-coordinator")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_EVERY = re.compile(r"^(\d+)\s*(s|m|h)$")
_CRON_FIELD = re.compile(r"^[\d*/,\-]+$")
_KEY_MATERIAL = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|^(ssh|ecdsa)-[a-z0-9-]+ AAAA")


@dataclass(frozen=True, slots=True)
class SecretRef:
    """Where a secret is: an environment variable or a file; never the secret itself."""

    env: str | None = None
    file: Path | None = None


@dataclass(frozen=True, slots=True)
class Transport:
    type: str  # sftp | local
    inbound: str
    outbound: str
    host: str | None = None
    port: int = 22
    username: str | None = None
    private_key: SecretRef | None = None
    passphrase: SecretRef | None = None
    known_hosts: Path | None = None
    after_pickup: str = "delete"  # delete | move:<folder>
    patterns: tuple[str, ...] = ("*.edi", "*.x12", "*.xml")


@dataclass(frozen=True, slots=True)
class Partner:
    id: str
    name: str
    role: str
    source: Path
    isa_qualifier: str
    isa_id: str
    gs_id: str
    version: str = "004010"
    delimiters: Delimiters | None = None
    functional_ack: FunctionalAck = FunctionalAck.ACK_997
    ta1: Ta1Policy = Ta1Policy.ON_REQUEST
    timezone: str = "UTC"
    transport: Transport | None = None
    every_seconds: int | None = None
    cron: str | None = None
    problems: tuple[str, ...] = field(default=(), compare=False)


def load_partners(folder: Path) -> dict[str, Partner]:
    """Every partner file in ``folder``; the first file with problems stops with all of them."""
    partners = {}
    for path in sorted(folder.glob("*.yaml")):
        partner = read_partner(path)
        if partner.problems:
            raise ConfigError(str(path), "(partner)", "; ".join(partner.problems))
        partners[partner.id] = partner
    return partners


def read_partner(path: Path) -> Partner:
    """One partner file; its problems (key: what is wrong) are collected, not raised."""
    raw = read_yaml_mapping(path)
    check = _Checker(path, raw)
    partner = check.partner()
    return Partner(**{**partner, "problems": tuple(check.problems)})


class _Checker:
    def __init__(self, path: Path, raw: dict[str, Any]) -> None:
        self.path, self.raw = path, raw
        self.problems: list[str] = []

    def fail(self, key: str, problem: str) -> None:
        self.problems.append(f"{key}: {problem}")

    def partner(self) -> dict[str, Any]:
        known = {"id", "name", "role", "x12", "transport", "schedule", "timezone"}
        for key in sorted(set(self.raw) - known):
            self.fail(key, f"is not a known key (known: {', '.join(sorted(known))})")
        partner_id = self._text(self.raw, "id", _ID, "lower-case letters, digits and dashes")
        if partner_id and partner_id != self.path.stem:
            self.fail("id", f"is {partner_id!r} but the file is {self.path.name}: they must match")
        role = str(self.raw.get("role", ""))
        if role not in ROLES:
            self.fail("role", f"is {role!r}; use one of {', '.join(ROLES)}")
        x12 = self._section("x12")
        values: dict[str, Any] = {
            "id": partner_id or self.path.stem, "name": str(self.raw.get("name") or ""),
            "role": role, "source": self.path, **self._x12(x12),
            "timezone": self._timezone(), "transport": self._transport(),
        }
        values.update(self._schedule())
        return values

    def _section(self, key: str) -> dict[str, Any]:
        value = self.raw.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(key, "must be a mapping")
            return {}
        return value

    def _text(self, raw: dict[str, Any], key: str, pattern: re.Pattern[str] | None = None,
              what: str = "", *, prefix: str = "") -> str:
        value = raw.get(key)
        if value is None or str(value).strip() == "":
            self.fail(prefix + key, "is missing")
            return ""
        text = str(value)
        if pattern is not None and not pattern.match(text):
            self.fail(prefix + key, f"is {text!r}; write {what}")
        return text

    def _x12(self, x12: dict[str, Any]) -> dict[str, Any]:
        qualifier = self._text(x12, "isa_qualifier", re.compile(r"^[A-Z0-9]{2}$"),
                               "2 letters or digits", prefix="x12.")
        isa_id = self._text(x12, "isa_id", re.compile(r"^[A-Za-z0-9 .\-]{1,15}$"),
                            "1 to 15 letters, digits, spaces, dots or dashes", prefix="x12.")
        gs_id = self._text(x12, "gs_id", re.compile(r"^.{2,15}$"), "2 to 15 characters",
                           prefix="x12.")
        version = str(x12.get("version", "004010"))
        if version[:4] not in ("0040", "0050"):
            self.fail("x12.version", f"is {version!r}; use 004010 or 005010 (a release of them)")
        acks = x12.get("acks") or {}
        functional = self._choice(acks, "functional", FunctionalAck, "x12.acks.")
        ta1 = self._choice(acks, "ta1", Ta1Policy, "x12.acks.")
        return {"isa_qualifier": qualifier, "isa_id": isa_id, "gs_id": gs_id,
                "version": version, "delimiters": self._delimiters(x12),
                "functional_ack": functional or FunctionalAck.ACK_997,
                "ta1": ta1 or Ta1Policy.ON_REQUEST}

    def _choice(self, raw: dict[str, Any], key: str, kind: Any, prefix: str) -> Any:
        if key not in raw:
            return None
        try:
            return kind(str(raw[key]))
        except ValueError:
            allowed = ", ".join(m.value for m in kind)
            self.fail(prefix + key, f"is {raw[key]!r}; use one of {allowed}")
            return None

    def _delimiters(self, x12: dict[str, Any]) -> Delimiters | None:
        raw = x12.get("delimiters")
        if raw is None:
            return None
        chosen = {k: str(raw.get(k, "")) for k in ("element", "segment", "component")}
        for key, value in chosen.items():
            if len(value) != 1 or value.isalnum() or value == " ":
                self.fail(f"x12.delimiters.{key}", f"is {value!r}; write one punctuation "
                          "character")
        if len(set(chosen.values())) != 3:
            self.fail("x12.delimiters", "element, segment and component must differ")
        return Delimiters(chosen["element"], chosen["component"], chosen["segment"], "^")

    def _timezone(self) -> str:
        zone = str(self.raw.get("timezone", "UTC"))
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail("timezone", f"is {zone!r}; write a zone such as America/Chicago")
        return zone

    def _transport(self) -> Transport | None:
        raw = self._section("transport")
        if not raw:
            self.fail("transport", "is missing")
            return None
        kind = str(raw.get("type", ""))
        if kind not in ("sftp", "local"):
            self.fail("transport.type", f"is {kind!r}; use sftp or local")
        inbound = self._text(raw, "inbound", prefix="transport.")
        outbound = self._text(raw, "outbound", prefix="transport.")
        after = str(raw.get("after_pickup", "delete"))
        if after != "delete" and not after.startswith("move:"):
            self.fail("transport.after_pickup", f"is {after!r}; use delete or move:<folder>")
        patterns = raw.get("patterns", ["*.edi", "*.x12", "*.xml"])
        if not isinstance(patterns, list) or not patterns:
            self.fail("transport.patterns", "must be a list of file name patterns")
            patterns = []
        sftp = self._sftp(raw) if kind == "sftp" else {}
        return Transport(kind, inbound, outbound, after_pickup=after,
                         patterns=tuple(str(p) for p in patterns), **sftp)

    def _sftp(self, raw: dict[str, Any]) -> dict[str, Any]:
        host = self._text(raw, "host", prefix="transport.")
        username = self._text(raw, "username", prefix="transport.")
        port = raw.get("port", 22)
        if not (isinstance(port, int) and 0 < port < 65536):
            self.fail("transport.port", f"is {port!r}; write a port number 1 to 65535")
            port = 22
        known_hosts = raw.get("known_hosts")
        if not known_hosts:
            self.fail("transport.known_hosts", "is missing: host keys are pinned, an unknown "
                      "host key is refused")
        elif not (self.path.parent.parent / str(known_hosts)).is_file() and \
                not Path(str(known_hosts)).is_file():
            self.fail("transport.known_hosts", f"names {known_hosts}, which does not exist")
        return {"host": host, "port": port, "username": username,
                "private_key": self._secret(raw, "private_key", required=True),
                "passphrase": self._secret(raw, "passphrase", required=False),
                "known_hosts": Path(str(known_hosts)) if known_hosts else None}

    def _secret(self, raw: dict[str, Any], key: str, *, required: bool) -> SecretRef | None:
        value = raw.get(key)
        name = f"transport.{key}"
        if value is None:
            if required:
                self.fail(name, "is missing: write {env: VARIABLE} or {file: path}")
            return None
        if isinstance(value, str):
            looks_like_key = bool(_KEY_MATERIAL.search(value))
            self.fail(name, "holds a secret itself" if looks_like_key else
                      "must be {env: VARIABLE} or {file: path}, never the secret itself")
            return None
        if not isinstance(value, dict) or set(value) not in ({"env"}, {"file"}):
            self.fail(name, "must be {env: VARIABLE} or {file: path}")
            return None
        if "env" in value:
            return SecretRef(env=str(value["env"]))
        return SecretRef(file=Path(str(value["file"])))

    def _schedule(self) -> dict[str, Any]:
        raw = self._section("schedule")
        if set(raw) == {"every"}:
            match = _EVERY.match(str(raw["every"]).strip())
            if match is None:
                self.fail("schedule.every", f"is {raw['every']!r}; write e.g. 60s, 5m or 1h")
                return {}
            seconds = int(match[1]) * {"s": 1, "m": 60, "h": 3600}[match[2]]
            if seconds < 1:
                self.fail("schedule.every", "must be at least 1s")
            return {"every_seconds": seconds}
        if set(raw) == {"cron"}:
            fields = str(raw["cron"]).split()
            if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
                self.fail("schedule.cron", f"is {raw['cron']!r}; write 5 cron fields, e.g. "
                          "'*/5 * * * *'")
                return {}
            return {"cron": str(raw["cron"])}
        self.fail("schedule", "write {every: 60s} or {cron: '*/5 * * * *'}")
        return {}
