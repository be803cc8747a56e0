"""What follows a stored file, and the catch-up that makes it crash-proof.

`after_file` runs right after the pipeline committed a file: decide its 180 requests, queue
the status updates its documents caused, notify partners newly affected by a recall. Each step
is idempotent (dedupe keys), so `catch_up` can simply run the same steps over recent documents
on a timer: a crash between the file's commit and these steps delays them, never loses them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from gateway.outbound.decisions import Answer, decide_new_requests
from gateway.outbound.recalls import Notified, notify_affected_partners
from gateway.outbound.status import Transition, queue_status_updates
from gateway.outbound.terms import Outbound
from gateway.pipeline import IngestResult
from gateway.ports import StoredDocument


@dataclass(slots=True)
class Reactions:
    answers: list[Answer] = field(default_factory=list)
    updates: list[Transition] = field(default_factory=list)
    notified: list[Notified] = field(default_factory=list)

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
        return found


def react_to_file(context: Outbound, result: IngestResult, now: datetime) -> Reactions:
    """The follow-ups of a stored file. A duplicate re-runs those of the file it repeats: a
    partner re-delivers after a crash, and that crash may have come before the follow-ups."""
    file_id = result.duplicate_of or result.file_id
    return react(context, context.store.documents_of_file(file_id), now, file_id)


def react(context: Outbound, documents: Iterable[StoredDocument], now: datetime,
          file_id: int | None = None) -> Reactions:
    documents = list(documents)
    reactions = Reactions()
    reactions.answers = decide_new_requests(context, documents, now)
    references = [d.reference for d in documents if d.kind != "recall-notice"]
    reactions.updates = queue_status_updates(context, references, now, file_id)
    # A new notice may concern anyone; a new return or shipment only its own partner.
    if any(d.kind == "recall-notice" for d in documents):
        reactions.notified = notify_affected_partners(context, now, file_id)
    elif holders := {d.partner for d in documents
                     if d.kind in ("return-authorization", "return-shipment")}:
        reactions.notified = notify_affected_partners(context, now, file_id, partners=holders)
    return reactions
