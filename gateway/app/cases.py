"""Return cases, derived from the stored documents: the read side of the pipeline.

A case is not a row that could drift from its documents: it is folded from them, in arrival
order, by the domain's `file_documents`; the domain's lifecycle is order-independent, so the same
documents give the same case whatever order they came in (the domain files them in an order of
its own, not their arrival).

A reference picks cases exactly (gateway.domain.matching, "Exact names"): an RMA or request id
picks the case that carries it as a name; '#12' the cases of that file's documents; any other
key, document number or ISA13 the cases of the documents that carry exactly that value (a PO
may pick several). Never a case that merely shares a PO with the one named.

A recall notice is its issuer's: every id a notice version claims (its own, and the original it
updates or cancels) belongs to the partner that sent it first, and a version another partner
sent of it is not a version of that notice (`issued_notices`). Ingest refuses such versions;
this keeps one that was stored before (or raced its issuer's first version) out of every case,
hold and notification.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway.app.parted import folded_shipment, recalled_products
from gateway.app.ports import DocumentReader, StoredDocument, file_number_of
from gateway.domain.correlation import keys_of, normalize
from gateway.domain.matching import file_documents, named_by
from gateway.domain.recall_match import claimed_ids, notice_identity
from gateway.domain.return_case import DocumentRef, ReturnCase, document_reference, record_step
from gateway.mapping.build import build
from gateway.mapping.engine import Context
from gateway.model import (
    CanonicalDocument,
    RecallNotice,
    ReceivingAdvice,
    ReturnAuthorization,
    ReturnShipment,
    ShipmentStatusReport,
)
from gateway.model.states import CaseState

CASE_STEP = "case-step"
# A line's disposition after receipt (gateway.app.dispositions): like a step, recorded by a
# person, kept with the case's keys so the case finds it again, and no canonical document.
LINE_DISPOSITION = "line-disposition"
RECORDED_KINDS = frozenset({CASE_STEP, LINE_DISPOSITION})
# The stored kinds that read back as canonical documents, and their model types.
DOCUMENT_KINDS: dict[str, type[Any]] = {
    "return-authorization": ReturnAuthorization, "return-shipment": ReturnShipment,
    "shipment-status": ShipmentStatusReport, "recall-notice": RecallNotice,
    "receiving-advice": ReceivingAdvice}


@dataclass(frozen=True, slots=True)
class CaseView:
    cases: tuple[ReturnCase, ...]  # the cases the reference picks (module doc)
    # The stored documents of those cases (with the recall notices and steps applied to them);
    # with no case, the documents the reference names exactly.
    documents: tuple[StoredDocument, ...]
    # For each step and disposition among ``documents``, the ids of the cases it was recorded
    # on (`recorded_on`). Not compared: the documents already say the same.
    recorded: dict[int, frozenset[str]] = field(default_factory=dict, compare=False)

    def recorded_on(self, stored: StoredDocument, case: ReturnCase) -> bool:
        """Whether the step or disposition ``stored`` was recorded on ``case``."""
        return case.case_id in self.recorded.get(stored.id, frozenset())


# A case's stored documents, each read back, by the reference its timeline names it with.
CaseDocuments = dict[DocumentRef, tuple[StoredDocument, CanonicalDocument]]


def case_documents(view: CaseView, case: ReturnCase) -> CaseDocuments:
    """The stored documents of ``case`` (one of ``view``'s), each read once (a recorded step
    is not a document: it has no reference in the timeline's terms)."""
    found = {}
    for stored in view.documents:
        document = document_from_json(stored) if stored.kind not in RECORDED_KINDS else None
        if document is None:
            continue
        ref = document_reference(document)
        if ref in case.documents:
            found[ref] = (stored, document)
    return found


# Reading a stored document back (JSON, then typed) costs about a millisecond, and one file's
# follow-ups read the same documents several times (deciding, status updates, the event feed
# each fold the case). A stored document never changes under its id and body, and the typed
# model is frozen, so recent answers are kept: small documents up to a budget of JSON, for
# the life of the process; a large one (an ASN of a hundred thousand items takes seconds to
# type, and hundreds of megabytes) only inside `documents_kept_for_a_file`, which one file's
# follow-ups run in, and only the last one read.
_READ_BACK: OrderedDict[tuple[int, str, str], CanonicalDocument | None] = OrderedDict()
_READ_BACK_LOCK = threading.Lock()
_READ_BACK_BUDGET = 32 * 1024 * 1024  # characters of JSON kept, all small documents together
_READ_BACK_LARGEST = 256 * 1024  # characters of JSON of a "small" document
_read_back_held = 0
_LARGE_KEPT: ContextVar[dict[tuple[int, str, str], CanonicalDocument | None] | None] = \
    ContextVar("large_documents_kept", default=None)


@contextmanager
def documents_kept_for_a_file() -> Iterator[None]:
    """Keep the last large document read back until the block ends (one file's follow-ups)."""
    token = _LARGE_KEPT.set({})
    try:
        yield
    finally:
        _LARGE_KEPT.reset(token)


def document_from_json(stored: StoredDocument,
                       recalled: frozenset[str] = frozenset()) -> CanonicalDocument | None:
    """The typed canonical document back from its stored JSON. A document kept in parts
    comes back as a case folds it (`gateway.app.parted.folded_shipment`), with the items
    whose product is in ``recalled`` (recall notices' product identities)."""
    if stored.parts:
        return folded_shipment(stored, recalled)
    key = (stored.id, stored.kind, stored.body)
    if len(stored.body) > _READ_BACK_LARGEST:
        return _large_document(stored, key)
    with _READ_BACK_LOCK:
        if key in _READ_BACK:
            _READ_BACK.move_to_end(key)
            return _READ_BACK[key]
    document = _read_back(stored)
    _keep(key, document)
    return document


def _large_document(stored: StoredDocument,
                    key: tuple[int, str, str]) -> CanonicalDocument | None:
    kept = _LARGE_KEPT.get()
    if kept is None:
        return _read_back(stored)
    if key not in kept:
        kept.clear()
        kept[key] = _read_back(stored)
    return kept[key]


def _keep(key: tuple[int, str, str], document: CanonicalDocument | None) -> None:
    global _read_back_held  # noqa: PLW0603 (the cache's own size, under its lock)
    with _READ_BACK_LOCK:
        if key in _READ_BACK:
            return
        _READ_BACK[key] = document
        _read_back_held += len(key[2])
        while _read_back_held > _READ_BACK_BUDGET and _READ_BACK:
            (_id, _kind, body), _ = _READ_BACK.popitem(last=False)
            _read_back_held -= len(body)


def _read_back(stored: StoredDocument) -> CanonicalDocument | None:
    body = json.loads(stored.body)
    kind = body.pop("kind", stored.kind)
    context = Context({}, {}, f"stored document #{stored.id}")
    document = build(DOCUMENT_KINDS[kind], body, context) if kind in DOCUMENT_KINDS else None
    return None if context.issues else document


@dataclass(frozen=True, slots=True, order=True)
class NoticeKey:
    """A recall notice's identity: the partner that issued it and the id it is known by."""

    issuer: str
    notice_id: str


def issued_notices(stored: Iterable[StoredDocument]
                   ) -> list[tuple[NoticeKey, StoredDocument, RecallNotice]]:
    """Every stored version of every notice, oldest first, by issuer + id; a version that
    claims an id another partner issued first belongs to no notice and is left out."""
    versions = list(_notice_versions(stored))
    issuers = _first_claims(versions)
    return [(NoticeKey(item.partner, notice_identity(notice)), item, notice)
            for item, notice in versions
            if all(issuers[claimed] == item.partner for claimed in claimed_ids(notice))]


def notice_issuers(stored: Iterable[StoredDocument]) -> dict[str, str]:
    """Each notice id any stored version claims, with the partner that claimed it first."""
    return _first_claims(list(_notice_versions(stored)))


def _notice_versions(stored: Iterable[StoredDocument]
                     ) -> Iterator[tuple[StoredDocument, RecallNotice]]:
    for item in sorted(stored, key=lambda d: (d.created_at, d.id)):
        document = document_from_json(item) if item.kind == "recall-notice" else None
        if isinstance(document, RecallNotice):
            yield item, document


def _first_claims(versions: list[tuple[StoredDocument, RecallNotice]]) -> dict[str, str]:
    issuers: dict[str, str] = {}
    for item, notice in versions:
        for claimed in sorted(claimed_ids(notice)):
            issuers.setdefault(claimed, item.partner)
    return issuers


def cases_for(reader: DocumentReader, reference: str) -> CaseView:
    # A recall shares no key with a return: it reaches every case through its products, so
    # every stored notice its issuer sent is folded in (the domain keeps only each notice's
    # latest version); a version someone else sent of it is not.
    related, every_notice = reader.documents_to_fold(reference)
    issued = {item.id for _, item, _ in issued_notices(every_notice)}
    known = {d.id for d in related}
    notices = [d for d in every_notice if d.id in issued and d.id not in known]
    kept = [d for d in related if d.kind != "recall-notice" or d.id in issued]
    stored = sorted([*kept, *notices], key=lambda d: (d.created_at, d.id))
    recalled = recalled_products(document for item in stored if item.kind == "recall-notice"
                                 and isinstance(document := document_from_json(item),
                                                RecallNotice))
    read = {item.id: document for item in stored if item.kind not in RECORDED_KINDS
            and (document := document_from_json(item, recalled)) is not None}
    cases, stepped = _with_steps(
        file_documents((read[item.id], item.created_at) for item in stored if item.id in read),
        [item for item in stored if item.kind == CASE_STEP])
    stepped.update(_recorded_on(cases, [item for item in stored
                                        if item.kind == LINE_DISPOSITION]))
    seeds = [item for item in stored if _names_exactly(item, read.get(item.id), reference)]
    chosen = _chosen(cases, reference, seeds, read, stepped)
    return CaseView(chosen, _documents_of(chosen, stored, read, stepped) if chosen
                    else tuple(seeds),
                    {item: frozenset(ids) for item, ids in stepped.items()})


def _chosen(cases: tuple[ReturnCase, ...], reference: str, seeds: list[StoredDocument],
            read: dict[int, CanonicalDocument], stepped: dict[int, set[str]]
            ) -> tuple[ReturnCase, ...]:
    """The cases ``reference`` picks (module doc): by name first, else by the documents (and
    steps) that carry it exactly."""
    named = () if file_number_of(reference.strip()) is not None else named_by(cases, reference)
    if named:
        return named
    refs = {document_reference(read[seed.id]) for seed in seeds if seed.id in read}
    ids = {case_id for seed in seeds for case_id in stepped.get(seed.id, ())}
    return tuple(case for case in cases if case.documents & refs or case.case_id in ids)


def _documents_of(cases: tuple[ReturnCase, ...], stored: list[StoredDocument],
                  read: dict[int, CanonicalDocument], stepped: dict[int, set[str]]
                  ) -> tuple[StoredDocument, ...]:
    """The stored documents of ``cases``: theirs, the recall notices folded into every case,
    and the steps recorded on them."""
    refs = {ref for case in cases for ref in case.documents}
    ids = {case.case_id for case in cases}
    return tuple(item for item in stored
                 if (item.id in read and (document_reference(read[item.id]) in refs
                                          or isinstance(read[item.id], RecallNotice)))
                 or stepped.get(item.id, set()) & ids)


def case_step_body(state: CaseState, at: datetime, note: str,
                   keys: Iterable[str]) -> dict[str, object]:
    """A step no document proves (goods received at the dock, case closed), as stored (its
    JSON). Its ``keys`` are the case's correlation key values, so the case finds it again."""
    return {"kind": CASE_STEP, "state": state.value, "at": at.isoformat(), "note": note,
            "case_keys": sorted(keys)}


def _with_steps(cases: tuple[ReturnCase, ...], steps: Iterable[StoredDocument]
                ) -> tuple[tuple[ReturnCase, ...], dict[int, set[str]]]:
    """``cases`` with the steps recorded on them, and for each step the ids of its cases."""
    stepped: dict[int, set[str]] = {}
    for step in steps:
        body = json.loads(step.body)
        targets = _cases_of_step(cases, set(body.get("case_keys", ())))
        stepped[step.id] = {case.case_id for case in targets}
        cases = tuple(record_step(case, CaseState(body["state"]),
                                  datetime.fromisoformat(body["at"]),
                                  str(body.get("note") or ""))
                      if case.case_id in stepped[step.id] else case for case in cases)
    return cases, stepped


def _recorded_on(cases: tuple[ReturnCase, ...], recorded: Iterable[StoredDocument]
                 ) -> dict[int, set[str]]:
    """For each disposition, the ids of the cases it was recorded on (as a step's)."""
    return {item.id: {case.case_id for case in _cases_of_step(
        cases, set(json.loads(item.body).get("case_keys", ())))} for item in recorded}


def _cases_of_step(cases: Iterable[ReturnCase], values: set[str]) -> list[ReturnCase]:
    """The cases a step was recorded on: those it names (an RMA or request id among the key
    values it kept), else, for a step on a case that had no name yet, those sharing one of its
    shipment or carrier numbers. Never by a PO alone: another return may share it."""
    cases = list(cases)
    named = [case for case in cases if values & {name.value for name in case.names}]
    return named or [case for case in cases
                     if values & {key.value for key in case.keys if not key.is_weak}]


def _names_exactly(stored: StoredDocument, document: CanonicalDocument | None,
                   reference: str) -> bool:
    """``stored`` is one of file '#N''s documents, or carries ``reference`` exactly: as its own
    number, as a key, or as its interchange's ISA13 (a step: as the reference a person gave)."""
    text = reference.strip()
    number = file_number_of(text)
    if number is not None:
        return stored.file_id == number
    value = normalize(text)
    if value and normalize(stored.reference) == value:
        return True
    return document is not None and bool(value) and (
        any(key.value == value for key in keys_of(document))
        or (document.source.interchange_control or "").strip() == text)

