"""subscribers of the event feed: subscriber_state, dead_letters

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 23:00:00.000000

Where each subscriber stands in the feed (delivered cursor, failures, back-off) and the
events it would not take, kept for a person to replay.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'subscriber_state',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('delivered_cursor', sa.BigInteger(), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name'),
    )
    op.create_table(
        'dead_letters',
        sa.Column('subscriber', sa.String(length=64), nullable=False),
        sa.Column('cursor', sa.BigInteger(), nullable=False),
        sa.Column('event_id', sa.String(length=40), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('dead_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('subscriber', 'cursor'),
    )


def downgrade() -> None:
    op.drop_table('dead_letters')
    op.drop_table('subscriber_state')
