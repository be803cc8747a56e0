"""Documents kept in parts: a ship notice too big to hold, stored and folded without holding it.

A set over `gateway.app.translate.STREAM_SET_CHARS` is mapped a loop at a time
(`gateway.mapping.stream`); what it becomes is never one object nor one string:

* its canonical JSON, spooled to disk as it is written, stored in parts of a megabyte
  (``document_parts``, stream ``json``) and read back in parts (`StoredDocument.json_chunks`);
* its item subtrees (each outermost 856 item node with the nodes under it, items nested in
  it included, as the document's JSON has them), one JSON line each (stream ``items``), for
  the recall holds of the cases it belongs to;
* its correlation keys and item identifiers, gathered node by node (the keys in memory: one
  per order or reference; the item identifiers spooled, millions of them);
* its **case digest**: what a return case folds instead of the document (`folded_shipment`):
  the header and one node (no item ids, no item level) holding every distinct reference a
  case correlates by (the nodes' purchase orders as PO references: the same keys) and every
  distinct date (the shipped moment). A case folds from it the same keys,
  names and facts as from the whole document; its shipped items are the item nodes that can
  be on recall hold (a product identifier a recall notice names), read from the item lines
  only when there is such a notice. So a case never holds 150,000 items, and a big ship
  notice's full item list is in the document itself (the API and exports read it in parts).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import IO, Any

from gateway.app.events import DocumentParts, DocumentRecord, body_reference
from gateway.app.items import item_keys
from gateway.app.ports import StoredDocument
from gateway.domain.correlation import REFERENCE_QUALIFIERS, normalize
from gateway.domain.recall_match import is_shipped_item, product_identity
from gateway.mapping.build import build
from gateway.mapping.engine import Context
from gateway.mapping.stream import SpooledJson, json_spool
from gateway.model import (
    CanonicalDocument,
    DatedEvent,
    HierarchyLevel,
    ItemId,
    ItemIdScheme,
    RecallNotice,
    Reference,
    ReturnShipment,
    ShipmentNode,
)
from gateway.model.canonical_json import to_json

KeysOf = Callable[[CanonicalDocument], Iterable[tuple[str, str]]]  # correlation keys
PO_QUALIFIER = "PO"  # REFERENCE_QUALIFIERS: X12 128 PO is a purchase order key


@dataclass(frozen=True, slots=True)
class PartedDocument:
    """A document on its way to the store in parts (module doc), spooled on disk."""

    json: SpooledJson
    items: SpooledJson  # item subtrees, one JSON line each
    item_keys: IO[str]  # [scheme, value] JSON lines, repeats and all
    case_digest: str

    def parts(self) -> DocumentParts:
        return DocumentParts(self.json.chunks(), self.items.chunks(),
                             _item_keys_of(self.item_keys), self.case_digest)

    def close(self) -> None:
        self.json.close()
        self.items.close()
        self.item_keys.close()


def _item_keys_of(spool: IO[str]) -> Iterator[tuple[str, str]]:
    spool.seek(0)
    for line in spool:
        scheme, value = json.loads(line)
        yield scheme, value


class PartsKeeper:
    """What a streamed ship notice leaves beside its JSON, gathered node by node
    (`gateway.mapping.stream.NodeWatch`)."""

    def __init__(self, keys_of: KeysOf) -> None:
        self.keys_of = keys_of
        self.keys: set[tuple[str, str]] = set()
        self.items = json_spool()
        self.item_keys = json_spool()
        # What the nodes say to a case, each once: the case digest's one node.
        self.references: dict[tuple[str, str], Reference] = {}
        self.dates: dict[DatedEvent, None] = {}

    def node(self, node: ShipmentNode, body: dict[str, Any]) -> None:
        self.keys.update(self.keys_of(ReturnShipment(shipment_id="", hierarchy=(node,))))
        for pair in item_keys(body):
            self.item_keys.write(json.dumps(pair) + "\n")  # a value may hold any character
        for reference in _case_references(node):
            self.references.setdefault((reference.qualifier, reference.value), reference)
        self.dates.update(dict.fromkeys(node.dates))

    def wants_subtree(self, node: ShipmentNode) -> bool:
        return is_shipped_item(node)

    def subtree(self, text: str) -> None:
        self.items.write(text + "\n")  # json.dumps escapes line breaks: one line each

    def record(self, header: ReturnShipment, json_text: SpooledJson) -> DocumentRecord:
        """The document in the form the store keeps it in parts: its kind, reference, keys,
        item identifiers (the header's here, the nodes' spooled) and parts."""
        body = to_json(header)
        said = ShipmentNode("", HierarchyLevel.OTHER, "", references=tuple(
            self.references.values()), dates=tuple(self.dates))
        digest = replace(header, hierarchy=(said,) if said.references or said.dates else ())
        parted = PartedDocument(json_text, SpooledJson([self.items]), self.item_keys,
                                json.dumps(to_json(digest)))
        return DocumentRecord(str(body["kind"]), body_reference(body), "",
                              tuple(sorted(self.keys | set(self.keys_of(header)))),
                              tuple(sorted(item_keys(body))), parted)

    def close(self) -> None:
        self.items.close()
        self.item_keys.close()


def _case_references(node: ShipmentNode) -> Iterator[Reference]:
    """The references of a node a case correlates by (`REFERENCE_QUALIFIERS`), its purchase
    order as one of them (a PO reference is the same key as PRF01)."""
    if node.purchase_order:
        yield Reference(PO_QUALIFIER, node.purchase_order)
    for reference in node.references:
        if normalize(reference.qualifier) in REFERENCE_QUALIFIERS:
            yield reference


def folded_shipment(stored: StoredDocument, recalled: frozenset[str]) -> ReturnShipment | None:
    """A document kept in parts as a case folds it (module doc): its digest, with the item
    nodes whose product a recall notice names (``recalled``: `product_identity` values)."""
    if stored.case_digest is None:
        return None
    body = json.loads(stored.case_digest)
    if recalled:
        held = [item for item in _item_subtrees(stored) if _names_a_recalled(item, recalled)]
        body["hierarchy"] = [*body.get("hierarchy", []), *held]
    body.pop("kind", None)
    context = Context({}, {}, f"stored document #{stored.id}")
    document = build(ReturnShipment, body, context)
    return None if context.issues else document


def _item_subtrees(stored: StoredDocument) -> Iterator[dict[str, object]]:
    for line in stored.item_lines():
        yield json.loads(line)


def _names_a_recalled(subtree: dict[str, object], recalled: frozenset[str]) -> bool:
    """Whether an item subtree (the item or an item nested in it) carries a product id a
    recall notice names."""
    pending: list[object] = [subtree]
    while pending:
        node = pending.pop()
        if not isinstance(node, dict):
            continue
        if any(identity in recalled for identity in _identities(node.get("item_ids"))):
            return True
        children = node.get("children")
        pending.extend(children if isinstance(children, list) else ())
    return False


def _identities(entries: object) -> Iterator[str]:
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), str):
            continue
        try:
            scheme = ItemIdScheme(str(entry.get("scheme")))
        except ValueError:
            continue
        identity = product_identity(ItemId(scheme, entry["value"]))
        if identity is not None:
            yield identity


def recalled_products(notices: Iterable[RecallNotice]) -> frozenset[str]:
    """The product identities ``notices`` name: what can put a shipped item on hold."""
    return frozenset(identity for notice in notices for product in notice.products
                     for item_id in product.item_ids
                     if (identity := product_identity(item_id)) is not None)
