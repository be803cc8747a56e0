"""document items indexed: document_items (GTIN / UPC / EAN, item ids, serials, lots)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 10:00:00.000000

Item identifiers lived only inside each document's JSON body, so finding "the case with GTIN
00012345678905", a serial or a lot meant reading every document. From now on each document's
items are written beside it (gateway.app.items.item_keys, called by record_document); this
revision creates the table and indexes the documents stored before it.

The backfill reads the documents a batch at a time by id (keyset, never OFFSET), so memory stays
flat whatever the store holds. It repeats item_keys here rather than importing the application:
a migration must keep producing the rows its revision meant, whatever the code becomes later.
tests/store/test_case_search.py proves the two agree.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_BATCH = 200  # documents read (bodies and all) per round
_VALUE_MAX, _SCHEME_MAX = 80, 32
_GTIN_SCHEMES = frozenset({'gtin', 'upc', 'ean'})
_GTIN_LENGTHS = frozenset({8, 12, 13, 14})

_documents = sa.table('documents', sa.column('id'), sa.column('body'))
_items = sa.table('document_items', sa.column('document_id'), sa.column('scheme'),
                  sa.column('value'))


def upgrade() -> None:
    op.create_table(
        'document_items',
        sa.Column('document_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('scheme', sa.String(length=32), nullable=False),
        sa.Column('value', sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id']),
        sa.PrimaryKeyConstraint('document_id', 'scheme', 'value'),
    )
    op.create_index('ix_document_items_value', 'document_items', ['value', 'scheme'])
    _backfill(op.get_bind())


def downgrade() -> None:
    op.drop_index('ix_document_items_value', table_name='document_items')
    op.drop_table('document_items')


def _backfill(connection: sa.Connection) -> None:
    after = 0
    while True:
        rows = connection.execute(
            sa.select(_documents.c.id, _documents.c.body).where(_documents.c.id > after)
            .order_by(_documents.c.id).limit(_BATCH)).all()
        if not rows:
            return
        values = [{'document_id': row.id, 'scheme': scheme, 'value': value}
                  for row in rows for scheme, value in sorted(item_keys(_read(row.body)))]
        if values:
            connection.execute(_items.insert(), values)
        after = rows[-1].id


def _read(body: str) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:  # not JSON: nothing to index (the application never wrote such a row)
        return {}
    return parsed if isinstance(parsed, dict) else {}


# --- gateway.app.items.item_keys as of this revision (see the module doc) ----------------------
def item_keys(body: dict[str, Any]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for node in _objects(body):
        found.update(_item_id_keys(node.get('item_ids')))
        found.update(_listed('serial', node.get('serials')))
        found.update(_listed('lot', node.get('lots')))
    return found


def _value(raw: str) -> str:
    return raw.strip().upper()[:_VALUE_MAX]


def _gtin14(value: str) -> str | None:
    if value.isascii() and value.isdigit() and len(value) in _GTIN_LENGTHS:
        return value.zfill(14)
    return None


def _objects(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    pending: list[Any] = [body]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            yield value
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)


def _item_id_keys(entries: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(entries, list):
        return
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        scheme, raw = entry.get('scheme'), entry.get('value')
        if not isinstance(scheme, str) or not isinstance(raw, str):
            continue
        scheme, value = scheme.strip().lower()[:_SCHEME_MAX], _value(raw)
        if not scheme or not value:
            continue
        yield scheme, value
        if scheme in _GTIN_SCHEMES and (as_gtin := _gtin14(value)) is not None:
            yield 'gtin', as_gtin


def _listed(scheme: str, entries: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(entries, list):
        return
    for raw in entries:
        if isinstance(raw, str) and (value := _value(raw)):
            yield scheme, value
