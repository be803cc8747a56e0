"""GET /api/v1/receiving: the schedule `gateway receiving --format json` prints, with the same
filters, the same totals as the console's page and CSV, and its refusals."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from gateway.console.app import create_app
from tests.console.api_clients import bearer, make_client
from tests.console.conftest import signed_in
from tests.console.test_receiving_page import (
    ESTIMATED,
    LOOKED_AT,
    page_totals,
    receiving_gateway,
)


@pytest.fixture
def api(tmp_path: Path) -> tuple[Flask, str]:
    gateway = receiving_gateway(tmp_path)
    app = create_app(gateway.store, gateway.config, clock=lambda: LOOKED_AT)
    return app, make_client(gateway.store, "wms", "read", at=LOOKED_AT - timedelta(days=1))


def get(api: tuple[Flask, str], query: str = "") -> Any:
    app, token = api
    return app.test_client().get(f"/api/v1/receiving{query}", headers=bearer(token))


def test_the_schedule_by_centre_and_day(api: tuple[Flask, str]) -> None:
    answer = get(api)
    assert answer.status_code == 200
    body = answer.json
    assert (body["from"], body["to"]) == ("2026-11-18", "2026-12-16")  # the default days
    assert [(c["centre"], c["configured"]) for c in body["centres"]] == [
        ("RC01", True), ("92:RC09", False)]
    rc01 = body["centres"][0]
    [day] = rc01["days"]
    [shipment] = day["shipments"]
    assert (day["day"], shipment["shipment_id"], shipment["rmas"], shipment["status"],
            shipment["estimate"]["source"]) == (ESTIMATED.isoformat(), "ASN20261125001",
                                                ["RMA7734021"], "in-transit", "214 AT7*AG")
    assert [a["rmas"] for a in rc01["authorized"]] == [["RMA0000002"]]
    assert [s["shipment_id"] for s in body["centres"][1]["no_estimate"]] == ["ASN20260000003"]


def test_the_api_the_page_and_the_csv_add_up_the_same(api: tuple[Flask, str]) -> None:
    centres = get(api).json["centres"]
    browser = signed_in(api[0], "vera")
    rows = list(csv.DictReader(io.StringIO(browser.get("/receiving.csv").text)))
    on_page = page_totals(browser.get("/receiving").text)
    for centre, page in zip(centres, on_page, strict=True):
        totals = centre["totals"]
        shipped = [r for r in rows if r["centre"] == centre["centre"]
                   and r["listed"] != "authorized"]
        assert (totals["shipments"], totals["cartons"], totals["pallets"],
                Decimal(totals["units"]), totals["late"]) == page
        assert totals["shipments"] == len(shipped)
        assert Decimal(totals["units"]) == sum(Decimal(r["units"]) for r in shipped)


def test_filters_narrow_it(api: tuple[Flask, str]) -> None:
    assert [c["centre"] for c in get(api, "?centre=92:rc09").json["centres"]] == ["92:RC09"]
    assert get(api, "?centre=RC77").json["centres"] == []
    later = get(api, "?from=2026-12-01&to=2026-12-31").json
    assert (later["from"], later["to"]) == ("2026-12-01", "2026-12-31")
    assert later["centres"][0]["days"] == [] and later["centres"][0]["totals"]["shipments"] == 0


def test_a_to_before_from_selects_no_day_and_only_to_counts_back(api: tuple[Flask, str]
                                                                 ) -> None:
    backwards = get(api, "?from=2026-11-28&to=2026-11-26").json
    assert [c["days"] for c in backwards["centres"]] == [[], []]
    assert (backwards["from"], backwards["to"]) == ("2026-11-28", "2026-11-26")
    for edge in ("?from=0001-01-01", "?to=0001-01-05", "?from=9999-12-31"):
        assert get(api, edge).status_code == 200, edge  # no day overflows
    ending = get(api, "?to=2026-11-30").json
    assert (ending["from"], ending["to"]) == ("2026-11-02", "2026-11-30")
    assert ending["centres"][0]["days"][0]["day"] == ESTIMATED.isoformat()


@pytest.mark.parametrize("query", ["?from=yesterday", "?to=2026-13-45", "?week=1",
                                   "?centre=%1b%5b2J", "?centre="])
def test_a_query_it_cannot_read_is_refused_with_422(api: tuple[Flask, str], query: str) -> None:
    answer = get(api, query)
    assert answer.status_code == 422, answer.json
    assert answer.json["message"]


def test_it_needs_a_read_token_and_is_in_the_openapi_document(api: tuple[Flask, str]) -> None:
    app, _token = api
    assert app.test_client().get("/api/v1/receiving").status_code == 401
    spec = app.test_client().get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/receiving"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"centre", "from", "to"}
    assert "422" in operation["responses"] and "200" in operation["responses"]
