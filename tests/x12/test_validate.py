"""The pyx12 seam: whatever pyx12 raises becomes a finding; set-up faults are GrammarErrors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gateway.errors import GrammarError
from gateway.x12 import sets, validate
from gateway.x12.assess import Outcome, assess
from gateway.x12.fast import grammar as fast_grammar
from gateway.x12.grammar import map_dir
from gateway.x12.limits import FrontDoorRules
from tests.x12.x12text import simple


def grammar_copy(tmp_path: Path, drop_map_entry: str | None = None) -> Path:
    folder = tmp_path / "004010"
    shutil.copytree(map_dir("004010"), folder)
    if drop_map_entry:
        maps = folder / "maps.xml"
        lines = maps.read_text().splitlines()
        maps.write_text("\n".join(x for x in lines if f'fic="{drop_map_entry}"' not in x))
    return folder


def test_map_not_found_becomes_a_rejected_set_not_a_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = grammar_copy(tmp_path, drop_map_entry="QM")
    monkeypatch.setattr(validate, "map_dir", lambda family: folder)
    assessment = assess(simple(), FrontDoorRules(engine="pyx12"))
    [result] = assessment.interchanges[0].groups[0].sets
    assert result.outcome is Outcome.REJECTED
    [finding] = [x for x in result.findings if x.is_error]
    assert finding.code == "set.not-validated"
    assert "Map not found" in finding.message
    assert str(finding.x12) == "AK502 1"


@pytest.mark.parametrize("engine", ["fast", "pyx12"])
def test_a_missing_grammar_folder_is_an_installation_fault(
        engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate, "map_dir", lambda family: tmp_path / "nowhere")
    monkeypatch.setattr(fast_grammar, "map_dir", lambda family: tmp_path / "nowhere")
    fast_grammar.set_grammar.cache_clear()
    try:
        with pytest.raises(GrammarError, match="missing or incomplete"):
            assess(simple(), FrontDoorRules(engine=engine))
    finally:
        fast_grammar.set_grammar.cache_clear()


def test_synthetic_delimiters_avoid_every_character_in_the_data() -> None:
    """A partner on '|' and newline may send '*' and '~' as data: pyx12 must still split right."""
    text = simple().decode().replace("ACME RETURNS", "ACME#RETURNS")
    text = text.replace("*", "|").replace("~", "\n").replace("#", " *~! ")
    assessment = assess(text.encode())
    assert assessment.accepted, [x.message for x in assessment.all_findings()]
    segments = list(assessment.intake.set_segments(assessment.intake.interchanges[0],
                                                   assessment.intake.interchanges[0]
                                                   .groups[0].sets[0]))
    assert ["N1", "SH", "ACME *~! RETURNS"] in segments


@pytest.mark.parametrize("version", ["004010", "004010VICS", "004010UCS", "004030", "005010",
                                     "005010X230", "005040"])
def test_grammar_families(version: str) -> None:
    grammar = sets.grammar_for(version)
    assert grammar is not None
    assert grammar.family == ("004010" if version.startswith("004") else "005010")
    assert grammar.exact is (version[:6] in ("004010", "005010"))


@pytest.mark.parametrize("version", ["003030", "003060", "002001", "", "ABCDEF", "006020"])
def test_versions_without_a_grammar(version: str) -> None:
    assert sets.grammar_for(version) is None
