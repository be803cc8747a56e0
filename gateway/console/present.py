"""Words and colours for what the store holds, shared by the pages.

The plain-language wording follows the ``gateway`` commands (``gateway show '#N'``,
``gateway acks``), so a person reading the console and the terminal reads the same sentences.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import Response, stream_with_context

from gateway.app.export import ExportFormat, export_text
from gateway.app.wording import utc_minute
from gateway.model.states import FileState

RAW_CAP_BYTES = 256 * 1024  # a larger file is shown up to here, with a note

# The colour of a state's badge: good, moving, waiting, bad, or neutral. Every file state has
# its own; the same word elsewhere (an acknowledgement "accepted", a case "received") takes it.
FILE_TONES = {
    FileState.RECEIVED: "good", FileState.ACCEPTED: "good",
    FileState.ACCEPTED_UNMAPPED: "warn", FileState.PARTIALLY_ACCEPTED: "warn",
    FileState.PARTIALLY_REFUSED: "warn",
    FileState.REJECTED: "bad", FileState.REFUSED: "bad", FileState.NOT_X12: "bad",
    FileState.DUPLICATE: "neutral", FileState.IN_PROGRESS: "neutral",
}
_TONES = {
    "good": {"ok", "delivered", "closed", "authorized", "sent",
             "complete", "completed", "acting", "responded", "in"},
    "info": {"shipped", "in-transit", "requested", "expected", "accepted-with-errors",
             "out", "internal", "issued", "ongoing", "warning"},
    "warn": {"attention", "pending", "partially-authorized",
             "waiting", "no answer", "not delivered", "not mapped"},
    "bad": {"failing", "held", "denied", "overdue", "exception",
            "error", "cancelled", "failed"},
}
TONE_OF = {state: tone for tone, states in _TONES.items() for state in states} | {
    state.value: tone for state, tone in FILE_TONES.items()}


def tone(state: str | None) -> str:
    return TONE_OF.get((state or "").lower(), "neutral")


def moment(value: datetime | None) -> str:
    """Every time in the console is UTC, to the minute (the footer says so)."""
    return utc_minute(value)


def number(value: Decimal) -> str:
    """2 rather than 2.000; 2.5 stays 2.5."""
    return format(value.normalize(), "f")


def without(values: dict[str, Any], key: str) -> dict[str, Any]:
    """A page's query arguments less one (a link that sets it anew)."""
    return {k: v for k, v in values.items() if k != key}


def download(lines: Iterator[str], mimetype: str, filename: str) -> Response:
    """Text written as it is read (any number of rows in the memory of one), as a file."""
    response = Response(stream_with_context(lines), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_download(rows: Iterable[dict[str, Any]], columns: tuple[str, ...],
                 filename: str) -> Response:
    return download(export_text(rows, ExportFormat.CSV, columns), "text/csv", filename)


def csv_value(value: object) -> object:
    """A moment as ISO 8601 in a CSV cell; anything else as it is."""
    return value.isoformat() if isinstance(value, datetime) else value
