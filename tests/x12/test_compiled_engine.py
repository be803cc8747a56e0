"""The fast engine and the mapping compiled with mypyc (``GATEWAY_USE_MYPYC=1`` builds,
setup.py) answer alike.

The modules setup.py compiles are compiled into a copy of the package, and the differential
test (`test_engine_differential.py`: every sample and corpus file, and mutated sets) runs in a
child Python that imports that copy: the compiled fast engine against pyx12; so do the
compiled mapping rules against the (plain) interpreter and the mapping goldens. The plain Python
modules are what every other test runs, so both paths stay proven.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MUTATED_FILES = "30"  # 3,000 mutated sets: the full 20,000 run is the plain test's


def compiled_modules() -> list[str]:
    """setup.py's COMPILED list, read without running setup()."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "COMPILED":
            return [ast.literal_eval(item) for item in node.value.elts]  # type: ignore[attr-defined]
    raise AssertionError("setup.py has no COMPILED list")


@pytest.fixture(scope="module")
def compiled_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None and shutil.which("cc") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must be able to compile the mypyc build (install gcc)")
        pytest.skip("no C compiler for mypyc")
    copy = tmp_path_factory.mktemp("compiled")
    shutil.copytree(ROOT / "gateway", copy / "gateway",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    built = subprocess.run([sys.executable, "-m", "mypyc", *compiled_modules()], cwd=copy,
                           capture_output=True, text=True, timeout=600, check=False)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    return copy


def _child_env(copy: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{copy}{os.pathsep}{ROOT}",
            "DIFFERENTIAL_FILES": MUTATED_FILES}


def test_the_compiled_modules_are_the_ones_imported(compiled_copy: Path) -> None:
    names = [m.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
             for m in compiled_modules()]
    probe = ("import importlib, sys; files = [importlib.import_module(n).__file__ "
             f"for n in {names!r}]; print(files); "
             "sys.exit(0 if all(f.endswith('.so') for f in files) else 1)")
    run = subprocess.run([sys.executable, "-c", probe], cwd=compiled_copy,
                         env=_child_env(compiled_copy), capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_compiled_fast_engine_agrees_with_pyx12(compiled_copy: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
         "--import-mode=append", "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"),
         str(ROOT / "tests" / "x12" / "test_engine_differential.py")],
        cwd=compiled_copy, env=_child_env(compiled_copy), capture_output=True, text=True,
        timeout=1200, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "failed" not in run.stdout


def test_the_compiled_mapping_reads_as_the_interpreter_and_the_goldens(compiled_copy: Path
                                                                       ) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
         "--import-mode=append", "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"),
         str(ROOT / "tests" / "mapping" / "test_compiled_rules.py"),
         str(ROOT / "tests" / "mapping" / "test_golden.py"),
         str(ROOT / "tests" / "mapping" / "test_streamed_mapping.py")],
        cwd=compiled_copy, env=_child_env(compiled_copy), capture_output=True, text=True,
        timeout=1200, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "failed" not in run.stdout
