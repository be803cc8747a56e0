"""Recalls: every notice we hold, and one notice's effectiveness with a chart."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    render_template,
)
from markupsafe import Markup

from gateway.app.outbound.recalls import Effectiveness, effectiveness, latest_versions
from gateway.app.ports import GatewayStore, RecallRecipient
from gateway.model import RecallNotice

from ..charts import Bar, BarGroup, bar_chart
from ..context import console
from ..params import sorted_page
from ..present import csv_download

blueprint = Blueprint("recalls", __name__)
MAX_NOTICE_ID = 80  # the longest notice id the store keeps


SORTS: dict[str, Callable[[tuple[RecallNotice, Effectiveness]], Any]] = {
    "notice": lambda row: row[0].notice_id, "title": lambda row: row[0].title or "",
    "status": lambda row: row[0].status.value if row[0].status else "",
    "notified": lambda row: row[1].recipients, "responded": lambda row: row[1].responded}
CSV_COLUMNS = ("notice_id", "title", "status", "authority", "recipients", "delivered",
               "responded", "response_rate", "affected_units", "units_found",
               "units_returned", "not_answered")


@blueprint.route("/recalls")
def index() -> str:
    return render_template("recalls.html", rows=sorted_page(_rows(), SORTS))


@blueprint.route("/recalls.csv")
def download() -> Response:
    found = ({"notice_id": notice.notice_id, "title": notice.title,
              "status": notice.status.value if notice.status else None,
              "authority": notice.authority, "recipients": report.recipients,
              "delivered": report.delivered, "responded": report.responded,
              "response_rate": report.response_rate,
              "affected_units": str(report.affected_units),
              "units_found": str(report.units_found),
              "units_returned": str(report.units_returned),
              "not_answered": " ".join(report.not_answered)} for notice, report in _rows())
    return csv_download(found, CSV_COLUMNS, "recalls.csv")


def _rows() -> list[tuple[RecallNotice, Effectiveness]]:
    store = console().store
    return [(notice, effectiveness(store.recall_recipients_of(notice_id)))
            for notice_id, notice in notices_by_id(store).items()]


@blueprint.route("/recalls/<path:notice_id>")
def show(notice_id: str) -> str:
    if len(notice_id) > MAX_NOTICE_ID or not notice_id.isprintable():
        abort(404, "That is not a recall notice id.")  # and PostgreSQL refuses NUL in a query
    store = console().store
    notice = notices_by_id(store).get(notice_id)
    recipients = store.recall_recipients_of(notice_id)
    if notice is None and not recipients:
        abort(404, f"No recall notice {notice_id!r} is known.")
    report = effectiveness(recipients)
    return render_template("recall.html", notice_id=notice_id, notice=notice, report=report,
                           recipients=[(r, _items(r)) for r in recipients],
                           chart=chart(notice_id, report))


def notices_by_id(store: GatewayStore) -> dict[str, RecallNotice]:
    """The newest version of every notice, active or not, newest notice first."""
    latest = latest_versions(store.documents_of_kind("recall-notice"))
    return dict(reversed(latest.items()))


def chart(notice_id: str, report: Effectiveness) -> Markup:
    return bar_chart(f"Recall {notice_id}: reach and units", [
        BarGroup("Partners", (Bar("notified", Decimal(report.recipients), "bar-a"),
                              Bar("delivered", Decimal(report.delivered), "bar-b"),
                              Bar("responded", Decimal(report.responded), "bar-c"))),
        BarGroup("Units", (Bar("affected", report.affected_units, "bar-a"),
                           Bar("found", report.units_found, "bar-b"),
                           Bar("returned", report.units_returned, "bar-c")))])


def _items(recipient: RecallRecipient) -> list[dict[str, Any]]:
    try:
        items = json.loads(recipient.affected_items)
    except ValueError:
        return []
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
