"""indexes for lookups that read whole tables: interchanges by control number and by file,
a file's sets, a file's outbox rows

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 20:00:00.000000

A case is also found through an ISA13 its documents quote, and that lookup read interchanges by
control_number alone: the only index led with partner and sender, so every case fold, in the
follow-ups of every received file, read the whole table, and a file's follow-ups grew with the
number of files ever received. A file's interchanges, their sets and the file's outbox rows
(its detail, a replay, a duplicate's answers) were read the same way: neither database indexes
a foreign key by itself. Every index is additive: nodes on the previous revision keep working.
"""
from __future__ import annotations

from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_interchanges_control', 'interchanges', ['control_number']),
    ('ix_interchanges_file', 'interchanges', ['file_id']),
    ('ix_transaction_sets_interchange', 'transaction_sets', ['interchange_id']),
    ('ix_outbox_file', 'outbox', ['file_id']),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
