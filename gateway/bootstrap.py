"""The one place that reads configuration and builds what the commands need from it.

``config.yaml`` is optional: every key has an embedded default, so the gateway runs on a fresh
checkout. A key that is present but wrong stops start-up with a `ConfigError` naming the file,
the key and what is wrong. Secrets never live in this file (later: ``{env: NAME}`` or
``{file: path}`` references only).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from gateway.errors import ConfigError
from gateway.x12.ack import AckPolicy, FunctionalAck, Identity, Ta1Policy
from gateway.yaml_files import read_yaml_mapping

_Choice = TypeVar("_Choice", FunctionalAck, Ta1Policy)
DEFAULT_CONFIG_FILE = Path("config.yaml")
EMBEDDED_DEFAULTS: dict[str, dict[str, str]] = {
    "gateway": {"isa_qualifier": "ZZ", "isa_id": "RLGATEWAY", "gs_id": "RLGATEWAY"},
    "acknowledgements": {"functional": "997", "ta1": "on-request"},
    "paths": {"partners": "partners", "mappings": "mappings", "acks": "var/acks",
              "canonical": "var/canonical"},
}


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    source: str
    identity: Identity
    ack_policy: AckPolicy
    paths: dict[str, Path]


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
    return GatewayConfig(source, identity, policy, paths)


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
