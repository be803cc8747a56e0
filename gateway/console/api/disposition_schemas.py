"""The shapes of a case's dispositions in /api/v1 (beside ``schemas``, which holds the rest).

Quantities and amounts are decimals written as text, in requests and answers alike, as every
quantity of the API is: "12.50", never a binary float.
"""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Dict, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp

from gateway.domain.dispositions import DECIMAL_PLACES, NOTE_MAX, Outcome

OUTCOMES = [outcome.value for outcome in Outcome]
PRINTABLE = Regexp(r"^[^\x00-\x1f\x7f]+$", error="printable text on one line")


# 0 or more, below a trillion, at most DECIMAL_PLACES places (gateway.domain.dispositions).
DECIMAL = Regexp(rf"^[0-9]{{1,12}}(\.[0-9]{{1,{DECIMAL_PLACES}}})?$",
                 error=f"a decimal as text, like \"12.50\" (at most {DECIMAL_PLACES} places)")


def _decimal(description: str) -> String:
    return String(validate=DECIMAL, metadata={"description": f"{description} (a decimal as "
                                                             "text)"})


class DispositionIn(Schema):
    line = Integer(required=True, validate=Range(1, 999_999),
                   metadata={"description": "the return line's number (the 180's)"})
    outcome = String(required=True, validate=OneOf(OUTCOMES))
    quantity = _decimal("units; absent: those of the line still without an outcome; 0 "
                        "withdraws this outcome from the line")
    value = _decimal("recovered for these units altogether; absent: not known")
    currency = String(validate=Regexp(r"^[A-Za-z]{3}$", error="an ISO 4217 code, like USD"),
                      metadata={"description": "ISO 4217; absent: the line's price "
                                               "currency, else USD"})
    note = String(validate=[Length(1, NOTE_MAX), PRINTABLE])


class LineDisposition(Schema):
    line = Integer(required=True)
    outcome = String(required=True, metadata={"description": " | ".join(OUTCOMES)})
    quantity = String(required=True, metadata={"description": "units (a decimal); 0: the "
                                                              "outcome withdrawn"})
    value = String(allow_none=True, metadata={"description": "recovered (a decimal)"})
    currency = String(allow_none=True)
    note = String(required=True)
    recorded_by = String(required=True, metadata={"description": "as the audit log names "
                                                                 "people and clients"})
    recorded_at = String(required=True)


class DispositionLine(Schema):
    line = Integer(required=True)
    units = String(required=True, metadata={"description": "the line's quantity (1 when it "
                                                           "has none)"})
    dispositioned = String(required=True)
    left = String(required=True, metadata={"description": "units without an outcome yet"})
    expected = Boolean(required=True, metadata={"description": "false: the vendor denied the "
                                                               "line; it need not come back"})
    on_recall_hold = Boolean(required=True)
    currency = String(required=True, metadata={"description": "a value's currency when none "
                                                              "is given"})
    dispositions = List(Nested(LineDisposition), required=True,
                        metadata={"description": "those that stand"})


class CaseDispositions(Schema):
    case_id = String(required=True)
    name = String(required=True, metadata={"description": "the request id or RMA that names "
                                                          "the case alone"})
    state = String(required=True)
    accepting = Boolean(required=True, metadata={"description": "dispositions may be "
                                                                "recorded (the case is "
                                                                "received)"})
    complete = Boolean(required=True, metadata={"description": "every expected unit has an "
                                                               "outcome"})
    recovered = Dict(keys=String(), values=String(), required=True,
                     metadata={"description": "by ISO 4217 currency; never added across "
                                              "currencies"})
    lines = List(Nested(DispositionLine), required=True)
    recalled_in_use = List(Nested(LineDisposition), required=True, metadata={
        "description": "units restocked, liquidated or donated on a line a recall holds "
                       "now: get them back"})
    history = List(Nested(LineDisposition), required=True,
                   metadata={"description": "every record, oldest first"})


class CaseDispositionsPage(CaseDispositions):
    """A case's dispositions alone. (Its own class: APIFlask names an answer's schema apart
    from the same class nested in another, as ``schemas.OneDocument`` says.)"""


class DispositionRecorded(Schema):
    disposition = Nested(LineDisposition, required=True)
    replaced = Nested(LineDisposition, allow_none=True, required=True, metadata={
        "description": "what stood for that line and outcome before"})
    closed = Boolean(required=True, metadata={"description": "the case closed by it (every "
                                                             "line dispositioned)"})
    not_closed = String(allow_none=True, metadata={"description": "why a case it completed "
                                                                  "could not be closed"})
    status_updates = List(String(), required=True)
    case = Nested(CaseDispositions, required=True)
