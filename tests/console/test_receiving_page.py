"""The Receiving page: each return centre's expected shipments by day, its chart and CSV, over
a store with the story's return (estimated by ODFL), a second one authorized but not shipped,
and a shipment to a dock no centre claims."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bench.small_files import _numbered
from gateway.console.app import create_app
from gateway.domain.receiving import ReturnCentre, ShipToId
from tests.console.conftest import signed_in
from tests.console.story import add_people
from tests.store.test_outbound import NOW, VALID, Gateway, story
from tests.store.test_receiving import status_214

RC01 = ReturnCentre("RC01", "Acme Appliance Returns Center", (ShipToId("RC01", "92"),))
ESTIMATED = date(2026, 11, 27)  # ODFL's AT7*AG
LOOKED_AT = NOW + timedelta(hours=6)
HOSTILE_DOCK = 'Dock "9" & <i'  # '>' separates components in X12


def second_request() -> bytes:
    """Another return of Northwind's (RMA0000002), authorized by its policy, not shipped."""
    text = (VALID / "180-return-request-004010.x12").read_text()
    return _numbered(text, 2, 2, shared_order=False).replace(
        "*20260114*0915~", "*20261124*0915**RMA0000002~").encode()


def to_another_dock() -> bytes:
    """A ship notice of its own (ASN20260000003) to a dock no centre claims, whose name is
    markup."""
    text = _numbered((VALID / "856-pick-pack-004010.x12").read_text(), 3, 3, False)
    return text.replace("N1*ST*Acme Appliance Returns Center*92*RC01",
                        f"N1*ST*{HOSTILE_DOCK}*92*RC09").encode()


def receiving_gateway(folder: Path) -> Gateway:
    gateway = Gateway(f"sqlite:///{folder / 'gateway.sqlite'}", folder)
    gateway.take("northwind", story("180-return-request-004010.x12"), "rma.x12",
                 at=NOW - timedelta(hours=3))
    gateway.take("northwind", story("856-pick-pack-004010.x12"), "asn.x12",
                 at=NOW - timedelta(hours=2))
    gateway.take("odfl", status_214(911, f"AT7*AG*NS***{ESTIMATED:%Y%m%d}*1000*UT"), "s.x12",
                 at=NOW - timedelta(hours=1))
    gateway.take("northwind", second_request(), "rma-2.x12", at=NOW)
    gateway.take("northwind", to_another_dock(), "asn-3.x12", at=NOW)
    add_people(gateway.store)
    gateway.config = replace(gateway.config, return_centres=(RC01,))
    return gateway


@pytest.fixture
def receiving_app(tmp_path: Path) -> Flask:
    gateway = receiving_gateway(tmp_path)
    return create_app(gateway.store, gateway.config, clock=lambda: LOOKED_AT)


@pytest.fixture
def viewer(receiving_app: Flask) -> FlaskClient:
    return signed_in(receiving_app, "vera")


def page_totals(page: str) -> list[tuple[int, int, int, Decimal, int]]:
    """Each centre's Total row: shipments, cartons, pallets, units, late."""
    return [(int(a), int(b), int(c), Decimal(d), int(e)) for a, b, c, d, e in re.findall(
        r'<th scope="row">Total</th><td class="num">(\d+)</td><td class="num">(\d+)</td>'
        r'<td class="num">(\d+)</td><td class="num">([\d.]+)</td><td class="num">(\d+)</td>',
        page)]


def test_the_page_shows_each_centre_by_day_with_a_chart(viewer: FlaskClient) -> None:
    page = viewer.get("/receiving")
    assert page.status_code == 200
    text = page.text
    assert "RC01 <span class=\"subtle\">Acme Appliance Returns Center</span>" in text
    assert f"Fri {ESTIMATED.isoformat()}" in text and "ASN20261125001" in text
    assert 'href="/cases?q=RMA7734021"' in text and "214 AT7*AG" in text
    assert "Authorized, not shipped" in text and 'href="/cases?q=RMA0000002"' in text
    assert '<svg class="chart"' in text and "Units expected by day and return centre" in text
    assert 'aria-current="page">Receiving</a>' in text
    assert page_totals(text) == [(1, 2, 0, Decimal(3), 0), (1, 2, 0, Decimal(3), 0)]


def test_a_dock_no_centre_claims_is_shown_by_its_raw_id_with_its_name_escaped(
        viewer: FlaskClient) -> None:
    text = viewer.get("/receiving").text
    assert "92:RC09" in text and "not a configured centre" in text
    assert HOSTILE_DOCK not in text
    escaped = "Dock &#34;9&#34; &amp; &lt;i"
    assert f'<span class="subtle">{escaped}</span>' in text  # the card's heading
    assert re.search(f'<text class="chart-group" [^>]*>92:RC09 {escaped}</text>', text)


def test_the_csv_holds_the_rows_the_page_adds_up(viewer: FlaskClient) -> None:
    download = viewer.get("/receiving.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["centre"], r["listed"], r["expected_day"], r["shipment_id"], r["rmas"],
             r["units"]) for r in rows] == [
        ("RC01", "day", ESTIMATED.isoformat(), "ASN20261125001", "RMA7734021", "3"),
        ("RC01", "authorized", "", "", "RMA0000002", "3"),
        ("92:RC09", "no-estimate", "", "ASN20260000003", "RMA0000003", "3")]
    page = viewer.get("/receiving").text
    for centre, totals in zip(("RC01", "92:RC09"), page_totals(page), strict=True):
        shipped = [r for r in rows if r["centre"] == centre and r["listed"] != "authorized"]
        assert totals == (len(shipped), sum(int(r["cartons"]) for r in shipped),
                          sum(int(r["pallets"]) for r in shipped),
                          sum(Decimal(r["units"]) for r in shipped),
                          sum(r["late"] == "True" for r in shipped))


def test_filters_narrow_and_a_bad_value_is_the_default(viewer: FlaskClient) -> None:
    only = viewer.get("/receiving?centre=rc01").text
    assert "ASN20261125001" in only and "92:RC09" not in only
    assert "No centre has that id" in viewer.get("/receiving?centre=RC77").text
    later = viewer.get("/receiving?from=2026-12-01&to=2026-12-31").text
    assert f"Fri {ESTIMATED.isoformat()}" not in later and "Nothing expected" in later
    backwards = viewer.get("/receiving?from=2026-12-31&to=2026-12-01")
    assert backwards.status_code == 200 and "is before from (2026-12-31)" in backwards.text
    assert f"Fri {ESTIMATED.isoformat()}" in backwards.text  # the default days instead
    for hostile in ("from=yesterday", "from=%00", "centre=%1b%5b2J", "to=2026-13-45",
                    "from=0001-01-01&to=0001-01-05", "from=9999-12-31"):
        page = viewer.get(f"/receiving?{hostile}")
        assert page.status_code == 200, hostile


def test_only_people_signed_in_see_it(receiving_app: Flask) -> None:
    assert receiving_app.test_client().get("/receiving").status_code in (302, 303, 401)
    assert receiving_app.test_client().get("/receiving.csv").status_code in (302, 303, 401)
