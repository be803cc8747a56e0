"""Which return case a document belongs to, and what happens when it links two of them.

Linking rules
    - A document belongs to a case when they share a correlation key (same family, same value:
      see gateway.domain.correlation) **and** do not name different RMAs. So an 856 whose order
      carries the 180's PO and REF*RZ joins that 180's case, a 214 whose B1002 / B1001 equals
      the 856's BSN02 or BOL / PRO joins the 856's case, and a second 180 for another RMA joins
      nothing even if it returns goods from the same purchase order.
    - A purchase order is weak evidence: one order can be returned in several RMAs. A document
      whose only link is a PO joins a case only when exactly one case has that PO; with several,
      it joins none (the candidates are reported as ``ambiguous``) and starts its own case, which
      a later document with a stronger key can merge.

Merge rule
    When a document links several cases (a 214 opened one, the 180 another, and the 856 ties
    them together), they describe one return and are merged: the case opened first survives (ties
    by case id, so the choice is reproducible), takes every fact, key, line and notice of the
    others, and records a `CaseMerge` naming the absorbed case, the linking document and the
    shared keys. Cases naming *different* RMAs are never merged: a consolidated shipment for two
    RMAs is applied to each case instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gateway.domain.correlation import (
    CorrelationKey,
    KeyKind,
    keys_of,
    rma_conflict,
    shared_keys,
    values_of,
)
from gateway.domain.return_case import (
    CaseMerge,
    DocumentRef,
    ReturnCase,
    apply,
    document_reference,
    merge_cases,
)
from gateway.model import CanonicalDocument, RecallNotice


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


def link(keys: Iterable[CorrelationKey], case: ReturnCase) -> CaseLink | None:
    """How a document with ``keys`` links to ``case``, or None when it does not."""
    keys = frozenset(keys)
    if rma_conflict(keys, case.keys):
        return None
    shared = shared_keys(keys, case.keys)
    if not shared:
        return None
    strength = (LinkStrength.WEAK if all(key.is_weak for key in shared)
                else LinkStrength.STRONG)
    return CaseLink(case, shared, strength)


def find_case(keys: Iterable[CorrelationKey], cases: Iterable[ReturnCase]) -> CaseMatch:
    """The case(s) a document with ``keys`` belongs to, by the linking rules of the module doc."""
    keys = frozenset(keys)
    candidates = [found for case in cases if (found := link(keys, case)) is not None]
    strong = [found for found in candidates if found.strength is LinkStrength.STRONG]
    if strong:
        return CaseMatch(links=tuple(sorted(strong, key=lambda found: _seniority(found.case))))
    if len(candidates) == 1:
        return CaseMatch(links=tuple(candidates))
    return CaseMatch(ambiguous=tuple(sorted(candidates, key=lambda found: _seniority(found.case))))


def can_merge(cases: Iterable[ReturnCase]) -> bool:
    """Cases can be one return unless they name more than one RMA between them."""
    rmas = {rma for case in cases for rma in values_of(case.keys, KeyKind.RMA)}
    return len(rmas) <= 1


def survivor_of(cases: Iterable[ReturnCase]) -> ReturnCase:
    """The case that survives a merge: opened first, then the smaller case id."""
    return min(cases, key=_seniority)


def merge(links: Sequence[CaseLink], cause: DocumentRef, received_at: datetime) -> ReturnCase:
    """All linked cases as one (module doc, "Merge rule")."""
    if not can_merge(found.case for found in links):
        raise ValueError("cases naming different RMAs are different returns: not merged")
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
    match = find_case(keys_of(document), cases)
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
    """The cases that ``arrivals`` (document, received at), filed in that order, make.

    A recall is usually announced before the returns it concerns arrive, so a notice must also
    reach cases opened after it: every notice seen so far is applied to each case that does not
    hold it yet. Notices are not in the timeline, so the result is the same in any order.
    """
    cases: tuple[ReturnCase, ...] = ()
    notices: list[tuple[RecallNotice, datetime]] = []
    for document, received_at in arrivals:
        cases = file_document(cases, document, received_at)
        if isinstance(document, RecallNotice):
            notices.append((document, received_at))
        else:
            cases = tuple(_with_notices(case, notices) for case in cases)
    return cases


def _with_notices(case: ReturnCase,
                  notices: Iterable[tuple[RecallNotice, datetime]]) -> ReturnCase:
    for notice, received_at in notices:
        if notice not in case.notices:
            case = apply(case, notice, received_at)
    return case
