"""Who may use the JSON API, and the record of what was done through it.

An API client is a named token with scopes (``gateway tokens create NAME --scope ...``):

* ``read``   every GET of /api/v1: the event feed, cases, documents, files, acks, recalls;
* ``decide`` authorize or deny a pending return line (the 180 answer goes out as from the CLI);
* ``upload`` send a recall notice through the same intake as SFTP, as the partner the client
  is bound to (``--partner``): a client can never file a notice under another partner's name;
* ``admin``  everything above, replaying a file and reading the audit log.

The token is shown once, when created. The store keeps only its SHA-256: a token is 256 random
bits, so a fast hash is as safe as a slow one here (nothing to guess), and a copy of the table
lets nobody call the API. A revoked client keeps its row, so the audit log still names it.

Every write (and every write refused for want of a scope) is an `AuditEntry`: who, when, what,
on what, how it ended and from where. The log is append-only in the store.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

TOKEN_PREFIX = "gwt_"  # tells a leaked token apart (secret scanners, our query-string check)
HINT_LENGTH = 4  # the token's last characters, shown in `gateway tokens list`
CLIENT_NAME_MAX = 64


class Scope(StrEnum):
    READ = "read"
    DECIDE = "decide"
    UPLOAD = "upload"
    ADMIN = "admin"


class AccessError(ValueError):
    """A client that cannot be created or revoked as asked; the message is for a person."""


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_token(text: str) -> bool:
    return text.startswith(TOKEN_PREFIX)


def scopes_of(words: Iterable[str]) -> frozenset[Scope]:
    """Scopes from ``read,decide`` style words; AccessError names an unknown one."""
    found = set()
    for word in (w.strip() for text in words for w in text.split(",")):
        if not word:
            continue
        try:
            found.add(Scope(word))
        except ValueError:
            raise AccessError(f"{word!r} is not a scope: choose from "
                              f"{', '.join(s.value for s in Scope)}") from None
    if not found:
        raise AccessError("a client needs at least one scope")
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class ApiClient:
    name: str
    scopes: frozenset[Scope]
    partner: str | None  # the partner an upload client sends as; None: none
    created_at: datetime
    hint: str
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    last_used_from: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: Scope) -> bool:
        """Admin holds every scope; a revoked client none."""
        return self.active and (scope in self.scopes or Scope.ADMIN in self.scopes)

    def granted(self) -> list[str]:
        """Every scope this client acts with (admin's expanded), for the API's role checks."""
        return [scope.value for scope in Scope if self.allows(scope)]


class ApiClientStore(Protocol):
    def create(self, client: ApiClient, digest: str) -> None:
        """Keep a new client; AccessError when the name is taken."""
        ...

    def by_digest(self, digest: str) -> ApiClient | None: ...

    def by_name(self, name: str) -> ApiClient | None: ...

    def all(self) -> list[ApiClient]: ...

    def revoke(self, name: str, at: datetime) -> bool:
        """False when no active client has that name."""
        ...

    def touch(self, name: str, at: datetime, source: str) -> None:
        """Note a use (at most once a minute is written)."""
        ...


class AuditOutcome(StrEnum):
    DONE = "done"  # the write happened
    REFUSED = "refused"  # the client may not do it (scope, partner) or it was not allowed
    FAILED = "failed"  # it was allowed but could not be done (unknown case, unreadable file)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: str  # api:NAME, cli:USER, console:ROLE
    action: str  # decision.authorize, recall.upload, file.replay, token.create, ...
    target: str  # what it was done to: a reference, a file, a client
    outcome: AuditOutcome
    source: str  # the client's address; "local" for the command line
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    entry: AuditEntry


class AuditLog(Protocol):
    def append(self, entry: AuditEntry) -> int: ...

    def entries(self, *, after: int = 0, limit: int = 100, actor: str | None = None,
                before: int | None = None, action_prefix: str | None = None,
                targets: Iterable[str] = ()) -> list[AuditRow]:
        """Oldest first, ids after ``after``; given ``before``, newest first below it (a page
        of a log read from its end); only ``actor``'s, only actions starting so, only about
        ``targets``."""
        ...


def audit_json(row: AuditRow) -> dict[str, Any]:
    entry = row.entry
    return {"id": row.id, "at": entry.at.isoformat(), "actor": entry.actor,
            "action": entry.action, "target": entry.target, "outcome": entry.outcome.value,
            "source": entry.source, "detail": dict(entry.detail)}
