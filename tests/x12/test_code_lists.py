"""Code lists: complete lists reject (AK403 7), everything else we know only warns.

The complete lists come from gateway/x12/grammar/source/codes-<version>.yaml through pyx12;
the warnings from gateway.x12.code_lists, fed the way validate.py feeds it: a set's segments
(ST..SE) as Intake.set_segments yields them, the interchange's separators and the set's Location.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.errors import GrammarError
from gateway.x12 import code_lists
from gateway.x12.assess import Assessment, assess
from gateway.x12.code_lists import UNKNOWN_CODE, unknown_code_warnings
from gateway.x12.envelope import read_intake
from gateway.x12.findings import Finding, Location, Severity
from gateway.x12.grammar import lookup
from gateway.x12.grammar.layout import ElementSpec, Slot
from gateway.x12.sets import grammar_for
from tests.x12.x12text import group, interchange, transaction

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("GATEWAY_CORPUS", ROOT.parent / "shared" / "corpus")) / "x12"

BODY_856 = [
    "BSN*00*ASN1*20240102*1300*0001",
    "HL*1**S*1",
    "REF*BM*BOL1",
    "N1*ST*RETURNS CENTER*92*RC01",
    "N4*LOUISVILLE*KY*40218*US",
    "HL*2*1*I*0",
    "LIN**UP*614141000364",
    "SN1**2*EA",
    "CTT*2",
]


def x12_856(version: str = "004010", **replace: str) -> bytes:
    body = list(BODY_856)
    for old, new in replace.items():
        body = [segment.replace(old, new) for segment in body]
    sets = [transaction("856", body=body)]
    return interchange([group(sets, functional_id="SH", version=version)]).encode("latin-1")


def x12_214(version: str, *replace: tuple[str, str]) -> bytes:
    body = ["B10*PRO12345*BOL777*ABCD", "N1*SH*ACME RETURNS", "N4*DALLAS*TX*75201*US", "LX*1",
            "AT7*X3*NS***20240102*1300*LT", "MS1*DALLAS*TX*US"]
    for old, new in replace:
        body = [segment.replace(old, new) for segment in body]
    sets = [transaction("214", body=body)]
    return interchange([group(sets, version=version)]).encode("latin-1")


def errors(assessment: Assessment) -> list[Finding]:
    return [x for x in assessment.all_findings() if x.is_error]


def warnings_for(data: bytes) -> list[Finding]:
    """What validate.py gets from code_lists for every set of ``data``."""
    intake = read_intake(data)
    found: list[Finding] = []
    for interchange_ in intake.interchanges:
        delimiters = interchange_.header.delimiters
        for group_ in interchange_.groups:
            for ts in group_.sets:
                grammar = grammar_for(group_.version, ts.set_id)
                if grammar is None:
                    continue
                where = interchange_.where().within(group=group_.ordinal, transaction=ts.ordinal,
                                                    st02=ts.control)
                found += unknown_code_warnings(grammar.family, ts.set_id,
                                               intake.set_segments(interchange_, ts),
                                               delimiters.component, delimiters.repetition, where)
    return found


# --- complete lists: enforced by pyx12 as AK403 7 --------------------------------------------
@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_code_outside_a_complete_list_rejects_the_set_with_ak4_code_7(version: str) -> None:
    assessment = assess(x12_856(version, **{"HL*2*1*I*0": "HL*2*1*QQ*0"}))
    bad = errors(assessment)
    assert not assessment.accepted
    assert [(x.x12 and str(x.x12), x.location.segment_tag, x.location.segment_position,
             x.location.element_position, x.location.element_number, x.found) for x in bad] == [
        ("AK403 7", "HL", 7, 3, "735", "QQ")]


def test_the_same_file_with_a_real_level_code_is_accepted() -> None:
    assert assess(x12_856()).accepted
    assert warnings_for(x12_856()) == []


def test_a_newly_complete_005010_list_is_enforced() -> None:
    # 98 Entity Identifier Code: the whole 005010 list is enforced; 'IX' is in no release.
    assessment = assess(x12_214("005010", ("N1*SH*", "N1*IX*")))
    assert [(x.location.segment_tag, x.location.element_number, x.found)
            for x in errors(assessment)] == [("N1", "98", "IX")]


def test_a_bad_code_in_a_composite_component_is_located_at_the_component() -> None:
    assessment = assess(x12_856(**{"REF*BM*BOL1": "REF*BM*BOL1**BM>X1>YG>X2"}))
    bad = errors(assessment)
    assert [(str(x.x12), x.location.element_position, x.location.component_position,
             x.location.element_number, x.found) for x in bad] == [("AK403 7", 4, 3, "128", "YG")]


def test_004010_997_accepts_the_duplicate_group_control_code_19_that_the_gateway_sends() -> None:
    # 716 in 004010 has 23 codes (with 19-22); the list taken from pyx12's HIPAA 997 had 19.
    body = ["AK1*SH*1", "AK9*R*0*0*0*19"]
    data = interchange([group([transaction("997", body=body)], functional_id="FA")])
    assert assess(data.encode("latin-1")).accepted


# --- codes of another release: accepted, with a warning -------------------------------------
def test_a_later_release_qualifier_in_004010_is_accepted_with_a_located_warning() -> None:
    # REF01 'UCB' is a 005010 code of element 128 (the corpus Sunkist 004010VICS ASN sends it).
    data = x12_856(**{"REF*BM*BOL1": "REF*UCB*BOL1"})
    assert assess(data).accepted
    (warning,) = warnings_for(data)
    assert warning.severity is Severity.WARNING and warning.code == UNKNOWN_CODE
    where = warning.location
    assert (where.interchange, where.group, where.transaction, where.st02) == (1, 1, 1, "0001")
    assert (where.segment_position, where.segment_tag, where.element_position,
            where.component_position, where.element_number) == (4, "REF", 1, None, "128")
    assert warning.found == "UCB" and "004010" in (warning.expected or "")
    assert "REF01" in warning.message and "another release" in warning.message


def test_an_other_release_code_in_a_composite_names_its_component() -> None:
    data = x12_856(**{"REF*BM*BOL1": "REF*BM*BOL1**BM>X1>UCB>X2"})
    assert assess(data).accepted
    assert [(x.location.element_position, x.location.component_position, x.found)
            for x in warnings_for(data)] == [(4, 3, "UCB")]


def test_normal_status_ns_is_not_a_005010_code_but_only_warns() -> None:
    # 1651 lost NS (and NA) after 004010; carriers still send it, so 005010 warns, 004010 not.
    data = x12_214("005010")
    assert assess(data).accepted
    assert [(x.location.segment_tag, x.location.element_position, x.found)
            for x in warnings_for(data)] == [("AT7", 2, "NS")]
    assert warnings_for(x12_214("004010")) == []


# --- lists we know only in part: never a rejection ------------------------------------------
@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_code_outside_an_incomplete_list_is_accepted_with_a_warning(version: str) -> None:
    data = x12_214(version, ("75201*US", "75201*XK"))  # N404 country (ISO list: incomplete)
    assessment = assess(data)
    assert assessment.accepted, errors(assessment)
    codes = {(x.location.segment_position, x.location.element_number, x.found): x
             for x in warnings_for(data)}
    warning = codes[(4, "26", "XK")]
    assert "incomplete" in warning.message and "N404" in warning.message
    assert warning.expected == f"a code from the {version} list of data element 26 (Country Code)"


def test_empty_values_trailing_spaces_and_undefined_segments_give_no_warning() -> None:
    segments = [["ST", "214", "0001"], ["N4", "DALLAS", "TX ", "75201", ""], ["ZZZ", "XK"],
                ["SE", "4", "0001"]]
    assert unknown_code_warnings("004010", "214", segments, ">", None, Location()) == []


def test_repeated_elements_are_checked_one_repetition_at_a_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # None of our maps has a repeatable ID element yet; this is the shape one will have.
    state = ElementSpec("156", "ID", 2, 2, "State or Province Code")
    repeated = {"N4": (Slot("19", (ElementSpec("19", "AN", 2, 30, "City"),), False, 1),
                       Slot("156", (state,), composite=False, repeat=5))}
    monkeypatch.setattr(code_lists, "segment_layouts", lambda _family, _set_id: repeated)
    found = unknown_code_warnings("005010", "214", [["N4", "DALLAS", "TX^QQ^KY^Q2"]], ">", "^",
                                  Location(transaction=1))
    assert [(x.location.repetition_position, x.found) for x in found] == [(2, "QQ"), (4, "Q2")]
    assert "(repeat 2)" in found[0].message


def test_a_missing_code_list_file_is_a_grammar_error(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    lookup.code_lists.cache_clear()
    monkeypatch.setattr(lookup, "map_dir", lambda _family: tmp_path)
    try:
        with pytest.raises(GrammarError, match=r"known-codes\.json"):
            lookup.code_lists("004010")
    finally:
        lookup.code_lists.cache_clear()


# --- real files: verdicts unchanged, warnings only where the file really is off the list ----
def _files() -> list[Path]:
    files = sorted((ROOT / "samples" / "valid").glob("*.x12"))
    return files + (sorted(CORPUS.glob("*/*.edi")) if CORPUS.is_dir() else [])


EXPECTED_WARNINGS = {  # (file, element, value): each checked against the source lists
    ("214-status-005010.x12", "1651", "NS"),  # NS: 004010 only (twice in the file)
    ("gozer-sunkist-perishable.edi", "128", "UCB"),  # UCB: a 005010 code in a 004010VICS file
    # Values too long for their element (staedi's deliberately invalid 997s, Ex4's N402
    # 'LOCSTATE') are the validator's AK403 5 errors and give no warning of their own.
}


def test_every_sample_and_corpus_file_warns_only_where_it_uses_a_code_off_its_list() -> None:
    found = set()
    for path in _files():
        for warning in warnings_for(path.read_bytes()):
            assert warning.severity is Severity.WARNING and warning.code == UNKNOWN_CODE
            assert warning.location.segment_position and warning.location.element_position
            found.add((path.name, warning.location.element_number, warning.found))
    expected = {w for w in EXPECTED_WARNINGS
                if any(p.name == w[0] for p in _files())}
    assert found == expected
