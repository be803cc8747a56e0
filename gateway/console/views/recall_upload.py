"""A recall coordinator sends a notice from the console: check it, see what is wrong where,
confirm, and follow it on its recall page (with its recipients as CSV).

Checking reads the file as the intake will (hardened XML, the schema or the CPSC dialect, the
same size limit as over SFTP) and stores nothing; a notice with an error stops there, with
each error located. A clean one waits in memory (``staging.py``) until its checker confirms
it; then it goes through the same intake as a file from the partner's SFTP folder, as the
issuing partner chosen, whose role must allow recall notices.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from gateway.app.access import AuditOutcome
from gateway.app.partners import PartnerSettings
from gateway.app.people import Permission
from gateway.domain.authority import PartnerDocument
from gateway.recall import read_recall

from .. import actions
from ..auth import audit, can, person, require
from ..context import console, upload_limit
from ..health import partner_files
from ..present import csv_download, csv_value
from ..staging import StagedNotices

blueprint = Blueprint("recall_upload", __name__)
STAGED = "gateway_console_staged_notices"
RECIPIENT_COLUMNS = ("partner", "notification_id", "notified_at", "delivered_at",
                     "affected_units", "responded_at", "response_status", "units_found",
                     "units_returned", "response_note")


@blueprint.route("/recalls/upload", methods=["GET"])
def form() -> str:
    _may_upload()
    return render_template("recall_upload.html", issuers=_issuers(), checked=None)


@blueprint.route("/recalls/upload", methods=["POST"])
def check() -> str | tuple[str, int]:
    require(Permission.UPLOAD_RECALL, "recall.check", "")
    issuers, partner = _issuers(), request.form.get("partner", "")
    upload = request.files.get("notice")
    if partner not in issuers or upload is None or not upload.filename:
        return render_template("recall_upload.html", issuers=issuers, checked=None,
                               problem="Choose the issuing partner and a notice file."), 400
    data, name = upload.read(), actions.upload_name(upload.filename, "console-upload.xml")
    result = read_recall(data, max_bytes=_limit())
    token = _staged().stage(person() or "", partner, name, data, result.notice.notice_id) \
        if result.accepted and result.notice is not None else None
    return render_template("recall_upload.html", issuers=issuers, checked=result,
                           partner=partner, name=name, size=len(data), token=token)


@blueprint.route("/recalls/upload/confirm", methods=["POST"])
def confirm() -> BaseResponse:
    require(Permission.UPLOAD_RECALL, "recall.upload", "")
    staged = _staged().take(request.form.get("token", ""), person() or "")
    if staged is None:
        flash("That checked notice is no longer held (15 minutes passed, or the console "
              "restarted): upload it again.", "bad")
        return redirect(url_for("recall_upload.form"))
    partner = _issuers().get(staged.partner)
    if partner is None:
        flash(f"{staged.partner} may no longer send recall notices.", "bad")
        return redirect(url_for("recall_upload.form"))
    result, follow_ups = actions.take_upload(console(), partner, staged.name, staged.data)
    audit("recall.upload", f"{staged.partner}/{staged.name}", AuditOutcome.DONE,
          {"file_id": result.file_id, "state": result.state.value})
    flash(f"File #{result.file_id} from {staged.partner}: {result.state}."
          + "".join(f" {line}." for line in follow_ups.lines()), "good")
    return redirect(url_for("recalls.show", notice_id=staged.notice_id))


@blueprint.route("/recalls/<path:notice_id>/recipients.csv")
def recipients_csv(notice_id: str) -> Response:
    if len(notice_id) > 80 or not notice_id.isprintable():
        abort(404, "That is not a recall notice id.")
    rows = console().store.recall_recipients_of(notice_id)
    found = ({column: csv_value(getattr(r, column)) for column in RECIPIENT_COLUMNS}
             for r in rows)
    return csv_download(found, RECIPIENT_COLUMNS, "recipients.csv")


def _issuers() -> dict[str, PartnerSettings]:
    """The partners whose files let them send recall notices, by id."""
    return {p.id: p for p in partner_files(console().config)
            if not p.problems and p.document_authority.refusal(
                PartnerDocument.RECALL_NOTICE) is None}


def _may_upload() -> None:
    if not can(Permission.UPLOAD_RECALL.value):
        abort(403, "Uploading recall notices is for recall coordinators and admins.")


def _staged() -> StagedNotices:
    found = current_app.extensions.setdefault(STAGED, StagedNotices())
    assert isinstance(found, StagedNotices)
    return found


def _limit() -> int:
    return upload_limit(console().config)
