"""The receiving schedule as `gateway receiving` (json, csv), the console's CSV and the API
give it: one JSON document (README, "Receiving schedule") and one CSV row a shipment or
authorized return. Units are decimals written as text, days YYYY-MM-DD, moments ISO 8601."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from gateway.domain.receiving import (
    AuthorizedReturn,
    CentreSchedule,
    ScheduledShipment,
    Totals,
    Window,
)

CSV_COLUMNS = ("centre", "centre_name", "configured", "listed", "expected_day", "shipment_id",
               "rmas", "partner", "status", "late", "days_late", "scac", "pro_number",
               "cartons", "pallets", "units", "estimate_source", "estimate_said_at",
               "previous_day", "arrived_at", "exception")


def schedule_json(schedules: Iterable[CentreSchedule], window: Window,
                  now: datetime) -> dict[str, Any]:
    """The schedule as `gateway receiving --format json` and the API give it (README)."""
    return {"generated_at": now.isoformat(), "from": window.first.isoformat(),
            "to": window.last.isoformat(),
            "centres": [centre_json(schedule) for schedule in schedules]}


def centre_json(schedule: CentreSchedule) -> dict[str, Any]:
    dock = schedule.dock
    return {"centre": dock.centre_id, "name": dock.name, "configured": dock.configured,
            "timezone": dock.zone_name, "today": schedule.today.isoformat(),
            "totals": totals_json(schedule.totals),
            "days": [{"day": day.day.isoformat(), "totals": totals_json(day.totals),
                      "shipments": [shipment_json(s) for s in day.shipments]}
                     for day in schedule.days],
            "overdue": [shipment_json(s) for s in schedule.overdue],
            "no_estimate": [shipment_json(s) for s in schedule.no_estimate],
            "authorized": [authorized_json(item) for item in schedule.authorized],
            "authorized_units": str(schedule.authorized_units)}


def totals_json(totals: Totals) -> dict[str, Any]:
    return {"shipments": totals.shipments, "cartons": totals.cartons,
            "pallets": totals.pallets, "units": str(totals.units), "late": totals.late}


def shipment_json(scheduled: ScheduledShipment) -> dict[str, Any]:
    shipment, estimate = scheduled.shipment, scheduled.estimate
    return {"shipment_id": shipment.shipment_id, "partner": shipment.partner,
            "rmas": list(shipment.rmas), "case_ids": list(shipment.case_ids),
            "status": shipment.status.value, "late": scheduled.late,
            "days_late": scheduled.days_late, "expected_day": _iso(scheduled.expected_day),
            "previous_day": _iso(scheduled.previous_day),
            "estimate": None if estimate is None else {
                "source": estimate.source, "document": estimate.document,
                "said_at": estimate.said_at.isoformat()},
            "scac": shipment.scac, "pro_number": shipment.pro_number,
            "bill_of_lading": shipment.bill_of_lading, "cartons": shipment.cartons,
            "pallets": shipment.pallets, "units": str(shipment.units),
            "shipped_on": _iso(shipment.shipped_on), "arrived_at": _iso(shipment.arrived_at),
            "exception": shipment.exception}


def authorized_json(item: AuthorizedReturn) -> dict[str, Any]:
    return {"case_id": item.case_id, "partner": item.partner, "rmas": list(item.rmas),
            "status": item.status.value, "lines": item.lines, "units": str(item.units),
            "authorized_at": _iso(item.authorized_at), "expires_on": _iso(item.expires_on)}


def schedule_rows(schedules: Iterable[CentreSchedule]) -> Iterator[dict[str, Any]]:
    """One row a shipment (listed: day, overdue or no-estimate) and one an authorized return
    (listed: authorized), centre by centre; every row has every column (None: empty)."""
    for schedule in schedules:
        dock = {**dict.fromkeys(CSV_COLUMNS), "centre": schedule.dock.centre_id,
                "centre_name": schedule.dock.name, "configured": schedule.dock.configured}
        listed = [*(("overdue", s) for s in schedule.overdue),
                  *(("day", s) for day in schedule.days for s in day.shipments),
                  *(("no-estimate", s) for s in schedule.no_estimate)]
        for where, scheduled in listed:
            yield {**dock, "listed": where, **_shipment_row(scheduled)}
        for item in schedule.authorized:
            yield {**dock, "listed": "authorized", "rmas": " ".join(item.rmas),
                   "partner": item.partner, "status": item.status.value,
                   "units": str(item.units)}


def _shipment_row(scheduled: ScheduledShipment) -> dict[str, Any]:
    found = shipment_json(scheduled)
    estimate = found.pop("estimate") or {}
    return {**{key: found[key] for key in CSV_COLUMNS if key in found},
            "rmas": " ".join(scheduled.shipment.rmas),
            "estimate_source": estimate.get("source"),
            "estimate_said_at": estimate.get("said_at")}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
