"""Acknowledgements: what is answered, where the TA1 goes, what the 997/999 says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.x12.ack import AckPolicy, FunctionalAck, OutboundAck, Ta1Policy, build_acknowledgements
from gateway.x12.assess import assess
from gateway.x12.isa import Delimiters
from gateway.x12.write import Identity, SequentialControlNumbers
from tests.x12.x12text import BODY_214, group, interchange, simple, transaction

US = Identity("ZZ", "RLGATEWAY", "RLGATEWAYAPP")
NOW = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)


def acks(data: bytes, policy: AckPolicy | None = None, first: int = 1) -> list[OutboundAck]:
    numbers = SequentialControlNumbers(first, 500)
    return build_acknowledgements(assess(data), US, policy or AckPolicy(), numbers, NOW)


def segments(answer: OutboundAck) -> list[list[str]]:
    return [s.split("*") for s in answer.text.split("~") if s]


def tags(answer: OutboundAck) -> list[str]:
    return [s[0] for s in segments(answer)]


def find(answer: OutboundAck, tag: str) -> list[list[str]]:
    return [s for s in segments(answer) if s[0] == tag]


def test_accepted_214_gets_a_997_from_our_ids_with_caller_control_numbers() -> None:
    [answer] = acks(simple(), first=4711)
    isa = segments(answer)[0]
    assert (isa[5], isa[6].strip(), isa[7], isa[8].strip()) == ("ZZ", "RLGATEWAY", "ZZ", "PARTNER")
    assert isa[13] == "000004711" and answer.control_number == "000004711"
    assert isa[9:11] == ["260102", "0304"]
    assert tags(answer) == ["ISA", "GS", "ST", "AK1", "AK2", "AK5", "AK9", "SE", "GE", "IEA"]
    gs = find(answer, "GS")[0]
    assert gs[1:4] == ["FA", "RLGATEWAYAPP", "PARTNER"] and gs[6] == "500"
    assert gs[8] == "004010"  # the real version, not ISA12's 00401
    assert find(answer, "AK1") == [["AK1", "QM", "1"]]
    assert find(answer, "AK9") == [["AK9", "A", "1", "1", "1"]]
    assert find(answer, "SE") == [["SE", "6", "0001"]]
    assert find(answer, "IEA") == [["IEA", "1", "000004711"]]


def test_ta1_requested_goes_right_after_the_isa() -> None:
    [answer] = acks(simple(ack="1"))
    assert tags(answer)[:3] == ["ISA", "TA1", "GS"]
    assert find(answer, "TA1") == [["TA1", "000000001", "240102", "1300", "A", "000"]]


def test_rejected_interchange_gets_a_lone_ta1_and_no_997() -> None:
    [answer] = acks(simple(iea_control="000000009"))
    assert tags(answer) == ["ISA", "TA1", "IEA"]
    assert find(answer, "TA1")[0][4:] == ["R", "001"]
    assert find(answer, "IEA") == [["IEA", "0", answer.control_number]]
    assert answer.functional == ()


@pytest.mark.parametrize(("policy", "requested", "rejected", "expect_ta1"), [
    (Ta1Policy.NEVER, True, True, False),
    (Ta1Policy.ON_REQUEST, False, False, False),
    (Ta1Policy.ON_REQUEST, True, False, True),
    (Ta1Policy.ON_REQUEST, False, True, True),
    (Ta1Policy.ON_ERROR, True, False, False),
    (Ta1Policy.ON_ERROR, False, True, True),
    (Ta1Policy.ALWAYS, False, False, True),
])
def test_ta1_policy(policy: Ta1Policy, requested: bool, rejected: bool, expect_ta1: bool) -> None:
    data = simple(ack="1" if requested else "0",
                  iea_control="000000009" if rejected else None)
    answers = acks(data, AckPolicy(ta1=policy))
    assert any(a.ta1 is not None for a in answers) is expect_ta1


def test_never_a_997_for_a_997() -> None:
    body = ["AK1*QM*1", "AK2*214*0001", "AK5*A", "AK9*A*1*1*1"]
    data = interchange([group([transaction("997", body=body)], functional_id="FA")])
    assert acks(data.encode()) == []
    answers = acks(data.encode(), AckPolicy(ta1=Ta1Policy.ALWAYS))
    assert [tags(a) for a in answers] == [["ISA", "TA1", "IEA"]]


def test_ta1_only_interchange_is_never_answered() -> None:
    text = interchange([]).replace("IEA*0", "TA1*000000123*240101*1200*A*000~IEA*0")
    assert acks(text.encode(), AckPolicy(ta1=Ta1Policy.ALWAYS)) == []


def test_one_997_per_group_and_accepted_sets_are_listed() -> None:
    bad = transaction(control="0002", body=[b.replace("AT7*X3", "AT7*ZZ") for b in BODY_214])
    data = interchange([group([transaction(), bad]), group([transaction()], control="2")])
    [answer] = acks(data.encode())
    assert answer.functional == ("997", "997")
    assert [g[6] for g in find(answer, "GS")] == ["500", "501"]
    assert find(answer, "AK2") == [["AK2", "214", "0001"], ["AK2", "214", "0002"],
                                   ["AK2", "214", "0001"]]
    assert find(answer, "AK3") == [["AK3", "AT7", "5", "", "8"]]
    assert find(answer, "AK4") == [["AK4", "1", "1650", "7", "ZZ"]]
    assert find(answer, "AK5") == [["AK5", "A"], ["AK5", "R", "5"], ["AK5", "A"]]
    assert find(answer, "AK9") == [["AK9", "P", "2", "2", "1"], ["AK9", "A", "1", "1", "1"]]
    assert find(answer, "IEA")[0][1] == "2"


def test_envelope_codes_reach_ak5_and_ak9() -> None:
    data = interchange([group([transaction(se_count=99)], ge_count=3)]).encode()
    [answer] = acks(data)
    assert find(answer, "AK5") == [["AK5", "R", "4"]]
    assert find(answer, "AK9") == [["AK9", "R", "3", "1", "0", "5"]]


def test_unsupported_version_gets_ak1_and_ak9_only() -> None:
    data = interchange([group([transaction()], version="003020")]).encode()
    [answer] = acks(data)
    assert tags(answer)[3:6] == ["AK1", "AK9", "SE"]
    assert find(answer, "AK9") == [["AK9", "R", "1", "1", "0", "2"]]


BODY_214_5010 = ["B10*PRO12345*BOL777*ABCD", "LX*1", "AT8*G*L*120*4",
                 "AT7*X3*NS***20240102*1300*LT", "MS1*DALLAS*TX*US"]


def test_999_on_005010_groups_when_the_policy_asks() -> None:
    bad = transaction(control="0002", body=[b.replace("AT8*G*L*120", "AT8*G*L*ABC")
                                            for b in BODY_214_5010])
    data = interchange([group([transaction(body=BODY_214_5010), bad], version="005010")])
    [answer] = acks(data.encode(), AckPolicy(functional=FunctionalAck.ACK_999))
    assert answer.functional == ("999",)
    assert find(answer, "ST") == [["ST", "999", "0001", "005010X231A1"]]
    assert find(answer, "GS")[0][8] == "005010X231A1"
    assert find(answer, "AK1") == [["AK1", "QM", "1", "005010"]]
    assert find(answer, "IK3") == [["IK3", "AT8", "4", "", "8"]]
    assert [ik4[1:4] for ik4 in find(answer, "IK4")] == [["3", "81", "6"]]
    assert find(answer, "IK5") == [["IK5", "A"], ["IK5", "R", "5"]]
    assert find(answer, "AK9") == [["AK9", "P", "2", "2", "1"]]
    assert segments(answer)[0][12] == "00501"
    assert assess(answer.text.encode()).accepted


def test_999_policy_still_answers_004010_with_a_997() -> None:
    [answer] = acks(simple(), AckPolicy(functional=FunctionalAck.ACK_999))
    assert answer.functional == ("997",)


def test_partner_delimiters_are_used_and_bad_data_is_kept_as_data() -> None:
    body = [b.replace("AT7*X3", "AT7*Z#") for b in BODY_214]
    text = interchange([group([transaction(body=body)])])
    text = text.replace("*", "|").replace("#", "*").replace("~", "\n")
    [answer] = acks(text.encode())
    assert answer.text.count("\n") == 12 and "~" not in answer.text  # one per segment
    ak4 = next(s for s in answer.text.split("\n") if s.startswith("AK4"))
    assert ak4 == "AK4|1|1650|7|Z*"  # '*' is data for this partner, not a delimiter


def test_ak404_is_printable_ascii_without_delimiters() -> None:
    body = [b.replace("AT7*X3", "AT7*X\u00e9") for b in BODY_214]
    [answer] = acks(interchange([group([transaction(body=body)])]).encode("utf-8"))
    copies = [ak4[4] for ak4 in find(answer, "AK4")]
    assert copies and all(c.startswith("X") and c.isascii() and c.isprintable() for c in copies)
    assert not set("".join(copies)) & set("*~>")


def test_explicit_delimiters_override_the_partners() -> None:
    policy = AckPolicy(delimiters=Delimiters("|", ":", "\n", "^"))
    [answer] = acks(simple(), policy)
    assert answer.text.splitlines()[1].startswith("GS|FA|")


def test_every_997_we_build_validates_against_our_own_997_map() -> None:
    cases = [simple(), simple(ack="1"),
             interchange([group([transaction(se_count=99)], ge_count=3)]).encode(),
             interchange([group([transaction(body=BODY_214[1:])])]).encode()]
    for data in cases:
        for answer in acks(data):
            checked = assess(answer.text.encode())
            assert checked.accepted, answer.text


def test_an_empty_interchange_still_gets_its_ta1() -> None:
    [answer] = acks(interchange([], ack="1").encode())
    assert find(answer, "TA1")[0][4:] == ["R", "024"]
    assert find(answer, "IEA")[0][1] == "0"


def test_repetition_separator_never_collides_with_the_partners_delimiters() -> None:
    text = interchange([group([transaction(body=BODY_214_5010)], version="005010")])
    text = text.replace("*", "^")  # '^' is this partner's element separator
    [answer] = acks(text.encode())
    isa = answer.text.split("^")
    assert isa[11] not in ("^", ">", "~") and isa[12] == "00501"
    assert assess(answer.text.encode()).accepted


def test_a_214_group_mislabelled_fa_is_still_answered() -> None:
    [answer] = acks(interchange([group([transaction()], functional_id="FA")]).encode())
    assert find(answer, "AK1") == [["AK1", "FA", "1"]]
    assert find(answer, "AK2") == [["AK2", "214", "0001"]]
