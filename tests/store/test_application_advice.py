"""The optional 824 Application Advice (issue 11, item 3), on SQLite and PostgreSQL.

A partner whose file says ``x12: {application_advice: x12-824}`` hears, besides the 997 about
syntax, which of its documents could not be used and why: one 824 per file, queued in the same
transaction as the file, valid against our own 824 grammar, never twice. Without the setting
(the default) nothing beyond the 997 is sent.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select

from gateway.app.ingest import IngestResult, ingest
from gateway.app.wording import OUR_PURPOSES
from gateway.bootstrap import ingest_ports
from gateway.config.partners import read_partner
from gateway.config.settings import GatewayConfig
from gateway.store.repository import SqlStore
from gateway.store.schema import outbox
from gateway.x12.assess import assess
from tests.store.test_unmapped import NOW, REQUEST, REQUIRED_BGN06, workspace

REPO = Path(__file__).resolve().parents[2]


def partner_file(tmp_path: Path, advice: str | None) -> Path:
    raw = yaml.safe_load((REPO / "partners" / "northwind.yaml").read_text())
    if advice is not None:
        raw["x12"]["application_advice"] = advice
    path = tmp_path / "partners" / "northwind.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(raw))
    return path


def take(store: SqlStore, config: GatewayConfig, partner_path: Path, data: bytes,
         name: str) -> IngestResult:
    partner = read_partner(partner_path)
    assert not partner.problems
    ports, settings = ingest_ports(config, store, partner)
    return ingest(data, name, "northwind", ports, settings, now=NOW)


def queued(store: SqlStore) -> list[tuple[str, str, bytes]]:
    with store.engine.connect() as connection:
        rows = connection.execute(select(outbox.c.kind, outbox.c.purpose, outbox.c.payload)
                                  .order_by(outbox.c.id))
        return [(r.kind, str(r.purpose), bytes(r.payload)) for r in rows]


def test_an_unusable_set_earns_one_valid_824(database_url: str, tmp_path: Path) -> None:
    store, config, _ = workspace(database_url, tmp_path, {"northwind/180": REQUIRED_BGN06})
    path = partner_file(tmp_path, "x12-824")
    result = take(store, config, path, REQUEST.read_bytes(), "request.x12")
    assert result.state == "accepted-unmapped"
    kinds = [(kind, purpose) for kind, purpose, _ in queued(store)]
    assert kinds == [("997", "acknowledgement"), ("824", "application-advice")]
    [(_, _, payload)] = [q for q in queued(store) if q[0] == "824"]
    text = payload.decode("latin-1")
    assert assess(payload).accepted, text  # our own 824 grammar accepts it
    assert "OTI*TR*TN*0001*****101*0001*180*004010~" in text  # their ST02, GS06, ST01, GS08
    assert "TED*007*" in text  # a required value was missing: X12 647 "missing data"
    assert "required value rma number (BGN/06) not found" in text  # the reason, in words
    # `gateway acks` and the console list it among what we sent on our own account.
    [listed] = store.outbound(purposes=OUR_PURPOSES)
    assert (listed.kind, listed.purpose) == ("824", "application-advice")
    # The same file again (a redelivery) is a duplicate: no second 824.
    take(store, config, path, REQUEST.read_bytes(), "request-again.x12")
    assert [kind for kind, _, _ in queued(store)].count("824") == 1


def test_a_partner_that_did_not_ask_gets_only_the_997(database_url: str, tmp_path: Path) -> None:
    store, config, _ = workspace(database_url, tmp_path, {"northwind/180": REQUIRED_BGN06})
    take(store, config, partner_file(tmp_path, None), REQUEST.read_bytes(), "request.x12")
    assert [kind for kind, _, _ in queued(store)] == ["997"]


def test_a_file_that_maps_earns_no_824(database_url: str, tmp_path: Path) -> None:
    store, config, _ = workspace(database_url, tmp_path, {})
    result = take(store, config, partner_file(tmp_path, "x12-824"), REQUEST.read_bytes(),
                  "request.x12")
    assert result.state == "accepted"
    assert [kind for kind, _, _ in queued(store)] == ["997"]


def test_a_wrong_setting_names_the_key(tmp_path: Path) -> None:
    partner = read_partner(partner_file(tmp_path, "always"))
    assert any(p.startswith("x12.application_advice:") for p in partner.problems)
