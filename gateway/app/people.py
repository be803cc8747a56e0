"""The people who work in the console, their roles, and what each role may do.

Four roles, each for one kind of user:

* ``viewer``             sees every page, changes nothing;
* ``operator``           also decides return requests, records receipts and dispositions;
* ``recall-coordinator`` also uploads recall notices and follows their recipients;
* ``admin``              everything: replays files, tests partner connections, reads the audit
                          log, manages people and API tokens.

People are added with `gateway users add NAME --role ROLE`; a password is kept only as its
Argon2id hash (argon2-cffi's defaults, the RFC 9106 low-memory profile). A disabled person
keeps their row, so the audit log still names them, and cannot sign in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Why a person's open sessions ended when they were disabled or their password changed.
SESSIONS_ENDED = "disabled"
PASSWORD_MIN = 12  # characters: a passphrase, not a PIN
PASSWORD_MAX = 1024  # a longer one is refused before it is hashed (hashing costs memory)
_HASHER = PasswordHasher()


@cache
def _nobody() -> str:
    """Checked when the name is unknown, so a wrong name costs the same time as a wrong
    password and the answer's speed does not tell which names exist. Made on first use: a
    hash costs tens of milliseconds, which every command's start would otherwise pay."""
    return _HASHER.hash("not anybody's password, only here to take the time")


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    RECALL_COORDINATOR = "recall-coordinator"
    ADMIN = "admin"


class Permission(StrEnum):
    DECIDE = "decide"  # authorize / deny a return request, record a receipt
    UPLOAD_RECALL = "upload-recall"  # send a recall notice through the console
    REPLAY = "replay"  # run a stored file again
    ADMINISTER = "administer"  # people, tokens, partner connection tests, the audit log


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset(),
    Role.OPERATOR: frozenset({Permission.DECIDE}),
    Role.RECALL_COORDINATOR: frozenset({Permission.UPLOAD_RECALL}),
    Role.ADMIN: frozenset(Permission),
}


def may(role: Role | None, permission: Permission) -> bool:
    return role is not None and permission in _GRANTS[role]


class PeopleError(ValueError):
    """A person who cannot be added or changed as asked; the message is for a person."""


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    role: Role
    created_at: datetime
    password_changed_at: datetime
    disabled_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


class PeopleStore(Protocol):
    def add(self, person: Person, password_hash: str) -> None:
        """Keep a new person; PeopleError when the name is taken."""
        ...

    def find(self, name: str) -> tuple[Person, str] | None:
        """The person and their password hash."""
        ...

    def all(self) -> list[Person]: ...

    def set_password(self, name: str, password_hash: str, at: datetime) -> bool: ...

    def disable(self, name: str, at: datetime) -> bool:
        """False when no active person has that name."""
        ...


def password_problem(password: str) -> str | None:
    """Why ``password`` will not do, or None."""
    if len(password) < PASSWORD_MIN:
        return f"a password needs at least {PASSWORD_MIN} characters"
    if len(password) > PASSWORD_MAX:
        return f"a password has at most {PASSWORD_MAX} characters"
    if not password.isprintable():
        return "a password is printable characters on one line"
    return None


def hash_password(password: str) -> str:
    problem = password_problem(password)
    if problem is not None:
        raise PeopleError(problem)
    return _HASHER.hash(password)


def signs_in(store: PeopleStore, name: str, password: str) -> Person | None:
    """The active person ``name`` when ``password`` is theirs; None otherwise, in about the
    same time whatever was wrong (an unknown name, a disabled person, a wrong password)."""
    found = store.find(name) if 0 < len(name) <= 64 else None
    if len(password) > PASSWORD_MAX:
        return None
    stored = found[1] if found is not None else _nobody()
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if found is None or not found[0].active:
        return None
    return found[0]
