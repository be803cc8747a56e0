"""Hostile and odd input: every one is answered, none raises, hangs or reads a file."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from gateway.recall import RecallResult, ack_errors, build_recall_ack, read_recall
from gateway.recall.parse import hardened_parser

from .conftest import sample

PASSWD = Path("/etc/passwd")
VALID = "valid-food-class1-gtin-lots.xml"


def passwd_marker() -> str:
    # The first line of the real file (e.g. "root:x:0:0:root:/root:/bin/bash").
    if not PASSWD.exists():
        pytest.skip("no /etc/passwd on this machine")
    return PASSWD.read_text(encoding="utf-8", errors="replace").splitlines()[0]


def answer(data: bytes, **options: int) -> tuple[RecallResult, bytes]:
    started = time.monotonic()
    result = read_recall(data, **options)
    ack = build_recall_ack(result, received_at=datetime(2024, 3, 5, 9, 30, tzinfo=UTC),
                           ack_id="T-1")
    assert time.monotonic() - started < 10, "no input may keep the intake busy"
    assert ack_errors(ack) == ()
    assert not any(error.code == "internal.error" for error in result.errors)
    return result, ack


def codes(result: RecallResult) -> list[str]:
    return [error.code for error in result.errors]


@pytest.mark.parametrize("name", ["hostile-billion-laughs.xml", "hostile-external-entity.xml",
                                  "hostile-external-dtd.xml", "hostile-xinclude.xml"])
def test_hostile_samples_never_leak_the_password_file(name: str) -> None:
    marker = passwd_marker()
    result, ack = answer(sample(name))
    assert not result.accepted
    assert marker not in repr(result)
    assert marker.encode() not in ack
    assert b"REJECTED" in ack


# The layer under the DOCTYPE refusal: what the parser does if a DOCTYPE ever got past it.
def test_parser_alone_does_not_read_an_external_entity() -> None:
    marker = passwd_marker()
    root = etree.fromstring(sample("hostile-external-entity.xml"), hardened_parser())
    assert marker not in etree.tostring(root, encoding="unicode")
    assert marker not in "".join(root.itertext())


def test_parser_alone_does_not_expand_billion_laughs() -> None:
    started = time.monotonic()
    try:
        root = etree.fromstring(sample("hostile-billion-laughs.xml"), hardened_parser())
    except etree.XMLSyntaxError:
        return  # libxml2's amplification guard: also fine
    assert len(etree.tostring(root)) < 10_000  # the entity stays a reference
    assert time.monotonic() - started < 5


def test_parser_alone_does_not_include() -> None:
    marker = passwd_marker()
    root = etree.fromstring(sample("hostile-xinclude.xml"), hardened_parser())
    assert marker not in etree.tostring(root, encoding="unicode")


def test_doctype_in_utf16_is_found_before_parsing() -> None:
    text = ('<?xml version="1.0" encoding="UTF-16"?>\n'
            '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<a>&x;</a>')
    result, _ = answer(text.encode("utf-16"))
    assert [(e.code, e.line) for e in result.errors] == [("xml.doctype-forbidden", 2)]


def test_oversized_file_is_refused_before_parsing() -> None:
    # The default cap is limits.xml_size's default: 10 MB, counted in MiB like every size.
    data = b"<a>" + b"x" * (10 * 1024 * 1024 - 6) + b"</a>"
    result, _ = answer(data)
    assert codes(result) == ["xml.too-large"]
    assert "10,485,761" in result.errors[0].message
    assert "10,485,760" in result.errors[0].message


def test_max_bytes_is_the_callers() -> None:
    data = sample(VALID)
    assert codes(answer(data, max_bytes=len(data) - 1)[0]) == ["xml.too-large"]
    assert answer(data, max_bytes=len(data))[0].accepted


def test_huge_attribute_is_rejected_with_a_short_message() -> None:
    huge = b"A" * 9_000_000
    data = sample(VALID).replace(b'seq="1"', b'seq="1" note="' + huge + b'"')
    result, ack = answer(data)
    assert [(e.code, e.line) for e in result.errors] == [("schema.invalid", 5)]
    assert len(ack) < 5_000


def test_huge_text_is_rejected_with_a_short_message() -> None:
    data = sample(VALID).replace(b"<Title>", b"<Title>" + b"A" * 9_000_000)
    result, ack = answer(data)
    assert [(e.code, e.line) for e in result.errors] == [("schema.invalid", 10)]
    assert "maxLength" in result.errors[0].message
    assert len(ack) < 5_000


def test_error_flood_is_capped() -> None:
    data = sample(VALID).replace(b"<Lot>L24031A</Lot>", b"<Lot></Lot>" * 5_000)
    result, _ = answer(data)
    assert len(result.errors) == 1001
    assert result.errors[-1].code == "report.truncated"


def test_deep_nesting_is_refused() -> None:
    # Stopped by the counting pass at 33 levels, before libxml2's own limit of 256.
    result, _ = answer(b"<a>" * 100_000 + b"</a>" * 100_000)
    assert codes(result) == ["xml.too-deep"]
    assert result.errors[0].path == "/a" + "/a[1]" * 32


@pytest.mark.parametrize(("data", "code"), [
    (b"", "xml.empty"),
    (b"  \r\n\t", "xml.empty"),
    (bytes(range(256)) * 4, "xml.not-well-formed"),
    (b"\x00" * 1000, "xml.not-well-formed"),
    (b"<RecallNotice", "xml.not-well-formed"),
    (b"<a>&xxe;</a>", "xml.not-well-formed"),  # an entity nobody declared
    (b"<?xml version='1.0' encoding='x-nonesuch'?><a/>", "xml.not-well-formed"),
    ("<?xml version='1.0' encoding='IBM037'?><a/>".encode("cp037"), "xml.not-well-formed"),
    (b"<html><body>Not a recall</body></html>", "recall.unknown-dialect"),
])
def test_odd_input_is_answered(data: bytes, code: str) -> None:
    result, _ = answer(data)
    assert not result.accepted
    assert codes(result)[0] == code


def test_undeclared_entity_gets_the_escaping_hint() -> None:
    result, _ = answer(b"<Recalls>\n<Recall>&nbsp;</Recall></Recalls>")
    assert [(e.code, e.line) for e in result.errors] == [("xml.not-well-formed", 2)]
    assert "&amp;" in result.errors[0].message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_notices_are_read(encoding: str) -> None:
    text = sample(VALID).decode("utf-8").replace('encoding="UTF-8"',
                                                 f'encoding="{encoding.upper()[:6]}"')
    result, _ = answer(text.encode(encoding))
    assert result.accepted, result.errors
    assert result.notice is not None and result.notice.notice_id == "RN-2024-0117"


def test_utf8_bom_is_read() -> None:
    result, _ = answer(b"\xef\xbb\xbf" + sample(VALID))
    assert result.accepted


def test_latin1_declared_notice_is_read() -> None:
    text = sample(VALID).decode("utf-8").replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    result, _ = answer(text.replace("Foods Inc.", "Foods Café").encode("latin-1"))
    assert result.notice is not None
    assert result.notice.parties[0].name == "Harvest Crunch Foods Café"


def test_bytes_like_input_is_read() -> None:
    assert read_recall(bytearray(sample(VALID))).accepted  # type: ignore[arg-type]


@given(st.binary(max_size=2_000))
def test_random_bytes_never_raise(data: bytes) -> None:
    answer(data)


@given(st.integers(min_value=0, max_value=3_000), st.binary(min_size=1, max_size=8))
def test_damaged_notices_never_raise(position: int, junk: bytes) -> None:
    data = sample(VALID)
    answer(data[:position] + junk + data[position + len(junk):])
