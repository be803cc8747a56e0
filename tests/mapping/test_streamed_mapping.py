"""The 856 mapped a loop at a time (`gateway.mapping.stream`) says exactly what it says
mapped whole (`translate_set`): the same JSON text, the same issues in the same order.

Over every 856 set of the samples, the mapping examples and the shared corpus (with each
partner's mapping), and over generated hierarchies: depth first or not, unknown and
self-naming parents, duplicate ids, values the model refuses, segments no rule reads (inside
the loops and between them), a missing BSN. A hierarchy that cannot be nested as it comes
must say so (`NotStreamable`) rather than differ, and one sent depth first never does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.config.mappings import MappingCatalog
from gateway.mapping.stream import NotStreamable, streamable, translate_set_streamed
from gateway.mapping.translate import MappingSpec, translate_set
from gateway.model import Source
from gateway.model.canonical_json import to_json
from gateway.x12.assess import Outcome, assess
from tests.x12.test_engine_differential import CORPUS, SAMPLES

ROOT = Path(__file__).resolve().parents[2]
CATALOG = MappingCatalog(ROOT / "mappings")
PARTNERS = (None, *sorted(p.name for p in (ROOT / "mappings" / "partners").iterdir()))


def _spec(partner: str | None) -> MappingSpec:
    spec = CATALOG.spec_for("856", partner)
    assert spec is not None
    return spec


def _both(spec: MappingSpec, segments: list[list[str]]) -> tuple[Any, Any]:
    """(whole JSON text or None, issues) and the same streamed; the streamed side is None
    when the set cannot be nested as it comes."""
    source = Source("northwind", "X12", "000000001", "1", "0001", "004010", spec.name)
    whole = translate_set(spec, segments, source)
    expected = (json.dumps(to_json(whole.document)) if whole.document is not None else None,
                whole.issues)
    try:
        streamed = translate_set_streamed(spec, segments, source)
    except NotStreamable:
        return expected, None
    try:
        return expected, (streamed.json.text() if streamed.json is not None else None,
                          streamed.issues)
    finally:
        if streamed.json is not None:
            streamed.json.close()


def test_the_stock_and_partner_856_mappings_stream() -> None:
    assert all(streamable(_spec(partner)) for partner in PARTNERS)


def _sets_856(path: Path) -> list[list[list[str]]]:
    assessment = assess(path.read_bytes())
    found = []
    for interchange in assessment.interchanges:
        for group in interchange.groups:
            for result in group.sets:
                if result.ts.set_id == "856" and result.outcome is not Outcome.REJECTED:
                    found.append(list(assessment.intake.set_segments(interchange.interchange,
                                                                     result.ts)))
    return found


def _files() -> list[Path]:
    found = [*sorted(SAMPLES.rglob("*.x12")), *sorted((ROOT / "mappings" / "examples")
                                                       .glob("*.x12"))]
    if CORPUS.is_dir():
        found += sorted(CORPUS.glob("*/*.edi"))
    return [path for path in found if _sets_856(path)]


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_every_856_we_have_maps_the_same_a_loop_at_a_time(path: Path) -> None:
    for partner in PARTNERS:
        for segments in _sets_856(path):
            expected, streamed = _both(_spec(partner), segments)
            assert streamed == expected, f"{path.name} with mapping {partner or 'stock'}"


# --- generated hierarchies ---------------------------------------------------------------------
_LEVELS = ("S", "O", "P", "I", "T", "X")


@st.composite
def _ship_notices(draw: st.DrawFn) -> tuple[list[list[str]], bool]:
    """An 856 body as element lists, and whether its HL order is depth first and clean."""
    count = draw(st.integers(1, 14))
    depth_first = draw(st.booleans())
    nodes: list[tuple[str, str]] = []  # (id, parent id)
    open_ids: list[str] = []
    for n in range(1, count + 1):
        if depth_first:
            keep = draw(st.integers(0, len(open_ids)))
            del open_ids[keep:]
            parent = open_ids[-1] if open_ids else ""
            open_ids.append(str(n))
        else:
            parent = draw(st.sampled_from(["", str(n), "99",
                                           *(str(m) for m in range(1, count + 1))]))
        nodes.append((str(n), parent))
    clean = depth_first
    if not depth_first and draw(st.booleans()):
        at = draw(st.integers(0, count - 1))
        nodes[at] = (draw(st.sampled_from([node for node, _ in nodes])), nodes[at][1])
    body: list[list[str]] = []
    if draw(st.integers(0, 5)):  # mostly there, sometimes without its shipment id
        body.append(["BSN", "00", draw(st.sampled_from(["SHIP1"] * 4 + [""])), "20261203"])
    body.append(["DTM", "011", draw(st.sampled_from(["20261203", "2026-13-45"])), "0815"])
    for hl_id, parent in nodes:
        body.append(["HL", hl_id, parent, draw(st.sampled_from(_LEVELS))])
        body.extend(draw(st.lists(_member(), max_size=4)))
        if draw(st.integers(0, 5)) == 0:
            body.append(["NTE", "GEN", "between the loops"])  # no HL member: falls to the root
    body.append(["CTT", str(count)])
    return [["ST", "856", "0001"], *body, ["SE", str(len(body) + 2), "0001"]], clean


def _member() -> st.SearchStrategy[list[str]]:
    return st.one_of(
        st.just(["TD5", "B", "2", "UPSN", "M"]),
        st.builds(lambda q: ["SN1", "", q, "EA"], st.sampled_from(["2", "1.5", "X", "NaN"])),
        st.builds(lambda v: ["LIN", "", "UP", v, "LT", "LOT7"], st.sampled_from(["0123", ""])),
        st.just(["REF", "BM", "BOL1"]), st.just(["PRF", "PO77", "", "", "20261301"]),
        st.just(["DTM", "017", "20261205"]), st.just(["N1", "ST", "DOCK", "92", "7"]),
        st.just(["N3", "1 MAIN ST"]), st.just(["MAN", "GM", "0001"]), st.just(["YNQ", "Q"]),
        st.just(["ZZZ", "unknown"]))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(_ship_notices())
def test_generated_hierarchies_map_the_same_or_say_they_cannot_stream(
        notice: tuple[list[list[str]], bool]) -> None:
    segments, depth_first = notice
    expected, streamed = _both(_spec(None), segments)
    if streamed is None:
        assert not depth_first, "a depth-first hierarchy must stream"
    else:
        assert streamed == expected
