"""The mappings folder an admin edits: stock mappings, partner overrides, golden examples.

```
mappings/
  180.yaml  856.yaml  214.yaml          stock mappings, one per transaction set
  examples/<name>.x12 + <name>.json     golden examples of the stock mappings
  partners/<partner>/<set>.yaml          what this partner does differently (merged over stock)
  partners/<partner>/examples/...        golden examples of that partner's mappings
```
A file that cannot be read or is wrong stops with a `ConfigError` naming the file and key.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from gateway.config.yaml_files import read_yaml_mapping
from gateway.errors import ConfigError
from gateway.mapping.translate import MappingSpec, MappingSpecError, merge

EXAMPLE_SUFFIXES = (".x12", ".edi", ".xml")


@dataclass(frozen=True, slots=True)
class Example:
    name: str
    partner: str | None
    input: Path
    expected: Path


class MappingCatalog:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def spec_for(self, set_id: str, partner: str | None = None) -> MappingSpec | None:
        """The stock mapping for ``set_id`` with ``partner``'s override merged in, if any."""
        stock_path = self.folder / f"{set_id}.yaml"
        if not stock_path.is_file():
            return None
        override_path = self._partner_folder(partner) / f"{set_id}.yaml" if partner else None
        if override_path is not None and not override_path.is_file():
            override_path = None
        versions = tuple((path, self._shown(path), path.stat().st_mtime_ns)
                         for path in (stock_path, override_path) if path is not None)
        return _spec(versions)

    def partners(self) -> list[str]:
        folder = self.folder / "partners"
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    def examples(self, partner: str | None) -> list[Example]:
        folder = (self._partner_folder(partner) if partner else self.folder) / "examples"
        if not folder.is_dir():
            return []
        return [Example(p.stem, partner, p, p.with_suffix(".json"))
                for p in sorted(folder.iterdir()) if p.suffix.lower() in EXAMPLE_SUFFIXES]

    def _partner_folder(self, partner: str | None) -> Path:
        if partner is None or "/" in partner or partner.startswith("."):
            raise ConfigError(str(self.folder / "partners"), "partner",
                              f"{partner!r} is not a partner id")
        return self.folder / "partners" / partner

    def _shown(self, path: Path) -> str:
        """How a mapping is named in documents and messages: from the mappings folder on
        (``mappings/partners/acme/180.yaml``), wherever the folder is installed."""
        return path.relative_to(self.folder.parent).as_posix()


@lru_cache(maxsize=256)
def _spec(versions: tuple[tuple[Path, str, int], ...]) -> MappingSpec:
    """The mapping made of these file versions (the stock one, then a partner's override),
    made once per version: the same object every set, so its rules are compiled once
    (`gateway.mapping.compiled`), and an edited file is read again at once."""
    raw, names = _read(versions[0][0]), [versions[0][1]]
    for path, shown, _modified in versions[1:]:
        raw = merge(raw, _read(path))
        names.append(shown)
    try:
        return MappingSpec.from_dict(" + ".join(names), raw)
    except MappingSpecError as exc:
        raise ConfigError(names[-1], "(mapping)", str(exc)) from exc


def _read(path: Path) -> dict[str, Any]:
    return dict(_cached_read(path, path.stat().st_mtime_ns))


@cache
def _cached_read(path: Path, modified: int) -> dict[str, Any]:
    return read_yaml_mapping(path)  # cached per file version: edits are seen at once
