"""the raw archive in the store: archive_objects, archive_chunks

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 10:00:00.000000

Every inbound file's bytes were kept in a folder (paths.archive) on the node that took them, so
on several nodes sharing one PostgreSQL only that node could replay or show a file. With
`archive.backend: database` they are kept in the store itself, a mebibyte a row, under the same
archive keys, so every node reads them. The tables are additive and empty until that backend is
chosen: nodes on the folder backend, or on the previous revision, are unaffected.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'archive_objects',
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('stored_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_table(
        'archive_chunks',
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['key'], ['archive_objects.key']),
        sa.PrimaryKeyConstraint('key', 'seq'),
    )


def downgrade() -> None:
    op.drop_table('archive_chunks')
    op.drop_table('archive_objects')
