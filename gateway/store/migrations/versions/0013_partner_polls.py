"""the daemon's last poll of each partner: partner_polls

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 03:30:00.000000

The console's partner page said what came in, not whether the daemon is polling at all: a
partner whose folder cannot be reached and who sends nothing looked like a quiet partner. The
daemon now records each poll (when, whether it worked, why not, when the next one is due).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'partner_polls',
        sa.Column('partner', sa.String(length=64), nullable=False),
        sa.Column('polled_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('next_poll_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('partner'),
    )


def downgrade() -> None:
    op.drop_table('partner_polls')
