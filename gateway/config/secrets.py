"""Where a configuration file says a secret is: ``{env: NAME}`` or ``{file: path}``, never the
secret itself (partner files' SFTP keys, subscriber files' signing secrets)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway.app.partners import SecretRef

_KEY_MATERIAL = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|^(ssh|ecdsa)-[a-z0-9-]+ AAAA")


def secret_ref(value: Any, key: str, fail: Callable[[str, str], None], *,
               required: bool) -> SecretRef | None:
    """``value`` (what the file holds under ``key``) as a `SecretRef`; None, with ``fail``
    told why, when it is not one (or is absent and not ``required``)."""
    if value is None:
        if required:
            fail(key, "is missing: write {env: VARIABLE} or {file: path}")
        return None
    if isinstance(value, str):
        fail(key, "holds a secret itself" if _KEY_MATERIAL.search(value) else
             "must be {env: VARIABLE} or {file: path}, never the secret itself")
        return None
    if not isinstance(value, dict) or set(value) not in ({"env"}, {"file"}) \
            or not str(next(iter(value.values()))).strip():
        fail(key, "must be {env: VARIABLE} or {file: path}")
        return None
    if "env" in value:
        return SecretRef(env=str(value["env"]).strip())
    return SecretRef(file=Path(str(value["file"])))
