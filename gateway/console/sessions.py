"""Console sessions held on the server: the signed cookie names a session, the store says
whether it still holds.

A session ends when its browser signs out, when `gateway console --sign-out-all` ends them
all, after ``idle`` without a request, and ``lifetime`` after sign-in however busy it is. A
copy of the cookie taken before any of these is worth nothing after it. The cookie is
``Secure`` whenever the request came over TLS (``request.is_secure``: served over https, or
through a proxy the console was told to trust that says so; see ``proxy.py``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

from gateway.app.people import SESSIONS_ENDED
from gateway.app.ports import ConsoleSession, ConsoleSessionStore

SIGNED_OUT, SIGNED_OUT_ALL, IDLE, LIFETIME, UNKNOWN = (
    "signed-out", "signed-out-all", "idle", "lifetime", "unknown")
DISABLED = SESSIONS_ENDED  # the person was disabled or given a new password
# last_seen is written at most this often: most page views stay reads, so the console does
# not queue behind the gateway's own writers on SQLite. Idle time counts from that write, so
# a session may end up to this much before ``idle`` has fully passed, never after.
TOUCH_EVERY = timedelta(minutes=1)
# Ended and expired rows are kept this long past their lifetime (why a session ended can be
# told to its browser), then forgotten at the next sign-in.
KEEP_ENDED = timedelta(days=7)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    lifetime: timedelta = timedelta(hours=12)

    def __post_init__(self) -> None:
        if self.idle <= timedelta(0) or self.lifetime <= timedelta(0):
            raise ValueError("session idle timeout and lifetime must be positive")


@dataclass(frozen=True)
class Verdict:
    """A session cookie checked against the store: the role it grants and whose it is, or why
    it ended."""

    role: str | None
    ended_because: str | None = None
    person: str | None = None


class SignIns:
    """Starts, checks and ends console sessions in ``store`` under ``policy``."""

    def __init__(self, store: ConsoleSessionStore, policy: SessionPolicy,
                 clock: Callable[[], datetime]) -> None:
        self.store, self.policy, self.clock = store, policy, clock

    def start(self, role: str, person: str | None = None) -> str:
        """A new session of ``person`` in ``role``; its secret id goes into the signed cookie
        only."""
        now = self.clock()
        self.store.forget_started_before(now - self.policy.lifetime - KEEP_ENDED)
        session_id = secrets.token_urlsafe(32)
        self.store.start(session_id, role, now, person)
        return session_id

    def check(self, session_id: str) -> Verdict:
        now = self.clock()
        found = self.store.find(session_id)
        ended = ended_because(found, now, self.policy)
        if found is None or ended is not None:
            if found is not None and found.ended_at is None:  # expired just now: record why
                self.store.end(session_id, now, ended or UNKNOWN)
            return Verdict(None, ended)
        if now - found.last_seen >= TOUCH_EVERY:
            self.store.touch(session_id, now)
        return Verdict(found.role, person=found.person)

    def end(self, session_id: str) -> None:
        self.store.end(session_id, self.clock(), SIGNED_OUT)

    def why(self, reason: str) -> str:
        """What to tell the person whose session ended for ``reason``."""
        return {
            SIGNED_OUT: "That session was signed out.",
            SIGNED_OUT_ALL: "An administrator signed every console session out.",
            DISABLED: "Your account was disabled or its password changed.",
            IDLE: f"Your session ended after {_duration(self.policy.idle)} without activity.",
            LIFETIME: f"Your session reached its limit of {_duration(self.policy.lifetime)}.",
        }.get(reason, "That session is not known to this console.") + " Sign in again."


def ended_because(found: ConsoleSession | None, now: datetime,
                  policy: SessionPolicy) -> str | None:
    """Why a session no longer holds at ``now``, or None while it does."""
    if found is None:
        return UNKNOWN
    if found.ended_at is not None:
        return found.ended_because or SIGNED_OUT
    if now - found.created_at >= policy.lifetime:
        return LIFETIME
    if now - found.last_seen >= policy.idle:
        return IDLE
    return None


class CookieSecureOverTls(SecureCookieSessionInterface):
    """Flask's signed cookie, marked ``Secure`` per request when it came over TLS (Flask's own
    setting is one value for every request, and the console is reached both ways)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or super().get_cookie_secure(app)


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
