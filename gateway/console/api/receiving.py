"""The receiving schedule: per return centre, the shipments expected day by day."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from marshmallow import RAISE

from gateway.app.receiving import receiving_schedule_of
from gateway.app.receiving_report import schedule_json
from gateway.domain.receiving import window_between

from ..context import console
from . import schemas
from .auth import token_auth

blueprint = APIBlueprint("api_receiving", __name__, url_prefix="/api/v1", tag="Receiving")


@blueprint.get("/receiving")
@blueprint.auth_required(token_auth, roles=["read"])
@blueprint.input(schemas.ReceivingQuery, location="query", arg_name="query", unknown=RAISE)
@blueprint.output(schemas.ReceivingSchedule)
def receiving(query: dict[str, Any]) -> dict[str, Any]:
    """What each return centre should expect, day by day

    Per centre (`return_centres` in config.yaml; a ship-to no centre claims is listed under
    its raw id, `configured: false`), per day from `from` to `to`: the shipments expected,
    each on the day of the latest estimate a carrier's 214 gave (AT7 AG / X2, G62 17 / 70 /
    78), else its 856's DTM*017 / 067; `overdue`: late shipments expected before `from`;
    `no_estimate`; `authorized`: returns authorized but not shipped. The same document as
    `gateway receiving --format json`.
    """
    context = console()
    now = context.now()
    window = window_between(query.get("from_"), query.get("to"), now.date())
    schedules = receiving_schedule_of(context.store, context.config.return_centres, window,
                                      now, centre=query.get("centre"))
    return schedule_json(schedules, window, now)
