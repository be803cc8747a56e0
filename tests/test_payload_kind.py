"""`payload_kind`: the one place that tells X12 from XML (issue 13, item 4).

Every road a file takes asks it: ingest and replay, validate / ack / process / translate /
replay --dry-run, and the names outbound files are published under. Its X12 answer must be the
X12 front door's own reading of the file, and everything XML must reach the recall intake.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.app.poll import acknowledgement_file_name
from gateway.app.ports import OutboxItem
from gateway.model.payload import PayloadKind, payload_kind
from gateway.x12.text import FileKind, SourceText

REPO = Path(__file__).resolve().parents[1]
SAMPLES = sorted(p for p in (REPO / "samples").rglob("*")
                 if p.is_file() and p.suffix in (".x12", ".xml"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: str(p.relative_to(REPO / "samples")))
def test_every_sample_is_the_kind_its_reader_takes(path: Path) -> None:
    data = path.read_bytes()
    kind = payload_kind(data)
    assert (kind is PayloadKind.XML) == (path.suffix == ".xml")
    # X12 exactly when the front door reads an interchange header (a fragment or an empty
    # file is neither: the front door still answers it, with a located finding).
    assert (kind is PayloadKind.X12) == (SourceText.from_bytes(data).kind is FileKind.X12)


@pytest.mark.parametrize(("data", "kind"), [
    (b"ISA*00*", PayloadKind.X12),
    (b"\xef\xbb\xbf\r\n  \tISA*00*", PayloadKind.X12),  # a BOM, a blank line, indentation
    (b"ISA", PayloadKind.NEITHER),  # the front door needs its element separator too
    (b"<?xml version='1.0'?><r/>", PayloadKind.XML),
    (b"\xef\xbb\xbf\n  <r/>", PayloadKind.XML),
    (b"\xff\xfe<\x00r\x00/\x00>\x00", PayloadKind.XML),  # UTF-16: X12 never is
    (b"\xfe\xff\x00<\x00r\x00/\x00>", PayloadKind.XML),
    (b"", PayloadKind.NEITHER),
    (b" \r\n\t", PayloadKind.NEITHER),
    (b"GS*SH*NORTHWIND~", PayloadKind.NEITHER),  # a fragment: the front door says so
    (b"sku,qty\n1,2\n", PayloadKind.NEITHER),
    (b"\x0b<r/>", PayloadKind.NEITHER),  # only spaces, tabs and line breaks are skipped
])
def test_the_head_decides(data: bytes, kind: PayloadKind) -> None:
    assert payload_kind(data) is kind


def test_a_large_file_is_judged_by_its_head(tmp_path: Path) -> None:
    data = b"\n" * 100_000 + b"ISA*" + b"x" * 1_000_000
    assert payload_kind(data) is PayloadKind.X12


@pytest.mark.parametrize(("kind", "payload", "name"), [
    ("997", b"ISA*00*          *00*", "997_000000012.x12"),
    ("TA1+997", b"ISA*00*", "TA1-997_000000012.x12"),
    ("status-xml", b"<?xml version='1.0' encoding='UTF-8'?>\n<S/>", "status-xml_000000012.xml"),
    ("recall-ack", b"\n<RecallAck/>", "recall-ack_000000012.xml"),
])
def test_published_names_follow_the_payload(kind: str, payload: bytes, name: str) -> None:
    assert acknowledgement_file_name(OutboxItem(kind, "000000012", None, payload)) == name
