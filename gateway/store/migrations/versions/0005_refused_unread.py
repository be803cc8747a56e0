"""files refused unread: received_files.listed_modified

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 14:10:00.000000

A file over limits.file_size is refused from its listing, before any byte is read: it is
recorded as rejected with no SHA-256 and no archive key (""), and with the partner's listed
time, so that the copy left in their folder is recognised (same name, size and time) and not
recorded again at every poll.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not a batch: other tables refer to received_files, so SQLite's
# copy-and-rename of a batch would break their foreign keys (SQLite >= 3.35 drops columns
# itself; Python 3.11 ships 3.40).
def upgrade() -> None:
    op.add_column('received_files', sa.Column('listed_modified', sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column('received_files', 'listed_modified')
