"""The mapping engine: paths, loops, rules, overrides and located issues."""

from __future__ import annotations

import gc
import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.config.mappings import MappingCatalog
from gateway.mapping.engine import Context, evaluate_fields
from gateway.mapping.path import PathError, parse_path
from gateway.mapping.scope import Segment, build_scopes
from gateway.mapping.transforms import TRANSFORMS, naive_moment
from gateway.mapping.translate import (
    MappingSpec,
    MappingSpecError,
    collecting_less,
    merge,
    translate_set,
)
from gateway.model import ShipmentStatus, Source

REPO = Path(__file__).resolve().parents[2]
SEGMENTS = [["ST", "214", "0001"], ["B10", "PRO1", "BOL1", "ODFL"], ["L11", "RMA1", "RZ"],
            ["N1", "SH", "NORTHWIND"], ["N3", "1 MAIN ST"], ["LX", "1"],
            ["AT7", "X6", "NS", "", "", "20260121", "0610", "ET"], ["MS1", "DAYTON", "OH"],
            ["L11", "77", "QN"], ["LX", "2"], ["AT7", "D1", "NS", "", "", "20260121", "1125"],
            ["K1", "LEFT AT DOCK"], ["SE", "12", "0001"]]
LOOPS = {"N1": {"members": ["N3", "N4"]},
         "LX": {"members": ["L11", "K1"], "loops": {"AT7": {"members": ["MS1"]}}}}


def scopes() -> Any:
    body = [Segment(n, tuple(s)) for n, s in enumerate(SEGMENTS, start=1)][1:-1]
    return build_scopes(body, LOOPS)


def run(fields: dict[str, Any], tables: dict[str, Any] | None = None) -> tuple[Any, Context]:
    ctx = Context(tables or {}, TRANSFORMS, "test.yaml", "acme")
    return evaluate_fields(fields, scopes(), None, ctx, "fields"), ctx


def test_loops_hold_their_members_and_nested_loops() -> None:
    root = scopes()
    assert [s.tag for s in root.segments] == ["B10", "L11"]
    [n1] = root.loops("N1")
    assert [s.tag for s in n1.segments] == ["N1", "N3"]
    first, second = root.loops("LX")
    assert [s.tag for s in first.segments] == ["LX", "L11"]  # L11 after AT7/MS1 closes AT7
    assert [s.tag for s in first.loops("AT7")[0].segments] == ["AT7", "MS1"]
    assert [s.tag for s in second.segments] == ["LX", "K1"]


@pytest.mark.parametrize(("text", "tag", "element", "up"), [
    ("N9[01=RZ]/02", "N9", 2, 0), ("^LX/01", "LX", 1, 1), ("^^B10/03", "B10", 3, 2),
    ("BLI/07-2", "BLI", 7, 0), ("02", None, 2, 0)])
def test_paths(text: str, tag: str | None, element: int, up: int) -> None:
    path = parse_path(text)
    assert (path.tag, path.element, path.up) == (tag, element, up)


@pytest.mark.parametrize("text", ["n9/02", "N9/2", "N9[RZ]/02", "/02", "N9/02/03"])
def test_bad_paths_say_how_to_write_one(text: str) -> None:
    with pytest.raises(PathError, match="write TAG/01"):
        parse_path(text)


def test_rules_read_values_lists_loops_and_parents() -> None:
    result, ctx = run({
        "rma": "L11[02=RZ]/01",
        "refs": {"each": "L11", "fields": {"qualifier": "02", "value": "01"}},
        "events": {"each_loop": "LX/AT7", "fields": {
            "code": "AT7/01", "stop": "^LX/01", "city": "MS1/01",
            "stop_ref": "^L11[02=QN]/01"}},
        "missing": "N9/02",
    })
    assert result["rma"] == "RMA1"
    assert result["refs"] == [{"qualifier": "RZ", "value": "RMA1"}]
    assert result["events"] == [{"code": "X6", "stop": "1", "city": "DAYTON", "stop_ref": "77"},
                                {"code": "D1", "stop": "2"}]
    assert "missing" not in result and not ctx.issues


def test_tables_with_fallback_and_located_issues() -> None:
    result, ctx = run({"events": {"each_loop": "LX/AT7", "fields": {
                           "lenient": {"path": "AT7/01", "table": "s"},
                           "strict": {"path": "AT7/01", "table": "strict"}}},
                       "need": {"path": "N9/02", "required": True}},
                      {"s": {"X6": "in-transit", "*": "other"}, "strict": {"X6": "in-transit"}})
    assert result["events"] == [{"lenient": "in-transit", "strict": "in-transit"},
                                {"lenient": "other"}]
    [warning] = [i for i in ctx.issues if i.severity == "warning"]
    assert "'D1' is not in table 'strict'" in str(warning)
    assert (warning.position, warning.tag) == (11, "AT7")
    [error] = [i for i in ctx.issues if i.severity == "error"]
    assert "partner acme, mapping test.yaml, rule fields.need" in str(error)


def test_unknown_rule_keys_and_transforms_are_named() -> None:
    _, ctx = run({"a": {"path": "B10/01", "tabel": "x"}, "b": {"transform": "nope"}})
    messages = [str(i) for i in ctx.issues]
    assert any("rule fields.a" in m and "'tabel'" in m for m in messages)
    assert any("rule fields.b" in m and "'nope' is not registered" in m for m in messages)


def test_a_bad_time_code_is_a_located_issue_not_a_crash() -> None:
    result, ctx = run({"events": {"each_loop": "LX/AT7", "fields": {"at": {
        "transform": "x12_timestamp",
        "args": {"date": "AT7/05", "time": "AT7/06", "zone": {"value": "QQ"}}}}}})
    assert result["events"] == [{}, {}]
    assert "time code 'QQ'" in str(ctx.issues[0])
    assert (ctx.issues[0].position, ctx.issues[0].tag) == (7, "AT7")


def test_times_keep_their_zone_or_say_it_was_assumed() -> None:
    result, _ = run({"events": {"each_loop": "LX/AT7", "fields": {"at": {
        "transform": "x12_timestamp", "args": {"date": "AT7/05", "time": "AT7/06",
                                               "zone": "AT7/07"}}}}})
    eastern, unknown = (e["at"] for e in result["events"])
    assert eastern == {"at": "2026-01-21T06:10:00-05:00", "zone_code": "ET",
                       "assumed_zone": False}
    assert unknown["assumed_zone"] is True and unknown["at"].endswith("+00:00")


def test_merge_changes_only_what_the_override_names() -> None:
    stock = {"fields": {"a": "B10/01", "b": "B10/02"}, "tables": {"t": {"X": "x", "Y": "y"}}}
    merged = merge(stock, {"fields": {"b": "B10/03", "a": None}, "tables": {"t": {"Y": "z"}}})
    assert merged == {"fields": {"b": "B10/03"}, "tables": {"t": {"X": "x", "Y": "z"}}}
    assert stock["fields"] == {"a": "B10/01", "b": "B10/02"}  # the stock is untouched


def test_translate_builds_typed_documents_and_keeps_unmapped_segments() -> None:
    spec = MappingSpec.from_dict("t.yaml", {
        "transaction_set": "214", "target": "shipment-status", "loops": LOOPS,
        "tables": {"s": {"X6": "in-transit", "D1": "delivered"}},
        "fields": {"carrier_reference": "B10/01",
                   "events": {"each_loop": "LX/AT7", "fields": {
                       "status": {"path": "AT7/01", "table": "s"}, "status_code": "AT7/01"}}}})
    translation = translate_set(spec, SEGMENTS, Source(partner="acme"))
    document = translation.document
    assert document is not None and translation.ok
    assert [e.status for e in document.events] == [ShipmentStatus.IN_TRANSIT,
                                                   ShipmentStatus.DELIVERED]
    # Everything no rule read is kept, with the loop it sat in: nothing is dropped.
    assert [(u.tag, u.context) for u in document.unmapped] == [
        ("L11", "ST"), ("N1", "N1 1"), ("N3", "N1 1"), ("LX", "LX 1"), ("MS1", "AT7 1"),
        ("L11", "LX 1"), ("LX", "LX 2"), ("K1", "LX 2")]


def test_a_document_without_its_required_field_is_not_built() -> None:
    spec = MappingSpec.from_dict("t.yaml", {"transaction_set": "214",
                                            "target": "shipment-status",
                                            "fields": {"scac": "B10/03"}})
    translation = translate_set(spec, SEGMENTS, Source())
    assert translation.document is None and not translation.ok
    assert "needs carrier_reference" in str(translation.issues[0])


@pytest.mark.parametrize(("raw", "problem"), [
    ({"target": "shipment-status", "fields": {}}, "transaction_set: missing"),
    ({"transaction_set": "214", "target": "x", "fields": {}}, "target: 'x' is not one of"),
    ({"transaction_set": "214", "target": "shipment-status", "fields": {}, "extra": 1},
     "extra: not a mapping key"),
    ({"transaction_set": "214", "target": "shipment-status", "fields": {}, "finish": "nope"},
     "finish: transform 'nope' is not registered"),
])
def test_spec_errors_name_the_key(raw: dict[str, Any], problem: str) -> None:
    with pytest.raises(MappingSpecError, match=problem):
        MappingSpec.from_dict("t.yaml", raw)


@settings(max_examples=3000, derandomize=True, deadline=None)
@given(st.one_of(
    st.text(alphabet="0123456789", min_size=14, max_size=14),
    st.builds(lambda *parts: "".join(f"{p:0{w}d}" for p, w in zip(parts, (4, 2, 2, 2, 2, 2),
                                                                      strict=True)),
              st.integers(1, 9999), st.integers(0, 13), st.integers(0, 32), st.integers(0, 25),
              st.integers(0, 61), st.integers(0, 62)),
    st.text(alphabet="0123456789 -T:", max_size=16)))
def test_moments_read_by_position_as_strptime_reads_them(digits: str) -> None:
    """x12_moment reads fourteen digits by position; the moment, or the refusal and its
    words, is strptime's for every text."""
    def outcome(read: Any) -> Any:
        try:
            return read(digits)
        except ValueError as exc:
            return ("refused", str(exc))
    assert outcome(naive_moment) == outcome(
        lambda text: datetime.strptime(text, "%Y%m%d%H%M%S"))


def test_the_catalog_hands_out_one_mapping_per_file_version(tmp_path: Path) -> None:
    shutil.copytree(REPO / "mappings", tmp_path / "mappings")
    catalog = MappingCatalog(tmp_path / "mappings")
    first = catalog.spec_for("214", "northwind")
    assert first is not None and first is catalog.spec_for("214", "northwind")
    stock = tmp_path / "mappings" / "214.yaml"
    stock.write_text(stock.read_text().replace("carrier_reference:", "carrier_reference:  "))
    os.utime(stock, ns=(stock.stat().st_atime_ns, stock.stat().st_mtime_ns + 1_000_000))
    assert catalog.spec_for("214", "northwind") is not first  # an edit is read at once


def test_collections_come_back_after_mappings_however_they_end() -> None:
    usual = gc.get_threshold()
    with collecting_less():
        raised = gc.get_threshold()
        with pytest.raises(RuntimeError), collecting_less():
            raise RuntimeError("a mapping that fails")
        assert gc.get_threshold() == raised  # the outer mapping still runs
    assert raised != usual and gc.get_threshold() == usual
