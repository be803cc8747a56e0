"""per-set mapping result (transaction_sets.mapped), and files found unmapped before it

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 09:12:40.518203

Before this revision a set that validated but did not map left no trace but a missing
document, and its file was "accepted". The upgrade finds those files where it can: a file whose
accepted 180 / 856 / 214 sets outnumber the documents it left cannot have mapped them all, so
those sets are marked not mapped (which of them failed is not recorded anywhere: a replay maps
them again and says why) and an accepted file becomes accepted-unmapped. Sets of every other
file are marked mapped, or left NULL when no document was due.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_MAPPED_KINDS = ('180', '856', '214')  # acknowledgements (997, 999) are never mapped
_TAKEN = ('accepted', 'partially-accepted')
_FOUND_REASON = ("a transaction set validation accepted left no document (found when the "
                 "database was upgraded to record mapping per set): gateway replay --unmapped "
                 "maps it again and says why")

_files = sa.table('received_files', sa.column('id'), sa.column('state'), sa.column('reason'))
_interchanges = sa.table('interchanges', sa.column('id'), sa.column('file_id'),
                         sa.column('outcome'))
_sets = sa.table('transaction_sets', sa.column('interchange_id'), sa.column('set_id'),
                 sa.column('outcome'), sa.column('group_outcome'), sa.column('mapped'))
_documents = sa.table('documents', sa.column('file_id'), sa.column('direction'))


def upgrade() -> None:
    with op.batch_alter_table('transaction_sets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mapped', sa.Boolean(), nullable=True))
    _mark_sets()
    _mark_files()


def _due(sets: sa.FromClause, interchanges: sa.FromClause) -> list[sa.ColumnElement[bool]]:
    """The sets that had to become a document: accepted 180 / 856 / 214 sets of accepted
    groups and interchanges (an interchange held back as a duplicate is "duplicate")."""
    taken = sa.select(interchanges.c.id).where(interchanges.c.outcome.in_(_TAKEN))
    return [sets.c.set_id.in_(_MAPPED_KINDS), sets.c.outcome == 'accepted',
            sets.c.group_outcome.in_(_TAKEN), sets.c.interchange_id.in_(taken)]


def _mark_sets() -> None:
    """Mapped when the set's file left at least as many documents as it had sets due."""
    other_sets = _sets.alias('other_sets')
    file_of = (sa.select(_interchanges.c.file_id)  # of the set being updated
               .where(_interchanges.c.id == _sets.c.interchange_id).correlate(_sets)
               .scalar_subquery())
    other_file_of = (sa.select(_interchanges.c.file_id)
                     .where(_interchanges.c.id == other_sets.c.interchange_id)
                     .scalar_subquery())
    due = (sa.select(sa.func.count()).select_from(other_sets)
           .where(other_file_of == file_of, *_due(other_sets, _interchanges))
           .scalar_subquery())
    stored = (sa.select(sa.func.count()).select_from(_documents)
              .where(_documents.c.file_id == file_of, _documents.c.direction == 'in')
              .scalar_subquery())
    op.execute(_sets.update().where(*_due(_sets, _interchanges))
               .values(mapped=sa.case((stored >= due, sa.true()), else_=sa.false())))


def _mark_files() -> None:
    unmapped = (sa.select(_interchanges.c.file_id)
                .join(_sets, _sets.c.interchange_id == _interchanges.c.id)
                .where(_sets.c.mapped == sa.false()))
    op.execute(_files.update().where(_files.c.state == 'accepted', _files.c.id.in_(unmapped))
               .values(state='accepted-unmapped', reason=_FOUND_REASON))


def downgrade() -> None:
    op.execute(_files.update().where(_files.c.state == 'accepted-unmapped',
                                     _files.c.reason == _FOUND_REASON)
               .values(state='accepted', reason=None))
    op.execute(_files.update().where(_files.c.state == 'accepted-unmapped')
               .values(state='accepted'))
    with op.batch_alter_table('transaction_sets', schema=None) as batch_op:
        batch_op.drop_column('mapped')
