"""`PartnerChannel` over SFTP (paramiko): pinned host keys, key authentication only.

Every paramiko, socket and SFTP error is translated here, at the seam, into a
`TransientTransportError` (retrying can help) or a `PermanentTransportError` (a person must
act); messages name the partner, host:port and the step, and never a key or a passphrase.
"""

from __future__ import annotations

import errno
import io
import logging
import posixpath
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, NoReturn

import paramiko

from gateway.app.partners import PartnerSettings, PartnerTransport
from gateway.app.ports import RemoteFile, Sink, copy_within
from gateway.errors import (
    PermanentTransportError,
    RemoteFileGone,
    TransientTransportError,
    TransportError,
)
from gateway.transport.secrets import SecretUnavailable, read_secret

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15
# Below this size one read is faster than paramiko's prefetch thread (runtime.md §2, pitfall 2).
PREFETCH_FROM_BYTES = 256 * 1024
# OpenSSH's own client caps concurrent reads at 64; unlimited requests can stall some servers.
MAX_PREFETCH_REQUESTS = 64
# Read ahead a window at a time: paramiko's prefetch of a whole file keeps every block that
# arrives before it is read, which on loopback is the whole file (105 MB for a 105 MB ASN).
READ_AHEAD_WINDOW_BYTES = 8 << 20
READ_REQUEST_BYTES = 32 * 1024  # what paramiko asks for per request (SFTPFile.MAX_REQUEST_SIZE)
_KEY_CLASSES = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)
_PERMANENT_ERRNOS = (errno.ENOENT, errno.EACCES, errno.EPERM)


class _UnknownHostKey(Exception):
    """Raised by our policy; not an SSHException, so it cannot be mistaken for a dropped link."""


class _PinnedOnly(paramiko.RejectPolicy):  # type: ignore[misc]
    """RejectPolicy with a distinct exception: an unknown key is permanent, not transient."""

    def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
        raise _UnknownHostKey(hostname)


class SftpChannel:
    """One SFTP session to one partner; use as ``with SftpChannel(partner) as channel:``."""

    def __init__(self, partner: PartnerSettings, *, timeout: float = 30.0) -> None:
        self.partner = partner
        self.timeout = timeout
        transport = partner.transport
        self._where = f"{partner.id} ({transport.host}:{transport.port})" if transport \
            else partner.id
        if transport is None or transport.type != "sftp" or not transport.host \
                or not transport.username or transport.private_key is None:
            self._fail(PermanentTransportError, "configure", "the partner has no complete sftp "
                       "transport (host, username, private_key, known_hosts)")
        self.transport: PartnerTransport = transport
        self._client: Any = None
        self._sftp: Any = None

    # -- context manager -------------------------------------------------------------------

    def __enter__(self) -> SftpChannel:
        try:
            self._connect()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        # Closing must never hide the error that made us leave the block.
        for thing in (self._sftp, self._client):
            if thing is not None:
                with suppress(Exception):
                    thing.close()
        self._sftp = self._client = None

    # -- the port --------------------------------------------------------------------------

    def list_inbound(self) -> list[RemoteFile]:
        folder = self.transport.inbound
        with self._step(f"list {folder}"):
            entries = self._session().listdir_attr(folder)
        return sorted(
            (RemoteFile(e.filename, int(e.st_size or 0), float(e.st_mtime or 0))
             for e in entries
             if stat.S_ISREG(e.st_mode or 0) and self._wanted(e.filename)),
            key=lambda f: f.name)

    def fetch(self, name: str, *, max_bytes: int | None = None) -> bytes:
        held = io.BytesIO()
        self.fetch_into(name, held, max_bytes=max_bytes)
        return held.getvalue()

    def fetch_into(self, name: str, target: Sink, *, max_bytes: int | None = None) -> int:
        remote = self._inbound_path(name)
        with self._step(f"fetch {name}"):
            try:
                return self._download(remote, target, max_bytes)
            except FileNotFoundError as exc:  # listed a moment ago: someone took it since
                raise RemoteFileGone(f"{self._where}: {name} was gone when it was to be "
                                     "fetched (taken by another node or removed by the "
                                     "partner); nothing of it was kept") from exc

    def after_pickup(self, name: str) -> None:
        remote = self._inbound_path(name)
        action = self.transport.after_pickup
        if action == "delete":
            with self._step(f"delete {name}"):
                self._session().remove(remote)
            return
        folder = action.removeprefix("move:")
        with self._step(f"move {name} to {folder}"):
            self._replace(remote, posixpath.join(folder, name))

    def publish(self, name: str, data: bytes) -> None:
        _check_name(name, self._where)
        folder = self.transport.outbound
        final, part = posixpath.join(folder, name), posixpath.join(folder, f".{name}.part")
        with self._step(f"publish {name} to {folder}"):
            sftp = self._session()
            try:
                # confirm=True stats the upload and checks its size before we rename it.
                sftp.putfo(io.BytesIO(data), part, file_size=len(data), confirm=True)
                self._replace(part, final)
            except BaseException:
                self._discard(part)
                raise

    def remove_outbound(self, name: str) -> None:
        _check_name(name, self._where)
        folder = self.transport.outbound
        with self._step(f"remove {name} from {folder}"):
            self._session().remove(posixpath.join(folder, name))

    # -- connecting ------------------------------------------------------------------------

    def _connect(self) -> None:
        t = self.transport
        with self._step("read the private key"):
            pkey = self._private_key()
        client = paramiko.SSHClient()
        self._client = client
        with self._step("load known_hosts"):
            # Only this file: never the system's or ~/.ssh's host keys.
            client.load_host_keys(str(self._known_hosts()))
        client.set_missing_host_key_policy(_PinnedOnly())
        with self._step("connect"):
            client.connect(
                t.host, port=t.port, username=t.username, pkey=pkey,
                look_for_keys=False, allow_agent=False, timeout=self.timeout,
                banner_timeout=self.timeout, auth_timeout=self.timeout,
                channel_timeout=self.timeout)
            client.get_transport().set_keepalive(KEEPALIVE_SECONDS)
            self._sftp = client.open_sftp()
            # Without this a stalled server hangs a get() forever (runtime.md §2, pitfall 5).
            self._sftp.get_channel().settimeout(self.timeout)

    def _known_hosts(self) -> Path:
        path = self.transport.known_hosts
        if path is None:
            raise FileNotFoundError(errno.ENOENT, "known_hosts is not configured")
        # As partners.py checks it: relative to the working directory or the project folder.
        for candidate in (path, self.partner.folders_anchor / path):
            if candidate.is_file():
                return candidate
        raise FileNotFoundError(errno.ENOENT, f"{path} does not exist")

    def _private_key(self) -> Any:
        ref = self.transport.private_key
        assert ref is not None  # checked in __init__
        text = read_secret(ref, "private_key")
        passphrase = read_secret(self.transport.passphrase, "passphrase") \
            if self.transport.passphrase else None
        return _parse_key(text, passphrase)

    # -- SFTP helpers ----------------------------------------------------------------------

    def _session(self) -> Any:
        if self._sftp is None:
            self._fail(PermanentTransportError, "use", "the channel is not open: use it in a "
                       "with block")
        return self._sftp

    def _download(self, remote: str, target: Sink, max_bytes: int | None) -> int:
        """Write the file into ``target``; `FileTooLarge` once more than ``max_bytes``
        arrived (the rest is never asked for: a file that grows while we read it costs at
        most the limit). The caller owns ``target``: a failed download is discarded there
        (the archive's temporary file), never kept half."""
        sftp = self._session()
        size = int(sftp.stat(remote).st_size or 0)
        wanted = size + 1 if max_bytes is None else min(size, max_bytes) + 1
        with sftp.open(remote, "rb") as source:
            # Only what was listed is read ahead; past it, plain reads tell a file that grew.
            readable = _ReadAhead(source, min(size, wanted)) if size >= PREFETCH_FROM_BYTES \
                else source
            copied = copy_within(readable, target, posixpath.basename(remote), max_bytes)
        if copied != size:
            # Raised as OSError so the step translates it: a short read is worth a retry.
            raise OSError(f"got {copied} of {size} bytes")
        return copied

    def _replace(self, source: str, target: str) -> None:
        sftp = self._session()
        try:
            sftp.posix_rename(source, target)
        except OSError as exc:
            if exc.errno is not None:
                raise  # a real ENOENT/EACCES: the fallback would fail the same way
            # No posix-rename@openssh.com extension ("Operation unsupported"): plain rename
            # refuses an existing target, so remove it first. Not atomic, but the best we have.
            with suppress(FileNotFoundError):
                sftp.remove(target)
            sftp.rename(source, target)

    def _discard(self, path: str) -> None:
        # Best effort: on a dead link this fails too; the next publish overwrites the .part.
        with suppress(Exception):
            self._session().remove(path)

    def _wanted(self, name: str) -> bool:
        return any(fnmatchcase(name, pattern) for pattern in self.transport.patterns)

    def _inbound_path(self, name: str) -> str:
        _check_name(name, self._where)
        return posixpath.join(self.transport.inbound, name)

    # -- error translation -----------------------------------------------------------------

    @contextmanager
    def _step(self, step: str) -> Iterator[None]:
        try:
            yield
        except TransportError:
            raise
        except SecretUnavailable as exc:
            self._fail(PermanentTransportError, step, str(exc), exc)
        except _UnknownHostKey as exc:
            self._fail(PermanentTransportError, step, f"the host key of {exc} is not in "
                       "known_hosts (host keys are pinned; add it after checking it)", exc)
        except (paramiko.AuthenticationException, paramiko.BadHostKeyException) as exc:
            self._fail(PermanentTransportError, step, _describe(exc), exc)
        except OSError as exc:
            kind = PermanentTransportError if exc.errno in _PERMANENT_ERRNOS \
                else TransientTransportError
            self._fail(kind, step, _describe(exc), exc)
        except (paramiko.SSHException, EOFError) as exc:
            self._fail(TransientTransportError, step, _describe(exc), exc)

    def _fail(self, kind: type[TransportError], step: str, problem: str,
              cause: BaseException | None = None) -> NoReturn:
        raise kind(f"{self._where}: {step}: {problem}") from cause


def _parse_key(text: str, passphrase: str | None) -> Any:
    # The exceptions may carry the key bytes (UnknownKeyType does): never show their text.
    for kind in _KEY_CLASSES:
        try:
            return kind.from_private_key(io.StringIO(text), password=passphrase)
        except paramiko.PasswordRequiredException:
            raise SecretUnavailable("private_key",
                                    "it is encrypted and no passphrase is set") from None
        except Exception:  # wrong key type or wrong passphrase: try the next class
            continue
    raise SecretUnavailable("private_key", "not an ed25519, ecdsa or rsa private key, or the "
                            "passphrase is wrong") from None


def _check_name(name: str, where: str) -> None:
    # Names are file names in one folder; a slash or '..' would reach outside it.
    if not name or "/" in name or name in (".", ".."):
        raise PermanentTransportError(f"{where}: {name!r} is not a plain file name")


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, TimeoutError) and not text:  # paramiko's read timeout says nothing
        text = "the server stopped answering (timed out)"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _ReadAhead:
    """The first ``length`` bytes of an open SFTP file read ahead a window at a time
    (``readv``: up to `MAX_PREFETCH_REQUESTS` requests in flight, at most one window held),
    then whatever the file still has, read plainly."""

    def __init__(self, source: Any, length: int) -> None:
        self.source, self.length = source, length
        self.blocks = self._blocks()
        self.pending = b""

    def _blocks(self) -> Iterator[bytes]:
        for start in range(0, self.length, READ_AHEAD_WINDOW_BYTES):
            end = min(start + READ_AHEAD_WINDOW_BYTES, self.length)
            try:
                yield from self.source.readv(
                    [(at, min(READ_REQUEST_BYTES, end - at))
                     for at in range(start, end, READ_REQUEST_BYTES)], MAX_PREFETCH_REQUESTS)
            except EOFError:  # it shrank since it was listed: the short copy says so
                return
        self.source.seek(self.length)

    def read(self, size: int = -1, /) -> bytes:
        if size < 0:  # the rest: never asked by the copy, which reads a chunk at a time
            return b"".join([self.pending, *self.blocks, bytes(self.source.read())])
        if not self.pending:
            self.pending = next(self.blocks, b"")
            if not self.pending:
                return bytes(self.source.read(size))
        chunk, self.pending = self.pending[:size], self.pending[size:]
        return bytes(chunk)
