"""the console's people: console_users, and who each session belongs to

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 03:00:00.000000

The console was entered with two shared tokens, so nobody could tell who decided what. People
now sign in with a name and a password (its Argon2id hash only) and a role; each session names
its person. Sessions opened before this (by a token) keep their role, renamed to the new
roles: reader is a viewer.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'console_users',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=24), nullable=False),
        sa.Column('password_hash', sa.String(length=256), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name'),
    )
    with op.batch_alter_table('console_sessions') as batch:
        batch.alter_column('role', type_=sa.String(length=24), existing_nullable=False)
        batch.add_column(sa.Column('person', sa.String(length=64), nullable=True))
    op.execute("UPDATE console_sessions SET role = 'viewer' WHERE role = 'reader'")


def downgrade() -> None:
    op.execute("UPDATE console_sessions SET role = 'reader' WHERE role = 'viewer'")
    with op.batch_alter_table('console_sessions') as batch:
        batch.drop_column('person')
        batch.alter_column('role', type_=sa.String(length=16), existing_nullable=False)
    op.drop_table('console_users')
