"""A file read from a stream, a chunk at a time, is read exactly as the same bytes in memory.

`StreamText` must give the characters `SourceText.from_bytes` gives (byte-order mark dropped,
CR LF and lone CR folded to LF, even when a CR ends one chunk and its LF begins the next) at the
same offsets, find what ``str.find`` finds across chunk boundaries, count lines the same, and
cut the same segments. Then every sample and corpus file, assessed from a stream with chunks of
a few bytes (every boundary falls inside something), must give the same findings, outcomes,
file lines and acknowledgement bytes as the file in memory, and translate to the same
documents. And the point of it: reading a bigger file does not cost more memory.
"""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.app.translate import translate_x12
from gateway.config.mappings import MappingCatalog
from gateway.model.canonical_json import to_json
from gateway.x12 import text as text_module
from gateway.x12.ack import AckPolicy, FunctionalAck, Ta1Policy, build_acknowledgements
from gateway.x12.assess import Assessment, assess
from gateway.x12.envelope import read_intake
from gateway.x12.text import SourceText, StreamText, iter_raw_segments
from gateway.x12.write import Identity, SequentialControlNumbers
from tests.x12.test_engine_differential import CORPUS, SAMPLES

ROOT = Path(__file__).resolve().parents[2]
BOM = b"\xef\xbb\xbf"


def _stream_text(data: bytes, chunk: int) -> StreamText:
    start = len(BOM) if data.startswith(BOM) else 0
    return StreamText(io.BytesIO(data), start=start, chunk_bytes=chunk)


# --- the text itself --------------------------------------------------------------------------
# Bytes rich in what folding and splitting care about: CR, LF, terminators, blanks, a BOM.
_BYTES = st.binary(max_size=300).map(lambda raw: raw.translate(
    bytes.maketrans(bytes(range(256)), (b"\r\n~*ISA \t" * 29)[:256])))


@settings(max_examples=400, deadline=None)
@given(body=_BYTES, bom=st.booleans(), chunk=st.integers(1, 9))
def test_a_streamed_text_is_the_same_text(body: bytes, bom: bool, chunk: int) -> None:
    data = (BOM if bom else b"") + body
    whole = SourceText.from_bytes(data).text
    streamed = _stream_text(data, chunk)
    assert len(streamed) == len(whole)
    assert streamed[0:len(streamed)] == whole
    for at in range(0, len(whole) + 1, 7):
        assert streamed[at:at + 5] == whole[at:at + 5]
        for sub in ("~", "\n", "~\n", "ISA", "\n\n"):
            assert streamed.find(sub, at) == whole.find(sub, at), (sub, at)
            assert streamed.find(sub, at, at + 9) == whole.find(sub, at, at + 9), (sub, at)
        assert streamed.startswith("ISA", at) == whole.startswith("ISA", at)


@settings(max_examples=300, deadline=None)
@given(body=_BYTES, chunk=st.integers(1, 9), terminator=st.sampled_from(["~", "\n", "~\n"]))
def test_a_streamed_text_cuts_the_same_segments_on_the_same_lines(body: bytes, chunk: int,
                                                                   terminator: str) -> None:
    source = SourceText.from_bytes(body)
    streamed = _stream_text(body, chunk)
    assert list(iter_raw_segments(streamed, 0, len(streamed), terminator)) == list(
        iter_raw_segments(source.text, 0, len(source.text), terminator))
    middle = len(source.text) // 3
    assert list(iter_raw_segments(streamed, middle, 2 * middle, terminator)) == list(
        iter_raw_segments(source.text, middle, 2 * middle, terminator))
    for offset in range(0, len(source.text) + 1, 5):
        assert streamed.line_of(offset) == source.line_of(offset)


def test_a_cr_at_the_end_of_a_chunk_is_folded_with_the_lf_that_starts_the_next() -> None:
    data = b"AB\r\nCD\r\r\nE\rF\r"
    for chunk in range(1, len(data) + 1):
        assert _stream_text(data, chunk)[0:100] == "AB\nCD\n\nE\nF\n", chunk


def test_a_streamed_file_holds_only_a_few_chunks() -> None:
    data = b"ISA*" + b"x" * 10_000
    streamed = _stream_text(data, 100)
    assert streamed.find("~") == -1  # read through to the end
    assert streamed[9_990:10_010] == "x" * 14  # clipped at the end, as a str slice is
    assert len(streamed._held) <= 3  # the bound is the point of the class


def test_a_utf16_stream_is_not_x12() -> None:
    source = SourceText.from_stream(io.BytesIO(b"\xff\xfeI\x00S\x00A\x00"))
    assert source.findings[0].code == "file.not-x12"
    assert "UTF-16" in source.findings[0].message


# --- every file we have, assessed from a stream ---------------------------------------------
def _files() -> list[Path]:
    found = sorted(SAMPLES.rglob("*.x12"))
    return found + (sorted(CORPUS.glob("*/*.edi")) if CORPUS.is_dir() else [])


def _answer(assessment: Assessment) -> list[Any]:
    found: list[Any] = [(x.code, str(x.x12), x.severity, x.location, x.message, x.expected,
                         x.found, assessment.intake.line_of(x.location.offset))
                        for x in assessment.all_findings()]
    for interchange in assessment.interchanges:
        found.append(interchange.outcome)
        for group in interchange.groups:
            found.append((group.outcome, [s.outcome for s in group.sets]))
    policy = AckPolicy(functional=FunctionalAck.ACK_999, ta1=Ta1Policy.ALWAYS)
    found.extend(ack.text for ack in build_acknowledgements(
        assessment, Identity("ZZ", "RLGATEWAY", "RLGATEWAY"), policy,
        SequentialControlNumbers(), datetime(2026, 12, 3, tzinfo=UTC)))
    return found


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_every_file_assessed_from_a_stream_is_answered_the_same(
        path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = path.read_bytes()
    expected = _answer(assess(data))
    for chunk in (5, 4096):
        monkeypatch.setattr(text_module, "CHUNK_BYTES", chunk)
        with io.BytesIO(data) as stream:
            assert _answer(assess(stream)) == expected, f"chunks of {chunk} bytes"


def _documents(data: bytes | io.BytesIO) -> Iterator[Any]:
    catalog = MappingCatalog(ROOT / "mappings")
    translated = translate_x12(data, catalog.spec_for, "northwind")
    for s in translated.sets:
        yield (s.set_control, s.unmapped, dict(s.lines), [i.message for i in s.mapping_issues],
               to_json(s.document) if s.document is not None else None)


@pytest.mark.parametrize("path", sorted((SAMPLES / "valid").glob("*.x12")),
                         ids=lambda p: p.name)
def test_every_valid_sample_translates_the_same_from_a_stream(
        path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = path.read_bytes()
    expected = list(_documents(data))
    monkeypatch.setattr(text_module, "CHUNK_BYTES", 7)
    assert list(_documents(io.BytesIO(data))) == expected


# --- memory -------------------------------------------------------------------------------------
def _ship_notice(items: int) -> bytes:
    """A valid 856 of about ``items`` x 44 bytes: one shipment, one order, many items."""
    head = ("ISA*00*          *00*          *ZZ*RETAILVENDOR01 *ZZ*RETURNSGATEWAY *261203*1200*U*"
            "00401*000000001*0*P*>~GS*SH*RETAILVENDOR01*RETURNSGATEWAY*20261203*1200*1*X*004010~"
            "ST*856*0001~BSN*00*SHIP1*20261203*1200~HL*1**S~TD1*CTN25*1~HL*2*1*O~PRF*PO1~")
    body = "".join(f"HL*{n}*2*I~LIN**UP*{n:012d}~SN1**1*EA~" for n in range(3, items + 3))
    count = 6 + 3 * items
    tail = f"CTT*{items + 2}~SE*{count}*0001~GE*1*1~IEA*1*000000001~"
    return (head + body + tail).encode()


def _intake_peak(data: bytes) -> int:
    """The most memory Python allocated while reading ``data``'s envelope from a stream."""
    stream = io.BytesIO(data)  # allocated before tracing starts: the "file on disk"
    tracemalloc.start()
    try:
        intake = read_intake(stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [len(g.sets) for i in intake.interchanges for g in i.groups] == [1]
    assert not [x for x in intake.findings if x.is_error]
    return peak


def test_reading_a_bigger_file_from_a_stream_costs_no_more_memory(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_module, "CHUNK_BYTES", 256 << 10)
    small, big = _ship_notice(50_000), _ship_notice(200_000)  # about 2 and 9 MB
    small_peak, big_peak = _intake_peak(small), _intake_peak(big)
    assert big_peak < 4 << 20, f"{big_peak:,} bytes to read {len(big):,}"
    assert big_peak < small_peak * 1.5 + (256 << 10), (small_peak, big_peak)
