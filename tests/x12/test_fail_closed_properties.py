"""Issue 11 as properties: valid samples mutated the ways hostile or unlucky partners do.

Each example takes a valid sample with two transaction sets, mutates the first (a long or huge
segment, a repeated element, a poisoned number) and plants a plain defect (an unknown segment) at
the end of the second. If validation ever stopped early, the planted defect would go unseen and
the second set would be accepted: so "the second set is rejected" proves it was read to the end,
and "the first set is rejected" proves the mutation was judged. Re-delimiting a file (control
characters included) must change nothing but the delimiters. Every acknowledgement built for
any of these files must itself validate, and every AK3 code 8 must name its elements.

``HYPOTHESIS_PROFILE=long`` digs deeper (see tests/conftest.py).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.x12.ack import AckPolicy, FunctionalAck, Ta1Policy, build_acknowledgements
from gateway.x12.assess import Assessment, Outcome, assess
from gateway.x12.findings import Location
from gateway.x12.isa import read_isa
from gateway.x12.write import Identity, SequentialControlNumbers

VALID = Path(__file__).resolve().parents[2] / "samples" / "valid"
SAMPLES = ["180-return-request-004010.x12", "180-authorization-005010.x12",
           "214-status-004010.x12", "214-status-005010.x12", "856-pick-pack-004010.x12",
           "856-ship-notice-005010.x12", "856-pick-pack-004010VICS.x12"]
PLANTED = "ZZZ*PLANTED"
POISON = ["NaN", "Infinity", "-Infinity", "1E+999999999", "+5", "1,5", "0x1F", "1.", "--2",
          "\u0663"]
# Each example runs pyx12: fewer than the profile's default, more on demand.
EXAMPLES = settings(max_examples=min(settings.default.max_examples,
                                     int(os.environ.get("FAIL_CLOSED_EXAMPLES", "40"))))


def two_sets(name: str) -> tuple[str, list[str], list[str], str]:
    """(envelope head up to ST, first set's segments, second set's segments, tail from GE)."""
    text = (VALID / name).read_text(encoding="latin-1").replace("~\n", "~")
    head, rest = text.split("~ST*", 1)
    body, tail = rest.split("~GE*", 1)
    first = ("ST*" + body).split("~")
    second = [re.sub(r"^(ST|SE)\*(.*)\*0001$", r"\1*\2*0002", s) for s in first]
    return head + "~", first, second, "GE*" + tail


def joined(head: str, first: list[str], second: list[str], tail: str) -> str:
    ge = re.sub(r"^GE\*\d+\*", "GE*2*", tail)
    return head + "~".join(_recount(first)) + "~" + "~".join(_recount(second)) + "~" + ge


def _recount(segments: list[str]) -> list[str]:
    fields = segments[-1].split("*")
    fields[1] = str(len(segments))
    return [*segments[:-1], "*".join(fields)]


def with_planted(second: list[str]) -> list[str]:
    return [*second[:-1], PLANTED, second[-1]]


def outcomes(assessment: Assessment) -> list[Outcome]:
    return [s.outcome for i in assessment.interchanges for g in i.groups for s in g.sets]


def answers_validate(assessment: Assessment) -> None:
    """Every answer we would send reads back clean, and each AK3 code 8 has an AK4."""
    for functional in (FunctionalAck.ACK_997, FunctionalAck.ACK_999):
        policy = AckPolicy(functional=functional, ta1=Ta1Policy.ALWAYS)
        for answer in build_acknowledgements(
                assessment, Identity("ZZ", "RLGATEWAY", "RLGATEWAY"), policy,
                SequentialControlNumbers(), datetime(2026, 1, 2, tzinfo=UTC)):
            back = assess(answer.text.encode("latin-1"))
            problems = [f"{x.code}: {x.message}" for x in back.all_findings() if x.is_error]
            assert back.accepted, (problems, answer.text)
            _ak3_8_has_ak4(answer.text)


def _ak3_8_has_ak4(text: str) -> None:
    header = read_isa(text, 0, Location()).header
    assert header is not None
    d = header.delimiters
    segments = [s.split(d.element) for s in text.split(d.segment) if s]
    for index, segment in enumerate(segments):
        if segment[0] in ("AK3", "IK3") and segment[4:5] == ["8"]:
            assert segments[index + 1][0] in ("AK4", "IK4"), text


@EXAMPLES
@given(name=st.sampled_from(SAMPLES), at=st.integers(1, 100), size=st.integers(300, 60_000),
       shape=st.sampled_from(["REF*ZZ*{}", "N9*ZZ*{}", "ZZZ*{}", "{}", "PID*F****{}"]),
       filler=st.sampled_from("A7 -*>^~"))
def test_a_long_segment_anywhere_is_judged_and_the_rest_still_read(
        name: str, at: int, size: int, shape: str, filler: str) -> None:
    head, first, second, tail = two_sets(name)
    position = 1 + at % (len(first) - 1)  # after ST, at most just before SE
    value = (filler * size)[:size]
    mutated = [*first[:position], shape.format(value), *first[position:]]
    assessment = assess(joined(head, mutated, with_planted(second), tail).encode("latin-1"))
    assert outcomes(assessment)[1] is Outcome.REJECTED  # the planted defect was seen
    tags = {x.location.segment_tag for x in assessment.all_findings()}
    assert PLANTED.split("*", maxsplit=1)[0] in tags
    if filler not in "*>^~" and size > 300:
        assert outcomes(assessment)[0] is Outcome.REJECTED
    answers_validate(assessment)


@EXAMPLES
@given(name=st.sampled_from([s for s in SAMPLES if "005010" in s]),
       data=st.data())
def test_a_repeated_element_is_judged_as_repeats(name: str, data: st.DataObject) -> None:
    head, first, second, tail = two_sets(name)
    candidates = [(i, j) for i, s in enumerate(first[1:-1], start=1)
                  for j, value in enumerate(s.split("*")[1:], start=1) if value]
    i, j = data.draw(st.sampled_from(candidates))
    extra = data.draw(st.sampled_from(["X", "", "A>B", "1", "ZZ^YY"]))
    fields = first[i].split("*")
    fields[j] = f"{fields[j]}^{extra}"
    mutated = [*first[:i], "*".join(fields), *first[i + 1:]]
    assessment = assess(joined(head, mutated, with_planted(second), tail).encode("latin-1"))
    assert outcomes(assessment) == [Outcome.REJECTED, Outcome.REJECTED]
    assert "element.too-many-repetitions" in {x.code for x in assessment.all_findings()}
    answers_validate(assessment)


NUMERIC_SITES = {  # sample -> (segment tag, element position) of R / N elements it carries
    "180-return-request-004010.x12": [("BLI", 3), ("BLI", 6), ("QTY", 2)],
    "180-authorization-005010.x12": [("BLI", 3), ("BLI", 6), ("QTY", 2)],
    "856-pick-pack-004010.x12": [("SN1", 2), ("CTT", 1), ("CTT", 2), ("TD1", 2), ("TD1", 7)],
    "856-ship-notice-005010.x12": [("SN1", 2), ("CTT", 1)],
    "214-status-004010.x12": [("AT8", 3), ("AT8", 4)],
}


@EXAMPLES
@given(name=st.sampled_from(sorted(NUMERIC_SITES)), data=st.data(),
       poison=st.sampled_from(POISON))
def test_a_poisoned_number_is_rejected(name: str, data: st.DataObject, poison: str) -> None:
    head, first, second, tail = two_sets(name)
    sites = [(i, position) for i, s in enumerate(first)
             for tag, position in NUMERIC_SITES[name]
             if s.split("*")[0] == tag and len(s.split("*")) > position]
    i, position = data.draw(st.sampled_from(sites))
    fields = first[i].split("*")
    fields[position] = poison
    mutated = [*first[:i], "*".join(fields), *first[i + 1:]]
    assessment = assess(joined(head, mutated, second, tail).encode("utf-8"))
    assert outcomes(assessment) == [Outcome.REJECTED, Outcome.ACCEPTED]
    answers_validate(assessment)


DELIMITERS = st.sampled_from(["*", "|", "!", "\x1d", "\x1f", "\x1c", "+", "\x07", "\x1b", "\x7f"])


@EXAMPLES
@given(name=st.sampled_from(SAMPLES), element=DELIMITERS, component=DELIMITERS,
       segment=st.sampled_from(["~", "\x1e", "\x1c", "\n", "'", "\x85"]))
def test_re_delimiting_a_file_changes_nothing_but_its_delimiters(
        name: str, element: str, component: str, segment: str) -> None:
    head, first, second, tail = two_sets(name)
    original_text = joined(head, first, with_planted(second), tail)
    if len({element, component, segment}) < 3:
        return  # one character in two roles: refused, tested on its own
    text = (original_text.replace("*", "\x00e").replace(">", "\x00c").replace("~", "\x00s")
            .replace("\x00e", element).replace("\x00c", component).replace("\x00s", segment))
    if "005010" in name and len({element, component, segment, "^"}) < 4:
        return
    original, mutated = assess(original_text.encode("latin-1")), assess(text.encode("latin-1"))
    assert outcomes(mutated) == outcomes(original) == [Outcome.ACCEPTED, Outcome.REJECTED]
    codes = {x.code for x in mutated.all_findings()} - {"isa.unusual-delimiter"}
    assert codes == {x.code for x in original.all_findings()}
    answers_validate(mutated)
