"""A mapping's rules compiled once into Python closures: what translation runs.

`gateway.mapping.engine` reads a rule afresh at every use: it asks what kind of rule it is,
parses its path, builds the derived rule an ``each`` item reads, for every item of every set.
An ASN of 150,000 items asks the same questions a million times. Here each rule is turned,
once per mapping, into a closure that does only the reading: the kind decided, the path
parsed, the filters and the element to read bound. The result is the same in every respect
the interpreter's is (values, issues and their order, the segments claimed, where each value
came from): `tests/mapping/test_compiled_rules.py` holds the two equal over every mapping,
sample and corpus file and over generated rules.

Only the well-formed shapes are compiled. A rule the interpreter would refuse or handle by a
path no mapping takes (an unknown key, a constant where a rule should be, ``args`` that are
not a mapping) is handed to the interpreter whole, so what it says about it stays one text in
one place. A path that does not parse is compiled into a step that raises the interpreter's
`PathError` at the moment the interpreter would, so the issue lands where it lands there.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from gateway.mapping.engine import (
    REQUIRED_MISSING,
    TRANSFORM_FAILED,
    Context,
    PairsRule,
    deep_segments,
    evaluate,
    evaluate_item,
    field_words,
    first_segment,
    look_up,
    loops_along,
    pairs_in,
    rule_keys_known,
)
from gateway.mapping.path import Path, PathError, parse_path
from gateway.mapping.scope import Scope, Segment

# (the scope, the segment an ``each`` rule is at, the context, the rule's name) -> its value
Evaluator = Callable[[Scope, Segment | None, Context, str], Any]
# (the scope, the segment being read, the context) -> (the value, the segment it came from)
Reader = Callable[[Scope, Segment | None, Context], tuple[str, Segment | None]]
# (the scope, the context) -> the segments a path selects, claimed
Selector = Callable[[Scope, Context], list[Segment]]

_EMPTY: tuple[Any, ...] = (None, "", [], {})  # what a rule that found nothing gives
_CACHE_SIZE = 256  # mappings compiled and kept (stock, partners' merges, tests' own)
_compiled: OrderedDict[int, tuple[Mapping[str, Any], Evaluator]] = OrderedDict()


def fields_evaluator(fields: Mapping[str, Any]) -> Evaluator:
    """The evaluator of a mapping's ``fields`` (engine.evaluate_fields, compiled), made once
    per fields object: a catalog hands out the same mapping objects every set."""
    key = id(fields)
    cached = _compiled.get(key)
    if cached is not None and cached[0] is fields:
        _compiled.move_to_end(key)
        return cached[1]
    evaluator = compile_fields(fields)
    # The fields object is kept with its evaluator, so its id cannot be reused while cached.
    _compiled[key] = (fields, evaluator)
    if len(_compiled) > _CACHE_SIZE:
        _compiled.popitem(last=False)
    return evaluator


def compile_fields(fields: Mapping[str, Any]) -> Evaluator:
    """engine.evaluate_fields: every field; a field whose rule finds nothing is left out."""
    steps = tuple((name, compile_rule(spec), f".{name}") for name, spec in fields.items())

    def evaluate_fields(scope: Scope, item: Segment | None, ctx: Context, rule: str
                        ) -> dict[str, Any]:
        result = {}
        for name, step, suffix in steps:
            value = step(scope, item, ctx, rule + suffix)
            if value not in _EMPTY:
                result[name] = value
        return result
    return evaluate_fields


def compile_rule(spec: Any) -> Evaluator:
    """engine.evaluate, compiled: a path read, or a rule of keys (module doc)."""
    if isinstance(spec, str | int):
        return _path_rule(str(spec))
    if not isinstance(spec, Mapping) or not rule_keys_known(spec) or not _well_formed(spec):
        return _interpreted(spec)
    inner = _compile_mapping(spec)

    def guarded(scope: Scope, item: Segment | None, ctx: Context, rule: str) -> Any:
        try:
            return inner(scope, item, ctx, rule)
        except PathError as exc:
            ctx.issue(str(exc), rule)
            return None
    return guarded


def compile_item(spec: Mapping[str, Any]) -> Evaluator:
    """engine.evaluate_item: one item of an ``each_loop`` rule, read from one loop."""
    if not rule_keys_known(spec) or not _well_formed(spec):
        return lambda scope, _item, ctx, rule: evaluate_item(spec, scope, ctx, rule)
    return _item_evaluator(spec)


def _interpreted(spec: Any) -> Evaluator:
    """A rule the interpreter reads itself (module doc): the same words for the same fault."""
    def interpreted(scope: Scope, item: Segment | None, ctx: Context, rule: str) -> Any:
        return evaluate(spec, scope, item, ctx, rule)
    return interpreted


def _well_formed(spec: Mapping[str, Any]) -> bool:
    """The shapes compiled: nested rules, args and fields that are mappings, lists that are
    lists. Anything else (a mapping file's mistake) is read by the interpreter."""
    for key in ("fields", "args"):
        if key in spec and spec[key] is not None and not isinstance(spec[key], Mapping):
            return False
    if "fields" in spec and spec["fields"] is None:
        return False
    if "paths" in spec and not isinstance(spec["paths"], list | tuple):
        return False
    return all(isinstance(spec.get(key) or (), list | tuple | set | frozenset)
               for key in ("only", "except"))


def _path_rule(text: str) -> Evaluator:
    read = _reader(text)

    def path_rule(scope: Scope, item: Segment | None, ctx: Context, rule: str) -> Any:
        try:
            value, source = read(scope, item, ctx)
        except PathError as exc:
            ctx.issue(str(exc), rule)
            return None
        if source is not None:
            ctx.origins[rule] = source
        return value
    return path_rule


def _compile_mapping(spec: Mapping[str, Any]) -> Evaluator:
    """engine._evaluate_mapping: the first of its keys that says what the rule is."""
    if "each_loop" in spec:
        return _each_loop(spec)
    if "each" in spec:
        return _each(spec)
    if "pairs" in spec:
        return _pairs(spec)
    if "transform" in spec:
        return _transform(spec)
    if "fields" in spec:
        fields = compile_fields(spec["fields"])
        return lambda scope, item, ctx, rule: fields(scope, item, ctx, rule) or None
    return _scalar(spec)


def _each_loop(spec: Mapping[str, Any]) -> Evaluator:
    names = str(spec["each_loop"]).split("/")
    item = _item_evaluator(spec)

    def each_loop(scope: Scope, _item: Segment | None, ctx: Context, rule: str) -> Any:
        return [item(loop, None, ctx, f"{rule}[{n}]")
                for n, loop in enumerate(loops_along(scope, names), start=1)]
    return each_loop


def _each(spec: Mapping[str, Any]) -> Evaluator:
    select = _selector(str(spec["each"]), deep=bool(spec.get("deep")))
    item = _item_evaluator(spec)

    def each(scope: Scope, _item: Segment | None, ctx: Context, rule: str) -> Any:
        return [item(scope, segment, ctx, f"{rule}[{n}]")
                for n, segment in enumerate(select(scope, ctx), start=1)]
    return each


def _item_evaluator(spec: Mapping[str, Any]) -> Evaluator:
    """engine._item_value: an item's fields, its one ``read``, or the rest of the rule."""
    if "fields" in spec:
        return compile_fields(spec["fields"])
    if "read" in spec:
        return _scalar({**spec, "path": spec["read"]})
    return compile_rule({k: v for k, v in spec.items() if k not in ("each", "each_loop", "deep")})


def _scalar(spec: Mapping[str, Any]) -> Evaluator:
    """engine._scalar: several paths, or one path (or a constant) with its default, its
    'required' and its code table."""
    if "paths" in spec:
        readers = tuple(_reader(str(p)) for p in spec["paths"])
        return lambda scope, item, ctx, rule: [
            value for value in (read(scope, item, ctx)[0] for read in readers) if value]
    read = _reader(str(spec["path"])) if "path" in spec else None
    constant, default = spec.get("value"), spec.get("default")
    required = bool(spec.get("required"))
    read_at = f" ({spec['path']})" if "path" in spec else ""
    table = str(spec["table"]) if "table" in spec else None

    def scalar(scope: Scope, item: Segment | None, ctx: Context, rule: str) -> Any:
        value, where = constant, item
        if read is not None:
            found, source = read(scope, item, ctx)
            value, where = found or None, source or item
        if where is not None:
            ctx.origins[rule] = where
        if value is None:
            value = default
        if value is None and required:
            ctx.issue(f"required value {field_words(rule)}{read_at} not found", rule,
                      item or first_segment(scope), code=REQUIRED_MISSING)
        if value is not None and table is not None:
            value = look_up(str(value), table, ctx, rule, where)
        return value
    return scalar


def _pairs(spec: Mapping[str, Any]) -> Evaluator:
    """engine._pairs: qualifier / value pairs from an element on (LIN, BLI, PO1)."""
    text = str(spec["pairs"])
    try:
        path = parse_path(text)
    except PathError as exc:
        return _raising(exc)
    select = _selector(text, deep=False)
    rule_of_pairs = PairsRule.of(spec, path)
    of_item = path.tag is None

    def pairs(scope: Scope, item: Segment | None, ctx: Context, rule: str) -> Any:
        segments = [item] if of_item and item else select(scope, ctx)
        return pairs_in(segments, ctx, rule, rule_of_pairs)
    return pairs


def _transform(spec: Mapping[str, Any]) -> Evaluator:
    """engine._transform: a registered function over its evaluated arguments."""
    name = str(spec["transform"])
    args = tuple((arg, compile_rule(rule), f".args.{arg}")
                 for arg, rule in (spec.get("args") or {}).items())

    def transform(scope: Scope, item: Segment | None, ctx: Context, rule: str) -> Any:
        function = ctx.transforms.get(name)
        if function is None:
            ctx.issue(f"transform {name!r} is not registered (known: "
                      f"{', '.join(sorted(ctx.transforms))})", rule)
            return None
        values = {arg: step(scope, item, ctx, rule + suffix) for arg, step, suffix in args}
        try:
            return function(values, ctx)
        except ValueError as exc:
            ctx.issue(f"transform {name}: {exc}", rule, item or first_segment(scope),
                      code=TRANSFORM_FAILED)
            return None
    return transform


# --- paths -------------------------------------------------------------------------------------
def _raising(exc: PathError) -> Callable[..., Any]:
    """A step that raises the path's error when run (as the interpreter does, not before)."""
    message = str(exc)

    def raising(*_args: Any) -> Any:
        raise PathError(message)
    return raising


def _reader(text: str) -> Reader:
    """engine._read_at for one path: the first value it finds, every segment it selects
    claimed; a bare element reads the segment an ``each`` rule is at."""
    try:
        path = parse_path(text)
    except PathError as exc:
        return _raising(exc)
    if path.tag is None:
        return _item_reader(path)
    tag, up, accepts = path.tag, path.up, _acceptor(path)
    # Element 00 (or none) reads nothing here, as engine._read_at: the value is "".
    value_of = _value_of(path) if path.element else None
    first_segment_is_enough = path.element is None

    def read(scope: Scope, _item: Segment | None, ctx: Context) -> tuple[str, Segment | None]:
        where: Scope | None = scope if not up else scope.ancestor(up)
        if where is None:
            return "", None
        value, source = "", None
        claimed = ctx.claimed
        for segment in where.segments:
            elements = segment.elements
            if elements[0] != tag or (accepts is not None and not accepts(elements)):
                continue
            claimed.add(segment.position)
            if source is None:
                found = value_of(elements, ctx.component_separator) if value_of else ""
                if found or first_segment_is_enough:
                    value, source = found, segment
        return value, source
    return read


def _item_reader(path: Path) -> Reader:
    value_of = _value_of(path)

    def read_item(_scope: Scope, item: Segment | None, ctx: Context
                  ) -> tuple[str, Segment | None]:
        if item is None:
            raise PathError(f"{path.text!r} names an element but no segment is being read: "
                            "use TAG/NN outside an 'each' rule")
        return value_of(item.elements, ctx.component_separator), item
    return read_item


def _value_of(path: Path) -> Callable[[tuple[str, ...], str], str]:
    """Path.value_in, with the element and component bound."""
    element, component = path.element, path.component
    if element is None:
        return lambda _elements, _separator: ""
    if component is None:
        return lambda elements, _separator: elements[element] if element < len(elements) \
            else ""

    def component_of(elements: tuple[str, ...], separator: str) -> str:
        parts = (elements[element] if element < len(elements) else "").split(separator)
        return parts[component - 1] if component <= len(parts) else ""
    return component_of


def _acceptor(path: Path) -> Callable[[tuple[str, ...]], bool] | None:
    """The path's filters as one test of a segment's elements (None: no filters)."""
    if not path.filters:
        return None
    tests = tuple((f.element, f.allowed) for f in path.filters)

    def accepts(elements: tuple[str, ...]) -> bool:
        for element, allowed in tests:
            value = elements[element] if element < len(elements) else ""
            passes = bool(value) if allowed is None else value in allowed
            if not passes:
                return False
        return True
    return accepts


def _selector(text: str, *, deep: bool) -> Selector:
    """The segments a path selects in a scope (its nested loops too when ``deep``, in file
    order), claimed."""
    try:
        path = parse_path(text)
    except PathError as exc:
        return _raising(exc)
    tag, up, accepts = path.tag, path.up, _acceptor(path)

    def own(scope: Scope) -> list[Segment]:
        where = scope if not up else scope.ancestor(up)
        if where is None or tag is None:
            return []
        return [s for s in where.segments if s.elements[0] == tag
                and (accepts is None or accepts(s.elements))]

    # ``deep`` (rare: a 214's dates) reads as the interpreter does; the common case is bound.
    pick = (lambda scope: deep_segments(path, scope)) if deep else own

    def select(scope: Scope, ctx: Context) -> list[Segment]:
        found = pick(scope)
        ctx.claimed.update(s.position for s in found)
        return found
    return select
