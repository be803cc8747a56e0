"""The states every layer speaks of: a received file's (`FileState`) and a return case's
(`CaseState`).

Both are `StrEnum`s: a member is the very string the store keeps, the commands and the console
print and the JSON carries (``FileState.NOT_X12 == "not-x12"``), so a row read back compares
equal to a member and nothing changes on the wire. The groups a decision needs (a replay takes
the failed files; a refused file replays only with its partner file) are named here, beside the
states they group, rather than spelled out where they are used.
"""

from __future__ import annotations

from enum import StrEnum


class FileState(StrEnum):
    """Where a received file stands (``received_files.state``), in the order people read them."""

    RECEIVED = "received"  # recorded; a worker holds it until its lease ends
    ACCEPTED = "accepted"  # every set accepted and each one's document stored
    ACCEPTED_UNMAPPED = "accepted-unmapped"  # valid X12, but a set did not map to a document
    PARTIALLY_ACCEPTED = "partially-accepted"  # some sets rejected, others accepted
    REJECTED = "rejected"  # nothing accepted (or another sender's file, or refused unread)
    REFUSED = "refused"  # outside its sender's authority: nothing of it stored
    PARTIALLY_REFUSED = "partially-refused"  # some documents refused, the others stored
    NOT_X12 = "not-x12"  # neither an X12 interchange nor XML we read
    DUPLICATE = "duplicate"  # the same bytes or interchanges again: not processed twice
    # Never stored: the answer to a copy of a file another worker is processing right now.
    IN_PROGRESS = "in-progress"


# What the store can hold, in reading order: `gateway files --state` and the console's filter.
STORED_STATES = tuple(state for state in FileState if state is not FileState.IN_PROGRESS)
# Files worth a replay once a grammar or mapping is fixed (`gateway replay --failed`).
FAILED_STATES = frozenset({FileState.REJECTED, FileState.PARTIALLY_ACCEPTED, FileState.NOT_X12})
# Files refused for their sender's authority: replayed only with the partner's file.
REFUSED_STATES = frozenset({FileState.REFUSED, FileState.PARTIALLY_REFUSED})
# Nothing of the file taken: a person must look at it (the daemon's warning, the reject metric).
REJECTED_STATES = frozenset({FileState.REJECTED, FileState.NOT_X12})
# Nothing wrong with the file: `gateway ingest` exits 0 when every file ends in one of these.
UNTROUBLED_STATES = frozenset({FileState.ACCEPTED, FileState.DUPLICATE, FileState.IN_PROGRESS})


class CaseState(StrEnum):
    """A return case's state (`gateway.domain.return_case` derives it; its module docstring has
    the rules); the status document (return-status-1.0.xsd) publishes all but REQUESTED,
    PENDING and EXCEPTION."""

    REQUESTED = "requested"
    PENDING = "pending"
    AUTHORIZED = "authorized"
    PARTIALLY_AUTHORIZED = "partially-authorized"
    DENIED = "denied"
    SHIPPED = "shipped"
    IN_TRANSIT = "in-transit"
    DELIVERED = "delivered"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"  # side state (return_case rule 3)
    EXCEPTION = "exception"  # only ever asserted by a fact; never a case's state (rule 4)
