"""The raw archive: every inbound file's bytes, kept by their SHA-256, written durably.

A file lands at ``<root>/ab/cd/abcdef...`` through a temporary name, is fsynced, renamed into
place and its folder fsynced, so after `put` returns the bytes survive a crash or power cut; a
folder made for it is fsynced in its parent too (a file in a folder that is lost is lost with
it). The same bytes are stored once however often they arrive. Files are never changed after
writing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from gateway.app.ports import KeptFile, Sink
from gateway.errors import ArchivedBytesMissing

__all__ = ["ArchivedBytesMissing", "FileArchive", "HashingSink", "archive_key", "bytes_missing"]


class FileArchive:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes) -> tuple[str, str]:
        digest = hashlib.sha256(data).hexdigest()
        key = archive_key(digest)
        target = self.root / key
        if target.is_file() and target.stat().st_size == len(data):
            return digest, key  # content-addressed: the same bytes are already kept
        _made_durably(target.parent)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_folder(target.parent)
        return digest, key

    def put_stream(self, write: Callable[[Sink], object]) -> KeptFile:
        """Keep what ``write`` writes, hashed as it arrives; nothing is kept if it raises."""
        _made_durably(self.root)
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                hashing = HashingSink(out)
                write(hashing)
                out.flush()
                os.fsync(out.fileno())
            digest = hashing.sha256.hexdigest()
            key = archive_key(digest)
            target = self.root / key
            _made_durably(target.parent)
            os.replace(temporary, target)  # the same bytes again replace equal bytes
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_folder(target.parent)
        return KeptFile(digest, key, hashing.size)

    def remove(self, key: str) -> bool:
        """Delete the bytes kept under ``key`` (retention); False when they were already gone."""
        path = self._path(key)
        if not path.is_file():
            return False
        path.unlink()
        return True

    def get(self, key: str) -> bytes:
        return self._kept(key).read_bytes()

    def open(self, key: str) -> BinaryIO:
        return self._kept(key).open("rb")

    def _kept(self, key: str) -> Path:
        path = self._path(key) if key else None
        if path is None or not path.is_file():
            raise bytes_missing(key)
        return path

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"{key!r} is not an archive key")
        return path


def archive_key(digest: str) -> str:
    """Where bytes of this SHA-256 are kept, in every backend (``ab/cd/abcd...``), so a
    file's record names its bytes the same way wherever they live."""
    return f"{digest[:2]}/{digest[2:4]}/{digest}"


def bytes_missing(key: str) -> ArchivedBytesMissing:
    """Why there are no bytes under ``key``, in the words every backend uses."""
    if not key:  # a file refused from its listing (over limits.file_size) was never taken
        return ArchivedBytesMissing("the file was refused unread (over limits.file_size): "
                                    "its bytes were never taken, so there is nothing to "
                                    "replay or show; the partner's copy was left in place")
    return ArchivedBytesMissing(f"the archived bytes {key} are gone (purged by the "
                                "archive.retention_days setting, or removed by hand)")


class HashingSink:
    """Writes through to a temporary file, hashing and counting on the way."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes, /) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self._out.write(data)


def _made_durably(folder: Path) -> None:
    """``folder`` and its missing parents, each one made fsynced in its parent (whether this
    process or another one made it first: the entry must be on disk before a file is renamed
    into the folder). A folder that is already there costs one stat."""
    missing = []
    current = folder
    while not current.is_dir():
        missing.append(current)
        current = current.parent
    for made in reversed(missing):
        made.mkdir(exist_ok=True)
        _fsync_folder(made.parent)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
