"""The sample catalogue (samples/catalogue.yaml) as tests.

Every expected value comes from the catalogue, which is written from the X12 rules, or from the
golden acknowledgements under samples/acks, which were generated once and then checked by hand.
Nothing here is computed by running the code under test and comparing it with itself.

Regenerate the golden acknowledgements (then read every changed one) with::

    GATEWAY_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_samples.py -k golden
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.x12.ack import AckPolicy, OutboundAck, build_acknowledgements
from gateway.x12.assess import Assessment, assess
from gateway.x12.findings import Finding, Severity
from gateway.x12.report import verdict
from gateway.x12.write import Identity, SequentialControlNumbers

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
GOLDEN = SAMPLES / "acks"
CATALOGUE: list[dict[str, Any]] = yaml.safe_load(
    (SAMPLES / "catalogue.yaml").read_text(encoding="utf-8"))["samples"]
IDENTITY = Identity("ZZ", "RLGATEWAY", "RLGATEWAY")
NOW = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
UPDATE_GOLDEN = os.environ.get("GATEWAY_UPDATE_GOLDEN") == "1"
GATEWAY = Path(sys.executable).parent / "gateway"

# The defects the catalogue must hold (one defect per file, named after it).
REQUIRED_DEFECTS = {
    "iea02-mismatch", "iea01-count-wrong", "iea-missing", "duplicate-isa13", "isa09-bad-date",
    "isa10-bad-time", "isa13-not-numeric", "isa14-invalid", "isa15-invalid", "isa-truncated",
    "ge02-mismatch", "ge01-count-wrong", "ge-missing", "gs08-unsupported-version",
    "se01-count-wrong", "se02-mismatch", "se-missing", "st02-duplicate", "st01-unsupported-set",
    "at701-invalid-code", "b1003-missing", "l1101-too-long", "b10-missing", "unknown-segment",
    "non-ascii-byte-in-element", "dtm-invalid-date", "one-of-two-sets-bad",
    "gs01-wrong-functional-id", "isa-not-106-chars", "fragment-without-isa", "not-x12",
    "empty-file", "isa14-ta1-requested",
}
ACK_VERSIONS = {"004010", "004010VICS", "004010UCS", "005010", "005010X231A1"}


def _entries(check: str) -> list[Any]:
    """Catalogue entries as pytest params; a known bug makes the named check a strict xfail."""
    params = []
    for entry in CATALOGUE:
        marks = []
        bug = entry.get("known_bug")
        if bug and check in bug["fails"]:
            marks.append(pytest.mark.xfail(strict=True, reason=f"known bug: {bug['reason']}"))
        params.append(pytest.param(entry, id=Path(entry["file"]).stem, marks=marks))
    return params


def _assessed(entry: dict[str, Any]) -> Assessment:
    return assess((SAMPLES / entry["file"]).read_bytes())


def _acks(entry: dict[str, Any]) -> list[OutboundAck]:
    return build_acknowledgements(_assessed(entry), IDENTITY, AckPolicy(),
                                  SequentialControlNumbers(1, 1), NOW)


def _findings(assessment: Assessment, severity: Severity) -> list[Finding]:
    return [x for x in assessment.all_findings() if x.severity is severity]


# --- reading our own acknowledgements, independently of the gateway's reader ------------------
@dataclass
class Parsed:
    segments: list[list[str]]
    element: str
    component: str
    terminator: str


def parse_ack(text: str) -> Parsed:
    """Split an outbound interchange: a fixed-width ISA, then the terminator the ISA ends with."""
    assert text.startswith("ISA"), text[:20]
    element, component = text[3], text[104]
    rest = text[105:]
    starts = [rest.find(element.join([tag, ""])) for tag in ("TA1", "GS", "IEA")]
    cut = min(at for at in starts if at > 0)
    terminator = rest[:cut]
    assert terminator, "no segment terminator after the ISA"
    assert text.endswith(terminator), "the last segment is not terminated"
    segments = [s.split(element) for s in text[:-len(terminator)].split(terminator)]
    return Parsed(segments, element, component, terminator)


def ack_summary(parsed: Parsed) -> dict[str, Any]:
    """The TA1 and, per 997/999, the segments between ST and SE, written with '*'."""
    ta1 = next(("*".join(s) for s in parsed.segments if s[0] == "TA1"), None)
    groups: list[list[str]] = []
    body: list[str] | None = None
    for segment in parsed.segments:
        if segment[0] == "ST":
            body = []
        elif segment[0] == "SE":
            assert body is not None
            groups.append(body)
            body = None
        elif body is not None:
            body.append("*".join(segment))
    isa = parsed.segments[0]
    gs_to = [s[3] for s in parsed.segments if s[0] == "GS"]
    return {"to": f"{isa[7].strip()} {isa[8].strip()}", "ta1": ta1, "groups": groups,
            "gs_to": gs_to}


# --- the catalogue itself ----------------------------------------------------------------------
def test_catalogue_lists_every_sample_file_once() -> None:
    listed = [entry["file"] for entry in CATALOGUE]
    on_disk = sorted(str(p.relative_to(SAMPLES)) for folder in ("valid", "defects")
                     for p in (SAMPLES / folder).glob("*.x12"))
    assert sorted(listed) == on_disk
    assert len(set(listed)) == len(listed)


def test_catalogue_holds_every_required_defect() -> None:
    names = {Path(e["file"]).stem for e in CATALOGUE if e["file"].startswith("defects/")}
    assert names >= REQUIRED_DEFECTS, sorted(REQUIRED_DEFECTS - names)


def test_acks_folder_holds_only_catalogued_acks() -> None:
    expected = {f"{Path(e['file']).stem}.{n}.x12" for e in CATALOGUE if not e.get("known_bug")
                for n in range(1, len(e["acks"]) + 1)}
    assert {p.name for p in GOLDEN.glob("*.x12")} == expected


# --- verdicts and findings ---------------------------------------------------------------------
@pytest.mark.parametrize("entry", _entries("verdict"))
def test_verdict_and_exit_code(entry: dict[str, Any]) -> None:
    assessment = _assessed(entry)
    assert verdict(assessment) == entry["verdict"]
    assert assessment.exit_code == entry["exit_code"]


@pytest.mark.parametrize("entry", _entries("findings"))
def test_error_findings_and_x12_codes(entry: dict[str, Any]) -> None:
    assessment = _assessed(entry)
    errors = _findings(assessment, Severity.ERROR)
    assert {x.code for x in errors} == set(entry["errors"])
    assert {str(x.x12) for x in errors if x.x12 is not None} == set(entry["x12"])
    if "warnings" in entry:
        warnings = _findings(assessment, Severity.WARNING)
        assert {x.code for x in warnings} == set(entry["warnings"])


@pytest.mark.parametrize("entry", [p for p in _entries("locations") if p.values[0].get(
    "locations")])
def test_error_locations(entry: dict[str, Any]) -> None:
    errors = _findings(_assessed(entry), Severity.ERROR)
    for where in entry["locations"]:
        matching = [
            x for x in errors if str(x.x12) == where["x12"]
            and x.location.segment_tag == where["tag"]
            and x.location.segment_position == where["segment"]
            and x.location.element_position == where.get("element")
            and x.location.element_number == where.get("number")
            and ("found" not in where or x.found == where["found"])
            and ("st02" not in where or x.location.st02 == where["st02"])]
        assert matching, f"no error finding at {where}; found {[x.location for x in errors]}"


# --- acknowledgements --------------------------------------------------------------------------
@pytest.mark.parametrize("entry", _entries("acks"))
def test_ack_summary(entry: dict[str, Any]) -> None:
    acks = _acks(entry)
    assert len(acks) == len(entry["acks"])
    for ack, expected in zip(acks, entry["acks"], strict=True):
        got = ack_summary(parse_ack(ack.text))
        assert got["to"] == expected["to"]
        assert got["ta1"] == expected["ta1"]
        assert got["groups"] == expected["groups"]
        assert got["gs_to"] == [expected.get("gs_to")] * len(expected["groups"])
        assert ack.ta1 == (expected["ta1"].split("*")[4] if expected["ta1"] else None)


@pytest.mark.parametrize("entry", _entries("golden"))
def test_golden_acks(entry: dict[str, Any]) -> None:
    if entry.get("known_bug"):
        pytest.skip("no golden acknowledgement is kept while the sample shows a known bug")
    stem = Path(entry["file"]).stem
    acks = _acks(entry)
    if UPDATE_GOLDEN:
        for stale in GOLDEN.glob(f"{stem}.*.x12"):
            stale.unlink()
        GOLDEN.mkdir(exist_ok=True)
        for n, ack in enumerate(acks, start=1):
            (GOLDEN / f"{stem}.{n}.x12").write_bytes(ack.text.encode("latin-1"))
    golden = sorted(GOLDEN.glob(f"{stem}.*.x12"))
    assert [p.name for p in golden] == [f"{stem}.{n}.x12" for n in range(1, len(acks) + 1)]
    for path, ack in zip(golden, acks, strict=True):
        assert ack.text.encode("latin-1") == path.read_bytes(), path.name


@pytest.mark.parametrize("entry", [p for p in _entries("envelope") if p.values[0]["acks"]])
def test_ack_envelopes_follow_x12(entry: dict[str, Any]) -> None:
    group_control = 0
    for number, (ack, expected) in enumerate(zip(_acks(entry), entry["acks"], strict=True),
                                             start=1):
        parsed = parse_ack(ack.text)
        segments = parsed.segments
        isa, iea = segments[0], segments[-1]
        assert len(parsed.element.join(isa)) == 105  # fixed width, plus the terminator
        assert [isa[5], isa[6].rstrip()] == ["ZZ", "RLGATEWAY"]  # we send it
        assert f"{isa[7]} {isa[8].rstrip()}" == expected["to"]  # to the partner
        assert len(isa[6]) == len(isa[8]) == 15
        assert (isa[9], isa[10]) == ("260102", "0304")
        assert isa[13] == f"{number:09d}" == ack.control_number
        assert (isa[14], isa[16]) == ("0", parsed.component)
        assert iea == ["IEA", str(sum(s[0] == "GS" for s in segments)), isa[13]]
        tags = [s[0] for s in segments]
        if "TA1" in tags:
            assert tags.index("TA1") == 1 and tags.count("TA1") == 1
        versions = [s[8] for s in segments if s[0] == "GS"]
        assert isa[12] == ("00501" if any(v.startswith("005010") for v in versions) else "00401")
        assert isa[11] == ("U" if isa[12] == "00401" else "^")
        for gs in (s for s in segments if s[0] == "GS"):
            group_control += 1
            start = segments.index(gs)
            end = next(i for i in range(start, len(segments)) if segments[i][0] == "GE")
            _check_group(segments[start:end + 1], group_control, expected.get("gs_to"))


def _check_group(group: list[list[str]], control: int, their_id: str | None) -> None:
    gs, st, se, ge = group[0], group[1], group[-2], group[-1]
    assert gs[1:8] == ["FA", "RLGATEWAY", their_id, "20260102", "0304", str(control), "X"]
    assert gs[8] in ACK_VERSIONS  # the real version string, never ISA12's 00401
    assert st[1] in ("997", "999")
    assert (st[1] == "999") == (gs[8] == "005010X231A1")
    assert se == ["SE", str(len(group) - 2), st[2]]
    assert ge == ["GE", "1", str(control)]
    body = [s[0] for s in group[2:-2]]
    assert body[0] == "AK1" and body[-1] == "AK9"
    ak1 = group[2]
    assert ak1[1] != "FA", "a group of acknowledgements is never acknowledged"
    assert (len(ak1) == 4) == gs[8].startswith("005010")  # AK103 in 005010 only


@pytest.mark.parametrize("entry", [p for p in _entries("reassess") if p.values[0]["acks"]])
def test_emitted_acks_assess_as_accepted(entry: dict[str, Any]) -> None:
    for ack in _acks(entry):
        again = assess(ack.text.encode("latin-1"))
        problems = [str(x) for x in again.all_findings() if x.severity is not Severity.INFO]
        assert again.accepted, problems
        assert problems == []
        sets = [s.ts.set_id for i in again.interchanges for g in i.groups for s in g.sets]
        assert sets == list(ack.functional)


# --- the commands, as a user runs them ---------------------------------------------------------
def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(GATEWAY), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


def _sample(name: str) -> str:
    found = [p for folder in ("valid", "defects") for p in (SAMPLES / folder).glob(f"{name}.x12")]
    assert len(found) == 1, name
    return str(found[0])


@pytest.mark.parametrize(("name", "code"), [
    ("214-status-004010", 0), ("at701-invalid-code", 1), ("iea02-mismatch", 1),
    ("not-x12", 2), ("empty-file", 2)])
def test_validate_exit_codes(tmp_path: Path, name: str, code: int) -> None:
    assert _run("validate", _sample(name), cwd=tmp_path).returncode == code


def test_validate_several_files_exits_with_the_worst(tmp_path: Path) -> None:
    result = _run("validate", "--json", _sample("214-status-004010"),
                  _sample("se01-count-wrong"), _sample("not-x12"), cwd=tmp_path)
    assert result.returncode == 2
    documents = json.loads(result.stdout)
    assert [d["exit_code"] for d in documents] == [0, 1, 2]
    assert [d["verdict"] for d in documents] == ["accepted", "rejected", "not X12"]


def test_validate_plain_text_names_segment_element_and_value(tmp_path: Path) -> None:
    result = _run("validate", _sample("at701-invalid-code"), cwd=tmp_path)
    assert result.returncode == 1
    line = next(x for x in result.stdout.splitlines() if "ERROR" in x)
    for part in ("segment 12", "AT7", "AT701", "1650", "'ZZ'", "AK403 7"):
        assert part in line, (part, line)


def test_validate_plain_text_names_a_missing_segment(tmp_path: Path) -> None:
    result = _run("validate", _sample("b10-missing"), cwd=tmp_path)
    assert result.returncode == 1
    assert "segment 2 (B10)" in result.stdout
    assert "AK304 3" in result.stdout


def test_validate_json_carries_codes_and_location(tmp_path: Path) -> None:
    result = _run("validate", "--json", _sample("at701-invalid-code"), cwd=tmp_path)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert (document["verdict"], document["exit_code"]) == ("rejected", 1)
    ts = document["interchanges"][0]["groups"][0]["transaction_sets"][0]
    assert ts["outcome"] == "rejected"
    [finding] = ts["findings"]
    assert finding["code"] == "element.invalid-code-value"
    assert finding["x12"] == {"field": "AK403", "code": "7"}
    assert finding["found"] == "ZZ"
    loc = finding["location"]
    assert (loc["segment_tag"], loc["segment_position"]) == ("AT7", 12)
    assert (loc["element_position"], loc["element_number"]) == (1, "1650")


def test_validate_json_for_an_interchange_error(tmp_path: Path) -> None:
    result = _run("validate", "--json", _sample("iea02-mismatch"), cwd=tmp_path)
    document = json.loads(result.stdout)
    interchange = document["interchanges"][0]
    assert interchange["outcome"] == "rejected"
    codes = [(x["code"], x["x12"]) for x in interchange["findings"]]
    assert codes == [("interchange.control-mismatch", {"field": "TA105", "code": "001"})]


def _normalise_clock(text: str) -> str:
    """Put the test clock into ISA09/ISA10 and GS04/GS05 of an ack printed by `gateway ack`."""
    parsed = parse_ack(text)
    for segment in parsed.segments:
        if segment[0] == "ISA":
            segment[9:11] = ["260102", "0304"]
        elif segment[0] == "GS":
            segment[4:6] = ["20260102", "0304"]
    return "".join(parsed.element.join(s) + parsed.terminator for s in parsed.segments)


@pytest.mark.parametrize("name", ["isa14-ta1-requested", "one-of-two-sets-bad",
                                  "iea01-count-wrong"])
def test_ack_command_prints_the_golden_ack(tmp_path: Path, name: str) -> None:
    result = _run("ack", _sample(name), cwd=tmp_path)  # no config.yaml here: embedded defaults
    assert result.returncode == 0, result.stderr
    printed = result.stdout
    assert printed.endswith("\n")
    golden = (GOLDEN / f"{name}.1.x12").read_bytes().decode("latin-1")
    assert _normalise_clock(printed[:-1]) == golden


def test_ack_command_puts_the_ta1_before_the_group(tmp_path: Path) -> None:
    result = _run("ack", _sample("isa14-ta1-requested"), cwd=tmp_path)
    segments = [s.split("*")[0] for s in result.stdout.strip().split("~") if s]
    assert segments[:3] == ["ISA", "TA1", "GS"]
    assert "TA1*000000233*260121*1140*A*000~" in result.stdout


def test_ack_command_on_an_acknowledgement_prints_nothing(tmp_path: Path) -> None:
    result = _run("ack", _sample("997-inbound-004010"), cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == ""
    assert "no acknowledgement is due" in result.stderr


def test_ack_command_on_a_file_that_is_not_x12(tmp_path: Path) -> None:
    result = _run("ack", _sample("not-x12"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "not X12" in result.stderr
