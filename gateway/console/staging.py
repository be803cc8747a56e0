"""Recall notices a coordinator has checked and not yet confirmed, held in memory.

Checking a notice stores nothing: its bytes wait here under a random token for the
confirmation, at most ``ttl`` and for at most ``capacity`` notices at once (the oldest goes
first), then are gone. A restarted console forgets them: the coordinator uploads again.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class StagedNotice:
    person: str  # only who checked it may confirm it
    partner: str
    name: str
    data: bytes
    notice_id: str  # as the check read it: where its recall page is once sent
    staged_at: float


class StagedNotices:
    def __init__(self, *, capacity: int = 20, ttl: float = 900.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.capacity, self.ttl, self.monotonic = capacity, ttl, monotonic
        self._held: OrderedDict[str, StagedNotice] = OrderedDict()
        self._lock = threading.Lock()

    def stage(self, person: str, partner: str, name: str, data: bytes, notice_id: str) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._forget_expired()
            self._held[token] = StagedNotice(person, partner, name, data, notice_id,
                                             self.monotonic())
            while len(self._held) > self.capacity:
                self._held.popitem(last=False)
        return token

    def take(self, token: str, person: str) -> StagedNotice | None:
        """The notice staged under ``token`` by ``person``, removed; None when unknown,
        expired or someone else's."""
        with self._lock:
            self._forget_expired()
            found = self._held.get(token)
            if found is None or found.person != person:
                return None
            del self._held[token]
            return found

    def _forget_expired(self) -> None:
        cutoff = self.monotonic() - self.ttl
        for token in [t for t, n in self._held.items() if n.staged_at < cutoff]:
            del self._held[token]
