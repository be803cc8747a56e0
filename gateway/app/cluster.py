"""Several `gateway run` nodes on one database: who polls which partner, and who is alive.

PostgreSQL is the only thing the nodes share, and it decides; there is no protocol between them.

- **Nodes.** Each `gateway run` registers a row (a new id at every start) and beats: every
  ``cluster.heartbeat_seconds`` it stamps the row and renews its leases in one transaction.
  A node not heard from for ``cluster.lease_seconds`` is dead; a clean stop frees its partners
  at once.
- **Partner leases** (rows, not advisory locks: chosen because a row lease with an expiry is
  visible to `gateway nodes` and the console, works the same on SQLite, survives a connection
  pool that reconnects, and runs out by itself when a node hangs with its connection still
  open, which a session lock never does). A node polls a partner, and sends its outbox, only
  while it holds the partner's lease. It takes a free or run-out lease only while it holds
  fewer than its fair share (the partners over the live nodes, rounded up) and gives back what
  it holds beyond that share at its heartbeat: an idle partner at once, one it is polling once
  the file in hand is stored (the poll takes no more, and the lease is freed when it ends), so
  partners spread over the nodes, and move to a node that joins, even with a backlog. A dead
  node's partners are taken over when their leases run out, at the next scheduled poll:
  within lease + one poll interval.
- **Never without a lease.** The node's own view of a lease runs on its monotonic clock from
  the moment it asked for the renewal, so a node that loses the database stops polling when
  its leases would have run out for everyone else, without asking anyone, and says so.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

log = logging.getLogger("gateway.run")
MIN_RENEWAL_SECONDS = 1.0  # a renewal thread never spins on the database


@dataclass(frozen=True, slots=True)
class NodeRecord:
    id: str  # a new one at every start
    name: str  # what people call it (cluster.node, or the host name)
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None = None
    partners: tuple[str, ...] = ()  # the leases it holds (when read back)

    def alive(self, now: datetime, lease: timedelta) -> bool:
        """Running as far as anyone can tell: not stopped, heard from within a lease."""
        return self.stopped_at is None and now - self.heartbeat_at <= lease


# Entered for a partner: True while it is certainly not being polled (and cannot start to be
# until the block ends), False when it is being polled now.
IdleCheck = Callable[[str], AbstractContextManager[bool]]


@dataclass(frozen=True, slots=True)
class LeaseRow:
    partner: str
    node: str
    since: datetime
    until: datetime


class ClusterStore(Protocol):
    def database_now(self) -> datetime:
        """The database server's clock: the one every node's leases are measured by."""

    def register_node(self, node: NodeRecord) -> None: ...

    def node_heartbeat(self, node_id: str, now: datetime, until: datetime) -> set[str]:
        """Stamp the node alive and renew its leases to ``until``; the partners it holds."""

    def stop_node(self, node_id: str, at: datetime) -> None:
        """A clean stop: the node's leases freed at once."""

    def live_node_count(self, heard_since: datetime) -> int: ...

    def claim_partner(self, partner: str, node_id: str, now: datetime,
                      until: datetime) -> bool:
        """Take (or keep) the partner's lease when free, run out or ours; whether we hold it."""

    def release_partner(self, partner: str, node_id: str) -> None: ...

    def nodes(self) -> list[NodeRecord]: ...


def fair_share(partners: int, live_nodes: int) -> int:
    """How many partners one node may hold: all of them over the live nodes, rounded up."""
    return math.ceil(partners / max(live_nodes, 1))


class PartnerLeases:
    """This node's leases: which partners it may poll now (module docstring)."""

    def __init__(self, store: ClusterStore, node: NodeRecord, *, lease: timedelta,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store, self.node, self.lease = store, node, lease
        self._monotonic = monotonic
        self._held: dict[str, float] = {}  # partner: until when, on our monotonic clock
        self._giving_back: set[str] = set()  # held beyond our share: freed when polled
        self._share = 0  # unknown until the first heartbeat: take nothing
        self._lost: str | None = None  # why the database cannot be reached, while it cannot
        self._lock = threading.Lock()  # partners' polls ask from their own threads
        self._claiming = threading.Lock()

    @property
    def node_id(self) -> str:
        return self.node.id

    def start(self, partners: int) -> None:
        """Register this node and take the first heartbeat (raises if the store is down)."""
        self.store.register_node(self.node)
        self.heartbeat(partners, idle=lambda _partner: nullcontext(True))

    def heartbeat(self, partners: int, *, idle: IdleCheck) -> bool:
        """Stamp this node alive, renew its leases, learn how many nodes share the partners,
        and give back what it holds beyond its share (an idle partner now, within ``idle``;
        one being polled when its poll ends); whether the store could be reached."""
        with self._claiming:  # a claim meanwhile would be missing from what the store says
            asked = self._monotonic()
            try:
                now = self.store.database_now()
                kept = self.store.node_heartbeat(self.node_id, now, now + self.lease)
                live = self.store.live_node_count(now - self.lease)
            except Exception as exc:  # the database is gone: our leases run out on their own
                self._database_lost(exc)
                return False
            with self._lock:
                self._held = dict.fromkeys(kept, asked + self.lease.total_seconds())
                self._giving_back &= set(kept)
                self._share = fair_share(partners, live)
        self._database_back()
        self._shed(idle)
        return True

    def may_poll(self, partner: str) -> bool:
        """Whether this node may poll ``partner`` now: it holds the lease, or took it just now
        (free or run out, and this node holds fewer than its share)."""
        if self.holds(partner):
            return True
        with self._claiming:  # one claim at a time: two polls must not both fill the share
            with self._lock:
                if self._lost is not None or len(self._held) >= self._share:
                    return False
            return self._claim(partner)

    def holds(self, partner: str) -> bool:
        """Whether our lease on ``partner`` still runs, by our own clock (no database asked),
        and we keep it: a poll checks it before each file it takes."""
        with self._lock:
            until = self._held.get(partner)
            leaving = partner in self._giving_back
        return until is not None and not leaving and self._monotonic() < until

    def poll_finished(self, partner: str) -> None:
        """A poll of ``partner`` ended: a lease held beyond our share is freed now."""
        with self._lock:
            leaving = partner in self._giving_back
        if leaving:
            self._release(partner)

    def held(self) -> list[str]:
        with self._lock:
            return sorted(self._held)

    def stop(self) -> None:
        """A clean stop: every lease given back at once, for the other nodes to take."""
        with self._lock:
            self._held.clear()
            self._giving_back.clear()
            self._share = 0
        try:
            self.store.stop_node(self.node_id, self.store.database_now())
        except Exception as exc:  # they run out by themselves
            log.warning("could not give back this node's partners (they are free when their "
                        "leases run out, within %s): %s", self.lease, exc)

    def _claim(self, partner: str) -> bool:
        asked = self._monotonic()
        try:
            now = self.store.database_now()
            taken = self.store.claim_partner(partner, self.node_id, now, now + self.lease)
        except Exception as exc:
            self._database_lost(exc)
            return False
        if taken:
            with self._lock:
                self._held[partner] = asked + self.lease.total_seconds()
            log.info("%s: this node polls it now (lease taken)", partner,
                     extra={"partner": partner, "node": self.node.name})
        return taken

    def _shed(self, idle: IdleCheck) -> None:
        """Free what is held beyond our share: idle partners now (released while ``idle``
        keeps their polls from starting), busy ones when their poll ends (`poll_finished`)."""
        with self._lock:
            extra = len(self._held) - self._share
            held = sorted(self._held)
        busy = []
        for partner in held:
            if extra <= 0:
                return
            with idle(partner) as free:
                if free:
                    self._release(partner)
                    extra -= 1
                else:
                    busy.append(partner)
        with self._lock:
            self._giving_back.update(busy[:extra])

    def _release(self, partner: str) -> None:
        try:
            self.store.release_partner(partner, self.node_id)
        except Exception as exc:  # kept until the database is back, or its lease runs out
            self._database_lost(exc)
            return
        with self._lock:
            self._held.pop(partner, None)
            self._giving_back.discard(partner)
        log.info("%s: given back for another node to poll (this node holds more than its "
                 "share)", partner, extra={"partner": partner, "node": self.node.name})

    def _database_lost(self, exc: Exception) -> None:
        with self._lock:
            first = self._lost is None
            self._lost = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if first:
            log.error("the database cannot be reached: this node stops polling when its "
                      "leases run out (within %s) and takes no partner until it is back: %s",
                      self.lease, self._lost, extra={"node": self.node.name})

    def _database_back(self) -> None:
        with self._lock:
            was, self._lost = self._lost, None
        if was is not None:
            log.info("the database is back: this node polls its partners again",
                     extra={"node": self.node.name})


@contextmanager
def kept_alive(renew: Callable[[], None], every: float, *,
               enabled: bool = True) -> Iterator[None]:
    """Call ``renew`` every ``every`` seconds (at least a second) on the renewal thread while
    the block runs: a file being processed keeps its lease, however long it takes, so no
    other node takes it up meanwhile. A renewal that fails is logged; the next one tries
    again. None runs once the block has ended. Not ``enabled`` (a lease of 0: no lease to
    keep), nothing runs."""
    if not enabled:
        yield
        return
    token = _RENEWALS.add(renew, max(every, MIN_RENEWAL_SECONDS))
    try:
        yield
    finally:
        _RENEWALS.remove(token)


@dataclass(slots=True)
class _Renewal:
    renew: Callable[[], None]
    every: float
    due: float  # time.monotonic() of the next call


class _Renewals:
    """The blocks `kept_alive` runs, renewed by one thread for the whole process. A thread
    started and joined for each file cost more than a small file's ingest transaction, and
    renewals are rare (a third of a lease of minutes) and short."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._blocks: dict[int, _Renewal] = {}
        self._running: int | None = None  # the block whose renewal is being called
        self._count = 0
        self._thread: threading.Thread | None = None

    def add(self, renew: Callable[[], None], every: float) -> int:
        with self._changed:
            self._count += 1
            self._blocks[self._count] = _Renewal(renew, every, time.monotonic() + every)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="file-lease",
                                                daemon=True)
                self._thread.start()
            self._changed.notify_all()
            return self._count

    def remove(self, token: int) -> None:
        """No more renewals of block ``token``: returns once one in progress has ended."""
        with self._changed:
            self._blocks.pop(token, None)
            while self._running == token:
                self._changed.wait()

    def _run(self) -> None:
        while True:
            renew = self._next_due()
            try:
                renew()
            except Exception as exc:  # the lease runs out on its own if this keeps failing
                log.warning("could not renew the lease of the file in progress: %s", exc)
            with self._changed:
                self._running = None
                self._changed.notify_all()

    def _next_due(self) -> Callable[[], None]:
        """Wait for the next renewal due; it is marked running, and the one after scheduled."""
        with self._changed:
            while True:
                now = time.monotonic()
                token = min(self._blocks, key=lambda t: self._blocks[t].due, default=None)
                if token is not None and self._blocks[token].due <= now:
                    block = self._blocks[token]
                    block.due = now + block.every
                    self._running = token
                    return block.renew
                self._changed.wait(None if token is None else self._blocks[token].due - now)


_RENEWALS = _Renewals()
