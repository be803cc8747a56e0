"""Return cases, derived from the stored documents: the read side of the pipeline.

A case is not a row that could drift from its documents: it is folded from them, in arrival
order, by the domain's `file_documents`; the domain's lifecycle is order-independent, so the same
documents give the same case whatever order they came in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.domain.matching import file_documents
from gateway.domain.return_case import CaseState, ReturnCase, document_reference, record_step
from gateway.mapping.build import build
from gateway.mapping.engine import Context
from gateway.model import (
    CanonicalDocument,
    RecallNotice,
    ReturnAuthorization,
    ReturnShipment,
    ShipmentStatusReport,
)
from gateway.ports import DocumentReader, StoredDocument, file_number_of

CASE_STEP = "case-step"
_KINDS: dict[str, type[Any]] = {
    "return-authorization": ReturnAuthorization, "return-shipment": ReturnShipment,
    "shipment-status": ShipmentStatusReport, "recall-notice": RecallNotice}


@dataclass(frozen=True, slots=True)
class CaseView:
    cases: tuple[ReturnCase, ...]  # the cases the reference belongs to
    documents: tuple[StoredDocument, ...]  # every stored document they were folded from


def document_from_json(stored: StoredDocument) -> CanonicalDocument | None:
    """The typed canonical document back from its stored JSON."""
    body = json.loads(stored.body)
    kind = body.pop("kind", stored.kind)
    context = Context({}, {}, f"stored document #{stored.id}")
    document = build(_KINDS[kind], body, context) if kind in _KINDS else None
    return None if context.issues else document


def cases_for(reader: DocumentReader, reference: str) -> CaseView:
    related = reader.related_documents(reference)
    # A recall shares no key with a return: it reaches every case through its products, so
    # every stored notice is folded in (the domain keeps only each notice's latest version).
    known = {d.id for d in related}
    notices = [d for d in reader.documents_of_kind("recall-notice")
               if d.id not in known] if related else []
    stored = sorted([*related, *notices], key=lambda d: (d.created_at, d.id))
    seeds = {s.id for s in stored if _matches(s, reference)}
    refs = {}
    arrivals = []
    steps = []
    for item in stored:
        if item.kind == CASE_STEP:
            steps.append(item)
            continue
        document = document_from_json(item)
        if document is None:
            continue
        refs[item.id] = document_reference(document)
        arrivals.append((document, item.created_at))
    cases = tuple(_with_steps(case, steps) for case in file_documents(arrivals))
    wanted = {refs[i] for i in seeds if i in refs} or set(refs.values())
    chosen = tuple(c for c in cases if c.documents & wanted)
    return CaseView(chosen, tuple(stored))


def case_step_body(state: CaseState, at: datetime, note: str, keys: Iterable[str]) -> str:
    """A step no document proves (goods received at the dock, case closed), as stored. Its
    ``keys`` are the case's correlation key values, so the case finds it again."""
    return json.dumps({"kind": CASE_STEP, "state": state.value, "at": at.isoformat(),
                       "note": note, "case_keys": sorted(keys)})


def _with_steps(case: ReturnCase, steps: Iterable[StoredDocument]) -> ReturnCase:
    values = {key.value for key in case.keys}
    for step in steps:
        body = json.loads(step.body)
        if values & set(body.get("case_keys", ())):
            case = record_step(case, CaseState(body["state"]), datetime.fromisoformat(body["at"]),
                               str(body.get("note") or ""))
    return case


def _matches(stored: StoredDocument, reference: str) -> bool:
    text = reference.strip()
    number = file_number_of(text)
    if number is not None:
        return stored.file_id == number
    return stored.reference == text or text.upper() in stored.body.upper()

