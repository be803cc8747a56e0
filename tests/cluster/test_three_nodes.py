"""Several `gateway run` nodes on one PostgreSQL (issue "Several gateway nodes on one
PostgreSQL"), against a real PostgreSQL and a real OpenSSH sshd (conftest.py).

`test_three_nodes_share_ten_partners_and_survive_a_kill`: three nodes start on ten partners
with empty folders; once every node holds a partner lease, the partners leave 100
files each (1,000) at once. The files come after the spread, not before the start, because the
node that starts first is alone at its first heartbeat, takes every partner, and gives back only
partners it is not polling: with a backlog at start, one node does the whole first wave and the
kill would test a cluster that has not spread yet (the steady state, where files arrive while the
nodes run, is what the issue is about). Each partner's first poll after the drop takes its 100
files in one session that outlasts cluster.lease_seconds, so the holder must renew its lease
while it works, or another node would poll the same partner meanwhile. Once a tenth of the files
are processed, the node that holds a partner whose SFTP session is open (mid-poll) is
SIGKILLed. Then, after all files are done and the survivors stopped with SIGTERM, it checks:

- the store: the 1,000 files are 1,000 accepted rows with distinct SHA-256 (a file the dead node
  had begun is that same row, resumed); a `duplicate` row (the dead node committed a file but did
  not yet delete the partner's copy) only for its partners, one at most each; exactly one 997
  outbox row per file, all sent; no alert at all in alerts_raised (no false partner-unreachable),
  nor "partner-unreachable" on any node's stderr;
- the partners' folders: every inbound folder empty, each outbound folder exactly its 100 997s;
- sshd's side (what internal-sftp logged, in arrival order): no partner user ever had two
  sessions open at once; every 997 was renamed into place once (twice only for a partner of the
  dead node: killed between the upload and marking it sent, it is sent again under the same
  name); each partner the dead node held had a session opened by another node within
  lease_seconds + the poll interval + TAKEOVER_SLACK of the kill;
- the cluster: files were taken by at least two nodes before the kill; `gateway nodes
  --format json` shows the dead node not alive and holding nothing, the survivors holding all ten
  partners; the survivors exit 0 on SIGTERM, recorded as stopped, with no traceback.

Every check is collected and reported together, so one run says everything that went wrong.

`test_a_file_one_node_took_replays_on_another_from_the_database_archive`: with
``archive: {backend: database}`` and an archive folder of its own per node, a file one node took
is replayed by `gateway replay '#N'` in another node's workspace, whose folder never held it.

Run: .venv/bin/pytest tests/cluster -v   (root, sshd, unshare and PostgreSQL binaries needed;
skipped without them, failed under CI).
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from tests.cluster.conftest import (
    CLOSED,
    CLUSTER_USERS,
    LEASE_SECONDS,
    OPENED,
    POLL_EVERY_SECONDS,
    PUBLISHED,
    ClusterSshd,
    Node,
    drop_files,
    gateway,
    node_workspace,
    start_node,
    stop_node,
    wait_until,
)

PARTNERS = list(CLUSTER_USERS)  # c01 .. c10
FILES_PER_PARTNER = 100
NODE_NAMES = ("node-a", "node-b", "node-c")
KILL_AFTER = 100  # files processed before the kill: every partner still has work
TAKEOVER_SLACK = 30.0  # seconds past lease + poll interval, for a loaded 2-core machine
STOP_SECONDS = 30.0  # a node stops within this of SIGTERM (its polls are short by then)
ACK = re.compile(r"^997_\d{9}\.x12$")


# --- the store, read with plain SQL --------------------------------------------------------------
@contextmanager
def store_engine(url: str) -> Iterator[Engine]:
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def rows(engine: Engine, sql: str, **params: str) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(sql), params)]


def processed_count(engine: Engine) -> int:
    """Distinct files (by SHA-256) the store has finished, duplicates aside."""
    found = rows(engine, "SELECT count(DISTINCT sha256) AS n FROM received_files "
                         "WHERE state NOT IN ('received', 'duplicate')")
    return int(found[0]["n"])


def lease_holders(engine: Engine) -> dict[str, str]:
    """Partner: the name of the node whose lease on it has not run out."""
    return {row["partner"]: row["name"] for row in rows(
        engine, 'SELECT l.partner, n.name FROM partner_leases l JOIN nodes n ON n.id = l.node '
                'WHERE l."until" > now()')}


def pending_outbox(engine: Engine) -> int:
    return len(rows(engine, "SELECT id FROM outbox WHERE state = 'pending'"))


# --- what sshd saw -------------------------------------------------------------------------------
def session_events(lines: list[tuple[float, str]]) -> list[tuple[float, str, str, int]]:
    """(stamp, "open" | "close", user, pid) for each internal-sftp session line, in order."""
    events = []
    for stamp, line in lines:
        for kind, pattern in (("open", OPENED), ("close", CLOSED)):
            if found := pattern.search(line):
                events.append((stamp, kind, found.group(2), int(found.group(1))))
    return events


def open_sessions(lines: list[tuple[float, str]]) -> Counter[str]:
    """Per user, the sessions open after ``lines`` (opened and not yet closed)."""
    count: Counter[str] = Counter()
    for _stamp, kind, user, _pid in session_events(lines):
        count[user] += 1 if kind == "open" else -1
    return +count


def overlapping_sessions(lines: list[tuple[float, str]]) -> list[str]:
    """Each moment a user had a second session open while another was (the first few)."""
    open_now: dict[str, dict[int, float]] = defaultdict(dict)
    overlaps = []
    for stamp, kind, user, pid in session_events(lines):
        if kind == "close":
            open_now[user].pop(pid, None)
            continue
        if open_now[user]:
            others = ", ".join(f"pid {p} opened at {t:.2f}" for p, t in open_now[user].items())
            overlaps.append(f"{user}: session pid {pid} opened at {stamp:.2f} while {others}")
        open_now[user][pid] = stamp
    return overlaps


def longest_session(lines: list[tuple[float, str]]) -> float:
    """The longest internal-sftp session seen, in seconds."""
    opened: dict[int, float] = {}
    longest = 0.0
    for stamp, kind, _user, pid in session_events(lines):
        if kind == "open":
            opened[pid] = stamp
        elif pid in opened:
            longest = max(longest, stamp - opened.pop(pid))
    return longest


def publications(lines: list[tuple[float, str]]) -> Counter[tuple[str, str]]:
    """How many times each (partner, name) was renamed into a partner's outbound folder."""
    return Counter((found.group(1), found.group(2)) for _stamp, line in lines
                   if (found := PUBLISHED.search(line)))


def first_session_after(lines: list[tuple[float, str]], user: str, after: float) -> float | None:
    return next((stamp for stamp, kind, who, _pid in session_events(lines)
                 if kind == "open" and who == user and stamp > after), None)


# --- the checks (each returns what is wrong, in words) -------------------------------------------
def file_problems(engine: Engine, victim_partners: set[str], in_flight: list[int]) -> list[str]:
    files = rows(engine, "SELECT id, partner, sha256, state, duplicate_of FROM received_files")
    originals = [f for f in files if f["state"] != "duplicate"]
    duplicates = [f for f in files if f["state"] == "duplicate"]
    problems = []
    expected = len(PARTNERS) * FILES_PER_PARTNER
    by_sha = Counter(f["sha256"] for f in originals)
    if len(originals) != expected or len(by_sha) != expected:
        twice = [sha[:12] for sha, n in by_sha.items() if n > 1][:5]
        problems.append(f"received_files: {len(originals)} rows that are not duplicates, "
                        f"{len(by_sha)} distinct SHA-256, expected {expected} of each "
                        f"(stored more than once: {twice})")
    states = Counter(f["state"] for f in originals)
    if set(states) != {"accepted"}:
        problems.append(f"file states other than accepted: {dict(states)}")
    per_partner = Counter(f["partner"] for f in duplicates)
    wrong = {p: n for p, n in per_partner.items() if p not in victim_partners or n > 1}
    if wrong:
        problems.append(f"duplicate rows {dict(per_partner)}: only a partner of the killed node "
                        f"({sorted(victim_partners)}) may have one (committed, copy not yet "
                        f"deleted when it died); offending: {wrong}")
    state_of = {f["id"]: f["state"] for f in files}
    unfinished = {i: state_of.get(i) for i in in_flight if state_of.get(i) != "accepted"}
    if unfinished:
        problems.append(f"files being processed at the kill did not end accepted: {unfinished}")
    return problems


def outbox_problems(engine: Engine) -> list[str]:
    acks = rows(engine, "SELECT file_id, state FROM outbox WHERE kind = '997'")
    accepted = {f["id"] for f in rows(
        engine, "SELECT id FROM received_files WHERE state = 'accepted'")}
    per_file = Counter(a["file_id"] for a in acks)
    problems = []
    if set(per_file) != accepted or any(n != 1 for n in per_file.values()):
        problems.append(f"outbox: {len(acks)} 997 rows for {len(per_file)} files; expected one "
                        f"for each of the {len(accepted)} accepted files (several for "
                        f"{[i for i, n in per_file.items() if n > 1][:5]}, none for "
                        f"{sorted(accepted - set(per_file))[:5]})")
    states = Counter(a["state"] for a in acks)
    if set(states) - {"sent"}:
        problems.append(f"997 outbox rows not all sent: {dict(states)}")
    others = rows(engine, "SELECT kind, state, count(*) AS n FROM outbox WHERE kind <> '997' "
                          "GROUP BY kind, state")
    if others:
        problems.append(f"outbox rows other than 997s (the partners are owed none): {others}")
    return problems


def folder_problems(server: ClusterSshd) -> list[str]:
    problems = []
    for user in PARTNERS:
        left = sorted(p.name for p in server.inbound(user).iterdir())
        if left:
            problems.append(f"{user}: {len(left)} files left in its inbound folder: {left[:5]}")
        published = sorted(p.name for p in server.outbound(user).iterdir())
        acks = [name for name in published if ACK.match(name)]
        if len(acks) != FILES_PER_PARTNER or len(acks) != len(published):
            problems.append(f"{user}: outbound folder holds {len(acks)} 997s (expected "
                            f"{FILES_PER_PARTNER}) and {len(published) - len(acks)} other "
                            f"files: {[n for n in published if not ACK.match(n)][:5]}")
    return problems


def sshd_problems(lines: list[tuple[float, str]], victim_partners: set[str]) -> list[str]:
    problems = []
    if overlaps := overlapping_sessions(lines):
        problems.append(f"{len(overlaps)} times a partner user had two SFTP sessions open at "
                        "once (two nodes polling one partner), e.g.:\n  "
                        + "\n  ".join(overlaps[:10]))
    counts = publications(lines)
    again = {key: n for key, n in counts.items() if n > 1}
    allowed = Counter(user for (user, _name), n in again.items()
                      if user in victim_partners and n == 2)
    wrong = {key: n for key, n in again.items()
             if key[0] not in victim_partners or n > 2 or allowed[key[0]] > 1}
    if wrong:
        problems.append(f"997s renamed into place more than once: {dict(list(wrong.items())[:10])}"
                        f" ({len(wrong)} names); only a partner of the killed node may have one "
                        "sent twice (killed between upload and marking it sent, it is sent "
                        f"again under the same name): {sorted(victim_partners)}")
    acks = sum(1 for (_user, name) in counts if ACK.match(name))
    if acks != len(PARTNERS) * FILES_PER_PARTNER:
        problems.append(f"sshd saw {acks} distinct 997 names published, expected "
                        f"{len(PARTNERS) * FILES_PER_PARTNER}")
    return problems


def takeover_seconds(lines: list[tuple[float, str]], victim_partners: set[str],
                     killed_at: float) -> dict[str, float | None]:
    """Per partner of the dead node, seconds from the kill to its next session (a session
    opened a second after the kill cannot be the dead node's); None: there was none."""
    found = {}
    for user in sorted(victim_partners):
        opened = first_session_after(lines, user, killed_at + 1.0)
        found[user] = None if opened is None else round(opened - killed_at, 1)
    return found


def takeover_problems(lines: list[tuple[float, str]], victim_partners: set[str],
                      killed_at: float) -> list[str]:
    """Each partner of the dead node polled again by another node in time."""
    limit = LEASE_SECONDS + POLL_EVERY_SECONDS + TAKEOVER_SLACK
    return [f"{user} (held by the killed node) polled again "
            f"{'never' if after is None else f'{after} s after the kill'}; expected within "
            f"{limit:.0f} s (lease {LEASE_SECONDS} + poll interval {POLL_EVERY_SECONDS} + "
            f"slack {TAKEOVER_SLACK:.0f})"
            for user, after in takeover_seconds(lines, victim_partners, killed_at).items()
            if after is None or after > limit]


def alert_problems(engine: Engine, nodes: list[Node]) -> list[str]:
    problems = []
    if raised := rows(engine, "SELECT id, kind, partner, node FROM alerts_raised"):
        problems.append(f"alerts raised (none is due: every partner stayed reachable and every "
                        f"file is valid): {raised[:10]}")
    for node in nodes:
        said = [line for line in node.stderr().splitlines() if "partner-unreachable" in line]
        if said:
            problems.append(f"{node.name} logged partner-unreachable: {said[:3]}")
    return problems


def nodes_listing(node: Node, store_url: str) -> list[dict[str, Any]]:
    """`gateway nodes --format json` in the node's workspace ([] if it fails)."""
    done = gateway(node, store_url, "nodes", "--format", "json")
    try:
        listed = json.loads(done.stdout) if done.returncode == 0 else []
    except json.JSONDecodeError:
        return []
    return listed if isinstance(listed, list) else []


def nodes_command_problems(node: Node, store_url: str, victim: str) -> list[str]:
    """`gateway nodes --format json` from a survivor comes to show the killed node not alive
    and holding nothing, and the live nodes holding every partner once between them (waited
    for: a partner given back is unheld until another node takes it at its next poll)."""
    listed: list[dict[str, Any]] = []

    def settled() -> bool:
        nonlocal listed
        listed = nodes_listing(node, store_url)
        dead = [n for n in listed if n.get("name") == victim]
        held = sorted(p for n in listed if n.get("alive") for p in n.get("partners", []))
        return (len(dead) == 1 and dead[0].get("alive") is False and not dead[0].get("partners")
                and held == sorted(PARTNERS))

    if wait_until(settled, LEASE_SECONDS + TAKEOVER_SLACK, every=1.0):
        return []
    return [f"gateway nodes --format json never showed {victim} not alive and holding nothing "
            f"while the live nodes hold each of the {len(PARTNERS)} partners once; last: "
            f"{listed}"]


def stop_problems(engine: Engine, survivors: list[Node], victim: str) -> list[str]:
    """SIGTERM to each survivor: it exits 0 and its row says it stopped; the killed node's
    row does not."""
    problems = []
    for node in survivors:
        status = stop_node(node, STOP_SECONDS)
        if status != 0:
            said = f"did not stop within {STOP_SECONDS:.0f} s (stacks from SIGABRT)" \
                if status < -1000 else f"exited {status}"
            problems.append(f"{node.name} {said} on SIGTERM:\n{without_paramiko(node)[-6000:]}")
            continue
        recorded = rows(engine, "SELECT stopped_at FROM nodes WHERE name = :name",
                        name=node.name)
        if not recorded or any(r["stopped_at"] is None for r in recorded):
            problems.append(f"{node.name} stopped cleanly but nodes.stopped_at is not set")
    if any(r["stopped_at"] is not None for r in rows(
            engine, "SELECT stopped_at FROM nodes WHERE name = :name", name=victim)):
        problems.append(f"{victim} was killed, yet nodes.stopped_at says it stopped cleanly")
    return problems


def without_paramiko(node: Node) -> str:
    """The node's stderr without paramiko's lines (a few at every connection)."""
    return "\n".join(line for line in node.stderr().splitlines()
                     if '"logger": "paramiko' not in line)


def traceback_problems(nodes: list[Node]) -> list[str]:
    return [f"{node.name} logged a traceback:\n{without_paramiko(node)[-3000:]}"
            for node in nodes if "Traceback" in node.stderr()]


# --- the run -------------------------------------------------------------------------------------
def start_cluster(tmp_path: Path, server: ClusterSshd, store_url: str,
                  cluster_nodes: list[Node], *, names: tuple[str, ...], partners: list[str],
                  backend: str = "filesystem") -> list[Node]:
    """One workspace per node (a shared archive folder, or one each with the database
    backend), the schema made once, then every node started."""
    nodes = []
    for name in names:
        archive = tmp_path / ("archive" if backend == "filesystem" else f"archive-{name}")
        nodes.append(node_workspace(tmp_path / name, name, server, partners, archive=archive,
                                    backend=backend))
    upgrade = gateway(nodes[0], store_url, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    for node in nodes:
        start_node(node, store_url)
        cluster_nodes.append(node)
    return nodes


def note_holders(engine: Engine, seen_holders: dict[str, set[str]]) -> dict[str, str]:
    holders = lease_holders(engine)
    for partner, name in holders.items():
        seen_holders[partner].add(name)
    return holders


def wait_for_spread(engine: Engine, seen_holders: dict[str, set[str]], nodes: int,
                    seconds: float) -> bool:
    """Whether every node came to hold at least one partner within ``seconds``."""
    return wait_until(lambda: len(set(note_holders(engine, seen_holders).values())) == nodes,
                      seconds, every=0.25)


def wait_for_progress(engine: Engine, count: int, seconds: float,
                      seen_holders: dict[str, set[str]]) -> bool:
    def enough() -> bool:
        note_holders(engine, seen_holders)
        return processed_count(engine) >= count

    return wait_until(enough, seconds, every=0.25)


def choose_victim(engine: Engine, server: ClusterSshd, mark: int, nodes: list[Node],
                  seen_holders: dict[str, set[str]]) -> tuple[Node, dict[str, str]] | None:
    """A running node holding the lease of a partner whose SFTP session is open now (mid-poll),
    with the leases as they were; None if there was none within the deadline."""
    running = {node.name: node for node in nodes if node.running()}
    chosen: tuple[Node, dict[str, str]] | None = None

    def found() -> bool:
        nonlocal chosen
        holders = note_holders(engine, seen_holders)
        for partner in open_sessions(server.log.since(mark)):
            if holders.get(partner) in running:
                chosen = running[holders[partner]], holders
                return True
        return False

    wait_until(found, 60, every=0.05)
    return chosen


def taken_before(nodes: list[Node], moment: datetime) -> dict[str, int]:
    """Per node, the files its log says it took before ``moment`` (a wall-clock time)."""
    return {node.name: sum(1 for r in node.records() if ": took " in r.get("message", "")
                           and datetime.fromisoformat(r["time"]) < moment) for node in nodes}


def all_done(engine: Engine, server: ClusterSshd) -> bool:
    published = sum(len([p for p in server.outbound(user).iterdir() if ACK.match(p.name)])
                    for user in PARTNERS)
    return (published >= len(PARTNERS) * FILES_PER_PARTNER
            and processed_count(engine) >= len(PARTNERS) * FILES_PER_PARTNER
            and pending_outbox(engine) == 0)


def sessions_closed(server: ClusterSshd, mark: int) -> bool:
    return not open_sessions(server.log.since(mark))


def test_three_nodes_share_ten_partners_and_survive_a_kill(
        cluster_sshd: ClusterSshd, cluster_database: str, cluster_nodes: list[Node],
        tmp_path: Path) -> None:
    server, url = cluster_sshd, cluster_database
    server.empty_folders()
    mark = server.log.mark()
    problems: list[str] = []
    seen_holders: dict[str, set[str]] = defaultdict(set)
    with store_engine(url) as engine:
        nodes = start_cluster(tmp_path, server, url, cluster_nodes, names=NODE_NAMES,
                              partners=PARTNERS)
        started = time.monotonic()
        # The files come once the partners are spread (module docstring); if they never are,
        # the test goes on and the spread check below says whether two nodes shared the work.
        spread = wait_for_spread(engine, seen_holders, len(nodes), 60)
        spread_at = time.monotonic()
        drop_files(server, PARTNERS, FILES_PER_PARTNER)
        if not wait_for_progress(engine, KILL_AFTER, 120, seen_holders):
            problems.append(f"only {processed_count(engine)} files processed in 120 s")
        chosen = choose_victim(engine, server, mark, nodes, seen_holders)
        if chosen is None:  # without leases (the code before this issue): kill one anyway
            problems.append(f"no node held the lease of a partner being polled within 60 s "
                            f"(leases seen: {dict(seen_holders)})")
            chosen = nodes[0], {}
        victim, holders = chosen
        victim_partners = {p for p, name in holders.items() if name == victim.name}
        in_flight = [f["id"] for f in rows(
            engine, "SELECT id FROM received_files WHERE state = 'received'")]
        assert victim.process is not None
        victim.process.send_signal(signal.SIGKILL)
        killed_at, killed_wall = time.monotonic(), datetime.now(UTC)
        victim.process.wait(timeout=10)
        in_flight = sorted(set(in_flight) | {f["id"] for f in rows(
            engine, "SELECT id FROM received_files WHERE state = 'received'")})
        survivors = [node for node in nodes if node is not victim]
        if not wait_until(lambda: all_done(engine, server), 180, every=0.5):
            problems.append(f"not done 180 s after the kill: {processed_count(engine)} files "
                            f"processed, {pending_outbox(engine)} outbox rows pending")
        done_at = time.monotonic()
        problems += nodes_command_problems(survivors[0], url, victim.name)
        problems += stop_problems(engine, survivors, victim.name)
        if not wait_until(lambda: sessions_closed(server, mark), 15):
            problems.append("SFTP sessions still open 15 s after every node stopped: "
                            f"{dict(open_sessions(server.log.since(mark)))}")
        lines = server.log.since(mark)
        before_kill = taken_before(nodes, killed_wall)
        if sum(1 for n in before_kill.values() if n) < 2:
            problems.append(f"files taken before the kill, per node: {before_kill}: the work "
                            "was not spread over at least two nodes")
        problems += file_problems(engine, victim_partners, in_flight)
        problems += outbox_problems(engine)
        problems += folder_problems(server)
        problems += sshd_problems(lines, victim_partners)
        problems += takeover_problems(lines, victim_partners, killed_at)
        problems += alert_problems(engine, nodes)
        problems += traceback_problems(nodes)
    summary = "; ".join([
        f"leases {'held by every node' if spread else 'NOT held by every node'} at "
        f"{spread_at - started:.1f} s ({dict(seen_holders)})",
        f"killed {victim.name} at {killed_at - started:.1f} s holding "
        f"{sorted(victim_partners)} (in flight: {in_flight})",
        f"its partners polled again after {takeover_seconds(lines, victim_partners, killed_at)} s",
        f"all done at {done_at - started:.1f} s",
        f"longest SFTP session {longest_session(lines):.1f} s",
        f"997s renamed into place twice: "
        f"{sorted(k for k, n in publications(lines).items() if n > 1)}",
        f"files taken per node before the kill {before_kill}, in all "
        f"{taken_before(nodes, datetime.now(UTC))}",
        f"sshd log: {server.log.path}; node logs under {tmp_path}"])
    assert not problems, "\n\n".join([*problems, summary])
    print(summary)


def test_a_file_one_node_took_replays_on_another_from_the_database_archive(
        cluster_sshd: ClusterSshd, cluster_database: str, cluster_nodes: list[Node],
        tmp_path: Path) -> None:
    server, url = cluster_sshd, cluster_database
    partners, per_partner = PARTNERS[:3], 20
    server.empty_folders()
    drop_files(server, partners, per_partner)
    with store_engine(url) as engine:
        nodes = start_cluster(tmp_path, server, url, cluster_nodes, names=NODE_NAMES[:2],
                              partners=partners, backend="database")
        done = wait_until(lambda: processed_count(engine) >= len(partners) * per_partner, 120)
        assert done, f"only {processed_count(engine)} of {len(partners) * per_partner} files"
        files = {f["id"]: f for f in rows(engine, "SELECT id, sha256 FROM received_files")}
    taker, file_id = next(((node, int(r["file_id"])) for node in nodes for r in node.records()
                           if ": took " in r.get("message", "") and "file_id" in r), (None, 0))
    assert taker is not None, "no node logged a file it took"
    replayer = next(node for node in nodes if node is not taker)
    sha256 = files[file_id]["sha256"]
    kept_here = [p for p in (tmp_path / f"archive-{replayer.name}").rglob("*") if sha256 in str(p)]
    assert kept_here == [], f"{replayer.name}'s own archive folder holds the file: {kept_here}"
    # While the nodes run, as an admin would: the replay reads the bytes from the database.
    replay = gateway(replayer, url, "replay", f"#{file_id}")
    assert replay.returncode == 0, (f"{replayer.name} could not replay file #{file_id} "
                                    f"{taker.name} took:\n{replay.stdout}\n{replay.stderr}")
    assert f"file #{file_id} " in replay.stdout and "-> accepted" in replay.stdout, replay.stdout
    for node in nodes:
        status = stop_node(node, STOP_SECONDS)
        assert status == 0, (f"{node.name} did not stop cleanly on SIGTERM ({status}):\n"
                             f"{without_paramiko(node)[-6000:]}")
    assert not traceback_problems(nodes), traceback_problems(nodes)
    assert "Traceback" not in replay.stderr, replay.stderr
