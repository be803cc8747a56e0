"""A follow-up that failed for one document: recorded, and the other documents go on.

One stored document the follow-ups cannot work with (a 180 stored with a quantity of NaN
before the mapping refused such values, a case that cannot be folded) must not hold back the
follow-ups of every other document: `gateway run` re-runs the last day's follow-ups at each
start, and one such document would then block every partner's, for ever. So each document's
follow-ups run under `recorded`: what one of them raises becomes a `FollowUpFailure` (the
caller logs it and raises an alert ``follow-up-failed-<document id>``) and the rest go on.

A stored document that no longer reads back into the model (`read_back`: a value the model
refuses, such as that NaN) is such a failure too, rather than a document silently ignored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from gateway.app.cases import DOCUMENT_KINDS, document_from_json
from gateway.app.ports import StoredDocument
from gateway.mapping.build import build
from gateway.mapping.engine import Context
from gateway.model import CanonicalDocument

log = logging.getLogger("gateway.outbound")


@dataclass(frozen=True, slots=True)
class FollowUpFailure:
    document_id: int
    partner: str
    file_id: int | None  # None: a document the gateway wrote itself
    kind: str
    reference: str
    step: str  # what failed: "deciding the return request", "status updates", ...
    error: str  # the exception, in one line

    def line(self) -> str:
        """One line for logs, alerts and command output."""
        origin = f"file #{self.file_id}" if self.file_id is not None else "no file"
        return (f"{self.step} for document #{self.document_id} ({self.kind} {self.reference} "
                f"from {self.partner}, {origin}) failed: {self.error}; the follow-ups of the "
                "other documents went on")


@contextmanager
def recorded(failures: list[FollowUpFailure] | None, documents: Iterable[StoredDocument],
             step: str) -> Iterator[None]:
    """Run the body; what it raises is recorded against ``documents`` and goes no further.
    Without a list (``failures`` None) it is raised: the caller did not ask to go on."""
    if failures is None:
        yield
        return
    try:
        yield
    except Exception as exc:  # any error of one document: it must not stop the others
        log.debug("%s failed", step, exc_info=True)
        error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        failures.extend(FollowUpFailure(d.id, d.partner, d.file_id, d.kind, d.reference, step,
                                        error) for d in _unique(documents))



def read_back(stored: StoredDocument,
              recalled: frozenset[str] = frozenset()) -> CanonicalDocument | None:
    """The stored document as the model (None for kinds that are no canonical document, such
    as a case step); ValueError, saying why, when it no longer reads as one. ``recalled``:
    as `document_from_json` takes it."""
    if stored.kind not in DOCUMENT_KINDS:
        return None
    document = document_from_json(stored, recalled)
    if document is None:
        raise ValueError(f"its stored JSON no longer reads as a {stored.kind}: "
                         f"{_why_unreadable(stored)}; replay its file")
    return document


def _why_unreadable(stored: StoredDocument) -> str:
    body = json.loads(stored.json_text())
    body.pop("kind", None)
    context = Context({}, {}, f"stored document #{stored.id}")
    build(DOCUMENT_KINDS[stored.kind], body, context)
    return "; ".join(f"{i.rule}: {i.message}" for i in context.issues) or "no reason given"


def _unique(documents: Iterable[StoredDocument]) -> list[StoredDocument]:
    return list({d.id: d for d in documents}.values())
