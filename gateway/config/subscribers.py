"""Subscriber files: ``subscribers/<name>.yaml``, one per internal system that takes the feed.

    url: https://wms.example.internal/hooks/returns   # where each event is POSTed
    secret: {env: WMS_WEBHOOK_SECRET}                  # or {file: secrets/wms.key}: whsec_...
    types: [document.received, file.rejected]          # optional: default every type
    partners: [northwind]                              # optional: default every partner
    max_attempts: 10        # failures of one event before it is dead-lettered (default 10)
    timeout_seconds: 10     # per POST (default 10)

Every problem names the file and the key; all of a file's problems are reported at once. The
secret is never written in the file itself. A relative secret file is read under the folder
that holds the subscribers folder (with the usual layout, the one config.yaml is in).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gateway.app.delivery import Subscription
from gateway.app.events import EVENT_TYPES
from gateway.app.partners import SecretRef
from gateway.config.secrets import secret_ref
from gateway.config.yaml_files import read_yaml_mapping
from gateway.errors import ConfigError

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_KNOWN = {"url", "secret", "types", "partners", "max_attempts", "timeout_seconds"}


def load_subscribers(folder: Path) -> dict[str, Subscription]:
    """Every subscriber file in ``folder`` (none when there is no folder); the first file with
    problems stops with all of them."""
    found = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        subscription = read_subscriber(path)
        found[subscription.name] = subscription
    return found


def read_subscriber(path: Path) -> Subscription:
    raw = read_yaml_mapping(path)
    problems: list[str] = []

    def fail(key: str, why: str) -> None:
        problems.append(f"{key}: {why}")

    if not _NAME.match(path.stem):
        fail("(file name)", "use lower-case letters, digits and dashes, as in wms.yaml")
    for key in sorted(set(raw) - _KNOWN, key=str):
        fail(str(key), f"is not a known key (known: {', '.join(sorted(_KNOWN))})")
    url = _url(raw.get("url"), fail)
    secret = _anchored(secret_ref(raw.get("secret"), "secret", fail, required=True), path)
    types = _names(raw.get("types"), "types", fail, allowed=EVENT_TYPES)
    partners = _names(raw.get("partners"), "partners", fail)
    attempts = _whole(raw.get("max_attempts", 10), "max_attempts", 1, 1000, fail)
    timeout = _whole(raw.get("timeout_seconds", 10), "timeout_seconds", 1, 300, fail)
    if problems:
        raise ConfigError(str(path), problems[0].split(":")[0],
                          "; ".join(problems) if len(problems) > 1 else
                          problems[0].split(": ", 1)[1])
    assert secret is not None  # else a problem was found above
    return Subscription(path.stem, url, secret, types, partners, attempts, float(timeout))


def _url(value: Any, fail: Any) -> str:
    text = str(value or "")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        fail("url", f"is {text!r}; write an http(s) URL")
    elif parts.password is not None or parts.username is not None:
        fail("url", "holds credentials; the signature (secret) is what proves us")
    return text


def _anchored(secret: SecretRef | None, path: Path) -> SecretRef | None:
    """A relative secret file is read under the folder that holds the subscribers folder."""
    if secret is None or secret.file is None or secret.file.is_absolute():
        return secret
    return SecretRef(file=path.absolute().parent.parent / secret.file)


def _names(value: Any, key: str, fail: Any, *,
           allowed: tuple[str, ...] | None = None) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        fail(key, "must be a list of names")
        return frozenset()
    unknown = [v for v in value if allowed is not None and v not in allowed]
    if unknown:
        fail(key, f"{unknown[0]!r} is not an event type (known: {', '.join(allowed or ())})")
    return frozenset(value)


def _whole(value: Any, key: str, low: int, high: int, fail: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        fail(key, f"is {value!r}; write a whole number from {low} to {high}")
        return low
    return value
