"""What the console's pages and its API both do: replay a stored file, write the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.app.access import AuditEntry, AuditOutcome
from gateway.app.ingest import IngestResult
from gateway.app.outbound.react import Reactions, react_to_file
from gateway.app.ports import StoredFile
from gateway.bootstrap import ReplayAsIngested, outbound_context
from gateway.model.states import FAILED_STATES

from .context import ConsoleContext


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


def record(context: ConsoleContext, *, actor: str, source: str, action: str, target: str,
           outcome: AuditOutcome, detail: Mapping[str, Any] | None = None) -> None:
    """One entry in the audit log, for a write made through the console or its API."""
    context.store.audit_log().append(AuditEntry(context.now(), actor, action, target, outcome,
                                                source, detail or {}))
