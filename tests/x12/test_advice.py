"""The 824 Application Advice: what it says, that it survives any text and delimiters, that it
validates against our own 824 grammar in 004010 and 005010, and the golden samples."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.x12.advice import (
    MAX_NOTE_LINES,
    MISSING_DATA,
    OTHER_REASON,
    ApplicationAdvice,
    Reason,
    UnusableSet,
    application_advice_824,
)
from gateway.x12.assess import Assessment, assess
from gateway.x12.findings import Severity
from gateway.x12.isa import Delimiters
from gateway.x12.write import DEFAULT_DELIMITERS, Envelope, Identity, write_interchange

US = Identity("ZZ", "RLGATEWAY", "RLGATEWAY")
AT = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
GOLDEN = Path(__file__).resolve().parents[2] / "samples" / "advice"
UPDATE_GOLDEN = os.environ.get("GATEWAY_UPDATE_GOLDEN") == "1"
ODD_DELIMITERS = [
    DEFAULT_DELIMITERS,
    Delimiters(element="|", component="^", segment="\n"),
    Delimiters(element="+", component=":", segment="'", repetition="{"),
    Delimiters(element="~", component=">", segment="*"),
]
HOSTILE = "BSN*03 ~ship date~ is\r\nmissing >:| ^ 'x' + été\t\x00 end"


def unusable(**changes: object) -> UnusableSet:
    values: dict[str, object] = {
        "set_id": "856", "interchange_control": "000000105", "group_control": "105",
        "set_control": "0001", "reference": "ASN20260122004", "version": "005010",
        "reasons": (Reason("The ship notice names no RMA we know: no REF*RZ and no PRF of an "
                           "open return case", code=MISSING_DATA),
                    Reason("SN102 quantity 0 cannot be used: a shipped item needs a quantity "
                           "above zero", "SN1", 18))}
    values.update(changes)
    return UnusableSet(**values)  # type: ignore[arg-type]


def body(*sets: UnusableSet) -> list[list[str]]:
    return application_advice_824("ADV000105", AT, sets or (unusable(),))


def envelope(version: str, delimiters: Delimiters = DEFAULT_DELIMITERS) -> Envelope:
    return Envelope(US, ("01", "614832907"), "NORTHWINDHS", version, delimiters, 1, 1)


def written(segments: Sequence[Sequence[str]], version: str,
            delimiters: Delimiters = DEFAULT_DELIMITERS) -> str:
    return write_interchange("AG", [("824", segments)], envelope(version, delimiters), AT).text


def assert_valid(text: str) -> Assessment:
    """Accepted by our own 824 grammar, with nothing to say about it."""
    assessment = assess(text.encode("latin-1"))
    problems = [str(x) for x in assessment.all_findings() if x.severity is not Severity.INFO]
    assert problems == []
    assert assessment.accepted
    [interchange] = assessment.interchanges
    [group] = interchange.groups
    assert group.group.functional_id == "AG"
    assert [s.ts.set_id for s in group.sets] == ["824"]
    return assessment


def split(text: str, delimiters: Delimiters) -> list[list[str]]:
    return [s.split(delimiters.element) for s in text.split(delimiters.segment) if s.strip()]


# --- what it says -----------------------------------------------------------------------------
def test_an_advice_names_the_set_rejects_it_and_gives_each_reason() -> None:
    segments = body()
    assert segments[0] == ["BGN", "00", "ADV000105", "20260102", "0304", "UT"]
    assert segments[1] == ["OTI", "TR", "TN", "0001", "", "", "", "", "105", "0001", "856",
                           "005010"]
    assert segments[2] == ["REF", "SI", "ASN20260122004"]
    teds = [s for s in segments if s[0] == "TED"]
    assert teds == [
        ["TED", MISSING_DATA, "The ship notice names no RMA we know: no REF*RZ and no PRF"],
        ["TED", OTHER_REASON, "SN102 quantity 0 cannot be used: a shipped item needs a", "SN1",
         "18"]]
    notes = [s[2] for s in segments if s[0] == "NTE"]
    assert all(s[1] == "" for s in segments if s[0] == "NTE")
    words = " ".join(notes)
    assert words.count("856 ASN20260122004 (interchange 000000105, group 105, set 0001) could "
                       "not be used:") == 2
    assert "no PRF of an open return case" in words and "above zero" in words


def test_each_set_gets_its_own_oti_loop_in_order() -> None:
    first = unusable()
    second = unusable(set_id="180", interchange_control="000000101", group_control="101",
                      set_control="0002", reference="RR20260114001", version=None,
                      reasons=(Reason("Line 2: return reason ZZ in RDR02 is not one we know",
                                      "RDR", 15),))
    segments = body(first, second)
    otis = [s for s in segments if s[0] == "OTI"]
    assert otis[1] == ["OTI", "TR", "TN", "0002", "", "", "", "", "101", "0002", "180"]
    assert [s for s in segments if s[0] == "REF"][1] == ["REF", "OD", "RR20260114001"]
    second_loop = segments[segments.index(otis[1]):]
    assert [s[0] for s in second_loop] == ["OTI", "REF", "TED", "NTE", "NTE"]
    words = " ".join(s[2] for s in second_loop[3:])
    assert words == ("180 RR20260114001 (interchange 000000101, group 101, set 0002) could not "
                     "be used: Line 2: return reason ZZ in RDR02 is not one we know")


@pytest.mark.parametrize(("set_id", "qualifier"), [
    ("180", "OD"), ("856", "SI"), ("214", "CN"), ("861", "RV"), ("810", "ZZ")])
def test_the_reference_qualifier_follows_the_set_unless_named(set_id: str, qualifier: str) -> None:
    assert body(unusable(set_id=set_id))[2] == ["REF", qualifier, "ASN20260122004"]
    assert body(unusable(set_id=set_id, reference_qualifier="BM"))[2][1] == "BM"


def test_without_a_reference_there_is_no_ref_and_the_words_name_the_set() -> None:
    segments = body(unusable(reference=None))
    assert "REF" not in [s[0] for s in segments]
    notes = [s[2] for s in segments if s[0] == "NTE"]
    assert notes[0].startswith("856 (interchange 000000105, group 105, set 0001) could not be")


def test_control_numbers_are_echoed_as_received() -> None:
    oti = body(unusable(group_control="000000105", set_control="000000042"))[1]
    assert (oti[3], oti[8], oti[9]) == ("000000042", "000000105", "000000042")


# --- cleaning and cutting -------------------------------------------------------------------
def test_free_text_is_one_line_of_x12_characters_cut_to_its_element() -> None:
    long_reason = "word " * 40 + HOSTILE
    segments = body(unusable(reasons=(Reason(long_reason),)))
    [ted] = [s for s in segments if s[0] == "TED"]
    assert len(ted[2]) <= 60 and ted[2] == ted[2].strip() and " word" in ted[2]
    assert ted[2].endswith("word")  # cut after a word, not inside one
    notes = [s[2] for s in segments if s[0] == "NTE"]
    assert all(0 < len(n) <= 80 and n == n.strip() for n in notes)
    text = " ".join(notes)
    assert "\r" not in text and "\n" not in text and "\t" not in text and "\x00" not in text
    assert "BSN*03 ~ship date~ is missing >:| ? 'x' + ?t? ? end" in text  # ^ é \x00 -> ?


def test_a_very_long_reason_is_cut_to_ten_note_lines_that_say_so() -> None:
    segments = body(unusable(reasons=(Reason("too long " * 400),)))
    notes = [s[2] for s in segments if s[0] == "NTE"]
    assert len(notes) == MAX_NOTE_LINES
    assert notes[-1].endswith("...") and len(notes[-1]) <= 80


def test_a_position_beyond_six_digits_is_left_out() -> None:
    segments = body(unusable(reasons=(Reason("far away", "LIN", 1_000_000),)))
    assert [s for s in segments if s[0] == "TED"] == [["TED", OTHER_REASON, "far away", "LIN"]]
    assert ["TED", OTHER_REASON, "near", "LIN", "999999"] in body(
        unusable(reasons=(Reason("near", "LIN", 999_999),)))


@pytest.mark.parametrize("delimiters", ODD_DELIMITERS, ids=repr)
def test_no_text_can_split_an_element_or_a_segment(delimiters: Delimiters) -> None:
    reasons = (Reason(HOSTILE, "BSN", 2), Reason(HOSTILE * 3))
    segments = body(unusable(reasons=reasons, reference="ASN|1+2:3"))
    text = written(segments, "005010", delimiters)
    rows = split(text, delimiters)
    st = next(i for i, r in enumerate(rows) if r[0] == "ST")
    assert [r[0] for r in rows[st + 1:st + 1 + len(segments)]] == [s[0] for s in segments]
    for row, segment in zip(rows[st + 1:], segments, strict=False):
        assert len(row) == len(segment)
    assert_valid(text)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reason=st.text(min_size=1, max_size=300), delimiters=st.sampled_from(ODD_DELIMITERS),
       version=st.sampled_from(["004010", "005010"]))
def test_any_reason_text_stays_valid(reason: str, delimiters: Delimiters, version: str) -> None:
    if not reason.split():
        reason = "x"
    text = written(body(unusable(reasons=(Reason(reason, "BSN", 2),))), version, delimiters)
    assert_valid(text)


# --- refused ------------------------------------------------------------------------------------
@pytest.mark.parametrize("changes", [
    {"set_id": "85"}, {"set_id": "8A6"}, {"set_control": "001"}, {"set_control": "0\x0101"},
    {"set_control": "1234567890"}, {"group_control": "10A"}, {"group_control": ""},
    {"group_control": "1234567890"}, {"interchange_control": "00000010X"},
    {"reference": "R" * 31}, {"reference": "  "}, {"reference_qualifier": "s"},
    {"reference_qualifier": "ABCD"}, {"version": "004010-X"}, {"version": ""}, {"reasons": ()},
    {"reasons": (Reason(" \r\n "),)}, {"reasons": (Reason("x", code="0244"),)},
    {"reasons": (Reason("x", code="a"),)}, {"reasons": (Reason("x", "b1"),)},
    {"reasons": (Reason("x", "BSN", 0),)},
], ids=repr)
def test_what_does_not_fit_is_refused_rather_than_changed(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        body(unusable(**changes))


def test_an_advice_needs_sets_a_fitting_id_and_an_aware_moment() -> None:
    with pytest.raises(ValueError, match="at least one"):
        application_advice_824("ADV1", AT, [])
    with pytest.raises(ValueError, match="BGN02"):
        application_advice_824("A" * 31, AT, [unusable()])
    with pytest.raises(ValueError, match="timezone-aware"):
        application_advice_824("ADV1", datetime(2026, 1, 2, 3, 4), [unusable()])


def test_the_moment_is_written_in_utc() -> None:
    eastern = timezone(timedelta(hours=-5))
    bgn = application_advice_824("ADV1", datetime(2026, 1, 1, 22, 30, tzinfo=eastern),
                                 [unusable()])[0]
    assert bgn[3:] == ["20260102", "0330", "UT"]


# --- validity against our own grammar ---------------------------------------------------------
@pytest.mark.parametrize("version", ["004010", "004010VICS", "005010"])
@pytest.mark.parametrize("delimiters", ODD_DELIMITERS[:3], ids=repr)
def test_what_we_write_validates_against_our_824_grammar(version: str,
                                                         delimiters: Delimiters) -> None:
    sets = (unusable(), unusable(set_id="214", set_control="0007", reference="0771001234",
                                 reasons=(Reason("B10 names a PRO no return shipment carries",
                                                 "B10", 2),)))
    text = written(body(*sets), version, delimiters)
    assessment = assert_valid(text)
    [interchange] = assessment.interchanges
    assert interchange.groups[0].grammar is not None
    assert interchange.groups[0].grammar.family == version[:6]


def test_the_policy_values() -> None:
    assert [p.value for p in ApplicationAdvice] == ["none", "x12-824"]


# --- golden samples -----------------------------------------------------------------------------
# What we send, for a 004010 partner (a 180 return request we could not use) and a 005010
# partner (an 856 ship notice we could not use), written by the builder with the partner's
# delimiters, ISA13 / GS06 1 and the clock fixed at AT. GATEWAY_UPDATE_GOLDEN=1 rewrites them.
def golden_180_004010() -> str:
    request = UnusableSet(
        "180", "000000101", "101", "0001", reference="RR20260114001", version="004010",
        reasons=(Reason("Line 2: return reason ZZ in RDR02 is not an X12 1293 return reason "
                        "code we know", "RDR", 15),
                 Reason("The request names no ship-from party: an N1 loop with SF is needed "
                        "to know where the goods come from", code=MISSING_DATA)))
    segments = application_advice_824("ADV000101", AT, [request])
    return written(segments, "004010")


def golden_856_005010() -> str:
    notice = unusable()
    segments = application_advice_824("ADV000105", AT, [notice])
    delimiters = Delimiters(element="*", component=">", segment="~", repetition="^")
    return written(segments, "005010", delimiters)


@pytest.mark.parametrize(("name", "make"), [
    ("824-unusable-180-004010.x12", golden_180_004010),
    ("824-unusable-856-005010.x12", golden_856_005010),
])
def test_golden_advice_samples(name: str, make: object) -> None:
    assert callable(make)
    text: str = make()
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(text.encode("latin-1"))
    assert path.read_bytes() == text.encode("latin-1")
    assert_valid(path.read_text(encoding="latin-1"))


def test_the_advice_folder_holds_only_the_two_samples() -> None:
    assert sorted(p.name for p in GOLDEN.iterdir()) == [
        "824-unusable-180-004010.x12", "824-unusable-856-005010.x12"]
