"""console sessions kept on the server: console_sessions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09 10:00:00.000000

The console's signed cookie used to be the whole session: a copy kept working after sign-out
and sessions never expired. Each sign-in is now a row (keyed by the SHA-256 of its secret id)
that sign-out, `gateway console --sign-out-all`, the idle timeout and the lifetime end.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'console_sessions',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_because', sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_console_sessions_created_at', 'console_sessions', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_console_sessions_created_at', table_name='console_sessions')
    op.drop_table('console_sessions')
