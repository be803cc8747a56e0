"""Named crash points, so tests can kill the real process where a crash would hurt most.

Set ``GATEWAY_CRASH_AT`` to a point's name and the process kills itself with SIGKILL when it
gets there: no cleanup, no finally blocks, exactly like a power cut or the OOM killer. Unset (as
always in production) it costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

INGEST_POINTS = ("after-archive", "after-record", "mid-transaction", "after-commit")
# Queuing our own documents (gateway.app.outbound) and publishing what the outbox owes.
OUTBOUND_POINTS = ("outbound-mid-transaction", "after-outbound-commit", "after-publish")
# Delivering the event feed: the subscriber took the event, its record is not yet written.
DELIVERY_POINTS = ("after-webhook-post",)
POINTS = INGEST_POINTS + OUTBOUND_POINTS + DELIVERY_POINTS


def crash_point(name: str) -> None:
    assert name in POINTS, name
    if os.environ.get("GATEWAY_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
