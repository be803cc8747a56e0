"""Design rules: lxml lives in gateway/recall only, and that package does no I/O of its own."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

GATEWAY = ROOT / "gateway"
RECALL = GATEWAY / "recall"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    names |= {node.module for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module}
    return {name.split(".")[0] for name in names}


def called_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)}


def test_only_the_recall_package_imports_lxml() -> None:
    outside = [path for path in GATEWAY.rglob("*.py")
               if RECALL not in path.parents and "lxml" in imported_modules(path)]
    assert outside == []
    assert "lxml" in imported_modules(RECALL / "parse.py")  # the scan does see lxml imports


def test_recall_package_does_no_io_of_its_own() -> None:
    forbidden_modules = {"socket", "urllib", "http", "requests", "subprocess", "os", "pathlib",
                         "shutil", "tempfile"}
    forbidden_calls = {"open", "parse", "xinclude", "urlopen", "read_text", "write_bytes",
                       "write_text"}
    for path in sorted(RECALL.glob("*.py")):
        assert imported_modules(path).isdisjoint(forbidden_modules), path.name
        # etree.parse(...) would open files or URLs; read_bytes is allowed for our own XSDs.
        assert called_names(path).isdisjoint(forbidden_calls), path.name


def test_schemas_ship_beside_the_code_and_import_nothing() -> None:
    for name in ("recall-notice-1.0.xsd", "recall-ack-1.0.xsd"):
        text = (RECALL / "schema" / name).read_text(encoding="utf-8")
        assert "xs:import" not in text and "xs:include" not in text and "xs:redefine" not in text


def test_gs1_module_is_standard_library_only() -> None:
    assert imported_modules(GATEWAY / "model" / "gs1.py") <= {"__future__"}
