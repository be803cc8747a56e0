"""Exact names stay exact (issue 12, item 3): a request id or an RMA names one request, even
when a retailer raises unrelated requests against one purchase order. Two 180 requests with
different BGN02s and no RMA share PRF01; a ship notice and its 214 carry only that PO. Each
`gateway rma` command and `gateway show`, run as the real process on SQLite and PostgreSQL,
acts on exactly the request it is given; only the PO is ambiguous, and it is refused with the
candidates named by request id and RMA."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.app.cases import cases_for
from gateway.app.ingest import ingest
from gateway.bootstrap import ingest_ports
from gateway.config.partners import read_partner
from gateway.store.repository import SqlStore
from tests.cli import run_gateway
from tests.store.workspace import migrated_store

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "samples" / "valid"
PO = "4500012345"
FIRST, SECOND = "NW-RQ-1001", "NW-RQ-2002"
SHIPMENT = "ASN20260120001"  # the PO-only ship notice
NOW = datetime(2026, 1, 22, 12, 0, tzinfo=UTC)


def _without(text: str, segment: str) -> str:
    """``text`` without one segment, its SE01 segment count one less."""
    assert f"{segment}\n" in text, segment
    text = text.replace(f"{segment}\n", "")
    return re.sub(r"SE\*(\d+)\*", lambda m: f"SE*{int(m[1]) - 1}*", text)


def _renumbered(text: str, isa13: str, gs06: str, control: int) -> str:
    """``text`` under new ISA13 / GS06 control numbers, so it is no duplicate."""
    text = text.replace(f"*{isa13}*", f"*{control:09d}*").replace(f"IEA*1*{isa13}",
                                                                    f"IEA*1*{control:09d}")
    return text.replace(f"*{gs06}*X*", f"*{control}*X*").replace(f"GE*1*{gs06}~",
                                                                  f"GE*1*{control}~")


def request(request_id: str, control: int) -> bytes:
    """Northwind's sample request under another BGN02, without an RMA (N9*RZ), and "not as
    expected" on both lines, which its policy leaves to a person."""
    text = _without((VALID / "180-return-request-004010.x12").read_text(), "N9*RZ*RMA7734021~")
    text = text.replace("RR20260114001", request_id)
    text = text.replace("RDR*RP*DM*", "RDR*RP*NA*").replace("RDR*RP*DA*", "RDR*RP*NA*")
    return _renumbered(text, "000000101", "101", control).encode()


def po_only_856() -> bytes:
    """The sample 856 without its REF*RZ: its order node carries only the shared PO."""
    return _without((VALID / "856-pick-pack-004010.x12").read_text(),
                    "REF*RZ*RMA7734021~").encode()


def po_only_214() -> bytes:
    """ODFL's sample 214 for that shipment (B10: its PRO and BOL) with only L11 PO."""
    return _without((VALID / "214-status-004010.x12").read_text(),
                    "L11*RMA7734021*RZ~").encode()


STORY = {"r1.x12": ("northwind", request(FIRST, 301)),
         "r2.x12": ("northwind", request(SECOND, 302)),
         "asn.x12": ("northwind", po_only_856()),
         "status.x12": ("odfl", po_only_214())}


class Project:
    """A gateway folder on ``database_url`` with Northwind and ODFL, the story ingested by the
    real `gateway ingest`."""

    def __init__(self, root: Path, database_url: str) -> None:
        self.root = root
        (root / "partners").mkdir()
        for partner in ("northwind", "odfl"):
            shutil.copy(REPO / "partners" / f"{partner}.yaml", root / "partners")
        (root / "config.yaml").write_text(
            f"store: {{url: '{database_url}'}}\n"
            f"paths: {{archive: '{root / 'archive'}', partners: '{root / 'partners'}', "
            f"mappings: '{REPO / 'mappings'}'}}\n", encoding="utf-8")
        for name, (_, data) in STORY.items():
            (root / name).write_bytes(data)
        assert self.gateway("db", "upgrade").returncode == 0
        for partner in ("northwind", "odfl"):
            names = [name for name, (sender, _) in STORY.items() if sender == partner]
            taken = self.gateway("ingest", "--partner", partner, *names)
            assert taken.returncode == 0, taken.stdout + taken.stderr

    def gateway(self, *args: str) -> Any:
        return run_gateway(*args, cwd=self.root)

    def shown(self, reference: str) -> dict[str, Any]:
        shown = self.gateway("show", "--json", reference)
        assert shown.returncode == 0, shown.stderr
        found: dict[str, Any] = json.loads(shown.stdout)
        return found

    def answers(self) -> list[str]:
        """The requests we answered (each RMA answer's subject), oldest first."""
        rows = json.loads(self.gateway("acks", "--json").stdout)
        return [row["subject"] for row in reversed(rows) if row["purpose"] == "rma-answer"]


def test_each_rma_command_acts_on_exactly_the_request_it_names(database_url: str,
                                                               tmp_path: Path) -> None:
    project = Project(tmp_path, database_url)

    denied = project.gateway("rma", "deny", FIRST, "--reason", "OS")
    assert denied.returncode == 0, denied.stderr  # it used to refuse: "names several requests"
    assert denied.stdout.startswith(f"request {FIRST} (northwind): denied, answered under RMA "
                                    "NW0000001")
    authorized = project.gateway("rma", "authorize", SECOND)
    assert authorized.returncode == 0, authorized.stderr
    assert authorized.stdout.startswith(f"request {SECOND} (northwind): authorized, answered "
                                        "under RMA NW0000002")
    assert project.answers() == [FIRST, SECOND]
    received = project.gateway("rma", "receive", SECOND)
    assert received.stdout.startswith(f"case 180:{SECOND}: received"), received.stderr
    closed = project.gateway("rma", "close", "NW0000001")  # the first one's RMA
    assert closed.stdout.startswith(f"case 180:{FIRST}: closed"), closed.stderr

    first = project.shown(FIRST)
    assert [(c["case_id"], c["state"], c["decision"]) for c in first["cases"]] == [
        (f"180:{FIRST}", "closed", "denied")]
    assert {d["reference"] for d in first["documents"]} == {FIRST, "NW0000001"}
    second = project.shown("NW0000002")
    assert [(c["case_id"], c["state"], c["decision"]) for c in second["cases"]] == [
        (f"180:{SECOND}", "received", "authorized")]
    text = project.gateway("show", FIRST).stdout
    assert f"return case 180:{FIRST}: closed" in text and SECOND not in text
    # Each decision and step is in the audit log, under the person at the command line.
    audit = [json.loads(line)
             for line in project.gateway("audit", "--json").stdout.splitlines()]
    assert [(e["action"], e["target"]) for e in audit] == [
        ("decision.deny", FIRST), ("decision.authorize", SECOND), ("case.received", SECOND),
        ("case.closed", "NW0000001")]
    assert all(e["actor"].startswith("cli:") and e["source"] == "local" for e in audit)


def test_a_shared_po_is_refused_with_the_candidates_and_changes_nothing(
        database_url: str, tmp_path: Path) -> None:
    project = Project(tmp_path, database_url)
    assert project.gateway("rma", "deny", FIRST, "--reason", "OS").returncode == 0

    for command in (("rma", "authorize", PO), ("rma", "close", PO)):
        refused = project.gateway(*command)
        assert refused.returncode == 1 and refused.stdout == "", refused.stdout
        [message] = refused.stderr.splitlines()
        assert message.startswith(f"gateway: '{PO}' names 3 return cases; name one of them by "
                                  "its request id or RMA: "), message
        assert f"180:{FIRST} (request {FIRST}, RMA NW0000001)" in message
        assert f"180:{SECOND} (request {SECOND})" in message
        assert f"856:{SHIPMENT} (no request id or RMA yet)" in message
        assert "Traceback" not in refused.stderr
    assert project.answers() == [FIRST]

    by_po = project.shown(PO)
    assert sorted((c["case_id"], c["state"]) for c in by_po["cases"]) == [
        (f"180:{FIRST}", "denied"), (f"180:{SECOND}", "requested"),
        (f"856:{SHIPMENT}", "delivered")]  # the PO-only shipment joined neither request
    received = project.gateway("rma", "receive", SHIPMENT)  # exact: the shipment's own case
    assert received.stdout.startswith(f"case 856:{SHIPMENT}: received"), received.stderr
    assert [c["state"] for c in project.shown(FIRST)["cases"]] == ["denied"]
    assert [c["state"] for c in project.shown(SECOND)["cases"]] == ["requested"]


def run_in_order(database_url: str, archive: Path, order: tuple[str, ...]) -> SqlStore:
    store, config = migrated_store(database_url, archive)
    for minute, name in enumerate(order):
        sender, data = STORY[name]
        partner = read_partner(REPO / "partners" / f"{sender}.yaml")
        ports, settings = ingest_ports(config, store, partner)
        assert ingest(data, name, sender, ports, settings,
                      now=NOW + timedelta(minutes=minute)).state == "accepted"
    return store


def cases_by_reference(store: SqlStore) -> dict[str, list[tuple[str, str, list[str]]]]:
    return {reference: sorted((case.case_id, case.state.value,
                               sorted(str(ref) for ref in case.documents))
                              for case in cases_for(store, reference).cases)
            for reference in (FIRST, SECOND, PO, SHIPMENT, "NW-RQ-100")}


@pytest.mark.parametrize("order", [("status.x12", "asn.x12", "r2.x12", "r1.x12"),
                                   ("asn.x12", "r1.x12", "status.x12", "r2.x12"),
                                   ("r2.x12", "status.x12", "r1.x12", "asn.x12")])
def test_the_same_files_in_another_order_give_the_same_cases(
        database_url: str, tmp_path: Path, order: tuple[str, ...]) -> None:
    expected = cases_by_reference(run_in_order(f"sqlite:///{tmp_path / 'first.sqlite'}",
                                               tmp_path / "a", tuple(STORY)))
    assert [case_id for case_id, _, _ in expected[FIRST]] == [f"180:{FIRST}"]
    assert [case_id for case_id, _, _ in expected[SHIPMENT]] == [f"856:{SHIPMENT}"]
    assert len(expected[PO]) == 3 and expected["NW-RQ-100"] == []  # no prefix matches

    assert cases_by_reference(run_in_order(database_url, tmp_path / "b", order)) == expected
