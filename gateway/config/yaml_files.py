"""Reading an admin's YAML file: one place that turns every way it can fail into a ConfigError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gateway.errors import ConfigError


def read_yaml_mapping(path: Path, *, empty_ok: bool = False) -> dict[str, Any]:
    """The mapping at the top of ``path``; names the file and what is wrong when it is not."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(str(path), "(file)", f"cannot be read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), "(file)", f"is not valid YAML: {exc}") from exc
    if raw is None and empty_ok:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(str(path), "(top level)", "must be a mapping of keys")
    return raw
