"""documents kept in parts: document_parts, documents.parts, documents.case_digest

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 12:00:00.000000

A ship notice of 150,000 items is 70 MB of canonical JSON: held as one string it cost the
ingest hundreds of megabytes, and every case it belongs to read it back whole. Such a document
is now kept in parts of a megabyte (its JSON, and its item subtrees as JSON lines), with a
small digest that cases fold instead.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('documents') as batch:
        batch.add_column(sa.Column('parts', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('case_digest', sa.Text(), nullable=True))
    op.create_table(
        'document_parts',
        sa.Column('document_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('stream', sa.String(length=8), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id']),
        sa.PrimaryKeyConstraint('document_id', 'stream', 'seq'),
    )


def downgrade() -> None:
    op.drop_table('document_parts')
    with op.batch_alter_table('documents') as batch:
        batch.drop_column('case_digest')
        batch.drop_column('parts')
