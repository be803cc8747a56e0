"""Memory and work stay bounded under the XML cap: structure ceilings, counted before any tree.

A 10 MB file of tiny elements was a 500 MB tree; a schema-error flood kept a 780-byte log
entry per error; paths of valid identifiers walked their siblings (quadratic). The figures are
in bench/xml_memory.py; these tests pin the behaviour that keeps them small.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from lxml import etree

from gateway.recall import checks as recall_checks
from gateway.recall import read_recall
from gateway.recall.parse import (
    NOTICE_CEILINGS,
    Ceilings,
    element_path,
    hardened_parser,
    log_entries,
    read_document,
)
from gateway.recall.result import ERROR_LIMIT
from gateway.recall.xsd import NOTICE_SCHEMA, schema, schema_errors

MEBIBYTE = 1 << 20
HEAD = (b'<RecallNotice xmlns="urn:returns-gateway:recall:1" schemaVersion="1.0">'
        b'<NoticeId scheme="INTERNAL">RN-1</NoticeId><Title>T</Title>'
        b'<Party role="RECALLING_FIRM"><Name>N</Name></Party><Reason>R</Reason>')
TAIL = b"</RecallNotice>"


def product(*children: bytes) -> bytes:
    return b"<AffectedProduct><Name>P</Name>" + b"".join(children) + b"</AffectedProduct>"


def codes(data: bytes, ceilings: Ceilings) -> list[tuple[str, str | None]]:
    return [(e.code, e.path) for e in read_document(data, max_bytes=len(data),
                                                     ceilings=ceilings).errors]


# --- the counting pass: each ceiling, its boundary and where it was crossed --------------------
@pytest.mark.parametrize(("ceilings", "code", "path"), [
    (Ceilings(elements=3), "xml.too-many-elements", "/r/b[2]/c[1]"),
    (Ceilings(children=1), "xml.too-many-children", "/r/b[2]"),
    (Ceilings(depth=2), "xml.too-deep", "/r/b[2]/c[1]"),
    (Ceilings(attributes=1), "xml.too-many-attributes", "/r/b[2]"),
    (Ceilings(namespaces=1), "xml.too-many-namespaces", "/r"),
])
def test_each_ceiling_refuses_with_the_place_it_was_crossed(ceilings: Ceilings, code: str,
                                                            path: str) -> None:
    data = b'<r xmlns="urn:a" k="1"><b/><b x="1" xmlns:p="urn:p"><c/></b></r>'
    assert codes(data, ceilings) == [(code, path)]


def test_a_file_exactly_at_every_ceiling_is_read() -> None:
    data = b'<r xmlns="urn:a" k="1"><b/><b x="1" xmlns:p="urn:p"><c/></b></r>'
    exact = Ceilings(elements=4, attributes=2, children=2, namespaces=2, depth=3)
    document = read_document(data, max_bytes=len(data), ceilings=exact)
    assert document.errors == () and document.root is not None


def test_the_refusal_says_what_to_do_in_plain_words() -> None:
    data = HEAD + product(b"<Lot>L</Lot>" * 15_001) + TAIL
    [problem] = read_recall(data).errors
    assert problem.code == "xml.too-many-children"
    assert problem.path == "/RecallNotice/AffectedProduct[1]/Lot[15000]"  # after its Name
    assert "/RecallNotice/AffectedProduct[1] has more than 15,000 child elements" in (
        problem.message)
    assert "several files" in problem.message
    assert "refused before it was read in full" in problem.message


def test_a_malformed_file_keeps_its_located_syntax_error() -> None:
    # The counting pass steps aside: the real parse says where the XML breaks.
    [problem] = read_recall(b"<Recalls>\n<Recall></Recalls>").errors
    assert (problem.code, problem.line) == ("xml.not-well-formed", 2)


# --- the ceilings admit everything the schema allows in one product or one notice --------------
def test_a_product_with_every_lot_and_range_the_schema_allows_is_accepted() -> None:
    lots = b"".join(b"<Lot>L%05d</Lot>" % i for i in range(10_000))
    ranges = b"".join(b'<LotRange from="A%d" to="B%d"/>' % (i, i) for i in range(1_000))
    serials = b"".join(b'<SerialRange from="S%d" to="T%d"/>' % (i, i) for i in range(1_000))
    result = read_recall(HEAD + product(lots, ranges, serials) + TAIL)
    assert result.accepted, result.errors[:3]
    assert result.notice is not None and len(result.notice.products[0].lots) == 10_000


def test_the_ten_thousand_products_the_schema_allows_are_accepted() -> None:
    products = b"".join(product(b"<Lot>L%d</Lot>" % i) for i in range(10_000))
    result = read_recall(HEAD + products + TAIL)
    assert result.accepted, result.errors[:3]
    assert result.notice is not None and len(result.notice.products) == 10_000


def test_the_default_ceilings_are_above_the_schema_and_below_a_flood() -> None:
    assert NOTICE_CEILINGS.children > 10_000 + 1_000 + 1_000 + 100 + 20 + 5
    assert NOTICE_CEILINGS.elements >= 10_000 * 3
    assert NOTICE_CEILINGS.depth >= 5


# --- errors and paths cost what the report shows, not what the file holds ---------------------
def test_schema_errors_keep_one_more_than_the_report_and_forget_the_log() -> None:
    data = HEAD + product(b'<Lot bad="x">L</Lot>' * 5_000) + TAIL
    root = etree.fromstring(data, hardened_parser())
    found = schema_errors(root, NOTICE_SCHEMA)
    assert len(found) == ERROR_LIMIT + 1
    assert all(error.line == 1 and error.path for error in found)
    assert log_entries(schema(NOTICE_SCHEMA).error_log) == []  # not kept until the next file


def paths_walked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path the GS1 checks compute from now on (each one walks the tree)."""
    walked: list[str] = []

    def counting(element: etree._Element) -> str:
        walked.append(element_path(element))
        return walked[-1]
    monkeypatch.setattr(recall_checks, "element_path", counting)
    return walked


def test_a_valid_identifier_costs_no_path(monkeypatch: pytest.MonkeyPatch) -> None:
    walked = paths_walked(monkeypatch)
    upcs = b"<UPC>614141000036</UPC>" * 3_000 + b"<UPC>614141000037</UPC>"
    result = read_recall(b"<Recall><RecallNumber>1</RecallNumber><ProductUPCs>" + upcs
                         + b"</ProductUPCs></Recall>")
    assert [(e.code, e.path) for e in result.errors] == [
        ("gtin.check-digit", "/Recall/ProductUPCs[1]/UPC[3001]")]
    assert len(walked) == 1  # the wrong one only


def test_a_flood_of_wrong_check_digits_stops_at_the_report_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    walked = paths_walked(monkeypatch)
    parties = b'<Party role="RETAILER"><Name>N</Name><GLN>0614141000006</GLN></Party>' * 3_000
    result = read_recall(HEAD.replace(b"<Reason>", parties + b"<Reason>") + product() + TAIL)
    assert len(result.errors) == ERROR_LIMIT + 1
    assert result.errors[-1].code == "report.truncated"
    assert len(walked) <= ERROR_LIMIT + 1


# --- peak memory, measured in a fresh process ---------------------------------------------------
CHILD = """
import json, resource, sys
from gateway.recall import read_recall
unit, per, parents = sys.argv[1].encode(), int(sys.argv[2]), int(sys.argv[3])
head = {head!r}
body = (b"<AffectedProduct><Name>P</Name>" + unit * per + b"</AffectedProduct>") * parents
data = head + body + b"</RecallNotice>"
data = data if len(data) <= 10 * 2**20 else data[:10 * 2**20 - 15] + b"</RecallNotice>"
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = read_recall(data)
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({{"bytes": len(data), "grown_mib": grown / 1024,
                  "codes": [e.code for e in result.errors][:1]}}))
"""


def peak_growth(unit: bytes, per: int, parents: int) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", CHILD.format(head=HEAD), unit.decode(),
                           str(per), str(parents)], capture_output=True, text=True, check=True)
    figures: dict[str, object] = json.loads(done.stdout)
    return figures


def test_ten_megabytes_of_tiny_elements_never_become_a_tree() -> None:
    # 2 million elements and as many text nodes: a 500 MB tree before the counting pass.
    figures = peak_growth(b"<a/>x", 2_100_000, 1)
    assert figures["bytes"] == 10 * MEBIBYTE
    assert figures["codes"] == ["xml.too-many-children"]
    assert isinstance(figures["grown_mib"], float) and figures["grown_mib"] < 30


def test_a_file_under_every_ceiling_and_wrong_everywhere_stays_bounded() -> None:
    # 98,000 elements each with a forbidden attribute and a value too long: every element
    # and attribute an error for the schema validator (the log was 780 bytes an entry).
    figures = peak_growth(b'<Lot a="x">' + b"x" * 80 + b"</Lot>", 14_000, 7)
    assert figures["codes"] == ["schema.invalid"]
    assert isinstance(figures["grown_mib"], float) and figures["grown_mib"] < 180  # was 207
