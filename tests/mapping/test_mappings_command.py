"""An admin changes a partner's mapping by editing YAML only; `gateway mappings test` proves it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.cli import run_gateway

REPO = Path(__file__).resolve().parents[2]


gateway = run_gateway


def workspace(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "mappings", tmp_path / "mappings")
    (tmp_path / "config.yaml").write_text("paths: {mappings: mappings}\n")
    return tmp_path


def test_the_shipped_examples_pass(tmp_path: Path) -> None:
    result = gateway("mappings", "test", cwd=workspace(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed, 0 failed" in result.stdout


def test_moving_the_rma_number_is_a_yaml_edit_that_the_examples_catch(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    partner = root / "mappings" / "partners" / "northwind"
    example = partner / "examples" / "rma-in-bgn06.x12"
    # Northwind now puts the RMA number in N9*IA instead of BGN06: one line of YAML.
    (partner / "180.yaml").write_text("fields:\n  rma_number: N9[01=IA]/02\n")

    failed = gateway("mappings", "test", "northwind", cwd=root)
    assert failed.returncode == 1
    assert "FAIL northwind/rma-in-bgn06" in failed.stdout
    diff = [line for line in failed.stdout.splitlines() if line[:1] in "+-"]
    assert '-    "rma_number": "NWRMA-88120",' in diff
    assert '+    "rma_number": "V0042",' in diff

    translated = gateway("translate", "--partner", "northwind", str(example), cwd=root)
    assert json.loads(translated.stdout)[0]["rma_number"] == "V0042"
    (example.with_suffix(".json")).write_text(translated.stdout)
    passed = gateway("mappings", "test", "northwind", cwd=root)
    assert passed.returncode == 0 and "1 passed, 0 failed" in passed.stdout


def test_a_broken_mapping_names_the_file_and_the_key(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    (root / "mappings" / "partners" / "northwind" / "180.yaml").write_text("feilds: {}\n")
    result = gateway("mappings", "test", "northwind", cwd=root)
    assert result.returncode == 2
    assert "northwind/180.yaml" in result.stderr and "feilds" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_mapping_rule_error_is_located(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    (root / "mappings" / "partners" / "northwind" / "180.yaml").write_text(
        "fields:\n  document_date: {path: BGN/03, tabel: x}\n")
    example = root / "mappings" / "partners" / "northwind" / "examples" / "rma-in-bgn06.x12"
    result = gateway("translate", "--partner", "northwind", str(example), cwd=root)
    assert result.returncode == 1
    assert "partner northwind" in result.stderr
    assert "northwind/180.yaml" in result.stderr
    assert "rule fields.document_date" in result.stderr and "'tabel'" in result.stderr
