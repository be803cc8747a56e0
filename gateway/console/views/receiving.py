"""Receiving: per return centre, the shipments expected day by day, with a chart and CSV."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, render_template
from markupsafe import Markup

from gateway.app.receiving import receiving_schedule_of
from gateway.app.receiving_report import CSV_COLUMNS, schedule_rows
from gateway.domain.receiving import CentreSchedule, Window, totals_of, window_between

from ..charts import Bar, BarGroup, bar_chart
from ..context import console
from ..params import text_arg
from ..present import csv_download

blueprint = Blueprint("receiving", __name__)
LONGEST_CENTRE = 80  # a raw ship-to (N103:N104) may be longer than a configured id
EXPECTED, ARRIVED, UNKNOWN = "bar-b", "bar-c", "bar-a"  # the chart's tones


@blueprint.route("/receiving")
def index() -> str:
    window, problem = _window()
    centre = text_arg("centre", LONGEST_CENTRE)
    schedules = _schedules(window, centre)
    configured = [c.centre_id for c in console().config.return_centres]
    return render_template("receiving.html", schedules=schedules, window=window,
                           centre=centre, problem=problem, configured=configured,
                           chart=chart(schedules))


@blueprint.route("/receiving.csv")
def download() -> Response:
    window, _problem = _window()
    schedules = _schedules(window, text_arg("centre", LONGEST_CENTRE))
    return csv_download(schedule_rows(schedules), CSV_COLUMNS, "receiving.csv")


def _schedules(window: Window, centre: str | None) -> tuple[CentreSchedule, ...]:
    context = console()
    return receiving_schedule_of(context.store, context.config.return_centres, window,
                                 context.now(), centre=centre)


def _window() -> tuple[Window, str | None]:
    """?from= and ?to= (YYYY-MM-DD); a day that does not parse is the default, and a "to"
    before "from" (a slip, surely) gives the default days with a word on why."""
    today = console().now().date()
    window = window_between(_day("from"), _day("to"), today)
    if window.last < window.first:
        return window_between(None, None, today), (
            f"To ({window.last}) is before from ({window.first}).")
    return window, None


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(text_arg(name, 10) or "")
    except ValueError:
        return None


def chart(schedules: tuple[CentreSchedule, ...]) -> Markup | None:
    """Units by expected day, one group a centre: overdue first, then each day, then the
    shipments with no estimate; a day whose every shipment arrived in its own tone."""
    groups = [BarGroup(f"{s.dock.centre_id} {s.dock.name}", _bars(s)) for s in schedules]
    groups = [group for group in groups if group.bars]
    return bar_chart("Units expected by day and return centre", groups) if groups else None


def _bars(schedule: CentreSchedule) -> tuple[Bar, ...]:
    bars = []
    if schedule.overdue:
        bars.append(Bar(f"overdue ({len(schedule.overdue)} late)",
                        totals_of(schedule.overdue).units, EXPECTED))
    for day in schedule.days:
        late = f" · {day.totals.late} late" if day.totals.late else ""
        tone = ARRIVED if all(s.arrived for s in day.shipments) else EXPECTED
        bars.append(Bar(f"{day.day:%a %m-%d}{late}", day.totals.units, tone))
    if schedule.no_estimate:
        bars.append(Bar("no estimate", totals_of(schedule.no_estimate).units, UNKNOWN))
    return tuple(bars)
