"""The receiving schedule read from a real store: shipments from 856s, estimates from 214s
(AT7 and G62) and the 856's DTM, authorized returns not shipped, cancelled cases left out;
`gateway receiving`'s text, CSV and JSON add up to the same totals (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.app.receiving import receiving_schedule_of
from gateway.domain.receiving import (
    CentreSchedule,
    ReturnCentre,
    ScheduledShipment,
    ShipToId,
    Window,
)
from tests.cli import run_gateway
from tests.store.test_outbound import NOW, REPO, Gateway, story

RC01 = ReturnCentre("RC01", "Acme Appliance Returns Center", (ShipToId("RC01", "92"),))
WINDOW = Window(date(2026, 11, 18), date(2026, 12, 16))
TWO_DAYS_ON, FIVE_DAYS_ON = date(2026, 11, 27), date(2026, 11, 30)
CONFIG = """store: {{url: '{url}'}}
paths: {{mappings: '{mappings}'}}
return_centres:
  RC01: {{name: Acme Appliance Returns Center, ship_to: ['92:RC01'], timezone: UTC}}
"""


def status_214(control: int, *details: str, g62: str | None = None) -> bytes:
    """ODFL's 214 for the story's shipment (PRO 0771001234, BOL ODFL4471122, RMA7734021):
    ``details`` are its AT7s, one status detail (LX) each; ``g62`` sits in the consignee's
    N1 loop."""
    body = ["ST*214*0001", "B10*0771001234*ODFL4471122*ODFL", "L11*RMA7734021*RZ",
            "N1*CN*Acme Appliance Returns Center*92*RC01", *([g62] if g62 else [])]
    for number, detail in enumerate(details, start=1):
        body += [f"LX*{number}", detail]
    body.append(f"SE*{len(body) + 1}*0001")
    return "~".join([
        f"ISA*00*{'':10}*00*{'':10}*02*{'ODFL':<15}*ZZ*{'RLGATEWAY':<15}*261125*1130*U*00401*"
        f"{control:09d}*0*P*>", f"GS*QM*ODFL*RLGATEWAY*20261125*1130*{control}*X*004010",
        *body, f"GE*1*{control}", f"IEA*1*{control:09d}", ""]).encode()


def estimated(day: date, moment: str = "1000") -> str:
    return f"AT7*AG*NS***{day:%Y%m%d}*{moment}*UT"


PICKED_UP = "AT7*AF*NS***20261125*1000*UT"


def ship_notice(*, estimate: date | None = None) -> bytes:
    """The story's 856 (2 cartons, 3 units to 92:RC01), with the shipper's DTM*017."""
    text = story("856-pick-pack-004010.x12").decode()
    if estimate is not None:
        text = text.replace("DTM*011*20261125~", f"DTM*011*20261125~DTM*017*{estimate:%Y%m%d}~")
        text = re.sub(r"SE\*(\d+)\*", lambda m: f"SE*{int(m[1]) + 1}*", text)
    return text.encode()


def cancellation() -> bytes:
    """Northwind withdraws the story's request (180 BGN01 01) the day after it was
    authorized (a 180 is dated by its BGN03 day: one dated before the answer is overtaken)."""
    text = story("180-return-request-004010.x12").decode()
    text = text.replace("BGN*00*RR20261123001*20261123", "BGN*01*RR20261123001*20261126")
    text = text.replace("000000101", "000000131")
    return text.replace("*101*X*", "*131*X*").replace("GE*1*101", "GE*1*131").encode()


@pytest.fixture
def gateway(tmp_path: Path) -> Gateway:
    return Gateway(f"sqlite:///{tmp_path / 'gateway.sqlite'}", tmp_path)


def schedule(gateway: Gateway, now: datetime = NOW + timedelta(hours=6)) -> CentreSchedule:
    [found] = receiving_schedule_of(gateway.store, (RC01,), WINDOW, now)
    return found


def only_shipment(found: CentreSchedule) -> ScheduledShipment:
    [shipment] = found.every_shipment()
    return shipment


def requested_and_shipped(gateway: Gateway, notice: bytes | None = None) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"), "rma.x12",
                 at=NOW - timedelta(hours=3))
    gateway.take("northwind", notice or ship_notice(), "asn.x12", at=NOW - timedelta(hours=2))


def test_the_latest_214_estimate_places_the_shipment_and_a_later_one_moves_it(
        gateway: Gateway) -> None:
    requested_and_shipped(gateway)
    assert only_shipment(schedule(gateway)).expected_day is None  # listed with no estimate
    gateway.take("odfl", status_214(901, PICKED_UP, estimated(FIVE_DAYS_ON)), "s1.x12",
                 at=NOW - timedelta(hours=1))
    found = schedule(gateway)
    [day] = found.days
    [shipment] = day.shipments
    assert (day.day, shipment.shipment.shipment_id, shipment.shipment.rmas) == (
        FIVE_DAYS_ON, "ASN20261125001", ("RMA7734021",))
    assert (shipment.shipment.cartons, shipment.shipment.units, shipment.shipment.scac,
            shipment.shipment.pro_number) == (2, Decimal(3), "ODFL", "0771001234")
    assert shipment.estimate is not None and shipment.estimate.source == "214 AT7*AG"
    assert found.dock.configured and found.dock.centre_id == "RC01"

    # A later 214 says an earlier day in a G62*17: the shipment moves there.
    gateway.take("odfl", status_214(902, "AT7*X6*NS***20261125*1500*UT",
                                    g62=f"G62*17*{TWO_DAYS_ON:%Y%m%d}"), "s2.x12", at=NOW)
    moved = only_shipment(schedule(gateway))
    assert (moved.expected_day, moved.previous_day) == (TWO_DAYS_ON, FIVE_DAYS_ON)
    assert moved.estimate is not None and moved.estimate.source == "214 G62*17"
    assert moved.shipment.status.value == "in-transit" and not moved.late

    # Three days after the estimate, still not delivered: late.
    late = only_shipment(schedule(gateway, now=NOW + timedelta(days=5)))
    assert (late.late, late.days_late) == (True, 3)
    # Until the carrier says it delivered (G62*35 alone, no AT7 D1): on its day, not late.
    gateway.take("odfl", status_214(906, "AT7*X6*NS***20261127*0900*UT",
                                    g62=f"G62*35*{TWO_DAYS_ON:%Y%m%d}"), "s3.x12",
                 at=NOW + timedelta(days=4))
    delivered = only_shipment(schedule(gateway, now=NOW + timedelta(days=5)))
    assert (delivered.expected_day, delivered.late, delivered.arrived) == (TWO_DAYS_ON, False,
                                                                           True)
    assert delivered.shipment.arrived_at is not None
    assert delivered.shipment.arrived_at.date() == TWO_DAYS_ON


def test_with_no_214_estimate_the_856s_own_dtm_017_stands(gateway: Gateway) -> None:
    requested_and_shipped(gateway, ship_notice(estimate=FIVE_DAYS_ON))
    shipment = only_shipment(schedule(gateway))
    assert shipment.expected_day == FIVE_DAYS_ON
    assert shipment.estimate is not None and shipment.estimate.source == "856 DTM*017"
    gateway.take("odfl", status_214(903, estimated(TWO_DAYS_ON)), "s.x12", at=NOW)
    assert only_shipment(schedule(gateway)).expected_day == TWO_DAYS_ON  # the carrier's


def test_an_authorized_return_waits_unshipped_and_a_cancelled_one_is_gone(
        gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"), "rma.x12",
                 at=NOW - timedelta(hours=3))
    found = schedule(gateway)
    [waiting] = found.authorized  # northwind's policy authorized it
    assert (waiting.rmas, waiting.lines, waiting.units, waiting.status.value) == (
        ("RMA7734021",), 2, Decimal(3), "authorized")
    assert found.every_shipment() == ()
    gateway.take("northwind", cancellation(), "cancel.x12", at=NOW + timedelta(days=1))
    gone = schedule(gateway, now=NOW + timedelta(days=1))
    assert gone.authorized == () and gone.every_shipment() == ()


def test_goods_a_carrier_picked_up_before_any_856_are_expected_all_the_same(
        gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"), "rma.x12",
                 at=NOW - timedelta(hours=3))
    gateway.take("odfl", status_214(904, PICKED_UP, estimated(TWO_DAYS_ON)), "s.x12", at=NOW)
    found = schedule(gateway)
    shipment = only_shipment(found)
    assert (shipment.shipment.shipment_id, shipment.expected_day, shipment.shipment.units,
            shipment.shipment.pro_number) == (None, TWO_DAYS_ON, Decimal(3), "0771001234")
    assert found.authorized == ()  # it is on its way, not waiting


def test_the_commands_text_csv_and_json_add_up_to_the_same_totals(
        tmp_path: Path, database_url: str) -> None:
    gateway = Gateway(database_url, tmp_path)
    requested_and_shipped(gateway)
    gateway.take("odfl", status_214(905, estimated(TWO_DAYS_ON)), "s.x12", at=NOW)
    (tmp_path / "config.yaml").write_text(CONFIG.format(url=database_url,
                                                        mappings=REPO / "mappings"))
    window = ("--from", WINDOW.first.isoformat(), "--to", WINDOW.last.isoformat())

    def receiving(*args: str) -> str:
        done = run_gateway("receiving", *window, *args, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    as_json = json.loads(receiving("--format", "json"))
    [centre] = as_json["centres"]
    assert (as_json["from"], as_json["to"]) == (WINDOW.first.isoformat(),
                                                WINDOW.last.isoformat())
    assert [d["day"] for d in centre["days"]] == [TWO_DAYS_ON.isoformat()]
    [shipment] = centre["days"][0]["shipments"]
    assert (shipment["shipment_id"], shipment["rmas"], shipment["estimate"]["source"]) == (
        "ASN20261125001", ["RMA7734021"], "214 AT7*AG")
    rows = list(csv.DictReader(io.StringIO(receiving("--format", "csv"))))
    shipped = [row for row in rows if row["listed"] != "authorized"]
    assert centre["totals"] == {
        "shipments": len(shipped), "cartons": sum(int(r["cartons"]) for r in shipped),
        "pallets": sum(int(r["pallets"]) for r in shipped),
        "units": str(sum(Decimal(r["units"]) for r in shipped)),
        "late": sum(r["late"] == "True" for r in shipped)}
    assert centre["totals"]["shipments"] == 1 and centre["totals"]["units"] == "3"
    text = receiving()
    assert "RC01  Acme Appliance Returns Center  (UTC; today " in text
    assert f"  {TWO_DAYS_ON} {TWO_DAYS_ON:%a}  1 shipment, 2 cartons, 0 pallets, 3 units" in text
    assert "ASN20261125001" in text and "214 AT7*AG said 2026-11-25" in text
    assert json.loads(receiving("--centre", "rc01", "--format", "json"))["centres"] == [centre]
    assert json.loads(receiving("--centre", "RC77", "--format", "json"))["centres"] == []
