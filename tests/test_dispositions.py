"""`gateway rma dispose|dispositions` and `gateway show` as a person at the dock runs them."""

from __future__ import annotations

import json
import shutil
from functools import partial
from pathlib import Path

import pytest

from tests.cli import run_gateway
from tests.store.test_outbound import story

REPO = Path(__file__).resolve().parents[1]
RMA = "RMA7734021"  # line 1: two stand mixers; line 2: one kettle


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gateway whose store holds the story's return, delivered (not yet received)."""
    folder = tmp_path_factory.mktemp("dock")
    (folder / "config.yaml").write_text(
        f"store: {{url: 'sqlite:///{folder / 'gateway.sqlite'}'}}\n"
        f"paths: {{mappings: '{REPO / 'mappings'}', programs: '{REPO / 'programs'}'}}\n")
    (folder / "partners").mkdir()
    for partner in ("northwind", "odfl"):
        shutil.copy(REPO / "partners" / f"{partner}.yaml", folder / "partners")
    assert run_gateway("db", "upgrade", cwd=folder).returncode == 0
    for partner, sample in (("northwind", "180-return-request-004010.x12"),
                            ("northwind", "856-pick-pack-004010.x12"),
                            ("odfl", "214-status-004010.x12")):
        (folder / sample).write_bytes(story(sample))
        done = run_gateway("ingest", "--partner", partner, str(folder / sample), cwd=folder)
        assert done.returncode == 0, done.stdout + done.stderr
    return folder


def test_the_dock_dispositions_each_line_and_the_case_closes(workspace: Path) -> None:
    gateway = partial(run_gateway, cwd=workspace)
    early = gateway("rma", "dispose", RMA, "--line", "1", "--outcome", "restock")
    assert early.returncode == 1 and "after receipt" in early.stderr
    assert gateway("rma", "receive", RMA).returncode == 0

    first = gateway("rma", "dispose", RMA, "--line", "1", "--outcome", "restock",
                    "--quantity", "1", "--value", "120.00", "--note", "box intact")
    assert first.returncode == 0, first.stderr
    assert "line 1: restock 1 (120.00 USD) recorded" in first.stdout
    assert "line 1: 1 of 2 units dispositioned" in first.stdout
    too_many = gateway("rma", "dispose", RMA, "--line", "1", "--outcome", "recycle",
                       "--quantity", "2")
    assert too_many.returncode == 1 and "recycle may take at most 1" in too_many.stderr

    listed = json.loads(gateway("rma", "dispositions", RMA, "--format", "json").stdout)
    [case] = listed
    assert (case["state"], case["complete"], case["recovered"]) == (
        "received", False, {"USD": "120.00"})
    assert [(line["line"], line["left"]) for line in case["lines"]] == [(1, "1"), (2, "1")]
    shown = gateway("show", RMA)
    assert "1 of 3 units dispositioned; recovered 120.00 USD" in shown.stdout
    assert "restock 1 (120.00 USD)  cli:" in shown.stdout and "box intact" in shown.stdout
    [as_json] = json.loads(gateway("show", RMA, "--json").stdout)["cases"]
    assert as_json["dispositions"]["lines"][0]["dispositions"][0]["note"] == "box intact"

    gateway("rma", "dispose", RMA, "--line", "1", "--outcome", "recycle")
    last = gateway("rma", "dispose", RMA, "--line", "2", "--outcome", "liquidate",
                   "--value", "7.50", "--currency", "eur", "--format", "json")
    assert last.returncode == 0, last.stderr
    said = json.loads(last.stdout)
    assert (said["outcome"], said["currency"], said["closed"]) == ("liquidate", "EUR", True)
    assert said["status_updates"] == ["northwind: closed"]

    after = gateway("rma", "dispositions", RMA, "--history").stdout
    assert "(closed): 3 of 3 units dispositioned; recovered 7.50 EUR, 120.00 USD" in after
    assert after.count("cli:") == 3 + 3  # each standing record, and each in the history
    audit = gateway("audit", "--json").stdout
    actions = [(entry["action"], entry["outcome"])
               for entry in map(json.loads, audit.splitlines())]
    assert actions.count(("case.disposition", "done")) == 3
    assert ("case.disposition", "failed") in actions and ("case.closed", "done") in actions
    settled = gateway("rma", "dispose", RMA, "--line", "2", "--outcome", "destroy")
    assert settled.returncode == 1 and "is closed" in settled.stderr


@pytest.mark.parametrize(("arguments", "said"), [
    (("--line", "1", "--outcome", "sell"), "is not an outcome"),
    (("--line", "1,2", "--outcome", "restock"), "one line number"),
    (("--line", "1", "--outcome", "restock", "--value", "-3"), "from 0 to"),
    (("--line", "1", "--outcome", "restock", "--value", "NaN"), "from 0 to"),
    (("--line", "1", "--outcome", "restock", "--currency", "\x1b[2J"), "ISO 4217"),
    (("--outcome", "restock"), "--line"),
])
def test_a_wrong_argument_is_a_usage_error_naming_it(workspace: Path, arguments: tuple[str, ...],
                                                      said: str) -> None:
    done = run_gateway("rma", "dispose", RMA, *arguments, cwd=workspace)
    assert done.returncode == 2 and said in done.stderr
    assert "\x1b" not in done.stderr


def test_a_reference_that_names_nothing_is_said_so(workspace: Path) -> None:
    listed = run_gateway("rma", "dispositions", "NO-SUCH-RMA", cwd=workspace)
    assert listed.returncode == 1 and "names no return case" in listed.stderr
    disposed = run_gateway("rma", "dispose", "NO-SUCH-RMA", "--line", "1", "--outcome",
                           "recycle", cwd=workspace)
    assert disposed.returncode == 1 and "names no return case" in disposed.stderr
