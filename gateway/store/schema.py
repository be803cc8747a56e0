"""The gateway's tables (SQLAlchemy Core). Migrations in ``migrations/`` create exactly these.

A received file is recorded (and archived) before anything reads it; its interchanges and sets,
the findings about them, the canonical documents they became and the acknowledgements owed to
the partner are then written in one transaction, so a crash leaves either all of it or none.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
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
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("received_at", Moment, nullable=False),
    Column("archive_key", String(256), nullable=False),
    # received -> accepted | partially-accepted | rejected | not-x12 | duplicate | failed
    Column("state", String(32), nullable=False),
    Column("duplicate_of", Id, ForeignKey("received_files.id")),
    Column("reason", Text),
    Column("processed_at", Moment),
    # While state is "received", the worker processing the file holds it until lease_until; a
    # re-delivery after that (the worker died) resumes it, before that it is left for later.
    Column("lease_until", Moment),
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
    Column("outcome", String(32), nullable=False),
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
    Column("file_id", Id, ForeignKey("received_files.id"), nullable=False),
    Column("partner", String(64), nullable=False),
    Column("kind", String(32), nullable=False),  # return-authorization, return-shipment, ...
    Column("reference", String(80), nullable=False),  # BGN02 / BSN02 / B1001 / notice id
    Column("body", Text, nullable=False),  # canonical JSON
    Column("created_at", Moment, nullable=False),
)

document_keys = Table(
    "document_keys", metadata,
    Column("document_id", Id, ForeignKey("documents.id"), primary_key=True),
    Column("kind", String(32), primary_key=True),  # rma, purchase-order, bill-of-lading, ...
    Column("value", String(80), primary_key=True),
    Index("ix_document_keys_value", "value", "kind"),
)

outbox = Table(
    "outbox", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("partner", String(64), nullable=False),
    Column("file_id", Id, ForeignKey("received_files.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # TA1, 997, 999, TA1+997, recall-ack
    Column("control_number", String(16), nullable=False),
    Column("answers", String(16)),  # the partner's ISA13 (or notice id) this answers
    Column("payload", LargeBinary, nullable=False),
    Column("state", String(16), nullable=False),  # pending | sent
    Column("created_at", Moment, nullable=False),
    Column("sent_at", Moment),
    Index("ix_outbox_state", "state", "id"),
)

control_counters = Table(
    "control_counters", metadata,
    Column("partner", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),  # interchange | group
    Column("last_value", BigInteger, nullable=False),
    UniqueConstraint("partner", "kind", name="uq_control_counters"),
)
