"""What follows a stored file, and the catch-up that makes it crash-proof.

`after_file` runs right after the pipeline committed a file: decide its 180 requests, queue
the status updates its documents caused, notify partners newly affected by a recall. Each step
is idempotent (dedupe keys), so `catch_up` can simply run the same steps over recent documents
on a timer: a crash between the file's commit and these steps delays them, never loses them.

Each document's steps run on their own (`gateway.app.outbound.failures`): what one document's
raise is recorded in `Reactions.failures` and the other documents' follow-ups go on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from gateway.app.case_events import record_events_of
from gateway.app.cases import cases_for, documents_kept_for_a_file
from gateway.app.ingest import IngestResult
from gateway.app.outbound.decisions import Answer, decide_new_requests
from gateway.app.outbound.failures import FollowUpFailure, read_back, recorded
from gateway.app.outbound.recalls import Notified, notify_affected_partners
from gateway.app.outbound.status import Transition, status_updates_of
from gateway.app.outbound.terms import Outbound
from gateway.app.ports import StoredDocument


@dataclass(slots=True)
class Reactions:
    answers: list[Answer] = field(default_factory=list)
    updates: list[Transition] = field(default_factory=list)
    notified: list[Notified] = field(default_factory=list)
    failures: list[FollowUpFailure] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Plain-language lines for logs and command output."""
        found = []
        for a in self.answers:
            found.append(f"request {a.request} from {a.partner}: {a.outcome}"
                         + (f", answered under RMA {a.rma_number}" if a.queued else
                            ", left for a person (gateway rma authorize|deny)"
                            if a.outcome == "pending" else ""))
        found += [f"status update to {t.partner}: {t.anchor} is {t.state}"
                  for t in self.updates]
        found += [f"recall {n.notice_id}: notified {n.partner} ({n.units} affected units, "
                  f"notification {n.notification_id})" for n in self.notified]
        found += [f"FAILED: {f.line()}" for f in self.failures]
        return found


def react_to_file(context: Outbound, result: IngestResult, now: datetime) -> Reactions:
    """The follow-ups of a stored file. A duplicate re-runs those of the file it repeats: a
    partner re-delivers after a crash, and that crash may have come before the follow-ups."""
    file_id = result.duplicate_of or result.file_id
    return react(context, context.store.documents_of_file(file_id), now, file_id)


def react(context: Outbound, documents: Iterable[StoredDocument], now: datetime,
          file_id: int | None = None) -> Reactions:
    """Every follow-up of ``documents``, document by document: one that fails is recorded in
    `Reactions.failures`, never raised, and the others go on."""
    with documents_kept_for_a_file():
        return _react(context, list(documents), now, file_id)


def _react(context: Outbound, documents: list[StoredDocument], now: datetime,
           file_id: int | None) -> Reactions:
    reactions = Reactions()
    cases_done: set[str] = set()  # a case is told about once per run, whichever its document
    cases_in_feed: set[str] = set()  # and its moves written to the event feed once
    for document in documents:
        with recorded(reactions.failures, [document], "reading the stored document"):
            read_back(document)
        if any(f.document_id == document.id for f in reactions.failures):
            continue  # nothing can be decided or told from a document that does not read
        with recorded(reactions.failures, [document], "deciding the return request"):
            reactions.answers += decide_new_requests(context, [document], now)
        view = None  # the document's cases, folded once for both steps below
        if document.kind != "recall-notice":
            with recorded(reactions.failures, [document], "status updates"):
                view = cases_for(context.store, document.reference)
                reactions.updates += status_updates_of(context, view, now, file_id,
                                                       seen=cases_done)
        with recorded(reactions.failures, [document], "case events"):
            if view is None:
                view = cases_for(context.store, document.reference)
            record_events_of(context.store, view, now, seen=cases_in_feed)
    _notify(context, documents, now, file_id, reactions)
    return reactions


def _notify(context: Outbound, documents: list[StoredDocument], now: datetime,
            file_id: int | None, reactions: Reactions) -> None:
    """A new notice may concern anyone; a new return or shipment only its own partner. A
    holding document that cannot be read is recorded and left out, not the notification."""
    notices = [d for d in documents if d.kind == "recall-notice"]
    holdings = [d for d in documents if d.kind in ("return-authorization", "return-shipment")]
    if not notices and not holdings:
        return
    partners = None if notices else {d.partner for d in holdings}
    with recorded(reactions.failures, notices or holdings, "recall notifications"):
        reactions.notified += notify_affected_partners(
            context, now, file_id, partners=partners, failures=reactions.failures)
