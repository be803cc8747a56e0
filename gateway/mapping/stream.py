"""Mapping a huge ship notice one HL loop at a time, its JSON written to disk as it comes.

An 856 of 150,000 items is two million segments. Mapped whole (`translate_set`), its scopes
and its document take about 17 times the file in Python objects. For the stock 856 mapping
(a header read from the root segments, ``hierarchy: {each_loop: HL}`` nested by ``hl_tree``,
``shipment_summary`` lifting the shipment level), this maps each HL loop as soon as the next
one starts, types its node, writes the node's JSON into a temporary file, nested under its
parent by a stack, and lets the objects go. The header is mapped last, from the root
segments, which are few. The document's JSON is the header's with the spooled hierarchy and
unmapped segments spliced in: the very text ``json.dumps(to_json(document))`` gives for the
document mapped whole, and the same issues in the same order (`tests/mapping/
test_streamed_mapping.py` holds the two equal over every sample and corpus 856).

Nesting as the nodes come needs them parents first and depth first, as HL loops are sent in
practice. A set that is not (a child after its parent's subtree closed, a duplicate HL id, a
child before its parent) raises `NotStreamable`, and the caller maps it whole.
"""

from __future__ import annotations

import dataclasses
import heapq
import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from gateway.mapping.build import missing_message, model_fields, origin_of, typed_fields
from gateway.mapping.compiled import compile_fields, compile_item
from gateway.mapping.engine import REQUIRED_MISSING, Context, Issue
from gateway.mapping.scope import LoopSpec, Scope, Segment, place
from gateway.mapping.transforms import TRANSFORMS, child_rule, orphan_message, root_rule
from gateway.mapping.translate import (
    ENVELOPE_TAGS,
    MappingSpec,
    labelled_segments,
    unmapped_segment,
)
from gateway.model import ReturnShipment, ShipmentNode, Source
from gateway.model.canonical_json import to_json

STREAMED_FINISH = ("hl_tree", "shipment_summary")
LOOP = "HL"
_SET_BY_THE_RUN = frozenset({"hierarchy", "hierarchy_depth", "unmapped", "source"})
CHUNK_CHARS = 1 << 20  # characters of JSON read back from the spool at a time


class NodeWatch(Protocol):
    """What hears of the nodes a streamed ship notice keeps (for what is stored beside its
    JSON: keys, item identifiers, the item subtrees a case may need)."""

    def node(self, node: ShipmentNode, body: dict[str, Any]) -> None:
        """A node the document keeps, without its children; ``body`` is its JSON
        (``to_json(node)``, made once for the document and for what hears of it)."""

    def wants_subtree(self, node: ShipmentNode) -> bool:
        """Whether to hear this node's whole subtree as JSON when it closes (asked only of
        nodes outside every subtree already wanted: one holds the other)."""

    def subtree(self, text: str) -> None:
        """The JSON of a node `wants_subtree` asked for, with its children."""


class NotStreamable(Exception):
    """The set's hierarchy cannot be nested as it comes: map it whole."""


def streamable(spec: MappingSpec) -> bool:
    """Whether ``spec`` is the shape this module maps a loop at a time (module doc): its
    header reads only root segments, its HL items only their own loop."""
    hierarchy = spec.fields.get("hierarchy")
    if spec.target != "return-shipment" or spec.finish != STREAMED_FINISH \
            or LOOP not in spec.loops or not isinstance(hierarchy, Mapping) \
            or set(hierarchy) != {"each_loop", "fields"} or hierarchy["each_loop"] != LOOP \
            or not isinstance(hierarchy["fields"], Mapping):
        return False
    header = {name: rule for name, rule in spec.fields.items() if name != "hierarchy"}
    return (set(header) <= model_fields(ReturnShipment) - _SET_BY_THE_RUN
            and set(hierarchy["fields"]) <= model_fields(ShipmentNode) - {"children"}
            and not _reaches_out(header, ("each_loop", "deep"))
            and not _reaches_out(hierarchy["fields"], (), climbs=True))


def _reaches_out(rule: Any, keys: tuple[str, ...], *, climbs: bool = False) -> bool:
    """Whether a rule reads beyond where it is evaluated: nested loops (``keys``:
    ``each_loop``, ``deep``; the header's are let go as they close) or, with ``climbs``, the
    loops around it (a ``^`` path: an HL item sees only its own loop)."""
    if isinstance(rule, str):
        return climbs and "^" in rule
    if isinstance(rule, Mapping):
        return any(key in rule for key in keys) or any(
            _reaches_out(value, keys, climbs=climbs) for value in rule.values())
    if isinstance(rule, list):
        return any(_reaches_out(value, keys, climbs=climbs) for value in rule)
    return False


class SpooledJson:
    """A document's JSON text, partly on disk, until it is stored: ``chunks()`` reads it
    back a megabyte at a time."""

    def __init__(self, pieces: list[str | IO[str]]) -> None:
        self._pieces = pieces

    def chunks(self) -> Iterator[str]:
        for piece in self._pieces:
            if isinstance(piece, str):
                yield piece
                continue
            piece.seek(0)
            while chunk := piece.read(CHUNK_CHARS):
                yield chunk

    def text(self) -> str:
        return "".join(self.chunks())

    def close(self) -> None:
        for piece in self._pieces:
            if not isinstance(piece, str):
                piece.close()


def json_spool() -> IO[str]:
    """A temporary file for JSON text (ASCII: json.dumps escapes the rest); it outlives the
    call that opens it, and `SpooledJson.close` (or the run's own) closes it."""
    return tempfile.TemporaryFile("w+", encoding="ascii")


def _length(spool: IO[str]) -> int:
    spool.seek(0, 2)
    return spool.tell()  # ASCII (json.dumps escapes the rest): characters = bytes


@dataclass(slots=True)
class StreamedShipment:
    """A ship notice mapped a loop at a time: its header (the hierarchy is in the JSON only),
    its issues, and its canonical JSON. No header: a required field was not found."""

    header: ReturnShipment | None
    issues: tuple[Issue, ...]
    json: SpooledJson | None

    @property
    def ok(self) -> bool:
        return self.header is not None and not any(i.severity == "error" for i in self.issues)


def translate_set_streamed(spec: MappingSpec, segments: Iterable[list[str]], source: Source,
                           *, component_separator: str = ">", timezone: str = "UTC",
                           watch: NodeWatch | None = None) -> StreamedShipment:
    """`translate_set` for a set of `streamable` ``spec``, holding one HL loop at a time;
    ``watch`` hears of each node the document keeps, for what is stored beside the JSON."""
    run = _Run(spec, Context(spec.tables, TRANSFORMS, spec.name, source.partner,
                             component_separator, timezone), watch)
    try:
        run.read(segments)
        return run.finish(source)
    except BaseException:
        run.close()
        raise


@dataclass(slots=True)
class _Open:
    """A node of the hierarchy whose children may still come."""

    hl_id: str
    rule: str  # what it was typed under: fields.hierarchy[1].children[2]
    kept: bool  # typed and under kept parents: it is in the JSON
    missing: Issue | None  # its own "needs" issue, reported when it closes (as build does)
    subtree: list[str] | None = None  # its JSON as written, when its subtree is watched
    children: int = 0  # raw children so far (numbering their rules)
    written: int = 0  # children written into the JSON


@dataclass(slots=True)
class _Issues:
    """The issues of a streamed set, kept apart so they can be told in the order the whole
    mapping tells them: header rules, items, trailing rules, the tree, typing."""

    before: list[Issue] = field(default_factory=list)  # header rules before `hierarchy`
    items: list[Issue] = field(default_factory=list)
    after: list[Issue] = field(default_factory=list)  # header rules after it
    tree: list[Issue] = field(default_factory=list)
    header_typing: list[Issue] = field(default_factory=list)
    node_typing: list[Issue] = field(default_factory=list)
    last: list[Issue] = field(default_factory=list)

    def ordered(self) -> tuple[Issue, ...]:
        return (*self.before, *self.items, *self.after, *self.tree, *self.header_typing,
                *self.node_typing, *self.last)


class _Tree:
    """The hierarchy's JSON, nested by a stack as the nodes come (module doc)."""

    def __init__(self, ctx: Context, issues: _Issues, watch: NodeWatch | None) -> None:
        self.ctx, self.issues, self.watch = ctx, issues, watch
        self.out: IO[str] = json_spool()
        self.stack: list[_Open] = []
        self.seen: set[str] = set()
        self.orphans_of: set[str] = set()  # parents named before they came (if ever)
        self.roots = 0
        self.roots_written = 0
        self.depth = 0
        self.first_shipment: dict[str, Any] | None = None
        self.capturing: list[list[str]] = []  # the subtree being written (one at a time)

    def add(self, raw: dict[str, Any], flat_rule: str) -> None:
        hl_id, parent_id = raw.get("hl_id"), raw.get("parent_id")
        if not isinstance(hl_id, str) or hl_id in self.seen:
            raise NotStreamable(f"HL {hl_id!r} has no id or one already used")
        parent = self._parent(hl_id, parent_id, raw)
        self.seen.add(hl_id)
        if parent is None:
            self.roots += 1
            rule = root_rule(self.roots)
            if self.first_shipment is None and raw.get("level") == "shipment":
                self.first_shipment = raw
        else:
            parent.children += 1
            rule = child_rule(parent.rule, parent.children)
        self._rename_origins(flat_rule, rule)
        node, missing = self._typed(raw, rule)
        kept = node is not None and (parent is None or parent.kept)
        subtree = self._write(node, parent) if kept and node is not None else None
        self.stack.append(_Open(hl_id, rule, kept, missing, subtree))
        self.depth = max(self.depth, len(self.stack))

    def _parent(self, hl_id: str, parent_id: Any, raw: dict[str, Any]) -> _Open | None:
        """The open node ``raw`` nests under (the stack popped down to it), or None for a
        root; a parent seen but already closed is no depth-first order."""
        if parent_id is not None and parent_id != hl_id and parent_id in self.seen:
            while self.stack and self.stack[-1].hl_id != parent_id:
                self._close(self.stack.pop())
            if not self.stack:
                raise NotStreamable(f"HL {hl_id} comes after its parent {parent_id} closed")
            return self.stack[-1]
        while self.stack:
            self._close(self.stack.pop())
        if parent_id:
            self.ctx.issues = self.issues.tree
            self.ctx.issue(orphan_message(raw), "hierarchy", severity="warning")
            if parent_id != hl_id:
                self.orphans_of.add(str(parent_id))
        return None

    def _rename_origins(self, flat_rule: str, rule: str) -> None:
        """The node's values were noted under its flat rule; typing asks under the nested
        one (as `hl_tree` renames them for the whole mapping)."""
        origins = self.ctx.origins
        self.ctx.origins = {rule + key[len(flat_rule):]: segment
                            for key, segment in origins.items()
                            if key == flat_rule or key.startswith(flat_rule + ".")}

    def _typed(self, raw: dict[str, Any], rule: str) -> tuple[ShipmentNode | None, Issue | None]:
        ctx = self.ctx
        ctx.issues = self.issues.node_typing
        values, missing = typed_fields(ShipmentNode, raw, ctx, rule,
                                       leave_out=frozenset({"children"}))
        if not missing:
            return ShipmentNode(**values), None
        where = origin_of(ctx, rule, {**raw, "children": []})
        return None, Issue(missing_message(ShipmentNode, missing), rule, ctx.mapping,
                           ctx.partner, where.position if where else None,
                           where.tag if where else None, code=REQUIRED_MISSING)

    def _write(self, node: ShipmentNode, parent: _Open | None) -> list[str] | None:
        """Write ``node`` (left open for its children); the text of its subtree as it is
        written, when it is watched."""
        if parent is None:
            self._put(", " if self.roots_written else "")
            self.roots_written += 1
        else:
            self._put(', "children": [' if not parent.written else ", ")
            parent.written += 1
        subtree: list[str] | None = None
        body = to_json(node)
        if self.watch is not None:
            self.watch.node(node, body)
            if not self.capturing and self.watch.wants_subtree(node):
                subtree = []
                self.capturing.append(subtree)
        self._put(json.dumps(body)[:-1])  # closed with its children
        return subtree

    def _put(self, text: str) -> None:
        self.out.write(text)
        for subtree in self.capturing:
            subtree.append(text)

    def _close(self, node: _Open) -> None:
        if node.kept:
            self._put("]}" if node.written else "}")
        if node.subtree is not None and self.watch is not None:
            self.capturing.pop()  # the innermost: watched nodes close before their parents
            self.watch.subtree("".join(node.subtree))
        if node.missing is not None:
            self.issues.node_typing.append(node.missing)

    def close_all(self) -> None:
        while self.stack:
            self._close(self.stack.pop())
        if self.orphans_of & self.seen:
            raise NotStreamable("an HL names a parent that comes after it")


class _Run:
    """One streamed set: its loops as they close, then its header."""

    def __init__(self, spec: MappingSpec, ctx: Context, watch: NodeWatch | None) -> None:
        self.spec, self.ctx = spec, ctx
        self.issues = _Issues()
        self.tree = _Tree(ctx, self.issues, watch)
        self.unmapped: IO[str] = json_spool()
        self.root = Scope(LoopSpec.root(spec.loops), 1)
        self.items = 0
        self.item = compile_item(spec.fields["hierarchy"])

    def read(self, segments: Iterable[list[str]]) -> None:
        current, open_loop = self.root, None
        for position, elements in enumerate(segments, start=1):
            segment = Segment(position, tuple(elements))
            if segment.tag in ENVELOPE_TAGS:
                continue
            current = place(current, segment)
            loop = _root_loop(current)
            if loop is not open_loop:
                if open_loop is not None:
                    self._loop_done(open_loop)
                open_loop = loop
        if open_loop is not None:
            self._loop_done(open_loop)

    def _loop_done(self, loop: Scope) -> None:
        """A root-level loop closed: its node mapped, typed and written; its segments that
        no rule read spooled as unmapped; the loop let go."""
        ctx = self.ctx
        ctx.claimed, ctx.origins = set(), {}
        if loop.spec.name == LOOP:
            self.items += 1
            flat_rule = root_rule(self.items)
            ctx.issues = self.issues.items
            raw = self.item(loop, None, ctx, flat_rule)
            self.tree.add(raw, flat_rule)
        for segment, label in labelled_segments(loop):
            if segment.position not in ctx.claimed:
                self.unmapped.write(f"{segment.position}\t"
                                    f"{json.dumps(to_json(unmapped_segment(segment, label)))}\n")
        self.root.release_children()

    def finish(self, source: Source) -> StreamedShipment:
        self.tree.close_all()
        raw = self._header()
        header = self._typed_header(raw, source)
        if header is None:
            self.close()
            return StreamedShipment(None, self.issues.ordered(), None)
        return StreamedShipment(header, self.issues.ordered(), self._json(header))

    def _header(self) -> dict[str, Any]:
        """The header's rules over the root segments, in the mapping's order around its
        hierarchy, then the shipment level lifted (``shipment_summary``)."""
        ctx, names = self.ctx, list(self.spec.fields)
        at = names.index("hierarchy")
        ctx.claimed, ctx.origins = set(), {}
        raw: dict[str, Any] = {}
        for part, issues in ((names[:at], self.issues.before), (names[at + 1:],
                                                                 self.issues.after)):
            ctx.issues = issues
            rules = compile_fields({n: self.spec.fields[n] for n in part})
            raw.update(rules(self.root, None, ctx, "fields"))
        first = self.tree.first_shipment
        ctx.issues = self.issues.tree
        lifted: dict[str, Any] = TRANSFORMS["shipment_summary"](
            {**raw, "hierarchy": [first] if first is not None else []}, ctx)
        lifted.pop("hierarchy", None)
        return lifted

    def _typed_header(self, raw: dict[str, Any], source: Source) -> ReturnShipment | None:
        ctx = self.ctx
        ctx.issues = self.issues.header_typing
        values, missing = typed_fields(ReturnShipment, raw, ctx, "fields",
                                       leave_out=_SET_BY_THE_RUN)
        if missing:
            ctx.issues = self.issues.last
            ctx.issue(missing_message(ReturnShipment, missing), "fields", code=REQUIRED_MISSING)
            return None
        return ReturnShipment(**values, hierarchy_depth=self.tree.depth, source=source)

    def _json(self, header: ReturnShipment) -> SpooledJson:
        """The header's JSON with the hierarchy and the unmapped segments spliced in where
        `to_json` puts them (the model's field order)."""
        head = to_json(header)
        pieces: list[str | IO[str]] = ["{"]
        for name in _FIELD_ORDER:
            if name in ("hierarchy", "unmapped"):
                value = self._spliced(name)
            else:
                value = [json.dumps(head[name])] if name in head else None
            if value is None:
                continue
            pieces.extend([", " if len(pieces) > 1 else "", f"{json.dumps(name)}: ", *value])
        pieces.append("}")
        return SpooledJson(pieces)

    def _spliced(self, name: str) -> list[str | IO[str]] | None:
        if name == "hierarchy" and self.tree.roots_written:
            return ["[", self.tree.out, "]"]
        if name == "unmapped":
            merged = self._merged_unmapped()
            return ["[", merged, "]"] if merged is not None else None
        return None

    def _merged_unmapped(self) -> IO[str] | None:
        """The loops' unmapped segments (spooled in order) and the root's (which the header
        left), merged by position."""
        root = [(s.position, json.dumps(to_json(unmapped_segment(s, "ST"))))
                for s in self.root.segments if s.position not in self.ctx.claimed]
        self.unmapped.seek(0)
        spooled = ((int(line.split("\t", 1)[0]), line.split("\t", 1)[1].rstrip("\n"))
                   for line in self.unmapped)
        out = json_spool()
        first = True
        for _position, text in heapq.merge(root, spooled, key=lambda pair: pair[0]):
            out.write(text if first else ", " + text)
            first = False
        self.unmapped.close()
        if first:
            out.close()
            return None
        return out

    def close(self) -> None:
        self.tree.out.close()
        self.unmapped.close()


_FIELD_ORDER = tuple(f.name for f in dataclasses.fields(ReturnShipment))  # to_json's order


def _root_loop(scope: Scope) -> Scope | None:
    """The root-level loop ``scope`` is in (itself, at the top); None at the root."""
    if scope.parent is None:
        return None
    while scope.parent is not None and scope.parent.parent is not None:
        scope = scope.parent
    return scope
