"""What the use cases need from the outside world, as Protocols (the adapters implement them).

The services import these, never SQLAlchemy or the file system: the store (`gateway.store`) and
the archive (`gateway.store.archive`) satisfy them structurally, and tests may use the real ones on
SQLite or PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import BinaryIO, Protocol

from gateway.app.access import ApiClientStore, AuditLog
from gateway.app.cluster import ClusterStore
from gateway.app.delivery import SubscriberState
from gateway.app.events import DocumentParts, EventRecord, StoredEvent
from gateway.app.items import GTIN, LOT, SERIAL, gtin14, item_value
from gateway.app.people import PeopleStore
from gateway.domain.correlation import normalize
from gateway.model.states import FileState


class Sink(Protocol):
    """Where a download writes: a binary file, or the archive's hashing writer."""

    def write(self, data: bytes, /) -> int: ...


class Readable(Protocol):
    """What a copy reads from: a binary file, or a remote file paramiko opened."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class KeptFile:
    """A file's bytes as the archive keeps them: what ingest needs to read them again."""

    sha256: str
    key: str  # the archive key
    size: int


class Archive(Protocol):
    """Every inbound file's bytes, kept by the key ``ab/cd/<sha256>``: in a folder or in the
    store's tables (`gateway.store.archive`, `archive_db`); another backend (an object store)
    implements these four and ``remove(key) -> bool``, which retention uses."""

    def put(self, data: bytes) -> tuple[str, str]:
        """Keep ``data`` durably, content-addressed; return (sha256, archive key)."""
        ...

    def put_stream(self, write: Callable[[Sink], object]) -> KeptFile:
        """Keep what ``write`` writes into the sink it is given, hashed as it arrives and
        never held whole: the way a download lands in the archive. If ``write`` raises,
        nothing is kept and the exception goes on."""
        ...

    def get(self, key: str) -> bytes: ...

    def open(self, key: str) -> BinaryIO:
        """The kept bytes as a seekable binary file (read a chunk at a time); close it."""
        ...


FILE_NUMBER_MAX = 2**63 - 1  # the store's row numbers are 64-bit integers
KEY_VALUE_MAX = 80  # document_keys.value


def file_number_of(reference: str) -> int | None:
    """The file a ``#12`` reference names; None for anything else. Partners' references reach
    here too (a 180's BGN02 is looked up as a case), so a '#' followed by a number too large for
    the store, or by digits ``int`` cannot read ('#²'), is just a reference, never a crash."""
    text = reference.strip()
    digits = text[1:]
    if not (text.startswith("#") and digits.isascii() and digits.isdigit()):
        return None
    number = int(digits) if len(digits) <= 19 else FILE_NUMBER_MAX + 1
    return number if 0 < number <= FILE_NUMBER_MAX else None


@dataclass(frozen=True, slots=True)
class StoredFile:
    id: int
    partner: str
    original_name: str
    sha256: str  # "" for a file refused unread (over limits.file_size): never downloaded
    size: int  # as received, or as listed for a file refused unread
    received_at: datetime
    archive_key: str  # "" for a file refused unread: there are no bytes to show or replay
    state: FileState
    duplicate_of: int | None
    reason: str | None
    lease_until: datetime | None = None  # while "received": a worker is processing it

    @property
    def never_taken(self) -> bool:
        """Refused before its bytes were read (too large): nothing archived, nothing to replay."""
        return not self.archive_key


PartReader = Callable[[int, str], Iterator[str]]  # (document id, stream) -> its parts


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A canonical document as stored: its JSON body and when it arrived. A document kept in
    parts (`gateway.app.parted`) has an empty ``body``: read it with `json_chunks` (or
    `json_text`, whole)."""

    id: int
    file_id: int | None  # None: the gateway wrote it (an operator's decision, a case step)
    partner: str
    kind: str
    reference: str
    body: str
    created_at: datetime
    direction: str = "in"  # in: a partner sent it; out: we sent it; internal: ours alone
    parts: int = 0  # how many parts its JSON is kept in (0: it is ``body``)
    case_digest: str | None = None  # what a case folds instead of a document kept in parts
    read_parts: PartReader | None = field(default=None, compare=False, repr=False)

    def json_chunks(self) -> Iterator[str]:
        """Its canonical JSON, a part at a time."""
        if not self.parts:
            yield self.body
        elif self.read_parts is not None:
            yield from self.read_parts(self.id, "json")

    def json_text(self) -> str:
        """Its canonical JSON whole (a document kept in parts is megabytes: a reader that can
        take it a part at a time uses `json_chunks`)."""
        return "".join(self.json_chunks())

    def item_lines(self) -> Iterator[str]:
        """The item subtrees of a document kept in parts, one JSON text each."""
        if not self.parts or self.read_parts is None:
            return
        carried = ""
        for part in self.read_parts(self.id, "items"):
            lines = (carried + part).split("\n")
            carried = lines.pop()
            yield from (line for line in lines if line)
        if carried:
            yield carried




DOCUMENTS_MATCHING_MAX = 1000  # documents one `documents_matching` call returns at most


@dataclass(frozen=True, slots=True)
class DocumentQuery:
    """Which stored documents `GatewayStore.documents_matching` returns: every filter given
    (not None; for ``kinds``, not empty) must hold. Keys and items are compared as they are
    stored (trimmed, upper case: `gateway.app.items`), a GTIN, UPC or EAN as its GTIN-14. A
    value no document can carry (a blank one, a GTIN that is not 8, 12, 13 or 14 digits, an
    empty ``ids``) matches no document: a search is never silently wider than asked."""

    kinds: tuple[str, ...] = ()  # documents.kind (return-authorization, ...); (): any kind
    direction: str | None = None  # in | out | internal
    partner: str | None = None
    key: str | None = None  # a correlation key value, of any kind (or of key_kind)
    key_kind: str | None = None  # rma, purchase-order, ... (KeyKind); alone: any such key
    gtin: str | None = None  # a GTIN-8/12/13/14, UPC-A or EAN-13
    serial: str | None = None
    lot: str | None = None
    item: str | None = None  # any item id value (any scheme, serials and lots included)
    reference: str | None = None  # documents.reference exactly (BGN02, BSN02, B1001, ...)
    received_from: datetime | None = None  # created_at >= this (timezone-aware)
    received_to: datetime | None = None  # created_at < this (timezone-aware)
    file_id: int | None = None
    ids: tuple[int, ...] | None = None  # documents.id among these

    def __post_init__(self) -> None:
        for moment in (self.received_from, self.received_to):
            if moment is not None and moment.tzinfo is None:
                # The store keeps UTC; a naive moment would be read as this machine's time.
                raise ValueError("received_from / received_to must be timezone-aware")

    def key_value(self) -> str | None:
        """``key`` as `document_keys` stores values; None when no key was asked for."""
        return None if self.key is None else normalize(self.key)[:KEY_VALUE_MAX]

    def item_filters(self) -> tuple[tuple[str | None, str], ...]:
        """(scheme, value) pairs each of which must be among a document's items (scheme
        None: any); a value that cannot be one leaves its pair out (see `matches_nothing`)."""
        wanted = [(GTIN, gtin14(self.gtin) or "") if self.gtin is not None else None,
                  (SERIAL, item_value(self.serial)) if self.serial is not None else None,
                  (LOT, item_value(self.lot)) if self.lot is not None else None,
                  (None, item_value(self.item)) if self.item is not None else None]
        return tuple(pair for pair in wanted if pair is not None and pair[1])

    @property
    def matches_nothing(self) -> bool:
        """True when a filter asks for what no document can carry (class doc)."""
        asked = [v for v in (self.gtin, self.serial, self.lot, self.item) if v is not None]
        return (len(self.item_filters()) < len(asked)
                or (self.key is not None and not self.key_value())
                or self.ids == ())


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


@dataclass(frozen=True, slots=True)
class OutboundRecord:
    """A document the gateway sends on its own account (not an acknowledgement of a file):
    an RMA answer, a status update, a recall notification. ``dedupe_key`` makes it unique for
    its partner for ever, so re-running what queued it never queues it twice."""

    item: OutboxItem
    purpose: str  # rma-answer | status-update | recall-notification | application-advice
    subject: str | None  # the case or notice reference it is about
    dedupe_key: str
    held_because: str | None = None  # invalid against our own maps: kept, never sent
    interchange_control: str | None = None  # our ISA13 / GS06 / ST02s, to match their 997
    group_control: str | None = None
    set_controls: str | None = None  # "180:0001,180:0002"
    ack_due: datetime | None = None  # when their acknowledgement becomes overdue
    expects_ack: bool = False


@dataclass(frozen=True, slots=True)
class AckMatch:
    """What a partner's TA1 / 997 / 999 said about one document we sent."""

    outbox_id: int
    kind: str  # what we sent: 180, 214...
    control_number: str
    subject: str | None
    state: str  # accepted | accepted-with-errors | rejected


@dataclass(frozen=True, slots=True)
class RecallResponseRow:
    notification_id: str
    partner: str
    responded_at: datetime
    status: str
    units_found: str | None
    units_returned: str | None
    note: str | None


# --- rows the faces read (gateway files / show / acks, the console, the demo) --------------
@dataclass(frozen=True, slots=True)
class OutboundRow:
    id: int
    partner: str
    file_id: int | None
    kind: str
    purpose: str
    control_number: str
    subject: str | None
    state: str  # pending | sent | held
    created_at: datetime
    sent_at: datetime | None
    reason: str | None
    ack_state: str | None
    ack_due: datetime | None
    ack_at: datetime | None
    ack_detail: str | None
    alerted_at: datetime | None
    payload: bytes


@dataclass(frozen=True, slots=True)
class RecallRecipient:
    partner: str
    notification_id: str
    notified_at: datetime
    delivered_at: datetime | None
    affected_units: str | None
    affected_items: str  # JSON list
    responded_at: datetime | None
    response_status: str | None
    units_found: str | None
    units_returned: str | None
    response_note: str | None


@dataclass(frozen=True, slots=True)
class PollRecord:
    """The daemon's last poll of a partner."""

    partner: str
    polled_at: datetime
    ok: bool
    error: str | None
    next_poll_at: datetime | None
    node: str | None = None  # the node that polled (gateway.app.cluster)
    # Shared by every node: since when the partner cannot be reached (one outage, one alert,
    # whichever node polls next), and until when nobody polls it (a fault a person must fix)
    unreachable_since: datetime | None = None
    backoff_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class FileSummary:
    file: StoredFile
    errors: int
    unmapped_sets: int = 0  # sets validation accepted that did not become a document


class IngestTransaction(Protocol):
    """One database transaction: everything written in it commits together or not at all."""

    def file_by_sha256(self, partner: str, sha256: str) -> StoredFile | None: ...

    def record_file(self, partner: str, name: str, *, sha256: str, size: int,
                    received_at: datetime, archive_key: str, lease_until: datetime) -> int: ...

    def renew_lease(self, file_id: int, lease_until: datetime) -> None: ...

    def refused_file(self, partner: str, name: str, size: int,
                     modified: float | None) -> StoredFile | None:
        """The file already refused unread from this partner under this name, listed size and
        time, if any (so a copy left in the partner's folder is recorded once)."""
        ...

    def record_refused_file(self, partner: str, name: str, *, size: int,
                            modified: float | None, received_at: datetime,
                            reason: str) -> int:
        """Record a file whose bytes were never taken: rejected with ``reason``, no SHA-256,
        no archive key; ``modified`` is the partner's listed time."""
        ...

    def finish_file(self, file_id: int, state: FileState, *, processed_at: datetime,
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
                set_id: str, control_number: str, outcome: str, *,
                mapped: bool | None = None) -> int:
        """``outcome`` is the X12 verdict; ``mapped`` whether the set became a canonical
        document (None: none was due: rejected, an acknowledgement, a held-back duplicate)."""
        ...

    def add_findings(self, file_id: int, rows: Iterable[FindingRow]) -> None: ...

    def add_document(self, file_id: int | None, partner: str, *, kind: str, reference: str,
                     body: str, keys: Iterable[tuple[str, str]], created_at: datetime,
                     direction: str = "in", items: Iterable[tuple[str, str]] = (),
                     parts: DocumentParts | None = None) -> int: ...

    def add_outbox(self, file_id: int, partner: str, item: OutboxItem,
                   created_at: datetime) -> int: ...

    def outbox_of(self, file_id: int, *, sent_only: bool = False) -> list[OutboxItem]: ...

    def next_control_number(self, partner: str, kind: str) -> int:
        """Durable, monotonic, never reused: consumed in this transaction or not at all."""
        ...

    def clear_results(self, file_id: int) -> None:
        """Drop a file's sets, findings and documents, with their keys and items (a replay
        rewrites them)."""
        ...

    def match_acknowledgement(self, partner: str, *, interchange: str | None,
                              group: str | None, state: str | None, detail: str,
                              file_id: int, at: datetime) -> list[AckMatch]:
        """Mark what we sent this partner under that ISA13 (a TA1) or GS06 (a 997 / 999) as
        answered; the documents it matched (none: it acknowledges nothing we know)."""
        ...

    def queue_outbound(self, file_id: int | None, partner: str, record: OutboundRecord,
                       created_at: datetime) -> int | None:
        """A document of ours (an 824 Application Advice) queued with the file that earned
        it; None when this partner already has one under its dedupe key."""
        ...

    def record_recall_response(self, response: RecallResponseRow, file_id: int) -> str | None:
        """Store an affected partner's answer to our notification; the notice id it answers,
        or None when no notification of ours to this partner has that id."""
        ...

    def add_event(self, event: EventRecord) -> None:
        """Keep ``event`` with this transaction (`gateway.app.events`)."""
        ...


class OutboundTransaction(Protocol):
    """What queuing our own documents needs, inside one database transaction."""

    def next_control_number(self, partner: str, kind: str) -> int: ...

    def outbound_exists(self, partner: str, dedupe_key: str) -> bool: ...

    def queue_outbound(self, file_id: int | None, partner: str, record: OutboundRecord,
                       created_at: datetime) -> int | None:
        """The outbox id; None when this partner already has a document with that key."""
        ...

    def add_document(self, file_id: int | None, partner: str, *, kind: str, reference: str,
                     body: str, keys: Iterable[tuple[str, str]], created_at: datetime,
                     direction: str = "in", items: Iterable[tuple[str, str]] = (),
                     parts: DocumentParts | None = None) -> int: ...

    def add_recall_recipient(self, notice_id: str, partner: str, *, notification_id: str,
                             outbox_id: int | None, affected_units: str,
                             affected_items: str, notified_at: datetime) -> None: ...

    def add_event(self, event: EventRecord) -> None: ...

    def event_recorded(self, dedupe_key: str) -> bool:
        """Whether an event with this dedupe key is in the feed (or added in this one)."""
        ...

    def events_recorded(self, dedupe_keys: Iterable[str]) -> set[str]:
        """Those of ``dedupe_keys`` in the feed (or added in this one), asked at once."""
        ...


class OutboundStore(Protocol):
    def transaction(self) -> AbstractContextManager[OutboundTransaction]: ...

    def related_documents(self, reference: str) -> list[StoredDocument]: ...

    def documents_of_kind(self, kind: str) -> list[StoredDocument]: ...

    def documents_to_fold(self, reference: str) -> tuple[list[StoredDocument],
                                                          list[StoredDocument]]:
        """What a case fold reads, in one transaction: the documents related to ``reference``
        (`related_documents`) and, when there are any, every recall notice."""
        ...

    def documents_of_file(self, file_id: int) -> list[StoredDocument]: ...

    def documents_carrying(self, kinds: Iterable[str], partners: Iterable[str],
                           values: Iterable[str]) -> list[StoredDocument]:
        """Received documents (direction ``in``) of ``kinds`` from ``partners`` that carry an
        item of any of ``values`` (as `document_items` stores them, any scheme), by id: read
        from the item index, so the cost follows the matches, not the store's size."""
        ...

    def recall_recipient_partners(self, notice_id: str) -> set[str]: ...


class IngestStore(Protocol):
    def transaction(self) -> AbstractContextManager[IngestTransaction]: ...

    def documents_of_kind(self, kind: str) -> list[StoredDocument]:
        """Every stored document of ``kind`` (ingest reads who issued each recall notice)."""
        ...



class DocumentReader(Protocol):
    def related_documents(self, reference: str) -> list[StoredDocument]:
        """Documents reachable from ``reference`` through shared keys, in arrival order."""
        ...

    def documents_of_kind(self, kind: str) -> list[StoredDocument]: ...

    def documents_to_fold(self, reference: str) -> tuple[list[StoredDocument],
                                                          list[StoredDocument]]:
        """What a case fold reads, in one transaction: the documents related to ``reference``
        (`related_documents`) and, when there are any, every recall notice."""
        ...


class StoreTransaction(IngestTransaction, OutboundTransaction, Protocol):
    """One open transaction of the store: what ingest and the outbound use cases write."""


class GatewayStore(ClusterStore, Protocol):
    """The store as the use cases and the faces (CLI, console, demo) see it: transactions and
    the queries they read. `gateway.store.repository.SqlStore` is the adapter; a face never
    imports it (import-linter), it is handed one by `gateway.bootstrap.open_store`."""

    def transaction(self) -> AbstractContextManager[StoreTransaction]: ...

    def close(self) -> None:
        """Let go of the database connections."""
        ...

    def console_sessions(self) -> ConsoleSessionStore:
        """The console's sign-ins (logout and expiry are server-side)."""
        ...

    def api_clients(self) -> ApiClientStore:
        """The JSON API's named clients (`gateway tokens`)."""
        ...

    def audit_log(self) -> AuditLog:
        """Every write through the API, the console and the token commands (append-only)."""
        ...

    def people(self) -> PeopleStore:
        """The people who sign in to the console (`gateway users`)."""
        ...

    def record_poll(self, record: PollRecord) -> None:
        """Keep the daemon's latest poll of ``record.partner`` (one row a partner)."""
        ...

    def poll_records(self) -> dict[str, PollRecord]: ...

    def partners_seen(self) -> set[str]:
        """Every partner a file was ever received from."""
        ...

    def events_after(self, cursor: int, *, types: Iterable[str] = (),
                     partners: Iterable[str] = (), limit: int = 100) -> list[StoredEvent]:
        """The event feed: at most ``limit`` events after ``cursor``, oldest first."""
        ...

    def each_event(self, *, since: datetime | None = None, types: Iterable[str] = (),
                   partners: Iterable[str] = ()) -> Iterator[StoredEvent]:
        """Every matching event, oldest first, streamed (exports)."""
        ...

    def last_event_cursor(self) -> int:
        """The cursor of the newest event committed (0: none yet)."""
        ...

    def count_events_after(self, cursor: int, *, types: Iterable[str] = (),
                           partners: Iterable[str] = ()) -> int:
        """How many matching events come after ``cursor`` (a subscriber's lag)."""
        ...

    def each_document(self, *, since: datetime | None = None,
                      partner: str | None = None) -> Iterator[StoredDocument]:
        """Every matching document, oldest first, streamed (exports)."""
        ...

    # --- subscribers of the feed (gateway.app.delivery's DeliveryStore, and the commands)
    def subscriber_state(self, name: str) -> SubscriberState: ...

    def record_delivered(self, name: str, cursor: int, at: datetime) -> None: ...

    def record_failure(self, name: str, error: str, retry_at: datetime) -> int: ...

    def dead_letter(self, name: str, event: StoredEvent, attempts: int, error: str,
                    at: datetime) -> None: ...

    def rewind_subscriber(self, name: str, cursor: int) -> None:
        """Deliver again from ``cursor`` on (its dead letters from there too)."""
        ...

    def dead_letters_of(self, name: str) -> list[tuple[int, str, int, str]]:
        """(cursor, event id, attempts, last error) of each event it would not take."""
        ...

    def recent_files(self, *, partner: str | None = None, state: str | None = None,
                     since: datetime | None = None, limit: int = 50,
                     unmapped: bool = False, before: int | None = None) -> list[FileSummary]:
        """Newest first; ``unmapped``: only files with a set validation accepted that did
        not map (whatever their state: a partially accepted file may have one too);
        ``before``: only files numbered below it (the next page)."""
        ...

    def unmapped_sets_of(self, file_id: int) -> list[tuple[str, str, str, str]]:
        """The sets of a file that validation accepted but did not map:
        (ISA13, GS06, ST01, ST02) each."""
        ...

    def findings_of(self, file_id: int) -> list[FindingRow]: ...

    def mark_sent(self, outbox_id: int, sent_at: datetime) -> None:
        """The transport calls this once a partner has the file. An acknowledgement SLA runs
        from now: the due time queued as (queued + SLA) moves to (sent + SLA)."""
        ...

    def outbound(self, *, partner: str | None = None, subjects: Iterable[str] = (),
                 overdue_at: datetime | None = None, held: bool = False,
                 purposes: Iterable[str] = (), limit: int = 200,
                 before: int | None = None) -> list[OutboundRow]:
        """What we sent or owe, newest first: by partner, by the cases / notices it is about,
        only what is overdue at ``overdue_at``, or only what is held; ``before``: only rows
        numbered below it (the next page)."""
        ...

    def count_outbound(self, *, overdue_at: datetime | None = None, held: bool = False,
                       pending: bool = False) -> dict[str, int]:
        """How many outbox items each partner has overdue at ``overdue_at``, held, or still
        to send: counted by the database, for a metrics scrape."""
        ...

    def mark_alerted(self, outbox_ids: Iterable[int], at: datetime) -> None: ...

    def recall_recipients_of(self, notice_id: str) -> list[RecallRecipient]: ...

    def recall_recipient_partners(self, notice_id: str) -> set[str]: ...

    def related_documents(self, reference: str, *, rounds: int = 4,
                          limit: int = 500) -> list[StoredDocument]:
        """Documents reachable from ``reference`` (a key value, a document reference, ``#12``
        for a file, or an ISA13) through shared correlation keys, in arrival order."""
        ...

    def documents_to_fold(self, reference: str) -> tuple[list[StoredDocument],
                                                          list[StoredDocument]]:
        """What a case fold reads, in one transaction: the documents related to ``reference``
        (`related_documents`) and, when there are any, every recall notice."""
        ...

    def outcomes_of(self, file_id: int) -> list[tuple[str, str, list[tuple[str, ...]]]]:
        """Each interchange of a file (ISA13, outcome) with its sets
        (GS01, GS06, group outcome, ST01, ST02, set outcome)."""
        ...

    def files_with_interchange(self, control_number: str) -> list[int]: ...

    def documents_of_file(self, file_id: int) -> list[StoredDocument]: ...

    def files_to_replay(self, states: Iterable[str], since: datetime | None,
                        until: datetime | None, *, partner: str | None = None,
                        unmapped: bool = False) -> list[StoredFile]:
        """Files in ``states`` (and, with ``unmapped``, every file with an unmapped set,
        whatever its state) received in [since, until), oldest first. A file refused unread
        is never among them: there are no bytes to replay."""
        ...

    def archive_keys_older_than(self, cutoff: datetime) -> list[str]:
        """Archive keys only finished files received before ``cutoff`` use: the bytes a
        retention purge may delete (content-addressed, so a newer file may share them)."""
        ...

    def documents_since(self, since: datetime) -> list[StoredDocument]: ...

    def documents_of_kind(self, kind: str) -> list[StoredDocument]: ...

    def documents_carrying(self, kinds: Iterable[str], partners: Iterable[str],
                           values: Iterable[str]) -> list[StoredDocument]: ...

    def documents_matching(self, query: DocumentQuery, *, after: int = 0,
                           limit: int = 100) -> list[StoredDocument]:
        """The documents ``query`` picks with an id above ``after``, by id ascending, at most
        ``limit`` (never more than DOCUMENTS_MATCHING_MAX): a client pages with the last id."""
        ...

    def files_by_id(self, ids: Iterable[int]) -> dict[int, StoredFile]: ...

    def outbox_of_files(self, ids: Iterable[int]) -> list[tuple[int, OutboxItem, str]]: ...

    def pending_outbox(self, partner: str | None = None) -> list[tuple[int, str, OutboxItem]]: ...

    def partners_owed(self) -> list[str]:
        """The partners the outbox owes something (pending rows), sorted."""
        ...

    def claim_outbox(self, partner: str, claimer: str, *,
                     lease: timedelta) -> list[tuple[int, str, OutboxItem]]:
        """A batch of what is owed to ``partner`` that no other sender holds, claimed for
        ``claimer`` for ``lease`` (gateway.app.poll.publish_pending)."""
        ...

    def release_outbox(self, claimer: str, ids: list[int]) -> None: ...

    def record_alert(self, alert_id: str, kind: str, partner: str, *, at: datetime,
                     node: str | None) -> bool:
        """Remember an alert raised; False when it was raised before (by any node)."""
        ...

    def poll_record(self, partner: str) -> PollRecord | None:
        """The partner's last poll, by whichever node."""
        ...

    def follow_ups_serialized(self) -> AbstractContextManager[None]:
        """Held while follow-ups are decided: one node at a time."""
        ...

    def forget_nodes(self, before: datetime) -> int:
        """Drop the rows of nodes not heard from since ``before`` that hold nothing."""
        ...


@dataclass(frozen=True, slots=True)
class SkippedEntry:
    """Something in the inbound folder that matched the patterns but was not taken, and why."""

    name: str
    why: str


@dataclass(frozen=True, slots=True)
class RemoteFile:
    name: str
    size: int
    modified: float  # seconds since the epoch, as the server reports it


class FileTooLarge(Exception):
    """Raised by `PartnerChannel.fetch` when more than ``max_bytes`` arrive: the download
    stopped there and nothing of it is kept. Not a `TransportError`: retrying cannot help."""

    def __init__(self, name: str, max_bytes: int) -> None:
        super().__init__(f"{name}: more than {max_bytes} bytes")
        self.name, self.max_bytes = name, max_bytes


COPY_CHUNK_BYTES = 1 << 20  # what one read of a copy asks for


def copy_within(source: Readable, target: Sink, name: str, max_bytes: int | None) -> int:
    """Copy ``source`` to its end into ``target``, a chunk at a time; how many bytes.
    `FileTooLarge` as soon as more than ``max_bytes`` arrived (the rest is never read: a file
    that grows while it is read costs at most the limit)."""
    cap = None if max_bytes is None else max_bytes + 1  # one byte past tells growth
    copied = 0
    while cap is None or copied < cap:
        chunk = source.read(COPY_CHUNK_BYTES if cap is None
                            else min(COPY_CHUNK_BYTES, cap - copied))
        if not chunk:
            break
        target.write(chunk)
        copied += len(chunk)
    if max_bytes is not None and copied > max_bytes:
        raise FileTooLarge(name, max_bytes)
    return copied


class PartnerChannel(Protocol):
    """A connection to one partner's folders (SFTP or local). Used as a context manager: the
    connection opens on enter and always closes on exit. Every failure is a `TransportError`."""

    def __enter__(self) -> PartnerChannel: ...

    def __exit__(self, *exc: object) -> None: ...

    def list_inbound(self) -> list[RemoteFile]:
        """Files in the inbound folder that match the partner's patterns (no folders)."""
        ...

    def fetch(self, name: str, *, max_bytes: int | None = None) -> bytes:
        """The whole file, read through a temporary local copy and checked against its size;
        `FileTooLarge` as soon as more than ``max_bytes`` arrive (never read whole)."""
        ...

    def fetch_into(self, name: str, target: Sink, *, max_bytes: int | None = None) -> int:
        """Write the file into ``target`` a chunk at a time (never whole in memory), checked
        against its size; how many bytes. `FileTooLarge` as `fetch`."""
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


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """One sign-in to the console as the store keeps it (its secret id is not kept)."""

    role: str  # viewer | operator | recall-coordinator | admin (gateway.app.people.Role)
    created_at: datetime
    last_seen: datetime  # recorded at most once a minute
    ended_at: datetime | None = None
    ended_because: str | None = None  # signed-out | signed-out-all | idle | lifetime | disabled
    person: str | None = None  # who signed in; None: a script's bearer token


class ConsoleSessionStore(Protocol):
    """Console sign-ins kept on the server: a browser's cookie only names one, so signing out
    (or an administrator signing everyone out) holds whatever copy of the cookie is left."""

    def start(self, session_id: str, role: str, at: datetime,
              person: str | None = None) -> None: ...

    def find(self, session_id: str) -> ConsoleSession | None: ...

    def end_of(self, person: str, at: datetime, because: str) -> int:
        """End every open session of ``person`` (disabled, or their password changed)."""
        ...

    def touch(self, session_id: str, at: datetime) -> None: ...

    def end(self, session_id: str, at: datetime, because: str) -> None:
        """End one session, unless it has ended already (the first reason is kept)."""
        ...

    def end_all(self, at: datetime, because: str) -> int:
        """End every session still open; how many were."""
        ...

    def forget_started_before(self, cutoff: datetime) -> int:
        """Drop sessions started before ``cutoff`` (past any lifetime); how many."""
        ...
