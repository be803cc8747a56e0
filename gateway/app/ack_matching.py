"""The partner's answers to what we sent: its TA1s, 997s and 999s, found in a file it sent us.

Each one is matched, inside the ingest transaction, to the interchange (TA1) or group (997 /
999) of ours it names, and recorded against it (`gateway acks` and the console show it; the
overdue watcher stops waiting). Each becomes a finding of the file it came in: what it
answered, or that it answers nothing this gateway sent that partner.
"""

from __future__ import annotations

from datetime import datetime

from gateway.app.events import ack_event
from gateway.app.ports import FindingRow, IngestTransaction
from gateway.x12.ack_reader import ReceivedAck, read_acknowledgements
from gateway.x12.assess import Assessment


def reconcile_acknowledgements(tx: IngestTransaction, assessment: Assessment, partner: str,
                               file_id: int, now: datetime, *,
                               record: bool = True) -> list[FindingRow]:
    """The partner's TA1s, 997s and 999s, matched to what we sent them: each becomes a
    finding saying what it answered (or that it answers nothing we sent)."""
    rows = []
    for ack in read_acknowledgements(assessment):
        envelope = ack.kind == "TA1"
        ours = ack.interchange_control if envelope else ack.group_control
        state = _ack_state(ack)
        matched = tx.match_acknowledgement(
            partner, interchange=ours if envelope else None, group=None if envelope else ours,
            state=state if record else None, detail=_ack_detail(ack), file_id=file_id, at=now)
        what = f"{ack.kind} for our {'interchange' if envelope else 'group'} {ours}"
        if not matched:
            rows.append(FindingRow("ack.unmatched", "warning",
                                   f"{what} matches nothing this gateway sent to {partner}",
                                   interchange_control=ack.from_interchange,
                                   group_control=ack.from_group, set_control=ack.from_set))
            continue
        if record:  # a replay re-states the finding; the event was written on arrival
            tx.add_event(ack_event(
                partner, file_id, now, kind=ack.kind, answers="interchange" if envelope
                else "group", control=ours, state=state,
                matched=[f"{m.kind} {m.control_number}" for m in matched], note=ack.note))
        sent = ", ".join(f"{m.kind} {m.control_number}" for m in matched)
        rows.append(FindingRow("ack.matched", "info",
                               f"{what} ({sent}): {state or 'envelope accepted'}"
                               + (f"; {ack.note}" if ack.note else ""),
                               interchange_control=ack.from_interchange,
                               group_control=ack.from_group, set_control=ack.from_set))
    return rows


def _ack_state(ack: ReceivedAck) -> str | None:
    """What the answer means for what we sent; None: nothing final (a TA1 accepting the
    envelope says nothing about the documents: their 997 / 999 is still expected)."""
    if ack.kind == "TA1":
        return "rejected" if ack.code == "R" else None
    return {"A": "accepted", "E": "accepted-with-errors",
            "P": "partially-accepted"}.get(ack.code, "rejected")


def _ack_detail(ack: ReceivedAck) -> str:
    parts = [f"{ack.kind} code {ack.code}" + (f" ({ack.note})" if ack.note else "")]
    for s in ack.sets:
        parts.append(f"set {s.set_id} {s.control}: {s.code}"
                     + "".join(f"; {e}" for e in s.errors))
    return "\n".join(parts)
