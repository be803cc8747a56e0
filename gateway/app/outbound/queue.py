"""Putting our own documents on the outbox: enveloped, validated, once per dedupe key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from gateway.app.control_numbers import DurableControlNumbers
from gateway.app.faults import crash_point
from gateway.app.outbound.terms import Outbound
from gateway.app.partners import PartnerSettings
from gateway.app.ports import OutboundRecord, OutboundTransaction, OutboxItem
from gateway.x12.assess import assess
from gateway.x12.report import where_text
from gateway.x12.sets import FUNCTIONAL_IDS
from gateway.x12.write import Envelope, SetBody, write_interchange


def queue_x12(tx: OutboundTransaction, context: Outbound, party: PartnerSettings,
              sets: Sequence[SetBody], *, purpose: str, subject: str | None,
              dedupe_key: str, file_id: int | None, now: datetime) -> int | None:
    """One interchange of ``sets`` to ``party``; its outbox id, or None when it already has
    one under ``dedupe_key``. Checked against our own maps first: an invalid document is
    kept *held* with the reason and never sent (nor are control numbers wasted on a re-run)."""
    if tx.outbound_exists(party.id, dedupe_key):
        return None
    envelope = Envelope.numbered(DurableControlNumbers(tx, party.id), context.identity, party,
                                 party.version)
    try:
        written = write_interchange(_functional_id(sets[0][0]), sets, envelope, now)
    except ValueError as exc:  # an id of the partner's that X12 cannot carry
        return queue_unwritable(tx, party, sets[0][0], str(exc), purpose=purpose,
                                subject=subject, dedupe_key=dedupe_key, file_id=file_id,
                                now=now)
    isa13 = written.interchange_control
    record = OutboundRecord(
        OutboxItem(sets[0][0], isa13, None, written.text.encode("latin-1")), purpose,
        subject, dedupe_key, held_because=invalid_because(written.text),
        interchange_control=isa13, group_control=written.group_control,
        set_controls=",".join(f"{set_id}:{st02}" for (set_id, _), st02 in
                              zip(sets, written.set_controls, strict=True)),
        ack_due=_ack_due(party, now), expects_ack=True)
    queued = tx.queue_outbound(file_id, party.id, record, now)
    crash_point("outbound-mid-transaction")
    return queued


def _ack_due(party: PartnerSettings, now: datetime) -> datetime | None:
    """When the partner's 997 / 999 for what we send now is overdue (None: never)."""
    return now + party.ack_expected_within if party.ack_expected_within else None


def queue_xml(tx: OutboundTransaction, party: PartnerSettings, kind: str, document_id: str,
              payload: bytes, *, purpose: str, subject: str | None, dedupe_key: str,
              file_id: int | None, now: datetime) -> int | None:
    """An XML document (already valid against its XSD: the writers check) to ``party``."""
    record = OutboundRecord(OutboxItem(kind, document_id, None, payload), purpose, subject,
                            dedupe_key)
    return tx.queue_outbound(file_id, party.id, record, now)


def queue_unwritable(tx: OutboundTransaction, party: PartnerSettings, kind: str, reason: str, *,
                     purpose: str, subject: str | None, dedupe_key: str,
                     file_id: int | None, now: datetime) -> int | None:
    """A document we owe but cannot write (its data does not fit the form the partner asked
    for): kept *held* with the reason, so a person sees it in ``gateway acks --held``."""
    record = OutboundRecord(OutboxItem(kind, "-", None, b""), purpose, subject, dedupe_key,
                            held_because=f"cannot be written: {reason}")
    return tx.queue_outbound(file_id, party.id, record, now)


def next_document_id(tx: OutboundTransaction, prefix: str) -> str:
    """Our XML documents' ids: RGW-S000000012 (status), RGW-N000000003 (notification)."""
    return f"RGW-{prefix}{tx.next_control_number('gateway', f'xml-{prefix}'):09d}"


def invalid_because(text: str) -> str | None:
    """Why an X12 document we wrote fails our own validation (None: it passes). The same
    checks inbound files get: a partner would reject what we would reject."""
    assessment = assess(text.encode("latin-1"))
    if assessment.accepted:
        return None
    errors = [f for f in assessment.all_findings() if f.is_error][:5]
    return "; ".join(f"{where_text(assessment, f)}: {f.message}" for f in errors) \
        or "our own validation did not accept it"


def _functional_id(set_id: str) -> str:
    return FUNCTIONAL_IDS[set_id]
