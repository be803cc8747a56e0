"""What the console's pages and its API both do: replay a stored file, take an uploaded
file through the intake, and decide a return request."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from flask import abort

from gateway.app.access import AuditOutcome
from gateway.app.dispositions import (
    AUDIT_ACTION,
    CLOSING_NOTE,
    DispositionOrder,
    RecordedDisposition,
    audit_detail,
    record_disposition,
)
from gateway.app.ingest import IngestResult, ingest
from gateway.app.outbound.decisions import Answer, operator_decide
from gateway.app.outbound.react import Reactions, react_to_file
from gateway.app.outbound.status import Transition, queue_status_updates
from gateway.app.partners import PartnerSettings
from gateway.app.ports import StoredFile
from gateway.bootstrap import ReplayAsIngested, ingest_ports, outbound_context
from gateway.domain.rma_policy import Verdict
from gateway.model.states import FAILED_STATES

from .auth import actor, audit
from .context import ConsoleContext


def file_or_404(context: ConsoleContext, file_id: int) -> StoredFile:
    """The stored file #``file_id``; a 404 (a page, or JSON under /api) when there is none."""
    found = context.store.files_by_id([file_id]).get(file_id)
    if found is None:
        abort(404, f"There is no file #{file_id}.")
    return found


def replayable(context: ConsoleContext, stored: StoredFile) -> bool:
    """Failed files, and files with a set that did not map (once the mapping is fixed)."""
    return stored.state in FAILED_STATES or bool(context.store.unmapped_sets_of(stored.id))


def replay_file(context: ConsoleContext, stored: StoredFile
                ) -> tuple[IngestResult, Reactions]:
    """`gateway replay '#N'` for one file: through today's grammars and mappings, with its
    partner's settings as ingest used them (a refused file stays refused); no acknowledgement
    is sent again and no control number used; its new documents get their follow-ups, each
    once. Raises ArchivedBytesMissing or GatewayError when it cannot run."""
    result = ReplayAsIngested(context.config, context.store).replay(stored, now=context.now())
    follow_ups = react_to_file(outbound_context(context.config, context.store), result,
                               context.now())
    return result, follow_ups



_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")


def upload_name(given: str | None, default: str) -> str:
    """The name an uploaded file is kept under: its own name's safe characters (no folder, at
    most 120), or ``default``."""
    base = (given or "").replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE_IN_NAME.sub("_", base)[:120].strip("._") or default


def take_upload(context: ConsoleContext, sender: PartnerSettings, name: str, data: bytes
                ) -> tuple[IngestResult, Reactions]:
    """An uploaded file through the same intake as one from ``sender``'s SFTP folder (its
    role, its settings), with its follow-ups (affected partners notified)."""
    ports, settings = ingest_ports(context.config, context.store, sender)
    result = ingest(data, name, sender.id, ports, settings, now=context.now())
    follow_ups = react_to_file(outbound_context(context.config, context.store), result,
                               context.now())
    return result, follow_ups


def decide(context: ConsoleContext, reference: str, verdict: Verdict, *,
           lines: Collection[int] | None, reason: str | None
           ) -> tuple[Answer, list[Transition]]:
    """`gateway rma authorize|deny`: the answer stored and queued (once), and the status
    updates the case's partners subscribe to. Raises DecisionError, said to the person."""
    outbound, now = outbound_context(context.config, context.store), context.now()
    answer = operator_decide(outbound, reference, verdict, lines=lines, reason=reason, now=now)
    return answer, queue_status_updates(outbound, [answer.request], now)


def decision_detail(answer: Answer, lines: Collection[int] | None,
                    reason: str | None) -> dict[str, Any]:
    """What the audit log keeps of a decision."""
    return {"request": answer.request, "partner": answer.partner, "rma": answer.rma_number,
            "outcome": answer.outcome, "lines": lines, "reason": reason,
            "queued": answer.queued}


DISPOSITION_ACTION = AUDIT_ACTION


def dispose(context: ConsoleContext, reference: str, order: DispositionOrder
            ) -> RecordedDisposition:
    """`gateway rma dispose`, by whoever makes this request: recorded, audited, and the case
    closed (its partners told) when it was the last. Raises DispositionError (UnknownCase),
    said to the person; the caller audits the failure, which it may word for its face."""
    outbound = outbound_context(context.config, context.store)
    done = record_disposition(outbound, reference, order, by=actor(), now=context.now())
    audit(DISPOSITION_ACTION, done.case_id, AuditOutcome.DONE, audit_detail(done))
    if done.closed is not None and not done.closed.already:
        audit("case.closed", done.case_id, AuditOutcome.DONE,
              {"case": done.case_id, "note": CLOSING_NOTE})
    return done
