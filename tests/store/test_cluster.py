"""Several nodes on one store (gateway.app.cluster), on SQLite and on a real PostgreSQL:
partner leases, their spread and take-over, outbox claims, alerts raised once, file leases.

The store's clock is the one leases are measured by (`database_now`); here it is a clock the
test moves, and each node's own (monotonic) clock is one the test moves too."""

from __future__ import annotations

import json
import threading
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from gateway.app.cluster import (
    IdleCheck,
    NodeRecord,
    PartnerLeases,
    fair_share,
    kept_alive,
)
from gateway.app.poll import Sender, poll_once, publish_pending
from gateway.app.ports import OutboxItem
from gateway.app.watchers import Alert, AlertMemory
from gateway.bootstrap import ingest_ports
from gateway.config.settings import load_config
from gateway.store.cluster import lease_rows
from gateway.store.engine import open_engine
from gateway.store.migrate import (
    UpgradeBlocked,
    current_revision,
    head_revision,
    migration_config,
    upgrade,
)
from gateway.store.repository import SqlStore
from tests.cli import run_gateway
from tests.store.test_confinement import channel_for

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)
PARTNERS = [f"p{n:02d}" for n in range(10)]


class ClockedStore(SqlStore):
    """The real store, whose "database clock" the test sets."""

    now = NOW

    def database_now(self) -> datetime:
        return self.now


class Clock:
    """A node's monotonic clock."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def store(database_url: str) -> ClockedStore:
    engine = open_engine(database_url)
    upgrade(engine)
    return ClockedStore(engine)


def node(store: ClockedStore, name: str, clock: Clock | None = None) -> PartnerLeases:
    record = NodeRecord(f"id-{name}", name, "host", 1, store.now, store.now)
    return PartnerLeases(store, record, lease=LEASE, monotonic=clock or Clock())


def holders(store: SqlStore) -> dict[str, list[str]]:
    return {n.name: list(n.partners) for n in store.nodes() if n.partners}


def always_idle(_partner: str) -> AbstractContextManager[bool]:
    return nullcontext(True)


def idle_unless(*busy: str) -> IdleCheck:
    return lambda partner: nullcontext(partner not in busy)


def test_fair_share_rounds_up_and_never_divides_by_zero() -> None:
    assert [fair_share(10, n) for n in (0, 1, 2, 3, 4, 11)] == [10, 10, 5, 4, 3, 1]


def test_one_node_polls_a_partner_and_partners_spread_over_the_nodes(
        store: ClockedStore) -> None:
    nodes = [node(store, name) for name in ("a", "b", "c")]
    for each in nodes:
        each.start(len(PARTNERS))
    for each in nodes:  # shares were learnt before the others joined: a beat corrects them
        each.heartbeat(len(PARTNERS), idle=always_idle)
    for _round in range(2):
        for partner in PARTNERS:
            for each in nodes:
                each.may_poll(partner)
        for each in nodes:
            each.heartbeat(len(PARTNERS), idle=always_idle)
    held = [set(each.held()) for each in nodes]
    assert set().union(*held) == set(PARTNERS)  # every partner polled...
    assert sum(len(h) for h in held) == len(PARTNERS)  # ...by exactly one node
    assert max(len(h) for h in held) <= fair_share(len(PARTNERS), 3)  # spread: 4 at most
    assert holders(store) == {each.node.name: each.held() for each in nodes if each.held()}
    for partner in PARTNERS:  # and the others may not poll it
        assert [each.may_poll(partner) for each in nodes].count(True) == 1


def test_the_first_node_gives_back_what_is_beyond_its_share_when_others_join(
        store: ClockedStore) -> None:
    first = node(store, "a")
    first.start(len(PARTNERS))
    assert all(first.may_poll(partner) for partner in PARTNERS)  # alone: all of them
    second = node(store, "b")
    second.start(len(PARTNERS))
    assert not second.may_poll("p00")  # held
    first.heartbeat(len(PARTNERS), idle=idle_unless("p09"))
    assert len(first.held()) == 5 and "p09" in first.held()  # never one it is polling
    assert sum(second.may_poll(partner) for partner in PARTNERS) == 5
    assert sorted(first.held() + second.held()) == PARTNERS


def test_a_node_busy_with_a_backlog_gives_back_partners_as_their_polls_end(
        store: ClockedStore) -> None:
    first = node(store, "a")
    first.start(4)
    assert all(first.may_poll(partner) for partner in PARTNERS[:4])
    second = node(store, "b")
    second.start(4)
    first.heartbeat(4, idle=idle_unless(*PARTNERS))  # every one of them mid-poll
    assert first.held() == PARTNERS[:4]  # nothing freed under a poll...
    leaving = [partner for partner in PARTNERS[:4] if not first.holds(partner)]
    assert len(leaving) == 2  # ...but two take no more files
    assert not any(second.may_poll(partner) for partner in PARTNERS[:4])
    for partner in leaving:
        first.poll_finished(partner)
    assert sorted(first.held()) == sorted(set(PARTNERS[:4]) - set(leaving))
    assert all(second.may_poll(partner) for partner in leaving)


def test_a_dead_nodes_partners_are_taken_over_when_its_leases_run_out(
        store: ClockedStore) -> None:
    dead, alive = node(store, "dead"), node(store, "alive")
    dead.start(2)
    alive.start(2)
    dead.heartbeat(2, idle=always_idle)
    assert dead.may_poll("p00") and alive.may_poll("p01")
    store.now = NOW + LEASE  # "dead" stops beating; its lease runs to exactly now
    alive.heartbeat(2, idle=always_idle)
    assert not alive.may_poll("p00")  # not before the lease has run out
    store.now = NOW + LEASE + timedelta(seconds=1)
    alive.heartbeat(2, idle=always_idle)  # one live node now: its share is both partners
    assert alive.may_poll("p00")
    [record] = [n for n in store.nodes() if n.name == "dead"]
    assert not record.alive(store.now, LEASE) and record.partners == ()


def test_a_clean_stop_frees_the_partners_at_once(store: ClockedStore) -> None:
    leaving, staying = node(store, "leaving"), node(store, "staying")
    leaving.start(1)
    assert leaving.may_poll("p00")
    staying.start(1)
    assert not staying.may_poll("p00")
    leaving.stop()
    staying.heartbeat(1, idle=always_idle)
    assert staying.may_poll("p00")  # no lease to wait for
    assert next(n for n in store.nodes() if n.name == "leaving").stopped_at == NOW


def test_a_renewed_lease_keeps_the_time_it_was_taken(store: ClockedStore) -> None:
    holder = node(store, "a")
    holder.start(1)
    holder.may_poll("p00")
    store.now = NOW + timedelta(seconds=10)
    holder.heartbeat(1, idle=always_idle)
    holder.may_poll("p00")
    assert store.nodes()[0].partners == ("p00",)
    [row] = lease_rows(store.engine)
    assert (row.since, row.until) == (NOW, NOW + timedelta(seconds=10) + LEASE)


class LostStore(ClockedStore):
    """The database goes away when the test says so."""

    lost = False

    def _check(self) -> None:
        if self.lost:
            raise ConnectionError("connection refused")

    def database_now(self) -> datetime:
        self._check()
        return super().database_now()


def test_a_node_that_loses_the_database_stops_polling_when_its_lease_runs_out(
        database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    engine = open_engine(database_url)
    upgrade(engine)
    caplog.set_level("INFO", logger="gateway.run")
    store, clock = LostStore(engine), Clock()
    leases = node(store, "a", clock)
    leases.start(2)
    assert leases.may_poll("p00")
    store.lost = True
    assert not leases.heartbeat(2, idle=always_idle)
    assert leases.holds("p00")  # nobody else can take it yet either
    assert not leases.may_poll("p01")  # but nothing new is taken
    clock.seconds += LEASE.total_seconds()
    assert not leases.holds("p00") and not leases.may_poll("p00")
    assert leases.heartbeat(2, idle=always_idle) is False
    lost = [r for r in caplog.records if "cannot be reached" in r.getMessage()]
    assert len(lost) == 1  # said once, not at every beat
    store.lost = False
    assert leases.heartbeat(2, idle=always_idle)
    assert leases.holds("p00")  # its lease was still in the store: renewed
    assert any("database is back" in r.getMessage() for r in caplog.records)


def test_two_nodes_claiming_the_same_partner_at_once_get_it_once(
        store: ClockedStore) -> None:
    nodes = [node(store, f"n{i}") for i in range(4)]
    for each in nodes:
        each.start(40)
    for partner in (f"x{i}" for i in range(40)):
        won: list[bool] = []
        barrier = threading.Barrier(len(nodes))

        def claim(each: PartnerLeases, partner: str = partner,
                  barrier: threading.Barrier = barrier, won: list[bool] = won) -> None:
            barrier.wait()
            won.append(each.may_poll(partner))

        threads = [threading.Thread(target=claim, args=(each,)) for each in nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert won.count(True) == 1, partner


# --- outbox claims ------------------------------------------------------------------------------
def queue(store: SqlStore, partner: str, count: int) -> list[int]:
    with store.transaction() as tx:
        file_id = tx.record_file(partner, "a.x12", sha256="a" * 64, size=1, received_at=NOW,
                                 archive_key="aa/aa/a", lease_until=NOW)
        return [tx.add_outbox(file_id, partner, OutboxItem("997", f"{n:09d}", None, b"ISA*"),
                              NOW) for n in range(count)]


def test_two_senders_never_claim_the_same_row_and_a_lapsed_claim_is_sent_again(
        store: ClockedStore) -> None:
    ids = queue(store, "acme", 150)
    first = store.claim_outbox("acme", "node-a", lease=LEASE)
    second = store.claim_outbox("acme", "node-b", lease=LEASE)
    assert len(first) == 100 and len(second) == 50  # a batch each, none twice
    assert {row[0] for row in first} | {row[0] for row in second} == set(ids)
    assert store.claim_outbox("acme", "node-c", lease=LEASE) == []
    store.mark_sent(first[0][0], NOW)  # sent: never claimed again
    store.now = NOW + LEASE + timedelta(seconds=1)  # node-a died before sending the rest
    again = store.claim_outbox("acme", "node-c", lease=LEASE)
    assert len(again) == 100 and first[0][0] not in {row[0] for row in again}
    store.release_outbox("node-c", [row[0] for row in again])  # given back: free at once
    assert len(store.claim_outbox("acme", "node-d", lease=LEASE)) == 100


class FailingChannel:
    def __init__(self, fail_at: int) -> None:
        self.published: list[str] = []
        self.fail_at = fail_at

    def publish(self, name: str, data: bytes) -> None:
        if len(self.published) == self.fail_at:
            raise ConnectionError("link dropped")
        self.published.append(name)


def test_a_failed_send_gives_its_claims_back_and_the_next_send_finishes(
        store: ClockedStore) -> None:
    queue(store, "acme", 5)
    channel = FailingChannel(fail_at=2)
    with pytest.raises(ConnectionError):
        publish_pending("acme", channel, store, clock=lambda: NOW,  # type: ignore[arg-type]
                        sender=Sender("node-a", LEASE))
    channel.fail_at = -1
    sent = publish_pending("acme", channel, store, clock=lambda: NOW,  # type: ignore[arg-type]
                           sender=Sender("node-b", LEASE))  # no waiting for node-a's claim
    assert len(sent) == 3 and len(channel.published) == 5
    assert store.pending_outbox("acme") == []


# --- alerts -------------------------------------------------------------------------------------
class Sink:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, alert: Alert) -> None:
        self.sent.append(alert.id)


def test_an_alert_is_raised_once_across_nodes_and_restarts(store: ClockedStore) -> None:
    alert = Alert("partner-unreachable-acme-1", "partner-unreachable", "acme", "down", {})
    a, b = Sink(), Sink()
    assert AlertMemory(a, store, node="a").raise_once(alert)
    assert not AlertMemory(b, store, node="b").raise_once(alert)  # another node
    assert not AlertMemory(a, store, node="a").raise_once(alert)  # a restart
    assert (a.sent, b.sent) == (["partner-unreachable-acme-1"], [])


def test_an_alert_is_still_sent_when_the_store_cannot_remember_it(
        database_url: str) -> None:
    engine = open_engine(database_url)
    upgrade(engine)

    class Broken(ClockedStore):
        def record_alert(self, *args: object, **kwargs: object) -> bool:
            raise ConnectionError("no database")

    sink = Sink()
    memory = AlertMemory(sink, Broken(engine), node="a")
    alert = Alert("rejected-file-1", "rejected-file", "acme", "rejected", {})
    assert memory.raise_once(alert) and not memory.raise_once(alert)
    assert sink.sent == ["rejected-file-1"]


# --- a file in progress keeps its lease ----------------------------------------------------------
def test_a_file_in_progress_keeps_its_lease_and_a_finished_one_takes_none(
        store: ClockedStore) -> None:
    with store.transaction() as tx:
        busy = tx.record_file("acme", "big.x12", sha256="b" * 64, size=1, received_at=NOW,
                              archive_key="bb/bb/b", lease_until=NOW)
        done = tx.record_file("acme", "small.x12", sha256="c" * 64, size=1, received_at=NOW,
                              archive_key="cc/cc/c", lease_until=NOW)
        tx.finish_file(done, "accepted", processed_at=NOW, reason=None)
    renewed = threading.Event()
    later = NOW + timedelta(hours=1)

    def renew() -> None:
        with store.transaction() as tx:
            tx.renew_lease(busy, later)
            tx.renew_lease(done, later)
        renewed.set()

    with kept_alive(renew, every=0.01):
        assert renewed.wait(30)
    files = store.files_by_id([busy, done])
    assert files[busy].lease_until == later
    assert files[done].lease_until == NOW  # finished: untouched


# --- a file gone between the listing and the fetch -------------------------------------------
class TakenMeanwhile:
    """A local channel whose file another node takes between the listing and the fetch."""

    def __init__(self, inner: object, folder: Path) -> None:
        self.inner, self.folder = inner, folder

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def __enter__(self) -> TakenMeanwhile:
        self.inner.__enter__()  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        self.inner.__exit__(*exc)  # type: ignore[attr-defined]

    def fetch_into(self, name: str, target: object, *, max_bytes: int | None = None) -> int:
        (self.folder / name).unlink()
        return int(self.inner.fetch_into(name, target,  # type: ignore[attr-defined]
                                         max_bytes=max_bytes))


def test_a_file_taken_by_another_node_meanwhile_is_left_not_a_failed_poll(
        tmp_path: Path) -> None:
    channel, root = channel_for(tmp_path, "{type: local, inbound: in, outbound: out}")
    for folder in ("in", "out"):
        (root / folder).mkdir()
    (root / "in" / "a.x12").write_bytes(b"ISA*")
    engine = open_engine(f"sqlite:///{tmp_path / 'g.sqlite'}")
    upgrade(engine)
    store = SqlStore(engine)
    ports, settings = ingest_ports(load_config(None), store)
    report = poll_once("northwind", TakenMeanwhile(channel, root / "in"),  # type: ignore[arg-type]
                       ports, settings, store, clock=lambda: NOW, settle=0,
                       sleep=lambda _s: None)
    [(name, why)] = report.waiting
    assert name == "a.x12" and "gone when it was to be fetched" in why
    assert report.taken == [] and store.recent_files() == []


# --- upgrading the schema while nodes run --------------------------------------------------------
def test_an_upgrade_blocked_by_a_nodes_long_transaction_changes_nothing_and_says_so(
        database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer: a migration simply waits its turn")
    engine = open_engine(database_url)
    config = migration_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0014")
    with engine.connect() as node_connection:  # a node storing a big file holds the outbox
        node_connection.execute(text("LOCK TABLE outbox IN ACCESS SHARE MODE"))
        with pytest.raises(UpgradeBlocked, match=r"nothing changed.*again in a minute"):
            upgrade(engine)
        node_connection.rollback()
    assert current_revision(engine) == "0014"
    assert upgrade(engine) == ("0014", head_revision())  # once the node's transaction ended


# --- gateway nodes ------------------------------------------------------------------------------
def test_gateway_nodes_lists_each_node_its_state_and_what_it_holds(
        tmp_path: Path, database_url: str) -> None:
    (tmp_path / "config.yaml").write_text(f"store: {{url: '{database_url}'}}\n")
    assert run_gateway("db", "upgrade", cwd=tmp_path).returncode == 0
    empty = run_gateway("nodes", cwd=tmp_path)
    assert empty.returncode == 0 and "no node has run on this store yet" in empty.stdout
    engine = open_engine(database_url)
    store = SqlStore(engine)  # the real clock: `gateway nodes` reads the database's
    now = store.database_now()
    alive = PartnerLeases(store, NodeRecord("id-alive", "node-a", "h1", 11, now, now),
                          lease=LEASE)
    alive.start(2)
    assert alive.may_poll("acme") and alive.may_poll("zenith")
    hostile = PartnerLeases(store, NodeRecord("id-b", "node-b\x1b[2J", "h2", 12, now, now),
                            lease=LEASE)
    hostile.start(2)
    hostile.stop()
    store.register_node(NodeRecord("id-dead", "node-c", "h3", 13, now - 2 * LEASE,
                                   now - 2 * LEASE))
    listed = json.loads(run_gateway("nodes", "--format", "json", cwd=tmp_path).stdout)
    assert [n["name"] for n in listed][-1] == "node-c"  # newest first
    by_name = {n["name"]: n for n in listed}
    assert by_name["node-a"]["partners"] == ["acme", "zenith"] and by_name["node-a"]["alive"]
    assert by_name["node-b\x1b[2J"]["state"] == "stopped"
    assert by_name["node-c"]["state"] == "dead" and not by_name["node-c"]["alive"]
    text = run_gateway("nodes", cwd=tmp_path).stdout
    assert "node-a  alive  pid 11 on h1" in text and "holds: acme, zenith" in text
    assert "\x1b" not in text and "node-b\\x1b[2J  stopped" in text  # escaped, never raw
    engine.dispose()
