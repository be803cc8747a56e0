"""The store adapter: `SqlStore` implements the ports the use cases need, plus the queries
the commands show. One `transaction()` is one database transaction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from gateway.app.access import ApiClientStore, AuditLog
from gateway.app.cluster import NodeRecord
from gateway.app.delivery import SubscriberState
from gateway.app.events import DocumentParts, EventRecord, StoredEvent
from gateway.app.items import VALUE_MAX
from gateway.app.people import PeopleStore
from gateway.app.ports import (
    DOCUMENTS_MATCHING_MAX,
    AckMatch,
    ConsoleSessionStore,
    DocumentQuery,
    FileSummary,
    FindingRow,
    OutboundRecord,
    OutboundRow,
    OutboxItem,
    PartReader,
    PollRecord,
    RecallRecipient,
    RecallResponseRow,
    StoredDocument,
    StoredFile,
    file_number_of,
)
from gateway.model.states import FileState
from gateway.store import cluster, deliveries, event_log, prepared
from gateway.store.access import SqlApiClients, SqlAuditLog, SqlPeople
from gateway.store.columns import advance_counter, aware, aware_or_none, utc, utc_or_none
from gateway.store.engine import reading
from gateway.store.schema import (
    control_counters,
    document_items,
    document_keys,
    document_parts,
    documents,
    findings,
    interchanges,
    outbox,
    partner_polls,
    recall_recipients,
    received_files,
    transaction_sets,
)
from gateway.store.sessions import SqlConsoleSessions

_PAGE = 1000  # rows an export reads per short transaction
_ITEM_BATCH = 5000  # item identifier rows inserted at a time
_VALUES_PER_LOOKUP = 500  # item values asked for in one statement (`documents_carrying`)
_RELATED_ROUNDS, _RELATED_LIMIT = 4, 500  # how far `related_documents` looks by default
PART_CHARS = 1 << 20  # characters of a document part
# The advisory lock nodes take to decide follow-ups one at a time (any fixed 64-bit number;
# this one spells "RGWFOLLO" in ASCII, so it is recognisable in pg_locks)
FOLLOW_UPS_LOCK = 0x524757464F4C4C4F


class SqlStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # The same pool for what only reads: on SQLite its transactions begin deferred, so a
        # case fold, a console page or a poll's lookups take no write lock and never queue
        # behind (or hold up) another process's ingest (`gateway.store.engine.reading`).
        self.reader = reading(engine)

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        with self.engine.begin() as connection:
            tx = SqlTransaction(connection)
            yield tx
            tx.events.flush(connection)  # the last write: see gateway.store.event_log

    # --- the event feed (gateway.app.events) --------------------------------------------------
    def events_after(self, cursor: int, *, types: Iterable[str] = (),
                     partners: Iterable[str] = (), limit: int = 100) -> list[StoredEvent]:
        return event_log.events_after(self.engine, cursor, types=types, partners=partners,
                                      limit=limit)

    def each_event(self, *, since: datetime | None = None, types: Iterable[str] = (),
                   partners: Iterable[str] = ()) -> Iterator[StoredEvent]:
        return event_log.each_event(self.engine, since=since, types=types, partners=partners)

    def last_event_cursor(self) -> int:
        return event_log.last_cursor(self.engine)

    def count_events_after(self, cursor: int, *, types: Iterable[str] = (),
                           partners: Iterable[str] = ()) -> int:
        return event_log.count_after(self.engine, cursor, types=types, partners=partners)

    # --- subscribers of the feed (gateway.app.delivery) ----------------------------------
    def subscriber_state(self, name: str) -> SubscriberState:
        return deliveries.state_of(self.engine, name)

    def record_delivered(self, name: str, cursor: int, at: datetime) -> None:
        deliveries.delivered(self.engine, name, cursor, at)

    def record_failure(self, name: str, error: str, retry_at: datetime) -> int:
        return deliveries.failed(self.engine, name, error, retry_at)

    def dead_letter(self, name: str, event: StoredEvent, attempts: int, error: str,
                    at: datetime) -> None:
        deliveries.dead_letter(self.engine, name, event, attempts=attempts, error=error, at=at)

    def rewind_subscriber(self, name: str, cursor: int) -> None:
        deliveries.rewind(self.engine, name, cursor)

    def dead_letters_of(self, name: str) -> list[tuple[int, str, int, str]]:
        return deliveries.dead_letters_of(self.engine, name)

    def close(self) -> None:
        """Let go of the database connections (the demo does, before it wipes its folder)."""
        self.engine.dispose()

    def console_sessions(self) -> ConsoleSessionStore:
        """The console's sign-ins (logout and expiry are server-side)."""
        return SqlConsoleSessions(self.engine)

    def api_clients(self) -> ApiClientStore:
        """The JSON API's named clients (`gateway tokens`)."""
        return SqlApiClients(self.engine)

    def audit_log(self) -> AuditLog:
        """Every write through the API, the console and the token commands."""
        return SqlAuditLog(self.engine)

    def people(self) -> PeopleStore:
        """The people who sign in to the console (`gateway users`)."""
        return SqlPeople(self.engine)

    # --- several nodes (gateway.app.cluster) ------------------------------------------------
    def database_now(self) -> datetime:
        return cluster.database_now(self.engine)

    def register_node(self, node: NodeRecord) -> None:
        cluster.register_node(self.engine, node)

    def node_heartbeat(self, node_id: str, now: datetime, until: datetime) -> set[str]:
        return cluster.beat(self.engine, node_id, now, until)

    def stop_node(self, node_id: str, at: datetime) -> None:
        cluster.stop_node(self.engine, node_id, at)

    def live_node_count(self, heard_since: datetime) -> int:
        return cluster.live_node_count(self.engine, heard_since)

    def claim_partner(self, partner: str, node_id: str, now: datetime,
                      until: datetime) -> bool:
        return cluster.claim_partner(self.engine, partner, node_id, now, until)

    def release_partner(self, partner: str, node_id: str) -> None:
        cluster.release_partner(self.engine, partner, node_id)

    def nodes(self) -> list[NodeRecord]:
        return cluster.node_rows(self.engine)

    def forget_nodes(self, before: datetime) -> int:
        return cluster.forget_nodes(self.engine, before)

    def claim_outbox(self, partner: str, claimer: str, *,
                     lease: timedelta) -> list[tuple[int, str, OutboxItem]]:
        now = self.database_now()
        return cluster.claim_outbox(self.engine, partner, claimer, now, now + lease)

    def release_outbox(self, claimer: str, ids: list[int]) -> None:
        cluster.release_outbox(self.engine, claimer, ids)

    def record_alert(self, alert_id: str, kind: str, partner: str, *, at: datetime,
                     node: str | None) -> bool:
        return cluster.record_alert(self.engine, {
            "id": alert_id, "kind": kind, "partner": partner, "raised_at": utc(at),
            "node": node})

    def record_poll(self, record: PollRecord) -> None:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        values = {"polled_at": utc(record.polled_at), "ok": record.ok,
                  "error": record.error,
                  "next_poll_at": utc_or_none(record.next_poll_at),
                  "node": record.node, "unreachable_since": utc_or_none(
                      record.unreachable_since),
                  "backoff_until": utc_or_none(record.backoff_until)}
        statement = dialect.insert(partner_polls).values(partner=record.partner, **values)
        with self.engine.begin() as connection:
            connection.execute(statement.on_conflict_do_update(
                index_elements=["partner"], set_=values))

    def poll_record(self, partner: str) -> PollRecord | None:
        with self.reader.connect() as connection:
            row = connection.execute(select(partner_polls).where(
                partner_polls.c.partner == partner)).first()
        return _poll_record(row) if row is not None else None

    @contextmanager
    def follow_ups_serialized(self) -> Iterator[None]:
        """One node at a time decides follow-ups (cases, RMA answers, status updates): on
        PostgreSQL a session advisory lock held while they run; SQLite has one writer and,
        in practice, one node."""
        if self.engine.dialect.name != "postgresql":
            yield
            return
        with self.engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": FOLLOW_UPS_LOCK})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                   {"key": FOLLOW_UPS_LOCK})
                connection.commit()

    def poll_records(self) -> dict[str, PollRecord]:
        with self.reader.connect() as connection:
            return {row.partner: _poll_record(row)
                    for row in connection.execute(select(partner_polls))}

    def partners_seen(self) -> set[str]:
        """Every partner a file was ever received from."""
        with self.reader.connect() as connection:
            return {row.partner for row in connection.execute(
                select(received_files.c.partner).distinct())}

    # --- queries for the commands ----------------------------------------------------------
    def recent_files(self, *, partner: str | None = None, state: str | None = None,
                     since: datetime | None = None, limit: int = 50,
                     unmapped: bool = False, before: int | None = None) -> list[FileSummary]:
        """Newest first; ``unmapped``: only files with a set validation accepted that did
        not map (whatever their state: a partially accepted file may have one too)."""
        errors = (select(findings.c.file_id, func.count().label("errors"))
                  .where(findings.c.severity == "error").group_by(findings.c.file_id)
                  .subquery())
        not_mapped = _unmapped_counts().subquery()
        query = (select(received_files, func.coalesce(errors.c.errors, 0).label("errors"),
                        func.coalesce(not_mapped.c.sets, 0).label("unmapped_sets"))
                 .outerjoin(errors, errors.c.file_id == received_files.c.id)
                 .outerjoin(not_mapped, not_mapped.c.file_id == received_files.c.id)
                 .order_by(received_files.c.id.desc()).limit(limit))
        conditions = [c for c in (
            received_files.c.partner == partner if partner else None,
            received_files.c.state == state if state else None,
            received_files.c.received_at >= utc(since) if since else None,
            not_mapped.c.sets > 0 if unmapped else None,
            received_files.c.id < before if before is not None else None) if c is not None]
        if conditions:
            query = query.where(and_(*conditions))
        with self.reader.connect() as connection:
            return [FileSummary(_stored_file(row), row.errors, row.unmapped_sets)
                    for row in connection.execute(query)]

    def unmapped_sets_of(self, file_id: int) -> list[tuple[str, str, str, str]]:
        """The sets of a file that validation accepted but did not map:
        (ISA13, GS06, ST01, ST02) each."""
        query = (select(interchanges.c.control_number, transaction_sets.c.group_control,
                        transaction_sets.c.set_id, transaction_sets.c.control_number)
                 .join(interchanges, interchanges.c.id == transaction_sets.c.interchange_id)
                 .where(interchanges.c.file_id == file_id,
                        transaction_sets.c.mapped.is_(False))
                 .order_by(transaction_sets.c.id))
        with self.reader.connect() as connection:
            return [(str(a), str(b), str(c), str(d)) for a, b, c, d in connection.execute(query)]

    def findings_of(self, file_id: int) -> list[FindingRow]:
        query = select(findings).where(findings.c.file_id == file_id).order_by(findings.c.id)
        with self.reader.connect() as connection:
            return [FindingRow(**{k: v for k, v in row._mapping.items()
                                  if k not in ("id", "file_id")})
                    for row in connection.execute(query)]

    def mark_sent(self, outbox_id: int, sent_at: datetime) -> None:
        """The transport calls this once a partner has the file. An acknowledgement SLA runs
        from now: the due time queued as (queued + SLA) moves to (sent + SLA). The claim is
        over (gateway.store.cluster.claim_outbox)."""
        with self.engine.begin() as connection:
            row = connection.execute(select(outbox.c.created_at, outbox.c.ack_due)
                                     .where(outbox.c.id == outbox_id)).first()
            values: dict[str, Any] = {"state": "sent", "sent_at": utc(sent_at),
                                      "claimed_by": None, "claimed_until": None}
            if row is not None and row.ack_due is not None:
                values["ack_due"] = utc(sent_at) + (aware(row.ack_due)
                                                     - aware(row.created_at))
            connection.execute(update(outbox).where(outbox.c.id == outbox_id).values(**values))

    def outbound(self, *, partner: str | None = None, subjects: Iterable[str] = (),
                 overdue_at: datetime | None = None, held: bool = False,
                 purposes: Iterable[str] = (), limit: int = 200,
                 before: int | None = None) -> list[OutboundRow]:
        """What we sent or owe, newest first: by partner, by the cases / notices it is about,
        only what is overdue at ``overdue_at``, or only what is held; ``before``: only rows
        numbered below it (the next page)."""
        conditions = _outbound_conditions(partner=partner, subjects=subjects,
                                          overdue_at=overdue_at, held=held, purposes=purposes)
        if before is not None:
            conditions.append(outbox.c.id < before)
        query = select(outbox).where(*conditions).order_by(outbox.c.id.desc()).limit(limit)
        with self.reader.connect() as connection:
            return [_outbound_row(row) for row in connection.execute(query)]

    def count_outbound(self, *, overdue_at: datetime | None = None, held: bool = False,
                       pending: bool = False) -> dict[str, int]:
        """How many outbox items each partner has overdue at ``overdue_at``, held, or still
        to send: counted by the database, for a metrics scrape."""
        query = (select(outbox.c.partner, func.count().label("n"))
                 .where(*_outbound_conditions(overdue_at=overdue_at, held=held,
                                              pending=pending))
                 .group_by(outbox.c.partner))
        with self.reader.connect() as connection:
            return {row.partner: int(row.n) for row in connection.execute(query)}

    def mark_alerted(self, outbox_ids: Iterable[int], at: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(outbox).where(outbox.c.id.in_(list(outbox_ids)))
                               .values(alerted_at=utc(at)))

    def recall_recipients_of(self, notice_id: str) -> list[RecallRecipient]:
        query = (select(recall_recipients, outbox.c.state.label("outbox_state"),
                        outbox.c.sent_at)
                 .outerjoin(outbox, outbox.c.id == recall_recipients.c.outbox_id)
                 .where(recall_recipients.c.notice_id == notice_id)
                 .order_by(recall_recipients.c.partner))
        with self.reader.connect() as connection:
            return [RecallRecipient(
                row.partner, row.notification_id, aware(row.notified_at),
                aware(row.sent_at) if row.sent_at else None, row.affected_units,
                row.affected_items or "[]",
                aware(row.responded_at) if row.responded_at else None,
                row.response_status, row.units_found, row.units_returned, row.response_note)
                for row in connection.execute(query)]

    def recall_recipient_partners(self, notice_id: str) -> set[str]:
        with self.reader.connect() as connection:
            return {row.partner for row in connection.execute(
                select(recall_recipients.c.partner)
                .where(recall_recipients.c.notice_id == notice_id))}

    def documents_carrying(self, kinds: Iterable[str], partners: Iterable[str],
                           values: Iterable[str]) -> list[StoredDocument]:
        kinds, partners = sorted(set(kinds)), sorted(set(partners))
        wanted = sorted({value[:VALUE_MAX] for value in values if value})
        if not (kinds and partners and wanted):
            return []
        found: dict[int, StoredDocument] = {}
        with self.reader.connect() as connection:
            # A batch at a time: a notice may name thousands of products, more values than a
            # statement should bind.
            for start in range(0, len(wanted), _VALUES_PER_LOOKUP):
                carrying = select(document_items.c.document_id).where(
                    document_items.c.value.in_(wanted[start:start + _VALUES_PER_LOOKUP]))
                query = select(documents).where(
                    documents.c.id.in_(carrying), documents.c.kind.in_(kinds),
                    documents.c.partner.in_(partners), documents.c.direction == "in")
                for row in connection.execute(query):
                    found.setdefault(row.id, _stored_document(row, connection.engine))
        return [found[key] for key in sorted(found)]

    def related_documents(self, reference: str, *, rounds: int = _RELATED_ROUNDS,
                          limit: int = _RELATED_LIMIT) -> list[StoredDocument]:
        """Documents reachable from ``reference`` (a key value, a document reference, ``#12``
        for a file, or an ISA13) through shared correlation keys, in arrival order."""
        with self.reader.connect() as connection:
            return self._related(connection, reference, rounds, limit)

    def documents_to_fold(self, reference: str) -> tuple[list[StoredDocument],
                                                          list[StoredDocument]]:
        with self.reader.connect() as connection:
            related = self._related(connection, reference, _RELATED_ROUNDS, _RELATED_LIMIT)
            notices = _prepared_documents(connection, prepared.DOCUMENTS_OF_KIND,
                                          {"kind": "recall-notice"}) if related else []
        return related, notices

    def _related(self, connection: Connection, reference: str, rounds: int,
                 limit: int) -> list[StoredDocument]:
        found = {d.id: d for d in self._seed_documents(connection, reference)}
        for _ in range(rounds):
            new = [d for d in _documents_sharing_keys(connection, found) if d.id not in found]
            if not new or len(found) >= limit:
                break
            found.update((d.id, d) for d in new[:limit - len(found)])
        return sorted(found.values(), key=lambda d: (d.created_at, d.id))

    def outcomes_of(self, file_id: int) -> list[tuple[str, str, list[tuple[str, ...]]]]:
        """Each interchange of a file (ISA13, outcome) with its sets
        (GS01, GS06, group outcome, ST01, ST02, set outcome)."""
        found: list[tuple[str, str, list[tuple[str, ...]]]] = []
        with self.reader.connect() as connection:
            for ic in connection.execute(select(interchanges).where(
                    interchanges.c.file_id == file_id).order_by(interchanges.c.ordinal)):
                sets = connection.execute(select(transaction_sets).where(
                    transaction_sets.c.interchange_id == ic.id).order_by(transaction_sets.c.id))
                rows: list[tuple[str, ...]] = [
                    (s.functional_id, s.group_control, s.group_outcome, s.set_id,
                     s.control_number, s.outcome) for s in sets]
                found.append((str(ic.control_number), str(ic.outcome), rows))
        return found

    def files_with_interchange(self, control_number: str) -> list[int]:
        with self.reader.connect() as connection:
            rows = connection.execute(select(interchanges.c.file_id).distinct().where(
                interchanges.c.control_number == control_number.strip()))
            return sorted(row.file_id for row in rows)

    def documents_of_file(self, file_id: int) -> list[StoredDocument]:
        with self.reader.connect() as connection:
            return _prepared_documents(connection, prepared.DOCUMENTS_OF_FILE,
                                       {"file_id": file_id})

    def files_to_replay(self, states: Iterable[str], since: datetime | None,
                        until: datetime | None, *, partner: str | None = None,
                        unmapped: bool = False) -> list[StoredFile]:
        """Files in ``states`` (and, with ``unmapped``, every file with an unmapped set,
        whatever its state) received in [since, until), oldest first. A file refused unread
        is never among them: there are no bytes to replay."""
        chosen: Any = received_files.c.state.in_(list(states))
        if unmapped:
            chosen = chosen | received_files.c.id.in_(
                select(_unmapped_counts().subquery().c.file_id))
        query = select(received_files).where(chosen, received_files.c.archive_key != "")
        if partner:
            query = query.where(received_files.c.partner == partner)
        if since is not None:
            query = query.where(received_files.c.received_at >= utc(since))
        if until is not None:
            query = query.where(received_files.c.received_at < utc(until))
        with self.reader.connect() as connection:
            return [_stored_file(row) for row in
                    connection.execute(query.order_by(received_files.c.id))]

    def archive_keys_older_than(self, cutoff: datetime) -> list[str]:
        """Archive keys only finished files received before ``cutoff`` use: the bytes a
        retention purge may delete (content-addressed, so a newer file may share them)."""
        newer_or_open = select(received_files.c.archive_key).where(
            (received_files.c.received_at >= utc(cutoff))
            | (received_files.c.state == FileState.RECEIVED))
        query = (select(received_files.c.archive_key).distinct()
                 .where(received_files.c.received_at < utc(cutoff),
                        received_files.c.archive_key != "",  # refused unread: no bytes
                        received_files.c.archive_key.not_in(newer_or_open)))
        with self.reader.connect() as connection:
            return sorted(row.archive_key for row in connection.execute(query))

    def documents_since(self, since: datetime) -> list[StoredDocument]:
        with self.reader.connect() as connection:
            return _documents(connection, select(documents).where(
                documents.c.created_at >= utc(since), documents.c.direction == "in"))

    def documents_of_kind(self, kind: str) -> list[StoredDocument]:
        with self.reader.connect() as connection:
            return _prepared_documents(connection, prepared.DOCUMENTS_OF_KIND, {"kind": kind})

    def documents_matching(self, query: DocumentQuery, *, after: int = 0,
                           limit: int = 100) -> list[StoredDocument]:
        """The documents ``query`` picks with an id above ``after``, by id ascending, at most
        ``limit`` (capped at DOCUMENTS_MATCHING_MAX): keyset paging, so a page costs the same
        however deep a client has read."""
        if query.matches_nothing or limit < 1:
            return []
        chosen = (select(documents).where(documents.c.id > after, *_document_conditions(query))
                  .limit(min(limit, DOCUMENTS_MATCHING_MAX)))
        with self.reader.connect() as connection:
            return _documents(connection, chosen)

    def each_document(self, *, since: datetime | None = None,
                      partner: str | None = None) -> Iterator[StoredDocument]:
        """Every matching document, oldest first, a page at a time in short transactions
        (exports: flat memory, and the database is never held while the gateway works)."""
        query = select(documents).order_by(documents.c.id)
        if since is not None:
            query = query.where(documents.c.created_at >= utc(since))
        if partner is not None:
            query = query.where(documents.c.partner == partner)
        after = 0
        while True:
            with self.reader.connect() as connection:
                page = [_stored_document(row, self.engine) for row in connection.execute(
                            query.where(documents.c.id > after).limit(_PAGE))]
            yield from page
            if len(page) < _PAGE:
                return
            after = page[-1].id

    def files_by_id(self, ids: Iterable[int]) -> dict[int, StoredFile]:
        with self.reader.connect() as connection:
            rows = connection.execute(select(received_files)
                                      .where(received_files.c.id.in_(list(ids))))
            return {row.id: _stored_file(row) for row in rows}

    def outbox_of_files(self, ids: Iterable[int]) -> list[tuple[int, OutboxItem, str]]:
        with self.reader.connect() as connection:
            rows = connection.execute(select(outbox).where(
                outbox.c.file_id.in_(list(ids)), outbox.c.purpose == "acknowledgement")
                .order_by(outbox.c.id))
            return [(row.file_id, OutboxItem(row.kind, row.control_number, row.answers,
                                             bytes(row.payload)), row.state) for row in rows]

    def _seed_documents(self, connection: Connection, reference: str) -> list[StoredDocument]:
        text = reference.strip()
        number = file_number_of(text)
        if number is not None:
            return _prepared_documents(connection, prepared.DOCUMENTS_OF_FILE,
                                       {"file_id": number})
        return _prepared_documents(connection, prepared.DOCUMENTS_NAMED,
                                   {"text": text, "key": text.upper()})

    def partners_owed(self) -> list[str]:
        with self.reader.connect() as connection:
            return list(connection.execute(select(outbox.c.partner).where(
                outbox.c.state == "pending").distinct().order_by(outbox.c.partner)).scalars())

    def pending_outbox(self, partner: str | None = None) -> list[tuple[int, str, OutboxItem]]:
        query = select(outbox).where(outbox.c.state == "pending").order_by(outbox.c.id)
        if partner:
            query = query.where(outbox.c.partner == partner)
        with self.reader.connect() as connection:
            return [(row.id, row.partner, OutboxItem(row.kind, row.control_number, row.answers,
                                                     bytes(row.payload)))
                    for row in connection.execute(query)]


class SqlTransaction:
    """`gateway.app.ports.IngestTransaction` on one open connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.events = event_log.PendingEvents()

    def add_event(self, event: EventRecord) -> None:
        self.events.add(event)

    def event_recorded(self, dedupe_key: str) -> bool:
        return bool(self.events_recorded([dedupe_key]))

    def events_recorded(self, dedupe_keys: Iterable[str]) -> set[str]:
        keys = set(dedupe_keys)
        held = {key for key in keys if self.events.holds(key)}
        return held | event_log.recorded_among(self.connection, keys - held)

    def file_by_sha256(self, partner: str, sha256: str) -> StoredFile | None:
        """The first file with these bytes from this partner. Serialized with any other
        transaction asking the same, so that two arrivals of the same bytes cannot both be
        taken as new: SQLite's transactions take the write lock at BEGIN, PostgreSQL takes an
        advisory lock on (partner, sha256) until this transaction ends."""
        if self.connection.dialect.name == "postgresql":
            self.connection.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                                    {"k": f"file:{partner}:{sha256}"})
        row = self.connection.execute(prepared.FILE_BY_SHA256,
                                      {"partner": partner, "sha256": sha256}).first()
        return _stored_file(row) if row is not None else None

    def record_file(self, partner: str, name: str, *, sha256: str, size: int,
                    received_at: datetime, archive_key: str, lease_until: datetime) -> int:
        return self._insert(received_files, partner=partner, original_name=name[:512],
                            sha256=sha256, size=size, received_at=utc(received_at),
                            archive_key=archive_key, state=FileState.RECEIVED,
                            lease_until=utc(lease_until))

    def refused_file(self, partner: str, name: str, size: int,
                     modified: float | None) -> StoredFile | None:
        """The file refused unread with this name, listed size and time (serialized like
        `file_by_sha256`, so two polls cannot both record the same copy)."""
        if self.connection.dialect.name == "postgresql":
            self.connection.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                                    {"k": f"refused:{partner}:{name}:{size}:{modified}"})
        listed = (received_files.c.listed_modified.is_(None) if modified is None
                  else received_files.c.listed_modified == modified)
        row = self.connection.execute(
            select(received_files).where(received_files.c.partner == partner,
                                         received_files.c.sha256 == "",
                                         received_files.c.original_name == name[:512],
                                         received_files.c.size == size, listed)
            .order_by(received_files.c.id).limit(1)).first()
        return _stored_file(row) if row is not None else None

    def record_refused_file(self, partner: str, name: str, *, size: int,
                            modified: float | None, received_at: datetime,
                            reason: str) -> int:
        return self._insert(received_files, partner=partner, original_name=name[:512],
                            sha256="", size=size, received_at=utc(received_at),
                            archive_key="", state=FileState.REJECTED, reason=reason,
                            processed_at=utc(received_at), listed_modified=modified)

    def renew_lease(self, file_id: int, lease_until: datetime) -> None:
        """Only while the file is being processed: a finished file keeps no lease."""
        self.connection.execute(update(received_files).where(
            received_files.c.id == file_id, received_files.c.state == FileState.RECEIVED,
        ).values(lease_until=utc(lease_until)))

    def finish_file(self, file_id: int, state: FileState, *, processed_at: datetime,
                    reason: str | None = None, duplicate_of: int | None = None) -> None:
        self.connection.execute(prepared.FINISH_FILE, {
            "file_id": file_id, "new_state": state, "at": utc(processed_at), "why": reason,
            "earlier": duplicate_of})

    def interchange_seen(self, partner: str, sender_id: str, control_number: str,
                         since: datetime) -> int | None:
        row = self.connection.execute(prepared.INTERCHANGE_SEEN, {
            "partner": partner, "sender_id": sender_id, "control_number": control_number,
            "since": utc(since)}).first()
        return int(row.file_id) if row is not None else None

    def group_seen(self, partner: str, group_control: str, since: datetime) -> int | None:
        """The file id that already carried this GS06 from this partner since ``since``."""
        return self._earlier_set(partner, since,
                                 transaction_sets.c.group_control == group_control)

    def set_seen(self, partner: str, set_id: str, control_number: str,
                 since: datetime) -> int | None:
        """The file id that already carried this ST01 / ST02 from this partner."""
        return self._earlier_set(partner, since, transaction_sets.c.set_id == set_id,
                                 transaction_sets.c.control_number == control_number)

    def _earlier_set(self, partner: str, since: datetime, *conditions: Any) -> int | None:
        row = self.connection.execute(
            select(interchanges.c.file_id)
            .join(transaction_sets, transaction_sets.c.interchange_id == interchanges.c.id)
            .where(interchanges.c.partner == partner, interchanges.c.outcome != "duplicate",
                   interchanges.c.received_at >= utc(since), *conditions)
            .order_by(interchanges.c.id).limit(1)).first()
        return int(row.file_id) if row is not None else None

    def add_interchange(self, file_id: int, partner: str, *, ordinal: int, sender: tuple[str, str],
                        receiver_id: str, control_number: str, version: str, outcome: str,
                        received_at: datetime) -> int:
        return self._insert(interchanges, file_id=file_id, partner=partner, ordinal=ordinal,
                            sender_qualifier=sender[0][:2], sender_id=sender[1][:15],
                            receiver_id=receiver_id[:15], control_number=control_number[:9],
                            version=version[:5], outcome=outcome,
                            received_at=utc(received_at))

    def add_set(self, interchange_id: int, group: tuple[str, str, str, str],
                set_id: str, control_number: str, outcome: str, *,
                mapped: bool | None = None) -> int:
        functional_id, group_control, group_version, group_outcome = group
        return self._insert(transaction_sets, interchange_id=interchange_id,
                            functional_id=functional_id[:2], group_control=group_control[:9],
                            group_version=group_version[:12], group_outcome=group_outcome,
                            set_id=set_id[:3], control_number=control_number[:9],
                            outcome=outcome, mapped=mapped)

    def add_findings(self, file_id: int, rows: Iterable[FindingRow]) -> None:
        values = [{"file_id": file_id, **_clipped(row)} for row in rows]
        if values:
            self.connection.execute(prepared.insert_into(findings), values)

    def add_document(self, file_id: int | None, partner: str, *, kind: str, reference: str,
                     body: str, keys: Iterable[tuple[str, str]], created_at: datetime,
                     direction: str = "in", items: Iterable[tuple[str, str]] = (),
                     parts: DocumentParts | None = None) -> int:
        document_id = self._insert(documents, file_id=file_id, partner=partner, kind=kind,
                                   reference=reference[:80], body=body,
                                   case_digest=parts.case_digest if parts else None,
                                   created_at=utc(created_at), direction=direction)
        # Cut before the set is taken: two values equal in their first 80 characters are one
        # row, not a primary-key violation.
        key_rows = {(k[:32], v[:80]) for k, v in keys}
        if key_rows:
            self.connection.execute(prepared.insert_into(document_keys), [
                {"document_id": document_id, "kind": k, "value": v} for k, v in sorted(key_rows)])
        self._add_items(document_id, items)
        if parts is not None:
            count = self._add_parts(document_id, "json", parts.json)
            self._add_parts(document_id, "items", parts.items)
            self.connection.execute(update(documents).where(documents.c.id == document_id)
                                    .values(parts=count))
        return document_id

    def _add_items(self, document_id: int, items: Iterable[tuple[str, str]]) -> None:
        """The item identifiers, a batch at a time (a ship notice may carry millions, read
        from a spool): a value seen in an earlier batch is one row, not a violation."""
        batch: set[tuple[str, str]] = set()
        for scheme, value in items:
            batch.add((scheme[:32], value[:80]))
            if len(batch) >= _ITEM_BATCH:
                self._insert_items(document_id, batch)
                batch = set()
        if batch:
            self._insert_items(document_id, batch)

    def _insert_items(self, document_id: int, batch: set[tuple[str, str]]) -> None:
        statement = prepared.insert_ignoring_conflicts(self.connection.dialect.name,
                                                       document_items)
        self.connection.execute(statement, [
            {"document_id": document_id, "scheme": scheme, "value": value}
            for scheme, value in sorted(batch)])

    def _add_parts(self, document_id: int, stream: str, pieces: Iterable[str]) -> int:
        """``pieces`` (of any size) as rows of at most `PART_CHARS`; how many."""
        seq = 0
        for part in _parts_of(pieces):
            self.connection.execute(insert(document_parts).values(
                document_id=document_id, stream=stream, seq=seq, text=part))
            seq += 1
        return seq

    def add_outbox(self, file_id: int, partner: str, item: OutboxItem,
                   created_at: datetime) -> int:
        return self._insert(outbox, partner=partner, file_id=file_id, kind=item.kind,
                            control_number=item.control_number, answers=item.answers,
                            payload=item.payload, state="pending", created_at=utc(created_at))

    def outbox_of(self, file_id: int, *, sent_only: bool = False) -> list[OutboxItem]:
        query = select(outbox).where(outbox.c.file_id == file_id).order_by(outbox.c.id)
        if sent_only:
            query = query.where(outbox.c.state == "sent")
        rows = self.connection.execute(query)
        return [OutboxItem(r.kind, r.control_number, r.answers, bytes(r.payload)) for r in rows]

    def clear_results(self, file_id: int) -> None:
        """Forget what processing made of a file (not the file, not its acknowledgements, not
        what we answered it with: our own documents carry its id too): a replay writes it
        again in the same transaction."""
        made_of_file = (documents.c.file_id == file_id) & (documents.c.direction == "in")
        documents_of_file = select(documents.c.id).where(made_of_file)
        interchanges_of_file = select(interchanges.c.id).where(
            interchanges.c.file_id == file_id)
        self.connection.execute(delete(document_keys).where(
            document_keys.c.document_id.in_(documents_of_file)))
        self.connection.execute(delete(document_items).where(
            document_items.c.document_id.in_(documents_of_file)))
        self.connection.execute(delete(document_parts).where(
            document_parts.c.document_id.in_(documents_of_file)))
        self.connection.execute(delete(documents).where(made_of_file))
        self.connection.execute(delete(transaction_sets).where(
            transaction_sets.c.interchange_id.in_(interchanges_of_file)))
        self.connection.execute(delete(interchanges).where(interchanges.c.file_id == file_id))
        self.connection.execute(delete(findings).where(findings.c.file_id == file_id))

    # --- our own documents (gateway.app.outbound) ----------------------------------------------
    def outbound_exists(self, partner: str, dedupe_key: str) -> bool:
        return self.connection.execute(prepared.OUTBOUND_EXISTS, {
            "partner": partner, "dedupe_key": dedupe_key}).first() is not None

    def queue_outbound(self, file_id: int | None, partner: str, record: OutboundRecord,
                       created_at: datetime) -> int | None:
        """Insert unless the partner already has this dedupe key: the unique index decides,
        so two workers racing to queue the same update leave exactly one."""
        item = record.item
        values = dict(
            partner=partner, file_id=file_id, kind=item.kind,
            control_number=item.control_number, answers=item.answers, payload=item.payload,
            state="held" if record.held_because else "pending", created_at=utc(created_at),
            purpose=record.purpose, subject=(record.subject or "")[:80] or None,
            dedupe_key=record.dedupe_key[:200], reason=record.held_because,
            interchange_control=record.interchange_control,
            group_control=record.group_control, set_controls=record.set_controls,
            ack_state="expected" if record.expects_ack and not record.held_because else None,
            ack_due=utc(record.ack_due) if record.ack_due else None)
        statement = prepared.insert_ignoring_conflicts(
            self.connection.dialect.name, outbox, ("partner", "dedupe_key"))
        row = self.connection.execute(statement, values).first()
        return int(row.id) if row is not None else None

    def add_recall_recipient(self, notice_id: str, partner: str, *, notification_id: str,
                             outbox_id: int | None, affected_units: str,
                             affected_items: str, notified_at: datetime) -> None:
        # Once per (notice, partner), even when two workers notify at the same moment.
        dialect = postgresql if self.connection.dialect.name == "postgresql" else sqlite
        self.connection.execute(dialect.insert(recall_recipients).values(
            notice_id=notice_id[:80], partner=partner, notification_id=notification_id,
            outbox_id=outbox_id, affected_units=affected_units, affected_items=affected_items,
            notified_at=utc(notified_at)).on_conflict_do_nothing(
            index_elements=["notice_id", "partner"]))

    def match_acknowledgement(self, partner: str, *, interchange: str | None,
                              group: str | None, state: str | None, detail: str,
                              file_id: int, at: datetime) -> list[AckMatch]:
        if interchange is None and group is None:
            return []
        condition = (outbox.c.interchange_control == interchange.strip().zfill(9)
                     if interchange is not None
                     else outbox.c.group_control == str(group).strip().lstrip("0"))
        rows = self.connection.execute(select(outbox).where(
            outbox.c.partner == partner, outbox.c.ack_state.is_not(None),
            outbox.c.state != "held", condition)).all()
        for row in rows:
            if state is None:
                continue  # nothing final (a TA1 accepting the envelope): still expected
            # A rejection stands: a later "accepted" for the same group does not undo it
            # without a person looking (the partner may have re-sent an old 997).
            if row.ack_state == "rejected" and state != "rejected":
                continue
            self.connection.execute(update(outbox).where(outbox.c.id == row.id).values(
                ack_state=state, ack_at=utc(at), ack_detail=detail[:4000],
                ack_file_id=file_id))
        return [AckMatch(row.id, row.kind, row.control_number, row.subject,
                         state or row.ack_state) for row in rows]

    def record_recall_response(self, response: RecallResponseRow, file_id: int) -> str | None:
        row = self.connection.execute(select(recall_recipients).where(
            recall_recipients.c.notification_id == response.notification_id,
            recall_recipients.c.partner == response.partner)).first()
        if row is None:
            return None
        self.connection.execute(update(recall_recipients).where(
            recall_recipients.c.id == row.id).values(
            responded_at=utc(response.responded_at), response_status=response.status,
            units_found=response.units_found, units_returned=response.units_returned,
            response_note=response.note, response_file_id=file_id))
        return str(row.notice_id)

    def next_control_number(self, partner: str, kind: str) -> int:
        """Insert 1 or add 1, and read it back, in one statement."""
        return advance_counter(self.connection, control_counters,
                               {"partner": partner, "kind": kind}, 1)

    def _insert(self, table: Any, **values: Any) -> int:
        result = self.connection.execute(prepared.insert_into(table), values)
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def _unmapped_counts() -> Any:
    """file_id, sets: how many sets of each file did not map (files with none are absent)."""
    return (select(interchanges.c.file_id, func.count().label("sets"))
            .join(transaction_sets, transaction_sets.c.interchange_id == interchanges.c.id)
            .where(transaction_sets.c.mapped.is_(False))
            .group_by(interchanges.c.file_id))


def _document_conditions(query: DocumentQuery) -> list[Any]:
    """``query``'s filters, AND-ed (see `DocumentQuery`): the document's own columns, then
    its keys and items (each an id subquery on its index)."""
    return [*_column_conditions(query), *_index_conditions(query)]


def _column_conditions(query: DocumentQuery) -> list[Any]:
    column = documents.c
    conditions: list[Any] = []
    if query.kinds:
        conditions.append(column.kind.in_(query.kinds))
    if query.ids is not None:
        conditions.append(column.id.in_(query.ids))
    if query.direction is not None:
        conditions.append(column.direction == query.direction)
    if query.partner is not None:
        conditions.append(column.partner == query.partner)
    if query.reference is not None:
        conditions.append(column.reference == query.reference)
    if query.file_id is not None:
        conditions.append(column.file_id == query.file_id)
    if query.received_from is not None:
        conditions.append(column.created_at >= utc(query.received_from))
    if query.received_to is not None:
        conditions.append(column.created_at < utc(query.received_to))
    return conditions


def _index_conditions(query: DocumentQuery) -> list[Any]:
    conditions: list[Any] = []
    if query.key is not None or query.key_kind is not None:
        keyed = select(document_keys.c.document_id)
        if query.key is not None:
            keyed = keyed.where(document_keys.c.value == query.key_value())
        if query.key_kind is not None:
            keyed = keyed.where(document_keys.c.kind == query.key_kind.strip().lower())
        conditions.append(documents.c.id.in_(keyed))
    for scheme, value in query.item_filters():
        carrying = select(document_items.c.document_id).where(document_items.c.value == value)
        if scheme is not None:
            carrying = carrying.where(document_items.c.scheme == scheme)
        conditions.append(documents.c.id.in_(carrying))
    return conditions


def _parts_of(pieces: Iterable[str]) -> Iterator[str]:
    """Text of pieces of any size as parts of `PART_CHARS` (the last one shorter)."""
    pending: list[str] = []
    held = 0
    for piece in pieces:
        at = 0
        while at < len(piece):
            take = piece[at:at + PART_CHARS - held]
            pending.append(take)
            held += len(take)
            at += len(take)
            if held == PART_CHARS:
                yield "".join(pending)
                pending, held = [], 0
    if pending:
        yield "".join(pending)


def _part_reader(engine: Engine) -> PartReader:
    def read(document_id: int, stream: str) -> Iterator[str]:
        """The parts of one stream of a document, one short read each."""
        seq = 0
        while True:
            with engine.connect() as connection:
                text = connection.execute(select(document_parts.c.text).where(
                    document_parts.c.document_id == document_id,
                    document_parts.c.stream == stream,
                    document_parts.c.seq == seq)).scalar()
            if text is None:
                return
            yield text
            seq += 1
    return read


def _stored_document(row: Any, engine: Engine) -> StoredDocument:
    return StoredDocument(row.id, row.file_id, row.partner, row.kind, row.reference, row.body,
                          aware(row.created_at), row.direction, row.parts, row.case_digest,
                          _part_reader(engine) if row.parts else None)


def _documents(connection: Connection, query: Any) -> list[StoredDocument]:
    return [_stored_document(row, connection.engine)
            for row in connection.execute(query.order_by(documents.c.id))]


def _prepared_documents(connection: Connection, query: Any,
                        parameters: dict[str, Any]) -> list[StoredDocument]:
    """The documents a `gateway.store.prepared` query (ordered by id already) picks."""
    return [_stored_document(row, connection.engine)
            for row in connection.execute(query, parameters)]


def _documents_sharing_keys(connection: Connection,
                            found: dict[int, StoredDocument]) -> list[StoredDocument]:
    """The other documents that carry a key value one of ``found`` carries."""
    if not found:
        return []
    return _prepared_documents(connection, prepared.DOCUMENTS_SHARING_KEYS,
                               {"ids": list(found)})



def _outbound_conditions(*, partner: str | None = None, subjects: Iterable[str] = (),
                         overdue_at: datetime | None = None, held: bool = False,
                         purposes: Iterable[str] = (), pending: bool = False) -> list[Any]:
    conditions: list[Any] = [outbox.c.state == "pending"] if pending else []
    if partner:
        conditions.append(outbox.c.partner == partner)
    if subjects := list(subjects):
        conditions.append(outbox.c.subject.in_(subjects))
    if purposes := list(purposes):
        conditions.append(outbox.c.purpose.in_(purposes))
    if overdue_at is not None:
        conditions += [outbox.c.ack_state == "expected", outbox.c.state == "sent",
                       outbox.c.ack_due < utc(overdue_at)]
    if held:
        conditions.append(outbox.c.state == "held")
    return conditions


def _outbound_row(row: Any) -> OutboundRow:
    return OutboundRow(row.id, row.partner, row.file_id, row.kind, row.purpose,
                       row.control_number, row.subject, row.state, aware(row.created_at),
                       aware_or_none(row.sent_at), row.reason, row.ack_state,
                       aware_or_none(row.ack_due), aware_or_none(row.ack_at), row.ack_detail,
                       aware_or_none(row.alerted_at), bytes(row.payload))


def _stored_file(row: Any) -> StoredFile:
    return StoredFile(row.id, row.partner, row.original_name, row.sha256, row.size,
                      aware(row.received_at), row.archive_key, FileState(row.state),
                      row.duplicate_of,
                      row.reason, aware(row.lease_until) if row.lease_until else None)


def _clipped(row: FindingRow) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in row.__slots__}
    for name, width in (("segment_tag", 3), ("element_number", 6), ("x12", 16),
                        ("interchange_control", 9), ("group_control", 9), ("set_control", 9),
                        ("code", 64)):
        if values[name] is not None:
            values[name] = str(values[name])[:width]
    return values


def _poll_record(row: Any) -> PollRecord:
    return PollRecord(row.partner, aware(row.polled_at), bool(row.ok), row.error,
                      aware_or_none(row.next_poll_at), row.node,
                      aware_or_none(row.unreachable_since), aware_or_none(row.backoff_until))
