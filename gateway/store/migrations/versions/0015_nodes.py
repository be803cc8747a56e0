"""several nodes on one database: nodes, partner_leases, alerts_raised, outbox claims

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 15:00:00.000000

Three `gateway run` processes on one PostgreSQL each polled every partner, each raised the same
alerts and read the outbox without a claim. Now each node has a row it keeps alive (its
heartbeat), a partner is polled only by the node holding its lease, an outbox row is sent by
the node that claimed it, an alert is raised once across nodes and restarts, and a partner's
outage and back-off live with its last poll, where every node sees them.
Every change is additive: nodes still running the previous revision keep working.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'nodes',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'partner_leases',
        sa.Column('partner', sa.String(length=160), nullable=False),
        sa.Column('node', sa.String(length=36), nullable=False),
        sa.Column('since', sa.DateTime(timezone=True), nullable=False),
        sa.Column('until', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('partner'),
    )
    op.create_table(
        'alerts_raised',
        sa.Column('id', sa.String(length=512), nullable=False),
        sa.Column('kind', sa.String(length=64), nullable=False),
        sa.Column('partner', sa.String(length=255), nullable=False),
        sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('node', sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('claimed_by', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('partner_polls') as batch:
        batch.add_column(sa.Column('node', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('unreachable_since', sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column('backoff_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('partner_polls') as batch:
        batch.drop_column('backoff_until')
        batch.drop_column('unreachable_since')
        batch.drop_column('node')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('claimed_until')
        batch.drop_column('claimed_by')
    op.drop_table('alerts_raised')
    op.drop_table('partner_leases')
    op.drop_table('nodes')
