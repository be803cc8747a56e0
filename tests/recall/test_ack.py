"""Acknowledgements: they validate against recall-ack-1.0.xsd and carry the sender's text safely."""

from __future__ import annotations

import ast
import inspect
from datetime import UTC, datetime, timedelta, timezone

import pytest
from lxml import etree

from gateway.recall import (
    RecallError,
    RecallResult,
    Severity,
    ack,
    ack_errors,
    build_recall_ack,
    read_recall,
)

from .conftest import SAMPLES, corpus_file, sample

NS = {"a": "urn:returns-gateway:recall-ack:1"}
RECEIVED = datetime(2024, 3, 5, 9, 30, tzinfo=timezone(timedelta(hours=-5)))


def build(result: RecallResult, ack_id: str = "ACK-0001") -> etree._Element:
    data = build_recall_ack(result, received_at=RECEIVED, ack_id=ack_id)
    assert ack_errors(data) == ()
    return etree.fromstring(data)


def first(root: etree._Element, path: str) -> str | None:
    found = root.findtext(path, namespaces=NS)
    return None if found is None else str(found)


@pytest.mark.parametrize("name", sorted(path.name for path in SAMPLES.glob("*.xml")))
def test_every_sample_gets_a_valid_ack(name: str) -> None:
    result = read_recall(sample(name))
    root = build(result)
    assert first(root, "a:Status") == ("ACCEPTED" if result.accepted else "REJECTED")
    assert len(root.findall("a:Error", NS)) == len(result.errors)


def test_accepted_ack_names_the_notice() -> None:
    root = build(read_recall(sample("valid-food-class1-gtin-lots.xml")))
    assert first(root, "a:AckId") == "ACK-0001"
    assert first(root, "a:ReceivedAt") == "2024-03-05T09:30:00-05:00"
    assert first(root, "a:Dialect") == "recall-notice-1.0"
    notice_id = root.find("a:NoticeId", NS)
    assert notice_id is not None
    assert (notice_id.text, notice_id.get("scheme")) == ("RN-2024-0117", "INTERNAL")
    assert root.findall("a:Error", NS) == []


def test_rejected_ack_lists_code_line_path_and_message() -> None:
    result = read_recall(sample("invalid-gtin-check-digit.xml"))
    root = build(result)
    assert first(root, "a:Status") == "REJECTED"
    assert first(root, "a:NoticeId") == "RN-2024-0201"  # known even though rejected
    (element,) = root.findall("a:Error", NS)
    assert element.get("code") == "gtin.check-digit"
    assert element.get("severity") == "error"
    assert element.get("line") == "18"
    assert element.get("path") == "/RecallNotice/AffectedProduct[2]/Identifier[2]"
    assert "00614141000023" in (element.text or "")


def test_warnings_are_listed_on_an_accepted_ack() -> None:
    result = read_recall(b"<Recall><RecallNumber>1</RecallNumber>"
                         b"<ProductUPCs><UPC>614141000037</UPC></ProductUPCs></Recall>")
    root = build(result)
    assert first(root, "a:Status") == "ACCEPTED"
    (element,) = root.findall("a:Error", NS)
    assert element.get("severity") == "warning"


def test_as_published_cpsc_ack() -> None:
    root = build(read_recall(corpus_file("cpsc-recall-18143-as-published.xml")))
    assert first(root, "a:Status") == "REJECTED"
    assert [e.get("line") for e in root.findall("a:Error", NS)] == ["13", "16", "65", "78", "100"]


def test_untrusted_text_stays_text() -> None:
    hostile = "</Error><Status>ACCEPTED</Status><!-- \x00 \x1b ]]> &amp; '\""
    result = RecallResult(None, None, (
        RecallError("schema.invalid", hostile, 3, "/x[1]/" + hostile, Severity.ERROR),),
        (hostile * 20, hostile))
    root = build(result)
    assert [s.text for s in root.findall("a:Status", NS)] == ["REJECTED"]
    (element,) = root.findall("a:Error", NS)
    assert (element.text or "").startswith("</Error><Status>ACCEPTED</Status><!-- \ufffd \ufffd")


def test_ack_is_built_with_the_element_api() -> None:
    # No string literal in ack.py (docstrings aside) holds markup: nothing is concatenated.
    tree = ast.parse(inspect.getsource(ack))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.FunctionDef) and node.body
                  and isinstance(node.body[0], ast.Expr)}
    literals = [node.value for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docstrings]
    assert literals, "the walk found the module's strings"
    assert not [text for text in literals if "<" in text or ">" in text]


def test_naive_time_and_bad_ack_id_are_our_bugs() -> None:
    result = read_recall(b"")
    with pytest.raises(ValueError, match="timezone"):
        build_recall_ack(result, received_at=datetime(2024, 3, 5), ack_id="A")
    with pytest.raises(ValueError, match="ack_id"):
        build_recall_ack(result, received_at=datetime.now(UTC), ack_id="<x>")


def test_ack_errors_finds_a_broken_ack() -> None:
    good = build_recall_ack(read_recall(b""), received_at=RECEIVED, ack_id="A")
    assert ack_errors(good) == ()
    assert [e.code for e in ack_errors(good.replace(b"REJECTED", b"MAYBE"))] == ["schema.invalid"]
    assert [e.code for e in ack_errors(b"<x/>")] == ["schema.invalid"]
