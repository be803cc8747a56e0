"""The shapes of /api/v1: what each request may carry and what each answer holds.

APIFlask writes the OpenAPI 3.1 document from these (``/api/v1/openapi.json``), checks every
request against them before a view runs (422 with the field and why) and serializes every
answer through them, so the document and the answers cannot drift apart. Canonical documents
and event payloads are JSON objects whose own schemas are published in ``schemas/``.
"""

from __future__ import annotations

from datetime import UTC

from apiflask import Schema
from apiflask.fields import (
    AwareDateTime,
    Boolean,
    Date,
    DelimitedList,
    Dict,
    File,
    Integer,
    List,
    Nested,
    String,
)
from apiflask.validators import Length, OneOf, Range, Regexp
from marshmallow import RAISE

from gateway.app.access import CLIENT_NAME_MAX
from gateway.app.events import EVENT_TYPES
from gateway.app.export import ExportFormat
from gateway.model.states import STORED_STATES, CaseState

from .disposition_schemas import CaseDispositions


# A moment in a query: ISO 8601; one written without an offset is taken as UTC (the store
# compares aware moments only).
def _moment(description: str | None = None) -> AwareDateTime:
    return AwareDateTime(default_timezone=UTC,
                         metadata={"description": description} if description else {})


ROW_MAX = 2**62  # cursors and row ids: larger numbers name nothing
PAGE_MAX = 1000
TEXT_MAX = 80  # the longest key or reference the store keeps
PARTNER = Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$", error="a partner id: lower-case letters, "
                 "digits and dashes, as in partners/<id>.yaml")
PRINTABLE = Regexp(r"^[^\x00-\x1f\x7f]+$", error="printable text on one line")


def _text(longest: int = TEXT_MAX, *, required: bool = False,
          description: str | None = None) -> String:
    return String(validate=[Length(1, longest), PRINTABLE], required=required,
                  metadata={"description": description} if description else {})


def _after() -> Integer:
    return Integer(load_default=0, validate=Range(0, ROW_MAX),
                   metadata={"description": "only rows after this cursor or id"})


def _limit(default: int = 100) -> Integer:
    return Integer(load_default=default, validate=Range(1, PAGE_MAX))


# --- requests ------------------------------------------------------------------------------
class Query(Schema):
    """A query string: a parameter the operation does not know is a 422, not ignored (a typo
    such as ``rmaa=`` would otherwise widen a search to everything)."""

    class Meta:
        unknown = RAISE


class EventsQuery(Query):
    after = _after()
    types = DelimitedList(String(validate=OneOf(EVENT_TYPES)), load_default=list,
                          metadata={"description": "comma-separated event types"})
    partner = String(validate=PARTNER)
    limit = _limit()


class CasesQuery(Query):
    rma = _text()
    po = _text(description="a purchase order number")
    shipment = _text(description="a shipment id, bill of lading, PRO or tracking number")
    gtin = _text(description="a GTIN, UPC or EAN (any length, matched as GTIN-14)")
    serial = _text()
    lot = _text()
    partner = String(validate=PARTNER)
    state = String(validate=OneOf([s.value for s in CaseState]))
    opened_from = _moment("cases opened at or after (ISO 8601; UTC when no offset)")
    opened_to = _moment("cases opened before (ISO 8601; UTC when no offset)")
    after = _after()
    limit = _limit(50)


class DocumentsQuery(Query):
    kind = _text(32)
    direction = String(validate=OneOf(["in", "out", "internal"]))
    partner = String(validate=PARTNER)
    reference = _text()
    key = _text(description="any case key the document carries (RMA, PO, ...)")
    gtin = _text()
    serial = _text()
    lot = _text()
    file_id = Integer(validate=Range(1, ROW_MAX))
    received_from = _moment()
    received_to = _moment()
    after = _after()
    limit = _limit()


class FilesQuery(Query):
    partner = String(validate=PARTNER)
    state = String(validate=OneOf(sorted(STORED_STATES)))
    limit = _limit()


class AcksQuery(Query):
    partner = String(validate=PARTNER)
    overdue = Boolean(load_default=False)
    held = Boolean(load_default=False)
    limit = _limit()


class ProgramsQuery(Query):
    since = _moment("cases with a request received at or after (ISO 8601; UTC when no "
                    "offset); default: twelve weeks ago")
    partner = String(validate=PARTNER)


class ProgramTotal(Schema):
    week = String(required=True, metadata={"description": "ISO week the case opened, 2026-W49"})
    partner = String(required=True)
    program = String(required=True)
    cases = Integer(required=True, metadata={"description": "cases in this program"})
    lines = Integer(required=True, metadata={"description": "lines in this program, of any "
                                                            "case"})
    units = String(required=True, metadata={"description": "units of those lines (a decimal)"})
    units_dispositioned = String(required=True, metadata={
        "description": "of those units, how many have an outcome after receipt"})
    dispositioned = Dict(keys=String(), values=String(), required=True, metadata={
        "description": "units by outcome: restock, refurbish, recycle, liquidate, donate, "
                       "return-to-vendor, destroy"})
    recovered = Dict(keys=String(), values=String(), required=True, metadata={
        "description": "value recovered for them, by ISO 4217 currency (never added across "
                       "currencies)"})


class ProgramTotals(Schema):
    programs = List(Nested(ProgramTotal), required=True)


# --- the receiving schedule (gateway.app.receiving.schedule_json; README: Receiving schedule)
def _day(description: str, data_key: str | None = None) -> Date:
    # Any day: the schedule's arithmetic stops at the first and last day a date can be.
    return Date(data_key=data_key, metadata={"description": description})


class ReceivingQuery(Query):
    centre = _text(description="one centre: its id in config.yaml, or a raw ship-to as "
                   "listed (92:RC01); any case")
    from_ = _day("first day, YYYY-MM-DD (default: 28 days before to, else seven days ago)",
                 data_key="from")
    to = _day("last day, included (default: 28 days after from); one before from selects "
              "no day")


class ReceivingTotals(Schema):
    shipments = Integer(required=True)
    cartons = Integer(required=True)
    pallets = Integer(required=True)
    units = String(required=True, metadata={"description": "a decimal"})
    late = Integer(required=True)


class ReceivingEstimate(Schema):
    source = String(required=True, metadata={"description": "214 AT7*AG, 214 G62*17, "
                                                            "856 DTM*017..."})
    document = String(required=True)
    said_at = String(required=True, metadata={"description": "when that document arrived"})


class ReceivingShipment(Schema):
    shipment_id = String(allow_none=True, metadata={"description": "856 BSN02; null: shipped "
                                                                   "with no 856 yet"})
    partner = String(required=True)
    rmas = List(String(), required=True)
    case_ids = List(String(), required=True)
    status = String(required=True, metadata={"description": "the least advanced case state"})
    late = Boolean(required=True)
    days_late = Integer(required=True)
    expected_day = String(allow_none=True)
    previous_day = String(allow_none=True, metadata={"description": "the day the estimate "
                                                                    "before it said"})
    estimate = Nested(ReceivingEstimate, allow_none=True)
    scac = String(allow_none=True)
    pro_number = String(allow_none=True)
    bill_of_lading = String(allow_none=True)
    cartons = Integer(required=True)
    pallets = Integer(required=True)
    units = String(required=True)
    shipped_on = String(allow_none=True)
    arrived_at = String(allow_none=True)
    exception = String(allow_none=True)


class ReceivingDay(Schema):
    day = String(required=True)
    totals = Nested(ReceivingTotals, required=True)
    shipments = List(Nested(ReceivingShipment), required=True)


class AuthorizedNotShipped(Schema):
    case_id = String(required=True)
    partner = String(required=True)
    rmas = List(String(), required=True)
    status = String(required=True)
    lines = Integer(required=True)
    units = String(required=True)
    authorized_at = String(allow_none=True)
    expires_on = String(allow_none=True)


class ReceivingCentre(Schema):
    centre = String(required=True)
    name = String(required=True)
    configured = Boolean(required=True, metadata={"description": "false: a ship-to no "
                                                                 "configured centre claims"})
    timezone = String(allow_none=True)
    today = String(required=True)
    totals = Nested(ReceivingTotals, required=True)
    days = List(Nested(ReceivingDay), required=True)
    overdue = List(Nested(ReceivingShipment), required=True)
    no_estimate = List(Nested(ReceivingShipment), required=True)
    authorized = List(Nested(AuthorizedNotShipped), required=True)
    authorized_units = String(required=True)


class ReceivingSchedule(Schema):
    generated_at = String(required=True)
    from_ = String(required=True, attribute="from", data_key="from")
    to = String(required=True)
    centres = List(Nested(ReceivingCentre), required=True)


class ExportQuery(Query):
    format = String(load_default=ExportFormat.JSONL.value,
                    validate=OneOf([f.value for f in ExportFormat]))
    since = _moment("only rows from this moment on")
    partner = String(validate=PARTNER)
    types = DelimitedList(String(validate=OneOf(EVENT_TYPES)), load_default=list,
                          metadata={"description": "events only: comma-separated types"})


class AuditQuery(Query):
    after = _after()
    actor = _text(CLIENT_NAME_MAX + 16)
    limit = _limit()


class DecisionIn(Schema):
    reference = _text(required=True, description="the request's BGN02 or RMA, or a PO or "
                      "other reference that picks one case")
    verdict = String(required=True, validate=OneOf(["authorize", "deny"]))
    lines = List(Integer(validate=Range(1, 999_999)), validate=Length(1, 999),
                 metadata={"description": "line numbers; all lines when absent"})
    reason = String(validate=[Length(1, 2), Regexp(r"^[A-Z0-9]{1,2}$",
                                                     error="an X12 1294 code")],
                    metadata={"description": "X12 1294 response reason (e.g. OS)"})


class UploadIn(Schema):
    notice = File(required=True,  # type: ignore[no-untyped-call]  # apiflask's File is untyped
                  metadata={"description": "the recall notice (XML)"})
    partner = String(validate=PARTNER, metadata={
        "description": "the issuing partner; an upload client may only name its own"})


# --- answers -------------------------------------------------------------------------------
class Key(Schema):
    kind = String(required=True)
    value = String(required=True)


class Event(Schema):
    specversion = String(required=True)
    id = String(required=True)
    cursor = Integer(required=True)
    type = String(required=True)
    occurred_at = String(required=True)
    partner = String(allow_none=True)
    keys = List(Nested(Key), required=True)
    file_id = Integer(allow_none=True)
    document_id = Integer(allow_none=True)
    data = Dict(required=True)


class EventPage(Schema):
    events = List(Nested(Event), required=True)
    next_after = Integer(required=True, metadata={"description": "pass as after= to go on"})
    newest = Integer(required=True, metadata={"description": "the newest cursor stored"})


class CaseSummary(Schema):
    case_id = String(required=True)
    state = String(required=True)
    decision = String(allow_none=True)
    opened_at = String(required=True)
    rma = String(allow_none=True)
    requests = List(String())
    purchase_orders = List(String())
    shipments = List(String())
    partners = List(String())
    lines = Integer()
    on_recall_hold = Boolean()
    open_exceptions = Integer()


class CasePage(Schema):
    cases = List(Nested(CaseSummary), required=True)
    next_after = Integer(allow_none=True, required=True, metadata={
        "description": "pass as after= to go on; null: no more"})


class CaseLine(Schema):
    line_number = Integer(allow_none=True)
    item_ids = List(String())
    quantity = String(allow_none=True)
    unit = String(allow_none=True)
    description = String(allow_none=True)
    request_reason = String(allow_none=True)
    disposition = String(allow_none=True)
    response_reason = String(allow_none=True)
    serials = List(String())
    lots = List(String())
    on_recall_hold = Boolean()
    recall_notices = List(String())


class TimelineEntry(Schema):
    at = String(required=True)
    state_before = String(allow_none=True)
    state_after = String(required=True)
    asserts = String(allow_none=True)
    cause = String(required=True)
    note = String(required=True)
    timed_by = String(required=True)


class DocumentSummary(Schema):
    id = Integer(required=True)
    partner = String(required=True)
    direction = String(required=True)
    kind = String(required=True)
    reference = String(required=True)
    created_at = String(required=True)
    file_id = Integer(allow_none=True)


class Document(DocumentSummary):
    body = Dict(required=True, allow_none=True, metadata={
        "description": "canonical JSON (schemas/canonical-1.0.json); null in a page for a "
                       "document kept in parts (body_omitted says so): read it alone"})
    body_omitted = String(metadata={
        "description": "set, in a page, for a document kept in parts (a ship notice of more "
                       "than a megabyte of X12): GET /api/v1/documents/{id} streams it"})


class OneDocument(Document):
    """One document by its id. (Its own class: APIFlask names an answer's schema apart from the
    same class nested in a page, and would register ``Document`` twice.)"""


class LineProgram(Schema):
    line = Integer(required=True)
    program = String(required=True)
    rule = Integer(allow_none=True, metadata={"description": "the rule of programs/rules.yaml "
                                                            "that chose it; null: a default"})
    why = String(required=True)


class ReceivedQuantity(Schema):
    value = String(required=True, metadata={"description": "a decimal, as text"})
    unit = String(allow_none=True)


class QuantityInQuestion(ReceivedQuantity):
    condition = String(allow_none=True, metadata={"description": "X12 412 in canonical form "
                                                                 "(damaged, short, over...)"})
    condition_code = String(allow_none=True)
    words = String(allow_none=True)


class ReceivedLine(Schema):
    line = Integer(required=True)
    assigned_id = String(allow_none=True, metadata={"description": "RCD01"})
    item = String(required=True)
    serials = List(String())
    received = Nested(ReceivedQuantity, allow_none=True)
    returned = Nested(ReceivedQuantity, allow_none=True,
                      metadata={"description": "refused at the dock and sent back (RCD04)"})
    shipped = Nested(ReceivedQuantity, allow_none=True)
    in_question = List(Nested(QuantityInQuestion))
    summary = String(required=True)


class Receipt(Schema):
    receipt = String(required=True, metadata={"description": "the 861 as the timeline names it"})
    receipt_id = String(required=True, metadata={"description": "BRA01"})
    received_at = String(required=True)
    centre = String(allow_none=True)
    condition_code = String(allow_none=True)
    lines = List(Nested(ReceivedLine))


class ReceiptFinding(Schema):
    kind = String(required=True, metadata={
        "description": "short | over | not-shipped | serials-differ | below-authorized | "
                       "above-authorized | not-authorized | condition | refused | "
                       "units-differ | unknown-return"})
    item = String(required=True)
    quantity = String(allow_none=True)
    unit = String(allow_none=True)
    where = List(String(), metadata={"description": "the 861 lines it is about"})
    against = List(String(), metadata={"description": "the 856 / 180 lines it compares with"})
    condition_code = String(allow_none=True)
    text = String(required=True)


class CaseDetail(CaseSummary):
    keys = List(Nested(Key))
    receipts = List(Nested(Receipt), metadata={
        "description": "the return centre's receiving advices (861) that count"})
    receipt_findings = List(Nested(ReceiptFinding), metadata={
        "description": "what they found against the ship notice and the authorization"})
    program = String(allow_none=True, metadata={"description": "the case's return program "
                                                               "(null: no return lines)"})
    line_programs = List(Nested(LineProgram))
    dispositions = Nested(CaseDispositions, metadata={"description": "what became of each "
                                                                     "line after receipt"})
    line_items = List(Nested(CaseLine))
    timeline = List(Nested(TimelineEntry))
    documents = List(Nested(DocumentSummary))


class DocumentPage(Schema):
    documents = List(Nested(Document), required=True)
    next_after = Integer(allow_none=True, required=True)


class FileSummary(Schema):
    id = Integer(required=True)
    partner = String(required=True)
    name = String(required=True)
    state = String(required=True)
    reason = String(allow_none=True)
    size = Integer(required=True)
    sha256 = String(required=True)
    received_at = String(required=True)
    duplicate_of = Integer(allow_none=True)
    errors = Integer()


class Finding(Schema):
    code = String(required=True)
    severity = String(required=True)
    message = String(required=True)
    x12 = String(allow_none=True)
    interchange = String(allow_none=True)
    group = String(allow_none=True)
    set = String(allow_none=True)
    line = Integer(allow_none=True)
    segment_position = Integer(allow_none=True)
    segment = String(allow_none=True)
    element = String(allow_none=True)
    found = String(allow_none=True)
    expected = String(allow_none=True)


class SetOutcome(Schema):
    functional_id = String()
    group_control = String()
    group_outcome = String()
    set_id = String()
    control_number = String()
    outcome = String()


class InterchangeOutcome(Schema):
    control_number = String()
    outcome = String()
    sets = List(Nested(SetOutcome))


class AckSent(Schema):
    kind = String()
    control_number = String()
    answers = String(allow_none=True)
    state = String()


class FileDetail(FileSummary):
    findings = List(Nested(Finding))
    interchanges = List(Nested(InterchangeOutcome))
    documents = List(Nested(DocumentSummary))
    acknowledgements = List(Nested(AckSent))
    raw_url = String(allow_none=True, metadata={"description": "the bytes as received; null "
                                                              "when never downloaded"})


class FileList(Schema):
    files = List(Nested(FileSummary), required=True)


class Outbound(Schema):
    id = Integer(required=True)
    partner = String(required=True)
    kind = String()
    purpose = String()
    control_number = String()
    subject = String(allow_none=True)
    file_id = Integer(allow_none=True)
    state = String()
    delivery = String(required=True)
    says = String()
    created_at = String()
    sent_at = String(allow_none=True)
    ack_due = String(allow_none=True)
    ack_at = String(allow_none=True)
    ack_detail = String(allow_none=True)
    reason = String(allow_none=True)


class OutboundList(Schema):
    acknowledgements = List(Nested(Outbound), required=True)


class Recipient(Schema):
    partner = String(required=True)
    notification_id = String()
    notified_at = String()
    delivery = String(allow_none=True)
    affected_units = String(allow_none=True)
    responded_at = String(allow_none=True)
    response_status = String(allow_none=True)
    units_found = String(allow_none=True)
    units_returned = String(allow_none=True)
    response_note = String(allow_none=True)


class RecallSummary(Schema):
    notice_id = String(required=True)
    issuer = String(required=True, metadata={"description": "the partner that sent it first"})
    title = String(allow_none=True)
    status = String(allow_none=True)
    recipient_count = Integer(required=True)
    delivered = Integer(required=True)
    responded = Integer(required=True)
    response_rate = String(required=True)
    not_answered = List(String())
    affected_units = String(required=True)
    units_found = String(required=True)
    units_returned = String(required=True)


class RecallList(Schema):
    recalls = List(Nested(RecallSummary), required=True)


class RecallDetail(RecallSummary):
    notice = Dict(required=True, metadata={"description": "the latest version, canonical JSON"})
    notified = List(Nested(Recipient), metadata={"description": "each recipient"})


class FileResult(Schema):
    file_id = Integer(required=True)
    state = String(required=True)
    reason = String(allow_none=True)
    documents = Integer(required=True)
    findings = List(Nested(Finding))
    follow_ups = List(String())


class DecisionLine(Schema):
    line_number = Integer()
    verdict = String()
    disposition_code = String()
    response_reason_code = String(allow_none=True)
    why = String()


class DecisionOut(Schema):
    request = String(required=True)
    partner = String(required=True)
    rma_number = String(required=True)
    outcome = String(required=True)
    queued = Boolean(required=True, metadata={"description": "false: the same answer was "
                                                             "already queued"})
    lines = List(Nested(DecisionLine))
    status_updates = List(String())


class AuditEntry(Schema):
    id = Integer(required=True)
    at = String(required=True)
    actor = String(required=True)
    action = String(required=True)
    target = String(required=True)
    outcome = String(required=True)
    source = String(required=True)
    detail = Dict()


class AuditPage(Schema):
    entries = List(Nested(AuditEntry), required=True)
    next_after = Integer(required=True)
