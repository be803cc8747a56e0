"""`gateway files --unmapped`, `show '#N'` and `replay --unmapped` as a person runs them: a
file whose set did not map is listed, explained set by set, its cause shown by a dry run, and
once the mapping is fixed replayed into an accepted file whose documents get their follow-ups.
"""

from __future__ import annotations

import json
import shutil
from functools import partial
from pathlib import Path

from gateway.store.engine import open_engine
from gateway.store.repository import SqlStore
from tests.cli import run_gateway
from tests.store.test_unmapped import REQUIRED_BGN06

REPO = Path(__file__).resolve().parents[2]
REQUEST = REPO / "samples" / "valid" / "180-return-request-004010.x12"


def test_an_unmapped_file_is_listed_explained_and_replayed_once_fixed(tmp_path: Path) -> None:
    shutil.copytree(REPO / "mappings", tmp_path / "mappings")
    override = tmp_path / "mappings" / "partners" / "northwind" / "180.yaml"
    override.write_text(REQUIRED_BGN06)
    (tmp_path / "partners").mkdir()
    shutil.copy(REPO / "partners" / "northwind.yaml", tmp_path / "partners")
    (tmp_path / "config.yaml").write_text("paths: {mappings: mappings}\n")
    gateway = partial(run_gateway, cwd=tmp_path)
    assert gateway("db", "upgrade").returncode == 0

    taken = gateway("ingest", "--partner", "northwind", str(REQUEST))
    assert taken.returncode == 1 and "file #1 accepted-unmapped" in taken.stdout, taken.stderr

    listed = gateway("files", "--unmapped")
    assert "#1" in listed.stdout and "accepted-unmapped" in listed.stdout
    assert "(1 set not mapped)" in listed.stdout
    assert "#1" in gateway("files", "--state", "accepted-unmapped").stdout
    [row] = json.loads(gateway("files", "--unmapped", "--json").stdout)
    assert (row["id"], row["state"], row["unmapped_sets"]) == (1, "accepted-unmapped", 1)

    shown = gateway("show", "#1").stdout
    set_line, why = shown.split("transaction set 180 0001: accepted, NOT MAPPED")[1] \
        .splitlines()[1:3]
    assert "line 4, segment 2 (BGN)" in set_line
    assert "required value rma number (BGN/06) not found" in set_line
    assert "rule fields.rma_number" in set_line
    assert "was accepted by validation but not mapped" in why  # mapping.no-document

    cause = gateway("replay", "--unmapped", "--dry-run")  # before the fix: why, in words
    assert cause.returncode == 0 and "file #1" in cause.stdout
    assert "required value rma number (BGN/06) not found" in cause.stdout
    assert "no change" in cause.stdout

    shutil.copy(REPO / "mappings" / "partners" / "northwind" / "180.yaml", override)  # fixed
    dry = gateway("replay", "--unmapped", "--dry-run")
    assert "would change (accepted-unmapped -> accepted)" in dry.stdout
    assert '+    "document_id": "RR20260114001",' in dry.stdout
    assert gateway("files", "--unmapped").stdout.count("#1") == 1  # the dry run stored nothing
    assert "no file to replay" in gateway("replay", "--unmapped", "--partner", "odfl").stdout

    replayed = gateway("replay", "--unmapped")
    assert replayed.returncode == 0, replayed.stderr
    assert "file #1 180-return-request-004010.x12: accepted-unmapped -> accepted, 1 document" \
        in replayed.stdout
    assert "request RR20260114001 from northwind: authorized" in replayed.stdout
    assert gateway("files", "--unmapped").stdout.strip() == "no files"
    assert "NOT MAPPED" not in gateway("show", "#1").stdout

    # A later replay rewrites what the file became, not what we answered it with.
    assert gateway("replay", "#1").returncode == 0
    store = SqlStore(open_engine(f"sqlite:///{tmp_path / 'var' / 'gateway.sqlite'}"))
    directions = sorted(d.direction for d in store.documents_of_file(1))
    assert directions == ["in", "out"]
    [answer] = store.outbound(purposes=["rma-answer"])
    assert answer.subject == "RR20260114001"
