"""A 180, its answer, the 856 and the 214s become one return case, whatever order they come in;
`gateway show` prints its timeline in the documents' own time order."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from gateway.app.cases import cases_for
from gateway.app.ingest import ingest
from gateway.bootstrap import ingest_ports
from gateway.config.settings import GatewayConfig, load_config
from gateway.store.repository import SqlStore
from tests.cli import run_gateway
from tests.store.workspace import migrated_store

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "samples" / "valid"
STORY = ["180-return-request-004010.x12", "180-authorization-005010.x12",
         "856-pick-pack-004010.x12", "214-status-004010.x12"]
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def run_story(database_url: str, archive: Path, order: tuple[str, ...]) -> SqlStore:
    store, config = migrated_store(database_url, archive)
    ports, settings = ingest_ports(config, store)
    for n, name in enumerate(order):
        ingest((VALID / name).read_bytes(), name, "acme", ports, settings,
               now=NOW + timedelta(minutes=n))
    return store


def summary(store: SqlStore) -> tuple[object, ...]:
    [case] = cases_for(store, "RMA7734021").cases
    return (case.state.value, case.decision.value if case.decision else None,
            tuple(sorted((k.kind.value, k.value) for k in case.keys)),
            tuple((e.at, e.state_after.value, str(e.cause)) for e in case.timeline))


def test_one_case_follows_the_return_from_request_to_delivery(database_url, tmp_path):
    store = run_story(database_url, tmp_path / "archive", tuple(STORY))
    state, decision, keys, timeline = summary(store)
    assert (state, decision) == ("delivered", "partially-authorized")
    assert ("rma", "RMA7734021") in keys and ("shipment-id", "ASN20260120001") in keys
    assert [t[1] for t in timeline][:3] == ["requested", "partially-authorized", "shipped"]
    assert timeline[-1][1] == "delivered"
    assert [t[0] for t in timeline] == sorted(t[0] for t in timeline)  # document time order


@pytest.mark.parametrize("order", list(itertools.permutations(STORY))[::5])
def test_the_same_documents_in_another_order_give_the_same_case(database_url, tmp_path, order):
    expected = summary(run_story(f"sqlite:///{tmp_path / 'first.sqlite'}", tmp_path / "a",
                                 tuple(STORY)))
    assert summary(run_story(database_url, tmp_path / "b", order)) == expected


def test_gateway_show_prints_the_timeline_in_order(tmp_path):
    root = tmp_path
    (root / "config.yaml").write_text(f"paths: {{mappings: '{REPO / 'mappings'}'}}\n")

    gateway = partial(run_gateway, cwd=root)

    assert gateway("db", "upgrade").returncode == 0
    assert gateway("ingest", "--partner", "acme",
                   *(str(VALID / n) for n in reversed(STORY))).returncode == 0
    shown = gateway("show", "RMA7734021")
    assert shown.returncode == 0, shown.stderr
    states = [line.split()[2] for line in shown.stdout.splitlines()
              if line.startswith("    2026-")]
    assert states[0] == "requested" and states[-1] == "delivered"
    assert "decision partially-authorized" in shown.stdout
    as_json = json.loads(gateway("show", "--json", "ASN20260120001").stdout)
    assert [c["state"] for c in as_json["cases"]] == ["delivered"]
    assert len(as_json["acknowledgements"]) == 4
    assert gateway("show", "NO-SUCH-REF").returncode == 1


def test_a_recall_puts_the_matching_return_line_on_hold(database_url, tmp_path):
    store = run_story(database_url, tmp_path / "archive", tuple(STORY))
    base = load_config(REPO / "config.yaml")
    config = GatewayConfig(base.source, base.identity, base.ack_policy,
                           {**base.paths, "archive": tmp_path / "archive",
                            "mappings": REPO / "mappings"}, database_url)
    ports, settings = ingest_ports(config, store)
    recall = REPO / "samples" / "recall" / "valid-stand-mixer-serials.xml"
    assert ingest(recall.read_bytes(), recall.name, "cpsc", ports, settings,
                  now=NOW + timedelta(hours=1)).state == "accepted"
    [case] = cases_for(store, "RMA7734021").cases
    held = {(hold.notice_id, hold.line_label) for hold in case.recall_holds}
    assert ("26-031", "line 1") in held  # the mixer: serial SMX22A0017734 is in the range
    assert not any(label == "line 2" for _, label in held)  # the kettle is not recalled


def test_show_a_rejected_file_by_number(tmp_path):
    (tmp_path / "config.yaml").write_text(f"paths: {{mappings: '{REPO / 'mappings'}'}}\n")

    gateway = partial(run_gateway, cwd=tmp_path)

    assert gateway("db", "upgrade").returncode == 0
    bad = REPO / "samples" / "defects" / "at701-invalid-code.x12"
    assert gateway("ingest", "--partner", "odfl", str(bad)).returncode == 1
    shown = gateway("show", "#1")
    assert shown.returncode == 0
    assert "file #1: at701-invalid-code.x12 from odfl" in shown.stdout
    assert "rejected" in shown.stdout
    assert "segment 12 (AT7), element AT701" in shown.stdout and "[AK403 7]" in shown.stdout
    assert "interchange 000000220: accepted" in shown.stdout
    assert "transaction set 214 0001: rejected" in shown.stdout
    assert "documents:" not in shown.stdout
    assert gateway("show", "#2").returncode == 1
    by_interchange = gateway("show", "000000220")  # the rejected file's ISA13
    assert by_interchange.returncode == 0 and "file #1: at701-invalid-code.x12" in \
        by_interchange.stdout


@pytest.mark.parametrize("reference", ["#99999999999999999999", "#\u00b2", "#-1", "#0", "#"])
def test_a_reference_that_only_looks_like_a_file_number_is_just_a_reference(
        database_url: str, tmp_path: Path, reference: str) -> None:
    """A partner's own number (a 180's BGN02) is looked up as a case by the follow-ups: one
    that starts with '#' must never crash them (it used to overflow or fail int())."""
    store = run_story(database_url, tmp_path / "archive", tuple(STORY))
    assert not cases_for(store, reference).cases
    assert cases_for(store, "#1").cases  # a real file number still finds its case
