"""The item identifiers a canonical document carries, as ``document_items`` indexes them.

What is indexed
    Every ``item_ids`` entry as (scheme, value); every ``serials`` entry as ("serial", value);
    every ``lots`` entry as ("lot", value). They sit on 180 lines, on 856 hierarchy nodes at any
    depth and on a recall notice's affected products (``schemas/canonical-1.0.json``), so the
    body's JSON is walked whole rather than by document kind: a field in a new place is indexed
    without a change here, and the migration that indexed the documents stored before this
    existed repeats the same walk on the stored JSON, without the typed model.

One product, whatever its spelling
    A UPC-A (12 digits), an EAN-13, a GTIN-8 and a GTIN-14 are the same number space: the
    GTIN-14 is the shorter code with leading zeros. A ``gtin``, ``upc`` or ``ean`` value made of
    8, 12, 13 or 14 digits is therefore also indexed as ("gtin", its GTIN-14), and a search by
    GTIN asks for that form (`gtin14`), so "012345678905" finds "00012345678905" and back.

Normalisation
    As correlation keys are (`gateway.domain.correlation.normalize`): surrounding whitespace
    removed, upper case; then cut to the column's 80 characters. An empty value is no item.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gateway.domain.correlation import normalize

VALUE_MAX = 80  # document_items.value
SCHEME_MAX = 32  # document_items.scheme
GTIN_SCHEMES = frozenset({"gtin", "upc", "ean"})
GTIN_LENGTHS = frozenset({8, 12, 13, 14})  # GTIN-8, UPC-A (GTIN-12), EAN-13, GTIN-14
SERIAL, LOT, GTIN = "serial", "lot", "gtin"


def item_value(raw: str) -> str:
    """The comparable, storable form of an item value ("" when there is none)."""
    return normalize(raw)[:VALUE_MAX]


def gtin14(raw: str) -> str | None:
    """The GTIN-14 a GTIN-8/12/13/14 stands for; None for anything else (letters, another
    length, digits ``int`` would read but a scanner would not, such as '¹')."""
    value = item_value(raw)
    if value.isascii() and value.isdigit() and len(value) in GTIN_LENGTHS:
        return value.zfill(14)
    return None


def item_keys(body: Mapping[str, Any]) -> set[tuple[str, str]]:
    """Every (scheme, value) a canonical document's JSON carries (module doc)."""
    found: set[tuple[str, str]] = set()
    for node in _objects(body):
        found.update(_item_id_keys(node.get("item_ids")))
        found.update(_listed(SERIAL, node.get("serials")))
        found.update(_listed(LOT, node.get("lots")))
    return found


def _objects(body: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every JSON object in ``body``, itself included (a stack, not recursion: an 856's
    hierarchy may be deep). Inside ``body`` only what JSON holds is walked (dicts and lists,
    as `to_json` and `json.loads` make them): testing each of a big document's hundreds of
    thousands of values against the abstract Mapping cost more than the walk itself."""
    yield body
    pending: list[Any] = [value for value in body.values() if isinstance(value, dict | list)]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            yield value
            pending.extend(v for v in value.values() if isinstance(v, dict | list))
        else:
            pending.extend(v for v in value if isinstance(v, dict | list))


def _item_id_keys(entries: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(entries, list):
        return
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        scheme, raw = entry.get("scheme"), entry.get("value")
        if not isinstance(scheme, str) or not isinstance(raw, str):
            continue
        scheme, value = scheme.strip().lower()[:SCHEME_MAX], item_value(raw)
        if not scheme or not value:
            continue
        yield scheme, value
        if scheme in GTIN_SCHEMES and (as_gtin := gtin14(value)) is not None:
            yield GTIN, as_gtin


def _listed(scheme: str, entries: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(entries, list):
        return
    for raw in entries:
        if isinstance(raw, str) and (value := item_value(raw)):
            yield scheme, value
