"""Received files (with findings and the raw bytes), their replay, and recall notice upload."""

from __future__ import annotations

import re
from typing import Any

from apiflask import APIBlueprint
from apiflask.exceptions import HTTPError
from flask import Response, url_for
from marshmallow import RAISE
from werkzeug.datastructures import FileStorage

from gateway.app.access import AuditOutcome, Scope
from gateway.app.ingest import IngestResult
from gateway.app.outbound.react import Reactions
from gateway.app.partners import PartnerSettings
from gateway.app.ports import FindingRow, StoredFile
from gateway.bootstrap import file_archive, partner_file
from gateway.errors import ArchivedBytesMissing, ConfigError, GatewayError

from .. import actions
from ..auth import audit
from ..context import console, upload_limit
from . import schemas
from .auth import current_client, token_auth
from .records import document_summary

blueprint = APIBlueprint("api_files", __name__, url_prefix="/api/v1", tag="Files")
FILE_ID = "<int(max=4611686018427387904):file_id>"
_SAFE_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}$")
_RAW_RESPONSE: dict[int | str, dict[str, Any]] = {200: {
    "description": "the file's bytes, exactly as received",
    "content": {"application/octet-stream": {"schema": {"type": "string",
                                                        "format": "binary"}}}}}


@blueprint.get("/files")
@blueprint.auth_required(token_auth, roles=["read"])
@blueprint.input(schemas.FilesQuery, location="query", arg_name="query",
                 unknown=RAISE)
@blueprint.output(schemas.FileList)
def files(query: dict[str, Any]) -> dict[str, Any]:
    """Received files, newest first (by partner, by state)"""
    rows = console().store.recent_files(partner=query.get("partner"), state=query.get("state"),
                                        limit=query["limit"])
    return {"files": [{**_file_json(row.file), "errors": row.errors} for row in rows]}


@blueprint.get(f"/files/{FILE_ID}")
@blueprint.auth_required(token_auth, roles=["read"])
@blueprint.output(schemas.FileDetail)
def one(file_id: int) -> dict[str, Any]:
    """One received file: its findings, interchanges and sets, documents and acknowledgements"""
    store, stored = console().store, actions.file_or_404(console(), file_id)
    findings = store.findings_of(file_id)
    return {
        **_file_json(stored), "errors": sum(f.severity == "error" for f in findings),
        "findings": [finding_json(f) for f in findings],
        "interchanges": [{"control_number": control, "outcome": outcome, "sets": [
            dict(zip(("functional_id", "group_control", "group_outcome", "set_id",
                      "control_number", "outcome"), row, strict=True)) for row in sets]}
            for control, outcome, sets in store.outcomes_of(file_id)],
        "documents": [document_summary(d) for d in store.documents_of_file(file_id)],
        "acknowledgements": [{"kind": item.kind, "control_number": item.control_number,
                              "answers": item.answers, "state": state}
                             for _, item, state in store.outbox_of_files([file_id])],
        "raw_url": None if stored.never_taken else url_for("api_files.raw", file_id=file_id)}


@blueprint.get(f"/files/{FILE_ID}/raw")
@blueprint.auth_required(token_auth, roles=["read"])
@blueprint.doc(responses=_RAW_RESPONSE)
def raw(file_id: int) -> Response:
    """The bytes of a received file, exactly as received"""
    stored = actions.file_or_404(console(), file_id)
    if stored.never_taken:
        raise HTTPError(404, f"File #{file_id} was refused before it was downloaded: the "
                        "gateway never held its bytes.")
    try:
        data = file_archive(console().config, console().store).get(stored.archive_key)
    except (ArchivedBytesMissing, ValueError) as exc:
        raise HTTPError(404, f"File #{file_id}'s bytes are not in the archive: {exc}") from None
    response = Response(data, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="{_download_name(stored)}"'
    return response


@blueprint.post(f"/files/{FILE_ID}/replay")
@blueprint.auth_required(token_auth, roles=["admin"])
@blueprint.output(schemas.FileResult)
@blueprint.doc(responses={409: "the file is not one to replay, or cannot be replayed"})
def replay(file_id: int) -> dict[str, Any]:
    """Replay a failed or unmapped file (admin)

    As `gateway replay '#N'`: through today's grammars and mappings with its partner's settings
    as ingest used them; no acknowledgement is sent again.
    """
    context = console()
    stored = actions.file_or_404(context, file_id)
    target = f"#{file_id}"
    if not actions.replayable(context, stored):
        audit("file.replay", target, AuditOutcome.REFUSED, {"state": stored.state.value})
        raise HTTPError(409, f"File #{file_id} is {stored.state}: only rejected, partially "
                        "accepted or not-X12 files, and files with a set that did not map, "
                        "are replayed.")
    try:
        result, follow_ups = actions.replay_file(context, stored)
    except (ArchivedBytesMissing, GatewayError) as exc:
        audit("file.replay", target, AuditOutcome.FAILED, {"why": str(exc)})
        raise HTTPError(409, f"File #{file_id} cannot be replayed: {exc}") from None
    audit("file.replay", target, AuditOutcome.DONE,
          {"from": stored.state.value, "to": result.state.value})
    return _result_json(result, follow_ups)


@blueprint.post("/recalls")
@blueprint.auth_required(token_auth, roles=["upload"])
@blueprint.input(schemas.UploadIn, location="form_and_files", arg_name="upload")
@blueprint.output(schemas.FileResult, status_code=201)
@blueprint.doc(responses={200: "the same bytes were received before: a duplicate",
                          404: "the partner has no partner file",
                          409: "the partner's file does not read",
                          413: "larger than limits.xml_size"})
def upload(upload: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Upload a recall notice (XML), as its issuing partner

    Through the same intake as a file from the partner's SFTP folder: the partner's role must
    allow recall notices, the XML is parsed hardened and checked against the schema, and the
    affected partners are notified. 201: stored (its `state` says whether it was accepted);
    200: the same bytes were already received (`state` is duplicate).
    """
    partner = _uploading_partner(upload.get("partner"))
    notice: FileStorage = upload["notice"]
    data, name = notice.read(), actions.upload_name(notice.filename, "api-upload.xml")
    sender = _sender_file(partner, name)
    if len(data) > _upload_limit():
        raise HTTPError(413, f"The notice is {len(data):,} bytes; the limit is "
                        f"{_upload_limit():,}.")
    result, follow_ups = actions.take_upload(console(), sender, name, data)
    audit("recall.upload", f"{partner}/{name}", AuditOutcome.DONE,
          {"file_id": result.file_id, "state": result.state.value, "bytes": len(data)})
    return _result_json(result, follow_ups), 200 if result.duplicate_of else 201


def _uploading_partner(named: str | None) -> str:
    """The partner the notice is filed under: an upload client's own, never another's."""
    client = current_client()
    if client.partner is not None and named not in (None, client.partner):
        audit("recall.upload", named or "", AuditOutcome.REFUSED,
              {"why": f"the client sends as {client.partner}"})
        raise HTTPError(403, f"This client sends recall notices as {client.partner} only.")
    partner = client.partner or named
    if partner is None:  # an unbound (admin) client that named nobody
        raise HTTPError(422, "Name the issuing partner (field 'partner'): this client is not "
                        "bound to one.")
    if client.partner is None and not client.allows(Scope.ADMIN):
        raise HTTPError(403, "Only an admin client may upload for a partner it is not bound "
                        "to.")
    return partner


def _sender_file(partner: str, name: str) -> PartnerSettings:
    """The partner's file, whose role decides whether it may send recall notices: none, or
    one that does not read, is a refusal before anything is stored. Anything else is the
    intake's to judge, as over SFTP: a file that is not a notice is stored and rejected with
    its reason."""
    try:
        found = partner_file(console().config, partner)
    except ConfigError as exc:
        audit("recall.upload", f"{partner}/{name}", AuditOutcome.FAILED, {"why": str(exc)})
        raise HTTPError(409, f"The partner file of {partner} does not read: {exc}") from None
    if found is None:
        audit("recall.upload", f"{partner}/{name}", AuditOutcome.FAILED,
              {"why": "no partner file"})
        raise HTTPError(404, f"There is no partner file for {partner}: its role decides "
                        "whether it may send recall notices.")
    return found


def _upload_limit() -> int:
    return upload_limit(console().config)


def _download_name(stored: StoredFile) -> str:
    suffix = _SAFE_SUFFIX.search(stored.original_name)
    return f"file-{stored.id}{suffix.group(0) if suffix else ''}"


def _file_json(stored: StoredFile) -> dict[str, Any]:
    return {"id": stored.id, "partner": stored.partner, "name": stored.original_name,
            "state": stored.state.value, "reason": stored.reason, "size": stored.size,
            "sha256": stored.sha256, "received_at": stored.received_at.isoformat(),
            "duplicate_of": stored.duplicate_of}


def finding_json(f: FindingRow) -> dict[str, Any]:
    return {"code": f.code, "severity": f.severity, "message": f.message, "x12": f.x12,
            "interchange": f.interchange_control, "group": f.group_control,
            "set": f.set_control, "line": f.line, "segment_position": f.segment_position,
            "segment": f.segment_tag,
            "element": f"{f.segment_tag or ''}{f.element_position:02d}"
            if f.element_position else None, "found": f.found, "expected": f.expected}


def _result_json(result: IngestResult, follow_ups: Reactions) -> dict[str, Any]:
    return {"file_id": result.file_id, "state": result.state.value, "reason": result.reason,
            "documents": result.documents,
            "findings": [finding_json(f) for f in console().store.findings_of(result.file_id)],
            "follow_ups": follow_ups.lines()}
