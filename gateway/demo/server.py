"""The demo's SFTP server: asyncssh on 127.0.0.1, standing in for the partners' servers.

One user per partner, key authentication only, each confined to its own folder by asyncssh's
``SFTPServer(chroot=...)`` (a path mapping inside this process: no chroot syscall, no system
user, no root). The host key is generated for each run and lives in memory only; its public
half is what the workspace pins in known_hosts. The server runs in a background thread with its
own event loop, so the synchronous gateway code (paramiko) talks to it like to any server.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

import asyncssh

HOST = "127.0.0.1"  # never anything else: the demo sends no traffic off this machine
START_TIMEOUT = 10.0
T = TypeVar("T")


class _PartnerLogins(asyncssh.SSHServer):
    """Who may log in: a user named after a partner, with one of that partner's keys."""

    def __init__(self, authorized: Mapping[str, frozenset[bytes]],
                 connections: set[asyncssh.SSHServerConnection]) -> None:
        self.authorized, self.connections = authorized, connections
        self.connection: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.connection = conn
        self.connections.add(conn)  # so that stop() can close it

    def connection_lost(self, exc: Exception | None) -> None:
        if self.connection is not None:
            self.connections.discard(self.connection)

    def begin_auth(self, username: str) -> bool:
        return True  # every user must authenticate; there is no anonymous access

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return key.public_data in self.authorized.get(username, frozenset())


class DemoSftpServer:
    """``start()`` listens on a free port of 127.0.0.1; ``stop()`` closes everything.

    ``folders`` maps each user to the folder it sees as "/"; ``keys`` to the public keys it may
    log in with."""

    def __init__(self, folders: Mapping[str, Path],
                 keys: Mapping[str, list[asyncssh.SSHKey]]) -> None:
        self.folders = {user: folder.resolve() for user, folder in folders.items()}
        self.authorized = {user: frozenset(k.public_data for k in user_keys)
                           for user, user_keys in keys.items()}
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="demo-sftp",
                                        daemon=True)
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._connections: set[asyncssh.SSHServerConnection] = set()

    def __enter__(self) -> DemoSftpServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> int:
        self._thread.start()
        self._acceptor = self._run(self._listen())
        self.port = self._acceptor.get_port()
        return self.port

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        if self._acceptor is not None:
            self._run(self._shut_down(self._acceptor))
            self._acceptor = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=START_TIMEOUT)
        self._loop.close()

    def known_hosts_line(self) -> str:
        """The pinned host key, as OpenSSH and paramiko read it for a non-default port."""
        public = self.host_key.export_public_key("openssh").decode().split()[:2]
        return f"[{HOST}]:{self.port} {' '.join(public)}\n"

    def fingerprint(self) -> str:
        return self.host_key.get_fingerprint("sha256")

    async def _listen(self) -> asyncssh.SSHAcceptor:
        return await asyncssh.listen(
            HOST, 0, server_host_keys=[self.host_key],
            server_factory=lambda: _PartnerLogins(self.authorized, self._connections),
            sftp_factory=self._sftp_for, allow_scp=False, allow_pty=False,
            agent_forwarding=False, x11_forwarding=False)

    def _sftp_for(self, channel: asyncssh.SSHServerChannel[bytes]) -> asyncssh.SFTPServer:
        username = channel.get_extra_info("username")
        folder = self.folders[username]  # only authorized users get here: each has a folder
        return asyncssh.SFTPServer(channel, chroot=str(folder).encode())

    async def _shut_down(self, acceptor: asyncssh.SSHAcceptor) -> None:
        """No new connections, the open ones closed, and every task of theirs finished, so
        the loop stops with nothing pending (Python 3.11's wait_closed does not wait for
        connections)."""
        acceptor.close()
        await acceptor.wait_closed()
        for connection in list(self._connections):
            connection.close()
            await connection.wait_closed()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(START_TIMEOUT)
