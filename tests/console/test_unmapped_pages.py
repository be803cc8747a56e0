"""The console shows files whose sets did not map: in the list (a badge, a filter), on the
file's page (each unmapped set with its mapping findings, a replay for the admin) and in the
partner's health (attention)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask

from gateway.app.ingest import IngestResult, ingest
from gateway.bootstrap import ingest_ports
from gateway.console.app import create_app
from tests.console.conftest import ADMIN_TOKEN, READ_TOKEN, csrf_of, signed_in
from tests.store.test_unmapped import NOW, REPO, REQUEST, REQUIRED_BGN06, workspace

ODFL_214 = "fields:\n  scac: {path: B10/09, required: true}\n"
Unmapped = tuple[Flask, IngestResult, IngestResult, Path]


@pytest.fixture
def unmapped(tmp_path: Path) -> Unmapped:
    """Northwind's request, unmapped (accepted-unmapped), and ODFL's two 214s, one rejected
    and the other unmapped (partially accepted)."""
    store, config, mappings = workspace(f"sqlite:///{tmp_path / 'gateway.sqlite'}", tmp_path,
                                        {"northwind/180": REQUIRED_BGN06, "odfl/214": ODFL_214})
    ports, settings = ingest_ports(config, store)
    request = ingest(REQUEST.read_bytes(), "rma.x12", "northwind", ports, settings, now=NOW)
    partial = ingest((REPO / "samples" / "defects" / "one-of-two-sets-bad.x12").read_bytes(),
                     "status.x12", "odfl", ports, settings, now=NOW)
    assert (request.state, partial.state) == ("accepted-unmapped", "partially-accepted")
    app = create_app(store, config, clock=lambda: NOW)
    return app, request, partial, mappings


def test_the_files_list_badges_and_filters_unmapped_files(unmapped: Unmapped) -> None:
    app = unmapped[0]
    reader = signed_in(app, READ_TOKEN)
    page = reader.get("/files?unmapped=1").text
    assert "rma.x12" in page and "status.x12" in page  # whatever their state
    assert page.count('tone-warn">1 not mapped</span>') == 2
    only = reader.get("/files?state=accepted-unmapped").text
    assert "rma.x12" in only and "status.x12" not in only
    assert 'tone-warn">accepted-unmapped</span>' in only


def test_a_files_page_shows_each_unmapped_set_with_why(unmapped: Unmapped) -> None:
    app, request, partial, _ = unmapped
    reader = signed_in(app, READ_TOKEN)
    page = reader.get(f"/files/{request.file_id}").text
    assert 'tone-warn">not mapped</span>' in page
    assert "line 4, segment 2 (BGN)" in page and "rule fields.rma_number" in page
    assert "required value rma number (BGN/06) not found" in page
    other = reader.get(f"/files/{partial.file_id}").text
    assert other.count('tone-warn">not mapped</span>') == 1  # set 0001; 0002 was rejected
    assert "rule fields.scac" in other


def test_the_partner_needs_attention_until_the_file_is_replayed(unmapped: Unmapped) -> None:
    app, request, _partial, mappings = unmapped
    admin = signed_in(app, ADMIN_TOKEN)
    health = admin.get("/partners").text
    assert "1 file with sets not mapped" in health

    shutil.copy(REPO / "mappings" / "partners" / "northwind" / "180.yaml",
                mappings / "partners" / "northwind" / "180.yaml")  # the mapping is fixed
    page = admin.get(f"/files/{request.file_id}").text
    response = admin.post(f"/files/{request.file_id}/replay",
                          data={"csrf_token": csrf_of(page)}, follow_redirects=True)
    assert "accepted-unmapped → accepted, 1 document" in response.text
    assert 'tone-warn">not mapped</span>' not in response.text
    northwind = admin.get("/partners").text.split("Northwind Home Stores")[1].split("</tr>")[0]
    assert "with sets not mapped" not in northwind
