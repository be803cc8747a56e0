"""The raw archive kept in the store (`archive.backend: database`) keeps its promises as the
folder does: one contract, run on the folder, on SQLite and on a real PostgreSQL.

Keys and errors are the folder's, the same bytes are kept once however often (and however
many nodes at once) they arrive, a failed download keeps nothing, and no file is held whole:
a 64 MiB stream goes in and out in a few mebibytes. Then the gateway itself: a streamed
ingest and replay read the database archive inside their transactions, and `gateway ingest`
and `gateway replay` work with no archive folder at all.
"""

from __future__ import annotations

import hashlib
import io
import random
import shutil
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, MetaData, func, select

from gateway.app import ingest as ingest_module
from gateway.app.ingest import ingest, ingest_kept, replay
from gateway.app.ports import KeptFile, Sink
from gateway.bootstrap import file_archive, ingest_ports, purge_archive
from gateway.errors import ArchivedBytesMissing
from gateway.store import archive_db
from gateway.store.archive import FileArchive, archive_key
from gateway.store.archive_db import CHUNK_BYTES, DatabaseArchive
from gateway.store.engine import open_engine
from gateway.store.migrate import upgrade
from gateway.store.schema import archive_chunks, archive_objects, metadata
from gateway.x12 import text as text_module
from tests.cli import run_gateway
from tests.store.conftest import fresh_postgres_database
from tests.store.workspace import migrated_store

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
MIB = 1 << 20
ODD_PIECES = (1, 4_093, 65_537, 999_999, 3)  # write and read sizes that fit no chunk
GONE = ("the archived bytes {key} are gone (purged by the archive.retention_days setting, "
        "or removed by hand)")
REFUSED = ("the file was refused unread (over limits.file_size): its bytes were never taken, "
           "so there is nothing to replay or show; the partner's copy was left in place")


@dataclass
class Backend:
    """An archive under test, with what only its backend can say: how many files it keeps."""

    archive: FileArchive | DatabaseArchive
    kept_count: Callable[[], int]
    engine: Engine | None = None  # the database's, for a database archive


def _folder(root: Path) -> Backend:
    return Backend(FileArchive(root),
                   lambda: sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0)


@contextmanager
def _database(url: str) -> Iterator[Backend]:
    engine = open_engine(url)
    upgrade(engine)

    def kept_count() -> int:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(archive_objects))
                       .scalar_one())
    try:
        yield Backend(DatabaseArchive(engine), kept_count, engine)
    finally:
        engine.dispose()


@pytest.fixture(params=["folder", "sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "folder":
        yield _folder(tmp_path / "archive")
    elif request.param == "sqlite":
        with _database(f"sqlite:///{tmp_path / 'gateway.sqlite'}") as made:
            yield made
    else:
        with (fresh_postgres_database(request.getfixturevalue("postgres_server")) as url,
              _database(url) as made):
            yield made


@pytest.fixture
def database_backend(database_url: str) -> Iterator[Backend]:
    with _database(database_url) as made:
        yield made


def _bytes(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def _written_in_odd_pieces(data: bytes) -> Callable[[Sink], None]:
    def write(sink: Sink) -> None:
        at, turn = 0, 0
        while at < len(data):
            piece = ODD_PIECES[turn % len(ODD_PIECES)]
            sink.write(data[at:at + piece])
            at, turn = at + piece, turn + 1
    return write


def _read_in_odd_pieces(stream: BinaryIO) -> bytes:
    pieces, turn = [], 0
    while block := stream.read(ODD_PIECES[turn % len(ODD_PIECES)]):
        pieces.append(block)
        turn += 1
    return b"".join(pieces)


def test_put_and_get_give_back_the_bytes_under_their_content_address(backend: Backend) -> None:
    data = b"ISA*00*          *00*          *ZZ*NORTHWIND~" * 3
    digest = hashlib.sha256(data).hexdigest()
    assert backend.archive.put(data) == (digest, f"{digest[:2]}/{digest[2:4]}/{digest}")
    assert backend.archive.get(archive_key(digest)) == data
    with backend.archive.open(archive_key(digest)) as stream:
        assert stream.read() == data
    empty = backend.archive.put(b"")  # an empty file is a file too
    assert backend.archive.get(empty[1]) == b""
    with backend.archive.open(empty[1]) as stream:
        assert stream.read() == b""


def test_a_stream_written_in_odd_pieces_reads_back_exactly(backend: Backend) -> None:
    data = _bytes(5 * MIB + 12_345)
    kept = backend.archive.put_stream(_written_in_odd_pieces(data))
    digest = hashlib.sha256(data).hexdigest()
    assert kept == KeptFile(digest, archive_key(digest), len(data))
    with backend.archive.open(kept.key) as stream:
        assert _read_in_odd_pieces(stream) == data
        assert stream.seek(0, io.SEEK_END) == len(data)  # what contents_size asks
        stream.seek(CHUNK_BYTES - 3)  # across a chunk's end
        assert stream.read(10) == data[CHUNK_BYTES - 3:CHUNK_BYTES + 7]
        stream.seek(-5, io.SEEK_END)
        assert stream.read() == data[-5:]
        stream.seek(2)
        assert stream.read(3) == data[2:5]
    assert backend.archive.get(kept.key) == data


def test_the_same_bytes_twice_are_one_file(backend: Backend) -> None:
    data = _bytes(2 * MIB + 1)
    first = backend.archive.put_stream(_written_in_odd_pieces(data))
    assert backend.archive.put_stream(_written_in_odd_pieces(data)) == first
    assert backend.archive.put(data) == (first.sha256, first.key)
    assert backend.kept_count() == 1
    assert backend.archive.get(first.key) == data


def test_a_write_that_raises_keeps_nothing(backend: Backend) -> None:
    def broken(sink: Sink) -> None:
        sink.write(_bytes(3 * MIB))
        raise ConnectionResetError("the partner hung up")

    with pytest.raises(ConnectionResetError):
        backend.archive.put_stream(broken)
    assert backend.kept_count() == 0


def test_remove_deletes_the_bytes_once(backend: Backend) -> None:
    data = _bytes(CHUNK_BYTES * 2)
    _, key = backend.archive.put(data)
    assert backend.archive.remove(key) and not backend.archive.remove(key)
    assert backend.kept_count() == 0
    with pytest.raises(ArchivedBytesMissing, match="retention"):
        backend.archive.get(key)
    assert backend.archive.put(data)[1] == key  # and the same bytes may come again
    assert backend.archive.get(key) == data


@pytest.mark.parametrize("read", ["get", "open"])
def test_a_missing_or_empty_key_says_why_in_plain_words(backend: Backend, read: str) -> None:
    key = archive_key(hashlib.sha256(b"never kept").hexdigest())
    with pytest.raises(ArchivedBytesMissing) as gone:
        getattr(backend.archive, read)(key)
    assert str(gone.value) == GONE.format(key=key)
    with pytest.raises(ArchivedBytesMissing) as refused:
        getattr(backend.archive, read)("")
    assert str(refused.value) == REFUSED


def test_two_nodes_putting_the_same_bytes_at_once_both_succeed(backend: Backend) -> None:
    """Each round's writers finish writing together, then race to keep the same key."""
    for round_ in range(4):
        data = _bytes(3 * MIB, seed=round_)
        together = threading.Barrier(3)
        kept: list[KeptFile] = []
        failed: list[BaseException] = []

        def write(sink: Sink, data: bytes = data, together: threading.Barrier = together
                  ) -> None:
            sink.write(data)
            together.wait(timeout=30)

        def node(write: Callable[[Sink], None] = write, kept: list[KeptFile] = kept,
                 failed: list[BaseException] = failed) -> None:
            try:
                kept.append(backend.archive.put_stream(write))
            except BaseException as exc:
                failed.append(exc)
        threads = [threading.Thread(target=node) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not failed, failed
        assert len(kept) == 3 and len(set(kept)) == 1
        assert backend.archive.get(kept[0].key) == data
    assert backend.kept_count() == 4


def test_the_loser_of_a_race_for_a_key_keeps_the_winners_bytes(
        database_backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first writer holds its transaction open after inserting the object row; the second
    then finds nothing committed, collides with it (PostgreSQL: an IntegrityError once the
    first commits; SQLite: it waits for the write lock) and still succeeds."""
    real_write = archive_db._write
    inserted = threading.Event()

    def slow_write(connection: Connection, kept: KeptFile, chunks: Any) -> None:
        def held(chunks: Any = chunks) -> Iterator[bytes]:
            if threading.current_thread().name == "first":
                inserted.set()
                threading.Event().wait(1.0)  # the second is blocked on the key meanwhile
            yield from chunks
        real_write(connection, kept, held())
    monkeypatch.setattr(archive_db, "_write", slow_write)
    data = _bytes(MIB + 3)
    results: dict[str, KeptFile | BaseException] = {}

    def put(name: str) -> None:
        try:
            results[name] = database_backend.archive.put_stream(lambda sink: sink.write(data))
        except BaseException as exc:
            results[name] = exc
    first = threading.Thread(target=put, args=("first",), name="first")
    first.start()
    assert inserted.wait(timeout=30)
    put("second")
    first.join(timeout=60)
    assert results["first"] == results["second"] and isinstance(results["first"], KeptFile)
    assert database_backend.kept_count() == 1
    assert database_backend.archive.get(results["first"].key) == data


def _pieces_of(size: int, piece: bytes) -> Callable[[Sink], None]:
    def write(sink: Sink) -> None:
        for _ in range(size // len(piece)):
            sink.write(piece)
    return write


def test_a_big_file_goes_in_and_out_a_chunk_at_a_time(backend: Backend) -> None:
    size, piece = 64 * MIB, _bytes(65_537)[:65_536]
    tracemalloc.start()
    try:
        kept = backend.archive.put_stream(_pieces_of(size, piece))
        _, written_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest, read = hashlib.sha256(), 0
        with backend.archive.open(kept.key) as stream:
            while block := stream.read(300_007):
                digest.update(block)
                read += len(block)
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (kept.size, read, digest.hexdigest()) == (size, size, kept.sha256)
    assert written_peak < 8 * MIB and read_peak < 8 * MIB, (written_peak, read_peak)


def test_the_migration_creates_the_archive_tables_the_code_uses(
        database_backend: Backend) -> None:
    """Types, keys and the foreign key too, not only the column names test_store checks."""
    assert database_backend.engine is not None
    ours = MetaData()
    for table in (archive_objects, archive_chunks):
        table.to_metadata(ours)
    with database_backend.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            "include_name": lambda name, kind, _parents: kind != "table" or name in ours.tables})
        assert compare_metadata(context, ours) == []
    assert {"archive_objects", "archive_chunks"} <= set(metadata.tables)


def test_a_streamed_ingest_and_replay_read_the_database_archive(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A big file is read from the archive while the ingest transaction that reports on it
    is open (the lines of its findings): on SQLite that read must not wait for the write lock
    its own thread holds. Small chunks everywhere make every read a query of its own."""
    store, config = migrated_store(database_url, tmp_path / "archive")
    held_ports, settings = ingest_ports(config, store)
    ports, _ = ingest_ports(replace(config, archive_backend="database"), store)
    assert isinstance(ports.archive, DatabaseArchive)
    monkeypatch.setattr(ingest_module, "HELD_WHOLE_BYTES", 0)
    monkeypatch.setattr(text_module, "CHUNK_BYTES", 11)
    monkeypatch.setattr(archive_db, "CHUNK_BYTES", 7)
    for name in ("valid/856-pick-pack-004010.x12", "defects/dtm-invalid-date.x12"):
        data = (SAMPLES / name).read_bytes()
        expected = ingest(data, f"held-{Path(name).name}", "held", held_ports, settings, now=NOW)
        kept = ports.archive.put_stream(_written_in_odd_pieces(data))
        result = ingest_kept(kept, Path(name).name, "acme", ports, settings, now=NOW)
        assert (result.state, result.reason) == (expected.state, expected.reason), name
        assert [(f.code, f.line) for f in store.findings_of(result.file_id)] == \
            [(f.code, f.line) for f in store.findings_of(expected.file_id)]
        stored = store.files_by_id([result.file_id])[result.file_id]
        again = replay(stored, ports, settings, now=NOW + timedelta(hours=1))
        assert again.state == result.state


def test_bootstrap_builds_the_configured_archive_and_purges_it(
        database_url: str, tmp_path: Path) -> None:
    store, folder_config = migrated_store(database_url, tmp_path / "archive")
    config = replace(folder_config, archive_backend="database")
    assert isinstance(file_archive(folder_config, store), FileArchive)
    shared = file_archive(config, store)
    assert isinstance(shared, DatabaseArchive) and shared._engine is store.engine
    _, key = shared.put(b"ISA*00*~")
    alone = file_archive(config)  # the console without a store at hand: an engine of its own
    assert alone.get(key) == b"ISA*00*~"
    assert purge_archive(config, [key, archive_key("ab" * 32)]) == 1
    with pytest.raises(ArchivedBytesMissing):
        shared.get(key)
    assert not (tmp_path / "archive").exists()


def test_gateway_ingest_and_replay_need_no_archive_folder(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "partners").mkdir(parents=True)
    shutil.copy(REPO / "partners" / "northwind.yaml", project / "partners")
    (project / "config.yaml").write_text(
        f"store: {{url: 'sqlite:///{project / 'var' / 'gateway.sqlite'}'}}\n"
        f"paths: {{mappings: '{REPO / 'mappings'}', archive: '{project / 'no-such-folder'}'}}\n"
        "archive: {backend: database}\n")
    shutil.copy(SAMPLES / "valid" / "180-return-request-004010.x12", project / "rma.x12")
    (project / "big.txt").write_bytes(b"not x12 at all\n" * 300_000)  # over 4 MiB: streamed
    assert run_gateway("db", "upgrade", cwd=project).returncode == 0

    small = run_gateway("ingest", "--partner", "northwind", "rma.x12", cwd=project)
    assert small.returncode == 0 and "accepted" in small.stdout, small.stderr
    big = run_gateway("ingest", "--partner", "northwind", "big.txt", cwd=project)
    assert "not-x12" in big.stdout, big.stderr
    (project / "rma.x12").unlink()
    (project / "big.txt").unlink()

    replayed = run_gateway("replay", "#1", "#2", cwd=project)
    assert replayed.returncode == 0, replayed.stderr
    assert "accepted" in replayed.stdout and "not-x12" in replayed.stdout, replayed.stdout
    assert not (project / "no-such-folder").exists()
    assert not (project / "var" / "archive").exists()
