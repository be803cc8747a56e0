"""document lookups indexed: ix_documents_reference, ix_documents_kind, ix_documents_file

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 23:10:00.000000

Finding a case reads documents by their own reference (BGN02, BSN02...) and every recall notice
(by kind), and a file's documents by file id; each scanned the whole documents table, so every lookup grew with the store (the
case and line exports made one per request: quadratic).
"""
from __future__ import annotations

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_documents_reference', 'documents', ['reference'])
    op.create_index('ix_documents_kind', 'documents', ['kind'])
    op.create_index('ix_documents_file', 'documents', ['file_id'])


def downgrade() -> None:
    op.drop_index('ix_documents_file', table_name='documents')
    op.drop_index('ix_documents_kind', table_name='documents')
    op.drop_index('ix_documents_reference', table_name='documents')
