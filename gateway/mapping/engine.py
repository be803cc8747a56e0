"""Evaluating a mapping's rules over the scopes of one transaction set.

A rule is one of (see mappings/README.md for the admin's view):

* ``"N9[01=RZ]/02"``: the first value that path finds in the scope;
* ``{path: ..., table: ..., default: ..., required: true}``: the same with a code table;
* ``{paths: [N3/01, N3/02]}``: every value found, as a list;
* ``{value: constant}``;
* ``{each: "L11", fields: {...}}`` or ``{each: "N9[01=SN]", read: "02", deep: true}``: one item
  per segment (``deep`` also searches nested loops);
* ``{each_loop: "LX/AT7", fields: {...}}``: one item per loop instance;
* ``{fields: {...}}``: a nested object read from the same scope;
* ``{pairs: "LIN/02", table: ..., only: [..] | except: [..], read: value}``: qualifier / value
  pairs from element 02 on (LIN, BLI, PO1 carry many), empty slots kept in step;
* ``{transform: name, args: {...}}``: a registered Python function (the escape hatch).

Results are plain dicts, lists and strings; `gateway.mapping.build` types them into the model.
Every segment a rule reads is *claimed*; the rest is kept as unmapped, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.mapping.path import Path, PathError, parse_path
from gateway.mapping.scope import Scope, Segment

Transform = Callable[[dict[str, Any], "Context"], Any]
RULE_KEYS = {"path", "paths", "value", "table", "default", "required", "each", "each_loop",
              "read", "deep", "fields", "transform", "args", "pairs", "only", "except"}

# What kind of problem an issue is: the code of the finding it becomes on the file.
REQUIRED_MISSING = "mapping.required-missing"  # a required value or model field not found
TRANSFORM_FAILED = "mapping.transform-failed"  # a transform refused its arguments
VALUE_UNUSABLE = "mapping.value-unusable"  # a value the model cannot take (a date, a number)
RULE_INVALID = "mapping.rule-invalid"  # the mapping itself is wrong (a key, a path, a table)
CODE_UNKNOWN = "mapping.code-unknown"  # a code outside the table (a warning)


@dataclass(frozen=True, slots=True)
class Issue:
    """A mapping problem, located: which partner, mapping, rule and X12 segment."""

    message: str
    rule: str
    mapping: str
    partner: str | None = None
    position: int | None = None
    tag: str | None = None
    severity: str = "error"
    code: str = RULE_INVALID

    def __str__(self) -> str:
        where = f" at segment {self.position} ({self.tag})" if self.position else ""
        who = f"partner {self.partner}, " if self.partner else ""
        return f"{who}mapping {self.mapping}, rule {self.rule}{where}: {self.message}"


@dataclass(slots=True)
class Context:
    tables: Mapping[str, Mapping[str, str]]
    transforms: Mapping[str, Transform]
    mapping: str
    partner: str | None = None
    component_separator: str = ">"
    timezone: str = "UTC"  # the partner's zone for times sent without one
    claimed: set[int] = field(default_factory=set)
    issues: list[Issue] = field(default_factory=list)
    # The segment each rule's value was read from, so typing it into the model later can
    # still say where a value it refuses came from.
    origins: dict[str, Segment] = field(default_factory=dict)

    def issue(self, message: str, rule: str, segment: Segment | None = None,
              severity: str = "error", code: str = RULE_INVALID) -> None:
        self.issues.append(Issue(message, rule, self.mapping, self.partner,
                                 segment.position if segment else None,
                                 segment.tag if segment else None, severity, code))


def evaluate_fields(fields: Mapping[str, Any], scope: Scope, item: Segment | None,
                    ctx: Context, rule: str) -> dict[str, Any]:
    """Every field of ``fields``; a field whose rule finds nothing is left out."""
    result = {}
    for name, spec in fields.items():
        value = evaluate(spec, scope, item, ctx, f"{rule}.{name}")
        if value not in (None, "", [], {}):
            result[name] = value
    return result


def evaluate(spec: Any, scope: Scope, item: Segment | None, ctx: Context, rule: str) -> Any:
    try:
        if isinstance(spec, str | int):
            value, source = _read_at(parse_path(str(spec)), scope, item, ctx)
            if source is not None:
                ctx.origins[rule] = source
            return value
        if not isinstance(spec, Mapping):
            ctx.issue(f"a rule must be a path or a mapping, not {type(spec).__name__}", rule)
            return None
        unknown = set(spec) - RULE_KEYS
        if unknown:
            ctx.issue(f"unknown rule key {sorted(unknown)[0]!r} (known: "
                      f"{', '.join(sorted(RULE_KEYS))})", rule)
            return None
        return _evaluate_mapping(spec, scope, item, ctx, rule)
    except PathError as exc:
        ctx.issue(str(exc), rule)
        return None


def rule_keys_known(spec: Mapping[str, Any]) -> bool:
    """Whether every key of a rule is one the engine knows."""
    return not set(spec) - RULE_KEYS


def _evaluate_mapping(spec: Mapping[str, Any], scope: Scope, item: Segment | None,
                      ctx: Context, rule: str) -> Any:
    if "each_loop" in spec:
        names = str(spec["each_loop"]).split("/")
        return [_item_value(spec, loop, None, ctx, f"{rule}[{n}]")
                for n, loop in enumerate(loops_along(scope, names), start=1)]
    if "each" in spec:
        path = parse_path(str(spec["each"]))
        found = deep_segments(path, scope) if spec.get("deep") else path.segments(scope)
        return [_item_value(spec, scope, segment, ctx, f"{rule}[{n}]")
                for n, segment in enumerate(_claim(found, ctx), start=1)]
    if "pairs" in spec:
        return _pairs(spec, scope, item, ctx, rule)
    if "transform" in spec:
        return _transform(spec, scope, item, ctx, rule)
    if "fields" in spec:
        return evaluate_fields(spec["fields"], scope, item, ctx, rule) or None
    return _scalar(spec, scope, item, ctx, rule)


def evaluate_item(spec: Mapping[str, Any], scope: Scope, ctx: Context, rule: str) -> Any:
    """One item of an ``each_loop`` rule, read from one loop instance (``scope``)."""
    return _item_value(spec, scope, None, ctx, rule)


def _item_value(spec: Mapping[str, Any], scope: Scope, segment: Segment | None, ctx: Context,
                rule: str) -> Any:
    if "fields" in spec:
        return evaluate_fields(spec["fields"], scope, segment, ctx, rule)
    if "read" in spec:
        return _scalar({**spec, "path": spec["read"]}, scope, segment, ctx, rule)
    return evaluate({k: v for k, v in spec.items() if k not in ("each", "each_loop", "deep")},
                    scope, segment, ctx, rule)


def _scalar(spec: Mapping[str, Any], scope: Scope, item: Segment | None, ctx: Context,
            rule: str) -> Any:
    if "paths" in spec:
        values = [_read(parse_path(str(p)), scope, item, ctx) for p in spec["paths"]]
        return [v for v in values if v]
    value, where = spec.get("value"), item
    if "path" in spec:
        found, source = _read_at(parse_path(str(spec["path"])), scope, item, ctx)
        value, where = found or None, source or item
    if where is not None:
        ctx.origins[rule] = where
    if value is None:
        value = spec.get("default")
    if value is None and spec.get("required"):
        read_at = f" ({spec['path']})" if "path" in spec else ""
        ctx.issue(f"required value {field_words(rule)}{read_at} not found", rule,
                  item or first_segment(scope), code=REQUIRED_MISSING)
    if value is not None and "table" in spec:
        value = look_up(str(value), str(spec["table"]), ctx, rule, where)
    return value


def field_words(rule: str) -> str:
    """The field a rule fills, in words a partner can follow: ``fields.rma_number`` ->
    ``rma number``."""
    return rule.rsplit(".", 1)[-1].split("[", 1)[0].replace("_", " ")


def look_up(code: str, table_name: str, ctx: Context, rule: str,
            item: Segment | None) -> str | None:
    """``code`` in the mapping's table ``table_name`` (its ``*`` entry for any other code)."""
    table = ctx.tables.get(table_name)
    if table is None:
        ctx.issue(f"code table {table_name!r} is not defined", rule)
        return None
    if code in table:
        return table[code]
    fallback = table.get("*")
    if fallback is None:
        ctx.issue(f"code {code!r} is not in table {table_name!r}", rule, item,
                  severity="warning", code=CODE_UNKNOWN)
    return fallback


def _pairs(spec: Mapping[str, Any], scope: Scope, item: Segment | None, ctx: Context,
           rule: str) -> list[Any]:
    path = parse_path(str(spec["pairs"]))
    segments = [item] if path.tag is None and item else _claim(path.segments(scope), ctx)
    return pairs_in(segments, ctx, rule, PairsRule.of(spec, path))


@dataclass(frozen=True, slots=True)
class PairsRule:
    """What a ``pairs`` rule reads: from which element, which qualifiers, through which table,
    and whether only the values."""

    start: int
    only: frozenset[Any]
    excluded: frozenset[Any]
    table: str | None
    values_only: bool

    @classmethod
    def of(cls, spec: Mapping[str, Any], path: Path) -> PairsRule:
        return cls(path.element or 1, frozenset(spec.get("only") or ()),
                   frozenset(spec.get("except") or ()),
                   str(spec["table"]) if "table" in spec else None,
                   spec.get("read") == "value")


def pairs_in(segments: list[Segment], ctx: Context, rule: str, pairs: PairsRule) -> list[Any]:
    """The qualifier / value pairs of ``segments`` a pairs rule keeps (empty slots skipped),
    each qualifier looked up in its table, as pairs or as values alone."""
    found: list[Any] = []
    for segment in segments:
        elements = segment.elements
        for at in range(pairs.start, len(elements) - 1, 2):
            qualifier, value = elements[at], elements[at + 1]
            if not value or (pairs.only and qualifier not in pairs.only) \
                    or qualifier in pairs.excluded:
                continue
            pair: dict[str, str | None] = {"qualifier": qualifier, "value": value}
            if pairs.table is not None:
                pair["scheme"] = look_up(qualifier, pairs.table, ctx, rule, segment)
            found.append(value if pairs.values_only else pair)
    return found


def _transform(spec: Mapping[str, Any], scope: Scope, item: Segment | None, ctx: Context,
               rule: str) -> Any:
    function = ctx.transforms.get(str(spec["transform"]))
    if function is None:
        ctx.issue(f"transform {spec['transform']!r} is not registered (known: "
                  f"{', '.join(sorted(ctx.transforms))})", rule)
        return None
    args = {name: evaluate(arg, scope, item, ctx, f"{rule}.args.{name}")
            for name, arg in (spec.get("args") or {}).items()}
    try:
        return function(args, ctx)
    except ValueError as exc:
        ctx.issue(f"transform {spec['transform']}: {exc}", rule, item or first_segment(scope),
                  code=TRANSFORM_FAILED)
        return None


def _read(path: Path, scope: Scope, item: Segment | None, ctx: Context) -> str:
    return _read_at(path, scope, item, ctx)[0]


def _read_at(path: Path, scope: Scope, item: Segment | None,
             ctx: Context) -> tuple[str, Segment | None]:
    """The first value ``path`` finds, and the segment it came from (for locating issues)."""
    if path.tag is None:
        if item is None:
            raise PathError(f"{path.text!r} names an element but no segment is being read: "
                            "use TAG/NN outside an 'each' rule")
        return path.value_in(item, ctx.component_separator), item
    for segment in _claim(path.segments(scope), ctx):
        value = path.value_in(segment, ctx.component_separator) if path.element else ""
        if value or path.element is None:
            return value, segment
    return "", None


def _claim(segments: list[Segment], ctx: Context) -> list[Segment]:
    ctx.claimed.update(s.position for s in segments)
    return segments


def loops_along(scope: Scope, names: list[str]) -> Iterator[Scope]:
    """Loop instances along ``LX/AT7`` (``names``: LX, AT7): every AT7 loop inside every LX
    loop of ``scope``."""
    levels = [scope]
    for name in names:
        levels = [child for level in levels for child in level.loops(name)]
    yield from levels


def deep_segments(path: Path, scope: Scope) -> list[Segment]:
    """The segments ``path`` selects in ``scope`` and its loops, in file order."""
    found = path.segments(scope)
    for child in scope.children:
        found.extend(deep_segments(path, child))
    return sorted(found, key=lambda s: s.position)


def first_segment(scope: Scope) -> Segment | None:
    """Where an issue about a whole scope is located: its first segment."""
    return scope.segments[0] if scope.segments else None
