"""Several `gateway run` nodes on one real PostgreSQL and one real OpenSSH sshd.

sshd: run as tests/transport/conftest.py runs it (root, in a private mount namespace made by
``unshare -m``, chrooted partner users that exist only for sshd through bind-mounted copies of
/etc/passwd and /etc/shadow), for the ten users of CLUSTER_USERS. Its helpers are imported from
there; its ``_partner_chroots`` is bound to that module's three users, so the few lines that make
the chroots are repeated here for ours.

What sshd saw is the witness of the tests. Partner users run ``internal-sftp -l INFO``, which
logs each session and file operation (``session opened for local user c01 from [127.0.0.1]``,
``open "/c01-in/f.x12" ...``, ``posix-rename old ... new "/c01-out/997_000000001.x12"``,
``session closed ...``). Chrooted, it logs through syslog to the chroot's own /dev/log, not to
sshd's stderr (checked: with ``-D -e`` only sshd's own lines arrive there), so the fixture binds
a datagram socket at /dev/log in each chroot and one thread reads them all; each line keeps its
process id (``internal-sftp[812]: ...``), which pairs a session's open and close. A user's lines
come through its one socket in the order they were sent. sshd's own stderr (LogLevel VERBOSE:
``Accepted publickey for c01``, ``Close session: user c01 ...``) is read by another thread into
the same `SshdLog`: every line is stamped with ``time.monotonic()`` as it arrives and copied to
``sshd.log`` for failure messages. Each partner's folders are named after it (``/c01-in``,
``/c01-out``), so a file operation names its partner by its path too. The fixture checks at start
that these lines really appear (`_check_sftp_logging`): a change in OpenSSH's logging fails the
tests loudly instead of letting the overlap check pass on silence.

PostgreSQL: `tests.store.conftest.postgres_server`, a fresh database per test.
Nodes: each has a workspace of its own (config.yaml naming ``cluster.node``, the same partner
files, keys/known_hosts); `cluster_nodes` kills any node a failed test left running.
"""

from __future__ import annotations

import io
import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import paramiko
import pytest

from bench.small_files import _numbered
from tests.store.conftest import (  # noqa: F401  (postgres_server: a fixture used below)
    fresh_postgres_database,
    postgres_server,
)
from tests.transport.conftest import (
    SSHD,
    _free_port,
    _keygen,
    _partner_chroots,
    _unavailable,
    _wait_for_port,
)

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "samples" / "valid"
CLUSTER_USERS = {f"c{n:02d}": 2100 + n for n in range(1, 11)}  # partner user: uid
STORE_ENV = "GATEWAY_TEST_STORE"  # config.yaml's store.url_env in every node's workspace
# cluster.lease_seconds, cluster.heartbeat_seconds, processing.lease_seconds of every node
LEASE_SECONDS, HEARTBEAT_SECONDS, PROCESSING_LEASE_SECONDS = 6, 2, 20
POLL_EVERY_SECONDS = 1  # every partner's schedule

SSHD_CONFIG = """\
ListenAddress 127.0.0.1
HostKey {base}/host_ed25519
PidFile {base}/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers {users}
AllowTcpForwarding no
X11Forwarding no
LogLevel VERBOSE
MaxStartups 200:30:400
Subsystem sftp internal-sftp
Match User {user_list}
  AuthorizedKeysFile /srv/partners/.authorized_keys
  ChrootDirectory /srv/partners/%u
  ForceCommand internal-sftp -l INFO
"""

# internal-sftp's lines, as `SshdLog.read_syslog` keeps them: each names its process
OPENED = re.compile(r"\[(\d+)\]: session opened for local user (\S+) from")
CLOSED = re.compile(r"\[(\d+)\]: session closed for local user (\S+) from")
PUBLISHED = re.compile(r'posix-rename old "[^"]*" new "/(c\d\d)-out/([^"/]+)"')


# --- sshd and what it logged ---------------------------------------------------------------------
@dataclass
class SshdLog:
    """sshd's stderr and internal-sftp's syslog lines, each stamped with time.monotonic() on
    arrival (module docstring)."""

    path: Path
    lines: list[tuple[float, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def mark(self) -> int:
        """Where the log is now: `since` a mark is what happened after it."""
        with self.lock:
            return len(self.lines)

    def since(self, mark: int) -> list[tuple[float, str]]:
        with self.lock:
            return self.lines[mark:]

    def add(self, line: str) -> None:
        stamp = time.monotonic()
        with self.lock:
            self.lines.append((stamp, line))
            with self.path.open("a", encoding="utf-8") as copy:
                copy.write(f"{stamp:.3f} {line}\n")

    def read_stderr(self, stream: IO[bytes]) -> None:
        """sshd's stderr, until sshd closes its end of the pipe (a thread's loop)."""
        for raw in stream:
            self.add(raw.decode("utf-8", "replace").rstrip("\r\n"))

    def read_syslog(self, sockets: dict[str, socket.socket], stop: threading.Event) -> None:
        """internal-sftp's syslog datagrams from each chroot's /dev/log (a thread's loop),
        each as "chroot <user>: internal-sftp[<pid>]: <message>"."""
        with selectors.DefaultSelector() as selector:
            for user, sock in sockets.items():
                selector.register(sock, selectors.EVENT_READ, user)
            while not stop.is_set():
                for key, _events in selector.select(timeout=0.2):
                    datagram = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    self.add(f"chroot {key.data}: {_syslog_message(datagram)}")

    def tail(self, count: int = 60) -> str:
        with self.lock:
            return "\n".join(line for _stamp, line in self.lines[-count:])


@dataclass
class ClusterSshd:
    port: int
    root: Path  # root / "partners" / <user> is that user's chroot as the tests see it
    key: Path  # the partners' private key (one for all of them)
    known_hosts: Path
    log: SshdLog
    pid: int

    def home(self, user: str) -> Path:
        assert user in CLUSTER_USERS, user
        return self.root / "partners" / user

    def inbound(self, user: str) -> Path:
        """The folder the partner drops files in: "/<user>-in" for the partner."""
        return self.home(user) / f"{user}-in"

    def outbound(self, user: str) -> Path:
        """The folder the gateway publishes to: "/<user>-out" for the partner."""
        return self.home(user) / f"{user}-out"

    def empty_folders(self) -> None:
        """The chroots outlive each test: every test starts with empty folders."""
        for user in CLUSTER_USERS:
            for folder in (self.inbound(user), self.outbound(user)):
                for leftover in folder.iterdir():
                    leftover.unlink()


def _syslog_message(datagram: bytes) -> str:
    """A syslog datagram without its priority and time: "internal-sftp[812]: open ..."."""
    line = datagram.decode("utf-8", "replace").rstrip("\n\x00")
    return re.sub(r"^<\d+>(\w{3} [ \d]\d \d\d:\d\d:\d\d )?", "", line)


def _syslog_sockets(root: Path) -> dict[str, socket.socket]:
    """A /dev/log in each partner's chroot, where its chrooted internal-sftp sends its lines
    (it logs through syslog, not sshd's stderr, and finds no other /dev/log there)."""
    sockets = {}
    for user in CLUSTER_USERS:
        dev = root / "partners" / user / "dev"
        dev.mkdir(mode=0o755)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sock.bind(str(dev / "log"))
        (dev / "log").chmod(0o666)  # the partner's process writes to it
        sockets[user] = sock
    return sockets


def sftp_client(server: ClusterSshd, user: str) -> paramiko.SSHClient:
    """The test's own connection as ``user`` (host key pinned)."""
    client = paramiko.SSHClient()
    client.load_host_keys(str(server.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect("127.0.0.1", port=server.port, username=user, key_filename=str(server.key),
                   look_for_keys=False, allow_agent=False, timeout=10)
    return client


def _check_sftp_logging(server: ClusterSshd) -> None:
    """One session of our own that publishes as the gateway does (upload, posix-rename): the
    lines the tests count must appear, or the tests would prove nothing."""
    mark, user = server.log.mark(), next(iter(CLUSTER_USERS))
    client = sftp_client(server, user)
    try:
        sftp = client.open_sftp()
        sftp.putfo(io.BytesIO(b"probe"), f"/{user}-out/.probe.part")
        sftp.posix_rename(f"/{user}-out/.probe.part", f"/{user}-out/probe")
        sftp.remove(f"/{user}-out/probe")
    finally:
        client.close()

    def seen() -> bool:
        lines = [line for _stamp, line in server.log.since(mark)]
        return (any(OPENED.search(line) for line in lines)
                and any(PUBLISHED.search(line) for line in lines)
                and any(CLOSED.search(line) for line in lines))

    if not wait_until(seen, 10):
        pytest.fail("sshd did not log the SFTP session lines the cluster tests count "
                    f"(session opened / posix-rename / session closed):\n{server.log.tail()}")


@pytest.fixture(scope="session")
def cluster_sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterSshd]:
    if not SSHD.exists():
        _unavailable(f"{SSHD} is missing (apt-get install openssh-server)")
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        _unavailable("the real-sshd tests need root and unshare (for sshd's chroot)")
    base = tmp_path_factory.mktemp("cluster-sshd")
    root = base / "chroot"
    root.mkdir(mode=0o755)
    host_public = _keygen(base / "host_ed25519", "ed25519")
    client_public = _keygen(base / "partner_ed25519", "ed25519")
    (base / "sshd_config").write_text(SSHD_CONFIG.format(
        base=base, users=" ".join(CLUSTER_USERS), user_list=",".join(CLUSTER_USERS)))
    # folders named after their user: every file operation sshd logs names its partner
    _partner_chroots(root, base, CLUSTER_USERS, lambda user: (f"{user}-in", f"{user}-out"))
    # sshd reads a user's keys as that user, who cannot enter the test's private temp folder.
    (root / "partners" / ".authorized_keys").write_text(client_public + "\n")
    (root / "partners" / ".authorized_keys").chmod(0o644)
    port = _free_port()
    known_hosts = base / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {' '.join(host_public.split()[:2])}\n")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation; systemd's job
    log, stop = SshdLog(base / "sshd.log"), threading.Event()
    sockets = _syslog_sockets(root)
    command = (f"mount --bind {root} /srv && mount --bind {base}/passwd /etc/passwd && "
               f"mount --bind {base}/shadow /etc/shadow && "
               f"exec {SSHD} -D -e -f {base}/sshd_config -p {port}")
    # exec: this PID is sshd itself, so terminating it stops the server. Every sshd process
    # (listener, per-connection monitors, internal-sftp) writes into this one pipe.
    process = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    readers = [threading.Thread(target=log.read_stderr, args=(process.stdout,), daemon=True),
               threading.Thread(target=log.read_syslog, args=(sockets, stop), daemon=True)]
    for reader in readers:
        reader.start()
    try:
        _wait_for_port(port, process, log.path)
        server = ClusterSshd(port, root, base / "partner_ed25519", known_hosts, log,
                             process.pid)
        _check_sftp_logging(server)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)
        stop.set()
        for reader in readers:
            reader.join(timeout=10)
        for sock in sockets.values():
            sock.close()


# --- PostgreSQL ----------------------------------------------------------------------------------
@pytest.fixture
def cluster_database(postgres_server: str) -> Iterator[str]:  # noqa: F811
    """A fresh, empty PostgreSQL database for one test: its URL."""
    with fresh_postgres_database(postgres_server) as url:
        yield url


# --- partner files and X12 files -----------------------------------------------------------------
def isa_id(user: str) -> str:
    """The partner's X12 sender id: ISA06 (ZZ qualifier) and GS02."""
    return user.upper()


def partner_yaml(user: str, server: ClusterSshd) -> str:
    """A retailer (it sends 180s and 856s) with no returns policy and no status updates:
    the only thing it is owed is a 997 for each file."""
    return (f"id: {user}\nname: Cluster partner {user}\nrole: retailer\n"
            f"x12: {{isa_qualifier: ZZ, isa_id: {isa_id(user)}, gs_id: {isa_id(user)}}}\n"
            f"transport: {{type: sftp, host: 127.0.0.1, port: {server.port},\n"
            f"  username: {user}, private_key: {{file: '{server.key}'}},\n"
            f"  known_hosts: keys/known_hosts, inbound: /{user}-in, outbound: /{user}-out,\n"
            "  patterns: ['*.x12']}\n"
            f"schedule: {{every: {POLL_EVERY_SECONDS}s}}\n")


def x12_file(user: str, number: int) -> str:
    """A small valid file of ``user``'s: a 180 return request (even numbers) or the 856
    shipping it (odd), with bench/small_files.py's numbering (its own ISA13, RMA, PO,
    references), sent under the partner's own ids. ``number`` must be unique across partners
    so no two files share a reference or bytes."""
    template = (VALID / ("856-pick-pack-004010.x12" if number % 2
                         else "180-return-request-004010.x12")).read_text()
    text_ = _numbered(template, number, number // 2, shared_order=False)
    return (text_.replace("*01*614832907      *", f"*ZZ*{isa_id(user):<15}*")
            .replace("*NORTHWINDHS*", f"*{isa_id(user)}*"))


def drop_files(server: ClusterSshd, users: list[str], per_partner: int) -> dict[str, list[str]]:
    """``per_partner`` files in each partner's inbound folder, as a partner leaves them: owned
    by the partner user, written under a name no pattern takes, then renamed; the names, by
    partner."""
    dropped: dict[str, list[str]] = {}
    for index, user in enumerate(users, start=1):
        names = []
        for n in range(per_partner):
            number = index * 1000 + n
            name = f"f{number:05d}.x12"
            part = server.inbound(user) / f".{name}.part"
            part.write_text(x12_file(user, number))
            os.chown(part, CLUSTER_USERS[user], CLUSTER_USERS[user])
            part.rename(server.inbound(user) / name)
            names.append(name)
        dropped[user] = names
    return dropped


# --- nodes ---------------------------------------------------------------------------------------
@dataclass
class Node:
    name: str
    workspace: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def stderr_path(self) -> Path:
        return self.workspace / "stderr.log"

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def records(self) -> list[dict[str, Any]]:
        """Its JSON log lines (--log-format json); anything else on stderr is skipped."""
        found = []
        for line in self.stderr().splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return found

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def node_workspace(folder: Path, name: str, server: ClusterSshd, users: list[str], *,
                   archive: Path, backend: str = "filesystem") -> Node:
    """A node's own folder: config.yaml naming it, the partner files, keys/known_hosts."""
    (folder / "partners").mkdir(parents=True)
    (folder / "keys").mkdir()
    shutil.copy(server.known_hosts, folder / "keys" / "known_hosts")
    for user in users:
        (folder / "partners" / f"{user}.yaml").write_text(partner_yaml(user, server))
    (folder / "config.yaml").write_text(
        f"store: {{url_env: {STORE_ENV}}}\n"
        f"paths: {{mappings: '{REPO / 'mappings'}', archive: '{archive}'}}\n"
        f"archive: {{backend: {backend}}}\n"
        f"cluster: {{node: {name}, lease_seconds: {LEASE_SECONDS}, "
        f"heartbeat_seconds: {HEARTBEAT_SECONDS}}}\n"
        f"processing: {{lease_seconds: {PROCESSING_LEASE_SECONDS}}}\n")
    return Node(name, folder)


def gateway(node: Node, store_url: str, *args: str,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """One `gateway` command in the node's workspace (not checked: the caller asserts)."""
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], cwd=node.workspace,
                          env=node_env(store_url), capture_output=True, text=True,
                          timeout=timeout, check=False)


def node_env(store_url: str) -> dict[str, str]:
    return {**os.environ, STORE_ENV: store_url, "PYTHONPATH": str(REPO),
            "PYTHONFAULTHANDLER": "1"}


def start_node(node: Node, store_url: str) -> None:
    """`gateway run` in the node's workspace; its stderr (JSON lines) to stderr.log."""
    with node.stderr_path.open("wb") as err:
        node.process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "run", "--settle", "0.2", "--outbox-every",
             "1", "--log-format", "json"], cwd=node.workspace, env=node_env(store_url),
            stdout=subprocess.DEVNULL, stderr=err)


def stop_node(node: Node, timeout: float = 60) -> int:
    """SIGTERM, then its exit status. One that has not stopped within ``timeout`` gets SIGABRT,
    so that faulthandler (PYTHONFAULTHANDLER, `node_env`) writes every thread's stack to its
    stderr, where the failure message shows where it hung; its status is then negative."""
    assert node.process is not None
    node.process.send_signal(signal.SIGTERM)
    try:
        return node.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        node.process.send_signal(signal.SIGABRT)
        try:
            node.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            node.process.kill()
            node.process.wait(timeout=10)
        return -1000 - int(timeout)  # says "did not stop in time", whatever the signal made


@pytest.fixture
def cluster_nodes() -> Iterator[list[Node]]:
    """The nodes a test starts; any still running when it ends (a failure) is killed."""
    nodes: list[Node] = []
    yield nodes
    for node in nodes:
        if node.running():
            assert node.process is not None
            node.process.kill()
            node.process.wait(timeout=10)


# --- waiting -------------------------------------------------------------------------------------
def wait_until(predicate: Callable[[], bool], seconds: float, every: float = 0.2) -> bool:
    """Whether ``predicate`` came true within ``seconds`` (checked every ``every``)."""
    deadline = time.monotonic() + seconds
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(every)
