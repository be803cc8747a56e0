"""A partner's folders on this machine: the same contract as SFTP, for shared drives and tests.

Files are published through a temporary name and an atomic rename, as on SFTP, so a partner
picking files up never sees half a file.

A partner can write into its folders, so nothing in them is trusted to be what its name says.
The folders are opened once per connection, without following a link, and everything is done
relative to those open folders. Only regular files directly in the inbound folder are taken,
opened with O_NOFOLLOW and checked on the open descriptor; a symbolic link (to a secret, to
another partner's folder), a named pipe, a device or a subfolder whose name matches the
partner's patterns is skipped and reported once (`LocalChannel.skipped`), never opened.
Relative folders are read under the folder that holds the partners folder
(`PartnerSettings.folders_anchor`), never the working directory.
"""

from __future__ import annotations

import errno
import fnmatch
import io
import os
import shutil
import stat
import threading
from pathlib import Path
from typing import BinaryIO

from gateway.app.partners import PARTNER_FOLDERS_ANCHOR, PartnerSettings, folder_problem
from gateway.app.ports import RemoteFile, Sink, SkippedEntry, copy_within
from gateway.errors import PermanentTransportError, RemoteFileGone, TransientTransportError

_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: a named pipe swapped in after the listing must not hang the poll on open.
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


EntryKey = tuple[str, int, int, str]  # name, device, inode, what it is: an entry


class SkipMemory:
    """What each inbound folder had skipped at its last listing, so an entry is reported once
    (when it appears, or is replaced), not at every poll. Only what is still there is kept."""

    def __init__(self) -> None:
        self._last: dict[str, frozenset[EntryKey]] = {}
        self._lock = threading.Lock()  # partners' polls run in their own threads

    def new_since_last_listing(self, folder: str, current: set[EntryKey]) -> set[EntryKey]:
        with self._lock:
            before = self._last.get(folder, frozenset())
            self._last[folder] = frozenset(current)
        return current - before


# A channel is opened for every poll: what was reported lives as long as the process (the
# daemon reports an entry once; each `gateway poll` reports what it finds).
REPORTED = SkipMemory()


class LocalChannel:
    def __init__(self, partner: PartnerSettings, base: Path | None = None, *,
                 memory: SkipMemory = REPORTED) -> None:
        transport = partner.transport
        if transport is None or transport.type != "local":
            raise PermanentTransportError(f"partner {partner.id}: not a local transport")
        root = base or partner.folders_anchor
        self.partner_id = partner.id
        self.inbound = root / _checked(partner.id, "inbound", transport.inbound)
        self.outbound = root / _checked(partner.id, "outbound", transport.outbound)
        self.after = transport.after_pickup
        if self.after != "delete":
            _checked(partner.id, "after_pickup", self.after.removeprefix("move:"))
        self.patterns = transport.patterns
        self.root = root
        self.memory = memory
        self.skipped: list[SkippedEntry] = []  # newly skipped while this connection is open
        self._folders: dict[str, int] = {}

    def __enter__(self) -> LocalChannel:
        self.skipped = []
        try:
            for role, folder in (("inbound", self.inbound), ("outbound", self.outbound)):
                self._folders[role] = self._open_folder(role, folder)
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    def _close(self) -> None:
        for descriptor in self._folders.values():
            os.close(descriptor)
        self._folders.clear()

    def _open_folder(self, role: str, folder: Path) -> int:
        """The folder, opened; a link in its place is refused, so whoever can write beside it
        cannot point us at another folder."""
        try:
            return os.open(folder, _FOLDER_FLAGS)
        except OSError as exc:
            problem = _folder_problem(folder, exc)
        raise PermanentTransportError(
            f"partner {self.partner_id}: the {role} folder {folder} {problem}")

    def _folder(self, role: str) -> int:
        if role not in self._folders:
            raise PermanentTransportError(f"partner {self.partner_id}: the channel is not "
                                          "open: use it in a with block")
        return self._folders[role]

    def list_inbound(self) -> list[RemoteFile]:
        found, other = [], []
        with os.scandir(self._folder("inbound")) as entries:
            for entry in entries:
                if not any(fnmatch.fnmatch(entry.name, p) for p in self.patterns):
                    continue
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode):
                    found.append(RemoteFile(entry.name, info.st_size, info.st_mtime))
                else:
                    other.append((entry.name, info))
        self._remember_skipped(other)
        return sorted(found, key=lambda f: f.name)

    def _remember_skipped(self, entries: list[tuple[str, os.stat_result]]) -> None:
        """Add to ``skipped`` what was not reported before: an entry is known by its name,
        identity and what it is (a link by its target), so one replaced by another is
        reported again."""
        current = {(name, info.st_dev, info.st_ino, self._why_skipped(name, info))
                   for name, info in entries}
        new = self.memory.new_since_last_listing(f"{self.partner_id}:{self.inbound}", current)
        self.skipped += [SkippedEntry(name, why) for name, _dev, _ino, why in sorted(new)]

    def _why_skipped(self, name: str, info: os.stat_result) -> str:
        mode = info.st_mode
        if stat.S_ISLNK(mode):
            try:
                target = os.readlink(name, dir_fd=self._folder("inbound"))
            except OSError:
                target = "?"
            return f"a symbolic link (to {target[:200]!r}): links are never followed"
        if stat.S_ISDIR(mode):
            return "a folder: only files directly in the inbound folder are taken"
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else \
            "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else \
            "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
        return f"{kind}: only regular files are taken"

    def fetch(self, name: str, *, max_bytes: int | None = None) -> bytes:
        held = io.BytesIO()
        self.fetch_into(name, held, max_bytes=max_bytes)
        return held.getvalue()

    def fetch_into(self, name: str, target: Sink, *, max_bytes: int | None = None) -> int:
        with self._open_inbound(name) as source:
            expected = os.fstat(source.fileno()).st_size
            copied = copy_within(source, target, name, max_bytes)
        if copied != expected:
            raise TransientTransportError(f"partner {self.partner_id}: {name} changed while "
                                          "being fetched")
        return copied

    def _open_inbound(self, name: str) -> BinaryIO:
        """``name``, directly in the inbound folder, opened only if it is a regular file
        there: a link is not followed, and what is open is checked, not what was listed."""
        plain, folder = _plain(name), self._folder("inbound")
        try:
            descriptor = os.open(plain, _READ_FLAGS, dir_fd=folder)
        except FileNotFoundError as exc:
            raise RemoteFileGone(f"partner {self.partner_id}: {name} was gone when it was to "
                                 "be fetched (taken by another node or removed by the "
                                 "partner); nothing of it was kept") from exc
        except OSError as exc:
            why = "became a symbolic link" if exc.errno == errno.ELOOP else exc.strerror
            raise TransientTransportError(f"partner {self.partner_id}: {name} cannot be "
                                          f"fetched: {why}") from exc
        source = os.fdopen(descriptor, "rb")
        if not stat.S_ISREG(os.fstat(descriptor).st_mode) or not self._confined(plain):
            source.close()
            raise TransientTransportError(f"partner {self.partner_id}: {name} is no longer "
                                          "a regular file in the inbound folder")
        return source

    def _confined(self, plain: str) -> bool:
        """The file's real path is directly under the inbound folder's real path."""
        folder = os.path.realpath(self.inbound)
        return os.path.dirname(os.path.realpath(os.path.join(folder, plain))) == folder

    def after_pickup(self, name: str) -> None:
        plain, folder = _plain(name), self._folder("inbound")
        if self.after == "delete":
            _unlink(plain, folder)
            return
        target = self.root / self.after.removeprefix("move:")
        target.mkdir(parents=True, exist_ok=True)
        into = self._open_folder("after_pickup", target)
        try:
            os.rename(plain, plain, src_dir_fd=folder, dst_dir_fd=into)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            shutil.move(self.inbound / plain, target / plain)  # another file system
        finally:
            os.close(into)

    def publish(self, name: str, data: bytes) -> None:
        final, folder = _plain(name), self._folder("outbound")
        partial = f".{final}.part"
        try:
            # Whatever is in the temporary name's place (a link a partner left) is removed,
            # never written through.
            _unlink(partial, folder)
            with os.fdopen(os.open(partial, _WRITE_FLAGS, 0o666, dir_fd=folder), "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, final, src_dir_fd=folder, dst_dir_fd=folder)
        except OSError as exc:
            _unlink(partial, folder, quiet=True)
            raise TransientTransportError(f"partner {self.partner_id}: publishing {name} "
                                          f"failed: {exc.strerror}") from exc

    def remove_outbound(self, name: str) -> None:
        _unlink(_plain(name), self._folder("outbound"))


def _folder_problem(folder: Path, exc: OSError) -> str:
    """Why ``folder`` could not be opened as a folder, in words."""
    try:
        mode = os.lstat(folder).st_mode
    except FileNotFoundError:
        return "does not exist"
    except OSError:
        mode = 0
    if stat.S_ISLNK(mode):
        return "is a symbolic link; name the real folder (links are never followed)"
    if mode and not stat.S_ISDIR(mode):
        return "is not a folder"
    return f"cannot be opened: {exc.strerror}"


def _unlink(name: str, folder: int, *, quiet: bool = False) -> None:
    """Remove ``name`` from the open ``folder`` (a link itself, never what it points to)."""
    try:
        os.unlink(name, dir_fd=folder)
    except FileNotFoundError:
        pass
    except OSError:
        if not quiet:
            raise


def _checked(partner_id: str, key: str, folder: str) -> str:
    """A folder of the partner file, refused as `gateway partners check` refuses it."""
    problem = folder_problem(folder, PARTNER_FOLDERS_ANCHOR)
    if problem:
        raise PermanentTransportError(f"partner {partner_id}: transport.{key} {problem}")
    return folder


def _plain(name: str) -> str:
    """A bare file name: a partner's listing can never make us reach outside the folder."""
    if name != os.path.basename(name) or name in ("", ".", ".."):
        raise PermanentTransportError(f"{name!r} is not a plain file name")
    return name
