"""The 824 Application Advice a partner asked for, queued with the file that earned it.

A set that passed X12 validation (its 997 says AK5*A) but could not be mapped is unusable to us.
When the partner's file says ``x12: {application_advice: x12-824}``, ingest queues one 824 for
the file, with an OTI loop per unusable set and a TED per reason, in the *same* transaction that
records the file, so a crash sends it with the file or not at all, and its dedupe key
(``advice:file-<id>``) keeps a redelivery from sending it twice. It is enveloped like our other
documents (the partner's delimiters, durable control numbers) and expects the partner's 997,
matched by ISA13 / GS06 like every document we send; one that fails our own 824 grammar is held
with the reason, never sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from gateway.app.ports import OutboundRecord, OutboxItem
from gateway.app.translate import UnmappedSet
from gateway.mapping.engine import REQUIRED_MISSING
from gateway.x12.advice import (
    FUNCTIONAL_ID,
    MISSING_DATA,
    OTHER_REASON,
    SET_ID,
    Reason,
    UnusableSet,
    application_advice_824,
)
from gateway.x12.assess import assess
from gateway.x12.isa import Delimiters
from gateway.x12.report import where_text
from gateway.x12.values import X12_CHARACTERS
from gateway.x12.write import (
    ControlNumbers,
    Envelope,
    Identity,
    Receiver,
    write_interchange,
    writing_delimiters,
)


def advice_record(unmapped: Sequence[UnmappedSet], file_id: int, *, identity: Identity,
                  address: Receiver, numbers: ControlNumbers,
                  now: datetime) -> OutboundRecord:
    """The outbox record of the 824 for one file's unusable sets (``unmapped`` not empty)."""
    envelope = Envelope.numbered(numbers, identity, address, _version(unmapped))
    key = f"advice:file-{file_id}"
    try:
        _check_echoable(unmapped, writing_delimiters(envelope.delimiters))
        body = application_advice_824(f"RGW-A{file_id:09d}", now,
                                      [_unusable(s) for s in unmapped])
        written = write_interchange(FUNCTIONAL_ID, [(SET_ID, body)], envelope, now)
    except ValueError as exc:  # a number of the partner's that X12 cannot carry
        return OutboundRecord(OutboxItem(SET_ID, "-", None, b""), "application-advice",
                              None, key, held_because=f"cannot be written: {exc}")
    return OutboundRecord(
        OutboxItem(SET_ID, written.interchange_control, None, written.text.encode("latin-1")),
        "application-advice", None, key, held_because=_invalid_because(written.text),
        interchange_control=written.interchange_control, group_control=written.group_control,
        set_controls=f"{SET_ID}:{written.set_controls[0]}", expects_ack=True)


def _check_echoable(unmapped: Sequence[UnmappedSet], delimiters: Delimiters) -> None:
    """An ST02 holding one of the delimiters we write with (the partner file's, with the
    repetition separator the writer chose) would come out as '?': another set's number.
    (Possible only when the partner file's delimiters differ from the file's.)"""
    for unusable in unmapped:
        if any(c in "".join(delimiters.all()) for c in unusable.set_control):
            raise ValueError(f"ST02 {unusable.set_control!r} holds one of the delimiters "
                             "the partner file gives")


def _unusable(unmapped: UnmappedSet) -> UnusableSet:
    reasons = [Reason(message, issue.tag, issue.position,
                      MISSING_DATA if issue.code == REQUIRED_MISSING else OTHER_REASON)
               for issue, message in zip(unmapped.reasons, unmapped.messages, strict=True)]
    return UnusableSet(unmapped.set_id, unmapped.interchange_control, unmapped.group_control,
                       unmapped.set_control, reasons, reference=_fitting(unmapped.reference),
                       version=unmapped.version)


def _fitting(reference: str | None) -> str | None:
    """The set's own number for REF02 (AN 1/30), or None when it would not fit as sent: a
    cut number would name another document, and the NTE lines identify the set anyway."""
    if reference is None or len(reference) > 30 or not set(reference) <= X12_CHARACTERS:
        return None
    return reference


def _version(unmapped: Sequence[UnmappedSet]) -> str:
    """The partner's own release when we can write it (a 0050xx group gets a 005010-family
    824), else 004010."""
    release = (unmapped[0].version or "").strip().upper()
    return "005010" if release.startswith("0050") else "004010"


def _invalid_because(text: str) -> str | None:
    assessment = assess(text.encode("latin-1"))
    if assessment.accepted:
        return None
    first = next((x for x in assessment.all_findings() if x.is_error), None)
    if first is None:
        return "fails our own 824 grammar"
    return f"fails our own 824 grammar: {where_text(assessment, first)}: {first.message}"
