"""The partners' side of the demo: each one logs into its folder over SFTP with its own key,
drops files as a partner's system does (a temporary name, then a rename, so a poll never takes
half a file) and reads what the gateway left for it.

Each action is one short asyncssh client session on an event loop of its own: the partner is a
separate client of the server, as it would be from another machine.
"""

from __future__ import annotations

import asyncio
import posixpath
from dataclasses import dataclass

import asyncssh

from gateway.demo.server import HOST

TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class PartnerLogin:
    username: str
    port: int
    key: asyncssh.SSHKey  # the partner's own key: never written to disk
    known_hosts: str  # the demo server's pinned host key line


class PartnerClient:
    def __init__(self, login: PartnerLogin, *, outbox: str = "/outbox",
                 inbox: str = "/inbox") -> None:
        self.login, self.outbox, self.inbox = login, outbox, inbox

    def drop(self, name: str, data: bytes) -> None:
        """Upload ``data`` into the partner's outbox (where the gateway polls) as ``name``."""
        asyncio.run(self._drop(name, data))

    def received(self, prefix: str = "") -> dict[str, bytes]:
        """What the gateway left in the partner's inbox, by name (names starting ``prefix``)."""
        return asyncio.run(self._received(prefix))

    async def _drop(self, name: str, data: bytes) -> None:
        part = posixpath.join(self.outbox, f".{name}.part")
        async with self._session() as (_connection, sftp):
            async with sftp.open(part, "wb") as remote:
                await remote.write(data)
            await sftp.posix_rename(part, posixpath.join(self.outbox, name))

    async def _received(self, prefix: str) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        async with self._session() as (_connection, sftp):
            for name in sorted(await sftp.listdir(self.inbox)):
                if name.startswith(".") or not name.startswith(prefix):
                    continue  # a temporary ".name.part" of a publish in progress
                async with sftp.open(posixpath.join(self.inbox, name), "rb") as remote:
                    found[name] = await remote.read()
        return found

    def _session(self) -> _Session:
        return _Session(self.login)


class _Session:
    """``async with``: a connection and its SFTP client, both closed on the way out."""

    def __init__(self, login: PartnerLogin) -> None:
        self.login = login
        self.connection: asyncssh.SSHClientConnection | None = None

    async def __aenter__(self) -> tuple[asyncssh.SSHClientConnection, asyncssh.SFTPClient]:
        self.connection = await asyncssh.connect(
            HOST, self.login.port, username=self.login.username,
            client_keys=[self.login.key], known_hosts=asyncssh.import_known_hosts(
                self.login.known_hosts), agent_path=None, preferred_auth="publickey",
            config=None, connect_timeout=TIMEOUT)  # no ~/.ssh/config: nothing may redirect it
        sftp = await self.connection.start_sftp_client()
        return self.connection, sftp

    async def __aexit__(self, *exc: object) -> None:
        if self.connection is not None:
            self.connection.close()
            await self.connection.wait_closed()
