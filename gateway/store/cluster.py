"""Nodes, partner leases, outbox claims and shared alert memory in the store (gateway.app.cluster).

Every claim is one short statement whose WHERE clause is the whole decision ("free, run out, or
already mine"), so it is atomic on both databases: PostgreSQL re-checks the clause on the row it
locked (READ COMMITTED), SQLite runs one writer at a time (``BEGIN IMMEDIATE``). Moments come
from the database server's clock (`database_now`), not the node's: two hosts whose clocks
disagree must still agree on when a lease ran out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, case, delete, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from gateway.app.cluster import LeaseRow, NodeRecord
from gateway.app.ports import OutboxItem
from gateway.store.columns import aware, aware_or_none, utc
from gateway.store.schema import alerts_raised, nodes, outbox, partner_leases

CLAIM_BATCH = 100  # outbox rows one claim takes: a node sends them before it claims more


def database_now(engine: Engine) -> datetime:
    """The database server's time (PostgreSQL); SQLite is on this machine: its clock."""
    if engine.dialect.name != "postgresql":
        return datetime.now(UTC)
    with engine.connect() as connection:
        moment = connection.execute(text("SELECT clock_timestamp()")).scalar_one()
    return aware(moment)


# --- nodes ------------------------------------------------------------------------------------
def register_node(engine: Engine, node: NodeRecord) -> None:
    with engine.begin() as connection:
        connection.execute(insert(nodes).values(
            id=node.id, name=node.name, host=node.host, pid=node.pid,
            started_at=utc(node.started_at), heartbeat_at=utc(node.heartbeat_at)))


def beat(engine: Engine, node_id: str, now: datetime, until: datetime) -> set[str]:
    """The node's heartbeat and its leases renewed to ``until``, in one transaction; the
    partners it still holds (a lease another node took after it ran out is not renewed)."""
    with engine.begin() as connection:
        connection.execute(update(nodes).where(nodes.c.id == node_id)
                           .values(heartbeat_at=utc(now)))
        connection.execute(update(partner_leases).where(
            partner_leases.c.node == node_id).values(until=utc(until)))
        return set(connection.execute(select(partner_leases.c.partner).where(
            partner_leases.c.node == node_id)).scalars())


def stop_node(engine: Engine, node_id: str, at: datetime) -> None:
    """A clean stop: its partners free at once (not when their leases run out)."""
    with engine.begin() as connection:
        connection.execute(delete(partner_leases).where(partner_leases.c.node == node_id))
        connection.execute(update(nodes).where(nodes.c.id == node_id)
                           .values(stopped_at=utc(at)))


def node_rows(engine: Engine) -> list[NodeRecord]:
    """Every node that ever ran, newest first, with the partners each holds now."""
    with engine.connect() as connection:
        held: dict[str, list[str]] = {}
        for row in connection.execute(select(partner_leases).order_by(partner_leases.c.partner)):
            held.setdefault(row.node, []).append(row.partner)
        return [NodeRecord(row.id, row.name, row.host, row.pid, aware(row.started_at),
                           aware(row.heartbeat_at),
                           aware_or_none(row.stopped_at),
                           tuple(held.get(row.id, ())))
                for row in connection.execute(select(nodes).order_by(
                    nodes.c.started_at.desc()))]


def live_node_count(engine: Engine, heard_since: datetime) -> int:
    """Nodes running now: heard from since ``heard_since`` and not stopped."""
    with engine.connect() as connection:
        return len(connection.execute(select(nodes.c.id).where(
            nodes.c.heartbeat_at >= utc(heard_since), nodes.c.stopped_at.is_(None))).all())


def forget_nodes(engine: Engine, before: datetime) -> int:
    """Rows of nodes not heard from since ``before`` and holding nothing: history, pruned."""
    with engine.begin() as connection:
        holding = select(partner_leases.c.node)
        return connection.execute(delete(nodes).where(
            nodes.c.heartbeat_at < utc(before), nodes.c.id.not_in(holding))).rowcount or 0


# --- partner leases ------------------------------------------------------------------------------
def claim_partner(engine: Engine, partner: str, node_id: str, now: datetime,
                  until: datetime) -> bool:
    """Take or keep ``partner``'s lease: free, run out, or already ours. Whether we hold it.
    One statement: the row made, or taken over only where the WHERE clause holds."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(partner_leases).values(
        partner=partner, node=node_id, since=utc(now), until=utc(until))
    statement = statement.on_conflict_do_update(
        index_elements=["partner"],
        set_={"node": node_id, "until": utc(until),
              # kept while the same node renews, now when it changes hands
              "since": case((partner_leases.c.node == node_id, partner_leases.c.since),
                            else_=utc(now))},
        where=or_(partner_leases.c.node == node_id, partner_leases.c.until < utc(now)),
    ).returning(partner_leases.c.partner)  # no row back: another node holds it
    with engine.begin() as connection:
        return connection.execute(statement).first() is not None


def release_partner(engine: Engine, partner: str, node_id: str) -> None:
    with engine.begin() as connection:
        connection.execute(delete(partner_leases).where(
            partner_leases.c.partner == partner, partner_leases.c.node == node_id))


def lease_rows(engine: Engine) -> list[LeaseRow]:
    with engine.connect() as connection:
        return [LeaseRow(row.partner, row.node, aware(row.since), aware(row.until))
                for row in connection.execute(select(partner_leases)
                                              .order_by(partner_leases.c.partner))]


# --- the outbox -----------------------------------------------------------------------------
def claim_outbox(engine: Engine, partner: str, claimer: str, now: datetime,
                 until: datetime) -> list[tuple[int, str, OutboxItem]]:
    """Claim what is owed to ``partner`` and nobody else is sending (unclaimed, or claimed by
    a node whose claim ran out: it died between upload and "sent", so the same file is sent
    again under the same name); at most CLAIM_BATCH rows, oldest first."""
    free = or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < utc(now),
               outbox.c.claimed_by == claimer)
    with engine.begin() as connection:
        wanted = (select(outbox.c.id).where(outbox.c.state == "pending",
                                            outbox.c.partner == partner, free)
                  .order_by(outbox.c.id).limit(CLAIM_BATCH)
                  .with_for_update(skip_locked=True))  # PostgreSQL; SQLite: one writer
        ids = list(connection.execute(wanted).scalars())
        if not ids:
            return []
        connection.execute(update(outbox).where(outbox.c.id.in_(ids)).values(
            claimed_by=claimer, claimed_until=utc(until)))
        rows = connection.execute(select(outbox).where(outbox.c.id.in_(ids))
                                  .order_by(outbox.c.id))
        return [(row.id, row.partner, OutboxItem(row.kind, row.control_number, row.answers,
                                                 bytes(row.payload))) for row in rows]


def release_outbox(engine: Engine, claimer: str, ids: list[int]) -> None:
    """Give back claimed rows not sent (the upload failed): owed to the next try at once."""
    if not ids:
        return
    with engine.begin() as connection:
        connection.execute(update(outbox).where(
            outbox.c.id.in_(ids), outbox.c.claimed_by == claimer, outbox.c.state == "pending",
        ).values(claimed_by=None, claimed_until=None))


# --- alerts ---------------------------------------------------------------------------------
def record_alert(engine: Engine, row: dict[str, Any]) -> bool:
    """Remember an alert by its id; False when some node (or an earlier run) raised it."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(alerts_raised).values(**row).on_conflict_do_nothing(
        index_elements=["id"]).returning(alerts_raised.c.id)  # no row back: it was there
    with engine.begin() as connection:
        return connection.execute(statement).first() is not None


def alert_recorded(engine: Engine, alert_id: str) -> bool:
    with engine.connect() as connection:
        return connection.execute(select(alerts_raised.c.id).where(
            alerts_raised.c.id == alert_id)).first() is not None

