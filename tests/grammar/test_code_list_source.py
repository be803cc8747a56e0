"""The code lists in gateway/x12/grammar/source/codes-<version>.yaml and what the generator makes
of them: complete lists go to pyx12 (codes.xml), every list goes to known-codes.json."""

from __future__ import annotations

import importlib.util
import json
import sys
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from gateway.x12.grammar import map_dir

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "gateway" / "x12" / "grammar" / "source"
VERSIONS = ("004010", "005010")


@cache  # PyYAML reads a 140 KB list file in about a second
def source_lists(version: str) -> dict[str, dict[str, Any]]:
    with open(SOURCE / f"codes-{version}.yaml", encoding="utf-8") as fh:
        return {str(k): v for k, v in yaml.safe_load(fh)["codes"].items()}


@cache
def build_grammar() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_grammar",
                                                  ROOT / "tools" / "build_grammar.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_grammar", module)
    spec.loader.exec_module(module)
    return module


@cache
def grammar_004010() -> Any:
    module = build_grammar()
    return module.Version("004010", module._load("envelope.yaml"))


@pytest.mark.parametrize("version", VERSIONS)
def test_only_complete_lists_reach_pyx12_with_their_other_releases(version: str) -> None:
    lists = source_lists(version)
    codesets = {c.findtext("id"): [x.text for x in c.iter("code")]
                for c in ET.parse(map_dir(version) / "codes.xml").iter("codeset")}
    complete = {n for n, spec in lists.items() if spec["complete"]}
    assert set(codesets) == complete
    for number in complete:
        spec = lists[number]
        assert codesets[number] == [str(c) for c in
                                    spec["codes"] + spec.get("other_releases", [])], number


@pytest.mark.parametrize("version", VERSIONS)
def test_maps_point_only_at_complete_lists(version: str) -> None:
    complete = {n for n, spec in source_lists(version).items() if spec["complete"]}
    for path in map_dir(version).glob("[0-9]*.xml"):
        for element in ET.parse(path).iter("element"):
            external = element.find("valid_codes")
            number = element.findtext("data_ele")
            if number in complete and external is not None and external.get("external"):
                assert external.get("external") == number
            elif external is not None:  # ST01 / envelope lists are written into the map itself
                assert external.get("external") is None, (path.name, number)


@pytest.mark.parametrize("version", VERSIONS)
def test_known_codes_json_holds_every_list(version: str) -> None:
    known = json.loads((map_dir(version) / "known-codes.json").read_text(encoding="utf-8"))
    assert known["version"] == version
    lists = source_lists(version)
    assert set(known["lists"]) == set(lists)
    for number, spec in lists.items():
        entry = known["lists"][number]
        assert entry["complete"] is spec["complete"]
        assert entry["codes"] == [str(c) for c in spec["codes"]]
        assert entry["other_releases"] == [str(c) for c in spec.get("other_releases", [])]


def test_facts_from_the_sources_stay_as_cited() -> None:
    """Counts and codes a reviewer can check in the two sources (see the grammar README)."""
    v4, v5 = source_lists("004010"), source_lists("005010")
    assert len(v4["1650"]["codes"]) == 42 and "PA" in v4["1650"]["other_releases"]
    assert len(v5["1650"]["codes"]) == 62 and "PA" in v5["1650"]["codes"]
    assert {"19", "20", "21", "22"} <= set(v4["716"]["codes"])  # AK905 19: duplicate GS06
    assert "NS" in v4["1651"]["codes"] and "NS" in v5["1651"]["other_releases"]
    assert "UCB" in v4["128"]["other_releases"] and "UCB" in v5["128"]["codes"]
    assert len(v4["735"]["codes"]) == 170 and len(v5["735"]["codes"]) == 250
    assert {"I5", "11"} <= set(v5["618"]["codes"]) | set(v5["621"]["codes"])  # 999 guide codes
    for number in ("26", "100", "143", "156", "479"):  # external or disputed: warnings only
        assert not v4[number]["complete"] and not v5[number]["complete"]


@pytest.mark.parametrize(("change", "complaint"), [
    ({"sources": ["somewhere"]}, "sources"),
    ({"sources": []}, "sources"),
    ({"complete": "yes"}, "complete"),
    ({"codes": ["X3", "X3"]}, "duplicates"),
    ({"other_releases": ["X3"]}, "duplicates"),
    ({"codes": ["X33"]}, "do not fit"),
    ({"complete": False}, "why"),
])
def test_the_generator_refuses_a_list_it_cannot_trust(change: dict[str, Any],
                                                      complaint: str) -> None:
    module = build_grammar()
    version = grammar_004010()
    spec = {**source_lists("004010")["1650"], **change}
    with pytest.raises(module.GrammarError, match=complaint):
        version._check_code_list("1650", spec)
