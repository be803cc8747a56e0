"""Deciding a retailer's 180 return request: the partner's policy, a person's word, the answer.

Rules, first match
    Most requests are routine (two defective mixers, a crushed kettle) and a person should only
    see the rest. A `ReturnsPolicy` is the ordered list of rules an admin writes for a retailer
    (``returns_policy`` in partners/<id>.yaml). Each line of a request is decided by the first
    rule that applies to it, so precedence is simply reading order; rules are numbered from 1 in
    every explanation. When no rule applies, the policy's default decides (pending unless the
    admin says otherwise: a person looks at it).

    A rule applies to a line when every condition it states holds: the line's X12 1293 request
    reason (RDR02, the header's when the line has none) is one of ``reasons``, its quantity is at
    most ``max_quantity`` and its value (quantity x unit price) at most ``max_value``. A line
    that lacks the data a condition needs does not meet it: a rule meant for cheap goods must not
    authorize a line whose price nobody sent. Units of measure are not compared.

Recall holds win
    A line on recall hold is always authorized, whatever the rules or a person say: a recalled
    unit has to come off the shelf, and refusing it would leave it on sale. `decide` authorizes
    it before reading the rules; `operator_decision` refuses to deny it (`RecallHoldError`).

Whole lines
    A verdict covers a line's whole quantity; authorizing part of a line is not decided here.

The answer
    `answer_document` turns a decision into the canonical 180 response (BGN01 11, stage
    AUTHORIZATION) with one RDR per line and a header RDR01 that restates the decision's outcome,
    so `gateway.domain.return_case.answer_of` reads back exactly `Decision.outcome`.

Pure: standard library, `gateway.model` and `gateway.domain` only; every moment is an argument.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from gateway.domain.correlation import normalize
from gateway.domain.return_case import ReturnCase
from gateway.model import (
    DatedEvent,
    Disposition,
    Purpose,
    Quantity,
    Reference,
    ResponseReason,
    ReturnAuthorization,
    ReturnLine,
    ReturnReasons,
    ReturnStage,
)
from gateway.model.states import CaseState

# X12 1293 (RDR02) request reasons and 1294 (RDR03) response reasons, as the request_reason and
# response_reason tables of mappings/180.yaml list them. Restated because the domain reads no
# YAML; tests/domain/test_rma_policy.py fails when the two lists drift apart.
REQUEST_REASON_CODES = frozenset({
    "BC", "CO", "DA", "DM", "DR", "DP", "DT", "DI", "EI", "EO", "NA", "PE", "PR", "RE", "PS",
    "SD", "WG", "SR",
})
RESPONSE_REASONS: Mapping[str, ResponseReason] = {
    "EW": ResponseReason.EXCESSIVE_WEAR,
    "FR": ResponseReason.FREIGHT_OR_RETAILER_DAMAGE,
    "IN": ResponseReason.NOT_DEFECTIVE,
    "IO": ResponseReason.AS_ORDERED,
    "MI": ResponseReason.MORE_INFORMATION_REQUESTED,
    "NR": ResponseReason.NO_RECORD_OF_SALE,
    "OS": ResponseReason.OUT_OF_SEASON,
    "PC": ResponseReason.PRICE_DIFFERENCE,
    "PR": ResponseReason.PICTURE_REQUESTED,
    "QD": ResponseReason.QUANTITY_DIFFERENCE,
    "RR": ResponseReason.REPAIR_OR_REFURBISH,
    "RT": ResponseReason.RETURN_PERIOD_EXCEEDED,
    "SR": ResponseReason.SAMPLE_REQUESTED,
    "UI": ResponseReason.UNIDENTIFIABLE_ITEM,
}

# X12 128 qualifier under which the answer quotes the request's BGN02. CR (customer reference)
# is what gateway.domain.correlation reads as the REQUEST_ID key, so the answer joins the
# request's case even when the request named no RMA and no purchase order.
REQUEST_REFERENCE_QUALIFIER = "CR"
# X12 374: the moment the answer was made (DTM*097, transaction creation).
CREATED_QUALIFIER = "097"
RESPONSE_PURPOSE_CODE = "11"  # X12 353 "response" (mappings/180.yaml purpose table)


class Verdict(StrEnum):
    AUTHORIZE = "authorize"
    DENY = "deny"
    PENDING = "pending"


# X12 1292 disposition (RDR01) each verdict is sent as.
_DISPOSITIONS: dict[Verdict, tuple[str, Disposition]] = {
    Verdict.AUTHORIZE: ("RA", Disposition.RETURN_WITH_AUTHORIZATION),
    Verdict.DENY: ("RD", Disposition.DENIED),
    Verdict.PENDING: ("RP", Disposition.AUTHORIZATION_PENDING),
}
# The header RDR01 for each outcome: answer_of reads the header before the lines.
_HEADER_DISPOSITIONS: dict[CaseState, tuple[str, Disposition]] = {
    CaseState.AUTHORIZED: ("RA", Disposition.RETURN_WITH_AUTHORIZATION),
    CaseState.PARTIALLY_AUTHORIZED: ("PA", Disposition.PARTIALLY_AUTHORIZED),
    CaseState.DENIED: ("RD", Disposition.DENIED),
    CaseState.PENDING: ("RP", Disposition.AUTHORIZATION_PENDING),
}
_PAST = {Verdict.AUTHORIZE: "authorized", Verdict.DENY: "denied", Verdict.PENDING: "pending"}


class DecisionError(ValueError):
    """A decision or answer that cannot be made; the message says why, for a person to read."""


class RecallHoldError(DecisionError):
    """Someone tried to deny lines on recall hold; ``held`` maps each to its notice id."""

    def __init__(self, held: Mapping[int, str]) -> None:
        named = "; ".join(f"line {number} is on recall hold {notice}"
                          for number, notice in sorted(held.items()))
        super().__init__(f"{named}: a recalled item is always taken back, so it cannot be "
                         "denied")
        self.held = dict(held)


@dataclass(frozen=True, slots=True)
class PolicyRule:
    decide: Verdict
    reasons: frozenset[str] = frozenset()  # X12 1293 request reasons (RDR02); empty = any
    max_quantity: Decimal | None = None  # applies only when the line quantity <= this
    max_value: Decimal | None = None  # quantity x unit price <= this (no price: does not apply)
    response_reason: str | None = None  # X12 1294 code sent with a denial or a pending answer

    @property
    def applies_to_every_line(self) -> bool:
        return not self.reasons and self.max_quantity is None and self.max_value is None

    def describe(self) -> str:
        """The rule's conditions in plain words, e.g. "reason DA or DM, at most 10 units"."""
        parts = []
        if self.reasons:
            parts.append("reason " + " or ".join(sorted(self.reasons)))
        if self.max_quantity is not None:
            parts.append(f"at most {_plain(self.max_quantity)} units")
        if self.max_value is not None:
            parts.append(f"worth at most {_plain(self.max_value)}")
        return ", ".join(parts) or "every line"


@dataclass(frozen=True, slots=True)
class ReturnsPolicy:
    rules: tuple[PolicyRule, ...] = ()
    default: Verdict = Verdict.PENDING  # when no rule applies
    rma_prefix: str = "RMA"  # RMA numbers we issue: <prefix><digits>

    def rma_number(self, sequence: int) -> str:
        """The RMA number for the ``sequence``-th return we authorize (at least 7 digits)."""
        if sequence < 1:
            raise ValueError("an RMA sequence number starts at 1")
        return f"{self.rma_prefix}{sequence:07d}"


@dataclass(frozen=True, slots=True)
class LineDecision:
    line_number: int
    verdict: Verdict
    disposition_code: str  # X12 1292: RA authorized, RD denied, RP pending
    response_reason_code: str | None
    quantity: Decimal | None  # the units the verdict covers: the whole requested quantity
    why: str  # plain words: "rule 2 (reason DM, at most 10 units): authorized"
    recall_notice: str | None = None  # the notice holding the line, when it is on recall hold


@dataclass(frozen=True, slots=True)
class Decision:
    lines: tuple[LineDecision, ...]
    decided_by: str  # "policy" or "operator"

    @property
    def outcome(self) -> CaseState:
        """authorized, partially-authorized, denied, or pending while any line is pending (and
        when there are no lines: nothing has been decided)."""
        verdicts = {line.verdict for line in self.lines}
        if not verdicts or Verdict.PENDING in verdicts:
            return CaseState.PENDING
        if verdicts == {Verdict.AUTHORIZE}:
            return CaseState.AUTHORIZED
        if verdicts == {Verdict.DENY}:
            return CaseState.DENIED
        return CaseState.PARTIALLY_AUTHORIZED


# --- the policy decides ----------------------------------------------------------------------
def decide(request: ReturnAuthorization, policy: ReturnsPolicy,
           recalled_lines: Mapping[int, str]) -> Decision:
    """Each line of ``request`` by the first rule that applies (module doc); a line in
    ``recalled_lines`` (line number -> recall notice id) is always authorized."""
    _require_open_request(request)
    header_reason = _request_reason_code(request.reasons)
    return Decision(tuple(_policy_line(line, policy, recalled_lines.get(line.line_number),
                                       header_reason)
                          for line in request.lines), decided_by="policy")


def _policy_line(line: ReturnLine, policy: ReturnsPolicy, notice: str | None,
                 header_reason: str | None) -> LineDecision:
    if notice is not None:
        return _recall_line(line, notice)
    reason = _request_reason_code(line.reasons) or header_reason
    for number, rule in enumerate(policy.rules, start=1):
        if rule_applies(rule, line, reason):
            response = None if rule.decide is Verdict.AUTHORIZE else rule.response_reason
            return _line(line, rule.decide, response,
                         f"rule {number} ({rule.describe()}): "
                         f"{_verdict_text(rule.decide, response)}")
    return _line(line, policy.default, None,
                 f"no rule applies: {_PAST[policy.default]} (the policy's default)")


def rule_applies(rule: PolicyRule, line: ReturnLine, reason_code: str | None) -> bool:
    """Every condition the rule states holds for the line (module doc, "Rules, first match")."""
    if rule.reasons and reason_code not in {normalize(code) for code in rule.reasons}:
        return False
    quantity = line.quantity.value if line.quantity is not None else None
    if rule.max_quantity is not None and (quantity is None or quantity > rule.max_quantity):
        return False
    if rule.max_value is not None:
        value = line_value(line)
        if value is None or value > rule.max_value:
            return False
    return True


def line_value(line: ReturnLine) -> Decimal | None:
    """Quantity x unit price, or None when either is missing."""
    if line.quantity is None or line.unit_price is None:
        return None
    return line.quantity.value * line.unit_price.amount


def held_lines(case: ReturnCase) -> dict[int, str]:
    """``recalled_lines`` for `decide`: each held line of ``case`` and the notice holding it
    (the first by id when several do)."""
    return {case_line.line.line_number: min(hold.notice_id for hold in case_line.holds)
            for case_line in case.lines if case_line.holds}


# --- a person decides --------------------------------------------------------------------------
def operator_decision(request: ReturnAuthorization, verdict: Verdict, *,
                      lines: Collection[int] | None = None, reason: str | None = None,
                      earlier: Decision | None = None,
                      recalled_lines: Mapping[int, str] | None = None) -> Decision:
    """A person's verdict for the named ``lines`` (every line when None), with ``reason`` (an
    X12 1294 code) for a denial or a pending answer. Other lines keep ``earlier``'s decision, or
    are pending; a held line is never left denied. Held lines are those in ``recalled_lines``
    and those ``earlier`` found held. Raises DecisionError (RecallHoldError for a denial of a
    held line) with a message for the person."""
    _require_open_request(request)
    response = _operator_reason(verdict, reason)
    chosen = _chosen_lines(request, lines)
    kept = {line.line_number: line for line in earlier.lines} if earlier else {}
    holds = {number: line.recall_notice for number, line in kept.items() if line.recall_notice}
    holds.update(recalled_lines or {})
    denied_holds = {n: holds[n] for n in chosen & holds.keys()} if verdict is Verdict.DENY else {}
    if denied_holds:
        raise RecallHoldError(denied_holds)
    why = "decided by an operator: " + _verdict_text(verdict, response)
    return Decision(tuple(
        _line(line, verdict, response, why, holds.get(line.line_number))
        if line.line_number in chosen
        else _unnamed_line(line, kept.get(line.line_number), holds.get(line.line_number))
        for line in request.lines), decided_by="operator")


def _operator_reason(verdict: Verdict, reason: str | None) -> str | None:
    if reason is None or not reason.strip():
        return None
    if verdict is Verdict.AUTHORIZE:
        raise DecisionError("a response reason goes with a denial or a pending answer, not with "
                            "an authorization")
    code = normalize(reason)
    if code not in RESPONSE_REASONS:
        raise DecisionError(f"{reason!r} is not an X12 1294 response reason; use one of "
                            f"{', '.join(sorted(RESPONSE_REASONS))}")
    return code


def _chosen_lines(request: ReturnAuthorization, lines: Collection[int] | None) -> set[int]:
    numbers = {line.line_number for line in request.lines}
    if lines is None:
        return numbers
    chosen = set(lines)
    if not chosen:
        raise DecisionError("name at least one line, or none to decide every line")
    unknown = sorted(chosen - numbers)
    if unknown:
        raise DecisionError(f"request {request.document_id} has no {_lines_text(unknown)} "
                            f"(its lines: {', '.join(str(n) for n in sorted(numbers))})")
    return chosen


def _unnamed_line(line: ReturnLine, kept: LineDecision | None,
                  notice: str | None) -> LineDecision:
    # A held line must not stay denied (a recall notice may have come after that denial), and
    # with nothing decided yet it is authorized, as the policy would have done.
    if notice is not None and (kept is None or kept.verdict is Verdict.DENY):
        return _recall_line(line, notice)
    if kept is not None:
        return kept
    return _line(line, Verdict.PENDING, None, "not decided yet: pending")


# --- the 180 answer ----------------------------------------------------------------------------
def answer_document(request: ReturnAuthorization, decision: Decision, rma_number: str,
                    at: datetime) -> ReturnAuthorization:
    """The canonical 180 response to ``request``: made at ``at`` (timezone-aware), identified
    by ``rma_number`` (BGN02 and N9*RZ), quoting the request's BGN02 as N9*CR so it joins the
    request's case, parties copied, one line per request line with its verdict in RDR."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    _require_open_request(request)
    rma = _answer_rma(request, rma_number)
    by_line = _decisions_by_line(request, decision)
    header, disposition = _HEADER_DISPOSITIONS[decision.outcome]
    return ReturnAuthorization(
        document_id=rma, stage=ReturnStage.AUTHORIZATION, purpose=Purpose.RESPONSE,
        purpose_code=RESPONSE_PURPOSE_CODE, document_date=at.date(), rma_number=rma,
        original_po=request.original_po, original_po_date=request.original_po_date,
        reasons=ReturnReasons(disposition=disposition, disposition_code=header),
        parties=request.parties, references=_answer_references(request),
        dates=(DatedEvent(CREATED_QUALIFIER, at.date(), at),),
        lines=tuple(_answer_line(line, by_line[line.line_number]) for line in request.lines))


def _answer_rma(request: ReturnAuthorization, rma_number: str) -> str:
    rma = rma_number.strip()
    if not rma:
        raise DecisionError("an answer needs an RMA number")
    # Two RMA numbers make two returns (gateway.domain.correlation.rma_conflict): an answer
    # under another number than the request quotes would never join the request's case.
    if request.rma_number and normalize(request.rma_number) != normalize(rma):
        raise DecisionError(f"request {request.document_id} already names RMA "
                            f"{request.rma_number.strip()}; answer under that number, not {rma}")
    return rma


def _decisions_by_line(request: ReturnAuthorization,
                       decision: Decision) -> dict[int, LineDecision]:
    by_line = {line.line_number: line for line in decision.lines}
    numbers = {line.line_number for line in request.lines}
    missing, extra = sorted(numbers - by_line.keys()), sorted(by_line.keys() - numbers)
    if missing:
        raise DecisionError(f"the decision does not cover {_lines_text(missing)} of request "
                            f"{request.document_id}")
    if extra:
        raise DecisionError(f"the decision names {_lines_text(extra)}, which request "
                            f"{request.document_id} does not have")
    return by_line


def _answer_references(request: ReturnAuthorization) -> tuple[Reference, ...]:
    # The request's own references (vendor number, PO...) are echoed; an RMA or request id
    # among them is not, because the answer states those itself.
    echoed = tuple(reference for reference in request.references
                   if normalize(reference.qualifier) not in ("RZ", REQUEST_REFERENCE_QUALIFIER))
    return (*echoed, Reference(REQUEST_REFERENCE_QUALIFIER, request.document_id.strip(),
                               "return request"))


def _answer_line(line: ReturnLine, decided: LineDecision) -> ReturnLine:
    asked = line.reasons or ReturnReasons()
    code, disposition = _DISPOSITIONS[decided.verdict]
    response = decided.response_reason_code
    reasons = ReturnReasons(
        disposition=disposition, disposition_code=code,
        request_reason=asked.request_reason, request_reason_code=asked.request_reason_code,
        response_reason=RESPONSE_REASONS.get(response, ResponseReason.OTHER) if response
        else None,
        response_reason_code=response,
        # Policy wording stays in-house; a recall is worth telling the retailer.
        description=f"recall {decided.recall_notice}" if decided.recall_notice else None)
    unit = line.quantity.unit if line.quantity is not None else None
    quantity = Quantity(decided.quantity, unit) if decided.quantity is not None else None
    # The retailer's notes are its words, not ours: not echoed.
    return replace(line, quantity=quantity, reasons=reasons, notes=())


# --- shared ------------------------------------------------------------------------------------
def _require_open_request(request: ReturnAuthorization) -> None:
    if request.stage is not ReturnStage.REQUEST:
        raise DecisionError(f"180 {request.document_id} is a return {request.stage}, not a "
                            "request: only requests are decided")
    if request.purpose is Purpose.CANCELLATION or request.purpose_code == "01":
        raise DecisionError(f"180 {request.document_id} cancels a return request: there is "
                            "nothing to decide")


def _line(line: ReturnLine, verdict: Verdict, response: str | None, why: str,
          notice: str | None = None) -> LineDecision:
    quantity = line.quantity.value if line.quantity is not None else None
    return LineDecision(line.line_number, verdict, _DISPOSITIONS[verdict][0], response, quantity,
                        why, notice)


def _recall_line(line: ReturnLine, notice: str) -> LineDecision:
    return _line(line, Verdict.AUTHORIZE, None, f"on recall hold {notice}: always authorized",
                 notice)


def _request_reason_code(reasons: ReturnReasons | None) -> str | None:
    code = reasons.request_reason_code if reasons is not None else None
    if code is None or not code.strip():
        return None
    return normalize(code)


def _verdict_text(verdict: Verdict, response: str | None) -> str:
    if response is None:
        return _PAST[verdict]
    meaning = RESPONSE_REASONS.get(response, ResponseReason.OTHER)
    return f"{_PAST[verdict]} ({response} {meaning})"


def _lines_text(numbers: Iterable[int]) -> str:
    numbers = list(numbers)
    label = "line" if len(numbers) == 1 else "lines"
    return f"{label} {', '.join(str(n) for n in numbers)}"


def _plain(number: Decimal) -> str:
    """500 rather than 5E+2, 10.5 rather than 10.50."""
    return format(number.normalize(), "f")
