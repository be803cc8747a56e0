"""The raw archive: every inbound file's bytes, kept by their SHA-256, written durably.

A file lands at ``<root>/ab/cd/abcdef...`` through a temporary name, is fsynced, renamed into
place and its folder fsynced, so after `put` returns the bytes survive a crash or power cut. The
same bytes are stored once however often they arrive. Files are never changed after writing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from gateway.errors import ArchivedBytesMissing

__all__ = ["ArchivedBytesMissing", "FileArchive"]


class FileArchive:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes) -> tuple[str, str]:
        digest = hashlib.sha256(data).hexdigest()
        key = f"{digest[:2]}/{digest[2:4]}/{digest}"
        target = self.root / key
        if target.is_file() and target.stat().st_size == len(data):
            return digest, key  # content-addressed: the same bytes are already kept
        target.parent.mkdir(parents=True, exist_ok=True)
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

    def remove(self, key: str) -> bool:
        """Delete the bytes kept under ``key`` (retention); False when they were already gone."""
        path = self._path(key)
        if not path.is_file():
            return False
        path.unlink()
        return True

    def get(self, key: str) -> bytes:
        if not key:  # a file refused from its listing (over limits.file_size) was never taken
            raise ArchivedBytesMissing("the file was refused unread (over limits.file_size): "
                                       "its bytes were never taken, so there is nothing to "
                                       "replay or show; the partner's copy was left in place")
        path = self._path(key)
        if not path.is_file():
            raise ArchivedBytesMissing(f"the archived bytes {key} are gone (purged by the "
                                       "archive.retention_days setting, or removed by hand)")
        return path.read_bytes()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"{key!r} is not an archive key")
        return path


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
