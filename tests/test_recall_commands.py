"""Recall notices through the commands a coordinator's files meet: validate, translate, ack."""

from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path

import jsonschema
import pytest

from gateway.model.canonical_json import to_json
from gateway.recall import ack_errors, read_recall
from tests.cli import run_gateway

REPO = Path(__file__).resolve().parents[1]
RECALLS = REPO / "samples" / "recall"
CORPUS = Path(os.environ.get("GATEWAY_CORPUS", REPO.parent / "shared" / "corpus")) / "recall"
UPDATE = os.environ.get("GATEWAY_UPDATE_GOLDEN") == "1"
VALIDATOR = jsonschema.Draft202012Validator(
    json.loads((REPO / "schemas" / "canonical-1.0.json").read_text()),
    format_checker=jsonschema.FormatChecker())
ACCEPTED = sorted(p for p in RECALLS.glob("*.xml") if p.name.startswith(("valid", "cpsc")))
REJECTED = sorted(p for p in RECALLS.glob("*.xml") if p.name.startswith(("invalid", "hostile")))


gateway = partial(run_gateway, cwd=REPO, timeout=60)


@pytest.mark.parametrize("path", ACCEPTED, ids=lambda p: p.stem)
def test_accepted_notices_translate_to_schema_valid_golden_json(path: Path) -> None:
    result = read_recall(path.read_bytes())
    assert result.accepted and result.notice is not None
    document = to_json(result.notice)
    VALIDATOR.validate(document)
    golden = REPO / "samples" / "canonical" / f"{path.stem}.json"
    if UPDATE:
        golden.write_text(json.dumps([document], indent=2, ensure_ascii=False) + "\n")
    assert [document] == json.loads(golden.read_text(encoding="utf-8"))


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_cpsc_record_from_the_corpus() -> None:
    result = gateway("translate", str(CORPUS / "cpsc-recall-18143-escaped.xml"))
    assert result.returncode == 0, result.stderr
    [notice] = json.loads(result.stdout)
    VALIDATOR.validate(notice)
    assert (notice["notice_id"], notice["notice_scheme"]) == ("18143", "CPSC")
    assert "Xylophones" in notice["title"]
    assert {"manufacturer", "importer", "distributor", "retailer"} <= {
        p["role"] for p in notice["parties"]}
    broken = gateway("translate", str(CORPUS / "cpsc-recall-18143-as-published.xml"))
    assert broken.returncode == 1 and json.loads(broken.stdout) == []
    assert "line 13" in broken.stderr and "&amp;" in broken.stderr


@pytest.mark.parametrize("path", REJECTED, ids=lambda p: p.stem)
def test_rejected_notices_get_a_valid_rejection_ack_and_no_traceback(path: Path) -> None:
    validated = gateway("validate", str(path))
    assert validated.returncode == 1
    assert "rejected" in validated.stdout and "Traceback" not in validated.stderr
    acked = gateway("ack", str(path))
    assert acked.returncode == 0, acked.stderr
    ack = acked.stdout.encode("utf-8")
    assert ack_errors(ack) == ()
    assert b"<Status>REJECTED</Status>" in ack
    assert b"root:" not in ack  # no /etc/passwd content, whatever the file tried


def test_validate_json_for_xml_names_line_and_path() -> None:
    result = gateway("validate", "--json", str(RECALLS / "invalid-gtin-check-digit.xml"))
    document = json.loads(result.stdout)
    assert document["kind"] == "recall-xml" and document["verdict"] == "rejected"
    [error] = [e for e in document["errors"] if e["code"] == "gtin.check-digit"]
    assert error["line"] == 18 and error["path"].endswith("/Identifier[2]")


def test_an_impacted_recipient_keeps_its_role() -> None:
    text = (RECALLS / "valid-food-class1-gtin-lots.xml").read_text(encoding="utf-8")
    recipient = ('<Party role="RECIPIENT">\n    <Name>Northwind Home Stores</Name>\n'
                 '    <GLN>0614141000012</GLN>\n  </Party>\n  <Party role="RECALLING_FIRM">')
    result = read_recall(text.replace('<Party role="RECALLING_FIRM">', recipient, 1).encode())
    assert result.accepted, result.errors
    assert result.notice is not None
    first = result.notice.parties[0]
    assert (first.role.value, first.name) == ("recipient", "Northwind Home Stores")
