"""The raw archive kept in the store's own database (``archive.backend: database``).

Several gateway nodes on one PostgreSQL each take files from their partners, and any of them
must be able to replay or show any file: a folder on one node cannot serve that, the store
everyone shares can. A file's bytes are one ``archive_objects`` row (key, SHA-256, size) and its
``archive_chunks``, a mebibyte a row, in order. The keys are the folder archive's
(``ab/cd/<sha256>``, `archive_key`), so a file's record names its bytes the same way whichever
backend keeps them, and the errors for an empty or a missing key are the same words
(`bytes_missing`).

No file is ever held whole. `DatabaseArchive.put_stream` spools what it is given to a temporary
file (in TMPDIR: put that on disk, not in memory, for big files), hashing on the way, then
inserts it a chunk at a time; `DatabaseArchive.open` fetches a chunk when a read reaches it,
each with a short query of its own, so a slow reader holds no connection.

A file is kept whole or not at all: its object row and every chunk are written in one
transaction. The same bytes put twice, or by two nodes at once, are kept once: the second
writer finds the first one's object (or collides with it on the key) and keeps that.

Another backend, an S3-like object store, implements the same `gateway.app.ports.Archive`:
``put(data) -> (sha256, key)``, ``put_stream(write) -> KeptFile``, ``get(key) -> bytes``,
``open(key) -> BinaryIO`` (seekable), and ``remove(key) -> bool`` for retention; its object
name is ``archive_key(sha256)``, and it raises ``bytes_missing(key)`` for an empty or absent key.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from bisect import bisect_right
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from itertools import accumulate
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import Connection, Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from gateway.app.ports import KeptFile, Sink
from gateway.store.archive import HashingSink, archive_key, bytes_missing
from gateway.store.engine import reading
from gateway.store.schema import archive_chunks, archive_objects

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["CHUNK_BYTES", "DatabaseArchive"]

CHUNK_BYTES = 1 << 20  # a row of archive_chunks: small enough to hold, big enough to be few


class DatabaseArchive:
    """`gateway.app.ports.Archive` in the tables ``archive_objects`` and ``archive_chunks``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = reading(engine)  # see `reading`: reads take no write lock on SQLite

    def put(self, data: bytes) -> tuple[str, str]:
        digest = hashlib.sha256(data).hexdigest()
        kept = KeptFile(digest, archive_key(digest), len(data))
        self._keep(kept, (data[at:at + CHUNK_BYTES] for at in range(0, len(data), CHUNK_BYTES)))
        return digest, kept.key

    def put_stream(self, write: Callable[[Sink], object]) -> KeptFile:
        """Keep what ``write`` writes, hashed as it arrives; nothing is kept if it raises.
        The key is known only at the end, so the bytes wait in a temporary file meanwhile."""
        with tempfile.TemporaryFile(prefix="gateway-archive-") as spool:
            hashing = HashingSink(spool)
            write(hashing)
            digest = hashing.sha256.hexdigest()
            kept = KeptFile(digest, archive_key(digest), hashing.size)
            spool.seek(0)
            self._keep(kept, iter(partial(spool.read, CHUNK_BYTES), b""))
        return kept

    def remove(self, key: str) -> bool:
        """Delete the bytes kept under ``key`` (retention); False when they were already gone."""
        with self._engine.begin() as connection:
            connection.execute(delete(archive_chunks).where(archive_chunks.c.key == key))
            removed = connection.execute(
                delete(archive_objects).where(archive_objects.c.key == key))
        return removed.rowcount > 0

    def get(self, key: str) -> bytes:
        """The kept bytes, whole: for small files (a big one is read with `open`)."""
        with self._reader.connect() as connection:
            size = _size_of(connection, key)
            data = b"".join(connection.execute(
                select(archive_chunks.c.data).where(archive_chunks.c.key == key)
                .order_by(archive_chunks.c.seq)).scalars())
        if size is None or len(data) != size:  # never kept, or removed while we read it
            raise bytes_missing(key)
        return data

    def open(self, key: str) -> BinaryIO:
        """The kept bytes as a seekable binary file, fetched a chunk at a time as it is read."""
        with self._reader.connect() as connection:
            size = _size_of(connection, key)
            chunks = connection.execute(
                select(archive_chunks.c.seq, func.length(archive_chunks.c.data))
                .where(archive_chunks.c.key == key).order_by(archive_chunks.c.seq)).all()
        lengths = [length for _seq, length in chunks]
        if size is None or sum(lengths) != size:
            raise bytes_missing(key)
        return io.BufferedReader(_ChunkReader(self._reader, key, [seq for seq, _ in chunks],
                                              lengths))

    def _keep(self, kept: KeptFile, chunks: Iterable[bytes]) -> None:
        """Keep ``chunks`` as ``kept`` unless the same bytes are kept already: by an earlier
        put, or by another node that won a race for the same key."""
        if self._kept_size(kept.key) == kept.size:
            return  # content-addressed: the same bytes, and no write lock taken for nothing
        try:
            with self._engine.begin() as connection:
                _write(connection, kept, chunks)
        except IntegrityError:
            # Another writer inserted the same key between our look and our insert; what it
            # kept has the same SHA-256, so it is these bytes once its size agrees.
            if self._kept_size(kept.key) != kept.size:
                raise

    def _kept_size(self, key: str) -> int | None:
        with self._reader.connect() as connection:
            return _size_of(connection, key)


def _size_of(connection: Connection, key: str) -> int | None:
    """The size of the object kept under ``key``; None when there is none."""
    size = connection.execute(select(archive_objects.c.size)
                              .where(archive_objects.c.key == key)).scalar_one_or_none()
    return None if size is None else int(size)


def _write(connection: Connection, kept: KeptFile, chunks: Iterable[bytes]) -> None:
    """The object row, then its chunks (their foreign key needs it), in the caller's
    transaction: a crash leaves the whole file or nothing of it."""
    found = _size_of(connection, kept.key)
    if found == kept.size:
        return  # another writer committed the same bytes since we looked
    if found is not None:  # a different size under the same SHA-256: damaged, so replaced
        connection.execute(delete(archive_chunks).where(archive_chunks.c.key == kept.key))
        connection.execute(delete(archive_objects).where(archive_objects.c.key == kept.key))
    connection.execute(insert(archive_objects).values(
        key=kept.key, sha256=kept.sha256, size=kept.size, stored_at=datetime.now(UTC)))
    for seq, data in enumerate(chunks):
        connection.execute(insert(archive_chunks).values(key=kept.key, seq=seq, data=data))


class _ChunkReader(io.RawIOBase):
    """One kept file's bytes, seekable. A chunk is fetched when a read reaches it, by a short
    query of its own, and only the last one fetched is held: memory stays at a chunk and no
    connection is held between reads, however slowly the file is read."""

    def __init__(self, engine: Engine, key: str, seqs: list[int], lengths: list[int]) -> None:
        super().__init__()
        self._engine = engine
        self._key = key
        self._seqs = seqs
        self._starts = list(accumulate(lengths, initial=0))  # the last is the file's size
        self._position = 0
        self._held: tuple[int, bytes] | None = None  # (index, bytes) of the chunk last read

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._starts[-1]}
        if whence not in base:
            raise ValueError(f"invalid whence ({whence})")
        if base[whence] + offset < 0:
            raise ValueError(f"negative seek position {base[whence] + offset}")
        self._position = base[whence] + offset
        return self._position

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        if self._position >= self._starts[-1]:
            return 0
        index = bisect_right(self._starts, self._position) - 1
        chunk = memoryview(self._chunk(index))[self._position - self._starts[index]:]
        target = memoryview(buffer).cast("B")
        count = min(len(target), len(chunk))
        target[:count] = chunk[:count]
        self._position += count
        return count

    def close(self) -> None:
        self._held = None
        super().close()

    def _chunk(self, index: int) -> bytes:
        if self._held is None or self._held[0] != index:
            with self._engine.connect() as connection:
                data = connection.execute(
                    select(archive_chunks.c.data).where(archive_chunks.c.key == self._key,
                                                        archive_chunks.c.seq == self._seqs[index])
                ).scalar_one_or_none()
            if data is None or len(data) != self._starts[index + 1] - self._starts[index]:
                raise bytes_missing(self._key)  # removed (retention) while it was being read
            self._held = (index, data)
        return self._held[1]
