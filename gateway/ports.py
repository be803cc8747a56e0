"""What the use cases need from the outside world, as Protocols (the adapters implement them).

The services import these, never SQLAlchemy or the file system: the store (`gateway.store`) and
the archive (`gateway.archive`) satisfy them structurally, and tests may use the real ones on
SQLite or PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class Archive(Protocol):
    def put(self, data: bytes) -> tuple[str, str]:
        """Keep ``data`` durably, content-addressed; return (sha256, archive key)."""
        ...

    def get(self, key: str) -> bytes: ...


@dataclass(frozen=True, slots=True)
class StoredFile:
    id: int
    partner: str
    original_name: str
    sha256: str
    size: int
    received_at: datetime
    archive_key: str
    state: str
    duplicate_of: int | None
    reason: str | None
    lease_until: datetime | None = None  # while "received": a worker is processing it


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A canonical document as stored: its JSON body and when it arrived."""

    id: int
    file_id: int
    partner: str
    kind: str
    reference: str
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FindingRow:
    code: str
    severity: str
    message: str
    x12: str | None = None
    interchange_control: str | None = None
    group_control: str | None = None
    set_control: str | None = None
    line: int | None = None
    segment_position: int | None = None
    segment_tag: str | None = None
    element_position: int | None = None
    element_number: str | None = None
    found: str | None = None
    expected: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    kind: str  # TA1, 997, 999, TA1+997, recall-ack
    control_number: str
    answers: str | None  # the partner's ISA13 or notice id
    payload: bytes


class IngestTransaction(Protocol):
    """One database transaction: everything written in it commits together or not at all."""

    def file_by_sha256(self, partner: str, sha256: str) -> StoredFile | None: ...

    def record_file(self, partner: str, name: str, *, sha256: str, size: int,
                    received_at: datetime, archive_key: str, lease_until: datetime) -> int: ...

    def renew_lease(self, file_id: int, lease_until: datetime) -> None: ...

    def finish_file(self, file_id: int, state: str, *, processed_at: datetime,
                    reason: str | None = None, duplicate_of: int | None = None) -> None: ...

    def interchange_seen(self, partner: str, sender_id: str, control_number: str,
                         since: datetime) -> int | None:
        """The file id that already carried this interchange since ``since``, if any."""
        ...

    def group_seen(self, partner: str, group_control: str, since: datetime) -> int | None: ...

    def set_seen(self, partner: str, set_id: str, control_number: str,
                 since: datetime) -> int | None: ...

    def add_interchange(self, file_id: int, partner: str, *, ordinal: int, sender: tuple[str, str],
                        receiver_id: str, control_number: str, version: str, outcome: str,
                        received_at: datetime) -> int: ...

    def add_set(self, interchange_id: int, group: tuple[str, str, str, str],
                set_id: str, control_number: str, outcome: str) -> int: ...

    def add_findings(self, file_id: int, rows: Iterable[FindingRow]) -> None: ...

    def add_document(self, file_id: int, partner: str, *, kind: str, reference: str, body: str,
                     keys: Iterable[tuple[str, str]], created_at: datetime) -> int: ...

    def add_outbox(self, file_id: int, partner: str, item: OutboxItem,
                   created_at: datetime) -> int: ...

    def outbox_of(self, file_id: int, *, sent_only: bool = False) -> list[OutboxItem]: ...

    def next_control_number(self, partner: str, kind: str) -> int:
        """Durable, monotonic, never reused: consumed in this transaction or not at all."""
        ...

    def clear_results(self, file_id: int) -> None:
        """Drop a file's sets, findings and documents (a replay rewrites them)."""
        ...


class IngestStore(Protocol):
    def transaction(self) -> AbstractContextManager[IngestTransaction]: ...



class DocumentReader(Protocol):
    def related_documents(self, reference: str) -> list[StoredDocument]:
        """Documents reachable from ``reference`` through shared keys, in arrival order."""
        ...

    def documents_of_kind(self, kind: str) -> list[StoredDocument]: ...


@dataclass(frozen=True, slots=True)
class RemoteFile:
    name: str
    size: int
    modified: float  # seconds since the epoch, as the server reports it


class PartnerChannel(Protocol):
    """A connection to one partner's folders (SFTP or local). Used as a context manager: the
    connection opens on enter and always closes on exit. Every failure is a `TransportError`."""

    def __enter__(self) -> PartnerChannel: ...

    def __exit__(self, *exc: object) -> None: ...

    def list_inbound(self) -> list[RemoteFile]:
        """Files in the inbound folder that match the partner's patterns (no folders)."""
        ...

    def fetch(self, name: str) -> bytes:
        """The whole file, read through a temporary local copy and checked against its size."""
        ...

    def after_pickup(self, name: str) -> None:
        """Delete the inbound file, or move it, as the partner file says. Called only after
        the store has committed the file."""
        ...

    def publish(self, name: str, data: bytes) -> None:
        """Write ``name`` into the outbound folder atomically: a temporary name, then a rename
        that replaces any earlier file of that name (so a re-send never doubles a file)."""
        ...

    def remove_outbound(self, name: str) -> None:
        """Remove a file we published (the connection test's probe)."""
        ...
