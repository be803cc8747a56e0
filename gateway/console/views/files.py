"""Files: the recent ones, one file in full, and the replay of a failed one (admin only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    url_for,
)
from werkzeug.wrappers import Response

from gateway.app.access import AuditOutcome
from gateway.app.people import Permission
from gateway.app.ports import FileSummary, StoredFile
from gateway.bootstrap import file_archive
from gateway.errors import ArchivedBytesMissing, GatewayError
from gateway.model.states import STORED_STATES, FileState

from .. import actions
from ..auth import audit, require
from ..context import console
from ..health import partner_files, partners_in_store
from ..params import FILE_ROUTE, row_number_arg, sorted_page, text_arg
from ..present import RAW_CAP_BYTES, csv_download
from ..rawfile import raw_view

blueprint = Blueprint("files", __name__)
PAGE_SIZE = 100
CSV_MAX = 100_000  # files in one download
MAX_PARTNER = 64  # the longest partner id (and file state) the store keeps
CSV_COLUMNS = ("id", "received_at", "partner", "name", "state", "errors", "unmapped_sets",
               "size", "sha256", "reason")
SORTS: dict[str, Callable[[FileSummary], Any]] = {
    "received": lambda r: r.file.received_at, "partner": lambda r: r.file.partner,
    "name": lambda r: r.file.original_name, "state": lambda r: r.file.state.value,
    "errors": lambda r: r.errors}


@blueprint.route("/files")
def index() -> str:
    context = console()
    partner, state, unmapped = _filters()
    before = row_number_arg("before")
    rows = context.store.recent_files(partner=partner, state=state, limit=PAGE_SIZE,
                                      unmapped=unmapped, before=before)
    older = rows[-1].file.id if len(rows) == PAGE_SIZE else None
    rows = sorted_page(rows, SORTS)
    partners = sorted({p.id for p in partner_files(context.config)}
                      | partners_in_store(context.store))
    return render_template("files.html", rows=rows, partner=partner, state=state,
                           unmapped=unmapped, partners=partners, states=STORED_STATES,
                           page_size=PAGE_SIZE, older=older)


@blueprint.route("/files.csv")
def download() -> Response:
    partner, state, unmapped = _filters()
    rows = console().store.recent_files(partner=partner, state=state, limit=CSV_MAX,
                                        unmapped=unmapped)
    found = ({"id": r.file.id, "received_at": r.file.received_at.isoformat(),
              "partner": r.file.partner, "name": r.file.original_name,
              "state": r.file.state.value, "errors": r.errors,
              "unmapped_sets": r.unmapped_sets, "size": r.file.size,
              "sha256": r.file.sha256, "reason": r.file.reason} for r in rows)
    return csv_download(found, CSV_COLUMNS, "files.csv")


def _filters() -> tuple[str | None, str | None, bool]:
    partner = text_arg("partner", MAX_PARTNER)
    state = text_arg("state", MAX_PARTNER)
    if state is not None and state not in STORED_STATES:
        state = None
    return partner, state, text_arg("unmapped", 1) == "1"


@blueprint.route(f"/files/{FILE_ROUTE}")
def show(file_id: int) -> str:
    context = console()
    stored = actions.file_or_404(console(), file_id)
    archive = file_archive(context.config, context.store)
    unmapped = {(s[0], s[1], s[3]) for s in context.store.unmapped_sets_of(file_id)}
    return render_template(
        "file.html", file=stored, outcomes=context.store.outcomes_of(file_id),
        findings=context.store.findings_of(file_id), unmapped=unmapped,
        documents=context.store.documents_of_file(file_id),
        acks=context.store.outbox_of_files([file_id]),
        raw=raw_view(archive, stored.archive_key, RAW_CAP_BYTES),
        can_replay=_replayable(stored))


@blueprint.route(f"/files/{FILE_ROUTE}/replay", methods=["POST"])
def replay_file(file_id: int) -> Response:
    """`gateway replay '#N'` for one failed or unmapped file: through today's grammars and
    mappings, in place; no acknowledgement is sent again and no control number used; its new
    documents get their follow-ups, each once."""
    require(Permission.REPLAY, "file.replay", f"#{file_id}")
    stored = actions.file_or_404(console(), file_id)
    if not _replayable(stored):
        flash(f"File #{file_id} is {stored.state}: only rejected, partially accepted or "
              "not-X12 files, and files with a set that did not map, are replayed here.",
              "warn")
        return redirect(url_for("files.show", file_id=file_id))
    try:
        result, follow_ups = actions.replay_file(console(), stored)
    except (ArchivedBytesMissing, GatewayError) as exc:
        audit("file.replay", f"#{file_id}", AuditOutcome.FAILED, {"why": str(exc)})
        flash(f"File #{file_id} cannot be replayed: {exc}", "bad")
        return redirect(url_for("files.show", file_id=file_id))
    audit("file.replay", f"#{file_id}", AuditOutcome.DONE,
          {"from": stored.state.value, "to": result.state.value})
    documents = f"{result.documents} document{'s' * (result.documents != 1)}"
    flash(f"Replayed file #{file_id}: {stored.state} → {result.state}, {documents}."
          + "".join(f" {line}." for line in follow_ups.lines()),
          "good" if result.state == FileState.ACCEPTED and not follow_ups.failures else "warn")
    return redirect(url_for("files.show", file_id=file_id))


def _replayable(stored: StoredFile) -> bool:
    return actions.replayable(console(), stored)


