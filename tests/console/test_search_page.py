"""Searching the console (issue 15, part 4): cases and documents by RMA, GTIN / UPC, serial,
partner, state and dates; pages; the whole result as CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from flask import Flask

from gateway.app.access import AuditEntry, AuditOutcome
from tests.console.conftest import signed_in
from tests.console.story import Story


def test_an_empty_search_asks_for_something(app: Flask) -> None:
    page = signed_in(app, "vera").get("/search").text
    assert "Fill in what you know." in page


def test_cases_by_upc_serial_and_state(app: Flask) -> None:
    viewer = signed_in(app, "vera")
    for query in ("gtin=614141000364", "serial=SMX22A0017734",
                  "rma=RMA7734021&partner=northwind"):
        page = viewer.get(f"/search?{query}").text
        assert "RMA7734021" in page and "Nothing matches." not in page, query
    assert "Nothing matches." in viewer.get("/search?rma=RMA7734021&state=closed").text
    assert "Nothing matches." in viewer.get("/search?rma=RMA7734021&from=2999-01-01").text


def test_documents_by_key_and_kind_and_the_csv(app: Flask) -> None:
    viewer = signed_in(app, "vera")
    page = viewer.get("/search?what=documents&rma=RMA7734021").text
    assert "return-authorization" in page and "return-shipment" in page
    rows = list(csv.DictReader(io.StringIO(viewer.get(
        "/search.csv?what=documents&rma=RMA7734021&kind=return-shipment").text)))
    assert rows and {r["kind"] for r in rows} == {"return-shipment"}
    cases = list(csv.DictReader(io.StringIO(viewer.get("/search.csv?gtin=614141000364").text)))
    assert [c["rma"] for c in cases] == ["RMA7734021"]


def test_hostile_search_values_are_an_empty_or_harmless_search(app: Flask) -> None:
    viewer = signed_in(app, "vera")
    for query in ("rma=%00", "gtin=%3Cscript%3E", "after=-5&rma=x", "from=not-a-day&rma=x",
                  "state=%27%3B--&rma=x", "rma=" + "x" * 5000):
        response = viewer.get(f"/search?{query}")
        assert response.status_code == 200, query
        assert "<script>" not in response.text


def test_the_files_list_pages_sorts_and_downloads(app: Flask, story: Story) -> None:
    viewer = signed_in(app, "vera")
    names = re.findall(r'<td class="name">([^<]*)</td>', viewer.get("/files?sort=name").text)
    assert names == sorted(names) and len(names) >= 5
    backwards = re.findall(r'<td class="name">([^<]*)</td>',
                           viewer.get("/files?sort=-name").text)
    assert backwards == sorted(names, reverse=True)
    newest = max(int(i) for i in re.findall(r'href="/files/(\d+)"', viewer.get("/files").text))
    older = viewer.get(f"/files?before={newest}").text
    assert f'href="/files/{newest}"' not in older and 'href="/files/1"' in older
    rows = list(csv.DictReader(io.StringIO(viewer.get("/files.csv?state=rejected").text)))
    assert [int(r["id"]) for r in rows] == [story.rejected_file]


def test_the_acknowledgements_sort_and_download(app: Flask) -> None:
    viewer = signed_in(app, "vera")
    page = viewer.get("/acks?sort=partner").text
    partners = re.findall(r'<td class="nowrap">[^<]*</td>\s*<td>([a-z-]+)</td>', page)
    assert partners == sorted(partners) and partners
    rows = list(csv.DictReader(io.StringIO(viewer.get("/acks.csv?show=held").text)))
    assert [r["state"] for r in rows] == ["held"] and "GS03" in rows[0]["reason"]


def test_a_page_of_documents_sorts_by_a_column(app: Flask) -> None:
    viewer = signed_in(app, "vera")
    page = viewer.get("/search?what=documents&rma=RMA7734021&sort=-kind").text
    kinds = re.findall(r'<td class="mono">\d+</td><td>([a-z-]+)</td>', page)
    assert kinds == sorted(kinds, reverse=True) and len(set(kinds)) > 1


def test_the_recalls_list_sorts_and_downloads(app: Flask) -> None:
    viewer = signed_in(app, "vera")
    assert "Download as CSV" in viewer.get("/recalls?sort=-notified").text
    rows = list(csv.DictReader(io.StringIO(viewer.get("/recalls.csv").text)))
    assert [(r["notice_id"], r["recipients"]) for r in rows] == [("26-031", "1")]


def test_the_acknowledgements_page_on(app: Flask, story: Story) -> None:
    viewer = signed_in(app, "vera")
    everything = re.findall(r'<td class="mono">(\d{9})</td>', viewer.get("/acks").text)
    newest = max(r.id for r in story.store.outbound(limit=1000))
    page = viewer.get(f"/acks?before={newest}").text
    assert len(re.findall(r'<td class="mono">(\d{9})</td>', page)) == len(everything) - 1


def test_the_audit_page_sorts_its_page(app: Flask, story: Story) -> None:
    for who in ("zed", "amy"):
        story.store.audit_log().append(AuditEntry(
            datetime(2026, 11, 25, tzinfo=UTC), f"cli:{who}", "token.create", who,
            AuditOutcome.DONE, "local", {}))
    page = signed_in(app, "ada").get("/audit?sort=actor").text
    actors = re.findall(r'href="/audit\?actor=[^"]*">([^<]+)</a>', page)
    assert actors == sorted(actors) and "cli:amy" in actors
