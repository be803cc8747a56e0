"""A real OpenSSH sshd on 127.0.0.1 for the SFTP adapter tests (runtime.md §1a).

The test user is root (no system user is created or left behind): sshd allows it by key only
(`PermitRootLogin prohibit-password`; root's shadow entry must not be locked with '!'), forces
`internal-sftp` and chroots it into a temporary folder. sshd refuses a chroot under /tmp (every
path component must be root-owned and not world-writable), so sshd runs in a private mount
namespace (`unshare -m`) where that folder is bind-mounted on /srv: invisible to every other
process, gone when sshd stops. The tests see the partner's folders as ``server.root / "in"``.
Each of PARTNER_USERS is a chrooted SFTP user of its own (``/srv/partners/<user>``, seen by
the tests as ``server.root / "partners" / <user>``): the namespace bind-mounts copies of
/etc/passwd and /etc/shadow that add them, so sshd knows them and the machine never does.
The same namespace mounts a tiny tmpfs on the chroot's ``/full`` (FULL_BYTES), for disk-full
faults; only sshd sees it, so tests reach it over SFTP (``sftp_session``).

Without sshd, root or unshare the tests are skipped, except under CI, where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
import pytest
import yaml

from gateway.app.partners import PartnerSettings
from gateway.config.partners import read_partner

SSHD = Path("/usr/sbin/sshd")
FOLDERS = ("in", "out", "archive")
PARTNER_USERS = {"northwind": 2001, "odfl": 2002, "cpsc": 2003}  # user: uid
FULL_BYTES = 16 * 1024  # the size of the tmpfs on /full: a few pages

SSHD_CONFIG = """\
ListenAddress 127.0.0.1
HostKey {base}/host_ed25519
PidFile {base}/sshd.pid
AuthorizedKeysFile {base}/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowUsers root {partner_users}
AllowTcpForwarding no
X11Forwarding no
LogLevel VERBOSE
MaxStartups 100:30:200
Subsystem sftp internal-sftp
Match User root
  ChrootDirectory /srv
  ForceCommand internal-sftp
Match User {partner_list}
  AuthorizedKeysFile /srv/partners/.authorized_keys
  ChrootDirectory /srv/partners/%u
  ForceCommand internal-sftp
"""


@dataclass
class SftpServer:
    port: int
    root: Path  # the chroot as the tests see it: root / "in" is the partner's "/in"
    keys: Path  # client keys: <type> and <type>.pub, plus "stranger" (not authorized)
    known_hosts: Path
    log: Path
    pid: int = 0  # the listening sshd; each connection is served by a child of it


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the SFTP tests against a real sshd")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _keygen(path: Path, kind: str, passphrase: str = "") -> str:
    """A key pair at ``path``; returns the public key line."""
    bits = ["-b", "2048"] if kind == "rsa" else []
    subprocess.run(["ssh-keygen", "-q", "-t", kind, *bits, "-N", passphrase, "-C", "test",
                    "-f", str(path)], check=True, capture_output=True)
    return Path(f"{path}.pub").read_text().strip()


def _partner_chroots(root: Path, base: Path, users: dict[str, int] = PARTNER_USERS,
                     folders: Callable[[str], tuple[str, ...]] = lambda _user: ("in", "out"),
                     ) -> None:
    """A chroot per partner user (root-owned, as sshd demands) with the ``folders`` the user
    owns, and the passwd / shadow copies that make the users exist for sshd alone."""
    passwd, shadow = Path("/etc/passwd").read_text(), Path("/etc/shadow").read_text()
    for user, uid in users.items():
        chroot = root / "partners" / user
        chroot.mkdir(parents=True, mode=0o755)
        for folder in folders(user):
            (chroot / folder).mkdir()
            os.chown(chroot / folder, uid, uid)
        passwd += f"{user}:x:{uid}:{uid}:partner {user}:/:/usr/sbin/nologin\n"
        shadow += f"{user}:*:20000:0:99999:7:::\n"  # '*': no password; '!' would lock it
    (base / "passwd").write_text(passwd)
    (base / "shadow").write_text(shadow)
    (base / "shadow").chmod(0o640)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"sshd exited with {process.returncode}: {log.read_text()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.01)
    pytest.fail(f"sshd did not listen on 127.0.0.1:{port}: {log.read_text()}")


@pytest.fixture(scope="session")
def sftp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SftpServer]:
    if not SSHD.exists():
        _unavailable(f"{SSHD} is missing (apt-get install openssh-server)")
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        _unavailable("the real-sshd tests need root and unshare (for sshd's chroot)")
    base = tmp_path_factory.mktemp("sshd")
    keys, root = base / "keys", base / "chroot"
    keys.mkdir()
    root.mkdir(mode=0o755)
    for folder in (*FOLDERS, "full"):
        (root / folder).mkdir()
    host_public = _keygen(base / "host_ed25519", "ed25519")
    authorized = [_keygen(keys / kind, kind) for kind in ("ed25519", "ecdsa", "rsa")]
    authorized.append(_keygen(keys / "locked", "ed25519", passphrase="correct horse"))
    _keygen(keys / "stranger", "ed25519")  # a valid key the server does not know
    (base / "authorized_keys").write_text("\n".join(authorized) + "\n")
    (base / "sshd_config").write_text(SSHD_CONFIG.format(
        base=base, partner_users=" ".join(PARTNER_USERS), partner_list=",".join(PARTNER_USERS)))
    _partner_chroots(root, base)
    # sshd reads a user's keys as that user, who cannot enter the test's private temp folder.
    shutil.copy(base / "authorized_keys", root / "partners" / ".authorized_keys")
    (root / "partners" / ".authorized_keys").chmod(0o644)
    port = _free_port()
    known_hosts = base / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {' '.join(host_public.split()[:2])}\n")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation; systemd's job
    log = base / "sshd.log"
    command = (f"mount --bind {root} /srv && mount --bind {base}/passwd /etc/passwd && "
               f"mount --bind {base}/shadow /etc/shadow && "
               f"mount -t tmpfs -o size={FULL_BYTES},mode=0755 tmpfs /srv/full && "
               f"exec {SSHD} -D -e -f {base}/sshd_config -p {port}")
    with log.open("wb") as out:
        # exec: this PID is sshd itself, so terminating it stops the server.
        process = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                    command], stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, log)
        yield SftpServer(port, root, keys, known_hosts, log, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


def signal_connections(server: SftpServer, signum: int) -> int:
    """Send ``signum`` to every sshd process serving a connection (all descendants of the
    listener, which itself keeps running). SIGKILL is a dropped connection as a partner's server
    crash or a cut line looks to us; SIGSTOP a server that stalls. Returns how many."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:  # field 4 of /proc/<pid>/stat, after the parenthesised command: the parent pid
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    serving = {server.pid}
    while grown := {pid for pid, parent in parents.items()
                    if parent in serving and pid not in serving}:
        serving |= grown
    serving.discard(server.pid)
    for pid in serving:
        with suppress(ProcessLookupError):
            os.kill(pid, signum)
    return len(serving)


@contextmanager
def sftp_session(server: SftpServer, username: str = "root") -> Iterator[paramiko.SFTPClient]:
    """A plain paramiko session as the test's own client, to see what only sshd sees."""
    client = paramiko.SSHClient()
    client.load_host_keys(str(server.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect("127.0.0.1", port=server.port, username=username,
                   key_filename=str(server.keys / "ed25519"), look_for_keys=False,
                   allow_agent=False, timeout=10)
    try:
        yield client.open_sftp()
    finally:
        client.close()


@pytest.fixture
def server(sftp_server: SftpServer) -> SftpServer:
    """The session's server with empty folders for this test."""
    for folder in FOLDERS:
        shutil.rmtree(sftp_server.root / folder)
        (sftp_server.root / folder).mkdir()
    return sftp_server


PartnerFactory = Callable[..., PartnerSettings]


@pytest.fixture
def make_partner(server: SftpServer, tmp_path: Path) -> PartnerFactory:
    """A partner read from a YAML file, so the whole config path is exercised.

    The project folder is ``tmp_path``: partners/<id>.yaml and keys/known_hosts, which the
    partner names relative to the project folder, as a real installation does.
    """

    def make(*, key: dict[str, str] | None = None, passphrase: dict[str, str] | None = None,
             known_hosts: str | None = None, **transport: Any) -> PartnerSettings:
        (tmp_path / "partners").mkdir(exist_ok=True)
        (tmp_path / "keys").mkdir(exist_ok=True)
        (tmp_path / "keys" / "known_hosts").write_text(
            server.known_hosts.read_text() if known_hosts is None else known_hosts)
        settings: dict[str, Any] = {
            "type": "sftp", "host": "127.0.0.1", "port": server.port, "username": "root",
            "known_hosts": "keys/known_hosts", "inbound": "/in", "outbound": "/out",
            "private_key": key or {"file": str(server.keys / "ed25519")},
            "patterns": ["*.edi", "*.x12"], **transport}
        if passphrase is not None:
            settings["passphrase"] = passphrase
        # A retailer that the tests have send every kind of document (issue 12's authority).
        raw = {"id": "acme", "name": "Acme Returns", "role": "retailer",
               "documents": ["return-request", "return-shipment", "shipment-status",
                             "recall-notice", "recall-response"],
               "x12": {"isa_qualifier": "ZZ", "isa_id": "ACME", "gs_id": "ACME"},
               "transport": settings, "schedule": {"every": "60s"}}
        path = tmp_path / "partners" / "acme.yaml"
        path.write_text(yaml.safe_dump(raw))
        partner = read_partner(path)
        assert partner.problems == ()
        return partner

    return make
