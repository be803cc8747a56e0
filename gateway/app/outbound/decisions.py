"""Answering a retailer's 180 return request: by its partner policy, or by a person.

A request the policy leaves pending waits for ``gateway rma authorize|deny``. Every decision
becomes (in one transaction) a stored outbound answer document, which the case folds in like
any 180, and a queued 180 to the retailer. A later decision on the same request (a person
changing their mind) is a new answer under the same RMA number.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from gateway.app.cases import CaseView, cases_for, document_from_json
from gateway.app.events import record_document
from gateway.app.faults import crash_point
from gateway.app.outbound.queue import queue_x12
from gateway.app.outbound.terms import Outbound
from gateway.app.partners import PartnerSettings
from gateway.app.ports import StoredDocument
from gateway.domain.correlation import keys_of, normalize
from gateway.domain.matching import AmbiguousReference, one_case
from gateway.domain.return_case import document_reference
from gateway.domain.rma_policy import (
    Decision,
    DecisionError,
    LineDecision,
    ReturnsPolicy,
    Verdict,
    answer_document,
    decide,
    held_lines,
    operator_decision,
)
from gateway.model import ReturnAuthorization, ReturnStage
from gateway.model.canonical_json import to_json
from gateway.x12.outbound import return_answer_180

_VERDICT_OF_DISPOSITION = {"RA": Verdict.AUTHORIZE, "RD": Verdict.DENY}


class UnknownRequest(DecisionError):
    """No stored return request answers to the reference a person gave."""


@dataclass(frozen=True, slots=True)
class Answer:
    request: str  # the retailer's BGN02
    partner: str
    rma_number: str
    outcome: str  # authorized | partially-authorized | denied | pending
    queued: bool  # False: the same answer was already queued (a re-run)
    lines: tuple[LineDecision, ...]


def decide_new_requests(context: Outbound, documents: Iterable[StoredDocument],
                        now: datetime) -> list[Answer]:
    """Each stored 180 *request* among ``documents`` whose retailer has a policy, decided;
    an outcome other than pending is answered. Safe to run again (dedupe by request)."""
    answers = []
    for stored in documents:
        party = context.parties.get(stored.partner)
        request = request_of(stored)
        if request is None or party is None or party.returns_policy is None:
            continue
        view = cases_for(context.store, request.document_id)
        if answers_to(view, request):
            continue  # a person (or an earlier run) already answered it
        decision = decide(request, party.returns_policy, held_of(view, request))
        if decision.outcome.value == "pending":
            answers.append(Answer(request.document_id, party.id, "", "pending", False,
                                  decision.lines))
            continue
        answers.append(_send(context, party, request, decision, earlier=[],
                             file_id=stored.file_id, now=now))
    return answers


def operator_decide(context: Outbound, reference: str, verdict: Verdict, *,
                    lines: Collection[int] | None, reason: str | None,
                    now: datetime) -> Answer:
    """A person's decision on the request ``reference`` names (its BGN02, RMA, PO...): the
    one request of the one case it picks (gateway.app.cases). Raises DecisionError with a message
    for the person, listing the candidates when the reference picks several."""
    view = cases_for(context.store, reference)
    stored, request = _named_request(view, reference)
    party = context.parties.get(stored.partner)
    if party is None:
        raise DecisionError(f"request {request.document_id} came from {stored.partner}, "
                            "which has no partner file: there is nobody to answer")
    earlier = answers_to(view, request)
    latest = latest_decision(earlier)
    decision = operator_decision(request, verdict, lines=lines, reason=reason, earlier=latest,
                                 recalled_lines=held_of(view, request))
    if latest is not None and _said(latest) == _said(decision):
        # The same decision again (a form sent twice, a command run twice): our latest answer
        # already says it, so no second 180 goes out.
        rma = next((a.rma_number for a in reversed(earlier) if a.rma_number), "")
        return Answer(request.document_id, party.id, rma, decision.outcome.value, False,
                      decision.lines)
    return _send(context, party, request, decision, earlier=earlier, file_id=None, now=now)


def _said(decision: Decision) -> set[tuple[int, Verdict, str | None]]:
    """What an answer tells the retailer, line by line."""
    return {(line.line_number, line.verdict, line.response_reason_code)
            for line in decision.lines}


def _send(context: Outbound, party: PartnerSettings, request: ReturnAuthorization,
          decision: Decision, *, earlier: list[ReturnAuthorization], file_id: int | None,
          now: datetime) -> Answer:
    """Store and queue the answer; ``earlier`` are our previous answers to ``request``."""
    with context.store.transaction() as tx:
        rma = request.rma_number or next(
            (a.rma_number for a in earlier if a.rma_number), None) or \
            (party.returns_policy or ReturnsPolicy()).rma_number(
                tx.next_control_number("gateway", "rma"))
        answer = answer_document(request, decision, rma, now.astimezone())
        key = f"rma-answer:{request.document_id}:{len(earlier) + 1}"
        outbox_id = queue_x12(tx, context, party, [("180", return_answer_180(
                                  answer, request_reference=request.document_id))],
                              purpose="rma-answer", subject=request.document_id,
                              dedupe_key=key, file_id=file_id, now=now)
        if outbox_id is not None:
            record_document(tx, file_id, party.id, body=to_json(answer),
                            reference=answer.document_id,
                            keys=[(k.kind.value, k.value) for k in keys_of(answer)], at=now,
                            direction="out")
    crash_point("after-outbound-commit")
    return Answer(request.document_id, party.id, rma, decision.outcome.value,
                  outbox_id is not None, decision.lines)


def _named_request(view: CaseView, reference: str
                   ) -> tuple[StoredDocument, ReturnAuthorization]:
    """The request ``reference`` names: in the one case it picks, the request whose BGN02 it
    is, else the case's only request (its latest version)."""
    try:
        case = one_case(view.cases, reference)
    except AmbiguousReference as exc:
        raise DecisionError(str(exc)) from exc
    requests = [(stored, request) for stored in view.documents
                if (request := request_of(stored)) is not None and case is not None
                and document_reference(request) in case.documents]
    exact = [found for found in requests
             if normalize(found[1].document_id) == normalize(reference)]
    chosen = exact or requests
    if not chosen:
        raise UnknownRequest(f"no return request is known for {reference!r}")
    ids = sorted({request.document_id for _, request in chosen})
    if len(ids) > 1:
        raise DecisionError(f"{reference!r} names several requests ({', '.join(ids)}); "
                            "name one of them")
    return chosen[-1]


def request_of(stored: StoredDocument) -> ReturnAuthorization | None:
    if stored.kind != "return-authorization" or stored.direction != "in":
        return None
    document = document_from_json(stored)
    if isinstance(document, ReturnAuthorization) and document.stage is ReturnStage.REQUEST:
        return document
    return None


def answers_to(view: CaseView, request: ReturnAuthorization) -> list[ReturnAuthorization]:
    """Our earlier answers to ``request``, oldest first."""
    found = []
    for stored in view.documents:
        if stored.direction != "out" or stored.kind != "return-authorization":
            continue
        document = document_from_json(stored)
        if isinstance(document, ReturnAuthorization) and any(
                r.value == request.document_id for r in document.references):
            found.append(document)
    return found


def held_of(view: CaseView, request: ReturnAuthorization) -> dict[int, str]:
    """The request's lines on recall hold (line number -> notice id)."""
    case = next((c for c in view.cases
                 if any(ref.id == request.document_id for ref in c.documents)), None)
    return held_lines(case) if case is not None else {}


def latest_decision(answers: list[ReturnAuthorization]) -> Decision | None:
    """The decision our latest answer carried, line by line, read back from its RDRs."""
    if not answers:
        return None
    lines = []
    for line in answers[-1].lines:
        code = line.reasons.disposition_code if line.reasons else None
        verdict = _VERDICT_OF_DISPOSITION.get(code or "", Verdict.PENDING)
        lines.append(LineDecision(line.line_number, verdict, code or "RP",
                                  line.reasons.response_reason_code if line.reasons else None,
                                  line.quantity.value if line.quantity else None,
                                  "decided earlier"))
    return Decision(tuple(lines), decided_by="earlier answer")
