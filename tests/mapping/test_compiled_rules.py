"""The compiled rules (`gateway.mapping.compiled`, what translation runs) read exactly what the
interpreter (`gateway.mapping.engine`) reads: the same values, the same issues in the same
order, the same segments claimed, each value's origin the same segment.

Over every mapping (stock and partners') on every set of the samples, the mapping examples
and the shared corpus, and over generated rules of every shape, well formed or not (unknown
keys, paths that do not parse, constants where rules belong, tables that do not exist), read
from the scopes of real sets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.config.mappings import MappingCatalog
from gateway.mapping.compiled import compile_fields, compile_item, fields_evaluator
from gateway.mapping.engine import Context, evaluate_fields, evaluate_item
from gateway.mapping.scope import Scope, Segment, build_scopes
from gateway.mapping.transforms import TRANSFORMS
from gateway.mapping.translate import ENVELOPE_TAGS, MappingSpec
from gateway.x12.assess import Outcome, assess
from tests.x12.test_engine_differential import CORPUS, SAMPLES

ROOT = Path(__file__).resolve().parents[2]
CATALOG = MappingCatalog(ROOT / "mappings")
PARTNERS = (None, *sorted(p.name for p in (ROOT / "mappings" / "partners").iterdir()))


def _sets(path: Path) -> list[tuple[str, list[list[str]]]]:
    """(set id, segments ST..SE) of each set of ``path`` that is not rejected."""
    assessment = assess(path.read_bytes())
    return [(result.ts.set_id, list(assessment.intake.set_segments(ic.interchange, result.ts)))
            for ic in assessment.interchanges for group in ic.groups for result in group.sets
            if result.outcome is not Outcome.REJECTED]


def _files() -> list[Path]:
    found = [*sorted(SAMPLES.rglob("*.x12")),
             *sorted((ROOT / "mappings" / "examples").glob("*.x12"))]
    if CORPUS.is_dir():
        found += sorted(CORPUS.glob("*/*.edi"))
    return found


def _scope(spec: MappingSpec, segments: list[list[str]]) -> Scope:
    numbered = (Segment(n, tuple(s)) for n, s in enumerate(segments, start=1))
    return build_scopes((s for s in numbered if s.tag not in ENVELOPE_TAGS), spec.loops)


def _context(spec: MappingSpec) -> Context:
    return Context(spec.tables, TRANSFORMS, spec.name, "northwind")


def _outcome(run: Any, ctx: Context) -> tuple[Any, ...]:
    """What a run produced and left in its context; an exception is an outcome too."""
    try:
        value: Any = run()
    except Exception as exc:  # both engines must fail the same way
        value = ("raised", type(exc).__name__, str(exc))
    return value, list(ctx.issues), set(ctx.claimed), dict(ctx.origins)


def _item_agrees(spec: MappingSpec, rule: Any, scope: Scope, name: str) -> Any:
    """An ``each_loop`` item read both ways is the same; what was read."""
    interpreted, compiled = _context(spec), _context(spec)
    expected = _outcome(lambda: evaluate_item(rule, scope, interpreted, name), interpreted)
    found = _outcome(lambda: compile_item(rule)(scope, None, compiled, name), compiled)
    assert found == expected
    return expected[0]


def _agree(spec: MappingSpec, fields: Any, scope: Scope) -> None:
    interpreted, compiled = _context(spec), _context(spec)
    expected = _outcome(lambda: evaluate_fields(fields, scope, None, interpreted, "fields"),
                        interpreted)
    found = _outcome(lambda: compile_fields(fields)(scope, None, compiled, "fields"), compiled)
    assert found == expected


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_every_mapping_reads_every_set_as_the_interpreter_does(path: Path) -> None:
    compared = 0
    for set_id, segments in _sets(path):
        for partner in PARTNERS:
            spec = CATALOG.spec_for(set_id, partner)
            if spec is None:
                continue
            _agree(spec, spec.fields, _scope(spec, segments))
            compared += 1
    assert compared or not _sets(path) or all(
        CATALOG.spec_for(set_id, None) is None for set_id, _ in _sets(path))


def test_an_each_loop_item_reads_its_loop_as_the_interpreter_does() -> None:
    spec = CATALOG.spec_for("856", None)
    assert spec is not None
    [(_, segments)] = _sets(SAMPLES / "valid" / "856-pick-pack-004010.x12")
    scope = _scope(spec, segments)
    loops = scope.loops("HL")
    assert len(loops) > 2
    rule = spec.fields["hierarchy"]
    for number, loop in enumerate(loops, start=1):
        read = _item_agrees(spec, rule, loop, f"fields.hierarchy[{number}]")
        assert read["hl_id"] == loop.segments[0].elements[1]


def test_a_catalog_mapping_is_compiled_once() -> None:
    spec = CATALOG.spec_for("180", None)
    assert spec is not None
    assert fields_evaluator(spec.fields) is fields_evaluator(spec.fields)
    assert fields_evaluator(dict(spec.fields)) is not fields_evaluator(spec.fields)


# --- generated rules ---------------------------------------------------------------------------
_PATHS = ("N1/02", "N1[01=SH|SF]/02", "N1[03]/04", "REF/02", "REF[01=SE]/02", "^LX/01",
          "^^BSN/02", "LIN/02", "LIN/03-1", "SN1/02", "HL/03", "AT7/01", "BGN/02", "BSN/00",
          "N1/00", "02", "03", "02-2", "00", "lin/02", "N1[xx]/02", "N1/2", "", "ZZZZ/01",
          "N9[01=]/02", "DTM/02", "G62/02", "L11/01", "RCD/02", "PID[01=F]/05")
_TABLES = ("level", "party_role", "status", "purpose", "item_scheme", "no-such-table")
_KINDS = ("path", "paths", "value", "each", "each_loop", "pairs", "transform", "fields")
_COMPANIONS = ("read", "read", "deep", "deep", "table", "table", "default", "required", "only",
               "except", "args")
_KEYS = ("path", "paths", "value", "table", "default", "required", "each", "each_loop", "read",
         "deep", "fields", "transform", "args", "pairs", "only", "except", "bogus")


def _paths(scope: Scope) -> st.SearchStrategy[str]:
    """Paths into ``scope`` (its tags, elements and values, up a level or two), and the odd
    paths of `_PATHS`."""
    near = [scope, *scope.children[:3], *([scope.parent] if scope.parent else [])]
    segments = [s for where in near for s in where.segments]

    def path(segment: Segment, up: int, element: int, component: int, filtered: int) -> str:
        filters = ""
        if filtered and len(segment.elements) > filtered:
            filters = f"[{filtered:02d}={segment.elements[filtered]}|ZZ]" if up % 2 \
                else f"[{filtered:02d}]"
        tail = f"/{element:02d}" + (f"-{component}" if component else "") if element >= 0 \
            else ""
        return "^" * up + segment.tag + filters + tail
    built = st.builds(path, st.sampled_from(segments), st.integers(0, 2), st.integers(-1, 6),
                      st.integers(0, 2), st.integers(0, 3))
    bare = st.builds(lambda n, c: f"{n:02d}" + (f"-{c}" if c else ""), st.integers(0, 5),
                     st.integers(0, 2))
    return st.one_of(built, built, bare, st.sampled_from(_PATHS))


def _rules(paths: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    scalars = st.one_of(paths, st.integers(-1, 12), st.none(), st.booleans())

    def nested(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        fields = st.dictionaries(st.sampled_from(("a", "b", "value", "qualifier")), children,
                                 max_size=3)
        values: dict[str, st.SearchStrategy[Any]] = {
            "path": paths, "paths": st.one_of(st.lists(paths, max_size=3), paths),
            "value": st.one_of(st.text(max_size=3), st.integers(0, 3), st.none()),
            "table": st.sampled_from(_TABLES), "default": st.sampled_from(("d", None, 0)),
            "required": st.booleans(), "each": paths,
            "each_loop": st.sampled_from(("N1", "HL", "LX", "LX/AT7", "HL/N1", "NOPE")),
            "read": st.one_of(paths, st.just("value")), "deep": st.booleans(),
            "fields": st.one_of(fields, fields, fields, st.none()),
            "transform": st.sampled_from(("concat", "x12_moment", "present", "first_present",
                                          "communication", "no_such")),
            "args": st.one_of(fields, st.lists(paths, max_size=2)),
            "pairs": paths, "only": st.one_of(st.lists(st.sampled_from(("LT", "SN", "UP"))),
                                              st.just("LT")),
            "except": st.lists(st.sampled_from(("LT", "SN", "VN")), max_size=2),
            "bogus": st.just(1)}
        # A rule of one kind (its key), often with the keys that go with it, sometimes
        # with any other: each kind is drawn as often as the others, however rare its keys.
        kinds = st.sampled_from(_KINDS).flatmap(lambda kind: st.tuples(
            st.just(kind), st.sets(st.sampled_from(_COMPANIONS), max_size=3),
            st.sets(st.sampled_from(_KEYS), max_size=1)))
        return st.one_of(fields, kinds.flatmap(lambda drawn: st.fixed_dictionaries(
            {key: values[key] for key in sorted({drawn[0], *drawn[1], *drawn[2]})})))
    return st.recursive(scalars, nested, max_leaves=8)


_SAMPLE_SETS = (("856", "856-pick-pack-004010.x12"), ("214", "214-status-004010.x12"),
                ("180", "180-return-request-004010.x12"))


def _sample_scopes() -> list[tuple[MappingSpec, Scope]]:
    found = []
    for set_id, name in _SAMPLE_SETS:
        spec = CATALOG.spec_for(set_id, None)
        assert spec is not None
        [(_, segments)] = _sets(SAMPLES / "valid" / name)
        scope = _scope(spec, segments)
        found.append((spec, scope))
        # A loop's scope too, where ^ climbs and a bare element has no segment to read.
        found.extend((spec, child) for child in scope.children[:2])
    return found


def _out_of_order_scope() -> tuple[MappingSpec, Scope]:
    """A root segment after a loop that holds the same tag (REF 4 after the N1 loop's REF 2):
    a deep ``each`` must give them in file order, not the root's first."""
    spec = MappingSpec.from_dict("synthetic", {
        "transaction_set": "180", "target": "return-authorization", "fields": {},
        "loops": {"N1": {"members": ["REF", "N3"]}}, "tables": {"level": {"BM": "bill"}}})
    segments = [["ST", "180", "0001"], ["N1", "SH", "A", "92", "1"], ["REF", "BM", "7", "x"],
                ["BGN", "00", "9"], ["REF", "CN", "8"], ["N3", "1 Main"], ["SE", "7", "0001"]]
    return spec, _scope(spec, segments)


SCOPES = [*_sample_scopes(), _out_of_order_scope()]


# Rules whose corners generated rules reach only by luck, each read from every scope above.
_CORNERS: tuple[Any, ...] = (
    "REF/02", "REF[01=BM|CN]/02", "REF[03]/02", "N1/00", "00", "02-1", "^HL/01", "^^BSN/02",
    {"pairs": "REF/01", "read": "value", "table": "no-such-table"},
    {"pairs": "REF/01", "table": "level", "except": ["CN"]},
    {"pairs": "LIN/02", "only": ["UP"], "read": "value"},
    {"pairs": "02"}, {"pairs": "bad path"},
    {"each": "REF", "deep": True, "read": "02"},
    {"each": "N1", "deep": True, "fields": {"who": "02", "up": "^BGN/02"}},
    {"each": "REF", "read": "bad path"}, {"each": "NOPE", "read": "bad path"},
    {"each": "bad path", "read": "02"}, {"each": "REF", "table": "level", "path": "01"},
    {"each_loop": "N1", "fields": {"name": "N1/02", "id": {"path": "N1/04", "required": True}}},
    {"each_loop": "HL/N1", "read": "N1/02"}, {"each_loop": "NOPE", "read": "02"},
    {"path": "REF/02", "table": "no-such-table", "required": True},
    {"path": "ZZZ/01", "required": True, "default": None},
    {"path": "ZZZ/01", "default": "fallback", "table": "level"},
    {"value": "S", "table": "level"}, {"value": 0}, {"value": None, "required": True},
    {"paths": ["REF/02", "bad path", "N1/02"]}, {"paths": "REF/02"},
    {"transform": "concat", "args": {"a": {"each": "REF", "read": "02"}, "b": "bad path"}},
    {"transform": "x12_moment", "args": {"date": "DTM/02", "time": "DTM/03", "zone": "01"}},
    {"transform": "no_such", "args": {"a": "REF/02"}}, {"transform": "concat", "args": [1]},
    {"fields": None}, {"fields": {}}, {"fields": {"a": "REF/02"}, "bogus": 1}, ["REF/02"], 1.5,
    True, {"only": "LT", "pairs": "LIN/02"})


@pytest.mark.parametrize("rule", _CORNERS, ids=repr)
def test_the_corners_read_as_the_interpreter_reads_them(rule: Any) -> None:
    for spec, scope in SCOPES:
        _agree(spec, {"corner": rule}, scope)
        if isinstance(rule, dict):
            _item_agrees(spec, rule, scope, "item")


@settings(max_examples=1500, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(where=st.integers(0, len(SCOPES) - 1), data=st.data())
def test_generated_rules_read_as_the_interpreter_reads_them(where: int, data: st.DataObject
                                                            ) -> None:
    spec, scope = SCOPES[where]
    fields = data.draw(st.dictionaries(st.sampled_from(("one", "two", "three")),
                                       _rules(_paths(scope)), min_size=1, max_size=3))
    _agree(spec, fields, scope)


@settings(max_examples=500, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(where=st.integers(0, len(SCOPES) - 1), data=st.data())
def test_generated_items_read_as_the_interpreter_reads_them(where: int, data: st.DataObject
                                                            ) -> None:
    spec, scope = SCOPES[where]
    rule = data.draw(_rules(_paths(scope)).filter(lambda rule: isinstance(rule, dict)))
    _item_agrees(spec, rule, scope, "item")
