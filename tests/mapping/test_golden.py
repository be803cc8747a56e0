"""Golden canonical JSON for every valid 180 / 856 / 214 / 861 sample and corpus file, checked
against the published schema; key values asserted on their own, independently of the golden
files.

Golden files are written only on request (GATEWAY_UPDATE_GOLDEN=1) and then read by a person.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from gateway.cli.translate import translated_json
from gateway.config.mappings import MappingCatalog
from gateway.model.canonical_json import json_schema

REPO = Path(__file__).resolve().parents[2]
CATALOG = MappingCatalog(REPO / "mappings")
CORPUS = Path(os.environ.get("GATEWAY_CORPUS", REPO.parent / "shared" / "corpus")) / "x12"
UPDATE = os.environ.get("GATEWAY_UPDATE_GOLDEN") == "1"
PUBLISHED = json.loads((REPO / "schemas" / "canonical-1.0.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(PUBLISHED,
                                            format_checker=jsonschema.FormatChecker())

# Acknowledgements are never mapped.
SAMPLES = sorted(p for p in (REPO / "samples" / "valid").glob("*.x12")
                 if not p.name.startswith(("997", "999", "ta1")))
CORPUS_VALID = ["180/oopfactory-lowes-005040.edi", "214/edinet-mgctlyst-004030.edi",
                "214/edinet-wrapped-isa.edi", "214/omniparser-canadapost-19st.edi",
                "214/staedi-ellipsis-segterm.edi", "856/gozer-sunkist-perishable.edi",
                "856/oopfactory-ex1-tilde-element-sep.edi",
                "856/oopfactory-ex3-ellipsis-terminator.edi", "856/oopfactory-gregarican-vics.edi"]
# Not 856/oopfactory-1edisource-004060.edi: its ISA11 makes "-" the repetition separator while
# its values hold hyphens, so it is rejected (too many repetitions; see tests/test_corpus.py).
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")


def documents(path: Path, partner: str | None = None) -> list[Any]:
    return translated_json(CATALOG, path.read_bytes(), partner)


def check_golden(actual: list[Any], golden: Path) -> None:
    if UPDATE:
        golden.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert actual == json.loads(golden.read_text(encoding="utf-8")), f"differs from {golden}"


def test_the_published_schema_is_what_the_model_says() -> None:
    assert json_schema() == PUBLISHED


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_translates_to_its_golden_json(path: Path) -> None:
    actual = documents(path)
    assert actual, "no document"
    for document in actual:
        VALIDATOR.validate(document)
    check_golden(actual, REPO / "samples" / "canonical" / f"{path.stem}.json")


@needs_corpus
@pytest.mark.parametrize("name", CORPUS_VALID)
def test_corpus_file_translates_to_its_golden_json(name: str) -> None:
    actual = documents(CORPUS / name)
    assert actual, "no document"
    for document in actual:
        VALIDATOR.validate(document)
    check_golden(actual, REPO / "tests" / "golden" / "corpus" / f"{Path(name).stem}.json")


def test_schema_rejects_what_the_model_forbids() -> None:
    [document] = documents(REPO / "samples" / "valid" / "214-status-004010.x12")
    document["events"][0]["status"] = "teleported"
    assert not VALIDATOR.is_valid(document)
    document = documents(REPO / "samples" / "valid" / "214-status-004010.x12")[0]
    document["surprise"] = 1
    assert not VALIDATOR.is_valid(document)


# --- key values, asserted without the golden files -------------------------------------------
def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node.get("children", []) for n in walk(child))]


@needs_corpus
def test_856_vics_shipment_tree_and_item_ids() -> None:
    [shipment] = documents(CORPUS / "856/oopfactory-gregarican-vics.edi")
    assert shipment["shipment_id"] == "521649209219"  # BSN02
    assert shipment["hierarchy_depth"] == 4  # S-O-P-I
    nodes = [n for root in shipment["hierarchy"] for n in walk(root)]
    assert [n["level"] for n in nodes] == ["shipment", "order", "pack", "item"]
    item = nodes[-1]
    assert {i["qualifier"] for i in item["item_ids"]} >= {"UP", "EN"}
    assert nodes[2]["marks"][0]["qualifier"] == "GM"  # SSCC on the pack
    assert shipment["carrier"]["scac"] == "FED2"


@needs_corpus
def test_214_statuses_with_timestamps() -> None:
    [report] = documents(CORPUS / "214/staedi-ellipsis-segterm.edi")
    assert report["carrier_reference"] == "0542550913"
    codes = [(e["status_code"], e["at"]["at"][:10]) for e in report["events"]]
    assert codes and all(len(day) == 10 for _, day in codes)
    assert {"AG", "AF"} <= {code for code, _ in codes}


@needs_corpus
def test_canada_post_translates_each_accepted_set() -> None:
    reports = documents(CORPUS / "214/omniparser-canadapost-19st.edi")
    assert len(reports) == 10  # 19 sets, 9 rejected by validation
    assert all(r["scac"] == "CPCC" for r in reports)
    assert reports[0]["carrier_reference"] == "4343638097845589"  # padding trimmed


def test_sample_856_pack_and_item_levels() -> None:
    [shipment] = documents(REPO / "samples" / "valid" / "856-pick-pack-004010.x12")
    nodes = [n for root in shipment["hierarchy"] for n in walk(root)]
    assert [n["level_code"] for n in nodes] == ["S", "O", "P", "I", "P", "I"]
    assert shipment["bill_of_lading"] and shipment["pro_number"]
    assert all(n["marks"][0]["value"].startswith("00") for n in nodes if n["level"] == "pack")
    assert [s["tag"] for s in shipment["unmapped"]] == ["CTT"]  # kept, not dropped


def test_sample_180_lines_reasons_and_serials() -> None:
    [rma] = documents(REPO / "samples" / "valid" / "180-return-request-004010.x12")
    assert rma["stage"] == "request" and rma["rma_number"] == "RMA7734021"
    first, second = rma["lines"]
    assert first["reasons"]["request_reason"] == "defective" and first["quantity"]["value"] == "2"
    assert first["serials"] == ["SMX22A0017734", "SMX22A0017802"]
    assert second["reasons"]["request_reason"] == "damaged"


def test_sample_861_receipt_lines_quantities_and_conditions() -> None:
    for version in ("004010", "005010"):
        [receipt] = documents(REPO / "samples" / "valid" / f"861-receiving-advice-{version}.x12")
        assert receipt["kind"] == "receiving-advice"
        assert receipt["received_at"] == {"at": "2026-01-21T13:40:00-05:00", "zone_code": "ET"}
        assert {(r["qualifier"], r["value"]) for r in receipt["references"]} >= {
            ("RZ", "RMA7734021"), ("SI", "ASN20260120001")}
        lines = [(line["line_number"], line["quantity_received"]["value"],
                  [(q["quantity"]["value"], q["condition"], q["condition_code"])
                   for q in line.get("in_question", [])], line["serials"])
                 for line in receipt["lines"]]
        assert lines == [(1, "1", [], ["SMX22A0017734"]),
                         (2, "1", [("1", "damaged", "01")], ["SMX22A0017802"]),
                         (3, "0", [("1", "short", "02")], ["EKT17B0099120"])]
        assert [u["tag"] for u in receipt["unmapped"]] == ["CTT"]  # totals: nothing lost


def test_214_g62_estimated_delivery_is_read() -> None:
    [report] = documents(REPO / "mappings" / "examples" / "214-status.x12")
    assert report["dates"] == [{"qualifier": "17", "on": "2026-01-21",
                                "at": "2026-01-21T12:00:00-05:00"}]


def test_partner_overrides_change_only_what_they_name() -> None:
    northwind = REPO / "mappings" / "partners" / "northwind" / "examples" / "rma-in-bgn06.x12"
    [stock] = documents(northwind)
    [partner] = documents(northwind, "northwind")
    assert "rma_number" not in stock and partner["rma_number"] == "NWRMA-88120"
    assert {k: v for k, v in partner.items() if k not in ("rma_number", "source")} == {
        k: v for k, v in stock.items() if k != "source"}
