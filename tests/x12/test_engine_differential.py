"""The fast engine against pyx12, the reference: the same findings, outcomes and acknowledgements.

Every sample, every corpus file, and mutated copies of the valid samples' transaction sets (a
segment dropped, doubled, moved or renamed; an element emptied, lengthened, retyped, given a
separator, a control character, an impossible date; HL numbers scrambled) are assessed with
both engines, and everything the gateway answers with is compared: each finding (code, X12
code, severity, location, message, expected and found values), each set's, group's and
interchange's outcome, and the bytes of the 997/999/TA1 built from it.

Mutated sets go a hundred to a file (one group per sample), so one pyx12 run validates a hundred
examples. ``DIFFERENTIAL_FILES`` sets how many files Hypothesis makes (fixed seed): 200 in CI,
that is 20,000 mutated sets; a release check runs more, e.g. ``DIFFERENTIAL_FILES=2000`` with
``DIFFERENTIAL_SEED`` varied (see docs/validation-engines.md).

Where the engines may differ, the standard is on the fast engine's side and the difference is
named in ``STANDARD_BACKED``; none has been seen on these inputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from gateway.x12.ack import AckPolicy, FunctionalAck, Ta1Policy, build_acknowledgements
from gateway.x12.assess import Assessment, assess
from gateway.x12.limits import FrontDoorRules
from gateway.x12.write import Identity, SequentialControlNumbers

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
CORPUS = Path(os.environ.get("GATEWAY_CORPUS", ROOT.parent / "shared" / "corpus")) / "x12"
FAST, PYX12 = FrontDoorRules(engine="fast"), FrontDoorRules(engine="pyx12")
# Differences where X12 is on the fast engine's side (none seen so far; see the module doc):
# pyx12 raises on an RD8 range with two hyphens (DTP03), which would leave the whole run
# unvalidated; the fast engine reports the invalid date (AK403 8).
STANDARD_BACKED: tuple[str, ...] = ()
FILES = int(os.environ.get("DIFFERENTIAL_FILES", "200"))
SETS_PER_FILE = 100
SEED = int(os.environ.get("DIFFERENTIAL_SEED", "20261203"))
SOURCES = ["180-return-request-004010.x12", "180-authorization-005010.x12",
           "214-status-004010.x12", "214-status-005010.x12", "856-pick-pack-004010.x12",
           "856-ship-notice-005010.x12", "856-pick-pack-004010VICS.x12",
           "861-receiving-advice-004010.x12", "861-receiving-advice-005010.x12",
           "997-inbound-004010.x12", "999-inbound-005010.x12"]


def answer(data: bytes, rules: FrontDoorRules) -> list[Any]:
    """Everything the gateway answers a file with, in comparable form."""
    assessment = assess(data, rules)
    return [*_verdicts(assessment), *_acknowledgements(assessment)]


def _verdicts(assessment: Assessment) -> Iterator[Any]:
    for x in assessment.all_findings():
        yield (x.code, str(x.x12), x.severity, x.location, x.message, x.expected, x.found)
    for interchange in assessment.interchanges:
        yield interchange.outcome
        for group in interchange.groups:
            yield group.outcome, [s.outcome for s in group.sets]


def _acknowledgements(assessment: Assessment) -> Iterator[str]:
    for functional in (FunctionalAck.ACK_997, FunctionalAck.ACK_999):
        policy = AckPolicy(functional=functional, ta1=Ta1Policy.ALWAYS)
        for ack in build_acknowledgements(assessment, Identity("ZZ", "RLGATEWAY", "RLGATEWAY"),
                                          policy, SequentialControlNumbers(),
                                          datetime(2026, 12, 3, tzinfo=UTC)):
            yield ack.text


def assert_engines_agree(data: bytes, name: str) -> None:
    fast, reference = answer(data, FAST), answer(data, PYX12)
    if fast != reference:
        only_fast = [x for x in fast if x not in reference]
        only_reference = [x for x in reference if x not in fast]
        pytest.fail(f"{name}: the engines disagree\n  fast only: {only_fast[:5]}\n"
                    f"  pyx12 only: {only_reference[:5]}")


# --- every file we have -----------------------------------------------------------------------
def _files() -> list[Path]:
    found = sorted(SAMPLES.rglob("*.x12"))
    return found + (sorted(CORPUS.glob("*/*.edi")) if CORPUS.is_dir() else [])


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_the_engines_agree_on_every_sample_and_corpus_file(path: Path) -> None:
    assert_engines_agree(path.read_bytes(), path.name)


# --- mutated sets -----------------------------------------------------------------------------
class _Source:
    """A valid sample cut into its envelope head and its first set's segments (split)."""

    def __init__(self, name: str) -> None:
        text = (SAMPLES / "valid" / name).read_text(encoding="latin-1").replace("\n", "")
        self.element, self.terminator = text[3], text[105]
        self.component = text[104]
        segments = [s for s in text.split(self.terminator) if s]
        st = next(i for i, s in enumerate(segments) if s.startswith("ST" + self.element))
        se = next(i for i, s in enumerate(segments) if s.startswith("SE" + self.element))
        self.isa, self.gs = segments[0], segments[st - 1]
        self.body = [s.split(self.element) for s in segments[st + 1:se]]
        self.st = segments[st].split(self.element)
        self.version = self.gs.split(self.element)[8][:6]


_SOURCES = [_Source(name) for name in SOURCES]
_TAGS = sorted({segment[0] for source in _SOURCES for segment in source.body}
               | {"ZZZ", "N9", "LX", "AT7", "HL", "CTT", "Q7", "LIN", "SN1", "G62", "RCD"})
_VALUES = ["", " ", "A", "AB ", "X" * 40, "0", "-1.5", ".", "1.", "5E3", "-", "007", "1",
           "20260231", "20240229", "19000229", "991231", "251399", "202612031200", "2460",
           "1299", "123456", "1234567", "1", "ZZ", "CTN25", "EA", "SH", "\x07", "A\x1fB", "É",
           "A:B", "A>B", "A^B", "A`B", "2", "99", "UPSN", "011", "BM", "DT",
           "20260101-20260102", "N", "R", "I"]


@st.composite
def mutated_set(draw: st.DrawFn) -> tuple[int, list[list[str]]]:
    """(source index, the set's body segments after one to three mutations)."""
    index = draw(st.integers(0, len(_SOURCES) - 1))
    source = _SOURCES[index]
    body = [list(segment) for segment in source.body]
    for _ in range(draw(st.integers(1, 3))):
        _mutate(draw, body, source)
    return index, body


def _mutate(draw: st.DrawFn, body: list[list[str]], source: _Source) -> None:
    if not body:
        body.append(["ZZZ", "1"])
        return
    at = draw(st.integers(0, len(body) - 1))
    kind = draw(st.sampled_from([*["value"] * 3, *_MUTATIONS]))
    _MUTATIONS[kind](draw, body, at, source)


def _value(draw: st.DrawFn, body: list[list[str]], at: int, _source: _Source) -> None:
    segment = body[at]
    position = draw(st.integers(1, max(1, len(segment) - 1)))
    segment.extend([""] * (position + 1 - len(segment)))
    segment[position] = draw(st.sampled_from(_VALUES))


def _swap(_draw: st.DrawFn, body: list[list[str]], at: int, _source: _Source) -> None:
    if at + 1 < len(body):
        body[at], body[at + 1] = body[at + 1], body[at]


def _hl(draw: st.DrawFn, body: list[list[str]], at: int, _source: _Source) -> None:
    body.insert(at, ["HL", draw(st.sampled_from(["1", "2", "3", "9", "", "A"])),
                     draw(st.sampled_from(["", "1", "2", "5", "X"])),
                     draw(st.sampled_from(["S", "O", "P", "I", "T", "Z"]))])


def _borrow(draw: st.DrawFn, body: list[list[str]], at: int, _source: _Source) -> None:
    other = draw(st.sampled_from(_SOURCES))
    if other.body:
        body.insert(at, list(draw(st.sampled_from(other.body))))


def _component(draw: st.DrawFn, body: list[list[str]], at: int, source: _Source) -> None:
    segment = body[at]
    if len(segment) > 1:
        position = draw(st.integers(1, len(segment) - 1))
        segment[position] += source.component + draw(st.sampled_from(_VALUES))


_Mutation = Callable[[st.DrawFn, list[list[str]], int, _Source], None]
_MUTATIONS: dict[str, _Mutation] = {
    "value": _value,
    "drop": lambda _draw, body, at, _source: body.__delitem__(at),
    "double": lambda _draw, body, at, _source: body.insert(at, list(body[at])),
    "swap": _swap,
    "tag": lambda draw, body, at, _source: body[at].__setitem__(0, draw(st.sampled_from(_TAGS))),
    "cut": lambda draw, body, at, _source: body[at].__delitem__(
        slice(draw(st.integers(1, max(1, len(body[at])))), None)),
    "extend": lambda draw, body, at, _source: body[at].extend(
        draw(st.lists(st.sampled_from(_VALUES), min_size=1, max_size=3))),
    "hl": _hl,
    "borrow": _borrow,
    "component": _component,
}


def mutated_file(sets: list[tuple[int, list[list[str]]]]) -> bytes:
    """One interchange per version, one group per source sample, the sets in it."""
    by_version: dict[str, dict[int, list[list[list[str]]]]] = {}
    for index, body in sets:
        by_version.setdefault(_SOURCES[index].version, {}).setdefault(index, []).append(body)
    return b"".join(_interchange(groups, number)
                    for number, groups in enumerate(by_version.values(), start=1))


def _interchange(groups: dict[int, list[list[list[str]]]], number: int) -> bytes:
    first = _SOURCES[next(iter(groups))]
    e, t = first.element, first.terminator
    isa = first.isa.split(e)
    isa[13] = f"{number:09d}"
    out = [e.join(isa)]
    for control, (index, bodies) in enumerate(groups.items(), start=1):
        source = _SOURCES[index]
        gs = source.gs.split(source.element)
        gs[6] = str(control)
        out.append(e.join(gs))
        for ordinal, body in enumerate(bodies, start=1):
            st_segment = [*source.st]
            st_segment[2] = f"{ordinal:04d}"
            segments = [st_segment, *body]
            out += [e.join(_translated(s, source, first)) for s in segments]
            out.append(e.join(["SE", str(len(segments) + 1), f"{ordinal:04d}"]))
        out.append(e.join(["GE", str(len(bodies)), str(control)]))
    out.append(e.join(["IEA", str(len(groups)), f"{number:09d}"]))
    return (t.join(out) + t).encode("latin-1")


def _translated(segment: list[str], source: _Source, into: _Source) -> list[str]:
    if source.component == into.component:
        return segment
    return [v.replace(source.component, into.component) for v in segment]


@seed(SEED)
@settings(max_examples=FILES, derandomize=False, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(mutated_set(), min_size=SETS_PER_FILE, max_size=SETS_PER_FILE))
def test_the_engines_agree_on_mutated_sets(sets: list[tuple[int, list[list[str]]]]) -> None:
    assert_engines_agree(mutated_file(sets), "mutated file")


def test_the_mutations_are_not_vacuous() -> None:
    """A sample of the mutated files is mostly rejected, for many different reasons: the
    comparison above is over real disagreements a validator has to judge."""
    examples: list[bytes] = []

    @seed(SEED)
    @settings(max_examples=5, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.lists(mutated_set(), min_size=SETS_PER_FILE, max_size=SETS_PER_FILE))
    def collect(sets: list[tuple[int, list[list[str]]]]) -> None:
        examples.append(mutated_file(sets))
    collect()
    codes = {str(x.x12) for data in examples for x in assess(data, FAST).all_findings()
             if x.x12 is not None}
    assert {"AK304 1", "AK304 3", "AK403 1", "AK403 4", "AK403 7"} <= {
        c.replace("IK", "AK") for c in codes}
    assert len(codes) >= 12
