"""A big file is downloaded straight into the archive and read back from it as a stream.

The archive keeps what a download writes, hashed as it arrives (nothing of a failed one);
`ingest_kept` of a file over ``HELD_WHOLE_BYTES`` reads it from the archive a chunk at a time
and must store exactly what `ingest` of the same bytes in memory stores: state, reason,
findings, documents and acknowledgements, for X12 (valid, defective, several interchanges) and
for XML; a poll never asks the channel for a file's bytes whole; a replay and its preview
stream too, and the console's raw view reads only the head it shows.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.app import ingest as ingest_module
from gateway.app import translate as translate_module
from gateway.app.cases import cases_for, document_from_json
from gateway.app.ingest import (
    IngestSettings,
    Ports,
    ingest,
    ingest_kept,
    preview_replay,
    replay,
)
from gateway.app.items import item_keys
from gateway.app.parted import PartsKeeper, folded_shipment, recalled_products
from gateway.app.poll import poll_once
from gateway.app.ports import Sink, StoredDocument
from gateway.app.translate import FileTranslation, SetTranslation, translate_x12
from gateway.bootstrap import ingest_ports
from gateway.config.mappings import MappingCatalog
from gateway.config.partners import read_partner
from gateway.console.rawfile import raw_view
from gateway.domain.recall_match import product_identity, recall_holds, shipment_items
from gateway.mapping.stream import SpooledJson, translate_set_streamed
from gateway.mapping.translate import translate_set
from gateway.model import (
    AffectedProduct,
    HierarchyLevel,
    ItemId,
    ItemIdScheme,
    RecallNotice,
    ReturnShipment,
    ShipmentNode,
    Source,
)
from gateway.model.canonical_json import to_json
from gateway.store.archive import FileArchive
from gateway.store.repository import SqlStore
from gateway.store.schema import document_items, document_keys
from gateway.transport.local import LocalChannel
from gateway.x12 import text as text_module
from tests.store.test_events import validator
from tests.store.workspace import migrated_store

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
FILES = ["valid/856-pick-pack-004010.x12", "valid/180-return-request-004010.x12",
         "valid/two-interchanges.x12", "valid/bom-crlf-214.x12", "defects/ge02-mismatch.x12",
         "defects/dtm-invalid-date.x12", "defects/iea-missing.x12",
         "recall/valid-stand-mixer-serials.xml", "recall/invalid-gtin-check-digit.xml"]


def test_the_archive_keeps_a_stream_hashed_as_it_arrives(tmp_path: Path) -> None:
    archive = FileArchive(tmp_path / "archive")
    data = bytes(range(256)) * 5_000

    def download(sink: Sink) -> None:
        for at in range(0, len(data), 4_096):
            sink.write(data[at:at + 4_096])

    kept = archive.put_stream(download)
    assert (kept.sha256, kept.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert archive.put(data) == (kept.sha256, kept.key)  # the same content address
    with archive.open(kept.key) as stream:
        assert stream.read() == data
    assert archive.put_stream(download) == kept  # again: still one file
    assert [p.name for p in (tmp_path / "archive").rglob("*") if p.is_file()] == [kept.sha256]


def test_a_download_that_fails_leaves_nothing_in_the_archive(tmp_path: Path) -> None:
    archive = FileArchive(tmp_path / "archive")

    def broken(sink: Sink) -> None:
        sink.write(b"ISA*00*" * 1_000)
        raise ConnectionResetError("the partner hung up")

    with pytest.raises(ConnectionResetError):
        archive.put_stream(broken)
    assert [p for p in (tmp_path / "archive").rglob("*") if p.is_file()] == []


class _Workspace:
    def __init__(self, tmp_path: Path, name: str, url: str | None = None) -> None:
        self.store, config = migrated_store(url or f"sqlite:///{tmp_path / name}.sqlite",
                                            tmp_path / name / "archive")
        self.ports, self.settings = ingest_ports(config, self.store)

    def stored(self, file_id: int) -> list[Any]:
        stored = self.store.files_by_id([file_id])[file_id]
        return [stored.state, stored.reason, stored.size, stored.sha256,
                self.store.findings_of(file_id),
                [d.json_text() for d in self.store.documents_of_file(file_id)],
                [(a.kind, a.payload) for _, a, _ in self.store.outbox_of_files([file_id])]]


def _streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file is read from the archive as a stream, in chunks of a few bytes."""
    monkeypatch.setattr(ingest_module, "HELD_WHOLE_BYTES", 0)
    monkeypatch.setattr(text_module, "CHUNK_BYTES", 11)


def _watch_opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys the archive is asked to open as a stream, as they are asked for."""
    opened: list[str] = []
    real_open = FileArchive.open

    def watched_open(archive: FileArchive, key: str) -> Any:
        opened.append(key)
        return real_open(archive, key)
    monkeypatch.setattr(FileArchive, "open", watched_open)
    return opened


def test_a_streamed_file_is_stored_as_the_same_bytes_in_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    held, streamed = _Workspace(tmp_path, "held"), _Workspace(tmp_path, "streamed")
    expected = []
    for name in FILES:
        data = (SAMPLES / name).read_bytes()
        result = ingest(data, Path(name).name, "acme", held.ports, held.settings, now=NOW)
        expected.append(held.stored(result.file_id))
    _streamed(monkeypatch)
    opened = _watch_opens(monkeypatch)
    for name, wanted in zip(FILES, expected, strict=True):
        data = (SAMPLES / name).read_bytes()
        kept = streamed.ports.archive.put_stream(lambda sink, d=data: sink.write(d))
        result = ingest_kept(kept, Path(name).name, "acme", streamed.ports, streamed.settings,
                             now=NOW)
        assert streamed.stored(result.file_id) == wanted, name
    assert len(opened) == len(FILES)  # each read from the archive as a stream
    assert all(any(row[at] for row in expected) for at in (4, 5, 6))  # findings, documents, acks


def test_a_replay_reads_the_archive_as_a_stream(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    space = _Workspace(tmp_path, "replay")
    data = (SAMPLES / "valid" / "856-pick-pack-004010.x12").read_bytes()
    first = ingest(data, "asn.x12", "acme", space.ports, space.settings, now=NOW)
    before = space.stored(first.file_id)
    _streamed(monkeypatch)
    opened = _watch_opens(monkeypatch)
    stored = space.store.files_by_id([first.file_id])[first.file_id]
    again = replay(stored, space.ports, space.settings, now=NOW + timedelta(hours=1))
    assert opened == [stored.archive_key]
    assert again.state == before[0] and space.stored(first.file_id)[5] == before[5]


class _NoWholeFetch(LocalChannel):
    """The real local channel; asking it for a file's bytes whole fails the test."""

    def fetch(self, name: str, *, max_bytes: int | None = None) -> bytes:
        raise AssertionError(f"{name} was fetched whole")


def _poll(store: SqlStore, channel: LocalChannel, ports: Ports,
          settings: IngestSettings) -> Any:
    return poll_once("northwind", channel, ports, settings, store, clock=lambda: NOW,
                     settle=0.01, sleep=lambda seconds: None)


def test_a_poll_downloads_straight_into_the_archive(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _streamed(monkeypatch)
    store, config = migrated_store(f"sqlite:///{tmp_path}/poll.sqlite", tmp_path / "archive")
    partner = read_partner(REPO / "partners" / "northwind.yaml")
    ports, settings = ingest_ports(config, store, partner)
    folder = tmp_path / "var" / "partners" / "northwind"
    for name in ("outbox", "inbox", "done"):
        (folder / name).mkdir(parents=True)
    data = (SAMPLES / "valid" / "180-return-request-004010.x12").read_bytes()
    (folder / "outbox" / "rma.x12").write_bytes(data)

    report = _poll(store, _NoWholeFetch(partner, tmp_path), ports, settings)

    [(name, result)] = report.taken
    assert (name, result.state, result.documents) == ("rma.x12", "accepted", 1)
    kept = [p for p in (tmp_path / "archive").rglob("*") if p.is_file()]
    assert [p.name for p in kept] == [hashlib.sha256(data).hexdigest()]  # no temporary left
    assert kept[0].read_bytes() == data
    assert not (folder / "outbox" / "rma.x12").exists()  # taken only after the commit


def test_gateway_validate_streams_a_big_file_and_says_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.cli import checks, command  # noqa: PLC0415 - the module whose threshold is patched
    paths = [str(SAMPLES / name) for name in FILES]
    monkeypatch.chdir(REPO)
    command.main(["validate", "--json", *paths])
    in_memory = capsys.readouterr().out
    monkeypatch.setattr(checks, "HELD_WHOLE_BYTES", 0)
    monkeypatch.setattr(text_module, "CHUNK_BYTES", 11)
    opened: list[type] = []
    real = checks._file_contents

    def watched(path: Path) -> Any:
        manager = real(path)
        contents = manager.__enter__()
        opened.append(type(contents))
        manager.__exit__(None, None, None)
        return real(path)
    monkeypatch.setattr(checks, "_file_contents", watched)
    command.main(["validate", "--json", *paths])
    assert capsys.readouterr().out == in_memory
    assert opened and bytes not in opened and io.BufferedReader in opened


def test_a_replay_preview_reads_a_stream_as_the_bytes(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    space = _Workspace(tmp_path, "preview")
    data = (SAMPLES / "valid" / "856-pick-pack-004010.x12").read_bytes()
    expected = preview_replay(data, "acme", space.ports, space.settings)
    monkeypatch.setattr(text_module, "CHUNK_BYTES", 11)
    assert preview_replay(io.BytesIO(data), "acme", space.ports, space.settings) == expected
    assert expected.documents  # not vacuous


def test_the_console_shows_the_head_of_a_big_file_without_reading_it_all(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = FileArchive(tmp_path / "archive")
    data = (SAMPLES / "valid" / "856-pick-pack-004010.x12").read_bytes() * 200
    _, key = archive.put(data)

    def whole(archive: FileArchive, key: str) -> bytes:
        raise AssertionError("the whole file was read for its first bytes")
    monkeypatch.setattr(FileArchive, "get", whole)
    view = raw_view(archive, key, 4_096)
    assert (view.shown_bytes, view.total_bytes, view.truncated) == (4_096, len(data), True)
    assert view.lines[0].startswith("ISA*00*")


def test_documents_are_stored_as_prepared_when_their_set_was_mapped(tmp_path: Path) -> None:
    """Ingest turns each set's document into its stored form as the set is mapped and lets
    the objects go; what it stores (documents and their events) is what the objects say."""
    space = _Workspace(tmp_path, "prepared")
    data = (SAMPLES / "valid" / "two-interchanges.x12").read_bytes()
    expected = translate_x12(data, space.ports.find_spec, "acme").usable_documents
    seen: list[SetTranslation] = []
    real = ingest_module._FileRun.x12

    def watched(run: Any, result: FileTranslation) -> Any:
        seen.extend(result.sets)
        return real(run, result)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest_module._FileRun, "x12", watched)
        result = ingest(data, "two.x12", "acme", space.ports, space.settings, now=NOW)
    stored = space.store.documents_of_file(result.file_id)
    assert len(expected) == len(stored) == 2
    assert [json.loads(d.body) for d in stored] == [to_json(d) for d in expected]
    mapped = [s for s in seen if s.prepared is not None]
    assert len(mapped) == 2 and all(s.document is None and not s.unmapped for s in mapped)
    events = [e for e in space.store.events_after(0, limit=100)
              if e.document_id is not None]
    assert [e.data["document"] for e in events] == [json.loads(d.body) for d in stored]


# --- a big ship notice mapped a loop at a time ---------------------------------------------------
def _indexed(store: SqlStore) -> list[Any]:
    """The keys and item identifiers every stored document left, and its events (the
    document itself left out: a document kept in parts is not carried)."""
    with store.engine.connect() as connection:
        keys = sorted(tuple(row) for row in connection.execute(select(document_keys)))
        items = sorted(tuple(row) for row in connection.execute(select(document_items)))
    events = [(e.type, e.keys, {k: v for k, v in e.data.items()
                                if k not in ("document", "document_omitted")})
              for e in store.events_after(0, limit=1000)]
    return [keys, items, events]


def _ship_notices() -> list[Path]:
    return [p for p in sorted(SAMPLES.rglob("*.x12")) if b"ST*856" in p.read_bytes()]


def _every_856_streams(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every 856 set is mapped a loop at a time (and so kept in parts); the mappings used."""
    monkeypatch.setattr(translate_module, "STREAM_SET_CHARS", 0)
    calls: list[str] = []
    real = translate_module.translate_set_streamed

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0].name)
        return real(*args, **kwargs)
    monkeypatch.setattr(translate_module, "translate_set_streamed", counted)
    return calls


def test_a_ship_notice_kept_in_parts_is_stored_as_one_mapped_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    """On SQLite and PostgreSQL (the parts, the batched identifiers, the digest column)."""
    names = _ship_notices()
    whole = _Workspace(tmp_path, "whole")
    streamed = _Workspace(tmp_path, "streamed", database_url)
    expected = [whole.stored(ingest(path.read_bytes(), path.name, "acme", whole.ports,
                                    whole.settings, now=NOW).file_id) for path in names]
    calls = _every_856_streams(monkeypatch)
    for path, wanted in zip(names, expected, strict=True):
        result = ingest(path.read_bytes(), path.name, "acme", streamed.ports, streamed.settings,
                        now=NOW)
        assert streamed.stored(result.file_id) == wanted, path.name
    assert _indexed(streamed.store) == _indexed(whole.store)
    assert len(calls) >= len(names) - 1 and any(row[5] for row in expected)
    parted = [d for d in streamed.store.each_document() if d.parts]
    assert parted and all(d.body == "" and d.case_digest for d in parted)
    # Their events say they are not carried, and still read as the published schema says.
    check = validator()
    omitted = [e for e in streamed.store.events_after(0, limit=1000)
               if "document_omitted" in e.data]
    assert len(omitted) == len(parted)
    for event in streamed.store.events_after(0, limit=1000):
        check.validate(json.loads(json.dumps(event.envelope())))


def test_a_case_folds_a_ship_notice_kept_in_parts_as_it_folds_it_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same cases, keys, names, facts and state; shipped items: those a recall names."""
    story = ["valid/180-return-request-004010.x12", "valid/856-pick-pack-004010.x12",
             "valid/214-status-004010.x12"]
    whole, streamed = _Workspace(tmp_path, "whole"), _Workspace(tmp_path, "streamed")
    for workspace in (whole, streamed):
        if workspace is streamed:
            _every_856_streams(monkeypatch)
        for name in story:
            ingest((SAMPLES / name).read_bytes(), Path(name).name, "acme", workspace.ports,
                   workspace.settings, now=NOW)
    [shipment] = [d for d in streamed.store.each_document() if d.kind == "return-shipment"]
    assert shipment.parts
    seen = [cases_for(w.store, shipment.reference).cases for w in (whole, streamed)]
    assert seen[0] and [_as_folded(c) for c in seen[0]] == [_as_folded(c) for c in seen[1]]
    assert any(c.shipped for c in seen[0]) and not any(c.shipped for c in seen[1])


def _as_folded(case: Any) -> Any:
    return (case.case_id, case.keys, case.names, case.facts, case.documents, case.state)


def test_the_items_of_a_ship_notice_kept_in_parts_are_held_by_a_recall_of_their_product(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace = _Workspace(tmp_path, "recall")
    _every_856_streams(monkeypatch)
    data = (SAMPLES / "valid/856-pick-pack-004010.x12").read_bytes()
    ingest(data, "asn.x12", "acme", workspace.ports, workspace.settings, now=NOW)
    [stored] = [d for d in workspace.store.each_document() if d.parts]
    whole = document_from_json(replace(stored, body=stored.json_text(), parts=0))
    assert isinstance(whole, ReturnShipment)
    items = shipment_items(whole)
    recalled = recalled_products([RecallNotice(
        notice_id="R1", products=(AffectedProduct(item_ids=items[0].item_ids),))])
    assert recalled
    folded = folded_shipment(stored, recalled)
    assert folded is not None
    assert shipment_items(folded) == tuple(
        item for item in items if {product_identity(i) for i in item.item_ids} & recalled)
    unrecalled = folded_shipment(stored, frozenset())
    assert unrecalled is not None and not shipment_items(unrecalled)
    assert unrecalled.shipment_id == whole.shipment_id and unrecalled.carrier == whole.carrier


def test_spooled_item_identifiers_come_back_as_they_went_in_whatever_they_hold() -> None:
    """The identifiers are spooled as JSON lines: a tab, a line break or a quote inside a
    value is one value, never a broken line."""
    odd = ItemId(ItemIdScheme.SKU, 'A\tB\nC"\\')
    node = ShipmentNode("2", HierarchyLevel.ITEM, "I", item_ids=(odd,), serials=("S\n1",))
    keeper = PartsKeeper(lambda document: ())
    keeper.node(node, to_json(node))
    header = ReturnShipment(shipment_id="SHIP1")
    parted = keeper.record(header, SpooledJson(["{}"])).parted
    assert parted is not None
    try:
        assert sorted(parted.parts().item_keys) == sorted(item_keys(to_json(node)))
    finally:
        parted.close()


def test_an_item_nested_in_an_item_is_held_once_from_a_ship_notice_kept_in_parts() -> None:
    """An outer item's subtree holds the items under it: a recall of the inner one's product
    holds the same items as in the whole document, each once."""
    segments = [["ST", "856", "0001"], ["BSN", "00", "SHIP1", "20261203"],
                ["HL", "1", "", "S"], ["HL", "2", "1", "O"], ["PRF", "PO1"],
                ["HL", "3", "2", "I"], ["LIN", "", "UP", "614141000364"],
                ["HL", "4", "3", "I"], ["LIN", "", "UP", "614141000418"],
                ["SE", "9", "0001"]]
    spec = MappingCatalog(REPO / "mappings").spec_for("856", None)
    assert spec is not None
    source = Source("acme", "X12", "1", "1", "0001", "004010", spec.name)
    whole = translate_set(spec, segments, source).document
    assert isinstance(whole, ReturnShipment)
    keeper = PartsKeeper(lambda document: ())
    mapped = translate_set_streamed(spec, segments, source, watch=keeper)
    assert mapped.header is not None and mapped.json is not None
    parted = keeper.record(mapped.header, mapped.json).parted
    assert parted is not None
    parts = parted.parts()
    streams = {"json": list(parts.json), "items": list(parts.items)}
    parted.close()
    stored = StoredDocument(1, 1, "acme", "return-shipment", "SHIP1", "", NOW, parts=1,
                            case_digest=parts.case_digest,
                            read_parts=lambda _id, stream: iter(streams[stream]))
    assert len(list(stored.item_lines())) == 1  # the outer item's subtree, the inner in it
    notice = RecallNotice(notice_id="R1", products=(AffectedProduct(
        item_ids=(ItemId(ItemIdScheme.UPC, "614141000418"),)),))
    folded = folded_shipment(stored, recalled_products([notice]))
    assert folded is not None
    held = [match.line for match in recall_holds(notice, shipment_items(folded))]
    assert held == [match.line for match in recall_holds(notice, shipment_items(whole))]
    assert [node.hl_id for node in held] == ["4"]


def test_a_streamed_mapping_that_raises_maps_the_set_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug met a loop at a time costs nothing: the set is mapped whole, where a mapping's
    failure is a located issue (here there is none: the document is stored whole)."""
    monkeypatch.setattr(translate_module, "STREAM_SET_CHARS", 0)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug in the streamed path")
    monkeypatch.setattr(translate_module, "translate_set_streamed", broken)
    workspace = _Workspace(tmp_path, "broken")
    data = (SAMPLES / "valid/856-pick-pack-004010.x12").read_bytes()
    result = ingest(data, "asn.x12", "acme", workspace.ports, workspace.settings, now=NOW)
    assert result.state.value == "accepted"
    [stored] = list(workspace.store.each_document())
    assert not stored.parts and json.loads(stored.body)["hierarchy"]
