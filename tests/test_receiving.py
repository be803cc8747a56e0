"""`gateway receiving` on the demo's store (issue 18's "done when"): the demo's return centre
with the demo's shipment on the day ODFL's 214 estimated, moved when a later 214 changes the
estimate; and a wrong `return_centres` section named by its key."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.cli import run_gateway
from tests.store.test_receiving import status_214

RMA = "RMA7734021"
LOUISVILLE = ZoneInfo("America/New_York")  # the demo's RC01 (config.yaml)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    workspace = tmp_path_factory.mktemp("receiving") / "workspace"
    done = run_gateway("demo", "--workspace", str(workspace), cwd=workspace.parent, timeout=90)
    assert done.returncode == 0, done.stdout + done.stderr
    return workspace, done.stdout


def gateway(workspace: Path, *args: str) -> str:
    done = run_gateway("--config", str(workspace / "config.yaml"), *args, cwd=workspace.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def schedule(workspace: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(gateway(workspace, "receiving", "--format", "json"))
    return found


def days_of(centre: dict[str, Any]) -> dict[str, list[str]]:
    return {day["day"]: [s["shipment_id"] for s in day["shipments"]] for day in centre["days"]}


def test_the_demos_shipment_is_on_its_estimated_day_and_moves_with_a_later_214(
        demo: tuple[Path, str]) -> None:
    workspace, output = demo
    said = re.search(r"estimated delivery (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", output)
    assert said is not None, output
    estimated = datetime.strptime(said[1], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    day = estimated.astimezone(LOUISVILLE).date()  # the centre's day

    [centre] = schedule(workspace)["centres"]
    assert (centre["centre"], centre["name"], centre["configured"], centre["timezone"]) == (
        "RC01", "Acme Appliance Returns Center", True, "America/New_York")
    assert days_of(centre) == {day.isoformat(): [shipment_id(centre)]}
    [shipment] = centre["days"][0]["shipments"]
    assert (shipment["rmas"], shipment["scac"], shipment["cartons"], shipment["units"]) == (
        [RMA], "ODFL", 2, "3")
    assert shipment["estimate"]["source"] == "214 AT7*AG" and shipment["previous_day"] is None
    assert shipment["status"] == "closed" and not shipment["late"]  # received, dispositioned
    # The kettle a person authorized (request 2) waits at RC01, not shipped.
    assert [(a["rmas"], a["units"]) for a in centre["authorized"]] == [(["NW0000001"], "1")]

    later = day + timedelta(days=3)
    moved_214 = workspace.parent / "214-new-estimate.x12"
    moved_214.write_bytes(status_214(907, f"AT7*AG*NS***{later:%Y%m%d}*1400*ET"))
    gateway(workspace, "ingest", "--partner", "odfl", str(moved_214))

    [centre] = schedule(workspace)["centres"]
    assert days_of(centre) == {later.isoformat(): [shipment_id(centre)]}
    [shipment] = centre["days"][0]["shipments"]
    assert (shipment["expected_day"], shipment["previous_day"]) == (later.isoformat(),
                                                                   day.isoformat())
    text = gateway(workspace, "receiving", "--centre", "RC01")
    assert f"  {later} {later:%a}  1 shipment, 2 cartons, 0 pallets, 3 units" in text
    assert f"was {day:%m-%d}" in text


def shipment_id(centre: dict[str, Any]) -> str:
    """The demo's ship notice: ASN + the day it shipped + 001 (the sample's BSN02, moved)."""
    [shipment] = [s for d in centre["days"] for s in d["shipments"]]
    assert re.fullmatch(r"ASN\d{8}001", shipment["shipment_id"]), shipment
    return str(shipment["shipment_id"])


@pytest.mark.parametrize(("centres", "key"), [
    ("{RC01: {ship_to: ['92:RC01'], timezone: Mars/Olympus}}", "return_centres.RC01.timezone"),
    ("{RC01: {ship_to: [92:41]}}", "return_centres.RC01.ship_to[0]"),
    ("{RC01: {ship_to: ['RC01']}, RC02: {ship_to: ['92:RC01']}}",
     "return_centres.RC02.ship_to[0]"),
    ("{RC01: {ship_to: ['RC01'], dock: 4}}", "return_centres.RC01.dock"),
    ("{RC01: {name: Acme}}", "return_centres.RC01.ship_to"),
    ("[RC01]", "return_centres")])
def test_a_wrong_centre_stops_the_command_naming_the_file_and_key(
        tmp_path: Path, centres: str, key: str) -> None:
    (tmp_path / "config.yaml").write_text(f"return_centres: {centres}\n")
    done = run_gateway("receiving", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"gateway: config.yaml: {key}: "), done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_last_day_before_the_first_is_a_usage_error(tmp_path: Path) -> None:
    done = run_gateway("receiving", "--from", "2026-02-01", "--to", "2026-01-31", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("gateway receiving: --to 2026-01-31 is before --from 2026-02-01 "
                           "(see gateway receiving --help)\n")
