"""the event feed: events

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 22:30:00.000000

(event_cursors holds the feed's cursor counter: apart from control_counters, whose numbers are
the ISA13 / GS06 we send.)

Every stored document, finished file and matched acknowledgement becomes an event row, written
in the same transaction, with a cursor that rises in commit order (issue 14, the feed that
internal systems read and subscribers are sent).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'event_cursors',
        sa.Column('feed', sa.String(length=16), nullable=False),
        sa.Column('last_value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('feed'),
    )
    op.create_table(
        'events',
        sa.Column('cursor', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('event_id', sa.String(length=40), nullable=False),
        sa.Column('type', sa.String(length=48), nullable=False),
        sa.Column('partner', sa.String(length=64), nullable=True),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('file_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=True),
        sa.Column('document_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=True),
        sa.Column('keys', sa.Text(), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('dedupe_key', sa.String(length=160), nullable=True),
        sa.PrimaryKeyConstraint('cursor'),
        sa.UniqueConstraint('event_id', name='uq_events_event_id'),
        sa.UniqueConstraint('dedupe_key', name='uq_events_dedupe_key'),
    )
    op.create_index('ix_events_type', 'events', ['type', 'cursor'])
    op.create_index('ix_events_partner', 'events', ['partner', 'cursor'])


def downgrade() -> None:
    op.drop_index('ix_events_partner', table_name='events')
    op.drop_index('ix_events_type', table_name='events')
    op.drop_table('events')
    op.drop_table('event_cursors')
