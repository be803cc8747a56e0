"""Deciding 180 return requests: policy rules, recall holds, an operator's word, the answer."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from gateway.domain.correlation import KeyKind, keys_of, shared_keys
from gateway.domain.return_case import ReturnCase, answer_of, apply
from gateway.domain.rma_policy import (
    REQUEST_REASON_CODES,
    RESPONSE_REASONS,
    Decision,
    DecisionError,
    LineDecision,
    PolicyRule,
    RecallHoldError,
    ReturnsPolicy,
    Verdict,
    answer_document,
    decide,
    held_lines,
    operator_decision,
)
from gateway.model import (
    DatedEvent,
    Disposition,
    ItemId,
    ItemIdScheme,
    Money,
    Party,
    PartyRole,
    Purpose,
    Quantity,
    Reference,
    ResponseReason,
    ReturnAuthorization,
    ReturnLine,
    ReturnReason,
    ReturnReasons,
    ReturnStage,
)
from gateway.model.states import CaseState
from tests.domain import EASTERN, arrival, granola_recall, request_180

REPO = Path(__file__).resolve().parents[2]
AT = datetime(2026, 1, 15, 9, 30, tzinfo=EASTERN)
D = Decimal


def asked(number: int, code: str | None, quantity: str | None = "2",
          price: str | None = "34.50", **changes: object) -> ReturnLine:
    line = ReturnLine(
        number, item_ids=(ItemId(ItemIdScheme.UPC, f"61414100{number:04d}", "UP"),),
        quantity=Quantity(D(quantity), "EA") if quantity is not None else None,
        unit_price=Money(D(price), qualifier="UCP") if price is not None else None,
        reasons=ReturnReasons(disposition=Disposition.AUTHORIZATION_PENDING,
                              disposition_code="RP", request_reason_code=code,
                              request_reason=ReturnReason.DAMAGED if code == "DA" else None),
        notes=("Carton crushed",), original_po="4500012345")
    return replace(line, **changes)  # type: ignore[arg-type]


def request(*lines: ReturnLine, rma: str | None = None) -> ReturnAuthorization:
    return ReturnAuthorization(
        document_id="RR20260114001", stage=ReturnStage.REQUEST, purpose=Purpose.ORIGINAL,
        purpose_code="00", document_date=date(2026, 1, 14), rma_number=rma,
        parties=(Party(PartyRole.SHIP_FROM, "SF", "Northwind Home Stores 0412"),),
        references=(Reference("IA", "V0042"),), lines=lines)


NORTHWIND = ReturnsPolicy(rules=(
    PolicyRule(Verdict.AUTHORIZE, frozenset({"DM", "DA"}), max_quantity=D(10),
               max_value=D(500)),
    PolicyRule(Verdict.DENY, frozenset({"EO"}), response_reason="OS"),
), rma_prefix="NW")


def verdicts(decision: Decision) -> list[Verdict]:
    return [line.verdict for line in decision.lines]


# --- the policy --------------------------------------------------------------------------------
def test_the_first_rule_that_applies_decides_each_line() -> None:
    decision = decide(request(asked(1, "DA"), asked(2, "EO"), asked(3, "WG")), NORTHWIND, {})

    first, second, third = decision.lines
    assert (first.verdict, first.disposition_code, first.quantity) == \
        (Verdict.AUTHORIZE, "RA", D(2))
    assert first.why == "rule 1 (reason DA or DM, at most 10 units, worth at most 500): " \
        "authorized"
    assert (second.verdict, second.disposition_code, second.response_reason_code) == \
        (Verdict.DENY, "RD", "OS")
    assert second.why == "rule 2 (reason EO): denied (OS out-of-season)"
    assert (third.verdict, third.disposition_code) == (Verdict.PENDING, "RP")
    assert third.why == "no rule applies: pending (the policy's default)"
    assert decision.decided_by == "policy"
    assert decision.outcome is CaseState.PENDING


@pytest.mark.parametrize(("line", "verdict"), [
    (asked(1, "DA", quantity="10", price="50"), Verdict.AUTHORIZE),  # both limits exactly met
    (asked(1, "DA", quantity="11", price="1"), Verdict.PENDING),  # too many units
    (asked(1, "DA", quantity="2", price="250.01"), Verdict.PENDING),  # worth 500.02
    (asked(1, "DA", price=None), Verdict.PENDING),  # no price: a value limit cannot be met
    (asked(1, "DA", quantity=None), Verdict.PENDING),  # no quantity either
    (asked(1, " da "), Verdict.AUTHORIZE),  # codes compare trimmed and upper-cased
    (asked(1, None), Verdict.PENDING),  # no reason: a rule about reasons does not apply
])
def test_a_rule_applies_only_when_every_condition_it_states_holds(line: ReturnLine,
                                                                   verdict: Verdict) -> None:
    assert verdicts(decide(request(line), NORTHWIND, {})) == [verdict]


def test_a_line_without_a_reason_takes_the_header_reason() -> None:
    header = replace(request(asked(1, None)), reasons=ReturnReasons(request_reason_code="EO"))

    assert verdicts(decide(header, NORTHWIND, {})) == [Verdict.DENY]


def test_a_rule_without_conditions_decides_every_line_and_the_default_decides_the_rest() -> None:
    deny_all = ReturnsPolicy(rules=(PolicyRule(Verdict.DENY, response_reason="RT"),))
    authorize_by_default = ReturnsPolicy(default=Verdict.AUTHORIZE)

    denied = decide(request(asked(1, None, quantity=None)), deny_all, {})
    assert denied.lines[0].why == "rule 1 (every line): denied (RT return-period-exceeded)"
    assert denied.outcome is CaseState.DENIED
    authorized = decide(request(asked(1, "WG")), authorize_by_default, {})
    assert authorized.lines[0].why == "no rule applies: authorized (the policy's default)"
    assert authorized.outcome is CaseState.AUTHORIZED


def test_an_authorizing_rule_sends_no_response_reason() -> None:
    odd = ReturnsPolicy(rules=(PolicyRule(Verdict.AUTHORIZE, response_reason="RR"),))

    assert decide(request(asked(1, "DA")), odd, {}).lines[0].response_reason_code is None


def test_a_line_on_recall_hold_is_always_authorized_whatever_the_rules_say() -> None:
    deny_all = ReturnsPolicy(rules=(PolicyRule(Verdict.DENY, response_reason="RT"),),
                             default=Verdict.DENY)

    decision = decide(request(asked(1, "EO"), asked(2, "EO")), deny_all, {2: "RN-2024-0117"})

    assert verdicts(decision) == [Verdict.DENY, Verdict.AUTHORIZE]
    held = decision.lines[1]
    assert held.why == "on recall hold RN-2024-0117: always authorized"
    assert (held.recall_notice, held.response_reason_code) == ("RN-2024-0117", None)
    assert decision.outcome is CaseState.PARTIALLY_AUTHORIZED


def test_held_lines_reads_the_holds_of_a_case() -> None:
    bar = ReturnLine(1, item_ids=(ItemId(ItemIdScheme.GTIN, "00614141000012", "UK"),),
                     lots=("L24031A",))
    case = apply(None, request(bar, asked(2, "DA")), arrival(0))
    case = apply(case, granola_recall(), arrival(1))

    assert held_lines(case) == {1: "RN-2024-0117"}


@pytest.mark.parametrize(("outcome_of", "expected"), [
    ((Verdict.AUTHORIZE, Verdict.AUTHORIZE), CaseState.AUTHORIZED),
    ((Verdict.AUTHORIZE, Verdict.DENY), CaseState.PARTIALLY_AUTHORIZED),
    ((Verdict.DENY, Verdict.DENY), CaseState.DENIED),
    ((Verdict.AUTHORIZE, Verdict.PENDING), CaseState.PENDING),
    ((Verdict.DENY, Verdict.PENDING), CaseState.PENDING),
    ((), CaseState.PENDING),
])
def test_the_outcome_of_a_decision(outcome_of: tuple[Verdict, ...],
                                   expected: CaseState) -> None:
    decision = Decision(tuple(LineDecision(n, v, "RA", None, None, "")
                              for n, v in enumerate(outcome_of, start=1)), "policy")

    assert decision.outcome is expected


@pytest.mark.parametrize("document", [
    replace(request(asked(1, "DA")), stage=ReturnStage.AUTHORIZATION),
    replace(request(asked(1, "DA")), purpose=Purpose.CANCELLATION, purpose_code="01"),
])
def test_only_an_open_request_is_decided(document: ReturnAuthorization) -> None:
    with pytest.raises(DecisionError, match="RR20260114001"):
        decide(document, NORTHWIND, {})


def test_rma_numbers_carry_the_policy_prefix() -> None:
    assert NORTHWIND.rma_number(42) == "NW0000042"
    with pytest.raises(ValueError, match="starts at 1"):
        NORTHWIND.rma_number(0)


# --- an operator -------------------------------------------------------------------------------
def test_an_operator_decides_the_named_lines_and_the_others_keep_the_policy_decision() -> None:
    two = request(asked(1, "DA"), asked(2, "WG"))
    earlier = decide(two, NORTHWIND, {})

    decision = operator_decision(two, Verdict.DENY, lines=[2], reason="rt", earlier=earlier)

    assert decision.lines[0] == earlier.lines[0]
    denied = decision.lines[1]
    assert (denied.verdict, denied.disposition_code, denied.response_reason_code) == \
        (Verdict.DENY, "RD", "RT")
    assert denied.why == "decided by an operator: denied (RT return-period-exceeded)"
    assert decision.decided_by == "operator"
    assert decision.outcome is CaseState.PARTIALLY_AUTHORIZED


def test_an_operator_decides_every_line_when_none_are_named() -> None:
    two = request(asked(1, "DA"), asked(2, "WG"))

    assert verdicts(operator_decision(two, Verdict.AUTHORIZE)) == [Verdict.AUTHORIZE] * 2
    named = operator_decision(two, Verdict.AUTHORIZE, lines={1})
    assert verdicts(named) == [Verdict.AUTHORIZE, Verdict.PENDING]
    assert named.lines[1].why == "not decided yet: pending"


def test_an_operator_cannot_deny_a_line_on_recall_hold() -> None:
    two = request(asked(1, "DA"), asked(2, "EO"))
    earlier = decide(two, NORTHWIND, {1: "RN-2024-0117"})

    with pytest.raises(RecallHoldError) as caught:
        operator_decision(two, Verdict.DENY, earlier=earlier)
    assert str(caught.value) == ("line 1 is on recall hold RN-2024-0117: a recalled item is "
                                 "always taken back, so it cannot be denied")
    assert caught.value.held == {1: "RN-2024-0117"}
    with pytest.raises(RecallHoldError, match="line 2 is on recall hold RN-9"):
        operator_decision(two, Verdict.DENY, lines=[2], recalled_lines={2: "RN-9"})
    # The other lines may still be denied; the held line keeps its authorization.
    decision = operator_decision(two, Verdict.DENY, lines=[2], reason="OS", earlier=earlier)
    assert verdicts(decision) == [Verdict.AUTHORIZE, Verdict.DENY]


def test_a_held_line_is_never_left_denied_by_an_earlier_decision() -> None:
    two = request(asked(1, "EO"), asked(2, "WG"))
    earlier = decide(two, NORTHWIND, {})  # line 1 denied before the recall was known

    decision = operator_decision(two, Verdict.AUTHORIZE, lines=[2], earlier=earlier,
                                 recalled_lines={1: "RN-2024-0117"})

    assert verdicts(decision) == [Verdict.AUTHORIZE, Verdict.AUTHORIZE]
    assert decision.lines[0].why == "on recall hold RN-2024-0117: always authorized"


@pytest.mark.parametrize(("verdict", "options", "message"), [
    (Verdict.DENY, {"lines": [7]}, "request RR20260114001 has no line 7 (its lines: 1, 2)"),
    (Verdict.DENY, {"lines": []}, "name at least one line"),
    (Verdict.DENY, {"reason": "ZZ"}, "'ZZ' is not an X12 1294 response reason"),
    (Verdict.AUTHORIZE, {"reason": "RT"}, "not with an authorization"),
])
def test_an_operator_is_told_plainly_what_cannot_be_decided(
        verdict: Verdict, options: dict[str, object], message: str) -> None:
    with pytest.raises(DecisionError, match=re.escape(message)):
        operator_decision(request(asked(1, "DA"), asked(2, "WG")), verdict,
                          **options)  # type: ignore[arg-type]


# --- the answer --------------------------------------------------------------------------------
def test_the_answer_is_a_180_response_under_the_rma_quoting_the_request() -> None:
    asking = request(asked(1, "DA"), asked(2, "EO"))

    answer = answer_document(asking, decide(asking, NORTHWIND, {}), "NW0000042", AT)

    assert (answer.stage, answer.purpose, answer.purpose_code) == \
        (ReturnStage.AUTHORIZATION, Purpose.RESPONSE, "11")
    assert (answer.document_id, answer.rma_number, answer.document_date) == \
        ("NW0000042", "NW0000042", date(2026, 1, 15))
    assert answer.references == (Reference("IA", "V0042"),
                                 Reference("CR", "RR20260114001", "return request"))
    assert answer.dates == (DatedEvent("097", date(2026, 1, 15), AT),)
    assert answer.parties == asking.parties
    assert answer.reasons == ReturnReasons(disposition=Disposition.PARTIALLY_AUTHORIZED,
                                           disposition_code="PA")
    first, second = answer.lines
    assert first.reasons == ReturnReasons(
        disposition=Disposition.RETURN_WITH_AUTHORIZATION, disposition_code="RA",
        request_reason=ReturnReason.DAMAGED, request_reason_code="DA")
    assert second.reasons == ReturnReasons(
        disposition=Disposition.DENIED, disposition_code="RD", request_reason_code="EO",
        response_reason=ResponseReason.OUT_OF_SEASON, response_reason_code="OS")
    assert first.quantity == Quantity(D(2), "EA")
    assert (first.item_ids, first.unit_price, first.original_po) == \
        (asking.lines[0].item_ids, asking.lines[0].unit_price, "4500012345")
    assert first.notes == ()  # the retailer's notes are not echoed back


def test_the_answer_shares_a_request_id_key_with_the_request() -> None:
    # No RMA and no PO on the request: only the quoted request id can link them.
    bare = request(asked(1, "DA", original_po=None))
    answer = answer_document(bare, decide(bare, NORTHWIND, {}), "NW0000042", AT)

    shared = shared_keys(keys_of(answer), keys_of(bare))
    assert {key.kind for key in shared} == {KeyKind.REQUEST_ID}
    assert {key.value for key in shared} == {"RR20260114001"}


def test_a_recall_held_line_tells_the_retailer_about_the_recall() -> None:
    asking = request(asked(1, "EO"))
    answer = answer_document(asking, decide(asking, NORTHWIND, {1: "RN-2024-0117"}), "NW1", AT)

    assert answer.lines[0].reasons is not None
    assert answer.lines[0].reasons.description == "recall RN-2024-0117"


def case_after(asking: ReturnAuthorization, answer: ReturnAuthorization) -> ReturnCase:
    return apply(apply(None, asking, arrival(0)), answer, arrival(1))


@pytest.mark.parametrize(("codes", "expected"), [
    (("DA", "DM"), CaseState.AUTHORIZED),
    (("DA", "EO"), CaseState.PARTIALLY_AUTHORIZED),
    (("EO", "EO"), CaseState.DENIED),
    (("DA", "WG"), CaseState.PENDING),
    (("EO", "WG"), CaseState.PENDING),
])
def test_the_case_reads_the_answer_as_the_decision_outcome(codes: tuple[str, str],
                                                           expected: CaseState) -> None:
    asking = request(*(asked(n, code) for n, code in enumerate(codes, start=1)))
    decision = decide(asking, NORTHWIND, {})
    answer = answer_document(asking, decision, "NW0000042", AT)

    assert decision.outcome is expected
    assert answer_of(answer)[0] is expected
    case = case_after(asking, answer)
    assert case.case_id == "180:RR20260114001"
    assert (case.state, case.decision) == (expected, expected)


def test_an_answer_to_the_sample_request_joins_its_case_under_its_rma() -> None:
    # The sample request already quotes RMA7734021; the answer must use it.
    asking = request_180()
    decision = operator_decision(asking, Verdict.AUTHORIZE)
    answer = answer_document(asking, decision, "RMA7734021", AT)

    case = case_after(asking, answer)
    assert case.state is CaseState.AUTHORIZED
    with pytest.raises(DecisionError, match="already names RMA RMA7734021; answer under that "
                                            "number, not NW0000042"):
        answer_document(asking, decision, "NW0000042", AT)


@pytest.mark.parametrize(("decision", "message"), [
    (Decision((), "policy"), "does not cover line 1 of request RR20260114001"),
    (Decision((LineDecision(1, Verdict.AUTHORIZE, "RA", None, None, ""),
               LineDecision(5, Verdict.AUTHORIZE, "RA", None, None, "")), "policy"),
     "names line 5, which request RR20260114001 does not have"),
])
def test_an_answer_needs_a_decision_for_exactly_the_request_lines(decision: Decision,
                                                                  message: str) -> None:
    with pytest.raises(DecisionError, match=message):
        answer_document(request(asked(1, "DA")), decision, "NW1", AT)


def test_an_answer_needs_an_rma_number_and_an_aware_moment() -> None:
    asking = request(asked(1, "DA"))
    decision = decide(asking, NORTHWIND, {})
    with pytest.raises(DecisionError, match="needs an RMA number"):
        answer_document(asking, decision, " ", AT)
    with pytest.raises(ValueError, match="timezone-aware"):
        answer_document(asking, decision, "NW1", datetime(2026, 1, 15, 9, 30))
    assert answer_document(asking, decision, "NW1",
                           datetime(2026, 1, 15, 23, 30, tzinfo=UTC)).document_date == \
        date(2026, 1, 15)


# --- the code lists ----------------------------------------------------------------------------
def test_the_code_lists_are_the_180_mapping_tables() -> None:
    tables = yaml.safe_load((REPO / "mappings" / "180.yaml").read_text())["tables"]

    assert set(REQUEST_REASON_CODES) == set(tables["request_reason"]) - {"*"}
    assert {code: str(reason) for code, reason in RESPONSE_REASONS.items()} == \
        {code: name for code, name in tables["response_reason"].items() if code != "*"}
    assert tables["purpose"]["11"] == "response"
    assert {tables["disposition"][code] for code in ("RA", "RD", "RP", "PA")} == \
        {"return-with-authorization", "denied", "authorization-pending", "partially-authorized"}
