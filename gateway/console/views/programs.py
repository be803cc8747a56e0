"""Programs: cases, lines and units by week, partner and return program, what became of those
units after receipt (by outcome) and the value recovered (per currency), with a chart and CSV."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask import Blueprint, Response, render_template
from markupsafe import Markup

from gateway.app.programs import ProgramTotal, program_totals, report_columns
from gateway.config.programs import load_program_rules
from gateway.domain.dispositions import Outcome
from gateway.domain.programs import Program

from ..charts import Bar, BarGroup, bar_chart
from ..context import console
from ..params import text_arg
from ..present import csv_download

blueprint = Blueprint("programs", __name__)
DEFAULT_WEEKS = 12  # what the page adds up without ?since=: the store may hold years
CHART_WEEKS = 8  # the latest weeks drawn; the table and the CSV have them all
TONES = ("bar-a", "bar-b", "bar-c")


@blueprint.route("/programs")
def index() -> str:
    since, partner = _since(), text_arg("partner", 64)
    totals = _totals(since, partner)
    return render_template("programs.html", rows=totals, since=since, partner=partner,
                           chart=chart(totals) if totals else None,
                           sums=_sums(totals), programs=[p.value for p in Program],
                           outcomes=list(Outcome))


@blueprint.route("/programs.csv")
def download() -> Response:
    totals = _totals(_since(), text_arg("partner", 64))
    columns = report_columns(totals)
    return csv_download((total.csv_row(columns) for total in totals), columns, "programs.csv")


def _totals(since: date, partner: str | None) -> list[ProgramTotal]:
    context = console()
    rules = load_program_rules(context.config.paths["programs"])
    moment = datetime.combine(since, time.min).astimezone()
    return program_totals(context.store, rules, since=moment, partner=partner)


def _since() -> date:
    """?since=YYYY-MM-DD, else DEFAULT_WEEKS ago (a bad date is the default, never a 500)."""
    text = text_arg("since", 10) or ""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return console().now().date() - timedelta(weeks=DEFAULT_WEEKS)


def _sums(totals: list[ProgramTotal]) -> dict[str, ProgramTotal]:
    """Per program: cases, lines, units, units dispositioned and value recovered (per
    currency) over every week and partner shown."""
    sums: dict[str, ProgramTotal] = {}
    for total in totals:
        sums.setdefault(total.program.value, ProgramTotal("", "", total.program)).add(total)
    return dict(sorted(sums.items()))


def chart(totals: list[ProgramTotal]) -> Markup:
    """Units by program, one group per week (the latest CHART_WEEKS)."""
    weeks = sorted({total.week for total in totals})[-CHART_WEEKS:]
    groups = []
    for week in weeks:
        units: dict[str, Decimal] = {}
        for total in totals:
            if total.week == week:
                units[total.program.value] = units.get(total.program.value,
                                                       Decimal(0)) + total.units
        groups.append(BarGroup(week, tuple(
            Bar(program, value, TONES[index % len(TONES)])
            for index, (program, value) in enumerate(sorted(units.items())))))
    return bar_chart("Units by return program and week", groups)
