"""Which return case a document belongs to, when cases merge, and which case a name picks.

Names
    An RMA and a request id (a 180 request's BGN02, or a ``CR`` reference) each name one return;
    a purchase order names none, because partners raise unrelated returns against one order and
    reuse it (gateway.domain.correlation, "Names"). A case keeps the names its documents gave it.

Linking rules
    - A document belongs to a case when they share a correlation key (same family, same value:
      see gateway.domain.correlation) **and** do not name different returns (both name RMAs and
      share none; or, sharing no RMA, both name request ids and share none). So an 856 whose
      order carries the 180's PO and REF*RZ joins that 180's case, a 214 whose B1002 / B1001
      equals the 856's BSN02 or BOL / PRO joins the 856's case, and a second 180 for another
      RMA, or another request id, joins nothing even if it returns goods from the same order.
    - A purchase order is weak evidence: one order can be returned in several requests. A
      document whose only link is a PO joins a case only when exactly one case has that PO;
      with several, it joins none (the candidates are reported as ``ambiguous``) and starts its
      own case, which a later document with a stronger key can merge.

Merge rule
    When a document links several cases (a 214 opened one, the 180 another, and the 856 ties
    them together), they describe one return and are merged: the case opened first survives (ties
    by case id, so the choice is reproducible), takes every fact, key, name, line and notice of
    the others, and records a `CaseMerge` naming the absorbed case, the linking document and the
    shared keys. Cases naming different returns are never merged, by a PO or by anything else:
    a consolidated shipment for two RMAs is applied to each case instead, and each takes the
    shipment's numbers but not the other return's names (gateway.domain.return_case).

Filing order
    `file_document` files one document into the cases so far. Filed in arrival order, a
    PO-only link would depend on timing: an 856 carrying only a PO would join the one request
    that came before it although a second request on that order arrived an hour later. So
    `file_documents`, which builds cases from every stored document, files them in an order of
    their own (`filing_order`): 180 requests and notifications, then 180 answers, then 856s and
    214s naming one return, then consolidated ones, then those naming none; within each, 856
    before 214, then by document reference. Every request on an order is known before a PO-only
    document is judged, and the same documents give the same cases, opened by the same
    document, whatever order they arrived in. Facts keep their own times and arrivals.

Exact names
    A name a person gives picks the case that carries it as a name (`named_by`), never one that
    merely shares a PO with it; gateway.app.cases does the same for '#12' and for other keys. Only
    a reference several cases carry (a PO of several returns, the PRO of a consolidated truck)
    is ambiguous: a command that acts on one case refuses it and lists the candidates with
    their request ids and RMAs (`AmbiguousReference`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from itertools import combinations

from gateway.domain.correlation import (
    CorrelationKey,
    KeyKind,
    different_returns,
    keys_of,
    names_of,
    names_several_returns,
    normalize,
    shared_keys,
)
from gateway.domain.return_case import (
    CaseMerge,
    DocumentRef,
    ReturnCase,
    apply,
    document_reference,
    merge_cases,
)
from gateway.model import (
    CanonicalDocument,
    RecallNotice,
    ReturnAuthorization,
    ReturnShipment,
    ReturnStage,
)


class LinkStrength(StrEnum):
    STRONG = "strong"  # an RMA, request id or shipment / carrier number in common
    WEAK = "weak"  # only a purchase order in common


@dataclass(frozen=True, slots=True)
class CaseLink:
    case: ReturnCase
    shared: frozenset[CorrelationKey]  # the document's keys that the case also has
    strength: LinkStrength

    @property
    def reason(self) -> str:
        return "shares " + ", ".join(sorted(str(key) for key in self.shared))


@dataclass(frozen=True, slots=True)
class CaseMatch:
    """The cases a document belongs to (survivor first) and, when a PO alone pointed at several
    cases, those candidates (the document then belongs to none of them)."""

    links: tuple[CaseLink, ...] = ()
    ambiguous: tuple[CaseLink, ...] = ()

    @property
    def case(self) -> ReturnCase | None:
        """The one case the document belongs to (the survivor when it links several)."""
        return self.links[0].case if self.links else None

    @property
    def mergeable(self) -> bool:
        return len(self.links) > 1 and can_merge(link.case for link in self.links)


def link(keys: Iterable[CorrelationKey], case: ReturnCase,
         names: Iterable[CorrelationKey] | None = None) -> CaseLink | None:
    """How a document with ``keys`` links to ``case``, or None when it does not. ``names`` are
    the document's (`names_of`); by default every RMA and request id among ``keys``."""
    keys = frozenset(keys)
    if different_returns(keys if names is None else names, case.names):
        return None
    shared = shared_keys(keys, case.keys)
    if not shared:
        return None
    strength = (LinkStrength.WEAK if all(key.is_weak for key in shared)
                else LinkStrength.STRONG)
    return CaseLink(case, shared, strength)


def find_case(keys: Iterable[CorrelationKey], cases: Iterable[ReturnCase],
              names: Iterable[CorrelationKey] | None = None) -> CaseMatch:
    """The case(s) a document with ``keys`` (and ``names``, as for `link`) belongs to, by the
    linking rules of the module doc."""
    keys = frozenset(keys)
    names = None if names is None else frozenset(names)
    candidates = [found for case in cases if (found := link(keys, case, names)) is not None]
    strong = [found for found in candidates if found.strength is LinkStrength.STRONG]
    if strong:
        return CaseMatch(links=tuple(sorted(strong, key=lambda found: _seniority(found.case))))
    if len(candidates) == 1:
        return CaseMatch(links=tuple(candidates))
    return CaseMatch(ambiguous=tuple(sorted(candidates, key=lambda found: _seniority(found.case))))


def can_merge(cases: Iterable[ReturnCase]) -> bool:
    """Cases can be one return unless two of them name different returns."""
    return not any(different_returns(first.names, second.names)
                   for first, second in combinations(cases, 2))


def survivor_of(cases: Iterable[ReturnCase]) -> ReturnCase:
    """The case that survives a merge: opened first, then the smaller case id."""
    return min(cases, key=_seniority)


def merge(links: Sequence[CaseLink], cause: DocumentRef, received_at: datetime) -> ReturnCase:
    """All linked cases as one (module doc, "Merge rule")."""
    if not can_merge(found.case for found in links):
        raise ValueError("cases naming different RMAs or requests are different returns: "
                         "not merged")
    survivor = survivor_of(found.case for found in links)
    merged = survivor
    for found in links:
        if found.case.case_id == survivor.case_id:
            continue
        record = CaseMerge(
            absorbed_case_id=found.case.case_id, at=received_at, cause=cause,
            shared=tuple(sorted(found.shared, key=str)),
            reason=f"{cause} links case {found.case.case_id} to case {survivor.case_id}: "
                   f"{found.reason}")
        merged = merge_cases(merged, found.case, record)
    return merged


def file_document(cases: Sequence[ReturnCase], document: CanonicalDocument,
                  received_at: datetime) -> tuple[ReturnCase, ...]:
    """All cases after ``document`` arrives: it joins, opens or merges cases as the module doc
    says. A recall notice is applied to every case (its holds depend on each case's lines)."""
    if isinstance(document, RecallNotice):
        return tuple(apply(case, document, received_at) for case in cases)
    match = find_case(keys_of(document), cases, names_of(document))
    if not match.links:
        return (*cases, apply(None, document, received_at))
    if match.mergeable:
        merged = merge(match.links, document_reference(document), received_at)
        updated = {merged.case_id: apply(merged, document, received_at)}
        gone = {found.case.case_id for found in match.links} - {merged.case_id}
    else:
        updated = {found.case.case_id: apply(found.case, document, received_at)
                   for found in match.links}
        gone = set()
    return tuple(updated.get(case.case_id, case) for case in cases if case.case_id not in gone)


def _seniority(case: ReturnCase) -> tuple[datetime, str]:
    return case.opened_at, case.case_id


def file_documents(arrivals: Iterable[tuple[CanonicalDocument, datetime]]
                   ) -> tuple[ReturnCase, ...]:
    """The cases that ``arrivals`` (document, received at) make, filed in `filing_order` (module
    doc, "Filing order"), so that arrival order changes neither which documents make a case
    nor which one opened it.

    A recall is usually announced before the returns it concerns arrive, so every notice is
    applied to every case once the others are filed. Notices are not in the timeline, so the
    result is the same in any order.
    """
    arrivals = list(arrivals)
    notices = [(doc, at) for doc, at in arrivals if isinstance(doc, RecallNotice)]
    cases: tuple[ReturnCase, ...] = ()
    for document, received_at in sorted(
            ((doc, at) for doc, at in arrivals if not isinstance(doc, RecallNotice)),
            key=lambda arrival: filing_order(arrival[0])):
        cases = file_document(cases, document, received_at)
    return tuple(_with_notices(case, notices) for case in cases)


def filing_order(document: CanonicalDocument) -> tuple[int, int, str]:
    """Where ``document`` is filed among the others (module doc, "Filing order"). Documents
    with the same reference (kind, number and envelope controls) keep their arrival order:
    either would open the same case, named by that reference."""
    if isinstance(document, ReturnAuthorization):
        tier = 1 if document.stage is ReturnStage.AUTHORIZATION else 0
    elif names_several_returns(document):
        tier = 3
    else:
        tier = 2 if names_of(document) else 4
    kind = 0 if isinstance(document, ReturnShipment) else 1
    return tier, kind, str(document_reference(document))


def _with_notices(case: ReturnCase,
                  notices: Iterable[tuple[RecallNotice, datetime]]) -> ReturnCase:
    for notice, received_at in notices:
        if notice not in case.notices:
            case = apply(case, notice, received_at)
    return case


# --- exact names ---------------------------------------------------------------------------------
def named_by(cases: Iterable[ReturnCase], reference: str) -> tuple[ReturnCase, ...]:
    """The cases that carry ``reference`` as a name (an RMA or a request id), in their order."""
    value = normalize(reference)
    return tuple(case for case in cases if any(name.value == value for name in case.names))


def case_label(case: ReturnCase) -> str:
    """A case as a person tells it from the others: its id and its names, for example
    ``180:NW-RQ-1001 (request NW-RQ-1001, RMA NW0000001)``."""
    names = sorted(case.names, key=lambda name: (name.kind is not KeyKind.REQUEST_ID,
                                                  name.value))
    said = ", ".join(("request " if name.kind is KeyKind.REQUEST_ID else "RMA ") + name.value
                     for name in names)
    return f"{case.case_id} ({said or 'no request id or RMA yet'})"


class AmbiguousReference(ValueError):
    """A reference several cases carry (a PO of several returns): a person must choose."""

    def __init__(self, reference: str, candidates: Sequence[ReturnCase]) -> None:
        self.candidates = tuple(candidates)
        super().__init__(f"{reference!r} names {len(self.candidates)} return cases; name one "
                         "of them by its request id or RMA: "
                         + "; ".join(case_label(case) for case in self.candidates))


def one_case(cases: Sequence[ReturnCase], reference: str) -> ReturnCase | None:
    """The one case ``reference`` picked (None: it picked none). Raises AmbiguousReference,
    which lists the candidates, when it picked several."""
    if len(cases) > 1:
        raise AmbiguousReference(reference, cases)
    return cases[0] if cases else None
