"""One transaction set through one mapping into one canonical document."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from gateway.mapping.build import build
from gateway.mapping.compiled import fields_evaluator
from gateway.mapping.engine import Context, Issue
from gateway.mapping.scope import Scope, Segment, build_scopes
from gateway.mapping.transforms import TRANSFORMS
from gateway.model import (
    CanonicalDocument,
    ReceivingAdvice,
    ReturnAuthorization,
    ReturnShipment,
    ShipmentStatusReport,
    Source,
    UnmappedSegment,
)

TARGETS: dict[str, type[Any]] = {
    "return-authorization": ReturnAuthorization,
    "return-shipment": ReturnShipment,
    "shipment-status": ShipmentStatusReport,
    "receiving-advice": ReceivingAdvice,
}
_TOP_KEYS = {"transaction_set", "target", "description", "loops", "tables", "fields", "finish"}
ENVELOPE_TAGS = ("ST", "SE")


class MappingSpecError(ValueError):
    """A mapping file is wrong in itself (not in the data it reads): names file and key."""


@dataclass(frozen=True, slots=True)
class MappingSpec:
    name: str  # the file(s) it came from, for messages: "mappings/180.yaml + partners/acme"
    transaction_set: str
    target: str
    loops: Mapping[str, Any]
    tables: Mapping[str, Mapping[str, str]]
    fields: Mapping[str, Any]
    finish: tuple[str, ...] = ()  # transforms run, in order, on the whole result

    @classmethod
    def from_dict(cls, name: str, raw: Mapping[str, Any]) -> MappingSpec:
        unknown = set(raw) - _TOP_KEYS
        if unknown:
            raise MappingSpecError(f"{name}: {sorted(unknown)[0]}: not a mapping key "
                                   f"(known: {', '.join(sorted(_TOP_KEYS))})")
        for key in ("transaction_set", "target", "fields"):
            if key not in raw:
                raise MappingSpecError(f"{name}: {key}: missing")
        if raw["target"] not in TARGETS:
            raise MappingSpecError(f"{name}: target: {raw['target']!r} is not one of "
                                   f"{', '.join(TARGETS)}")
        finish = raw.get("finish") or ()
        finish = (finish,) if isinstance(finish, str) else tuple(finish)
        for step in finish:
            if step not in TRANSFORMS:
                raise MappingSpecError(f"{name}: finish: transform {step!r} is not registered")
        tables = {table: {str(k): str(v) for k, v in (codes or {}).items()}
                  for table, codes in (raw.get("tables") or {}).items()}
        return cls(name, str(raw["transaction_set"]), str(raw["target"]),
                   raw.get("loops") or {}, tables, raw["fields"], finish)


def merge(stock: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """A partner override changes only what it names: mappings merge key by key, deeply;
    any other value replaces; ``null`` removes the key."""
    merged = dict(stock)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True, slots=True)
class Translation:
    document: CanonicalDocument | None
    issues: tuple[Issue, ...]
    # The document was made and handed on in its stored form (ingest keeps the JSON, not the
    # objects): ``document`` is None, yet the set did map.
    handed_on: bool = False

    @property
    def ok(self) -> bool:
        made = self.document is not None or self.handed_on
        return made and not any(i.severity == "error" for i in self.issues)


def translate_set(spec: MappingSpec, segments: Iterable[list[str]], source: Source, *,
                  component_separator: str = ">", timezone: str = "UTC") -> Translation:
    """Map one transaction set (its segments ST..SE as element lists) to a canonical document."""
    with collecting_less():
        return _translate_set(spec, segments, source, component_separator=component_separator,
                              timezone=timezone)


# While a set is mapped whole it makes hundreds of thousands of small dicts, lists and
# objects that all live until the set is done, and the cyclic collector, run every 700 of
# them, walks the growing heap again and again to free nothing: a fifth of a 1 MB 214's
# mapping. Collections are made rarer meanwhile (not stopped: a set is bounded by
# limits.whole_set_size, and the thresholds come back when the last mapping in any thread
# ends).
_FEWER_COLLECTIONS = (50_000, 20, 20)
_mappings_running = 0
_collector_lock = threading.Lock()
_usual_thresholds: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def collecting_less() -> Iterator[None]:
    global _mappings_running, _usual_thresholds  # noqa: PLW0603 (one collector per process)
    with _collector_lock:
        if _mappings_running == 0:
            _usual_thresholds = gc.get_threshold()
            gc.set_threshold(*_FEWER_COLLECTIONS)
        _mappings_running += 1
    try:
        yield
    finally:
        with _collector_lock:
            _mappings_running -= 1
            if _mappings_running == 0:
                gc.set_threshold(*_usual_thresholds)


def _translate_set(spec: MappingSpec, segments: Iterable[list[str]], source: Source, *,
                   component_separator: str, timezone: str) -> Translation:
    numbered = [Segment(n, tuple(s)) for n, s in enumerate(segments, start=1)]
    body = [s for s in numbered if s.tag not in ENVELOPE_TAGS]
    root = build_scopes(body, spec.loops)
    ctx = Context(spec.tables, TRANSFORMS, spec.name, source.partner, component_separator,
                  timezone)
    raw = fields_evaluator(spec.fields)(root, None, ctx, "fields")
    for step in spec.finish:
        raw = TRANSFORMS[step](raw, ctx)
    raw["unmapped"] = [unmapped_segment(s, label) for s, label in labelled_segments(root)
                       if s.position not in ctx.claimed]
    raw["source"] = source
    document = build(TARGETS[spec.target], raw, ctx)
    return Translation(document, tuple(ctx.issues))


def labelled_segments(scope: Scope) -> list[tuple[Segment, str]]:
    """Every segment of ``scope`` and its loops, in order, with the loop it is in."""
    found = [(s, scope.label) for s in scope.segments]
    for child in scope.children:
        found.extend(labelled_segments(child))
    return sorted(found, key=lambda pair: pair[0].position)


def unmapped_segment(segment: Segment, label: str) -> UnmappedSegment:
    return UnmappedSegment(segment.position, segment.tag, segment.elements[1:], label)
