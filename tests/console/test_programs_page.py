"""The Programs page: the story's return by program, with its chart and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.console.conftest import signed_in


@pytest.fixture
def viewer(app: Flask) -> Iterator[FlaskClient]:
    yield signed_in(app, "vera")


def test_the_page_shows_each_program_with_a_chart(viewer: FlaskClient) -> None:
    page = viewer.get("/programs")
    assert page.status_code == 200
    text = page.text
    # The mixer under recall 26-031 makes the case a recall; the crushed kettle's line is
    # damaged goods (programs/rules.yaml rules 1 and 5).
    assert "<td>recall</td>" in text and "<td>damaged-goods</td>" in text
    assert '<svg class="chart"' in text and "Units by return program and week" in text
    assert 'aria-current="page">Programs</a>' in text


def test_the_csv_holds_the_rows_the_page_adds_up(viewer: FlaskClient) -> None:
    download = viewer.get("/programs.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["partner"], r["program"], r["cases"], r["lines"], r["units"]) for r in rows] == [
        ("northwind", "damaged-goods", "0", "1", "1"), ("northwind", "recall", "1", "1", "2")]


def test_filters_narrow_and_a_bad_value_is_the_default(viewer: FlaskClient) -> None:
    assert "No return cases in this period" in viewer.get("/programs?partner=odfl").text
    assert "No return cases in this period" in viewer.get("/programs?since=2999-01-01").text
    for hostile in ("since=yesterday", "since=%00", "partner=%1b%5b2J", "since=2026-13-45"):
        page = viewer.get(f"/programs?{hostile}")
        assert page.status_code == 200 and "<td>recall</td>" in page.text, hostile


def test_only_people_signed_in_see_it(app: Flask) -> None:
    assert app.test_client().get("/programs").status_code in (302, 303, 401)


def test_the_case_page_names_the_program_of_the_case_and_of_each_line(
        viewer: FlaskClient) -> None:
    page = viewer.get("/cases?q=RMA7734021").text
    assert 'class="chip">recall</a>' in page
    assert "damaged-goods<div" in page and "rule 5 (reason DA or DP or DT or PS)" in page
