"""The gateway's tables (SQLAlchemy Core). Migrations in ``migrations/`` create exactly these.

A received file is recorded (and archived) before anything reads it; its interchanges and sets,
the findings about them, the canonical documents they became and the acknowledgements owed to
the partner are then written in one transaction, so a crash leaves either all of it or none.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()
Moment = DateTime(timezone=True)
Id = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER keys only

received_files = Table(
    "received_files", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("partner", String(64), nullable=False),
    Column("original_name", String(512), nullable=False),
    # sha256 and archive_key are "" for a file refused unread (over limits.file_size): its
    # bytes were never taken, and its size is the one the partner's folder listed.
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("received_at", Moment, nullable=False),
    Column("archive_key", String(256), nullable=False),
    # received -> accepted | accepted-unmapped | partially-accepted | rejected | not-x12 |
    # duplicate | failed (accepted-unmapped: valid X12, but a set did not map to a document)
    Column("state", String(32), nullable=False),
    Column("duplicate_of", Id, ForeignKey("received_files.id")),
    Column("reason", Text),
    Column("processed_at", Moment),
    # While state is "received", the worker processing the file holds it until lease_until; a
    # re-delivery after that (the worker died) resumes it, before that it is left for later.
    Column("lease_until", Moment),
    # The partner's listed time (seconds since the epoch) of a file refused unread: with its
    # name and size, what tells the copy left in their folder from a new file.
    Column("listed_modified", Float),
    Index("ix_received_files_partner_sha256", "partner", "sha256"),
    Index("ix_received_files_received_at", "received_at"),
)

interchanges = Table(
    "interchanges", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("file_id", Id, ForeignKey("received_files.id"), nullable=False),
    Column("partner", String(64), nullable=False),
    Column("ordinal", Integer, nullable=False),
    Column("sender_qualifier", String(2), nullable=False),
    Column("sender_id", String(15), nullable=False),
    Column("receiver_id", String(15), nullable=False),
    Column("control_number", String(9), nullable=False),
    Column("version", String(5), nullable=False),
    Column("outcome", String(32), nullable=False),  # accepted | rejected | duplicate
    Column("received_at", Moment, nullable=False),
    Index("ix_interchanges_partner_control", "partner", "sender_id", "control_number"),
    # A case found by an ISA13 its documents quote, whoever sent it; a file's interchanges.
    Index("ix_interchanges_control", "control_number"),
    Index("ix_interchanges_file", "file_id"),
)

transaction_sets = Table(
    "transaction_sets", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("interchange_id", Id, ForeignKey("interchanges.id"), nullable=False),
    Column("functional_id", String(2), nullable=False),
    Column("group_control", String(9), nullable=False),
    Column("group_version", String(12), nullable=False),
    Column("group_outcome", String(32), nullable=False),
    Column("set_id", String(3), nullable=False),
    Column("control_number", String(9), nullable=False),
    Column("outcome", String(32), nullable=False),  # the X12 verdict, as the 997 said
    # Whether validation's accepted set became a canonical document: false is an unmapped set
    # (its findings say why; `gateway replay --unmapped` retries it); NULL when none was due
    # (a rejected set, a 997 / 999, an interchange held back as a duplicate).
    Column("mapped", Boolean),
    Index("ix_transaction_sets_interchange", "interchange_id"),
)

findings = Table(
    "findings", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("file_id", Id, ForeignKey("received_files.id"), nullable=False),
    Column("interchange_control", String(9)),
    Column("group_control", String(9)),
    Column("set_control", String(9)),
    Column("code", String(64), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("x12", String(16)),  # e.g. "AK403 7"
    Column("message", Text, nullable=False),
    Column("line", Integer),
    Column("segment_position", Integer),
    Column("segment_tag", String(3)),
    Column("element_position", Integer),
    Column("element_number", String(6)),
    Column("found", Text),
    Column("expected", Text),
    Index("ix_findings_file", "file_id"),
)

documents = Table(
    "documents", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # None for a document the gateway wrote itself (an operator's decision, a case step)
    Column("file_id", Id, ForeignKey("received_files.id")),
    Column("partner", String(64), nullable=False),  # who sent it (in) or is told (out)
    Column("kind", String(32), nullable=False),  # return-authorization, return-shipment, ...
    Column("direction", String(8), nullable=False, server_default="in"),  # in | out | internal
    Column("reference", String(80), nullable=False),  # BGN02 / BSN02 / B1001 / notice id
    Column("body", Text, nullable=False),  # canonical JSON ("" when stored in parts)
    # A document too big to hold as one string (a ship notice of 150,000 items) is kept in
    # `document_parts`: its JSON in `json` parts, its item subtrees as JSON lines in `items`
    # parts; `parts` counts the JSON parts, and `case_digest` is what a case folds instead
    # of it (its header, the nodes that carry keys and dates; gateway.app.parted).
    Column("parts", Integer, nullable=False, server_default="0"),
    Column("case_digest", Text),
    Column("created_at", Moment, nullable=False),
    # A case is looked up by a document's own reference, with every recall notice (by kind),
    # and a file's documents by file: without these, every lookup read the whole table.
    Index("ix_documents_reference", "reference"),
    Index("ix_documents_kind", "kind"),
    Index("ix_documents_file", "file_id"),
)

document_parts = Table(
    "document_parts", metadata,
    Column("document_id", Id, ForeignKey("documents.id"), primary_key=True),
    Column("stream", String(8), primary_key=True),  # json | items
    Column("seq", Integer, primary_key=True),
    Column("text", Text, nullable=False),  # at most PART_CHARS characters
)

document_keys = Table(
    "document_keys", metadata,
    Column("document_id", Id, ForeignKey("documents.id"), primary_key=True),
    Column("kind", String(32), primary_key=True),  # rma, purchase-order, bill-of-lading, ...
    Column("value", String(80), primary_key=True),
    Index("ix_document_keys_value", "value", "kind"),
)

# The item identifiers each document carries (`gateway.app.items.item_keys`: item ids, serials,
# lots, and every GTIN / UPC / EAN also as its GTIN-14), so a search by product, serial or lot
# reads an index instead of every document's JSON.
document_items = Table(
    "document_items", metadata,
    Column("document_id", Id, ForeignKey("documents.id"), primary_key=True),
    Column("scheme", String(32), primary_key=True),  # gtin, upc, sku, ..., serial, lot
    Column("value", String(80), primary_key=True),
    Index("ix_document_items_value", "value", "scheme"),
)

outbox = Table(
    "outbox", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("partner", String(64), nullable=False),
    # the file that caused it; None when a person did (gateway rma ...)
    Column("file_id", Id, ForeignKey("received_files.id")),
    # TA1, 997, 999, TA1+997, recall-ack, 180, 214, status-xml, recall-notification
    Column("kind", String(24), nullable=False),
    Column("control_number", String(16), nullable=False),
    Column("answers", String(16)),  # the partner's ISA13 (or notice id) this answers
    Column("payload", LargeBinary, nullable=False),
    Column("state", String(16), nullable=False),  # pending | sent | held (invalid: never sent)
    Column("created_at", Moment, nullable=False),
    Column("sent_at", Moment),
    # acknowledgement | rma-answer | status-update | recall-notification | application-advice
    Column("purpose", String(24), nullable=False, server_default="acknowledgement"),
    Column("subject", String(80)),  # the case or notice it is about (a reference)
    # One document per (partner, dedupe_key), whatever restarts and re-runs happen: e.g.
    # "status:<request>:delivered" is queued once for the life of the database.
    Column("dedupe_key", String(200)),
    Column("reason", Text),  # why it is held, or what it says in plain words
    # Our envelope, for matching the partner's TA1 / 997 / 999 to it
    Column("interchange_control", String(9)),
    Column("group_control", String(9)),
    Column("set_controls", String(200)),  # "180:0001,180:0002"
    # expected | accepted | accepted-with-errors | rejected; None: no answer expected
    Column("ack_state", String(24)),
    Column("ack_due", Moment),  # the partner's SLA: overdue after this
    Column("ack_at", Moment),
    Column("ack_detail", Text),
    Column("ack_file_id", Id, ForeignKey("received_files.id")),
    # The node sending it, until when: no other node sends it meanwhile; a claim that ran
    # out (its node died between upload and "sent") lets another send it again, same name
    Column("claimed_by", String(36)),
    Column("claimed_until", Moment),
    Column("alerted_at", Moment),  # when "overdue" was raised (once)
    Index("ix_outbox_state", "state", "id"),
    Index("ix_outbox_file", "file_id"),
    Index("uq_outbox_dedupe", "partner", "dedupe_key", unique=True),
    Index("ix_outbox_group", "partner", "group_control"),
    Index("ix_outbox_ack", "ack_state", "ack_due"),
)

recall_recipients = Table(
    "recall_recipients", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("notice_id", String(80), nullable=False),
    Column("partner", String(64), nullable=False),
    Column("notification_id", String(40), nullable=False),  # ours, quoted in their response
    Column("outbox_id", Id, ForeignKey("outbox.id")),
    Column("affected_units", String(40)),  # in their documents when notified (decimal text)
    Column("affected_items", Text),  # JSON: where we found the product in their documents
    Column("notified_at", Moment, nullable=False),
    Column("responded_at", Moment),
    Column("response_status", String(16)),  # received | acting | complete | not-affected
    Column("units_found", String(40)),
    Column("units_returned", String(40)),
    Column("response_note", Text),
    Column("response_file_id", Id, ForeignKey("received_files.id")),
    UniqueConstraint("notice_id", "partner", name="uq_recall_recipients"),
)

control_counters = Table(
    "control_counters", metadata,
    Column("partner", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),  # interchange | group
    Column("last_value", BigInteger, nullable=False),
    UniqueConstraint("partner", "kind", name="uq_control_counters"),
)

# Console sign-ins (`gateway console`): the signed cookie names a session, this row says
# whether it still holds, so signing out is kept on the server, not only in the browser.
console_sessions = Table(
    "console_sessions", metadata,
    # SHA-256 (hex) of the session's secret id: the id itself is only in the browser's cookie
    Column("id", String(64), primary_key=True),
    Column("role", String(24), nullable=False),  # viewer | operator | ... (gateway.app.people)
    Column("person", String(64)),  # who signed in; None: a script's bearer token
    Column("created_at", Moment, nullable=False),
    Column("last_seen", Moment, nullable=False),  # recorded at most once a minute
    Column("ended_at", Moment),
    Column("ended_because", String(16)),  # signed-out | signed-out-all | idle | lifetime
    Index("ix_console_sessions_created_at", "created_at"),
)

# The event feed (`gateway.app.events`): one row for each thing an internal system may want to
# hear of, written in the transaction of what it describes. The cursor comes from
# event_cursors, taken as the transaction's last write, so cursors rise in commit order: a
# reader paging with "after this cursor" never skips an event committed later under a smaller one.
event_cursors = Table(
    "event_cursors", metadata,
    Column("feed", String(16), primary_key=True),  # "events": the one feed
    Column("last_value", BigInteger, nullable=False),
)

events = Table(
    "events", metadata,
    Column("cursor", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(40), nullable=False),  # evt_ + 32 hex: stable across deliveries
    Column("type", String(48), nullable=False),  # document.received, file.rejected, ...
    Column("partner", String(64)),  # whose file or document; None: the gateway's own
    Column("occurred_at", Moment, nullable=False),
    Column("file_id", Id),
    Column("document_id", Id),
    Column("keys", Text, nullable=False),  # JSON [[kind, value], ...]: the case keys
    Column("data", Text, nullable=False),  # JSON: the type's payload
    Column("dedupe_key", String(160)),  # one event per key (a case's move); None: no key
    UniqueConstraint("event_id", name="uq_events_event_id"),
    UniqueConstraint("dedupe_key", name="uq_events_dedupe_key"),
    Index("ix_events_type", "type", "cursor"),
    Index("ix_events_partner", "partner", "cursor"),
)

# Where each subscriber (`gateway.app.delivery`) stands in the feed: every event up to
# delivered_cursor was delivered or dead-lettered; failures count the next event's failures.
subscriber_state = Table(
    "subscriber_state", metadata,
    Column("name", String(64), primary_key=True),
    Column("delivered_cursor", BigInteger, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("last_error", Text),
    Column("next_attempt_at", Moment),
    Column("last_delivered_at", Moment),
)

# Events a subscriber would not take after max_attempts: kept with why, for a person to
# replay (`gateway subscriptions replay`).
dead_letters = Table(
    "dead_letters", metadata,
    Column("subscriber", String(64), primary_key=True),
    Column("cursor", BigInteger, primary_key=True),
    Column("event_id", String(40), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=False),
    Column("dead_at", Moment, nullable=False),
)

# JSON API clients (`gateway tokens`, `gateway.app.access`): a named token with scopes. Only
# the token's SHA-256 is kept; a revoked client keeps its row so the audit log still names it.
api_clients = Table(
    "api_clients", metadata,
    Column("name", String(64), primary_key=True),
    Column("token_digest", String(64), nullable=False),
    Column("token_hint", String(8), nullable=False),  # its last characters, to tell tokens apart
    Column("scopes", String(64), nullable=False),  # "read,decide"
    Column("partner", String(64)),  # an upload client sends as this partner only
    Column("created_at", Moment, nullable=False),
    Column("revoked_at", Moment),
    Column("last_used_at", Moment),  # written at most once a minute
    Column("last_used_from", String(64)),
    UniqueConstraint("token_digest", name="uq_api_clients_token_digest"),
)

# Every write through the API, the console or a token command: append-only (the migration adds
# triggers that refuse UPDATE and DELETE on both databases).
audit_log = Table(
    "audit_log", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", Moment, nullable=False),
    Column("actor", String(80), nullable=False),  # api:NAME, cli:USER, console:ROLE
    Column("action", String(48), nullable=False),  # decision.authorize, recall.upload, ...
    Column("target", String(200), nullable=False),
    Column("outcome", String(16), nullable=False),  # done | refused | failed
    Column("source", String(64), nullable=False),  # the client's address, or "local"
    Column("detail", Text, nullable=False),  # JSON
    Index("ix_audit_log_actor", "actor", "id"),
)

# The people who sign in to the console (`gateway users`, `gateway.app.people`): a role each,
# the password only as its Argon2id hash; a disabled person keeps the row for the audit log.
console_users = Table(
    "console_users", metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(24), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("created_at", Moment, nullable=False),
    Column("password_changed_at", Moment, nullable=False),
    Column("disabled_at", Moment),
)

# The daemon's last poll of each partner and when it polls next (`gateway run`), so the
# console shows them from another process.
partner_polls = Table(
    "partner_polls", metadata,
    Column("partner", String(64), primary_key=True),
    Column("polled_at", Moment, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error", Text),  # why the last poll failed (the transport's words)
    Column("next_poll_at", Moment),
    Column("node", String(36)),  # the node that polled (nodes.id)
    # Shared by every node, so an outage is one outage whoever polls next: when the partner
    # became unreachable (None: it is not), and until when nobody polls it (a permanent fault)
    Column("unreachable_since", Moment),
    Column("backoff_until", Moment),
)

# Several `gateway run` processes on one database (gateway.app.cluster). Each process is a
# node with a row it keeps alive; a partner is polled, and its outbox sent, only by the node
# holding its lease; an alert is raised once across nodes and restarts.
nodes = Table(
    "nodes", metadata,
    Column("id", String(36), primary_key=True),  # a new one at every start (a uuid)
    Column("name", String(128), nullable=False),  # what people call it: --node, or the host
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", Moment, nullable=False),
    Column("heartbeat_at", Moment, nullable=False),
    Column("stopped_at", Moment),  # a clean stop; a node that died has none
)

partner_leases = Table(
    "partner_leases", metadata,
    # a partner's id, or "subscriber:<name>" (one node delivers the event feed to each)
    Column("partner", String(160), primary_key=True),
    Column("node", String(36), nullable=False),  # nodes.id of the holder
    Column("since", Moment, nullable=False),  # when the holder took it
    Column("until", Moment, nullable=False),  # past this, any node may take it
)

alerts_raised = Table(
    "alerts_raised", metadata,
    Column("id", String(512), primary_key=True),  # the alert's stable id
    Column("kind", String(64), nullable=False),
    Column("partner", String(255), nullable=False),
    Column("raised_at", Moment, nullable=False),
    Column("node", String(36)),
)

# The raw archive kept in the store itself (`archive.backend: database`, archive_db.py), so
# every node on one PostgreSQL can read every file's bytes. An object is one file's bytes under
# the archive key a folder would use; its chunks hold them a mebibyte at a time, in order, so
# no file is ever read or written whole.
archive_objects = Table(
    "archive_objects", metadata,
    Column("key", String(80), primary_key=True),  # ab/cd/<sha256>, as received_files says
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("stored_at", Moment, nullable=False),
)

archive_chunks = Table(
    "archive_chunks", metadata,
    Column("key", String(80), ForeignKey("archive_objects.key"), primary_key=True),
    Column("seq", Integer, primary_key=True),  # 0, 1, 2... in the order of the bytes
    Column("data", LargeBinary, nullable=False),
)
