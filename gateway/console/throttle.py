"""Wrong tokens, counted per client in memory: past the limit a client is answered 429 with
Retry-After until its oldest failure leaves the window.

This replaces a sleep after each wrong token, which held one of the server's few worker
threads per guess: 32 wrong bearer requests kept a valid one from anybody else waiting 7.7 s.
Now nothing waits; a guesser gets ``attempts`` tries per ``window`` and then only 429s, which
cost nothing to answer. Only token checks are counted and refused (a bearer header, the login
form); a browser already signed in is not locked out by somebody guessing from its address.

A client is its address (the forwarded one behind a trusted proxy, see ``proxy.py``); an IPv6
client is its /64 network, since one host usually holds a whole /64 to rotate through. Memory
is bounded: past ``MAX_CLIENTS`` the client that failed least recently is forgotten.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

MAX_CLIENTS = 10_000


@dataclass(frozen=True)
class GuessLimit:
    attempts: int = 10  # wrong tokens a client may send per window
    window: float = 300.0  # seconds

    def __post_init__(self) -> None:
        if self.attempts < 1 or not self.window > 0:
            raise ValueError("the wrong-token limit needs at least 1 attempt in a positive "
                             "window")


class WrongTokens:
    """Failed token checks per client, thread-safe (waitress serves with several threads).
    A burst of concurrent guesses may pass the check together, so up to the server's thread
    count more than ``attempts`` can be answered 401 before the 429s start."""

    def __init__(self, limit: GuessLimit, clock: Callable[[], float] = time.monotonic,
                 max_clients: int = MAX_CLIENTS) -> None:
        self.limit, self.clock, self.max_clients = limit, clock, max_clients
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int | None:
        """Whole seconds ``address`` must wait before its next token is checked, or None."""
        with self._lock:
            recent = self._recent(client_of(address))
            if len(recent) < self.limit.attempts:
                return None
            return max(1, math.ceil(recent[0] + self.limit.window - self.clock()))

    def failed(self, address: str) -> None:
        client = client_of(address)
        with self._lock:
            recent = self._recent(client)
            recent.append(self.clock())
            self._failures[client] = recent
            self._failures.move_to_end(client)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)

    def _recent(self, client: str) -> deque[float]:
        """The client's failures still inside the window (older ones dropped)."""
        recent = self._failures.get(client, deque())
        horizon = self.clock() - self.limit.window
        while recent and recent[0] <= horizon:
            recent.popleft()
        return recent


def client_of(address: str) -> str:
    """The key a client is counted under: its IPv4 address, its IPv6 /64 network."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an address (a unix socket, a test): counted as given
    if isinstance(parsed, ipaddress.IPv4Address):
        return str(parsed)
    if parsed.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is that IPv4 client
        return str(parsed.ipv4_mapped)
    return str(ipaddress.IPv6Network((parsed, 64), strict=False))
