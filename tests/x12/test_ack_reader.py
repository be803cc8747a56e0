"""Reading partners' TA1 / 997 / 999: what our own builder writes reads back the same, and
hand-written or broken acknowledgements are read, or skipped, never crashed on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.x12.ack import AckPolicy, FunctionalAck, OutboundAck, Ta1Policy, build_acknowledgements
from gateway.x12.ack_reader import ReceivedAck, SetAck, read_acknowledgements
from gateway.x12.assess import Assessment, GroupResult, InterchangeResult, Outcome, assess
from gateway.x12.write import Identity, SequentialControlNumbers
from tests.x12.x12text import group, interchange, transaction

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
US = Identity("ZZ", "RLGATEWAY", "RLGATEWAY")
NOW = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
POLICIES = {
    "997-on-request": AckPolicy(),
    "999-always": AckPolicy(functional=FunctionalAck.ACK_999, ta1=Ta1Policy.ALWAYS),
}
ISA_5010 = ("ISA*00*          *00*          *ZZ*PARTNER        *ZZ*RLGATEWAY      "
            "*240102*1300*^*00501*{control}*0*P*>")


def sample_files() -> list[Path]:
    return sorted([*SAMPLES.glob("valid/*.x12"), *SAMPLES.glob("defects/*.x12")])


def read(text: str) -> list[ReceivedAck]:
    return read_acknowledgements(assess(text.encode("latin-1")))


def built(data: bytes, policy: AckPolicy) -> tuple[Assessment, list[OutboundAck]]:
    assessment = assess(data)
    return assessment, build_acknowledgements(assessment, US, policy,
                                              SequentialControlNumbers(7001, 300), NOW)


# --- what our own builder wrote reads back the same ---------------------------------------------
@pytest.mark.parametrize("policy", POLICIES.values(), ids=POLICIES.keys())
@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name)
def test_acknowledgements_we_build_read_back_as_built(path: Path, policy: AckPolicy) -> None:
    inbound, answers = built(path.read_bytes(), policy)
    for answer, answered in zip(answers, answered_interchanges(inbound, answers), strict=True):
        received = read(answer.text)
        ta1s = [r for r in received if r.kind == "TA1"]
        functional = [r for r in received if r.kind != "TA1"]
        assert [r.code for r in ta1s] == ([answer.ta1] if answer.ta1 else [])
        for ta1 in ta1s:
            theirs = answered.interchange.control
            assert ta1.interchange_control == (theirs.rjust(9, "0") if theirs.isdigit()
                                               else "0" * 9)
            assert ta1.from_interchange == answer.control_number
            assert ta1.note is not None and ta1.note[:3].isdigit()
        assert [r.kind for r in functional] == list(answer.functional)
        # A rejected interchange is answered by its TA1 alone; acknowledgements never get one.
        groups = [] if answered.outcome is Outcome.REJECTED else [
            g for g in answered.groups if not g.is_acknowledgement]
        for ack, group_result in zip(functional, groups, strict=True):
            assert_reads_as_group(ack, group_result)
            assert ack.from_interchange == answer.control_number


def answered_interchanges(inbound: Assessment,
                          answers: list[OutboundAck]) -> list[InterchangeResult]:
    """The inbound interchange each answer is for, in order (two may share an ISA13)."""
    found, remaining = [], iter(inbound.interchanges)
    for answer in answers:
        found.append(next(i for i in remaining if i.interchange.control == answer.acknowledges))
    return found


def assert_reads_as_group(ack: ReceivedAck, group_result: GroupResult) -> None:
    assert ack.interchange_control is None
    assert ack.group_control == group_result.group.control
    assert ack.functional_id == group_result.group.functional_id
    expected_code = {Outcome.ACCEPTED: "A", Outcome.PARTIALLY_ACCEPTED: "P"}.get(
        group_result.outcome, "R")
    assert ack.code == expected_code
    group_errors = [x.x12.value for x in group_result.findings if x.is_error and x.x12]
    assert (ack.note is None) == (not group_errors)
    listed = group_result.sets if group_result.grammar is not None else []
    assert [(s.set_id, s.control) for s in ack.sets] == [(r.ts.set_id, r.ts.control)
                                                         for r in listed]
    for set_ack, result in zip(ack.sets, listed, strict=True):
        accepted = result.outcome is Outcome.ACCEPTED
        assert set_ack.code == ("A" if accepted else "R")
        assert (set_ack.errors == ()) == accepted


def test_a_rejected_code_reads_back_with_where_and_what_in_plain_words() -> None:
    _, [answer] = built((SAMPLES / "defects/at701-invalid-code.x12").read_bytes(), AckPolicy())
    [ack] = read(answer.text)
    assert (ack.kind, ack.code, ack.group_control, ack.functional_id) == ("997", "R", "220", "QM")
    assert ack.sets == (SetAck("214", "0001", "R", (
        "segment AT7 at position 12: invalid code value (AT701, data element 1650), found 'ZZ'",
        "transaction set: one or more segments in error")),)
    assert (ack.from_group, ack.from_set) == ("300", "0001")


def test_a_partly_accepted_group_lists_each_set() -> None:
    _, [answer] = built((SAMPLES / "defects/one-of-two-sets-bad.x12").read_bytes(), AckPolicy())
    [ack] = read(answer.text)
    assert ack.code == "P"
    assert [(s.control, s.code, len(s.errors)) for s in ack.sets] == [("0001", "A", 0),
                                                                     ("0002", "R", 2)]


def test_a_group_error_becomes_the_note() -> None:
    _, [answer] = built((SAMPLES / "defects/ge01-count-wrong.x12").read_bytes(), AckPolicy())
    [ack] = read(answer.text)
    assert ack.code == "R"
    assert ack.note == "5 number of included transaction sets does not match actual count"


def test_an_interchange_rejection_reads_back_as_a_ta1() -> None:
    _, [answer] = built((SAMPLES / "defects/iea02-mismatch.x12").read_bytes(), AckPolicy())
    [ta1] = read(answer.text)
    assert (ta1.kind, ta1.interchange_control, ta1.code) == ("TA1", "000000201", "R")
    assert ta1.note == ("001 the interchange control numbers in the header and trailer do not "
                        "match")
    assert (ta1.group_control, ta1.functional_id, ta1.sets) == (None, None, ())


def test_a_999_we_build_for_a_005010_error_reads_back_with_ik3_ik4() -> None:
    good = (SAMPLES / "valid/214-status-005010.x12").read_bytes()
    broken = good.replace(b"B10*10338120*SAIA0099338120*SAIA~", b"B10*10338120*SAIA0099338120~")
    assert broken != good
    _, [answer] = built(broken, POLICIES["999-always"])
    assert "IK4" in answer.text
    [ta1, ack] = read(answer.text)
    assert (ta1.kind, ack.kind, ack.code, ack.group_control) == ("TA1", "999", "R", "107")
    [set_ack] = ack.sets
    assert set_ack.code == "R"
    assert set_ack.errors[0] == ("segment B10 at position 2: mandatory data element missing "
                                 "(B1003, data element 140)")


# --- hand-written acknowledgements ----------------------------------------------------------
def ack_997(body: list[str], *, control: str = "000000301", ta1: str | None = None) -> str:
    text = interchange([group([transaction("997", body=body)], control="301",
                              functional_id="FA")], control=control)
    if ta1 is not None:  # right after the ISA, before the GS, where X12 places it
        isa_end = text.index("~") + 1
        text = text[:isa_end] + ta1 + "~" + text[isa_end:]
    return text


REJECTING_997 = [
    "AK1*AN*5021",
    "AK2*180*0001",
    "AK3*N9*4**8",
    "AK4*2*127*1",
    "AK4*7>2*127*4*X",
    "AK3*ZZZ*7",
    "AK3*BLI*9**3",
    "AK5*R*5",
    "AK9*R*2*1*0*5",
]


def test_a_hand_written_997_rejecting_a_set() -> None:
    [ack] = read(ack_997(REJECTING_997))
    assert ack == ReceivedAck(
        "997", None, "5021", "AN", "R",
        "5 number of included transaction sets does not match actual count",
        (SetAck("180", "0001", "R", (
            "segment N9 at position 4: mandatory data element missing (N902, data element 127)",
            "segment N9 at position 4: data element too short (N907-2, data element 127), "
            "found 'X'",
            "segment ZZZ at position 7: segment in error",
            "segment BLI at position 9: mandatory segment missing",
            "transaction set: one or more segments in error")),),
        "000000301", "301", "0001")


def test_a_hand_written_999_with_ik3_ik4_and_context() -> None:
    body = ["AK1*QM*9001*005010", "AK2*214*0007*005010", "IK3*AT7*6*0205*8",
            "IK4*1*1650*7*ZZ", "IK3*N1*4**I6", "IK5*R*5*I5", "AK2*214*0008", "IK5*A",
            "AK9*P*2*2*1"]
    text = "~".join([ISA_5010.format(control="000000302"),
                     "GS*FA*PARTNER*RLGATEWAY*20240102*1300*302*X*005010X231A1",
                     "ST*999*0001*005010X231A1", *body, f"SE*{len(body) + 2}*0001",
                     "GE*1*302", "IEA*1*000000302"]) + "~"
    assert assess(text.encode()).accepted
    [ack] = read(text)
    assert (ack.kind, ack.code, ack.group_control, ack.functional_id, ack.note) == (
        "999", "P", "9001", "QM", None)
    assert ack.sets == (
        SetAck("214", "0007", "R", (
            "segment AT7 at position 6 (loop 0205): invalid code value (AT701, data element "
            "1650), found 'ZZ'",
            "segment N1 at position 4: implementation dependent segment missing",
            "transaction set: one or more segments in error",
            "transaction set: implementation one or more segments in error")),
        SetAck("214", "0008", "A", ()))


def test_a_hand_written_ta1_rejecting_with_022() -> None:
    text = ("ISA*00*          *00*          *ZZ*PARTNER        *ZZ*RLGATEWAY      "
            "*240102*1300*U*00401*000000303*0*P*>~TA1*000004711*260116*1415*R*022~"
            "IEA*0*000000303~")
    assert read(text) == [ReceivedAck("TA1", "000004711", None, None, "R",
                                      "022 invalid control structure",
                                      from_interchange="000000303")]


def test_one_interchange_holding_a_ta1_and_a_997() -> None:
    text = ack_997(["AK1*QM*812", "AK2*214*0001", "AK5*A", "AK9*A*1*1*1"],
                   ta1="TA1*000004711*260116*1415*A*000")
    ta1, ack = read(text)
    assert (ta1.kind, ta1.interchange_control, ta1.code, ta1.note) == (
        "TA1", "000004711", "A", "000 no error")
    assert (ack.kind, ack.group_control, ack.code) == ("997", "812", "A")
    assert ack.sets == (SetAck("214", "0001", "A", ()),)
    assert ta1.from_interchange == ack.from_interchange == "000000301"


# --- what is not trusted, and odd content -------------------------------------------------------
def test_a_997_that_fails_validation_is_not_read() -> None:
    broken = ack_997(["AK1*QM*812", "AK2*214*0001", "AK5*Q", "AK9*A*1*1*1"])
    assert assess(broken.encode()).interchanges[0].groups[0].sets[0].outcome is Outcome.REJECTED
    assert read(broken) == []


def test_a_997_in_a_rejected_interchange_is_not_read_but_its_ta1_is() -> None:
    text = ack_997(["AK1*QM*812", "AK2*214*0001", "AK5*A", "AK9*A*1*1*1"],
                   ta1="TA1*000004711*260116*1415*E*000")
    text = text.replace("IEA*1*000000301", "IEA*1*000000999")  # IEA02 mismatch: TA1 note 001
    [ta1] = read(text)
    assert (ta1.kind, ta1.code) == ("TA1", "E")


def test_a_997_with_a_count_error_in_its_own_group_is_not_read() -> None:
    body = ["AK1*QM*812", "AK2*214*0001", "AK5*A", "AK9*A*1*1*1"]
    text = interchange([group([transaction("997", body=body)], control="5", functional_id="FA",
                              ge_count=2)])
    assert read(text) == []


@pytest.mark.parametrize("ta1", [
    "TA1*4711*260116*1415*A*000",  # TA101 not 9 digits
    "TA1*000004711*260116*1415*Q*000",  # TA104 not A/E/R
    "TA1*000004711",  # cut short
])
def test_a_malformed_ta1_is_skipped(ta1: str) -> None:
    text = ("ISA*00*          *00*          *ZZ*PARTNER        *ZZ*RLGATEWAY      "
            f"*240102*1300*U*00401*000000303*0*P*>~{ta1}~IEA*0*000000303~")
    assert read(text) == []


def test_an_unknown_note_code_keeps_the_code() -> None:
    text = ("ISA*00*          *00*          *ZZ*PARTNER        *ZZ*RLGATEWAY      "
            "*240102*1300*U*00401*000000303*0*P*>~TA1*000004711*260116*1415*R*099~"
            "IEA*0*000000303~")
    [ta1] = read(text)
    assert ta1.note == "099 code 099 (meaning not known to the gateway)"


def test_files_without_acknowledgements_give_none() -> None:
    for name in ("valid/214-status-004010.x12", "defects/not-x12.x12",
                 "defects/empty-file.x12", "defects/isa-truncated.x12"):
        assert read_acknowledgements(assess((SAMPLES / name).read_bytes())) == []


_SEGMENTS = st.sampled_from([
    "AK1*QM*812", "AK1*QM", "AK2*214*0001", "AK2", "AK3*N9*4**8", "AK3", "AK4*2*127*1",
    "AK4*99999999999999999>7*1*1", "AK4", "AK5*A", "AK5*R*5*4", "AK5", "IK3*N9*4", "IK4*1",
    "IK5*R", "AK9*A*1*1*1", "AK9*R*1*1*0*5*4", "AK9", "CTX*X", "ZZ*1", "",
])


def trusting(assessment: Assessment) -> Assessment:
    """The same file as if validation had let everything through: the reader's own parsing
    must cope with whatever a lenient validator might pass."""
    for result in assessment.interchanges:
        result.outcome = Outcome.ACCEPTED
        for group_result in result.groups:
            group_result.outcome = Outcome.ACCEPTED
            for set_result in group_result.sets:
                set_result.outcome = Outcome.ACCEPTED
    return assessment


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.lists(_SEGMENTS, max_size=12), ta1=st.text(max_size=40))
def test_odd_acknowledgement_content_never_raises(body: list[str], ta1: str) -> None:
    text = ack_997(body, ta1="TA1*" + ta1.replace("~", ""))
    results = read_acknowledgements(trusting(assess(text.encode("utf-8"))))
    for result in results:
        assert result.kind in ("TA1", "997")
        assert result.kind == "TA1" or result.code in ("A", "R")


def test_a_997_without_ak1_or_ak9_says_nothing_even_when_let_through() -> None:
    for body in (["AK2*214*0001", "AK5*A", "AK9*A*1*1*1"], ["AK1*QM*812", "AK2*214*0001"]):
        assert read_acknowledgements(trusting(assess(ack_997(body).encode()))) == []


def test_an_ak2_without_its_ak5_is_closed_by_the_next_one() -> None:
    body = ["AK1*QM*812", "AK2*214*0001", "AK3*N9*4**3", "AK2*214*0002", "AK5*A", "AK9*P*2*2*1"]
    [ack] = read_acknowledgements(trusting(assess(ack_997(body).encode())))
    assert ack.sets == (SetAck("214", "0001", "", ("segment N9 at position 4: mandatory "
                                                   "segment missing",)),
                        SetAck("214", "0002", "A", ()))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_after_an_isa_never_raise(data: bytes) -> None:
    head = ack_997(["AK1*QM*812"]).encode()[:106]
    read_acknowledgements(assess(head + data))
